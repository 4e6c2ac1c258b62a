"""The Swedish catalogue: placeholders intact, .mo in step with .po, really used at run time."""

from __future__ import annotations

import ast
import gettext
import io
import json
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from rolodex import i18n
from rolodex.crm import context, history

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "rolodex"
SV = SRC / "locale" / "sv" / "LC_MESSAGES"
ROLODEX = Path(sys.executable).parent / "rolodex"


def load_po() -> Catalog:
    with (SV / "rolodex.po").open("rb") as handle:
        return read_po(handle)


def fields(text: str) -> list[tuple[str, str | None, str | None]]:
    """Every {placeholder} of a str.format template: name, format spec and conversion."""
    return sorted(
        (name, spec, conversion)
        for _, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    )


def pairs(catalog: Catalog) -> list[tuple[str, str]]:
    """(msgid, msgstr) of every translated message, plural forms included."""
    out = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        if isinstance(message.id, tuple):
            singular, plural = message.id
            strings = message.string
            assert isinstance(strings, tuple)
            out += [(singular if i == 0 else plural, s) for i, s in enumerate(strings) if s]
        else:
            out.append((message.id, message.string))
    return out


def printf_tokens(text: str) -> list[str]:
    """%% and printf-style %s / %(name)s tokens, in order."""
    return re.findall(
        r"%(?:%|\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]|[-#0 +]*\d*(?:\.\d+)?[sdifr])", text
    )


def test_every_translation_keeps_exactly_the_placeholders_of_its_msgid() -> None:
    translated = pairs(load_po())
    assert len(translated) > 500, "the Swedish catalogue is nearly empty"
    wrong = []
    for msgid, msgstr in translated:
        try:
            same = fields(msgstr) == fields(msgid)
        except ValueError as exc:  # unbalanced braces: .format() would raise at run time
            same = False
            msgstr = f"{msgstr}  <- {exc}"
        if not same or printf_tokens(msgstr) != printf_tokens(msgid):
            wrong.append(f"{msgid!r} -> {msgstr!r}")
    assert not wrong, "translations that change placeholders:\n" + "\n".join(wrong)


def test_the_translations_format_without_error() -> None:
    """Every translation formats with the same keyword arguments as its msgid."""
    for msgid, msgstr in pairs(load_po()):
        names = {name.split(".")[0].split("[")[0] for name, _, _ in fields(msgid) if name}
        if not names:
            continue
        values = {name: 1.5 for name in names}
        assert msgstr.format(**values), msgid


def test_the_committed_mo_matches_the_po() -> None:
    catalog = load_po()
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    expected = gettext.GNUTranslations(compiled)
    with (SV / "rolodex.mo").open("rb") as handle:
        committed = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, msgstr in pairs(catalog)
        if committed.gettext(msgid) != expected.gettext(msgid)
    ]
    assert not stale, "rolodex.mo is stale; run scripts/translations.py update:\n" + "\n".join(
        stale[:20]
    )
    assert committed._catalog == expected._catalog  # type: ignore[attr-defined]
    assert committed.gettext("Recycle bin") == "Papperskorg"


def run_cli(*args: str, language: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    env["LANGUAGE"] = language
    env.pop("ROLODEX_DB", None)
    return subprocess.run(
        [str(ROLODEX), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def test_a_real_command_speaks_swedish(tmp_path: Path) -> None:
    db = str(tmp_path / "sv.db")
    assert run_cli("init", db, language="sv", tmp_path=tmp_path).returncode == 0
    result = run_cli("--db", db, "show", "nosuch@example.com", language="sv", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ingen kontakt med e-postadressen nosuch@example.com" in result.stderr
    assert "Traceback" not in result.stderr
    # the same command without the Swedish catalogue speaks English: the catalogue made the difference
    english = run_cli("--db", db, "show", "nosuch@example.com", language="en", tmp_path=tmp_path)
    assert "no contact with email nosuch@example.com" in english.stderr


def test_the_help_text_is_swedish(tmp_path: Path) -> None:
    result = run_cli("--help", language="sv", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Ett tangentbordsstyrt CRM för terminalen, byggt kring associationer." in result.stdout
    assert "skapa en post och skriv ut dess REF" in result.stdout
    assert "flytta en post till papperskorgen" in result.stdout
    assert "A keyboard-driven terminal CRM" not in result.stdout
    assert "--db" in result.stdout  # option names stay as they are


def test_history_sources_are_shown_in_swedish_but_stored_in_english(tmp_path: Path) -> None:
    db = str(tmp_path / "sv.db")
    steps = [
        ("add", "company", "name=Acme", "domain=acme.se"),
        ("add", "contact", "first_name=Ann", "email=ann@acme.se"),
        ("associate", "ann@acme.se", "acme.se"),
        ("delete", "acme.se"),
    ]
    for step in steps:
        done = run_cli("--db", db, *step, language="sv", tmp_path=tmp_path)
        assert done.returncode == 0, done.stderr
    table = run_cli("--db", db, "history", "ann@acme.se", language="sv", tmp_path=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "Källa" in table.stdout and "Objekt raderat" in table.stdout
    assert "Object deleted" not in table.stdout
    data = run_cli(
        "--db", db, "history", "ann@acme.se", "--format", "json", language="sv", tmp_path=tmp_path
    )
    assert [entry["source"] for entry in json.loads(data.stdout)] == ["Object deleted", "API"]


def test_object_names_are_shown_in_swedish_but_stored_in_english(tmp_path: Path) -> None:
    db = str(tmp_path / "sv.db")
    for step in (
        ("add", "company", "name=Acme", "domain=acme.se"),
        ("add", "contact", "first_name=Ann", "email=ann@acme.se"),
        ("associate", "ann@acme.se", "acme.se"),
    ):
        done = run_cli("--db", db, *step, language="sv", tmp_path=tmp_path)
        assert done.returncode == 0, done.stderr
    shown = run_cli("--db", db, "show", "ann@acme.se", language="sv", tmp_path=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "Kontakt, version 1" in shown.stdout
    assert "Företag (1)" in shown.stdout
    assert "Contact" not in shown.stdout and "Companies" not in shown.stdout
    listed = run_cli(
        "--db", db, "objects", "list", "--format", "json", language="sv", tmp_path=tmp_path
    )
    contact = next(t for t in json.loads(listed.stdout) if t["key"] == "contact")
    assert (contact["singular"], contact["plural"]) == ("Contact", "Contacts")


def test_every_history_source_has_a_swedish_display_label() -> None:
    try:
        i18n.set_language("sv")
        shown = {source: history.source_label(source) for source in context.SOURCES}
    finally:
        i18n.set_language(None)
    assert shown[context.OBJECT_MERGE] == "Objektsammanfogning"
    assert shown[context.DOMAIN] == "Automatisk association efter domän"
    untranslated = [s for s in context.SOURCES if shown[s] == s and s not in ("API", "Import")]
    assert not untranslated
    assert history.source_label("Object merge") == "Object merge"  # English again afterwards


def test_stored_labels_are_translated_for_display() -> None:
    try:
        i18n.set_language("sv")
        assert i18n.data_text("First name") == "Förnamn"
        assert i18n.data_text("same email domain") == "samma e-postdomän"
        assert i18n.data_text("A label someone typed") == "A label someone typed"
        assert i18n._("Primary company") == "Primärt företag"
        # one English word, two meanings: an object's key, a key on the keyboard (F1 help)
        assert i18n._("Key") == "Nyckel"
        assert i18n.pgettext("keyboard", "Key") == "Tangent"
    finally:
        i18n.set_language(None)


def non_literal_calls(source: str, where: str) -> list[str]:
    """_() / ngettext() / pgettext() calls whose message is not a string literal."""
    bad = []
    for node in ast.walk(ast.parse(source, where)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        needed = {"_": 1, "ngettext": 2, "pgettext": 2}.get(node.func.id)
        if needed is None:
            continue
        messages = node.args[:needed]
        if len(messages) < needed or not all(
            isinstance(a, ast.Constant) and isinstance(a.value, str) for a in messages
        ):
            bad.append(f"{where}:{node.lineno}: {ast.unparse(node)[:80]}")
    return bad


def test_every_gettext_call_in_src_uses_a_literal_string() -> None:
    """A variable or f-string inside _() is never extracted, so it can never be translated."""
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 20
    bad = [
        line
        for path in files
        for line in non_literal_calls(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ('_(f"Hello {name}")', True),
        ("_(message)", True),
        ('_("a" + b)', True),
        ("_()", True),
        ("ngettext(one, 'many', n)", True),
        ('_("Hello {name}").format(name=n)', False),
        ("ngettext('one', 'many', n)", False),
        ("other(message)", False),
    ],
)
def test_the_literal_check_tells_literals_from_the_rest(source: str, flagged: bool) -> None:
    assert bool(non_literal_calls(source, "probe.py")) is flagged


def test_every_message_of_the_source_has_a_swedish_translation() -> None:
    """The product ships in Swedish: no string of the source is left English (run
    scripts/translations.py update after adding strings, then translate the new ones)."""
    catalog = load_po()
    missing = [
        message.id
        for message in catalog
        if message.id
        and (
            not message.string
            or (isinstance(message.string, tuple) and not all(message.string))
            or message.fuzzy
        )
    ]
    assert not missing, "untranslated in sv/rolodex.po:\n" + "\n".join(map(str, missing))
