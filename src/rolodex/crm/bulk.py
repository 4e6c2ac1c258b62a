"""Bulk writers for import: the same rules as records.create and associations.associate,
in few round trips, for the cases where the outcome of the rules is known in advance.

- :func:`create_record` validates and names a record exactly like ``records.create``
  (same cleaning, same display name, same unique-email rule) with one raw INSERT.
- :func:`link_plain` creates plain associations (no labels, no explicit primary) in
  batches. It applies the rules that concern such links: no self-association, an
  existing pair is left alone, the first company of a record without a primary
  becomes its primary, and one history row per new association. Pairs whose object
  pair has a limit are handed to ``associations.associate`` (the general path).

Callers must run these inside their transaction and pass live record ids.
"""

from __future__ import annotations

from collections.abc import Sequence

from rolodex.crm import associations, changes, objects, records
from rolodex.crm.context import Context
from rolodex.crm.errors import DuplicateRecord
from rolodex.i18n import _
from rolodex.store import raw
from rolodex.store.database import is_postgres
from rolodex.store.models import database, utcnow

CHUNK = 400


def _execute(sql: str, params: Sequence[object]) -> object:
    db = database.obj
    cursor = db.cursor()
    cursor.execute(sql if db.param == "?" else sql.replace("?", db.param), tuple(params))
    return cursor


def _executemany(sql: str, rows: list[tuple]) -> None:
    if not rows:
        return
    db = database.obj
    cursor = db.cursor()
    cursor.executemany(sql if db.param == "?" else sql.replace("?", db.param), rows)


def create_record(
    type_key: str,
    values: dict[str, str],
    source_id: str | None = None,
    *,
    email_checked: bool = False,
    cleaned: bool = False,
) -> int:
    """Like ``records.create`` (same validation and columns); returns the new id.

    ``email_checked``: the caller has just looked the email up in this transaction
    and found no live contact with it (the unique-email rule holds); ``cleaned``: the
    values already went through ``objects.clean_value``."""
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
    now = utcnow()
    sql = (
        "INSERT INTO record (object_type_id, name, name_key, email, domain, properties,"
        " version, created_at, updated_at, source_id) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)"
    )
    params = (
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
    if is_postgres():
        cursor = _execute(sql + " RETURNING id", params)
        new_id = int(cursor.fetchone()[0])  # type: ignore[attr-defined]
    else:
        cursor = _execute(sql, params)
        new_id = int(cursor.lastrowid)  # type: ignore[attr-defined]
    changes.notify()
    return new_id


def limited_pairs() -> set[tuple[int, int]]:
    """(from type, to type) pairs that have a limit: their links need the general rules."""
    return {
        (int(f), int(t))
        for f, t in raw.fetchall(
            "SELECT from_type_id, to_type_id FROM association_limit WHERE max_count IS NOT NULL"
        )
    }


def link_plain(links: Sequence[tuple[int, int, int, int]], ctx: Context) -> int:
    """Associate (x, x_type_id, y, y_type_id) pairs without labels; returns how many were created."""
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
    pairs = list(wanted)
    for start in range(0, len(pairs), CHUNK):
        part = pairs[start : start + CHUNK]
        values = ", ".join(["(?, ?)"] * len(part))
        flat = [v for pair in part for v in pair]
        existing = {
            (int(a), int(b))
            for a, b in raw.fetchall(
                f"SELECT a_id, b_id FROM association WHERE (a_id, b_id) IN (VALUES {values})",
                flat,
            )
        }
        fresh = [p for p in part if p not in existing]
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
        has_primary: set[int] = set()
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
        now = utcnow()
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
        _executemany(
            "INSERT INTO association (a_id, b_id, a_type_id, b_type_id, a_primary_b,"
            " b_primary_a, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            assoc_rows,
        )
        _executemany(
            "INSERT INTO history (at, a_id, b_id, a_type_id, b_type_id, action, labels,"
            " a_primary_b, b_primary_a, source, actor, batch)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            history_rows,
        )
        created += len(fresh)
    for x, y in general:
        if associations.associate(x, y, ctx).created:
            created += 1
    if created:
        changes.notify()
    return created
