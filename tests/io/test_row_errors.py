"""Rows, not files, are rejected; the error file can be fixed and imported as it is;
Windows-1252 is told apart from Latin-1 and mis-decoded text is never imported silently."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from rolodex.crm import records
from rolodex.io.sniff import open_table
from rolodex.store.models import Record
from tests.io.conftest import run_import


def _names() -> list[str]:
    return sorted(r.name for r in Record.select())


def _error_rows(path: str) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_an_unterminated_quote_is_one_rejected_row_reported_where_it_opened(db, write, tmp_path):
    text = (
        "First Name,Email,Job Title\n"
        "Ana,ana@acme.com,CEO\n"
        'Bo,bo@acme.com,"Head of\nsales"\n'  # a quoted field on two lines: fine
        'Cy,cy@acme.com,"Stray quote\n'  # line 5: never closed
        "Dee,dee@acme.com,CFO\n"
        "Eve,eve@acme.com,CTO\n"
    )
    errors = str(tmp_path / "errors.csv")
    result = run_import(write("people.csv", text), errors=errors)
    assert result.code == 1
    assert "UNTERMINATED_QUOTE 1" in result.out and "accepted: 4" in result.out
    assert "the quote opened on line 5 is never closed" in result.err
    # the rows after the stray quote were not swallowed into it
    assert _names() == ["Ana", "Bo", "Dee", "Eve"]
    assert records.resolve("bo@acme.com").properties["job_title"] == "Head of\nsales"
    (row,) = _error_rows(errors)
    assert row["Email"] == "cy@acme.com" and row["Error code"] == "UNTERMINATED_QUOTE"


def test_an_over_long_quoted_cell_is_one_rejected_row_and_leaves_no_junk(db, write, tmp_path):
    body = "\n".join(f"line {i} of a long note" for i in range(60_000))  # > 1M characters
    text = f'First Name,Email,Job Title\nAna,ana@acme.com,"{body}"\nBo,bo@acme.com,CFO\n'
    result = run_import(write("people.csv", text))
    assert result.code == 1
    assert "CELL_TOO_LONG 1" in result.out and "rows read: 2, accepted: 1" in result.out
    assert _names() == ["Bo"]  # not one contact per line of the note


@pytest.mark.parametrize("only_id", ["Record ID\n101\n102\n", "Record ID,Email\n101,\n"])
def test_a_row_with_only_a_record_id_creates_nothing(db, write, only_id):
    result = run_import(write("contacts.csv", only_id))
    assert result.code == 1 and "NO_PROPERTIES" in result.out
    assert records.count("contact") == 0


def test_a_record_id_only_file_links_existing_records_and_creates_none(db, write):
    # The shape of a file made to associate records that already exist (HubSpot API seed).
    run_import(write("contacts.csv", "Record ID,Email\n1,ana@acme.com\n"))
    run_import(write("companies.csv", "Record ID,Company name\n7,Acme\n"))
    result = run_import(
        write("contact-links.csv", "Record ID,Associated Company IDs\n1,7\n2,7\n"),
        write("more.csv", "Contact ID\n1\n3\n"),
    )
    assert result.code == 1 and "NO_PROPERTIES 2" in result.out
    assert "associations created: 1" in result.out
    assert records.count("contact") == 1


def test_error_files_of_several_files_are_fixed_and_imported_as_they_are(db, write, tmp_path):
    contacts = write(
        "contacts.csv",
        "Record ID,First Name,Email,Associated Company IDs\n"
        "1,Ana,ana@acme.com,7\n"
        "2,Bo,not-an-email,7\n"
        "3,Cy,cy@acme.com,7,surplus\n",
    )
    companies = write(
        "companies.csv",
        "Record ID,Company name,Company Domain Name\n7,Acme,acme.com\n8,Globex,not a domain\n",
    )
    errors = str(tmp_path / "errors.csv")
    result = run_import(contacts, companies, errors=errors)
    assert result.code == 1
    written = sorted(Path(tmp_path).glob("errors-*.csv"))
    assert [p.name for p in written] == ["errors-companies.csv", "errors-contacts.csv"]
    assert not Path(errors).exists()
    for path in written:
        assert f"rejected rows were written to {path}" in result.err
    with open(tmp_path / "errors-contacts.csv", encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == [
        "Source file",
        "Source row",
        "Record ID",
        "First Name",
        "Email",
        "Associated Company IDs",
        "Error code",
        "Error message",
    ]
    assert [line[:3] for line in lines[1:]] == [[contacts, "3", "2"], [contacts, "4", "3"]]
    assert all(len(line) == len(lines[0]) for line in lines)
    # Fix the values in the error files, then import them exactly as they are.
    for path in written:
        text = path.read_text(encoding="utf-8")
        text = text.replace("not-an-email", "bo@acme.com").replace("not a domain", "globex.com")
        path.write_text(text, encoding="utf-8")
    again = run_import(*[str(p) for p in written])
    assert again.code == 0, again.err + again.out
    assert "unknown" not in again.err and "not a known property" not in again.err
    assert _names() == ["Acme", "Ana", "Bo", "Cy", "Globex"]
    assert records.resolve("globex.com").name == "Globex"


# ---------------------------------------------------------------- encodings

WINDOWS = "First Name,Email,Job Title\nÅsa,asa@acme.com,Sales – “Nordics” €\n"


def test_windows_1252_is_told_apart_from_latin_1(db, write):
    result = run_import(write("contacts.csv", WINDOWS, encoding="cp1252"))
    assert result.code == 0, result.err
    assert "Windows-1252" in result.err
    assert records.resolve("asa@acme.com").properties["job_title"] == "Sales – “Nordics” €"
    assert records.resolve("asa@acme.com").name == "Åsa"


def test_latin_1_without_windows_bytes_reads_the_same(db, write):
    result = run_import(write("contacts.csv", "First Name,Email\nJosé,jose@acme.com\n", "latin-1"))
    assert result.code == 0 and "Latin-1" in result.err
    assert records.resolve("jose@acme.com").name == "José"


def test_text_that_decodes_to_control_characters_is_rejected_not_imported(db, write, tmp_path):
    # 0x81 and 0x8D are not Windows-1252: in Latin-1 they are C1 control characters.
    data = b"First Name,Email\nAna,ana@acme.com\nB\x81o,bo@acme.com\nC\x8dy,cy@acme.com\n"
    result = run_import(write("contacts.csv", data), errors=str(tmp_path / "e.csv"))
    assert result.code == 1
    assert "neither UTF-8 nor Windows-1252" in result.err and "0x81, 0x8D" in result.err
    assert "INVALID_TEXT 2" in result.out
    assert "U+0081" in result.err
    assert _names() == ["Ana"]
    # Text double-encoded through Latin-1 (UTF-8 holding C1 characters) alike.
    doubled = "First Name,Email\nDee,dee@acme.com\nSales \u00e2\u0080\u0093,eve@acme.com\n"
    result = run_import(write("doubled.csv", doubled))
    assert result.code == 1 and "INVALID_TEXT 1" in result.out
    assert _names() == ["Ana", "Dee"]


def test_rows_stream_with_their_problems(write):
    path = write("x.csv", 'A,B\n1,2\n3,4,5\n"6,7\n8,9\n')
    with open_table(path) as table:
        got = [(n, cells, p.code if p else None) for n, cells, p in table.rows]
    assert got[0] == (2, ["1", "2"], None)
    assert got[1] == (3, ["3", "4"], "RAGGED_ROW")
    assert got[2][0] == 4 and got[2][2] == "UNTERMINATED_QUOTE"
    assert got[3] == (5, ["8", "9"], None)
