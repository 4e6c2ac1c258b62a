"""vCard import and export: cards as Apple, Google, Android and Thunderbird write them,
folded lines and QUOTED-PRINTABLE included; ORG as the primary company; NOTE as a note;
UID and email as dedup keys; one transaction; and export then import round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import snapshot

PHOTO = "MIICXAIBAAKBgQC" * 12  # a long base64 value: folded over several lines

APPLE = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "PRODID:-//Apple Inc.//iPhone OS 17.1//EN\r\n"
    "N:Lindqvist;Ana;;;\r\n"
    "FN:Ana Lindqvist\r\n"
    "ORG:Northwind Traders;Sales\r\n"
    "TITLE:CTO\r\n"
    "item1.EMAIL;type=INTERNET;type=HOME:ana@home.example\r\n"
    "item2.EMAIL;type=INTERNET;type=WORK;type=pref:ana@northwind.example\r\n"
    "TEL;type=CELL;type=VOICE;type=pref:+46 70 123 45 67\r\n"
    "TEL;type=WORK;type=VOICE:+46 8 123 45 67\r\n"
    "NOTE:Met at the fair\\, keen on the pilot.\\nCall in May.\r\n"
    f"PHOTO;ENCODING=b;TYPE=JPEG:{PHOTO[:60]}\r\n {PHOTO[60:130]}\r\n {PHOTO[130:]}\r\n"
    "UID:8D6E2A61-7C2B-4B54-9A55-1F0D2C9E5A11\r\n"
    "END:VCARD\r\n"
)
GOOGLE = (
    "BEGIN:VCARD\n"
    "VERSION:3.0\n"
    "FN:Björn Berg\n"
    "N:Berg;Björn;;;\n"
    "EMAIL;TYPE=INTERNET;TYPE=WORK:bjorn@acme.test\n"
    "EMAIL;TYPE=INTERNET:bjorn.berg@gmail.example\n"
    "TEL;TYPE=CELL:070-765 43 21\n"
    "ORG:ACME Sverige\n"
    "TITLE:Head of IT\n"
    "END:VCARD\n"
)
ANDROID = (
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=96berg;=C3=85sa;;;\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=85sa =C3=96berg\r\n"
    "TEL;CELL;PREF:+46701112233\r\n"
    "TEL;HOME:+4681112233\r\n"
    "EMAIL;HOME:asa@oberg.example\r\n"
    "ORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Fj=C3=A4llbolaget AB\r\n"
    "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:F=C3=B6rsta raden=0D=0AAndra raden =\r\n"
    "som forts=C3=A4tter h=C3=A4r\r\n"
    "END:VCARD\r\n"
)
THUNDERBIRD = (
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "EMAIL:cleo.private@example.org\r\n"
    "EMAIL;PREF=1:cleo@helix.example\r\n"
    "FN:Cleo Ek\r\n"
    "N:Ek;Cleo;;;\r\n"
    "TEL;VALUE=TEXT;TYPE=cell:+46 72 000 00 00\r\n"
    "TITLE:Researcher\r\n"
    "NOTE:A long note that goes on and on so that it has to be folded by the writ\r\n"
    " er of the card at seventy-five octets\\, as RFC 6350 says.\r\n"
    "UID:urn:uuid:6e5c0a8e-3bb7-4c4d-9d4f-5a1b2c3d4e5f\r\n"
    "END:VCARD\r\n"
)


@pytest.fixture
def cli(db, db_url, capsys):  # type: ignore[no-untyped-def]
    from rolodex.cli import main

    capsys.readouterr()

    def run(*args: str, expect: int = 0):  # type: ignore[no-untyped-def]
        code = main(["--db", db_url, *args])
        captured = capsys.readouterr()
        assert code == expect, (args, captured.err)
        return captured

    return run


def _contacts(cli) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    rows = json.loads(cli("list", "contact", "--format", "json").out)
    return {row["name"]: row for row in rows}


def _cards(tmp_path: Path, name: str, *cards: str) -> str:
    path = tmp_path / name
    path.write_bytes("".join(cards).encode("utf-8"))
    return str(path)


def test_cards_of_every_kind_become_contacts_with_their_company_and_note(cli, tmp_path):
    cli("add", "company", "name=Northwind Traders", "domain=northwind.example")
    cli("add", "company", "name=Acme AB", "domain=acme.test")
    path = _cards(tmp_path, "address-book.vcf", APPLE, GOOGLE, ANDROID, THUNDERBIRD)
    summary = json.loads(cli("import", path, "--format", "json").out)
    assert summary["cards"] == 4 and summary["created"] == {"contact": 4, "company": 1}
    assert summary["left_out"] == {"email": 3, "phone": 2}
    people = _contacts(cli)
    ana = people["Ana Lindqvist"]
    assert ana["properties"] == {
        "first_name": "Ana",
        "last_name": "Lindqvist",
        "email": "ana@northwind.example",  # the preferred one
        "phone": "+46 70 123 45 67",
        "job_title": "CTO",
    }
    assert ana["primary_company"]["name"] == "Northwind Traders"  # matched by name
    bjorn = people["Björn Berg"]
    assert bjorn["primary_company"]["name"] == "Acme AB"  # ORG unknown: by the email's domain
    asa = people["Åsa Öberg"]  # QUOTED-PRINTABLE, soft line breaks
    assert asa["properties"]["phone"] == "+46701112233"  # TEL;CELL;PREF
    assert asa["primary_company"]["name"] == "Fjällbolaget AB"  # a new company
    cleo = people["Cleo Ek"]
    assert cleo["properties"]["email"] == "cleo@helix.example"  # PREF=1 beats the first
    assert cleo["primary_company"] is None
    notes = {
        name: [
            json.loads(cli("show", a["ref"], "--format", "json").out)["properties"]["body"]
            for a in json.loads(cli("show", row["ref"], "--format", "json").out)["associations"]
            if a["type"] == "note"
        ]
        for name, row in people.items()
    }
    assert notes["Ana Lindqvist"] == ["Met at the fair, keen on the pilot.\nCall in May."]
    assert notes["Åsa Öberg"] == ["Första raden\nAndra raden som fortsätter här"]
    assert notes["Cleo Ek"][0].endswith("seventy-five octets, as RFC 6350 says.")
    history = json.loads(cli("history", ana["ref"], "--format", "json").out)
    assert {entry["source"] for entry in history} == {"Import"}


def test_export_then_import_round_trips(cli, tmp_path, db_url):
    path = _cards(tmp_path, "in.vcf", APPLE, GOOGLE, ANDROID, THUNDERBIRD)
    cli("import", path)
    before = _contacts(cli)
    out = tmp_path / "out.vcf"
    cli("export", "contact", "--format", "vcf", "-o", str(out))
    text = out.read_text(encoding="utf-8")
    assert text.count("BEGIN:VCARD") == 4 and "VERSION:4.0" in text
    assert "UID:8D6E2A61-7C2B-4B54-9A55-1F0D2C9E5A11" in text
    assert all(len(line.encode()) <= 75 for line in text.splitlines())  # folded
    again = json.loads(cli("import", str(out), "--format", "json").out)
    assert again["created"] == {"contact": 0, "company": 0}
    assert again["unchanged"] == {"contact": 4} and again["notes_created"] == 0
    assert _contacts(cli) == before
    three = tmp_path / "three.vcf"
    cli("export", "contact", "--format", "vcf", "--vcard-version", "3.0", "-o", str(three))
    assert "VERSION:3.0" in three.read_text(encoding="utf-8")


def test_the_uid_finds_the_contact_whose_email_changed(cli, tmp_path):
    cli("import", _cards(tmp_path, "a.vcf", THUNDERBIRD))
    moved = THUNDERBIRD.replace("cleo@helix.example", "cleo@lumen.example")
    summary = json.loads(cli("import", _cards(tmp_path, "b.vcf", moved), "--format", "json").out)
    assert summary["created"]["contact"] == 0 and summary["updated"] == {"contact": 1}
    assert _contacts(cli)["Cleo Ek"]["properties"]["email"] == "cleo@lumen.example"


def test_the_email_finds_a_contact_made_elsewhere(cli, tmp_path):
    ref = cli("add", "contact", "first_name=Björn", "email=bjorn@acme.test").out.split()[-1]
    cli("import", _cards(tmp_path, "g.vcf", GOOGLE))
    people = _contacts(cli)
    assert list(people) == ["Björn Berg"] and people["Björn Berg"]["ref"] == ref


def test_a_bad_card_imports_nothing(cli, tmp_path):
    cli("domains")  # the first write of the day purges the bin: done before the snapshot
    before = snapshot()
    broken = GOOGLE.replace("bjorn@acme.test", "not an address")
    result = cli("import", _cards(tmp_path, "x.vcf", APPLE, broken), expect=2)
    assert "card 2 (Björn Berg)" in result.err and "nothing was imported" in result.err
    assert result.err.count("\n") == 1
    assert snapshot() == before


def test_a_dry_run_writes_nothing_and_an_import_can_be_reverted(cli, tmp_path):
    cli("domains")  # the first write of the day purges the bin: done before the snapshot
    before = snapshot()
    path = _cards(tmp_path, "a.vcf", APPLE, ANDROID)
    dry = json.loads(cli("import", path, "--dry-run", "--format", "json").out)
    assert dry["dry_run"] and dry["created"]["contact"] == 2
    assert snapshot() == before
    done = json.loads(cli("import", path, "--format", "json").out)
    assert len(_contacts(cli)) == 2
    cli("import", "--revert", done["import_id"])
    assert _contacts(cli) == {}


def test_export_of_one_contact_or_a_selection(cli, tmp_path):
    cli("import", _cards(tmp_path, "a.vcf", APPLE, GOOGLE, THUNDERBIRD))
    people = _contacts(cli)
    one = cli("export", "contact", "--format", "vcf", "--ref", people["Cleo Ek"]["ref"]).out
    assert one.count("BEGIN:VCARD") == 1 and "FN:Cleo Ek" in one
    titled = cli("export", "contact", "--format", "vcf", "--where", "job_title=CTO").out
    assert titled.count("BEGIN:VCARD") == 1 and "FN:Ana Lindqvist" in titled
    refused = cli("export", "company", "--format", "vcf", expect=2)
    assert "contacts" in refused.err


def test_a_file_that_is_not_a_vcard_is_refused_in_one_line(cli, tmp_path):
    path = tmp_path / "junk.vcf"
    path.write_text("this is not a card\n")
    result = cli("import", str(path), expect=2)
    assert result.err.count("\n") == 1 and "junk.vcf" in result.err
