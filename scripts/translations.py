"""Keep the translation catalogues in step with the source.

    python scripts/translations.py update   # extract _() strings, merge into each .po, compile .mo
    python scripts/translations.py stats    # how much of each catalogue is translated

Translators edit src/rolodex/locale/<lang>/LC_MESSAGES/rolodex.po, then run `update`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "rolodex"
LOCALES = SOURCE / "locale"
KEYWORDS = {"_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def template() -> Catalog:
    catalog = Catalog(project="rolodex")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(SOURCE), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update() -> None:
    pot = template()
    for po_path in sorted(LOCALES.glob("*/LC_MESSAGES/rolodex.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        catalog.update(pot, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with po_path.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, sort_output=True)
        with po_path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)
        print(f"{po_path.relative_to(ROOT)}: {stats_line(catalog)}")


def stats_line(catalog: Catalog) -> str:
    messages = [m for m in catalog if m.id]
    done = [m for m in messages if m.string and (not isinstance(m.string, tuple) or all(m.string))]
    return f"{len(done)}/{len(messages)} translated"


def stats() -> None:
    for po_path in sorted(LOCALES.glob("*/LC_MESSAGES/rolodex.po")):
        with po_path.open("rb") as handle:
            print(f"{po_path.relative_to(ROOT)}: {stats_line(read_po(handle))}")


if __name__ == "__main__":
    {"update": update, "stats": stats}[sys.argv[1] if len(sys.argv) > 1 else "update"]()
