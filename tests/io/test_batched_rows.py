"""The batched path (rows validated first, written later in batches) keeps the row rules:
a rejected row leaves nothing, later rows see the records of earlier ones."""

from __future__ import annotations

import csv

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolodex.crm import associations, bulk, records
from rolodex.crm.check import run as check_run
from rolodex.io.models import ImportedRecord, PendingLink
from rolodex.store.models import Association, Record
from tests.io.conftest import holders_of, import_id, run_import

COMPANIES = (
    "Record ID,Company name,Company Domain Name\n"
    "1,Acme,acme.com\n"
    "2,Globex,globex.com\n"
    "3,Twin,twin-one.com\n"
    "4,Twin,twin-two.com\n"
)


def test_rejected_rows_in_the_middle_of_a_batch_leave_exactly_the_accepted_rows(
    db, write, tmp_path
):
    run_import(write("companies.csv", COMPANIES))
    before = Record.select().count()
    rows = (
        "Record ID,Email,Associated Company IDs,Associated Company\n"
        "11,a@x.com,1,\n"
        "12,b@x.com,2,\n"
        # a new contact and a link waiting for a company newco.com, then an ambiguous name
        "13,c@x.com,,Newco (newco.com);Twin\n"
        "14,not an email,1,\n"
        "15,e@x.com,1;2,\n"
    )
    errors = str(tmp_path / "errors.csv")
    result = run_import(write("contacts.csv", rows), errors=errors)
    assert result.code == 1  # rows were rejected, the rest applied
    assert "rows read: 5, accepted: 3" in result.out
    assert "row 4: MULTIPLE_COMPANIES_WITH_THIS_DOMAIN" in result.err  # header is row 1

    emails = sorted(r.email for r in Record.select().where(Record.email.is_null(False)))
    assert emails == ["a@x.com", "b@x.com", "e@x.com"]
    assert Record.select().count() == before + 3
    assert holders_of("13") == holders_of("14") == []
    assert PendingLink.select().count() == 0  # the rejected row's waiting link is gone too
    assert Association.select().count() == 4
    acme, globex = records.resolve("acme.com").id, records.resolve("globex.com").id
    e = records.resolve("e@x.com").id
    assert associations.primary_company(e) == acme
    assert associations.counts(e) == {"company": 2}
    batch = import_id(result)
    logged = ImportedRecord.select().where(
        (ImportedRecord.import_id == batch) & (ImportedRecord.action == "created")
    )
    assert logged.count() == 3

    with open(errors, newline="", encoding="utf-8") as handle:
        got = list(csv.reader(handle))
    assert got[0] == [
        "Source file",
        "Source row",
        "Record ID",
        "Email",
        "Associated Company IDs",
        "Associated Company",
        "Error code",
        "Error message",
    ]
    path = write("contacts.csv", "")  # the same path as the file imported
    assert [row[:6] for row in got[1:]] == [
        [path, "4", "13", "c@x.com", "", "Newco (newco.com);Twin"],
        [path, "5", "14", "not an email", "1", ""],
    ]
    assert got[2][6] == "INVALID_VALUE"

    # Newco arriving later links nothing: the rejected row left no waiting link.
    run_import(write("late.csv", "Company name,Company Domain Name\nNewco,newco.com\n"))
    late = records.resolve("newco.com")
    assert associations.counts(late.id) == {}
    assert check_run().ok

    # Revert takes exactly the accepted rows away.
    assert run_import(revert=batch).code == 0
    assert records.count("contact") == 0
    assert associations.counts(globex) == {}
    assert check_run().ok


def test_a_later_row_finds_a_record_created_earlier_in_the_same_batch(db, write):
    # The company has no domain or id: the second row finds it by name only, before the
    # batch holding it is written.
    path = write(
        "people.csv",
        "First Name,Email,Company Name\nAna,ana@x.com,Initech\nBo,bo@x.com,Initech\n",
    )
    result = run_import(path)
    assert result.code == 0, result.err
    companies = Record.select().where(Record.name == "Initech")
    assert companies.count() == 1
    initech = companies.get().id
    for email in ("ana@x.com", "bo@x.com"):
        assert associations.primary_company(records.resolve(email).id) == initech
    assert check_run().ok


def test_a_record_created_earlier_in_the_batch_can_be_changed_by_a_later_row(db, write):
    path = write(
        "people.csv",
        "First Name,Email,Company Name,Company Domain Name\n"
        "Ana,ana@x.com,Initech,initech.com\n"
        "Bo,bo@x.com,Initech Corp,initech.com\n",
    )
    result = run_import(path)
    assert result.code == 0, result.err
    company = records.resolve("initech.com")
    assert company.name == "Initech Corp"
    assert records.count("company") == 1
    for email in ("ana@x.com", "bo@x.com"):
        assert associations.primary_company(records.resolve(email).id) == company.id
    assert check_run().ok


def test_a_record_with_two_companies_split_across_write_chunks_gets_one_primary(db, write):
    run_import(write("companies.csv", COMPANIES))
    # The last contact's two links fall on both sides of a chunk boundary.
    rows = "".join(f"p{i}@x.com,1\n" for i in range(bulk.CHUNK - 1))
    result = run_import(
        write("contacts.csv", "Email,Associated Company IDs\n" + rows + "last@x.com,1;2\n")
    )
    assert result.code == 0, result.err
    assert f"associations created: {bulk.CHUNK + 1}" in result.out
    last = records.resolve("last@x.com").id
    assert associations.counts(last) == {"company": 2}
    assert associations.primary_company(last) == records.resolve("acme.com").id
    assert check_run().ok


def test_waiting_links_made_and_resolved_within_one_batch(db, write):
    path = write(
        "contacts.csv",
        "Record ID,Email,Associated Contact IDs\n1,ana@x.com,2;3\n2,bo@x.com,\n3,cy@x.com,1\n",
    )
    result = run_import(path)
    assert result.code == 0, result.err
    ana = records.resolve("ana@x.com").id
    assert associations.counts(ana) == {"contact": 2}
    assert associations.counts(records.resolve("cy@x.com").id) == {"contact": 1}
    assert PendingLink.select().count() == 0
    assert check_run().ok


def test_the_benchmark_runs_and_compares_with_the_raw_baseline(tmp_path, capsys):
    from rolodex.crm import objects
    from rolodex.io import bench

    try:
        assert bench.main(["--rows", "300", "--repeat", "1", "--keep", str(tmp_path)]) == 0
    finally:
        objects.invalidate()  # the benchmark opened its own databases
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "raw executemany" in lines[1] and "rolodex import" in lines[1]
    shapes = [line.split()[0] for line in lines[2:-1]]
    assert shapes == ["ids", "primary", "labels", "names", "multi", "same-object", "rolodex"]
    assert all("%" in line and "r/s" in line for line in lines[2:-1])


RECORD = st.integers(0, 3)
COMPANY = st.integers(0, 3)
ROW = st.tuples(
    RECORD,
    st.lists(COMPANY, max_size=3, unique=True),
    st.one_of(st.none(), COMPANY),
    st.lists(st.sampled_from(["Employee", "Advisor"]), max_size=2, unique=True),
)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(rounds=st.lists(st.lists(ROW, max_size=4, unique_by=lambda r: r[0]), min_size=1, max_size=3))
def test_batched_links_end_as_the_rules_make_them(tmp_path_factory, rounds):
    """Contacts take the batched path; deals, whose pair with companies has a limit, the
    full rules one link at a time. The same files for both end in the same associations,
    labels and primaries."""
    from rolodex.crm import labels, limits, objects
    from rolodex.store.database import open_database

    folder = tmp_path_factory.mktemp("same")
    objects.invalidate()
    labels.invalidate()
    db = open_database(str(folder / "same.db"))
    try:
        for type_key in ("contact", "deal"):
            labels.create(type_key, "company", "Employee")
            labels.create(type_key, "company", "Advisor")
        limits.set_limit("deal", "company", 100)
        companies = folder / "companies.csv"
        companies.write_text(
            "Record ID,Company name\n" + "".join(f"{700 + c},C{c}\n" for c in range(4))
        )
        run_import(str(companies))
        for number, rows in enumerate(rounds):
            for type_key, name in (("contact", "Email"), ("deal", "Deal Name")):
                lines = [
                    f"Record ID,{name},Associated Company IDs,"
                    "Associated Company IDs (Primary),Associated Company Labels"
                ]
                for record, linked, primary, words in rows:
                    value = f"r{record}@x.com" if type_key == "contact" else f"Deal {record}"
                    ids = ";".join(str(700 + c) for c in linked)
                    cell = "; ".join(f"{700 + c}: {w}" for c in linked[:1] for w in words)
                    main = "" if primary is None else str(700 + primary)
                    lines.append(f"{record + 1},{value},{ids},{main},{cell}")
                path = folder / f"{type_key}-{number}.csv"
                path.write_text("\n".join(lines) + "\n")
                result = run_import(str(path))
                assert result.code == 0, result.err
        for record in range(4):
            states = []
            for type_key in ("contact", "deal"):
                holders = [
                    r for r in holders_of(str(record + 1)) if records.get(r).type == type_key
                ]
                if not holders:
                    states.append(None)
                    continue
                states.append(
                    sorted(
                        (a.other_name, a.labels, a.primary) for a in associations.all_of(holders[0])
                    )
                )
            assert states[0] == states[1], (record, rounds)
        assert check_run().ok
    finally:
        db.close()
        objects.invalidate()
        labels.invalidate()
