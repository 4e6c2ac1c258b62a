"""Column mapping: a file's own object first, HubSpot's standard properties in three
languages, Salesforce's field names, and what the user says (--map, --skip, a mapping
file, --keep-unknown)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from rolodex.crm import associations, objects, records
from rolodex.io import headers as hdr
from rolodex.io import mapping_file
from rolodex.io.importer import read_mapping
from tests.io.conftest import fingerprint, holders_of, run_import

FILES = Path(__file__).parent / "files"


def _copy(name: str, tmp_path: Path, as_name: str | None = None) -> str:
    target = tmp_path / (as_name or name)
    shutil.copyfile(FILES / name, target)
    return str(target)


def _meanings(path: str, overrides: hdr.Overrides | None = None) -> dict[str, str]:
    mapping, _notes = read_mapping(path, overrides)
    return {c.header: c.describe() for c in mapping.columns}


def test_a_contacts_export_keeps_its_columns_on_the_contact(db, write):
    path = write(
        "contacts.csv",
        "Record ID,First Name,Email,City,Country/Region,Industry,Phone Number\n"
        "1,Ana,ana@acme.com,Malmö,Sweden,Software,+46 40 1\n",
    )
    result = run_import(path)
    assert result.code == 0, result.err
    assert records.count("company") == 0  # no nameless company from City or Industry
    ana = records.resolve("ana@acme.com")
    assert ana.properties == {
        "first_name": "Ana",
        "email": "ana@acme.com",
        "city": "Malmö",
        "country": "Sweden",
        "industry": "Software",
        "phone": "+46 40 1",
    }
    assert associations.all_of(ana.id) == []


def test_a_companies_file_keeps_its_phone_on_the_company(db, write):
    path = write(
        "companies.csv",
        "Company name,Company Domain Name,Phone Number\nAcme,acme.com,+46 40 1\n",
    )
    assert run_import(path).code == 0
    assert records.count("contact") == 0  # no phantom contact holding only a phone
    assert records.resolve("acme.com").properties["phone"] == "+46 40 1"
    assert objects.by_key("company").property("phone").kind == "phone"


def test_the_hubspot_all_properties_export_imports(db, tmp_path, write):
    path = _copy("hubspot-contacts-all-properties.csv", tmp_path)
    with open(path, encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert len(header) == 170 and "Mobile Phone Number" in header and "Phone Number" in header
    companies = write(
        "companies.csv",
        "Record ID,Company name,Company Domain Name\n501,Acme,acme.com\n503,Globex,globex.com\n",
    )
    result = run_import(path, companies)
    assert result.code == 0, result.err + result.out
    assert "records created: 5 (company 2, contact 3)" in result.out
    ana = records.resolve("ana@acme.com")
    assert ana.properties["phone"] == "+46 40 123 45"
    assert ana.properties["mobile_phone"] == "+46 70 111 22 33"
    assert ana.properties["city"] == "Malmö"
    assert ana.properties["company_name"] == "Acme"  # her own text, not a company
    assert ana.properties["lead_status"] == "OPEN"
    assert "original_source" not in ana.properties  # not a standard property: skipped
    assert associations.primary_company(ana.id) == records.resolve("acme.com").id
    assert "columns are not known properties and were skipped" in result.err
    assert "'Original Source'" in result.err
    bo = records.resolve("bo@globex.com")
    assert bo.properties["fax"] == "+46 8 555 13"


def test_unknown_columns_can_be_kept_as_new_properties(db, tmp_path):
    path = _copy("hubspot-contacts-all-properties.csv", tmp_path, "export.csv")
    result = run_import(path, keep_unknown=True)
    assert result.code == 0, result.err
    ana = records.resolve("ana@acme.com")
    assert ana.properties["original_source"] == "ORGANIC_SEARCH"
    assert ana.properties["number_of_pageviews"] == "12"
    contact = objects.by_key("contact")
    assert contact.property("original_source").label == "Original Source"
    # every one of the 170 columns has a place: the contact's properties or the import's own
    assert len(contact.properties) > 150


def test_salesforce_accounts_are_companies_with_their_ids(db, tmp_path):
    path = _copy("salesforce-accountData.csv", tmp_path)
    meanings = _meanings(path)
    assert meanings["ID"] == "company Record ID"
    assert meanings["NAME"] == "company property name"
    assert meanings["BILLINGCITY"] == "company property city"
    assert meanings["PHONE"].startswith("company property phone")
    result = run_import(path, source="salesforce")
    assert result.code == 0, result.err
    assert records.count("company") == 5 and records.count("contact") == 0
    (gravity,) = holders_of("001x0000002xLCVAA2")
    assert records.get(gravity).properties["city"] == "FORT COLLINS"
    assert records.get(gravity).properties["phone"] == "(970) 555-0100"
    # the same accounts without their id column and under another name: still companies
    with open(path, encoding="utf-8", newline="") as handle:
        rows = [row[1:] for row in csv.reader(handle)]
    other = tmp_path / "export.csv"
    with open(other, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    assert _meanings(str(other))["PHONE"].startswith("company property phone")


@pytest.mark.parametrize(
    "name,email,phone,mobile,first",
    [
        ("hubspot-kontakter-sv.csv", "asa@exempel.se", "+46 40 123 45", "+46 70 123 45 67", "Åsa"),
        (
            "hubspot-contactos-es.csv",
            "jose@ejemplo.es",
            "+34 91 123 45 67",
            "+34 600 123 456",
            "José",
        ),
    ],
)
def test_hubspot_exports_in_swedish_and_spanish(db, tmp_path, name, email, phone, mobile, first):
    path = _copy(name, tmp_path, "export.csv")  # recognised by its columns alone
    result = run_import(path)
    assert result.code == 0, result.err
    person = records.resolve(email)
    assert person.properties["first_name"] == first
    assert person.properties["phone"] == phone
    assert person.properties["mobile_phone"] == mobile
    assert "city" in person.properties and "lifecycle_stage" in person.properties
    assert records.count("company") == 0  # Företagsnamn / Nombre de la empresa: her own text
    record_id = "201" if name.endswith("-sv.csv") else "301"  # Post-ID, ID de registro
    assert holders_of(record_id) == [person.id]


def test_map_and_skip_from_the_command_line(db, write):
    path = write(
        "people.csv",
        "Email,Firma,Telefon,Notes\nana@acme.com,Acme,+46 40 1,likes tea\n",
    )
    before = fingerprint()
    result = run_import(path, map=["Firma=Company name", "Telefon=contact.phone"], skip=["Notes"])
    assert result.code == 0, result.err
    assert fingerprint() != before
    ana = records.resolve("ana@acme.com")
    assert ana.properties == {"email": "ana@acme.com", "phone": "+46 40 1"}
    assert associations.primary_company(ana.id) is not None  # Firma made a company
    assert "Notes" not in result.err  # skipped on purpose: no note


def test_a_mapping_target_must_make_sense(db, write):
    path = write("contacts.csv", "Email,Shoe size\nana@acme.com,42\n")
    result = run_import(path, map=["Shoe size=spaceship.size"])
    assert result.code == 2 and "there is no object 'spaceship'" in result.err
    result = run_import(path, map=["Shoe size=wrong target words"])
    assert result.code == 2 and "use OBJECT.PROPERTY, skip, keep, auto" in result.err
    result = run_import(path, map=["Shoe size=contact.shoe_size"])
    assert result.code == 0
    assert records.resolve("ana@acme.com").properties["shoe_size"] == "42"


def test_a_mapping_file_is_saved_and_used_again(db, write, tmp_path):
    path = write("contacts.csv", "Email,Telefon,Notes,Lead Status\nana@acme.com,+46 1,x,new\n")
    saved = str(tmp_path / "mapping.csv")
    dry = run_import(
        path, map=["Telefon=contact.phone"], skip=["Lead Status"], dry_run=True, save_mapping=saved
    )
    assert dry.code == 0, dry.err
    with open(saved, encoding="utf-8", newline="") as handle:
        lines = {row[0]: row[1] for row in csv.reader(handle)}
    assert lines == {
        "Column": "Import as",
        "Email": "contact.email",
        "Telefon": "contact.phone",
        "Notes": "skip",
        "Lead Status": "skip",
        "(unknown columns)": "skip",
    }
    # Edited by hand (keep the notes), then used for another file with the same columns.
    text = Path(saved).read_text(encoding="utf-8").replace("Notes,skip", "Notes,keep")
    Path(saved).write_text(text, encoding="utf-8")
    other = write("more.csv", "Email,Telefon,Notes,Lead Status\nbo@acme.com,+46 2,y,open\n")
    result = run_import(other, mapping=saved)
    assert result.code == 0, result.err
    assert records.resolve("bo@acme.com").properties == {
        "email": "bo@acme.com",
        "phone": "+46 2",
        "notes": "y",
    }
    assert mapping_file.load(saved).get("telefon") == "contact.phone"


def test_two_columns_for_one_property_say_how_to_fix_it(db, write):
    path = write("contacts.csv", "Email,E-post\nana@acme.com,ana@acme.com\n")
    result = run_import(path)
    assert result.code == 2 and "both contact email" in result.err
    assert "--skip 'E-post'" in result.err
    assert run_import(path, skip=["E-post"]).code == 0


def test_a_property_an_import_gave_an_object_comes_back_in_a_fresh_database(
    db, db_url, write, tmp_path
):
    from tests.io.conftest import run_export
    from tests.io.test_export_roundtrip import _fresh

    run_import(
        write("contacts.csv", "Email,Mobile Phone Number,Shoe size\nana@acme.com,+46 70 1,42\n"),
        keep_unknown=True,
    )
    exported = str(tmp_path / "contacts-export.csv")
    assert run_export("contact", exported).code == 0
    with open(exported, encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    assert "Contact Mobile Phone Number" in header and "Contact Shoe size" in header
    _fresh(db_url, tmp_path, "fresh.db")
    assert run_import(exported, keep_unknown=True).code == 0
    assert records.resolve("ana@acme.com").properties == {
        "email": "ana@acme.com",
        "mobile_phone": "+46 70 1",
        "shoe_size": "42",
    }


def test_row_labels_are_created_when_asked(db, write):
    path = write(
        "people.csv",
        "First Name,Email,Company name,Company Domain Name,Association label\n"
        "Dee,dee@umbrella.com,Umbrella,umbrella.com,Billing contact\n",
    )
    assert run_import(path).code == 1  # the label does not exist
    result = run_import(path, create_labels=True)
    assert result.code == 0, result.err
    dee = records.resolve("dee@umbrella.com").id
    assert [a.labels for a in associations.all_of(dee)] == [("Billing contact",)]
