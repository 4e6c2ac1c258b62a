"""`rolodex list`: one object's live records, filtered and sorted, as a stream.

A listing is a set of conditions on the record table (``Condition``: a piece of SQL and
its parameters) and a sort. The rows come from one statement read as it is iterated
(a server-side cursor on PostgreSQL), in batches: each batch gets its primary
companies and association counts with the index's own queries, so a million records
cost memory for one batch and the first row arrives at once when the sort has an
index (name, created). Other sorts need the database to sort first.

To add a kind of filter, write a function that returns a ``Condition`` and append it
to ``Listing.conditions``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from rolodex.crm import index, objects
from rolodex.crm.errors import InvalidValue
from rolodex.crm.objects import ObjectInfo
from rolodex.i18n import _
from rolodex.store import raw
from rolodex.store.database import is_sqlite

BATCH = 1000
FIRST_BATCH = 50
COLUMN_SORTS = ("name", "created")
# Properties kept in a column of their own, lower-cased (what resolve() matches).
LOWER_COLUMNS = {(objects.CONTACT, "email"): "email", (objects.COMPANY, "domain"): "domain"}


@dataclass(frozen=True)
class Condition:
    """One condition on the listed records (``r`` is the record table)."""

    sql: str
    params: tuple = ()


@dataclass(frozen=True)
class ListRow:
    id: int
    type: str
    name: str
    properties: dict[str, str]
    primary_company: tuple[int, str] | None
    counts: dict[str, int]  # object key -> how many of its records this one is associated with

    @property
    def ref(self) -> str:
        return f"{self.type}:{self.id}"


@dataclass
class Listing:
    info: ObjectInfo
    conditions: list[Condition] = field(default_factory=list)
    sort: str = "name"
    limit: int | None = None
    # False: rows without primary companies and counts (a list of REFs needs neither,
    # and they are most of the cost: about 25 of 30 microseconds a row at 1M records).
    enrich: bool = True

    @property
    def counted(self) -> list[ObjectInfo]:
        """The objects whose association counts each row carries (those with an index)."""
        return index.index_types() if self.enrich else []


def _property_sql(info: ObjectInfo, key: str) -> tuple[str, tuple]:
    """An expression for the property ``key`` of a record ``r`` (checked to exist)."""
    if key == "name":
        return "r.name", ()
    if info.property(key) is None:
        raise InvalidValue(
            _("{object} has no property '{key}' (properties: {keys})").format(
                object=info.key,
                key=key,
                keys=", ".join(["name", *(p.key for p in info.properties)]),
            )
        )
    if is_sqlite():
        return "json_extract(r.properties, ?)", (f'$."{key}"',)
    return "(r.properties::json ->> ?)", (key,)


def where_property(info: ObjectInfo, key: str, value: str) -> Condition:
    """Records whose property ``key`` is exactly ``value`` (emails and domains in any case)."""
    key = key.strip()
    column = LOWER_COLUMNS.get((info.key, key))
    if column is not None:  # an indexed column
        return Condition(f"r.{column} = ?", (value.strip().lower(),))
    expression, params = _property_sql(info, key)
    return Condition(f"{expression} = ?", (*params, value))


def parse_where(info: ObjectInfo, text: str) -> Condition:
    """``PROP=VALUE`` from the command line."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InvalidValue(_("'{text}' is not PROP=VALUE").format(text=text))
    return where_property(info, key, value)


def name_starts_with(text: str) -> Condition:
    """Records whose name starts with ``text`` (casefolded: the index's filter)."""
    key = " ".join(text.split()).casefold()
    if not key:
        return Condition("1 = 1")
    return Condition("r.name_key >= ? AND r.name_key < ?", (key, key + "\U0010ffff"))


def name_contains(text: str) -> Condition:
    """Records whose name contains ``text`` (casefolded: the index's plain filter)."""
    key = " ".join(text.split()).casefold()
    if not key:
        return Condition("1 = 1")
    return Condition(
        "strpos(r.name_key, ?) > 0" if not is_sqlite() else "instr(r.name_key, ?) > 0", (key,)
    )


def index_filter(info: ObjectInfo, text: str) -> list[Condition]:
    """What the index's filter box keeps: the filter language, or names containing it."""
    from rolodex.crm import filter_expr  # it builds on this module

    if filter_expr.looks_like_expression(text):
        return filter_expr.conditions(info, text)
    return [name_contains(text)] if text.strip() else []


def not_among(record_ids: Sequence[int]) -> Condition:
    """All but these records (the unticked of "every match")."""
    ids = [int(i) for i in record_ids]
    if not ids:
        return Condition("1 = 1")
    return Condition(f"r.id NOT IN ({','.join('?' * len(ids))})", tuple(ids))


def ids_of(listing: Listing) -> list[int]:
    """The listed records' ids, in the listing's order."""
    plain = Listing(listing.info, list(listing.conditions), listing.sort, listing.limit, False)
    return [row.id for row in rows(plain)]


def associated_with(record_id: int) -> Condition:
    """Records associated with the record ``record_id``."""
    return Condition(
        "r.id IN (SELECT b_id FROM association WHERE a_id = ? "
        "UNION ALL SELECT a_id FROM association WHERE b_id = ?)",
        (record_id, record_id),
    )


def among(record_ids: Sequence[int]) -> Condition:
    """Only these records (a selection)."""
    ids = [int(i) for i in record_ids] or [0]
    return Condition(f"r.id IN ({','.join('?' * len(ids))})", tuple(ids))


def _order(listing: Listing) -> tuple[str, tuple]:
    sort = listing.sort.strip() or "name"
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    direction = "DESC" if descending else "ASC"
    if key == "name":
        return f"r.name_key {direction}, r.id {direction}", ()
    if key == "created":
        return f"r.id {direction}", ()
    expression, params = _property_sql(listing.info, key)
    return f"{expression} {direction}, r.id {direction}", params


def statement(listing: Listing) -> tuple[str, list]:
    """The listing's one SELECT, with ``?`` placeholders, and its parameters."""
    order, order_params = _order(listing)
    sql = (
        "SELECT r.id, r.name, r.properties FROM record r WHERE r.object_type_id = ? "
        "AND r.deleted_at IS NULL AND r.merged_into_id IS NULL"
    )
    params: list = [listing.info.id]
    for condition in listing.conditions:
        sql += f" AND ({condition.sql})"
        params += list(condition.params)
    sql += f" ORDER BY {order}"
    params += list(order_params)
    if listing.limit is not None:
        sql += " LIMIT ?"
        params.append(listing.limit)
    return sql, params


def rows(listing: Listing, batch: int = BATCH) -> Iterator[ListRow]:
    """The records in order, each with its primary company and association counts (a bad
    filter or sort is reported here, before the first row)."""
    if listing.limit is not None and listing.limit < 1:
        raise InvalidValue(_("--limit must be at least 1"))
    sql, params = statement(listing)
    return _stream(listing, sql, params, batch)


def _stream(listing: Listing, sql: str, params: list, batch: int) -> Iterator[ListRow]:
    counted = [info.key for info in listing.counted]
    with_primary = listing.enrich and listing.info.has_primary_company
    pending: list[tuple] = []
    size = min(FIRST_BATCH, batch)  # the first rows come at once, then full batches
    for found in raw.cursor(sql, params):
        pending.append(found)
        if len(pending) >= size:
            yield from _enrich(listing.info, pending, counted, with_primary)
            pending = []
            size = batch
    if pending:
        yield from _enrich(listing.info, pending, counted, with_primary)


def _enrich(
    info: ObjectInfo, found: list[tuple], counted: list[str], with_primary: bool
) -> Iterator[ListRow]:
    ids = [r[0] for r in found]
    counts = index.association_counts(ids, counted) if counted else {}
    primaries = index.primary_companies(ids) if with_primary else {}
    for rid, name, props in found:
        yield ListRow(
            id=rid,
            type=info.key,
            name=name,
            properties=json.loads(props or "{}"),
            primary_company=primaries.get(rid),
            counts={key: counts[key].get(rid, 0) for key in counted},
        )
