"""Encodings, delimiters, header matching, dedup and modes, dry run, error file, limits, revert."""

from __future__ import annotations

import csv

import pytest

from rolodex.crm import associations, history, labels, limits, records
from rolodex.crm.check import run as check_run
from rolodex.store.models import Association, Import, Record
from tests.conftest import HOSTILE_NAMES
from tests.io.conftest import fingerprint, holders_of, import_id, made_labels, run_import

TEXT = "First Name,Last Name,Email\nÅsa,Öberg,asa@acme.com\nJosé,Nuñez,jose@acme.com\n"


def _names() -> list[str]:
    return sorted(r.name for r in Record.select())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_unicode_encodings_are_detected(db, write, encoding):
    result = run_import(write("contacts.csv", TEXT, encoding=encoding))
    assert result.code == 0, result.err
    assert _names() == ["José Nuñez", "Åsa Öberg"]
    assert "Latin-1" not in result.err


def test_latin1_is_read_with_a_warning(db, write):
    result = run_import(write("contacts.csv", TEXT, encoding="latin-1"))
    assert result.code == 0
    assert _names() == ["José Nuñez", "Åsa Öberg"]
    assert "Latin-1" in result.err and "contacts.csv" in result.err


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_and_quoted_newlines(db, write, delimiter):
    rows = [
        ["Company name", "Company Domain Name", "City"],
        ['Acme, Inc; "the best"', "acme.com", "Line one\nline two"],
        ["Globex", "globex.com", ""],
    ]
    path = write("companies.csv", "")
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    result = run_import(path)
    assert result.code == 0, result.err
    acme = records.resolve("acme.com")
    assert acme.name == 'Acme, Inc; "the best"'
    assert acme.properties["city"] == "Line one\nline two"
    assert records.count("company") == 2


def test_header_matching_ignores_case_spacing_and_unicode_form(db, write):
    # full-width letters (NFKC), odd case and spacing, snake case
    header = "  FIRST   name ,ｅｍａｉｌ,job_title\n"
    result = run_import(write("contacts.csv", header + "Ana,ana@acme.com,CEO\n"))
    assert result.code == 0, result.err
    ana = records.resolve("ana@acme.com")
    assert ana.properties == {"first_name": "Ana", "email": "ana@acme.com", "job_title": "CEO"}


def test_hostile_text_is_kept_verbatim(db, write):
    lines = ["Deal Name,Amount"] + [
        '"{}",1'.format(name.replace('"', '""')) for name in HOSTILE_NAMES
    ]
    result = run_import(write("deals.csv", "\n".join(lines) + "\n"))
    assert result.code == 0, result.err
    assert sorted(_names()) == sorted(n.strip() for n in HOSTILE_NAMES)


def test_dedup_contacts_by_email_companies_by_domain_any_by_record_id(db, write):
    run_import(
        write(
            "a.csv",
            "Record ID,First Name,Email\n1,Ana,ana@acme.com\n",
        ),
        write("companies.csv", "Company name,Company Domain Name\nAcme,acme.com\n"),
        write("deals.csv", "Record ID,Deal Name\n50,Old name\n"),
    )
    result = run_import(
        write("contacts.csv", "First Name,Email\nAnna,ANA@acme.com\n"),
        write("companies.csv", "Company name,Company Domain Name\nAcme AB,https://www.acme.com/\n"),
        write("deals.csv", "Record ID,Deal Name\n50,New name\n"),
    )
    assert result.code == 0, result.err
    assert "records created: 0" in result.out
    assert "records updated: 3" in result.out
    assert records.resolve("ana@acme.com").name == "Anna"
    assert records.resolve("acme.com").name == "Acme AB"
    assert [records.get(r).name for r in holders_of("50")] == ["New name"]


def test_modes_create_and_update(db, write, tmp_path):
    run_import(write("contacts.csv", "Email,First Name\nana@acme.com,Ana\n"))
    both = write("both.csv", "Email,First Name\nana@acme.com,Anna\nbo@acme.com,Bo\n")
    errors = str(tmp_path / "errors.csv")
    result = run_import(both, mode="create", errors=errors)
    assert result.code == 1
    assert "DUPLICATE_ROW 1" in result.out
    assert records.resolve("ana@acme.com").name == "Ana"
    assert records.resolve("bo@acme.com").name == "Bo"
    third = write("third.csv", "Email,First Name\nana@acme.com,Anna\ncy@acme.com,Cy\n")
    result = run_import(third, mode="update", errors=errors)
    assert result.code == 1
    assert "RECORD_NOT_FOUND 1" in result.out
    assert records.resolve("ana@acme.com").name == "Anna"
    assert records.count("contact") == 2
    with open(errors, encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [
        "Source file",
        "Source row",
        "Email",
        "First Name",
        "Error code",
        "Error message",
    ]
    assert rows[1][:5] == [third, "3", "cy@acme.com", "Cy", "RECORD_NOT_FOUND"]


def test_every_reason_code_reaches_the_error_file(db, write, tmp_path, ctx):
    labels.create("contact", "company", "Billing contact")
    records.create("company", {"name": "Dup one", "domain": "dup.com"})
    records.create("company", {"name": "Dup two", "domain": "dup.com"})
    full = records.create("company", {"name": "Full", "domain": "full.com"})
    limits.set_limit("company", "contact", 1)
    first = records.create("contact", {"email": "first@full.com"})
    associations.associate(first.id, full.id, ctx)
    run_import(
        write("companies.csv", "Record ID,Company name,Company Domain Name\n7,Acme,acme.com\n")
    )
    path = write(
        "contacts.csv",
        "Record ID,Email,Associated Company IDs,Associated Company Labels,Associated Company,"
        "Associated Company REFs\n"
        "1,ok@acme.com,7,7: Billing contact,,\n"
        "2,label@acme.com,7,7: Nope,,\n"
        "3,limit@acme.com,,,Full (full.com),\n"
        f"{'4' * 300},id@acme.com,,,,\n"
        "1,again@acme.com,,,,\n"
        "6,dup@acme.com,,,Dup (dup.com),\n"
        "7,not-an-email,,,,\n"
        "8,missing@acme.com,,,,company:999999\n",
    )
    errors = str(tmp_path / "errors.csv")
    before = fingerprint()
    result = run_import(path, errors=errors, dry_run=True)
    assert fingerprint() == before  # a dry run writes nothing
    assert "Dry run" in result.out
    assert "records created: 1 (contact 1)" in result.out
    result = run_import(path, errors=errors)
    with open(errors, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    codes = {row["Email"]: row["Error code"] for row in rows}
    assert codes == {
        "label@acme.com": "LABEL_NOT_FOUND",
        "limit@acme.com": "LIMIT_EXCEEDED",
        "id@acme.com": "INVALID_IDENTIFIER",
        "again@acme.com": "DUPLICATE_ROW",
        "dup@acme.com": "MULTIPLE_COMPANIES_WITH_THIS_DOMAIN",
        "not-an-email": "INVALID_VALUE",
        "missing@acme.com": "RECORD_NOT_FOUND",
    }
    assert all(row["Error message"] for row in rows)
    assert result.code == 1
    assert records.count("contact") == 2  # first@ and ok@: rejected rows left nothing
    assert check_run().ok


def test_dry_run_summary_matches_the_real_run(db, write):
    path = write(
        "people.csv",
        "First Name,Email,Company Name,Company Domain Name\nAna,ana@acme.com,Acme,acme.com\n",
    )
    before = fingerprint()
    dry = run_import(path, dry_run=True)
    assert fingerprint() == before
    real = run_import(path)
    strip = [line for line in dry.out.splitlines()[1:]]
    assert strip == real.out.splitlines()[1 : len(strip) + 1]
    assert "associations created: 1" in real.out


def test_revert_undoes_a_whole_import_with_history(db, write, ctx):
    acme = records.create("company", {"name": "Acme", "domain": "acme.com"})
    old = records.create("contact", {"email": "old@acme.com", "first_name": "Old"})
    associations.associate(old.id, acme.id, ctx)
    result = run_import(
        write(
            "contacts.csv",
            "Email,First Name,Associated Company IDs (Primary)\n"
            "old@acme.com,Changed,9\nnew@acme.com,New,9\n",
        ),
        write("companies.csv", "Record ID,Company name,Company Domain Name\n9,Globex,globex.com\n"),
    )
    batch = import_id(result)
    assert associations.primary_company(old.id) == records.resolve("globex.com").id
    reverted = run_import(revert=batch)
    assert reverted.code == 0, reverted.err
    assert records.count("contact") == 1 and records.count("company") == 1
    assert records.get(old.id).name == "Old"
    assert associations.primary_company(old.id) == acme.id
    assert Association.select().count() == 1
    assert Import.get_by_id(batch).reverted_at is not None
    entries = history.record_history(old.id)
    assert entries[0].source == "Import" and entries[0].batch == f"{batch}-revert"
    assert check_run().ok
    again = run_import(revert=batch)
    assert again.code == 2 and "rolodex: error: " in again.err and "already reverted" in again.err
    assert run_import(revert="import-nope").code == 2


def test_preview_shows_how_each_header_was_understood(db, write):
    from rolodex.io.importer import preview

    path = write(
        "contacts.csv",
        "Record ID,First Name,Associated Company IDs (Primary),Association label,Shoe size\n",
    )
    columns, notes = preview(path)
    meanings = dict(columns)
    assert meanings["Record ID"] == "contact Record ID"
    assert meanings["First Name"] == "contact property first_name"
    assert meanings["Associated Company IDs (Primary)"] == "primary company id"
    assert meanings["Association label"] == "association label"
    assert meanings["Shoe size"].startswith("ignored")
    assert any("Shoe size" in note for note in notes)


def test_revert_removes_labels_the_import_created(db, write):
    run_import(
        write("companies.csv", "Record ID,Company name,Company Domain Name\n7,Acme,acme.com\n")
    )
    path = write(
        "contacts.csv",
        "Record ID,Email,Associated Company IDs,Associated Company Labels\n1,ana@x.com,7,7: Owner\n",
    )
    result = run_import(path, create_labels=True)
    assert [label.name for label in made_labels()] == ["Owner"]
    reverted = run_import(revert=import_id(result))
    assert "labels it created, deleted: 1" in reverted.out
    assert made_labels() == []
    assert records.count("contact") == 0 and records.count("company") == 1
