"""Search by name, email or domain over live records, as you type.

The order (every caller relies on it): the query, whitespace collapsed, matches a
record whose name contains it, compared casefolded (as ``name_key`` stores the name,
so "SS" finds "Straße"), or whose email or domain contains it lower-cased (both are
stored lower-cased). First come the records whose name starts with the query, then
the other matches; each group sorted by (name_key, id), that is by the casefolded
name in code point order. The N results are exactly the first N matches in that
order that are live (neither deleted nor merged) and not excluded.

How it stays within milliseconds at 1,000,000 records whatever the query:

- Name-prefix matches are a range of the (object, name_key, id) index, in order.
- The other matches come from one of these plans, chosen by cheap bounded probes and
  an estimate of each plan's cost: *walk* the name index in order testing each row
  (cheap when matches are dense; objects other than contacts and companies are
  matched by name alone, tested on the index without reading the row); *read* every
  candidate the substring index finds (FTS5 trigram on SQLite, pg_trgm on
  PostgreSQL) and sort them (cheap when they are few). A search over several objects
  that finds neither plan cheap searches each object apart (each has its own name
  index and density of matches) and merges the results.
- A one- or two-character query has no trigram: on SQLite the trigrams that start
  with it come from the index's vocabulary (every value is indexed followed by two
  U+0001 characters, so that every occurrence starts one; store/migrations.py).

The substring index only proposes candidates (its case folding is simple folding):
every result is tested exactly before it is returned.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from rolodex.crm import objects, records
from rolodex.store import raw
from rolodex.store.database import is_sqlite
from rolodex.store.models import database

# Estimated costs in microseconds, measured at 1M records on SQLite: walking one row
# of the name index (reading the record, or only the index for objects matched by
# name alone), and reading and sorting one substring-index candidate.
WALK_ROW = {False: 1.0, True: 0.15}  # by "matched by name alone"
READ_ROW = 0.5
# A first walk costs about this much; one over several objects that would cost more
# than SPLIT searches each object apart.
FIRST_WALK = 600.0
SPLIT = 5000.0
# Walking on costing less than this, the candidates are not even counted.
COUNT_WORTH = 3000.0
# Substring-index candidates: fewer than FEW are read and sorted before any walk;
# MANY or more are never read and sorted (counted at most that far).
FEW = 2000
MANY = 200_000
# Candidates sorted beyond the ``limit`` wanted, for those the exact test drops.
READ_SLACK = 8
# Vocabulary entries read at most for a one- or two-character query, in all and for
# each candidate it may save reading (reading the entries costs far less).
SHORT_TERMS = 200_000
TERMS_PER_CANDIDATE = 8
# An excluded record's associations are passed as a list of ids up to this many;
# beyond, each candidate is looked up in the association index.
ASSOCIATED_LIST = 1000

# The only objects whose rows fill Record.email and Record.domain (crm/records.py and
# io/importer.py write them for these alone): other objects match by name alone.
ADDRESS_COLUMN = {objects.CONTACT: "email", objects.COMPANY: "domain"}

_COLUMNS = "r.id, r.object_type_id, r.name, r.email, r.domain, r.name_key"
_LIVE = "r.deleted_at IS NULL AND r.merged_into_id IS NULL"
# Characters the trigram tokenizer does not index as themselves: a query holding
# one is only walked.
_UNINDEXED = frozenset("\ufffe\uffff")

# Ids per statement, well under SQLite's variable limit.
_CHUNK = 5000

Key = tuple[str, int]  # a position in name order: (name_key, id)


@dataclass(frozen=True)
class Hit:
    id: int
    type: str
    name: str
    email: str | None
    domain: str | None

    @property
    def ref(self) -> str:
        return records.ref_of(self.type, self.id)

    @property
    def detail(self) -> str:
        return self.email or self.domain or ""


def query_keys(text: str) -> tuple[str, str]:
    """The query as compared with names (casefolded) and with emails and domains
    (lower-cased), whitespace collapsed; empty when there is nothing to search."""
    # No stored value holds NUL, and both engines refuse it inside a query string.
    text = " ".join(text.replace("\x00", "").split())
    return text.casefold(), text.lower()


def match_group(
    name_key: str, email: str | None, domain: str | None, name: str, address: str
) -> int | None:
    """0 for a name-prefix match, 1 for another match, None for no match (``name`` and
    ``address`` as ``query_keys`` returns them): the definition the SQL implements."""
    if name_key.startswith(name):
        return 0
    if name in name_key or address in (email or "") or address in (domain or ""):
        return 1
    return None


def after_prefix(key: str) -> str | None:
    """The least string after every string that starts with ``key`` (None: no bound)."""
    while key:
        code = ord(key[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= 0x10FFFF:
            return key[:-1] + chr(code)
        key = key[:-1]
    return None


def trigram_fold(text: str) -> str:
    """``text`` as the FTS5 trigram tokenizer folds it: simple case folding, which is
    the full folding when that is one character, else the lower case when that is."""
    return "".join(_fold_char(c) for c in text)


def _fold_char(c: str) -> str:
    if len(folded := c.casefold()) == 1:
        return folded
    return lower if len(lower := c.lower()) == 1 else c


def fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def _keyset(params: list[object], after: Key | None, through: Key | None = None) -> str:
    """Conditions keeping the rows after ``after`` and up to ``through`` in name order
    (their values appended to ``params``)."""
    sql = ""
    if after is not None:
        sql += " AND (r.name_key, r.id) > (?, ?)"
        params += after
    if through is not None:
        sql += " AND (r.name_key, r.id) <= (?, ?)"
        params += through
    return sql


def _objects(type_ids: Sequence[int] | None) -> tuple[str, list[object]]:
    if not type_ids:
        return "", []
    if len(type_ids) == 1:
        return "r.object_type_id = ? AND ", [type_ids[0]]
    return f"r.object_type_id IN ({_marks(type_ids)}) AND ", list(type_ids)


class _Query:
    """What one search looks for and leaves out, as SQL conditions on the row ``r``."""

    def __init__(
        self,
        text: str,
        type_ids: list[int] | None,
        exclude: Sequence[int],
        associated_with: int | None,
    ) -> None:
        self.sqlite = is_sqlite()
        self.name, self.address = query_keys(text)
        upper = after_prefix(self.name)
        self.prefix = "r.name_key >= ?" + ("" if upper is None else " AND r.name_key < ?")
        self.prefix_params: list[object] = [self.name] if upper is None else [self.name, upper]
        self.indexed = self.sqlite and not _UNINDEXED.intersection(self.name + self.address)
        self.phrase = " OR ".join(fts_phrase(t) for t in sorted({self.name, self.address}))
        excluded = list(dict.fromkeys(exclude))
        per_row = False
        if associated_with is not None:
            found = _associated(associated_with, type_ids)
            per_row = len(found) > ASSOCIATED_LIST
            if not per_row:
                excluded += found
        # Listed ids; and the record whose associations every candidate is looked up for.
        self.listed = f" AND r.id NOT IN ({_marks(excluded)})" if excluded else ""
        self.listed_params: list[object] = list(excluded)
        self.checked, self.checked_params = "", []
        if per_row:
            low, high = ("min", "max") if self.sqlite else ("LEAST", "GREATEST")
            self.checked = (
                " AND NOT EXISTS (SELECT 1 FROM association s "
                f"WHERE s.a_id = {low}(?, r.id) AND s.b_id = {high}(?, r.id))"
            )
            self.checked_params = [associated_with, associated_with]
        self.exclusions = self.listed + self.checked
        self.exclusion_params = self.listed_params + self.checked_params
        # fts_count's: match -> (low id, high id) -> (cap, count)
        self.counts: dict[str, dict[tuple[int, int], tuple[int, int]]] = {}

    def prefix_matches(self, type_id: int | None, limit: int) -> list[tuple]:
        of, params = _objects([type_id] if type_id else None)
        sql = (
            f"SELECT {_COLUMNS} FROM record r WHERE {of}{self.prefix} AND {_LIVE}"
            f"{self.exclusions} ORDER BY r.name_key, r.id LIMIT ?"
        )
        return raw.fetchall(sql, [*params, *self.prefix_params, *self.exclusion_params, limit])


class _Plan:
    """The statements finding the other matches (not name-prefix ones) of some objects
    (``infos``; None: every object)."""

    def __init__(self, query: _Query, infos: Sequence[objects.ObjectInfo] | None) -> None:
        self.q = query
        self.type_ids = [info.id for info in infos] if infos is not None else None
        keys = {info.key for info in infos} if infos is not None else set(ADDRESS_COLUMN)
        columns = [column for key, column in sorted(ADDRESS_COLUMN.items()) if key in keys]
        self.name_only = not columns
        self.row_cost = WALK_ROW[self.name_only]
        tests = [("name_key", query.name)] + [(column, query.address) for column in columns]
        if query.sqlite:
            match = " OR ".join(f"instr(r.{column}, ?) > 0" for column, _v in tests)
            self.match_params: list[object] = [value for _c, value in tests]
        else:
            match = " OR ".join(f"r.{column} LIKE ?" for column, _v in tests)
            self.match_params = [_like(value) for _c, value in tests]
        self.match = f"({match})"
        self.id_range: tuple[str, list[int]] | None = None

    def _others(self, after: Key | None = None, through: Key | None = None) -> tuple[str, list]:
        """The conditions of an other match, the match test first: a walk evaluates it
        on the index's name_key and reads the row only when it needs more."""
        q = self.q
        of, params = _objects(self.type_ids)
        sql = f"{of}{self.match} AND {_LIVE} AND NOT ({q.prefix}){q.exclusions}"
        params += [*self.match_params, *q.prefix_params, *q.exclusion_params]
        return sql + _keyset(params, after, through), params

    def end_of_walk(self, after: Key | None, rows: int) -> Key | None:
        """The key ``rows`` rows after ``after`` in the name index (None: past its end)."""
        of, params = _objects(self.type_ids)
        sql = (
            f"SELECT r.name_key, r.id FROM record r WHERE {of}1 = 1"
            f"{_keyset(params, after)} ORDER BY r.name_key, r.id LIMIT 1 OFFSET ?"
        )
        row = raw.fetchone(sql, [*params, max(rows, 1) - 1])
        return (row[0], row[1]) if row else None

    def walk(self, limit: int, after: Key | None = None, through: Key | None = None) -> list:
        """The first ``limit`` other matches, walking the name index and testing each row."""
        others, params = self._others(after, through)
        sql = f"SELECT {_COLUMNS} FROM record r WHERE {others} ORDER BY r.name_key, r.id LIMIT ?"
        return raw.fetchall(sql, [*params, limit])

    # -- SQLite: candidates from the trigram index
    def _rowids(self) -> tuple[str, list[int]]:
        """Candidates' rowids within these objects' live ids (a seek in the trigram
        index when one object's ids are close together, as after an import)."""
        if self.id_range is None:
            self.id_range = "", []
            if self.type_ids:
                live = _LIVE.replace("r.", "")
                bounds = [
                    raw.fetchone(
                        f"SELECT (SELECT id FROM record WHERE object_type_id = ? AND {live} "
                        "ORDER BY id LIMIT 1), (SELECT id FROM record WHERE "
                        f"object_type_id = ? AND {live} ORDER BY id DESC LIMIT 1)",
                        [type_id, type_id],
                    )
                    for type_id in self.type_ids
                ]
                found = [b for b in bounds if b and b[0] is not None]
                if not found:
                    self.id_range = " AND 0", []
                else:
                    low, high = min(b[0] for b in found), max(b[1] for b in found)
                    self.id_range = " AND rowid BETWEEN ? AND ?", [int(low), int(high)]
        return self.id_range

    def fts_count(self, match: str, cap: int) -> int:
        """Candidates among these objects' ids, up to ``cap``. An estimate of cost only:
        objects whose ids mostly overlap (activities logged over time) share one."""
        ids, params = self._rowids()
        span = (params[0], params[1]) if params else (0, 1 << 62)
        for (low, high), (seen, count) in self.q.counts.get(match, {}).items():
            shared = min(high, span[1]) - max(low, span[0])
            if seen >= cap and 2 * shared > max(high - low, span[1] - span[0]):
                return min(count, cap)
        row = raw.fetchone(
            "SELECT count(*) FROM (SELECT rowid FROM record_search "
            f"WHERE record_search MATCH ?{ids} LIMIT ?)",
            [match, *params, cap],
        )
        count = int(row[0]) if row else 0
        self.q.counts.setdefault(match, {})[span] = (cap, count)
        return count

    def fts_read(self, match: str, limit: int, after: Key | None = None) -> list[tuple]:
        """The first ``limit`` other matches among the trigram index's candidates: sorted
        on the covering index record_search_keys (no row read), then the first ones
        tested exactly and against the listed exclusions, in growing batches."""
        q = self.q
        ids, id_params = self._rowids()
        of, of_params = _objects(self.type_ids)
        out: list[tuple] = []
        batch = limit + READ_SLACK
        while True:
            params = [match, *id_params, *of_params, *q.prefix_params, *q.checked_params]
            sql = (
                "SELECT r.id, r.name_key FROM (SELECT rowid AS id FROM record_search "
                f"WHERE record_search MATCH ?{ids}) m "
                "CROSS JOIN record r INDEXED BY record_search_keys ON r.id = m.id "
                f"WHERE {of}{_LIVE} AND NOT ({q.prefix}){q.checked}{_keyset(params, after)} "
                "ORDER BY r.name_key, r.id LIMIT ?"
            )
            candidates = raw.fetchall(sql, [*params, batch])
            wanted = [c[0] for c in candidates]
            found: dict[int, tuple] = {}
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                rows = raw.fetchall(
                    f"SELECT {_COLUMNS} FROM record r WHERE r.id IN ({_marks(chunk)}) "
                    f"AND {self.match}{q.listed}",
                    [*chunk, *self.match_params, *q.listed_params],
                )
                found.update((row[0], row) for row in rows)
            out += [found[i] for i in wanted if i in found]
            if len(out) >= limit or len(candidates) < batch:
                return out[:limit]
            after = (candidates[-1][1], candidates[-1][0])
            batch *= 4

    def short_match(self, cap: int) -> str | None:
        """An FTS5 query for a one- or two-character query: the trigrams that start with
        it. None when they index more than ``cap`` values (too many to count cheaply)."""
        terms: set[str] = set()
        total = 0
        starts = {trigram_fold(self.q.name)}
        if not self.name_only:
            starts.add(trigram_fold(self.q.address))
        for start in starts:
            upper = after_prefix(start)
            sql = "SELECT term, doc FROM record_search_terms WHERE term >= ?"
            params: list[object] = [start]
            if upper is not None:
                sql += " AND term < ?"
                params.append(upper)
            for term, docs in _stream(sql, params):
                total += int(docs)
                if total > cap:
                    return None
                terms.add(term)
        return " OR ".join(fts_phrase(t) for t in sorted(terms))

    # -- PostgreSQL: candidates through pg_trgm (a scan without it)
    def pg_count(self, cap: int) -> int:
        of, params = _objects(self.type_ids)
        row = raw.fetchone(
            f"SELECT count(*) FROM (SELECT 1 FROM record r WHERE {of}{self.match} LIMIT ?) found",
            [*params, *self.match_params, cap],
        )
        return int(row[0]) if row else 0

    def pg_read(self, limit: int, after: Key | None = None) -> list[tuple]:
        """Every other match, then sorted (materialized: ordered by name_key with a
        LIMIT, the planner would walk the name index instead, for seconds at 1M)."""
        others, params = self._others(after)
        sql = (
            f"WITH found AS MATERIALIZED (SELECT {_COLUMNS} FROM record r WHERE {others}) "
            "SELECT * FROM found ORDER BY name_key, id LIMIT ?"
        )
        return raw.fetchall(sql, [*params, limit])


def _stream(sql: str, params: Sequence[object]) -> Iterator[tuple]:
    """Rows of a statement as they come (the caller may stop early)."""
    cursor = database.obj.cursor()
    cursor.execute(sql, tuple(params))
    while batch := cursor.fetchmany(64):
        yield from batch


def _associated(record_id: int, type_ids: list[int] | None) -> list[int]:
    """Up to ASSOCIATED_LIST + 1 ids on each side of ``record_id``'s associations."""
    found: list[int] = []
    for mine, other, other_type in (("a_id", "b_id", "b_type_id"), ("b_id", "a_id", "a_type_id")):
        sql = f"SELECT {other} FROM association WHERE {mine} = ?"
        if type_ids:
            sql += f" AND {other_type} IN ({_marks(type_ids)})"
        rows = raw.fetchall(sql + " LIMIT ?", [record_id, *(type_ids or []), ASSOCIATED_LIST + 1])
        found += [r[0] for r in rows]
    return found


def _few(plan: _Plan, limit: int, after: Key | None) -> list[tuple] | None:
    """All the other matches read and sorted when the substring index finds fewer than
    FEW candidates for three or more characters (None: more, or no such count)."""
    q = plan.q
    if len(q.name) < 3 or (q.sqlite and not q.indexed):
        return None
    if q.sqlite:
        if plan.fts_count(q.phrase, FEW) < FEW:
            return plan.fts_read(q.phrase, limit, after)
        return None
    return plan.pg_read(limit, after) if plan.pg_count(FEW) < FEW else None


def _candidates(plan: _Plan, cap: int) -> tuple[str, int] | None:
    """The substring index's query for the other matches and how many candidates it
    finds, up to ``cap`` (``cap``: that many or more); None: it cannot count them."""
    q = plan.q
    if not q.sqlite:
        return "", plan.pg_count(cap)
    if not q.indexed:
        return None
    match = q.phrase
    if len(q.name) < 3:
        short = plan.short_match(min(SHORT_TERMS, cap * TERMS_PER_CANDIDATE))
        if short is None:
            return "", cap
        if not short:
            return "", 0
        match = short
    return match, plan.fts_count(match, cap)


def _read(plan: _Plan, match: str, limit: int, after: Key | None) -> list[tuple]:
    if not plan.q.sqlite:
        return plan.pg_read(limit, after)
    return plan.fts_read(match, limit, after) if match else []


Split = Callable[[int, Key | None], list[tuple]]


def _others(
    plan: _Plan, limit: int, after: Key | None = None, split: Split | None = None
) -> list[tuple]:
    """The first ``limit`` other matches after ``after``, in order.

    Read at once when the candidates are few. Else walk a first stretch of the name
    index, and from the density of matches found so far estimate what walking on
    costs. Read and sort the candidates when that costs less than walking on, or than
    the walk has cost already (counting them only that far); for several objects,
    search each apart when walking on looks dear; else walk on, twice as far as
    estimated, and look again.
    """
    few = _few(plan, limit, after)
    if few is not None:
        return few
    rows: list[tuple] = []
    step = walked = max(1, int(FIRST_WALK / plan.row_cost))
    counted: tuple[str, int] | None = ("", 0)
    counted_up_to = 0  # counted[1] == counted_up_to: that many candidates or more
    while True:
        through = plan.end_of_walk(after, step)
        rows += plan.walk(limit - len(rows), after, through)
        if len(rows) == limit or through is None:
            return rows
        after = through
        rest = limit - len(rows)
        ahead = rest * walked / (len(rows) + 1)  # rows still to walk, at this density
        walking = ahead * plan.row_cost
        budget = max(walking, walked * plan.row_cost)  # walking on, or walked so far
        if budget > COUNT_WORTH and counted is not None:
            # Count only as far as reading could still cost less than the budget.
            cap = min(MANY, int(budget / READ_ROW) + 1)
            if counted[1] == counted_up_to < cap:
                counted, counted_up_to = _candidates(plan, cap), cap
            if counted and counted[1] < counted_up_to and counted[1] * READ_ROW < budget:
                return rows + _read(plan, counted[0], rest, after)
        if split is not None and walking > SPLIT:
            return rows + split(rest, after)
        step = max(step, int(2 * ahead))
        walked += step


def _in_order(row: tuple) -> Key:
    return (row[5], row[0])


def search(
    text: str,
    types: Sequence[str] | None = None,
    *,
    limit: int = 20,
    exclude: Sequence[int] = (),
    exclude_associated_with: int | None = None,
) -> list[Hit]:
    """The first ``limit`` live records matching ``text``, in the module's order: names
    starting with it (compared casefolded) first, then names containing it or emails or
    domains containing it (lower-cased); each group by (name_key, id).

    ``types`` keeps those objects (default: all); ``exclude`` leaves out those ids, and
    ``exclude_associated_with`` every record associated with that record (not the record
    itself): the results are then the first ``limit`` of what is left.
    """
    if not query_keys(text)[0] or limit < 1:
        return []
    infos = [objects.by_key(t) for t in dict.fromkeys(types)] if types else None
    query = _Query(text, [i.id for i in infos] if infos else None, exclude, exclude_associated_with)
    if infos is None:
        rows = query.prefix_matches(None, limit)
    else:
        each = [query.prefix_matches(info.id, limit) for info in infos]
        rows = list(heapq.merge(*each, key=_in_order))[:limit]
    if len(rows) < limit:
        several = infos is None or len(infos) > 1
        every = infos if infos is not None else objects.all_types()

        def split(rest: int, after: Key | None) -> list[tuple]:
            found = [_others(_Plan(query, [info]), rest, after) for info in every]
            return list(heapq.merge(*found, key=_in_order))[:rest]

        rows += _others(_Plan(query, infos), limit - len(rows), None, split if several else None)
    return [
        Hit(rid, objects.by_id(type_id).key, name, email, domain)
        for rid, type_id, name, email, domain, _key in rows
    ]


__all__ = ["Hit", "search"]
