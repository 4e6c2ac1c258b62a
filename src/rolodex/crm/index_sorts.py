"""Sorting an index by any of its columns: a property, an association count, the primary
company. The list is ordered by (blank, value, id): blanks last in both directions, ties
broken by id, so a keyset cursor (blank, value, id) pages it either way at any depth.

Unlike name and created (walks of an index), such a sort reads every record of the
object once per page: the value is computed once per record (a materialized CTE),
about 0.5 s a page for 500,000 contacts on SQLite."""

from __future__ import annotations

from dataclasses import dataclass

from rolodex.crm import objects
from rolodex.crm.errors import InvalidValue
from rolodex.i18n import _
from rolodex.store.database import is_sqlite

ORDERS = ("name", "created")  # walks of an index; see index.page()


@dataclass(frozen=True)
class ColumnSort:
    value: str  # SQL on ``record``: the value sorted by, NULL when blank
    params: list
    empty: str  # SQL literal a blank compares as (blanks are a group of their own)
    descending: bool


def is_column_sort(sort: str) -> bool:
    return sort.lstrip("-") not in ORDERS


def _property(info: objects.ObjectInfo, key: str) -> tuple[str, list, str]:
    prop = next((p for p in info.properties if p.key == key), None)
    if prop is None:
        raise InvalidValue(_("{object} has no property '{key}'").format(object=info.key, key=key))
    if is_sqlite():
        raw, param = "json_extract(properties, ?)", '$."' + key.replace('"', '""') + '"'
        if prop.kind == "number":
            return f"CAST(nullif({raw}, '') AS REAL)", [param], "0"
        return f"nullif(lower({raw}), '')", [param], "''"
    raw = "(properties::jsonb ->> ?)"
    if prop.kind == "number":
        # Only what reads as a number is cast: a stray text value must not fail the read.
        # No "?" in the pattern: "?" marks a parameter in this SQL.
        pattern = r"'^\s*-{0,1}[0-9]+(\.[0-9]+){0,1}\s*$'"
        value = f"CASE WHEN {raw} ~ {pattern} THEN CAST({raw} AS double precision) END"
        return value, [key, key], "0"
    return f"nullif(lower({raw}), '')", [key], "''"


def column_sort(info: objects.ObjectInfo, sort: str) -> ColumnSort:
    """The SQL of sorting ``info``'s index by ``sort``: ``prop:KEY``, ``assoc:OBJECT`` or
    ``primary``, with a leading ``-`` for descending."""
    descending = sort.startswith("-")
    column = sort.lstrip("-")
    if column.startswith("prop:"):
        value, params, empty = _property(info, column[5:])
    elif column.startswith("assoc:") and column[6:] in {t.key for t in objects.all_types()}:
        other = objects.by_key(column[6:]).id
        value = (
            "((SELECT count(*) FROM association WHERE a_id = record.id AND b_type_id = ?)"
            " + (SELECT count(*) FROM association WHERE b_id = record.id AND a_type_id = ?))"
        )
        params, empty = [other, other], "0"
    elif column == "primary" and info.has_primary_company:
        company = objects.by_key(objects.COMPANY).id
        value = (
            "coalesce((SELECT c.name_key FROM association s JOIN record c ON c.id = s.b_id"
            " WHERE s.a_id = record.id AND s.b_type_id = ? AND s.a_primary_b),"
            " (SELECT c.name_key FROM association s JOIN record c ON c.id = s.a_id"
            " WHERE s.b_id = record.id AND s.a_type_id = ? AND s.b_primary_a))"
        )
        params, empty = [company, company], "''"
    else:
        raise InvalidValue(
            _(
                "unknown sort '{sort}' (sorts: name, created, prop:KEY, assoc:OBJECT, primary)"
            ).format(sort=sort)
        )
    return ColumnSort(value, params, empty, descending)


def sorted_sql(by: ColumnSort, live: str, cursor_at: tuple | None, backwards: bool) -> str:
    """The statement (before LIMIT): ``live`` selects the records; the parameters are the
    sort's, ``live``'s, then with a cursor (blank, blank, value, value, id)."""
    # Materialized: each record's value is computed once, not again for every mention.
    sql = (
        f"WITH v AS MATERIALIZED (SELECT id, name, name_key, properties, {by.value} AS value"
        f" FROM record WHERE {live}), s AS (SELECT id, name, name_key, properties,"
        f" CASE WHEN value IS NULL THEN 1 ELSE 0 END AS blank,"
        f" coalesce(value, {by.empty}) AS value FROM v)"
        " SELECT id, name, name_key, properties, blank, value FROM s"
    )
    if cursor_at is not None:
        sql += " WHERE " + _after(by.descending, backwards)
    return sql + _order_by(by.descending, backwards)


def ids_sql(by: ColumnSort, live: str) -> str:
    """Every selected record's id in the sort's order (parameters: the sort's, ``live``'s)."""
    direction = "DESC" if by.descending else "ASC"
    return (
        f"SELECT id FROM (SELECT id, {by.value} AS value FROM record WHERE {live}) v"
        f" ORDER BY CASE WHEN value IS NULL THEN 1 ELSE 0 END, value {direction}, id {direction}"
    )


def _after(descending: bool, backwards: bool) -> str:
    """Rows past a cursor (blank, value, id) in the order read (``backwards``: towards the
    start of the list): blanks come last whichever way the values run, so the comparison
    is written out rather than one row value."""
    later_blank = "<" if backwards else ">"
    later = "<" if descending != backwards else ">"
    return (
        f"(blank {later_blank} ? OR (blank = ? AND (value {later} ?"
        f" OR (value = ? AND id {later} ?))))"
    )


def _order_by(descending: bool, backwards: bool) -> str:
    blank = "DESC" if backwards else "ASC"
    rest = "DESC" if descending != backwards else "ASC"
    return f" ORDER BY blank {blank}, value {rest}, id {rest}"
