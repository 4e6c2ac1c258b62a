"""The synthetic data generator: consistent, realistic, every history source, at demo and 10k."""

from __future__ import annotations

import pytest

from rolodex.crm import associations, check, lifecycle, limits, objects, records, search
from rolodex.crm.context import SOURCES
from rolodex.crm.errors import InvalidValue
from rolodex.store.database import is_sqlite
from rolodex.store.models import Record
from rolodex.synth.generator import generate


def test_demo_passes_check_with_every_source_a_merge_and_a_recycle_bin(db, ctx):
    summary = generate("demo")
    report = check.run()
    assert report.ok, report.violations[:5]
    assert report.over_limit == []
    assert set(summary["sources"]) == set(SOURCES)
    assert 200 <= summary["live_records"] <= 600
    assert summary["objects"]["project"] > 0  # the custom object
    assert all(
        summary["objects"][kind] > 0 for kind in ("note", "email", "call", "meeting", "task")
    )
    merged = Record.get(Record.merged_into.is_null(False))
    survivor = records.get(merged.id)  # the merged id still resolves, to the survivor
    assert survivor.id == merged.merged_into_id and survivor.name == "Jonathan Smith"
    binned = lifecycle.recycle_bin()
    assert len(binned) == 1
    lifecycle.restore(binned[0].id, ctx)  # still restorable, and its associations come back
    assert associations.all_of(binned[0].id)
    assert check.run().ok


def test_10k_is_consistent_and_realistic(db):
    summary = generate("10k", seed=7)
    assert summary["records"] == 10_000
    assert 2.7 * 10_000 <= summary["associations"] <= 3.3 * 10_000
    assert set(summary["sources"]) == set(SOURCES)
    report = check.run()
    assert report.ok, report.violations[:5]
    assert report.over_limit == []
    # One company with a twentieth of the records as contacts (50,000 at 1m).
    company_type = objects.by_key("company").id
    biggest = (
        Record.select(Record.id)
        .where(Record.object_type == company_type)
        .order_by(Record.id)
        .first()
    )
    assert 498 <= associations.counts(biggest.id)["contact"] <= 500
    near = limits.usage_report()
    assert any(u.record_type == "deal" for u in near)
    # The search index matches the records (built in bulk, then rebuilt).
    contact = Record.select().where(Record.email.is_null(False)).order_by(Record.id.desc()).first()
    hits = search.search(contact.email, ["contact"])
    assert contact.id in [h.id for h in hits]
    if is_sqlite(db):
        db.execute_sql("INSERT INTO record_search(record_search) VALUES ('integrity-check')")
    # Writing through the rules still works on a bulk-built database.
    new = records.create("contact", {"first_name": "Zed", "email": "zed@example.org"})
    assert search.search("zed@example", ["contact"])[0].id == new.id


def test_same_seed_builds_the_same_10k(db, tmp_path):
    from rolodex.store.database import open_database
    from rolodex.store.models import database

    generate("10k", seed=3)
    first = list(Record.select(Record.id, Record.name, Record.email).order_by(Record.id).tuples())
    other = open_database(str(tmp_path / "again.db"))
    try:
        generate("10k", seed=3)
        again = list(
            Record.select(Record.id, Record.name, Record.email).order_by(Record.id).tuples()
        )
    finally:
        other.close()
        database.initialize(db)
    assert again == first


def test_refuses_a_database_with_records_and_unknown_sizes(db):
    records.create("company", {"name": "Existing", "domain": "existing.com"})
    with pytest.raises(InvalidValue, match="already has records"):
        generate("demo")
    with pytest.raises(InvalidValue, match="unknown size"):
        generate("2m")
    assert Record.select().count() == 1
