"""Which record a row means: REFs of this database, REFs of another, other systems' ids."""

from __future__ import annotations

import csv
import io

from rolodex.crm import associations, lifecycle, records
from rolodex.crm.check import run as check_run
from rolodex.crm.context import api
from rolodex.store.models import Association, History, Record
from tests.io.conftest import holders_of, run_export, run_import, source_ids


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _write_rows(path: str, rows: list[dict[str, str]]) -> str:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_ids_are_any_text_scoped_per_system_and_object(db, write):
    salesforce = write(
        "accounts.csv",
        "Id,Company name,Company Domain Name\n001x0000002xLCVAA2,Gravity,gravity.example\n"
        "101,Numbers Inc,numbers.example\n",
    )
    assert run_import(salesforce, source="salesforce").code == 0
    hubspot = write("contacts.csv", "Record ID,First Name\n101,Ana\n")
    assert run_import(hubspot, source="hubspot").code == 0
    # The same id in another system, and in another object: other records.
    assert run_import(write("contacts2.csv", "Record ID,First Name\n101,Bo\n")).code == 0
    assert records.count("company") == 2 and records.count("contact") == 2
    assert sorted(records.get(r).name for r in holders_of("101")) == ["Ana", "Bo", "Numbers Inc"]
    # The same id in the same system and object: the same record.
    again = run_import(write("c3.csv", "Record ID,Job Title\n101,CEO\n"), source="hubspot")
    assert "records created: 0" in again.out and "records updated: 1" in again.out
    ana = next(r for r in holders_of("101") if records.get(r).name == "Ana")
    assert records.get(ana).properties["job_title"] == "CEO"
    assert source_ids(records.resolve("gravity.example").id) == ["001x0000002xLCVAA2"]


def test_own_export_reimported_updates_in_place_and_never_relinks(db, write, tmp_path):
    # A HubSpot import gives company "5" a Record ID that is another company's Rolodex id.
    for _ in range(4):
        records.create("company", {"name": "Filler"})
    acme = records.create("company", {"name": "Acme", "domain": "acme.com"})
    assert acme.id == 5
    run_import(write("companies.csv", "Record ID,Company name\n5,Other Co\n"))
    run_import(
        write("contacts.csv", "Record ID,Email,Associated Company IDs\n1,ana@x.com,5\n"),
    )
    ana = records.resolve("ana@x.com")
    other = records.get(holders_of("5")[0])
    assert associations.primary_company(ana.id) == other.id
    history_before = History.select().count()

    exported = _rows(run_export("contact").out)
    assert exported[0]["Rolodex REF"] == f"contact:{ana.id}"
    assert exported[0]["Record ID"] == "1"
    assert exported[0]["Associated Company REFs"] == f"company:{other.id}"
    exported[0]["Job Title"] = "CTO"
    result = run_import(_write_rows(str(tmp_path / "contacts-edited.csv"), exported))
    assert result.code == 0, result.err
    assert "records created: 0" in result.out and "records updated: 1 (contact 1)" in result.out
    assert records.get(ana.id).properties["job_title"] == "CTO"
    assert records.get(ana.id).version == ana.version + 1
    # Acme (Rolodex id 5) was not linked: the REFs are Rolodex's, not HubSpot's "5".
    assert [a.other_id for a in associations.all_of(ana.id)] == [other.id]
    assert History.select().count() == history_before
    assert check_run().ok


def test_refs_of_this_database_must_name_its_live_records(db, write, tmp_path):
    ana = records.create("contact", {"email": "ana@x.com"})
    bo = records.create("contact", {"email": "bo@x.com"})
    acme = records.create("company", {"name": "Acme"})
    exported = [r for r in _rows(run_export("contact").out) if r["Email"] == "ana@x.com"]
    lifecycle.delete(bo.id, api())
    exported.append(dict(exported[0], **{"Rolodex REF": "contact:999", "Email": "x@x.com"}))
    exported.append(dict(exported[0], **{"Rolodex REF": f"contact:{acme.id}", "Email": "y@x.com"}))
    exported.append(dict(exported[0], **{"Rolodex REF": f"contact:{bo.id}", "Email": "bo@x.com"}))
    errors = str(tmp_path / "errors.csv")
    result = run_import(_write_rows(str(tmp_path / "contacts.csv"), exported), errors=errors)
    assert result.code == 1
    assert "RECORD_NOT_FOUND 2" in result.out and "RECORD_DELETED 1" in result.out
    with open(errors, encoding="utf-8") as handle:
        reasons = {row["Rolodex REF"]: row["Error message"] for row in csv.DictReader(handle)}
    assert "contact:999 does not exist" in reasons["contact:999"]
    assert f"id {acme.id} is a company" in reasons[f"contact:{acme.id}"]
    assert "recycle bin" in reasons[f"contact:{bo.id}"]
    assert records.count("contact") == 1 and records.get(ana.id).properties == {
        "email": "ana@x.com"
    }


def test_a_record_id_belonging_to_another_record_than_the_ref_is_rejected(db, write, tmp_path):
    run_import(write("contacts.csv", "Record ID,Email\n1,ana@x.com\n2,bo@x.com\n"))
    exported = _rows(run_export("contact").out)
    ana = next(r for r in exported if r["Email"] == "ana@x.com")
    ana["Record ID"] = "2"
    result = run_import(_write_rows(str(tmp_path / "contacts.csv"), [ana]))
    assert result.code == 1 and "INVALID_IDENTIFIER 1" in result.out
    assert "the id 2 belongs to" in result.err


def test_another_databases_export_imported_twice_creates_its_records_once(
    db, db_url, write, tmp_path
):
    from tests.io.test_export_roundtrip import _fresh

    acme = records.create("company", {"name": "Acme", "domain": "acme.com"})
    ana = records.create("contact", {"email": "ana@x.com", "first_name": "Ana"})
    associations.associate(ana.id, acme.id, api())
    contacts = str(tmp_path / "contacts.csv")
    companies = str(tmp_path / "companies.csv")
    assert run_export("contact", contacts).code == 0
    assert run_export("company", companies).code == 0
    _fresh(db_url, tmp_path, "other.db")
    assert run_import(contacts).code == 0  # the company is not there yet: the link waits
    assert run_import(companies).code == 0
    first = sorted(Record.select(Record.id).tuples())
    again = run_import(contacts, companies)
    assert again.code == 0, again.err
    assert "records created: 0" in again.out
    assert sorted(Record.select(Record.id).tuples()) == first
    assert Association.select().count() == 1
    new_ana = records.resolve("ana@x.com").id
    assert associations.primary_company(new_ana) == records.resolve("acme.com").id
