"""The dry run shows every match: per row the record it matched (by which key) or creates,
each association it makes, finds made already or leaves waiting; rejected rows too."""

from __future__ import annotations

import csv

from rolodex.crm import associations, records
from tests.io.conftest import fingerprint, run_import

COMPANIES = "Record ID,Company name,Company Domain Name\n7,Acme,acme.com\n"
PEOPLE = (
    "Record ID,First Name,Email,Associated Company IDs,Associated Deal,Associated Company\n"
    "1,Ana,ana@acme.com,7,Big deal,\n"  # new; links to an existing company; a deal waits
    "2,Bo,bo@acme.com,7;8,,\n"  # existing by email, renamed; company 8 waits
    "3,Cy,not-an-email,,,\n"  # rejected
    "4,Dee,dee@acme.com,,,Acme (acme.com)\n"  # a company named by its domain
)


def _report(path: str) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_dry_run_report_shows_every_match(db, write, tmp_path, ctx):
    run_import(write("companies.csv", COMPANIES))
    bob = records.create("contact", {"email": "bo@acme.com", "first_name": "Bob"})
    acme = records.resolve("acme.com").id
    people = write("people.csv", PEOPLE)
    report = str(tmp_path / "report.csv")
    before = fingerprint()
    result = run_import(people, dry_run=True, report=report)
    assert fingerprint() == before  # a dry run writes nothing, and says so line by line
    assert "every match (9 lines) was written to" in result.out
    rows = _report(report)
    assert [(r["Source row"], r["What"], r["Outcome"]) for r in rows] == [
        ("2", "contact", "create"),
        ("2", "association", "link"),
        ("2", "association", "wait"),
        ("3", "contact", "update"),
        ("3", "association", "link"),
        ("3", "association", "wait"),
        ("4", "row", "rejected"),
        ("5", "contact", "create"),
        ("5", "association", "link"),
    ]
    ana, ana_link, deal_wait, bo, bo_link, bo_wait, rejected, _dee, dee_link = rows
    assert (ana["Record"], ana["Name"], ana["Matched by"], ana["Key"]) == (
        "new contact",
        "Ana",
        "Record ID",
        "1",
    )
    assert (ana_link["Matched by"], ana_link["Key"], ana_link["Other record"]) == (
        "Record ID",
        "7",
        f"company:{acme}",
    )
    assert (deal_wait["Matched by"], deal_wait["Key"]) == ("name", "Big deal")
    assert deal_wait["Other record"] == "a deal not imported yet"
    assert (bo["Record"], bo["Matched by"], bo["Key"]) == (
        f"contact:{bob.id}",
        "email",
        "bo@acme.com",
    )
    assert bo["Detail"] == "first_name: 'Bob' -> 'Bo'"
    assert bo_link["Other record"] == f"company:{acme}" and bo_wait["Key"] == "8"
    assert rejected["Detail"].startswith("INVALID_VALUE: ")
    assert (dee_link["Matched by"], dee_link["Key"]) == ("domain", "acme.com")


def test_a_second_import_finds_its_links_made_already(db, write, tmp_path):
    run_import(write("companies.csv", COMPANIES))
    path = write("contacts.csv", "Email,Associated Company IDs\nana@acme.com,7\n")
    assert run_import(path).code == 0
    report = str(tmp_path / "again.csv")
    assert run_import(path, report=report).code == 0
    rows = _report(report)
    assert [(r["What"], r["Outcome"]) for r in rows] == [
        ("contact", "unchanged"),
        ("association", "linked already"),
    ]
    ana = records.resolve("ana@acme.com").id
    assert rows[0]["Record"] == f"contact:{ana}"
    assert len(associations.all_of(ana)) == 1
