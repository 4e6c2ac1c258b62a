"""Import of the file shapes of design section 5, across files and in any order."""

from __future__ import annotations

import itertools

import pytest

from rolodex.crm import associations, history, labels, records
from rolodex.crm.check import run as check_run
from rolodex.store.models import History, Import, Record
from tests.io.conftest import import_id, run_import, source_ids

CONTACTS = """Record ID,First Name,Last Name,Email,Create Date,Associated Company IDs,Associated Company IDs (Primary),Associated Deal IDs,Associated Ticket IDs,Associated Contact IDs
101,Ana,Lind,ana@acme.com,2024-01-01,501;502,502,901,701,102
102,Bo,Berg,bo@globex.com,2024-01-02,503,,901,,
103,Cy,Dahl,cy@acme.com,2024-01-03,501,,,,
"""
COMPANIES = """Record ID,Company name,Company Domain Name,Industry,Associated Contact IDs,Associated Deal IDs
501,Acme,acme.com,Tools,101;103,901
502,Acme Nordic,acme.se,,101,
503,Globex,globex.com,,102,
"""
DEALS = """Record ID,Deal Name,Amount,Deal Stage,Associated Contact IDs,Associated Company IDs,Associated Company IDs (Primary)
901,Big deal,1000,won,101;102,501,501
902,Small deal,10,open,,,
"""
TICKETS = """Record ID,Ticket name,Ticket status,Priority,Associated Contact IDs,Associated Company IDs
701,Broken widget,open,high,101,502
"""
FILES = {
    "contacts.csv": CONTACTS,
    "companies.csv": COMPANIES,
    "deals.csv": DEALS,
    "tickets.csv": TICKETS,
}


def _ref(email_or_domain: str) -> int:
    return records.resolve(email_or_domain).id


def _by_name(type_key: str, name: str) -> int:
    from rolodex.crm import objects

    return (
        Record.select(Record.id)
        .where((Record.object_type == objects.by_key(type_key).id) & (Record.name == name))
        .scalar()
    )


def _links(record_id: int) -> dict[str, tuple]:
    return {a.other_name: (a.labels, a.primary) for a in associations.all_of(record_id)}


def _assert_real_export_arrived() -> None:
    ana, bo, cy = _ref("ana@acme.com"), _ref("bo@globex.com"), _ref("cy@acme.com")
    acme, nordic, globex = _ref("acme.com"), _ref("acme.se"), _ref("globex.com")
    big, small = _by_name("deal", "Big deal"), _by_name("deal", "Small deal")
    ticket = _by_name("ticket", "Broken widget")
    assert set(_links(ana)) == {"Acme", "Acme Nordic", "Big deal", "Broken widget", "Bo Berg"}
    # The (Primary) column wins, whichever company arrived first.
    assert associations.primary_company(ana) == nordic
    assert associations.primary_company(bo) == globex
    assert associations.primary_company(cy) == acme
    assert associations.primary_company(big) == acme
    assert associations.primary_company(ticket) == nordic
    assert set(_links(acme)) == {"Ana Lind", "Cy Dahl", "Big deal"}
    assert set(_links(big)) == {"Ana Lind", "Bo Berg", "Acme"}
    assert _links(small) == {}
    assert set(_links(bo)) == {"Globex", "Big deal", "Ana Lind"}
    # the source ids were kept per object type
    assert source_ids(ana) == ["101"]
    assert source_ids(acme) == ["501"]
    assert check_run().ok


ORDERS = list(itertools.permutations(FILES))


@pytest.mark.parametrize(
    "order", [ORDERS[i] for i in (0, 5, 11, 17, 23)], ids=lambda o: ">".join(n[:2] for n in o)
)
def test_four_files_in_separate_imports_in_any_order(db, write, order):
    paths = {name: write(name, text) for name, text in FILES.items()}
    for name in order:
        result = run_import(paths[name])
        assert result.code == 0, result.err
    _assert_real_export_arrived()
    assert not list(
        __import__("rolodex.io.models", fromlist=["PendingLink"]).PendingLink.select()
    ), "every waiting association was linked"


def test_four_files_in_one_import(db, write):
    paths = [write(name, text) for name, text in FILES.items()]
    result = run_import(*reversed(paths))
    assert result.code == 0, result.err
    assert "records created: 9" in result.out
    _assert_real_export_arrived()


def test_history_rows_carry_source_import_and_the_import_id(db, write):
    result = run_import(write("contacts.csv", CONTACTS), write("companies.csv", COMPANIES))
    batch = import_id(result)
    assert Import.get_by_id(batch).reverted_at is None
    rows = list(History.select())
    assert rows and all(r.source == "Import" and r.batch == batch for r in rows)
    entries = history.record_history(_ref("ana@acme.com"))
    assert {e.source for e in entries} == {"Import"}


def test_multi_object_rows_are_associated_and_labelled(db, write):
    labels.create("contact", "company", "Billing contact")
    labels.create("contact", "company", "Manager", inverse="Managed company")
    path = write(
        "people.csv",
        "First Name,Last Name,Email,Company Name,Company Domain Name,Association label\n"
        "Ana,Lind,ana@acme.com,Acme,acme.com,Billing contact\n"
        "Bo,Berg,bo@acme.com,Acme,acme.com,Manager\n"
        "Cy,Dahl,cy@globex.com,Globex,globex.com,\n"
        "Ana,Lind,ana@acme.com,Globex,globex.com,\n",
    )
    result = run_import(path)
    assert result.code == 0, result.err + result.out
    acme = _ref("acme.com")
    assert records.count("company") == 2  # the company on several rows is one record
    seen_from_acme = _links(acme)
    assert seen_from_acme["Ana Lind"] == (("Billing contact",), False)
    assert seen_from_acme["Bo Berg"] == (("Manager",), False)
    ana = _ref("ana@acme.com")
    assert _links(ana)["Acme"] == (("Billing contact",), True)
    assert _links(ana)["Globex"] == ((), False)  # the first company stays primary
    assert _links(bo := _ref("bo@acme.com"))["Acme"] == (("Managed company",), True), bo
    assert "labels applied: 2" in result.out


def test_same_object_column_and_name_columns(db, write):
    run_import(
        write(
            "companies.csv",
            "Company name,Company Domain Name\nAcme,acme.com\nGlobex,globex.com\n",
        )
    )
    path = write(
        "contacts.csv",
        "First Name,Email,Associated contact [email],Associated Company\n"
        "Ana,ana@acme.com,bo@acme.com;cy@acme.com,Acme (acme.com)\n"
        "Bo,bo@acme.com,,Globex (globex.com);Acme (acme.com)\n"
        "Cy,cy@acme.com,,\n",
    )
    result = run_import(path)
    assert result.code == 0, result.err
    ana, bo, cy = _ref("ana@acme.com"), _ref("bo@acme.com"), _ref("cy@acme.com")
    assert set(_links(ana)) == {"Bo", "Cy", "Acme"}
    assert set(_links(cy)) == {"Ana"}  # the contact named later in the file still linked
    assert associations.primary_company(bo) == _ref("globex.com")  # first company imported


def test_name_column_for_a_company_not_imported_yet_links_later(db, write):
    run_import(write("contacts.csv", "Email,Associated Company\nana@acme.com,Acme (acme.com)\n"))
    assert _links(_ref("ana@acme.com")) == {}
    run_import(write("companies.csv", "Company name,Company Domain Name\nAcme,acme.com\n"))
    assert _links(_ref("ana@acme.com")) == {"Acme": ((), True)}


def test_labels_columns_and_unknown_label(db, write, tmp_path):
    labels.create("contact", "company", "Billing contact")
    run_import(
        write("companies.csv", "Record ID,Company name,Company Domain Name\n7,Acme,acme.com\n")
    )
    path = write(
        "contacts.csv",
        "Record ID,Email,Associated Company IDs,Associated Company Labels\n"
        "1,ana@acme.com,7,7: Billing contact\n"
        "2,bo@acme.com,7,7: Owner\n",
    )
    errors = str(tmp_path / "errors.csv")
    result = run_import(path, errors=errors)
    assert result.code == 1
    assert "LABEL_NOT_FOUND 1" in result.out
    assert records.count("contact") == 1  # the rejected row left no contact behind
    with open(errors, encoding="utf-8") as handle:
        text = handle.read()
    assert "bo@acme.com" in text and "LABEL_NOT_FOUND" in text and "Owner" in text
    assert _links(_ref("acme.com"))["ana@acme.com"] == (("Billing contact",), False)
    result = run_import(path, create_labels=True)
    assert result.code == 0, result.err
    assert _links(_ref("acme.com"))["bo@acme.com"] == (("Owner",), False)
    assert "labels created: 1" in result.out


def test_primary_column_sets_primary_and_first_company_only_when_none(db, write, ctx):
    acme = records.create("company", {"name": "Acme", "domain": "acme.com"})
    ana = records.create("contact", {"email": "ana@acme.com"})
    associations.associate(ana.id, acme.id, ctx)
    run_import(
        write(
            "companies.csv",
            "Record ID,Company name,Company Domain Name\n8,Globex,globex.com\n9,Initech,initech.com\n",
        )
    )
    run_import(write("c1.csv", "Email,Associated Company IDs\nana@acme.com,8\n"))
    assert associations.primary_company(ana.id) == acme.id  # she already had one
    run_import(write("c2.csv", "Email,Associated Company IDs (Primary)\nana@acme.com,9\n"))
    assert associations.primary_company(ana.id) == _ref("initech.com")
    assert set(_links(ana.id)) == {"Acme", "Globex", "Initech"}
