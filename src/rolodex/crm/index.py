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

    @property
    def ref(self) -> str:
        return f"{self.type}:{self.id}"


@dataclass(frozen=True)
class IndexPage:
    rows: list[IndexRow]
    # Pass as ``after`` to read the next page; None when this was the last page.
    after: tuple | None


# Hand-written SQL (as in associations.py): these reads run for every screenful of an index.
_LIVE = "object_type_id = ? AND deleted_at IS NULL AND merged_into_id IS NULL"
_CHUNK = 5000  # ids per statement, well under SQLite's variable limit


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
    filter_text: str = "",
    limit: int = PAGE_SIZE,
    associated: Sequence[str] = (),
    primary_company: bool = False,
) -> IndexPage:
    """One page of live records of ``type_key``; ``filter_text`` keeps names starting with it.

    ``associated`` names the objects whose association counts to compute for
    the page's rows; ``primary_company`` adds each row's primary company.
    """
    if sort not in SORTS:
        raise InvalidValue(
            _("unknown sort '{sort}' (sorts: {sorts})").format(sort=sort, sorts=", ".join(SORTS))
        )
    info = objects.by_key(type_key)
    prefix, prefix_params = _prefix_sql(filter_text)
    sql = "SELECT id, name, name_key, properties FROM record WHERE " + _LIVE + prefix
    params: list = [info.id, *prefix_params]
    descending = sort.startswith("-")
    by_name = sort.lstrip("-") == "name"
    if by_name:
        if after is not None:
            sql += " AND (name_key, id) < (?, ?)" if descending else " AND (name_key, id) > (?, ?)"
            params += list(after)
        sql += " ORDER BY name_key DESC, id DESC" if descending else " ORDER BY name_key, id"
    else:
        if after is not None:
            sql += " AND id < ?" if descending else " AND id > ?"
            params.append(after[0])
        sql += " ORDER BY id DESC" if descending else " ORDER BY id"
    sql += " LIMIT ?"
    params.append(limit + 1)
    found = raw.fetchall_hot(sql, params)
    more = len(found) > limit
    found = found[:limit]
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
        )
        for rid, name, _name_key, props in found
    ]
    cursor: tuple | None = None
    if more and found:
        last = found[-1]
        cursor = (last[2], last[0]) if by_name else (last[0],)
    return IndexPage(rows, cursor)


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
