"""Name columns (``Associated Company``: ``Name`` or ``Name (email)`` joined by ``;``) wait
for their records like id columns do, across files and within a row; beside id columns
the ids win and the names are only checked."""

from __future__ import annotations

import itertools

import pytest

from rolodex.crm import associations, records
from rolodex.crm.check import run as check_run
from rolodex.io.models import PendingLink
from rolodex.store.models import Record
from tests.io.conftest import run_import

# A HubSpot export set: every association both as ids and as names, as HubSpot writes it.
HUBSPOT = {
    "companies.csv": (
        "Record ID,Company name,Company Domain Name,Associated Contact IDs,Associated Contact,"
        "Associated Deal IDs,Associated Deal\n"
        "501,Acme,acme.com,101;103,Ana Lind (ana@acme.com);Cy Dahl (cy@acme.com),901,Big deal\n"
        "503,Globex,globex.com,102,Bo Berg (bo@globex.com),,\n"
    ),
    "contacts.csv": (
        "Record ID,First Name,Last Name,Email,Associated Company IDs,Associated Company,"
        "Associated Deal IDs,Associated Deal,Associated Ticket IDs\n"
        "101,Ana,Lind,ana@acme.com,501,Acme,901,Big deal,701\n"
        "102,Bo,Berg,bo@globex.com,503,Globex,901,Big deal,\n"
        "103,Cy,Dahl,cy@acme.com,501,Acme,,,\n"
    ),
    "deals.csv": (
        "Record ID,Deal Name,Amount,Associated Company IDs,Associated Company,"
        "Associated Contact IDs,Associated Contact\n"
        "901,Big deal,1000,501,Acme,101;102,Ana Lind (ana@acme.com);Bo Berg (bo@globex.com)\n"
    ),
    "tickets.csv": (
        "Record ID,Ticket name,Associated Contact IDs,Associated Contact,Associated Company\n"
        "701,Broken widget,101,Ana Lind (ana@acme.com),Acme\n"
    ),
}

# The same set with names only (a file made by hand, or a CRM that exports no ids).
NAMES_ONLY = {
    "companies.csv": "Company name,Company Domain Name\nAcme,acme.com\nGlobex,globex.com\n",
    "contacts.csv": (
        "First Name,Last Name,Email,Associated Company,Associated Deal\n"
        "Ana,Lind,ana@acme.com,Acme,Big deal\n"
        "Bo,Berg,bo@globex.com,Globex (globex.com),Big deal\n"
        "Cy,Dahl,cy@acme.com,Acme,\n"
    ),
    "deals.csv": (
        "Deal Name,Amount,Associated Company,Associated Contact\n"
        "Big deal,1000,Acme,Ana Lind (ana@acme.com);Bo Berg (bo@globex.com)\n"
    ),
    "tickets.csv": (
        "Ticket name,Associated Contact,Associated Company\n"
        "Broken widget,Ana Lind (ana@acme.com),Acme\n"
    ),
}


def _by_name(type_key: str, name: str) -> int:
    from rolodex.crm import objects

    return (
        Record.select(Record.id)
        .where((Record.object_type == objects.by_key(type_key).id) & (Record.name == name))
        .scalar()
    )


def _others(record_id: int) -> set[str]:
    return {a.other_name for a in associations.all_of(record_id)}


def _assert_all_linked() -> None:
    ana, bo, cy = (records.resolve(e).id for e in ("ana@acme.com", "bo@globex.com", "cy@acme.com"))
    acme, globex = records.resolve("acme.com").id, records.resolve("globex.com").id
    deal, ticket = _by_name("deal", "Big deal"), _by_name("ticket", "Broken widget")
    assert records.count("company") == 2 and records.count("contact") == 3
    assert records.count("deal") == 1 and records.count("ticket") == 1
    assert _others(ana) == {"Acme", "Big deal", "Broken widget"}
    assert _others(bo) == {"Globex", "Big deal"}
    assert _others(cy) == {"Acme"}
    assert _others(acme) == {"Ana Lind", "Cy Dahl", "Big deal", "Broken widget"}
    assert _others(globex) == {"Bo Berg"}
    assert _others(deal) == {"Ana Lind", "Bo Berg", "Acme"}
    assert _others(ticket) == {"Ana Lind", "Acme"}
    assert associations.primary_company(ana) == acme
    assert associations.primary_company(bo) == globex
    assert not PendingLink.select().exists(), "nothing is left waiting"
    assert check_run().ok


@pytest.mark.parametrize("files", [HUBSPOT, NAMES_ONLY], ids=["ids-and-names", "names-only"])
@pytest.mark.parametrize("order", list(itertools.permutations(range(4))), ids=str)
def test_every_file_order_imports_completely(db, write, files, order):
    names = list(files)
    paths = {name: write(name, files[name]) for name in names}
    for index in order:
        result = run_import(paths[names[index]])
        assert result.code == 0, result.err + result.out
    _assert_all_linked()


@pytest.mark.parametrize("files", [HUBSPOT, NAMES_ONLY], ids=["ids-and-names", "names-only"])
def test_the_set_in_one_import_in_reverse(db, write, files):
    paths = [write(name, text) for name, text in files.items()]
    result = run_import(*reversed(paths))
    assert result.code == 0, result.err + result.out
    _assert_all_linked()


def test_a_row_names_the_company_it_creates(db, write):
    path = write(
        "people.csv",
        "First Name,Email,Company name,Associated Company\n"
        "Ana,ana@x.com,Initech,Initech\n"
        "Bo,bo@x.com,,Initech\n",
    )
    result = run_import(path)
    assert result.code == 0, result.err + result.out
    initech = _by_name("company", "Initech")
    assert records.count("company") == 1
    assert associations.primary_company(records.resolve("ana@x.com").id) == initech
    assert associations.primary_company(records.resolve("bo@x.com").id) == initech


def test_a_name_that_waits_links_when_a_record_of_that_name_arrives(db, write):
    run_import(write("deals.csv", "Deal Name,Associated Company\nBig deal,ACME\n"))
    assert PendingLink.select().count() == 1
    run_import(write("companies.csv", "Company name\nAcme\n"))
    assert _others(_by_name("deal", "Big deal")) == {"Acme"}  # the name matched, case aside
    assert not PendingLink.select().exists()


def test_ids_win_and_names_are_only_checked(db, write):
    run_import(
        write(
            "companies.csv",
            "Record ID,Company name,Company Domain Name\n7,Acme,acme.com\n8,Globex,globex.com\n",
        )
    )
    result = run_import(
        write(
            "contacts.csv",
            "Email,Associated Company IDs,Associated Company\n"
            "ana@x.com,7,Acme\n"
            "bo@x.com,7,Globex\n"  # the name disagrees with the id
            "cy@x.com,,Globex\n",  # no ids: the name links
        )
    )
    assert result.code == 0, result.err
    acme, globex = records.resolve("acme.com").id, records.resolve("globex.com").id
    assert associations.primary_company(records.resolve("ana@x.com").id) == acme
    assert _others(records.resolve("bo@x.com").id) == {"Acme"}  # not Globex
    assert associations.primary_company(records.resolve("cy@x.com").id) == globex
    assert "1 names did not match the ids beside them" in result.err
    assert "row 3: 'Associated Company' names 'Globex'" in result.err
