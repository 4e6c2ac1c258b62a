"""The committed demo.db: small, self-contained, passes check, and is what the generator builds."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

from rolodex.crm import check, lifecycle, objects, records
from rolodex.store.database import open_database
from rolodex.store.models import database
from rolodex.synth.demo import demo_path, fingerprint, scratch_copy
from rolodex.synth.generator import generate

DEMO = demo_path()


def _digest() -> str:
    return hashlib.sha256(DEMO.read_bytes()).hexdigest()


def test_demo_db_is_a_small_single_file():
    assert DEMO.is_file()
    assert DEMO.stat().st_size < 3 * 1024 * 1024
    assert not DEMO.with_name("demo.db-wal").exists()
    conn = sqlite3.connect(f"file:{DEMO}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()


def test_scratch_copy_passes_check_and_never_changes_demo_db(ctx):
    before = _digest()
    first, second = scratch_copy(), scratch_copy()
    assert first != second and first.parent != DEMO.parent
    objects.invalidate()
    db = open_database(str(first))
    try:
        report = check.run()
        assert report.ok, report.violations[:5]
        assert report.over_limit == []
        # The story is moved to end now: the recycle-bin record is still restorable.
        binned = lifecycle.recycle_bin()
        assert len(binned) == 1
        assert binned[0].deleted_at > dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(
            days=1
        )
        lifecycle.restore(binned[0].id, ctx)
        records.create("contact", {"first_name": "Scratch", "email": "scratch@example.org"})
    finally:
        db.close()
        objects.invalidate()
    assert _digest() == before
    assert not DEMO.with_name("demo.db-wal").exists()


def test_demo_db_matches_what_the_generator_builds_now(db):
    """By content (counts, names, properties, association pairs with labels and primaries,
    history with sources), not bytes: timestamps and batch ids differ between builds."""
    generate("demo")
    built = fingerprint()
    copy = scratch_copy()
    objects.invalidate()
    committed_db = open_database(str(copy))
    try:
        committed = fingerprint()
    finally:
        committed_db.close()
        database.initialize(db)
        objects.invalidate()
    for key in ("objects", "labels", "limits", "counts", "records", "associations", "history"):
        assert committed[key] == built[key], (
            f"demo.db differs in {key}: rebuild it (python -m rolodex.synth.demo)"
        )
