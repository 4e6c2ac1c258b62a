"""`rolodex seed`: fill the open database with realistic, deterministic synthetic data.

``demo`` builds a small story entirely through the crm rules (story.py); the
big sizes bulk-load consistent rows straight through the driver (bulk.py) and
then run a few real crm operations on top, so every history source appears.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from peewee import fn

from rolodex.crm import objects
from rolodex.crm.errors import InvalidValue
from rolodex.i18n import _
from rolodex.store.database import is_sqlite
from rolodex.store.history_guard import rewriting_history
from rolodex.store.models import Association, AssociationLabel, History, Record, database, utcnow
from rolodex.store.transactions import run_write

SIZES = {"demo": 0, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
DEMO_SPAN = dt.timedelta(days=180)
DEMO_CLOCK = dt.time(23, 31, 41)  # the time of day of the build docs/tour's pictures show


def parse_size(size: str) -> str:
    key = size.strip().lower()
    if key not in SIZES:
        raise InvalidValue(
            _("unknown size '{size}' (sizes: {sizes})").format(size=size, sizes=", ".join(SIZES))
        )
    return key


def ensure_empty() -> None:
    if Record.select().exists():
        raise InvalidValue(
            _("the database already has records: seed a new, empty database (--db NEW_FILE)")
        )


def generate(size: str, seed: int = 42) -> dict:
    """Fill the already-opened, empty database; return what was built (counts)."""
    from rolodex.synth import schema

    key = parse_size(size)
    ensure_empty()
    objects.invalidate()
    now = utcnow().replace(microsecond=0)
    if key == "demo":
        from rolodex.synth import story

        # A scratch copy is moved to end at any moment, but what it shows still depends
        # on the build's time of day: activities are stamped to the minute, close dates
        # to the day, history to the second. Fixed, so every build shows the same.
        now = dt.datetime.combine(now.date(), DEMO_CLOCK)

        def build() -> None:
            schema.install()
            told = story.build(seed, now)
            spread_timestamps(now)
            last = History.select(fn.MAX(History.id)).scalar() or 0
            told.hierarchies()
            stamp_like_the_last(last)

        run_write(build)
    else:
        from rolodex.synth import bulk

        bulk.load(SIZES[key], seed, now)
    objects.invalidate()
    return summary()


def summary() -> dict:
    """Counts of what the database holds: live records per object, associations, history."""
    per_type: dict[str, int] = {}
    for type_id, n in (
        Record.select(Record.object_type, fn.COUNT(Record.id))
        .where(Record.deleted_at.is_null() & Record.merged_into.is_null())
        .group_by(Record.object_type)
        .tuples()
    ):
        per_type[objects.by_id(type_id).key] = n
    ordered = {info.key: per_type.get(info.key, 0) for info in objects.all_types()}
    sources = Counter(
        dict(History.select(History.source, fn.COUNT(History.id)).group_by(History.source).tuples())
    )
    return {
        "records": Record.select(fn.COUNT(Record.id)).scalar() or 0,
        "live_records": sum(ordered.values()),
        "objects": ordered,
        "associations": Association.select(fn.COUNT(Association.id)).scalar() or 0,
        "labelled": AssociationLabel.select(fn.COUNT(AssociationLabel.id)).scalar() or 0,
        "history": sum(sources.values()),
        "sources": dict(sorted(sources.items())),
        "deleted": Record.select()
        .where(Record.deleted_at.is_null(False) & Record.merged_into.is_null())
        .count(),
        "merged": Record.select().where(Record.merged_into.is_null(False)).count(),
    }


def _executemany(sql: str, rows: list[tuple]) -> None:
    """Many parameter rows through the driver (datetimes as text on SQLite, as peewee stores them)."""
    db = database.obj
    if is_sqlite(db):
        rows = [tuple(str(v) if isinstance(v, dt.datetime) else v for v in row) for row in rows]
    db.cursor().executemany(sql.replace("?", db.param), rows)


def stamp_like_the_last(last: int) -> None:
    """History rows after ``last`` happened at row ``last``'s moment: a chapter added to
    the story after its timestamps were spread leaves its clock (and so the dates a
    scratch copy shows) as it was."""
    moment = History.select(History.at).where(History.id == last).scalar()
    if moment is None:
        return
    with rewriting_history(database.obj):
        _executemany("UPDATE history SET at = ? WHERE id > ?", [(moment, last)])
    pairs = [
        (a, b)
        for a, b, action in History.select(History.a_id, History.b_id, History.action)
        .where(History.id > last)
        .tuples()
        if action == "created"
    ]
    _executemany(
        "UPDATE association SET created_at = ? WHERE a_id = ? AND b_id = ?",
        [(moment, a, b) for a, b in pairs],
    )


def spread_timestamps(end: dt.datetime, span: dt.timedelta = DEMO_SPAN) -> None:
    """Lay the demo's history out over the months before ``end``, in the order it happened.

    The crm rules stamp everything with the current time; a demo reads better
    when its story took half a year. History stays in id order, so replaying it
    up to any moment gives the state at that moment.
    """
    history = list(
        History.select(History.id, History.a_id, History.b_id, History.action, History.source)
        .order_by(History.id)
        .tuples()
    )
    if not history:
        return
    start = end - span
    step = (span - dt.timedelta(hours=1)) / len(history)
    at: dict[int, dt.datetime] = {}
    first_seen: dict[int, dt.datetime] = {}
    removed_by_lifecycle: dict[int, dt.datetime] = {}
    created: dict[tuple[int, int], dt.datetime] = {}
    for i, (hid, a, b, action, source) in enumerate(history):
        moment = (start + step * i).replace(microsecond=0)
        at[hid] = moment
        for rid in (a, b):
            first_seen.setdefault(rid, moment)
            if action == "removed" and source in ("Object deleted", "Object merge"):
                removed_by_lifecycle[rid] = moment
        if action == "created":
            created[(a, b)] = moment
    with rewriting_history(database.obj):  # the story is built now, but happened over months
        _executemany("UPDATE history SET at = ? WHERE id = ?", [(t, hid) for hid, t in at.items()])
    record_rows = []
    for rid, deleted in Record.select(Record.id, Record.deleted_at).order_by(Record.id).tuples():
        born = first_seen.get(rid, end - dt.timedelta(days=1)) - dt.timedelta(minutes=5)
        gone = None
        if deleted is not None:
            gone = removed_by_lifecycle.get(rid, end - dt.timedelta(minutes=30))
        record_rows.append((born, gone or born, gone, rid))
    _executemany(
        "UPDATE record SET created_at = ?, updated_at = ?, deleted_at = ? WHERE id = ?",
        record_rows,
    )
    _executemany(
        "UPDATE association SET created_at = ? WHERE a_id = ? AND b_id = ?",
        [(t, a, b) for (a, b), t in created.items()],
    )
