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
import json
from collections.abc import Container, Sequence
from dataclasses import dataclass

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
    raw.execute(sql, params)


def insert_many(sql: str, rows: Sequence[tuple]) -> None:
    """``INSERT ... VALUES (?, ...)`` for many rows: ``executemany`` on SQLite, multi-row
    VALUES statements on PostgreSQL (one round trip per chunk, not per row)."""
    if not rows:
        return
    db = database.obj
    if db.param == "?":
        raw.executemany(sql, rows)
        return
    head, _sep, group = sql.rpartition(" VALUES ")
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        raw.execute(
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


@dataclass(frozen=True)
class Link:
    """An association to make: "y is linked to x", with these labels as the association
    stores them (label id, its smaller-id record is the label's from record; a single
    label between two records of one object always True) and, with ``primary``, y (a
    company) becomes x's primary company."""

    x: int
    x_type: int
    y: int
    y_type: int
    labels: frozenset[tuple[int, bool]] = frozenset()
    primary: bool = False


@dataclass
class Linked:
    """What :func:`link_many` did."""

    created: int = 0
    updated: int = 0
    labels_added: int = 0


class _Pair:
    """One association's state while a batch is worked out."""

    __slots__ = (
        "id",
        "a",
        "b",
        "a_type",
        "b_type",
        "apb",
        "bpa",
        "labels",
        "start",
        "made",
        "added",
    )

    def __init__(self, a: int, b: int, a_type: int, b_type: int, assoc_id: int | None = None):
        self.id = assoc_id  # None: not associated (yet)
        self.a, self.b, self.a_type, self.b_type = a, b, a_type, b_type
        self.apb = self.bpa = False
        self.labels: set[tuple[int, bool]] = set()
        self.start: tuple = ()  # an existing association's flags and labels, as read
        self.made = False  # a new association this batch makes
        self.added: set[tuple[int, bool]] = set()

    def state(self) -> tuple:
        return (self.apb, self.bpa, frozenset(self.labels))

    def flag(self, holder: int, value: bool) -> None:
        if holder == self.a:
            self.apb = value
        else:
            self.bpa = value

    def flagged(self, holder: int) -> bool:
        return self.apb if holder == self.a else self.bpa


def link_many(
    links: Sequence[Link],
    ctx: Context,
    unlinked: Container[int] = (),
    existed: set[tuple[int, int]] | None = None,
) -> Linked:
    """Make these associations in a few statements, with the rules ``associations.associate``
    applies to one: an existing pair gets only what is new (labels, the primary), an
    explicit primary demotes the record's old primary (which stays associated), the first
    company associated with a record that has none becomes its primary, and one history
    row per association changed (the state it ends in). Pairs whose object pair has a
    limit go through ``associations.associate`` one by one (plain links only: the caller
    routes labelled ones through the rules).

    ``unlinked``: ids of records just inserted that no association reaches yet: their
    pairs and primaries are not looked up. ``existed``: filled with the pairs (a < b)
    that were associated already."""
    company = objects.by_key(objects.COMPANY).id
    holder_types = {info.id for info in objects.all_types() if info.has_primary_company}
    limited = limited_pairs()
    done = Linked()
    general: list[tuple[int, int]] = []
    ordered: list[Link] = []
    for link in links:
        if link.x == link.y:
            continue
        if (link.x_type, link.y_type) in limited or (link.y_type, link.x_type) in limited:
            general.append((link.x, link.y))
            continue
        ordered.append(link)
    pairs: dict[tuple[int, int], _Pair] = {}
    ask: list[tuple[int, int]] = []
    holders: set[int] = set()
    for link in ordered:
        a, b = (link.x, link.y) if link.x < link.y else (link.y, link.x)
        if (a, b) not in pairs:
            a_type, b_type = (
                (link.x_type, link.y_type) if link.x < link.y else (link.y_type, link.x_type)
            )
            pairs[(a, b)] = _Pair(a, b, a_type, b_type)
            if a not in unlinked and b not in unlinked:
                ask.append((a, b))
        for rid, rtype, other_type in (
            (link.x, link.x_type, link.y_type),
            (link.y, link.y_type, link.x_type),
        ):
            if other_type == company and rtype in holder_types and rid not in unlinked:
                holders.add(rid)
    # What exists: the pairs, and the primaries of the records that may change theirs.
    for start in range(0, len(ask), CHUNK):
        for a, b, assoc_id, apb, bpa in rows_for_keys(
            "association",
            ("a_id", "b_id", "id", "a_primary_b", "b_primary_a"),
            ("a_id", "b_id"),
            ("bigint", "bigint"),
            ask[start : start + CHUNK],
        ):
            pair = pairs[(int(a), int(b))]
            pair.id = int(assoc_id)
            pair.apb, pair.bpa = bool(apb), bool(bpa)
            if existed is not None:
                existed.add((pair.a, pair.b))
    primary_of: dict[int, _Pair] = {}
    wanted = sorted(holders)
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        marks = ", ".join(["?"] * len(part))
        for a, b, assoc_id, a_type, b_type, apb, bpa in raw.fetchall(
            "SELECT a_id, b_id, id, a_type_id, b_type_id, a_primary_b, b_primary_a FROM association"
            f" WHERE a_id IN ({marks}) AND b_type_id = ? AND a_primary_b"
            " UNION SELECT a_id, b_id, id, a_type_id, b_type_id, a_primary_b, b_primary_a"
            f" FROM association WHERE b_id IN ({marks}) AND a_type_id = ? AND b_primary_a",
            [*part, company, *part, company],
        ):
            key = (int(a), int(b))
            held = pairs.get(key)
            if held is None:
                held = pairs[key] = _Pair(key[0], key[1], int(a_type), int(b_type), int(assoc_id))
                held.apb, held.bpa = bool(apb), bool(bpa)
            holder = key[0] if apb and int(b_type) == company else key[1]
            primary_of[holder] = held
    known = [p for p in pairs.values() if p.id is not None]
    labels = _labels_of([p.id for p in known if p.id is not None])
    for pair in known:
        pair.labels = set(labels.get(pair.id or 0, ()))
        pair.start = pair.state()
    # The links, in order, as the rules would make them one by one.
    for link in ordered:
        a, b = (link.x, link.y) if link.x < link.y else (link.y, link.x)
        pair = pairs[(a, b)]
        first = pair.id is None and not pair.made
        pair.made = pair.made or pair.id is None
        new_labels = set(link.labels) - pair.labels
        pair.labels |= new_labels
        pair.added |= new_labels
        if link.primary and not pair.flagged(link.x):
            old = primary_of.get(link.x)
            if old is not None and old is not pair:
                old.flag(link.x, False)
            pair.flag(link.x, True)
            primary_of[link.x] = pair
        if first:
            # A new association: the first company of a record that has none becomes its primary.
            for holder, holder_type, other_type in (
                (a, pair.a_type, pair.b_type),
                (b, pair.b_type, pair.a_type),
            ):
                if (
                    other_type == company
                    and holder_type in holder_types
                    and not pair.flagged(holder)
                    and holder not in primary_of
                ):
                    pair.flag(holder, True)
                    primary_of[holder] = pair
    # Write: flags off first, then new pairs, then flags on (one primary per record at
    # every moment), labels, history.
    now = stamp()
    clears, sets, inserts, label_rows, history_rows = [], [], [], [], []
    for pair in pairs.values():
        if pair.id is None:
            inserts.append((pair.a, pair.b, pair.a_type, pair.b_type, pair.apb, pair.bpa, now))
            action = "created"
            done.created += 1
        else:
            if pair.state() == pair.start:
                continue
            old_apb, old_bpa, _old_labels = pair.start
            for flag, was, now_is in (
                ("a_primary_b", old_apb, pair.apb),
                ("b_primary_a", old_bpa, pair.bpa),
            ):
                if was and not now_is:
                    clears.append((flag, pair.id))
                elif now_is and not was:
                    sets.append((flag, pair.id))
            action = "updated"
            done.updated += 1
        for lid, fwd in sorted(pair.added):
            label_rows.append((lid, fwd, pair.a, pair.b))
        done.labels_added += len(pair.added)
        history_rows.append(
            (
                now,
                pair.a,
                pair.b,
                pair.a_type,
                pair.b_type,
                action,
                json.dumps(sorted([lid, fwd] for lid, fwd in pair.labels)) if pair.labels else "[]",
                pair.apb,
                pair.bpa,
                ctx.source,
                ctx.actor,
                ctx.batch,
            )
        )
    for flag in ("a_primary_b", "b_primary_a"):
        insert_many_update(
            f"UPDATE association SET {flag} = ? WHERE id = ?",
            [(False, i) for f, i in clears if f == flag],
        )
    insert_many(
        "INSERT INTO association (a_id, b_id, a_type_id, b_type_id, a_primary_b,"
        " b_primary_a, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        inserts,
    )
    for flag in ("a_primary_b", "b_primary_a"):
        insert_many_update(
            f"UPDATE association SET {flag} = ? WHERE id = ?",
            [(True, i) for f, i in sets if f == flag],
        )
    if label_rows:
        insert_many_update(
            "INSERT INTO association_label (association_id, label_id, forward)"
            " SELECT id, ?, ? FROM association WHERE a_id = ? AND b_id = ?",
            label_rows,
        )
    insert_many(
        "INSERT INTO history (at, a_id, b_id, a_type_id, b_type_id, action, labels,"
        " a_primary_b, b_primary_a, source, actor, batch)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        history_rows,
    )
    for x, y in general:
        change = associations.associate(x, y, ctx)
        if change.created:
            done.created += 1
        elif existed is not None:
            existed.add((min(x, y), max(x, y)))
    if done.created or done.updated:
        changes.notify()
    return done


def _labels_of(assoc_ids: Sequence[int]) -> dict[int, set[tuple[int, bool]]]:
    found: dict[int, set[tuple[int, bool]]] = {}
    for start in range(0, len(assoc_ids), CHUNK):
        part = list(assoc_ids[start : start + CHUNK])
        marks = ", ".join(["?"] * len(part))
        for assoc_id, label_id, forward in raw.fetchall(
            "SELECT association_id, label_id, forward FROM association_label"
            f" WHERE association_id IN ({marks})",
            part,
        ):
            found.setdefault(int(assoc_id), set()).add((int(label_id), bool(forward)))
    return found


def insert_many_update(sql: str, rows: Sequence[tuple]) -> None:
    """One statement (not an INSERT ... VALUES) run for many rows: ``executemany``."""
    if not rows:
        return
    db = database.obj
    db.cursor().executemany(sql if db.param == "?" else sql.replace("?", db.param), rows)


def link_plain(
    links: Sequence[tuple[int, int, int, int]],
    ctx: Context,
    unlinked: Container[int] = (),
    existed: set[tuple[int, int]] | None = None,
) -> int:
    """Associate (x, x_type_id, y, y_type_id) pairs without labels; returns how many were
    created (see :func:`link_many`)."""
    return link_many([Link(x, xt, y, yt) for x, xt, y, yt in links], ctx, unlinked, existed).created
