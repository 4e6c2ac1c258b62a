"""Revert never loses later work: what the import added goes (records to the recycle bin)
and what it changed comes back only where nobody changed it since; the rest is kept and
listed. History is only added to. Stopped, it leaves everything as it was."""

from __future__ import annotations

import pytest

from rolodex.crm import associations, labels, lifecycle, objects, records
from rolodex.crm.check import run as check_run
from rolodex.crm.context import api
from rolodex.io.models import PendingLink
from rolodex.io.revert import list_imports, revert_import
from rolodex.store.models import Association, History, Record
from tests.io.conftest import fingerprint, import_id, made_labels, run_import


def _history() -> list[tuple]:
    return list(History.select().order_by(History.id).tuples())


def _world(write):  # type: ignore[no-untyped-def]
    """An existing contact and company, then an import that changes and adds."""
    ctx = api()
    acme = records.create("company", {"name": "Acme", "domain": "acme.com"})
    old = records.create("contact", {"email": "old@acme.com", "first_name": "Old"})
    associations.associate(old.id, acme.id, ctx)
    result = run_import(
        write(
            "contacts.csv",
            "Email,First Name,Job Title,Associated Company IDs (Primary)\n"
            "old@acme.com,Changed,CTO,9\n"
            "bo@acme.com,Bo,,9\n"
            "cy@acme.com,Cy,,9\n"
            "dee@acme.com,Dee,,9\n",
        ),
        write("companies.csv", "Record ID,Company name,Company Domain Name\n9,Globex,globex.com\n"),
    )
    assert result.code == 0, result.err
    return acme, old, import_id(result)


def test_later_work_is_kept_and_listed_the_rest_is_undone(db, write, ctx):
    acme, old, batch = _world(write)
    globex = records.resolve("globex.com").id
    bo, cy, dee = (records.resolve(f"{n}@acme.com").id for n in ("bo", "cy", "dee"))
    assert associations.primary_company(old.id) == globex
    # Later work: Old's job title edited, Bo associated with a deal, Cy's link to Globex
    # relabelled, Dee left alone.
    records.update(old.id, {"job_title": "CEO"})
    deal = records.create("deal", {"name": "Big deal"})
    associations.associate(bo, deal.id, ctx)
    labels.create("contact", "company", "Buyer")
    associations.set_labels(cy, globex, ctx, ["Buyer"])
    history_before = _history()

    result = run_import(revert=batch)
    assert result.code == 0, result.err
    out = result.out

    # History only grew: every earlier row is there, unchanged.
    after = _history()
    assert after[: len(history_before)] == history_before and len(after) > len(history_before)
    assert {h.source for h in History.select().where(History.batch == f"{batch}-revert")} == {
        "Import"
    }
    # Old: the name the import changed comes back, the job title changed since stays.
    now = records.get(old.id)
    assert now.properties == {"email": "old@acme.com", "first_name": "Old", "job_title": "CEO"}
    assert f"contact:{old.id}: job_title: changed after the import to 'CEO'" in out
    # Old's primary company is Acme again; Globex's link to him is gone.
    assert associations.primary_company(old.id) == acme.id
    assert [a.other_id for a in associations.all_of(old.id)] == [acme.id]
    # Dee (untouched) is in the recycle bin, not erased: she can be restored.
    assert records.count("contact") == 3  # Old, Bo, Cy
    assert dee in {r.id for r in lifecycle.recycle_bin()}
    assert f"contact:{bo}: the record: it was associated with other records" in out
    # Bo stays with the deal; the import's link from him to Globex is gone.
    assert {a.other_id for a in associations.all_of(bo)} == {deal.id}
    # Cy stays, with the link someone relabelled since, and so Globex stays too.
    assert f"contact:{cy}: company:{globex}: the association was changed after" in out
    assert associations.between(cy, globex).labels == ("Buyer",)
    assert records.get(globex).name == "Globex"
    assert f"company:{globex}: the record: it was associated" in out
    assert check_run().ok
    # Restoring Dee brings her back without the import's association.
    lifecycle.restore(dee, ctx)
    assert associations.all_of(dee) == []


def test_a_revert_stopped_half_way_leaves_everything_as_it_was(db, write):
    rows = "".join(f"p{i}@x.com,P{i},1\n" for i in range(900))
    run_import(write("companies.csv", "Record ID,Company name\n1,Acme\n"))
    result = run_import(write("contacts.csv", "Email,First Name,Associated Company IDs\n" + rows))
    before = fingerprint()
    seen = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done > total // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        revert_import(import_id(result), progress=progress)
    assert fingerprint() == before
    assert seen and seen[-1][1] >= 1800  # associations (two passes) and records counted
    assert run_import(revert=import_id(result)).code == 0
    assert records.count("contact") == 0


def test_past_imports_are_listed_and_any_of_them_reverted(db, write):
    first = import_id(run_import(write("companies.csv", "Record ID,Company name\n7,Acme\n")))
    second = import_id(
        run_import(write("contacts.csv", "Email,Associated Company IDs\nana@x.com,7\n"))
    )
    listed = run_import(list=True)
    assert listed.code == 0
    lines = listed.out.splitlines()
    assert lines[0].split()[:2] == ["Import", "Started"]
    assert lines[1].startswith(second) and lines[2].startswith(first)  # newest first
    assert [i.id for i in list_imports()] == [second, first]
    assert list_imports()[1].counts()["created"] == 1
    # The older one, under the later one: Acme is linked to Ana since, so it stays.
    result = run_import(revert=first)
    assert result.code == 0, result.err
    assert "it was associated with other records after the import" in result.out
    assert records.count("company") == 1
    assert "reverted" not in run_import(list=True).out.split("\n")[1]
    assert list_imports()[1].reverted_at is not None
    # The later one goes; then nothing of the first is linked any more.
    assert run_import(revert=second).code == 0
    assert records.count("contact") == 0 and Association.select().count() == 0


def test_waiting_links_of_an_earlier_import_come_back(db, write):
    first = run_import(write("contacts.csv", "Email,Associated Company IDs\nana@x.com,7\n"))
    assert PendingLink.select().count() == 1
    second = run_import(write("companies.csv", "Record ID,Company name\n7,Acme\n"))
    assert PendingLink.select().count() == 0
    assert run_import(revert=import_id(second)).code == 0
    assert PendingLink.select().count() == 1  # Ana waits for company 7 again
    run_import(write("companies2.csv", "Record ID,Company name\n7,Acme again\n"))
    ana = records.resolve("ana@x.com").id
    assert [a.other_name for a in associations.all_of(ana)] == ["Acme again"]
    assert run_import(revert=import_id(first)).code == 0


def test_properties_and_labels_it_defined_go_unless_used(db, write):
    run_import(write("companies.csv", "Record ID,Company name\n7,Acme\n"))
    result = run_import(
        write(
            "contacts.csv",
            "Email,Mobile Phone Number,Associated Company IDs,Associated Company Labels\n"
            "ana@x.com,+46 70 1,7,7: Owner\n",
        ),
        create_labels=True,
    )
    assert objects.by_key("contact").property("mobile_phone") is not None
    reverted = run_import(revert=import_id(result))
    assert "properties it created, deleted: 1" in reverted.out
    assert "labels it created, deleted: 1" in reverted.out
    assert objects.by_key("contact").property("mobile_phone") is None
    assert made_labels() == []
    assert check_run().ok


def _statements_of(fn) -> list[str]:  # type: ignore[no-untyped-def]
    """The statements ``fn`` runs through the database's cursors."""
    from rolodex.store.models import database

    db = database.obj
    real = db.cursor
    seen: list[str] = []

    class Recording:
        def __init__(self, cursor):  # type: ignore[no-untyped-def]
            self.cursor = cursor

        def execute(self, sql, params=()):  # type: ignore[no-untyped-def]
            seen.append(sql)
            return self.cursor.execute(sql, params)

        def executemany(self, sql, rows):  # type: ignore[no-untyped-def]
            seen.append(sql)
            return self.cursor.executemany(sql, rows)

        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter(self.cursor)

        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            return getattr(self.cursor, name)

    db.cursor = lambda *a, **kw: Recording(real(*a, **kw))
    try:
        fn()
    finally:
        del db.cursor
    return seen


def test_the_revert_reads_and_writes_in_chunks(db, write):
    """Its statements grow with the import's size in chunks, not per row or per pair."""
    counts = []
    for size in (100, 1000):
        run_import(write(f"companies{size}.csv", "Record ID,Company name\n1,Acme\n2,Globex\n"))
        rows = "".join(f"s{size}p{i}@x.com,P{i},1;2\n" for i in range(size))
        result = run_import(
            write(f"contacts{size}.csv", "Email,First Name,Associated Company IDs\n" + rows)
        )
        statements = _statements_of(lambda r=result: revert_import(import_id(r)))
        counts.append(len(statements))
        # the two companies are left (the second file found them by id); no contact is
        assert Record.select().where(Record.deleted_at.is_null()).count() == 2
    assert counts[1] < 4 * counts[0], counts
