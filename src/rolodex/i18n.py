"""The one translation function for every user-facing string (gettext style).

Catalogues live in rolodex/locale/<lang>/LC_MESSAGES/rolodex.mo; the language
follows the usual LANGUAGE / LC_ALL / LC_MESSAGES / LANG variables.
"""

from __future__ import annotations

import gettext
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
_translation = gettext.translation("rolodex", localedir=LOCALE_DIR, fallback=True)


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def set_language(language: str | None) -> None:
    """Switch the catalogue at run time (tests, a settings screen)."""
    global _translation
    languages = [language] if language else None
    _translation = gettext.translation(
        "rolodex", localedir=LOCALE_DIR, languages=languages, fallback=True
    )
