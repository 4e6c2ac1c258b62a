"""Index pages: one object's records in keyset pages, with associated counts for visible rows.

Everything here reads only the rows of one page, so a page costs the same on
the first screen and a million rows deep.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

from rolodex.crm import index_sorts, objects, search
from rolodex.crm.errors import InvalidValue
from rolodex.i18n import _
from rolodex.store import raw
from rolodex.store.database import is_sqlite

PAGE_SIZE = 100
SORTS = ("name", "-name", "created", "-created")  # and column sorts: see index_sorts
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
    sort_key: tuple = ()  # (blank, value) in a column sort

    @property
    def ref(self) -> str:
        return f"{self.type}:{self.id}"

    def cursor(self, sort: str) -> tuple:
        """This row's keyset position in ``sort``: pass as ``after`` or ``before``."""
        return (*self.sort_position(sort), self.id)

    def sort_position(self, sort: str) -> tuple:
        column = sort.lstrip("-")
        if column == "name":
            return (self.name_key,)
        return () if column == "created" else self.sort_key


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
# A name filter with fewer substring-index candidates than this reads them and sorts
# them; with more, the page's own index is walked and each name tested.
_DENSE = 5000


def _filter_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _filter(text: str, info: objects.ObjectInfo) -> tuple[str, list, bool]:
    """The condition of a name filter: names that contain ``text`` (casefolded, as
    ``name_key`` holds them), so "berg" finds Björn Berg. Returns the SQL, its
    parameters, and whether matches are sparse: then the substring index proposes the
    candidates (a walk of the name index would test 500,000 names for a few); dense
    matches are found walking the index in the page's order, which stops at once.

    Text in the filter language (``primary.country = Sweden``, ``count(contact) = 0``:
    crm/filter_expr.py) is that filter instead, tested per record as the page's own
    index is walked."""
    from rolodex.crm import filter_expr  # it builds on listing, which builds on this module

    if filter_expr.looks_like_expression(text):
        found = filter_expr.conditions(info, text)
        sql = " AND ".join(f"({c.sql})" for c in found) or "1 = 1"
        return (
            f" AND EXISTS (SELECT 1 FROM record r WHERE r.id = record.id AND {sql})",
            [p for c in found for p in c.params],
            False,
        )
    key = _filter_key(text)
    if not key:
        return "", [], False
    if not is_sqlite():  # pg_trgm's index on name_key serves LIKE
        escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return " AND name_key LIKE ?", [f"%{escaped}%"], False
    if len(key) >= 3:
        phrase = '"' + search.trigram_fold(key).replace('"', '""') + '"'
        row = raw.fetchone(
            "SELECT count(*) FROM (SELECT rowid FROM record_search "
            "WHERE record_search MATCH ? LIMIT ?)",
            (phrase, _DENSE),
        )
        if row is not None and int(row[0]) < _DENSE:
            return (
                " AND id IN (SELECT rowid FROM record_search WHERE record_search MATCH ?)"
                " AND instr(name_key, ?) > 0",
                [phrase, key],
                True,
            )
    return " AND instr(name_key, ?) > 0", [key], False


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
    """One page of live records of ``type_key``; ``filter_text`` keeps names containing it.

    Without ``after``/``before`` it is the first page. ``after`` (a cursor: a page's
    ``after`` or a row's ``cursor(sort)``) gives the rows that follow it; ``before``
    the rows that precede it; ``last`` the last page of the list; ``offset`` (without a
    cursor) the page that starts that many rows into the list, for a jump to any depth
    (the index walks past them: ~10 ms per million rows on SQLite). Rows are always in
    display order. ``associated`` names the objects whose association counts to
    compute for the page's rows; ``primary_company`` adds each row's primary company.
    """
    info = objects.by_key(type_key)
    by_column = index_sorts.column_sort(info, sort) if index_sorts.is_column_sort(sort) else None
    if sum((after is not None, before is not None, last, offset > 0)) > 1:
        raise InvalidValue(_("read a page after a cursor, before one, or the last: only one"))
    prefix, prefix_params, sparse = _filter(filter_text, info)
    descending = sort.startswith("-")
    by_name = sort.lstrip("-") == "name"
    # Reading backwards (before a cursor, or the last page) walks the index the other
    # way and flips the page afterwards: as cheap as reading forwards, at any depth.
    backwards = before is not None or last
    step_down = descending != backwards  # rows read in decreasing key order
    cursor_at = after if after is not None else before
    select = "SELECT id, name, name_key, properties FROM record WHERE "
    params: list
    if by_column is not None:
        sql, params = _column_sorted(
            by_column, info.id, prefix, prefix_params, cursor_at, backwards
        )
    elif by_name:
        sql, params = select + _LIVE + prefix, [info.id, *prefix_params]
        if cursor_at is not None:
            sql += " AND (name_key, id) < (?, ?)" if step_down else " AND (name_key, id) > (?, ?)"
            params += list(cursor_at)
        sql += " ORDER BY name_key DESC, id DESC" if step_down else " ORDER BY name_key, id"
    elif sparse:
        # Few records match the name filter: read the candidates and sort them.
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
            sql = select + _LIVE + prefix
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
    found = raw.fetchall(sql, params) if by_column else raw.fetchall_hot(sql, params)
    more = len(found) > limit
    found = found[:limit]
    if backwards:
        found.reverse()
    rows = _rows(info, found, associated, primary_company)
    if not rows:
        return IndexPage(rows, None, None)
    first, final = rows[0].cursor(sort), rows[-1].cursor(sort)
    if offset > 0:
        return IndexPage(rows, final if more else None, first)
    if backwards:
        # More before when the read was cut short; the cursor's own row (if any) follows.
        return IndexPage(rows, final if before is not None else None, first if more else None)
    return IndexPage(rows, final if more else None, first if after is not None else None)


def _rows(
    info: objects.ObjectInfo, found: list, associated: Sequence[str], primary_company: bool
) -> list[IndexRow]:
    """Rows read as (id, name, name_key, properties[, blank, value]), with their counts
    and primary companies."""
    ids = [r[0] for r in found]
    wanted = list(dict.fromkeys(associated))
    by_type = _counts_by_type(ids, [objects.by_key(key).id for key in wanted])
    counts = {key: by_type.get(objects.by_key(key).id, {}) for key in wanted}
    primaries = primary_companies(ids) if primary_company and info.has_primary_company else {}
    return [
        IndexRow(
            id=rid,
            type=info.key,
            name=name,
            properties=json.loads(props or "{}"),
            counts={key: counts[key].get(rid, 0) for key in counts},
            primary_company=primaries.get(rid),
            name_key=name_key,
            sort_key=tuple(key),
        )
        for rid, name, name_key, props, *key in found
    ]


def sorted_ids(type_key: str, sort: str, filter_text: str = "") -> array[int]:
    """Every matching record's id in a column sort's order, read in one statement: the
    TUI reads it once and then each page by its ids, instantly at any depth (a keyset
    page of a column sort costs a read of every record)."""
    info = objects.by_key(type_key)
    by = index_sorts.column_sort(info, sort)
    prefix, prefix_params, _sparse = _filter(filter_text, info)
    sql = index_sorts.ids_sql(by, _LIVE + prefix)
    return array("q", (row[0] for row in raw.fetchall(sql, [*by.params, info.id, *prefix_params])))


def matching_ids(type_key: str, filter_text: str = "") -> array[int]:
    """The ids of every live record of the object that the filter keeps."""
    info = objects.by_key(type_key)
    prefix, prefix_params, _sparse = _filter(filter_text, info)
    sql = "SELECT id FROM record WHERE " + _LIVE + prefix + " ORDER BY id"
    return array("q", (row[0] for row in raw.fetchall(sql, [info.id, *prefix_params])))


def rows_of(
    type_key: str,
    ids: Sequence[int],
    *,
    associated: Sequence[str] = (),
    primary_company: bool = False,
) -> list[IndexRow]:
    """The live ones of ``ids``, in their order (a page of ``sorted_ids``)."""
    info = objects.by_key(type_key)
    found: dict[int, tuple] = {}
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        for row in raw.fetchall(
            "SELECT id, name, name_key, properties FROM record WHERE "
            + _LIVE
            + f" AND id IN ({marks})",
            [info.id, *chunk],
        ):
            found[row[0]] = row
    ordered = [found[i] for i in ids if i in found]
    return _rows(info, ordered, associated, primary_company)


def start_at(row: IndexRow, sort: str) -> tuple:
    """A cursor to pass as ``after`` so that the page starts with ``row`` itself.

    Ids are integers, so nothing sorts between ``row`` and this cursor: the read starts
    at the row's place in the list even if the row itself is gone meanwhile.
    """
    step = 1 if sort.startswith("-") else -1
    return (*row.sort_position(sort), row.id + step)


def _column_sorted(
    by: index_sorts.ColumnSort,
    type_id: int,
    prefix: str,
    prefix_params: list,
    cursor_at: tuple | None,
    backwards: bool,
) -> tuple[str, list]:
    sql = index_sorts.sorted_sql(by, _LIVE + prefix, cursor_at, backwards)
    params = [*by.params, type_id, *prefix_params]
    if cursor_at is not None:
        blank, value, row_id = cursor_at
        params += [blank, blank, value, value, row_id]
    return sql, params


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
    prefix, prefix_params, _sparse = _filter(filter_text, info)
    row = raw.fetchone(
        "SELECT count(*) FROM record WHERE " + _LIVE + prefix, [info.id, *prefix_params]
    )
    return int(row[0]) if row and row[0] else 0


def index_types() -> list[objects.ObjectInfo]:
    """The objects that have an index page: standard objects, then custom objects."""
    return [info for info in objects.all_types() if not info.is_activity]
