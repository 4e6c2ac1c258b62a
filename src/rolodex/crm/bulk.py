"""Bulk writers for import: the same rules as records.create and associations.associate,
in few round trips, for the cases where the outcome of the rules is known in advance.

- :func:`record_row` validates and names a record exactly like ``records.create``
  (same cleaning, same display name, same unique-email rule); :func:`insert_records`
  writes many such rows in one statement, with ids taken beforehand from
  :class:`RecordIds` so a batch can be linked before it is written.
- :func:`link_plain` creates plain associations (no labels, no explicit primary) in
  batches. It applies the rules that concern such links: no self-association, an
  existing pair is left alone, the first company of a record without a primary
  becomes its primary, and one history row per new association. Pairs whose object
  pair has a limit are handed to ``associations.associate`` (the general path).

Callers must run these inside their transaction and pass live record ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Sequence

from rolodex.crm import associations, changes, objects, records
from rolodex.crm.context import Context
from rolodex.crm.errors import DuplicateRecord
from rolodex.i18n import _
from rolodex.store import raw
from rolodex.store.database import is_postgres
from rolodex.store.models import database, utcnow

CHUNK = 400


RECORD_INSERT = (
    "INSERT INTO record (id, object_type_id, name, name_key, email, domain, properties,"
    " version, created_at, updated_at, source_id) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)"
)


def execute(sql: str, params: Sequence[object] = ()) -> None:
    """One hand-written statement with ``?`` placeholders."""
    db = database.obj
    db.cursor().execute(sql if db.param == "?" else sql.replace("?", db.param), tuple(params))


def insert_many(sql: str, rows: Sequence[tuple]) -> None:
    """``INSERT ... VALUES (?, ...)`` for many rows: ``executemany`` on SQLite, multi-row
    VALUES statements on PostgreSQL (one round trip per chunk, not per row)."""
    if not rows:
        return
    db = database.obj
    cursor = db.cursor()
    if db.param == "?":
        cursor.executemany(sql, rows)
        return
    head, _sep, group = sql.rpartition(" VALUES ")
    head = head.replace("?", db.param)
    group = group.replace("?", db.param)
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        cursor.execute(
            f"{head} VALUES {', '.join([group] * len(part))}",
            tuple(value for row in part for value in row),
        )


def stamp(moment: dt.datetime | None = None) -> dt.datetime | str:
    """A timestamp parameter: on SQLite the text its driver would store for the datetime
    (converted once per batch instead of once per value), elsewhere the datetime."""
    moment = moment or utcnow()
    return moment if is_postgres() else moment.isoformat(" ")


def rows_for_keys(
    table: str,
    columns: Sequence[str],
    key_columns: Sequence[str],
    key_types: Sequence[str],
    keys: Sequence[tuple],
    where: str = "",
    where_params: Sequence[object] = (),
) -> list[tuple]:
    """The ``columns`` of the ``table`` rows whose ``key_columns`` equal one of ``keys``
    (and ``where``), as one index probe per key on both engines: PostgreSQL otherwise
    plans a sequential scan from the statistics of a table that was small when last
    analysed, while an import makes it grow (quadratic time). ``key_types``: SQL types
    of the key columns (``text``, ``bigint``)."""
    if not keys:
        return []
    extra = f" AND {where}" if where else ""
    if is_postgres():
        names = [f"k{i}" for i in range(len(key_columns))]
        unnest = ", ".join(f"?::{t}[]" for t in key_types)
        match = " AND ".join(f"{c} = k.{n}" for c, n in zip(key_columns, names, strict=True))
        sql = (
            f"SELECT {', '.join('r.' + c for c in columns)} FROM unnest({unnest})"
            f" AS k({', '.join(names)}) CROSS JOIN LATERAL (SELECT {', '.join(columns)}"
            f" FROM {table} WHERE {match}{extra} OFFSET 0) r"
        )
        lists = [[key[i] for key in keys] for i in range(len(key_columns))]
        return raw.fetchall(sql, [*lists, *where_params])
    if len(key_columns) == 1:
        marks = ", ".join(["?"] * len(keys))
        sql = f"SELECT {', '.join(columns)} FROM {table} WHERE {key_columns[0]} IN ({marks}){extra}"
        return raw.fetchall(sql, [key[0] for key in keys] + list(where_params))
    group = "(" + ", ".join(["?"] * len(key_columns)) + ")"
    names = [f"k{i}" for i in range(len(key_columns))]
    match = " AND ".join(f"{table}.{c} = k.{n}" for c, n in zip(key_columns, names, strict=True))
    sql = (
        f"WITH k({', '.join(names)}) AS (VALUES {', '.join([group] * len(keys))})"
        f" SELECT {', '.join(table + '.' + c for c in columns)} FROM k JOIN {table}"
        f" ON {match}{extra}"
    )
    return raw.fetchall(sql, [v for key in keys for v in key] + list(where_params))


class RecordIds:
    """Ids for records inserted later in this transaction, so a batch of new records can be
    linked and logged before it is written. The caller must already hold the write lock
    (have written in the transaction) and create records only through these ids."""

    MAX_BLOCK = 1024  # PostgreSQL: ids taken from the sequence at once (unused ones are lost)

    def __init__(self) -> None:
        self._next: int | None = None
        self._pool: list[int] = []
        self._block = 8

    def take(self) -> int:
        if is_postgres():
            if not self._pool:
                self._pool = [
                    int(r[0])
                    for r in raw.fetchall(
                        "SELECT nextval(pg_get_serial_sequence('record', 'id'))"
                        " FROM generate_series(1, ?)",
                        (self._block,),
                    )
                ]
                self._pool.sort(reverse=True)
                self._block = min(self._block * 2, self.MAX_BLOCK)
            return self._pool.pop()
        if self._next is None:
            found = raw.fetchone("SELECT MAX(id) FROM record")
            self._next = int(found[0] or 0) + 1 if found else 1
        value = self._next
        self._next += 1
        return value


def record_row(
    record_id: int,
    type_key: str,
    values: dict[str, str],
    source_id: str | None = None,
    *,
    email_checked: bool = False,
    cleaned: bool = False,
    now: dt.datetime | str | None = None,
) -> tuple:
    """Validate and name a new record exactly like ``records.create``; returns its row for
    :func:`insert_records` (nothing is written yet).

    ``email_checked``: the caller has looked the email up in this transaction and found
    no live contact with it (the unique-email rule holds); ``cleaned``: the values
    already went through ``objects.clean_value``; ``now``: its creation time (from
    :func:`stamp`), when many records share one."""
    info = objects.by_key(type_key)
    props = dict(values) if cleaned else records._clean(info, values)
    columns = records._columns(info, props)
    if info.key == objects.CONTACT and props.get("email") and not email_checked:
        existing = raw.fetchone(
            "SELECT id FROM record WHERE email = ? AND deleted_at IS NULL"
            " AND merged_into_id IS NULL LIMIT 1",
            (props["email"],),
        )
        if existing:
            raise DuplicateRecord(
                _("a contact with email {email} already exists: {ref}").format(
                    email=props["email"], ref=records.ref_of("contact", existing[0])
                )
            )
    if now is None:
        now = stamp()
    return (
        record_id,
        info.id,
        columns["name"],
        columns["name_key"],
        columns["email"],
        columns["domain"],
        columns["properties"],
        now,
        now,
        source_id,
    )


def insert_records(rows: Sequence[tuple]) -> None:
    """Write rows made by :func:`record_row`, in one statement (or a few)."""
    if rows:
        insert_many(RECORD_INSERT, rows)
        changes.notify()


def limited_pairs() -> set[tuple[int, int]]:
    """(from type, to type) pairs that have a limit: their links need the general rules."""
    return {
        (int(f), int(t))
        for f, t in raw.fetchall(
            "SELECT from_type_id, to_type_id FROM association_limit WHERE max_count IS NOT NULL"
        )
    }


def link_plain(
    links: Sequence[tuple[int, int, int, int]],
    ctx: Context,
    unlinked: Container[int] = (),
    existed: set[tuple[int, int]] | None = None,
) -> int:
    """Associate (x, x_type_id, y, y_type_id) pairs without labels; returns how many were created.

    ``unlinked``: ids of records just inserted that no association reaches yet (these
    are their first links): their pairs cannot exist and they have no primary, so they
    are not looked up. ``existed``: filled with the pairs (a < b) that were associated
    already."""
    company = objects.by_key(objects.COMPANY).id
    holders = {
        info.id for info in objects.all_types() if info.has_primary_company
    }  # objects whose records have a primary company
    limited = limited_pairs()
    wanted: dict[tuple[int, int], tuple[int, int]] = {}
    general: list[tuple[int, int]] = []
    for x, x_type, y, y_type in links:
        if x == y:
            continue
        if (x_type, y_type) in limited or (y_type, x_type) in limited:
            general.append((x, y))
            continue
        a, b = (x, y) if x < y else (y, x)
        a_type, b_type = (x_type, y_type) if x < y else (y_type, x_type)
        wanted.setdefault((a, b), (a_type, b_type))
    created = 0
    has_primary: set[int] = set()
    pairs = list(wanted)
    for start in range(0, len(pairs), CHUNK):
        part = pairs[start : start + CHUNK]
        ask = [p for p in part if p[0] not in unlinked and p[1] not in unlinked]
        # One index search per pair ("(a_id, b_id) IN (VALUES ...)" scans the table).
        existing = {
            (int(a), int(b))
            for a, b in rows_for_keys(
                "association", ("a_id", "b_id"), ("a_id", "b_id"), ("bigint", "bigint"), ask
            )
        }
        fresh = [p for p in part if p not in existing]
        if existed is not None:
            existed.update(existing)
        if not fresh:
            continue
        # Records that will want a primary company: which have one already?
        candidates = set()
        for a, b in fresh:
            a_type, b_type = wanted[(a, b)]
            if b_type == company and a_type in holders:
                candidates.add(a)
            if a_type == company and b_type in holders:
                candidates.add(b)
        # (kept across chunks: a record of ``unlinked`` may get its primary in an earlier one)
        candidates = {c for c in candidates if c not in unlinked and c not in has_primary}
        if candidates:
            ids = sorted(candidates)
            marks = ", ".join(["?"] * len(ids))
            for (rid,) in raw.fetchall(
                f"SELECT a_id FROM association WHERE a_id IN ({marks}) AND b_type_id = ?"
                f" AND a_primary_b UNION SELECT b_id FROM association WHERE b_id IN ({marks})"
                f" AND a_type_id = ? AND b_primary_a",
                [*ids, company, *ids, company],
            ):
                has_primary.add(int(rid))
        now = stamp()
        assoc_rows = []
        history_rows = []
        for a, b in fresh:
            a_type, b_type = wanted[(a, b)]
            a_primary_b = b_type == company and a_type in holders and a not in has_primary
            b_primary_a = a_type == company and b_type in holders and b not in has_primary
            if a_primary_b:
                has_primary.add(a)
            if b_primary_a:
                has_primary.add(b)
            assoc_rows.append((a, b, a_type, b_type, a_primary_b, b_primary_a, now))
            history_rows.append(
                (
                    now,
                    a,
                    b,
                    a_type,
                    b_type,
                    "created",
                    "[]",
                    a_primary_b,
                    b_primary_a,
                    ctx.source,
                    ctx.actor,
                    ctx.batch,
                )
            )
        insert_many(
            "INSERT INTO association (a_id, b_id, a_type_id, b_type_id, a_primary_b,"
            " b_primary_a, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            assoc_rows,
        )
        insert_many(
            "INSERT INTO history (at, a_id, b_id, a_type_id, b_type_id, action, labels,"
            " a_primary_b, b_primary_a, source, actor, batch)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            history_rows,
        )
        created += len(fresh)
    for x, y in general:
        if associations.associate(x, y, ctx).created:
            created += 1
        elif existed is not None:
            existed.add((min(x, y), max(x, y)))
    if created:
        changes.notify()
    return created
