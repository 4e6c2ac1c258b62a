"""Index pages: one object's records in keyset pages, with associated counts for visible rows.

Everything here reads only the rows of one page, so a page costs the same on
the first screen and a million rows deep.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from rolodex.crm import objects
from rolodex.crm.errors import InvalidValue
from rolodex.i18n import _
from rolodex.store import raw
from rolodex.store.database import is_sqlite

PAGE_SIZE = 100
SORTS = ("name", "-name", "created", "-created")
PRIMARY_COMPANY = "primary_company"


@dataclass(frozen=True)
class IndexRow:
    id: int
    type: str
    name: str
    properties: dict[str, str]
    counts: dict[str, int] = field(default_factory=dict)  # associated object key -> count
    primary_company: tuple[int, str] | None = None  # (id, name)
    name_key: str = ""  # the name as sorted (casefolded)

    @property
    def ref(self) -> str:
        return f"{self.type}:{self.id}"

    def cursor(self, sort: str) -> tuple:
        """This row's keyset position in ``sort``: pass as ``after`` or ``before``."""
        return (self.name_key, self.id) if sort.lstrip("-") == "name" else (self.id,)


@dataclass(frozen=True)
class IndexPage:
    rows: list[IndexRow]
    # Pass as ``after`` to read the next page; None when this was the last page.
    after: tuple | None
    # Pass as ``before`` to read the previous page; None when this was the first page.
    before: tuple | None = None


# Hand-written SQL (as in associations.py): these reads run for every screenful of an index.
_LIVE = "object_type_id = ? AND deleted_at IS NULL AND merged_into_id IS NULL"
_CHUNK = 5000  # ids per statement, well under SQLite's variable limit
# Created sorts walk the partial (object_type_id, id) index (see page()).
_LIVE_REST = " AND deleted_at IS NULL AND merged_into_id IS NULL"
_LIVE_BY_ID = "object_type_id >= ? AND object_type_id <= ?" + _LIVE_REST
# A name filter in a created sort: with fewer matches than this, read them through the
# name index and sort them; with more, walk the id index and keep those that match.
_DENSE = 5000


def _prefix_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _prefix_sql(text: str) -> tuple[str, list[str]]:
    key = _prefix_key(text)
    if not key:
        return "", []
    return " AND name_key >= ? AND name_key < ?", [key, key + "\U0010ffff"]


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    ids = list(ids)
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def page(
    type_key: str,
    *,
    sort: str = "name",
    after: tuple | None = None,
    before: tuple | None = None,
    last: bool = False,
    filter_text: str = "",
    limit: int = PAGE_SIZE,
    associated: Sequence[str] = (),
    primary_company: bool = False,
    offset: int = 0,
) -> IndexPage:
    """One page of live records of ``type_key``; ``filter_text`` keeps names starting with it.

    Without ``after``/``before`` it is the first page. ``after`` (a cursor: a page's
    ``after`` or a row's ``cursor(sort)``) gives the rows that follow it; ``before``
    the rows that precede it; ``last`` the last page of the list; ``offset`` (without a
    cursor) the page that starts that many rows into the list, for a jump to any depth
    (the index walks past them: ~10 ms per million rows on SQLite). Rows are always in
    display order. ``associated`` names the objects whose association counts to
    compute for the page's rows; ``primary_company`` adds each row's primary company.
    """
    if sort not in SORTS:
        raise InvalidValue(
            _("unknown sort '{sort}' (sorts: {sorts})").format(sort=sort, sorts=", ".join(SORTS))
        )
    if sum((after is not None, before is not None, last, offset > 0)) > 1:
        raise InvalidValue(_("read a page after a cursor, before one, or the last: only one"))
    info = objects.by_key(type_key)
    prefix, prefix_params = _prefix_sql(filter_text)
    descending = sort.startswith("-")
    by_name = sort.lstrip("-") == "name"
    # Reading backwards (before a cursor, or the last page) walks the index the other
    # way and flips the page afterwards: as cheap as reading forwards, at any depth.
    backwards = before is not None or last
    step_down = descending != backwards  # rows read in decreasing key order
    cursor_at = after if after is not None else before
    select = "SELECT id, name, name_key, properties FROM record WHERE "
    params: list
    if by_name:
        sql, params = select + _LIVE + prefix, [info.id, *prefix_params]
        if cursor_at is not None:
            sql += " AND (name_key, id) < (?, ?)" if step_down else " AND (name_key, id) > (?, ?)"
            params += list(cursor_at)
        sql += " ORDER BY name_key DESC, id DESC" if step_down else " ORDER BY name_key, id"
    elif prefix and not _dense(info.id, prefix, prefix_params):
        # Few records match the name filter: read them by name and sort them (SQLite
        # has no statistics to choose this by itself; it walked 500,000 rows for none).
        sql, params = select + _LIVE + prefix, [info.id, *prefix_params]
        if cursor_at is not None:
            sql += " AND id < ?" if step_down else " AND id > ?"
            params.append(cursor_at[-1])
        sql += " ORDER BY id DESC" if step_down else " ORDER BY id"
    else:
        # Walk the (object, id) index, keeping what matches the filter ("+": not by the
        # name index; "a" newest first sorted 60,000 matches that way, 128 ms at 1M).
        if not is_sqlite():
            # The object as a range, the cursor as a row value: PostgreSQL's planner then
            # takes this index, not the primary key past every other object's rows (6-9 ms
            # at 100k); SQLite would seek on the object alone that way.
            where, params = _by_id_on_postgresql(info.id, cursor_at, step_down)
            sql = select + where + prefix
            params += prefix_params
            order = "object_type_id {d}, id {d}"
        else:
            sql = select + _LIVE + prefix.replace("name_key", "+name_key")
            params = [info.id, *prefix_params]
            if cursor_at is not None:
                sql += " AND id < ?" if step_down else " AND id > ?"
                params.append(cursor_at[-1])
            order = "id {d}"
        sql += " ORDER BY " + order.format(d="DESC" if step_down else "ASC")
    sql += " LIMIT ?"
    params.append(limit + 1)
    if offset > 0:
        sql += " OFFSET ?"
        params.append(offset)
    found = raw.fetchall_hot(sql, params)
    more = len(found) > limit
    found = found[:limit]
    if backwards:
        found.reverse()
    ids = [r[0] for r in found]
    wanted = list(dict.fromkeys(associated))
    by_type = _counts_by_type(ids, [objects.by_key(key).id for key in wanted])
    counts = {key: by_type.get(objects.by_key(key).id, {}) for key in wanted}
    primaries = primary_companies(ids) if primary_company and info.has_primary_company else {}
    rows = [
        IndexRow(
            id=rid,
            type=info.key,
            name=name,
            properties=json.loads(props or "{}"),
            counts={key: counts[key].get(rid, 0) for key in counts},
            primary_company=primaries.get(rid),
            name_key=name_key,
        )
        for rid, name, name_key, props in found
    ]
    if not rows:
        return IndexPage(rows, None, None)
    first, final = rows[0].cursor(sort), rows[-1].cursor(sort)
    if offset > 0:
        return IndexPage(rows, final if more else None, first)
    if backwards:
        # More before when the read was cut short; the cursor's own row (if any) follows.
        return IndexPage(rows, final if before is not None else None, first if more else None)
    return IndexPage(rows, final if more else None, first if after is not None else None)


def start_at(row: IndexRow, sort: str) -> tuple:
    """A cursor to pass as ``after`` so that the page starts with ``row`` itself.

    Ids are integers, so nothing sorts between ``row`` and this cursor: the read starts
    at the row's place in the list even if the row itself is gone meanwhile.
    """
    step = 1 if sort.startswith("-") else -1
    return (row.name_key, row.id + step) if sort.lstrip("-") == "name" else (row.id + step,)


def _by_id_on_postgresql(
    type_id: int, cursor_at: tuple | None, step_down: bool
) -> tuple[str, list]:
    if cursor_at is None:
        return _LIVE_BY_ID, [type_id, type_id]
    if step_down:
        return "(object_type_id, id) < (?, ?) AND object_type_id >= ?" + _LIVE_REST, [
            type_id,
            cursor_at[-1],
            type_id,
        ]
    return "(object_type_id, id) > (?, ?) AND object_type_id <= ?" + _LIVE_REST, [
        type_id,
        cursor_at[-1],
        type_id,
    ]


def _dense(type_id: int, prefix: str, prefix_params: list[str]) -> bool:
    """Whether at least ``_DENSE`` live records of the object match the name filter
    (counted through the name index, stopping at ``_DENSE``)."""
    row = raw.fetchone(
        "SELECT count(*) FROM (SELECT 1 FROM record WHERE " + _LIVE + prefix + " LIMIT ?) AS m",
        [type_id, *prefix_params, _DENSE],
    )
    return row is not None and int(row[0]) >= _DENSE


def _counts_by_type(ids: Sequence[int], type_ids: Sequence[int]) -> dict[int, dict[int, int]]:
    """{type id: {record id: how many records of that type it is associated with}}."""
    out: dict[int, dict[int, int]] = {tid: {} for tid in type_ids}
    if not ids or not type_ids:
        return out
    types = list(dict.fromkeys(type_ids))
    tmarks = ",".join("?" * len(types))
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        sql = (
            f"SELECT a_id, b_type_id, count(*) FROM association WHERE a_id IN ({marks}) "
            f"AND b_type_id IN ({tmarks}) GROUP BY a_id, b_type_id UNION ALL "
            f"SELECT b_id, a_type_id, count(*) FROM association WHERE b_id IN ({marks}) "
            f"AND a_type_id IN ({tmarks}) GROUP BY b_id, a_type_id"
        )
        for rid, tid, n in raw.fetchall_hot(sql, [*chunk, *types, *chunk, *types]):
            totals = out[tid]
            totals[rid] = totals.get(rid, 0) + n
    return out


def association_counts(ids: Sequence[int], type_keys: Sequence[str]) -> dict[str, dict[int, int]]:
    """{object key: {record id: how many records of that object it is associated with}}."""
    type_ids = {key: objects.by_key(key).id for key in type_keys}
    by_type = _counts_by_type(ids, list(type_ids.values()))
    return {key: by_type.get(type_id, {}) for key, type_id in type_ids.items()}


def associated_counts(ids: Sequence[int], type_key: str) -> dict[int, int]:
    """How many ``type_key`` records each of ``ids`` is associated with."""
    if not ids:
        return {}
    type_id = objects.by_key(type_key).id
    return _counts_by_type(ids, [type_id])[type_id]


def primary_companies(ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """Each record's primary company as (id, name), for the records that have one."""
    if not ids:
        return {}
    company = objects.by_key(objects.COMPANY).id
    out: dict[int, tuple[int, str]] = {}
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        found = raw.fetchall_hot(
            f"SELECT 0, s.a_id, r.id, r.name FROM association s JOIN record r ON r.id = s.b_id "
            f"WHERE s.a_id IN ({marks}) AND s.b_type_id = ? AND s.a_primary_b UNION ALL "
            f"SELECT 1, s.b_id, r.id, r.name FROM association s JOIN record r ON r.id = s.a_id "
            f"WHERE s.b_id IN ({marks}) AND s.a_type_id = ? AND s.b_primary_a",
            [*chunk, company, *chunk, company],
        )
        found.sort(key=lambda r: r[0])  # as before: the second direction wins a (rare) tie
        for _side, rid, cid, name in found:
            out[rid] = (cid, name)
    return out


def total(type_key: str, filter_text: str = "") -> int:
    """How many live records of the object match the filter."""
    info = objects.by_key(type_key)
    prefix, prefix_params = _prefix_sql(filter_text)
    row = raw.fetchone(
        "SELECT count(*) FROM record WHERE " + _LIVE + prefix, [info.id, *prefix_params]
    )
    return int(row[0]) if row and row[0] else 0


def index_types() -> list[objects.ObjectInfo]:
    """The objects that have an index page: standard objects, then custom objects."""
    return [info for info in objects.all_types() if not info.is_activity]
