"""Benchmark: every hot path beside a hand-written raw sqlite3 baseline doing the same work.

    python -m rolodex.bench --size 100k            # builds (or reuses) /tmp/rolodex-bench-100k.db
    python -m rolodex.bench --db some.db --json out.json
    python -m rolodex.bench --db postgresql://u:p@host/db --compare-sqlite same-size.db
    python -m rolodex.bench --sizes /tmp/bench-10k.db /tmp/bench-100k.db /tmp/bench-1m.db

Figures are p50/p95 in milliseconds over many runs; the ratio is ours / raw at p95.
On PostgreSQL the raw baseline is psycopg2 with the same hand-written SQL (``%s``
placeholders). The search rows time the Associate dialog's call (contacts, 30 results,
leaving out the edited company and its contacts) for 1 to 6 typed characters taken
from real names; their raw baseline takes crm/search.py's plan by hand, and the run
fails unless both return the same record ids for every measured query.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, TextIO

from rolodex.crm import associations, history, objects, search
from rolodex.crm.context import api
from rolodex.i18n import _
from rolodex.store.database import CACHE_KIB, is_url, open_database

Result = dict[str, Any]


# A slow path gets fewer runs (at least MIN_RUNS), so that a whole run stays within minutes.
BUDGET_MS = 5000.0
MIN_RUNS = 20


def timings(fn: Callable[[], object], runs: int, warm: int = 1) -> list[float]:
    """``runs`` timings of ``fn`` after ``warm`` untimed calls (one warms the caches, as a
    person's second click would; a cycle of records needs one call per record)."""
    start = time.perf_counter()
    for _i in range(warm):
        fn()
    first = (time.perf_counter() - start) * 1000 / max(warm, 1)
    runs = min(runs, max(MIN_RUNS, int(BUDGET_MS / max(first, 1e-3))))
    out = []
    for _i in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(
    name: str, ours: Callable[[], object], raw: Callable[[], object], runs: int, warm: int = 1
) -> Result:
    """Ours, then the raw baseline, each warmed the same way: run first, ours would
    otherwise meet every record cold and the baseline none."""
    mine, base = timings(ours, runs, warm), timings(raw, runs, warm)
    return {
        "name": name,
        "ours_p50": statistics.median(mine),
        "ours_p95": percentile(mine, 0.95),
        "raw_p50": statistics.median(base),
        "raw_p95": percentile(base, 0.95),
        "ratio_p95": percentile(mine, 0.95) / max(percentile(base, 0.95), 1e-6),
        "runs": len(mine),
    }


# ------------------------------------------------------------------ raw connections


@lru_cache(maxsize=256)
def _pg_sql(sql: str) -> str:
    return sql.replace("?", "%s")


class PgRaw:
    """A psycopg2 connection that reads like sqlite3's: ``execute`` returns the cursor.

    The baselines keep one SQL text; ``?`` becomes ``%s`` (translated once per statement).
    """

    postgres = True

    def __init__(self, url: str) -> None:
        import psycopg2

        self.conn = psycopg2.connect(url)
        self.conn.autocommit = True

    def execute(self, sql: str, params: Any = ()) -> Any:
        cursor = self.conn.cursor()
        cursor.execute(_pg_sql(sql), tuple(params))
        return cursor

    def close(self) -> None:
        self.conn.close()


Conn = sqlite3.Connection | PgRaw


def _is_pg(conn: Conn) -> bool:
    return isinstance(conn, PgRaw)


# ------------------------------------------------------------------ raw baselines


def raw_sidebar(conn: Conn, record_id: int, page: int = 25) -> list:
    counts: dict[int, int] = {}
    for type_id, n in conn.execute(
        "SELECT b_type_id, count(*) FROM association WHERE a_id=? GROUP BY b_type_id", (record_id,)
    ):
        counts[type_id] = counts.get(type_id, 0) + n
    for type_id, n in conn.execute(
        "SELECT a_type_id, count(*) FROM association WHERE b_id=? GROUP BY a_type_id", (record_id,)
    ):
        counts[type_id] = counts.get(type_id, 0) + n
    cards = []
    for type_id in counts:
        rows = conn.execute(
            "SELECT s.id, s.b_id, r.name, s.a_primary_b, s.b_primary_a FROM association s "
            "JOIN record r ON r.id = s.b_id WHERE s.a_id=? AND s.b_type_id=? ORDER BY s.id DESC LIMIT ?",
            (record_id, type_id, page),
        ).fetchall()
        rows += conn.execute(
            "SELECT s.id, s.a_id, r.name, s.a_primary_b, s.b_primary_a FROM association s "
            "JOIN record r ON r.id = s.a_id WHERE s.b_id=? AND s.a_type_id=? ORDER BY s.id DESC LIMIT ?",
            (record_id, type_id, page),
        ).fetchall()
        rows.sort(reverse=True)
        rows = rows[:page]
        ids = [r[0] for r in rows]
        marks = ",".join("?" * len(ids))
        labels = conn.execute(
            f"SELECT association_id, label_id, forward FROM association_label WHERE association_id IN ({marks})",
            ids,
        ).fetchall()
        cards.append((type_id, counts[type_id], rows, labels))
    return cards


def ours_sidebar(record_id: int) -> list:
    """Counts per object and the first page of every card: one statement on PostgreSQL."""
    counts, pages = associations.sidebar(record_id, [t.key for t in objects.all_types()])
    return [(type_key, n, pages.get(type_key, [])) for type_key, n in counts.items()]


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_CANDIDATES = (
    "SELECT count(*) FROM (SELECT rowid FROM record_search WHERE record_search MATCH ?"
    " AND rowid BETWEEN ? AND ? LIMIT ?)"
)


def raw_search(conn: Conn, text: str, type_id: int, record_id: int, limit: int = 30) -> list:
    """The Associate dialog's search, hand-written: the first ``limit`` live records of
    one object matching ``text``, leaving out ``record_id`` and the records associated
    with it. The plan crm/search.py takes for one object (its thresholds), step by step
    with the sqlite3 (psycopg2) cursor; the benchmark checks it returns the same rows."""
    from rolodex.crm import search as s

    pg = _is_pg(conn)
    name, address = s.query_keys(text)
    upper = s.after_prefix(name)
    prefix, prefix_p = ("r.name_key >= ? AND r.name_key < ?", [name, upper])
    if upper is None:
        prefix, prefix_p = "r.name_key >= ?", [name]
    live = "r.deleted_at IS NULL AND r.merged_into_id IS NULL"
    cap = s.ASSOCIATED_LIST + 1
    linked = [
        r[0]
        for sql in (
            "SELECT b_id FROM association WHERE a_id = ? AND b_type_id = ? LIMIT ?",
            "SELECT a_id FROM association WHERE b_id = ? AND a_type_id = ? LIMIT ?",
        )
        for r in conn.execute(sql, (record_id, type_id, cap)).fetchall()
    ]
    listed, checked, checked_p = [record_id], "", []
    if len(linked) > s.ASSOCIATED_LIST:
        low, high = ("LEAST", "GREATEST") if pg else ("min", "max")
        checked, checked_p = (
            " AND NOT EXISTS (SELECT 1 FROM association s WHERE s.a_id = "
            f"{low}(?, r.id) AND s.b_id = {high}(?, r.id))",
            [record_id, record_id],
        )
    else:
        listed += linked
    marks = ",".join("?" * len(listed))
    excl, excl_p = f" AND r.id NOT IN ({marks}){checked}", [*listed, *checked_p]
    cols = "r.id, r.object_type_id, r.name, r.email, r.domain, r.name_key"
    rows = conn.execute(
        f"SELECT {cols} FROM record r WHERE r.object_type_id = ? AND {prefix} AND {live}{excl} "
        "ORDER BY r.name_key, r.id LIMIT ?",
        (type_id, *prefix_p, *excl_p, limit),
    ).fetchall()
    if len(rows) == limit:
        return rows
    key = objects.by_id(type_id).key
    column = s.ADDRESS_COLUMN.get(key)
    name_only = column is None
    tests = [("name_key", name)] + ([(column, address)] if column else [])
    if pg:
        match = " OR ".join(f"r.{c} LIKE ?" for c, _v in tests)
        match_p = [_like(v) for _c, v in tests]
    else:
        match = " OR ".join(f"instr(r.{c}, ?) > 0" for c, _v in tests)
        match_p = [v for _c, v in tests]
    others = f"r.object_type_id = ? AND ({match}) AND {live} AND NOT ({prefix}){excl}"
    others_p = [type_id, *match_p, *prefix_p, *excl_p]
    indexed = not pg and not set("\ufffe\uffff") & set(name + address)
    phrase = " OR ".join(s.fts_phrase(t) for t in sorted({name, address}))
    lo, hi = 1, 0  # the object's live ids (SQLite: candidates are looked for among them)
    if not pg:
        lo, hi = conn.execute(
            f"SELECT (SELECT id FROM record r WHERE object_type_id = ? AND {live} ORDER BY id "
            f"LIMIT 1), (SELECT id FROM record r WHERE object_type_id = ? AND {live} "
            "ORDER BY id DESC LIMIT 1)",
            (type_id, type_id),
        ).fetchone()
        lo, hi = (lo, hi) if lo is not None else (1, 0)

    def keyset(after: tuple | None, through: tuple | None = None) -> tuple[str, list]:
        sql, params = "", []
        if after is not None:
            sql, params = " AND (r.name_key, r.id) > (?, ?)", list(after)
        if through is not None:
            sql, params = sql + " AND (r.name_key, r.id) <= (?, ?)", params + list(through)
        return sql, params

    def walk(n: int, after: tuple | None, through: tuple | None = None) -> list:
        bound, bound_p = keyset(after, through)
        return conn.execute(
            f"SELECT {cols} FROM record r WHERE {others}{bound} ORDER BY r.name_key, r.id LIMIT ?",
            (*others_p, *bound_p, n),
        ).fetchall()

    def read(fts: str, n: int, after: tuple | None) -> list:
        if pg:
            bound, bound_p = keyset(after)
            return conn.execute(
                f"WITH found AS MATERIALIZED (SELECT {cols} FROM record r WHERE {others}{bound}) "
                "SELECT * FROM found ORDER BY name_key, id LIMIT ?",
                (*others_p, *bound_p, n),
            ).fetchall()
        if not fts:
            return []
        out: list = []
        batch = n + s.READ_SLACK
        while True:
            bound, bound_p = keyset(after)
            found = conn.execute(
                "SELECT r.id, r.name_key FROM (SELECT rowid AS id FROM record_search WHERE "
                "record_search MATCH ? AND rowid BETWEEN ? AND ?) m CROSS JOIN record r "
                "INDEXED BY record_search_keys ON r.id = m.id WHERE r.object_type_id = ? AND "
                f"{live} AND NOT ({prefix}){checked}{bound} ORDER BY r.name_key, r.id LIMIT ?",
                (fts, lo, hi, type_id, *prefix_p, *checked_p, *bound_p, batch),
            ).fetchall()
            if found:
                ids = [f[0] for f in found]
                got = conn.execute(
                    f"SELECT {cols} FROM record r WHERE r.id IN ({','.join('?' * len(ids))}) "
                    f"AND ({match}) AND r.id NOT IN ({marks})",
                    (*ids, *match_p, *listed),
                ).fetchall()
                by_id = {g[0]: g for g in got}
                out += [by_id[i] for i in ids if i in by_id]
            if len(out) >= n or len(found) < batch:
                return out[:n]
            after, batch = (found[-1][1], found[-1][0]), batch * 4

    def count(fts: str, most: int) -> int:
        if pg:
            sql = "SELECT count(*) FROM (SELECT 1 FROM record r WHERE r.object_type_id = ? "
            sql += f"AND ({match}) LIMIT ?) found"
            return int(conn.execute(sql, (type_id, *match_p, most)).fetchone()[0])
        return int(conn.execute(_CANDIDATES, (fts, lo, hi, most)).fetchone()[0])

    def candidates(cap: int) -> tuple[str, int] | None:
        if pg:
            return "", count("", cap)
        if not indexed:
            return None
        if len(name) >= 3:
            return phrase, count(phrase, cap)
        terms: set[str] = set()
        total, most = 0, min(s.SHORT_TERMS, cap * s.TERMS_PER_CANDIDATE)
        for start in {s.trigram_fold(name)} | (set() if name_only else {s.trigram_fold(address)}):
            top = s.after_prefix(start)
            sql, params = "SELECT term, doc FROM record_search_terms WHERE term >= ?", [start]
            if top is not None:
                sql, params = sql + " AND term < ?", [start, top]
            cursor = conn.execute(sql, params)
            while batch := cursor.fetchmany(64):
                for term, docs in batch:
                    total += int(docs)
                    if total > most:
                        return "", cap
                    terms.add(term)
        if not terms:
            return "", 0
        fts = " OR ".join(s.fts_phrase(t) for t in sorted(terms))
        return fts, count(fts, cap)

    need = limit - len(rows)
    if len(name) >= 3 and (pg or indexed) and count(phrase, s.FEW) < s.FEW:
        return rows + read(phrase, need, None)
    row_cost = s.WALK_ROW[name_only]
    step = walked = max(1, int(s.FIRST_WALK / row_cost))
    after: tuple | None = None
    counted: tuple[str, int] | None = ("", 0)
    counted_up_to = 0
    found: list = []
    while True:
        bound, bound_p = keyset(after)
        end = conn.execute(
            f"SELECT r.name_key, r.id FROM record r WHERE r.object_type_id = ? AND 1 = 1{bound} "
            "ORDER BY r.name_key, r.id LIMIT 1 OFFSET ?",
            (type_id, *bound_p, step - 1),
        ).fetchone()
        end = tuple(end) if end else None
        found += walk(need - len(found), after, end)
        if len(found) == need or end is None:
            return rows + found
        after = end
        rest = need - len(found)
        ahead = rest * walked / (len(found) + 1)
        walking = ahead * row_cost
        budget = max(walking, walked * row_cost)
        if budget > s.COUNT_WORTH and counted is not None:
            cap = min(s.MANY, int(budget / s.READ_ROW) + 1)
            if counted[1] == counted_up_to < cap:
                counted, counted_up_to = candidates(cap), cap
            if counted and counted[1] < counted_up_to and counted[1] * s.READ_ROW < budget:
                return rows + found + read(counted[0], rest, after)
        step = max(step, int(2 * ahead))
        walked += step


def raw_history(conn: Conn, record_id: int) -> list:
    rows = conn.execute(
        "SELECT * FROM history WHERE a_id=? ORDER BY id DESC LIMIT 50", (record_id,)
    ).fetchall()
    rows += conn.execute(
        "SELECT * FROM history WHERE b_id=? ORDER BY id DESC LIMIT 50", (record_id,)
    ).fetchall()
    rows.sort(key=lambda r: r[0], reverse=True)
    return rows[:50]


_RAW_SORTS = {
    # sort: (keyset condition, ORDER BY)
    "name": ("(name_key, id) > (?, ?)", "name_key, id"),
    "created": ("id > ?", "id"),
    "-created": ("id < ?", "id DESC"),
}


def raw_index_page(
    conn: Conn,
    type_id: int,
    after: tuple | None,
    counted: list[int],
    company: int,
    sort: str = "name",
    limit: int = 50,
) -> list:
    """``limit`` visible rows (properties decoded, as ours does), their association
    counts per counted object, and primary company."""
    where = "object_type_id=? AND deleted_at IS NULL AND merged_into_id IS NULL"
    keyset, order = _RAW_SORTS[sort]
    if after is None:
        rows = conn.execute(
            f"SELECT id, name, name_key, properties FROM record WHERE {where} "
            f"ORDER BY {order} LIMIT ?",
            (type_id, limit + 1),
        ).fetchall()
    else:
        rows = conn.execute(
            f"SELECT id, name, name_key, properties FROM record WHERE {where} "
            f"AND {keyset} ORDER BY {order} LIMIT ?",
            (type_id, *after, limit + 1),
        ).fetchall()
    rows = [(rid, name, key, json.loads(props or "{}")) for rid, name, key, props in rows[:limit]]
    ids = [r[0] for r in rows]
    marks = ",".join("?" * len(ids))
    out = {}
    for other in counted:
        out[other] = conn.execute(
            f"SELECT a_id, count(*) FROM association WHERE a_id IN ({marks}) AND b_type_id=? GROUP BY a_id "
            f"UNION ALL SELECT b_id, count(*) FROM association WHERE b_id IN ({marks}) AND a_type_id=? "
            "GROUP BY b_id",
            (*ids, other, *ids, other),
        ).fetchall()
    primaries = conn.execute(
        f"SELECT s.a_id, r.id, r.name FROM association s JOIN record r ON r.id = s.b_id "
        f"WHERE s.a_id IN ({marks}) AND s.b_type_id=? AND s.a_primary_b UNION ALL "
        f"SELECT s.b_id, r.id, r.name FROM association s JOIN record r ON r.id = s.a_id "
        f"WHERE s.b_id IN ({marks}) AND s.a_type_id=? AND s.b_primary_a",
        (*ids, company, *ids, company),
    ).fetchall()
    return [rows, out, primaries]


# ------------------------------------------------------------------ the run


def _pick(conn: Conn, type_key: str, rng: random.Random, n: int) -> list[int]:
    type_id = objects.by_key(type_key).id
    lo, hi = conn.execute(
        "SELECT min(id), max(id) FROM record WHERE object_type_id=?", (type_id,)
    ).fetchone()
    picked: list[int] = []
    while lo is not None and len(picked) < n:
        row = conn.execute(
            "SELECT id FROM record WHERE object_type_id=? AND id>=? AND deleted_at IS NULL LIMIT 1",
            (type_id, rng.randint(lo, hi)),
        ).fetchone()
        if row:
            picked.append(row[0])
    return picked


def _biggest_company(conn: Conn) -> int:
    company = objects.by_key("company").id
    row = conn.execute(
        "SELECT b_id, count(*) c FROM association WHERE b_type_id=? GROUP BY b_id ORDER BY c DESC LIMIT 1",
        (company,),
    ).fetchone()
    row2 = conn.execute(
        "SELECT a_id, count(*) c FROM association WHERE a_type_id=? GROUP BY a_id ORDER BY c DESC LIMIT 1",
        (company,),
    ).fetchone()
    best = max([r for r in (row, row2) if r], key=lambda r: r[1])
    return int(best[0])


def raw_connect(target: str) -> Conn:
    """The baseline's own connection: sqlite3 for a file, psycopg2 for a PostgreSQL URL."""
    if is_url(target) and not target.startswith("sqlite:///"):
        return PgRaw(target)
    conn = sqlite3.connect(target.removeprefix("sqlite:///"))
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")  # the page cache ours has
    return conn


def record_count(conn: Conn) -> int:
    return int(conn.execute("SELECT count(*) FROM record").fetchone()[0])


def run(db_path: Path | str, runs: int) -> list[Result]:
    open_database(str(db_path))
    conn = raw_connect(str(db_path))
    rng = random.Random(7)
    results: list[Result] = []
    contacts = _pick(conn, "contact", rng, 50)
    cycle = iter(contacts * (runs * 2 + 2))
    results.append(
        measure(
            "open record: typical contact",
            lambda: ours_sidebar(next(cycle)),
            lambda: raw_sidebar(conn, next(cycle)),
            runs,
            warm=len(contacts),
        )
    )
    big = _biggest_company(conn)
    results.append(
        measure(
            "open record: biggest company",
            lambda: ours_sidebar(big),
            lambda: raw_sidebar(conn, big),
            runs,
        )
    )
    results += _search_results(conn, runs)
    hist = iter(contacts * (runs * 2 + 2))
    results.append(
        measure(
            "association history (50 newest)",
            lambda: history.record_history(next(hist), limit=50),
            lambda: raw_history(conn, next(hist)),
            runs,
        )
    )
    results += _index_results(conn, runs)
    results += _write_results(conn, contacts, runs)
    conn.close()
    return results


def dialog_queries(names: list[str], length: int, rng: random.Random) -> list[str]:
    """``length``-character queries from real names: half the names' prefixes, half
    substrings from anywhere in them (none starting or ending with a space, so that
    the query has the length typed)."""
    out = []
    for name in names:
        starts = [
            i
            for i in range(len(name) - length + 1)
            if not name[i].isspace() and not name[i + length - 1].isspace()
        ]
        if starts:
            i = 0 if starts[0] == 0 and rng.random() < 0.5 else rng.choice(starts)
            out.append(name[i : i + length])
    return out


def _search_results(conn: Conn, runs: int) -> list[Result]:
    """The Associate dialog's call (contacts, 30 results, leaving out the edited company
    and its contacts) for 1 to 6 typed characters, beside raw_search."""
    rng = random.Random(11)
    edited = _pick(conn, "company", rng, 20)
    ids = _pick(conn, "contact", rng, 200)
    marks = ",".join("?" * len(ids))
    by_id = dict(conn.execute(f"SELECT id, name FROM record WHERE id IN ({marks})", ids).fetchall())
    names = [by_id[i] for i in ids if i in by_id]
    out = []
    for length in range(1, 7):
        queries = dialog_queries(names, length, rng)
        if queries and edited:
            cases = [(q, edited[i % len(edited)]) for i, q in enumerate(queries)]
            out.append(_measure_search(conn, f"search as you type: {length} chars", cases, runs))
    return out


def _measure_search(conn: Conn, label: str, cases: list[tuple[str, int]], runs: int) -> Result:
    """Ours and raw_search over ``cases`` (query, edited record) in turn; raises unless
    both returned the same record ids for every query either measured."""
    contact = objects.by_key("contact").id

    def ours(i: int) -> list[int]:
        text, record = cases[i]
        hits = search.search(
            text, ["contact"], limit=30, exclude=[record], exclude_associated_with=record
        )
        return [h.id for h in hits]

    def raw(i: int) -> list[int]:
        text, record = cases[i]
        return [row[0] for row in raw_search(conn, text, contact, record)]

    found: tuple[dict[int, list[int]], dict[int, list[int]]] = ({}, {})
    turns = (itertools.cycle(range(len(cases))), itertools.cycle(range(len(cases))))

    def timed(side: int) -> None:
        i = next(turns[side])
        found[side][i] = (ours, raw)[side](i)

    result = measure(label, partial(timed, 0), partial(timed, 1), runs)
    measured = set(found[0]) | set(found[1])
    for i in sorted(measured):
        mine = found[0][i] if i in found[0] else ours(i)
        base = found[1][i] if i in found[1] else raw(i)
        if mine != base:
            raise AssertionError(f"search {cases[i]!r}: ours {mine}, the raw baseline {base}")
    result["same_ids"] = len(measured)
    return result


def _index_results(conn: Conn, runs: int) -> list[Result]:
    try:
        from rolodex.crm import index  # built with the TUI's index pages
    except ImportError:
        return []
    contact_type = objects.by_key("contact").id
    live = "object_type_id=? AND deleted_at IS NULL AND merged_into_id IS NULL"
    total = conn.execute(f"SELECT count(*) FROM record WHERE {live}", (contact_type,)).fetchone()[0]
    offset = max(0, int(total * 0.9))

    def deep(columns: str, order: str) -> tuple:
        return tuple(
            conn.execute(
                f"SELECT {columns} FROM record WHERE {live} ORDER BY {order} LIMIT 1 OFFSET ?",
                (contact_type, offset),
            ).fetchone()
        )

    counted = [objects.by_key("company").id, objects.by_key("deal").id]
    company = objects.by_key("company").id
    by_name = "index page (50 rows, counts, primary)"
    newest, oldest = "index page (newest first)", "index page (oldest first)"
    cases = [
        ("name", by_name, None),
        ("name", by_name, deep("name_key, id", "name_key, id")),
        ("-created", newest, None),
        ("-created", newest, deep("id", "id DESC")),
        ("created", oldest, None),
        ("created", oldest, deep("id", "id")),
    ]
    out = []
    for sort, label, after in cases:
        depth = "top" if after is None else "90% deep"
        out.append(
            measure(
                f"{label}: {depth}",
                partial(
                    index.page,
                    "contact",
                    sort=sort,
                    after=after,
                    limit=50,
                    associated=("company", "deal"),
                    primary_company=True,
                ),
                partial(raw_index_page, conn, contact_type, after, counted, company, sort),
                runs,
            )
        )
    return out


def _write_results(conn: Conn, contacts: list[int], runs: int) -> list[Result]:
    ctx = api()
    deals = _pick(conn, "deal", random.Random(3), 1)
    if not deals or not contacts:
        return []
    deal = deals[0]
    targets = iter(contacts * (runs * 4 + 4))

    def ours() -> None:
        target = next(targets)
        associations.associate(deal, target, ctx)
        associations.dissociate(deal, target, ctx)

    def raw_pg(pg: PgRaw) -> None:
        target = next(targets)
        a, b = sorted((deal, target))
        pg.execute("BEGIN")
        row = pg.execute(
            "INSERT INTO association (a_id, b_id, a_type_id, b_type_id, a_primary_b, "
            "b_primary_a, created_at) VALUES (?, ?, 1, 1, false, false, now()) "
            "ON CONFLICT DO NOTHING RETURNING id",
            (a, b),
        ).fetchone()
        pg.execute(
            "INSERT INTO history (at, a_id, b_id, a_type_id, b_type_id, action, labels, "
            "a_primary_b, b_primary_a, source, actor) VALUES (now(), ?, ?, 1, 1, "
            "'created', '[]', false, false, 'API', 'bench')",
            (a, b),
        )
        pg.execute("COMMIT")
        pg.execute("BEGIN")
        if row:
            pg.execute("DELETE FROM association WHERE id=?", (row[0],))
        pg.execute(
            "INSERT INTO history (at, a_id, b_id, a_type_id, b_type_id, action, labels, "
            "a_primary_b, b_primary_a, source, actor) VALUES (now(), ?, ?, 1, 1, "
            "'removed', '[]', false, false, 'API', 'bench')",
            (a, b),
        )
        pg.execute("COMMIT")

    def raw() -> None:
        if isinstance(conn, PgRaw):
            return raw_pg(conn)
        target = next(targets)
        a, b = sorted((deal, target))
        with conn:
            conn.execute("BEGIN IMMEDIATE") if not conn.in_transaction else None
            cur = conn.execute(
                "INSERT OR IGNORE INTO association (a_id, b_id, a_type_id, b_type_id, a_primary_b, "
                "b_primary_a, created_at) VALUES (?, ?, 1, 1, 0, 0, datetime('now'))",
                (a, b),
            )
            conn.execute(
                "INSERT INTO history (at, a_id, b_id, a_type_id, b_type_id, action, labels, "
                "a_primary_b, b_primary_a, source, actor) VALUES (datetime('now'), ?, ?, 1, 1, "
                "'created', '[]', 0, 0, 'API', 'bench')",
                (a, b),
            )
        with conn:
            conn.execute("DELETE FROM association WHERE id=?", (cur.lastrowid,))
            conn.execute(
                "INSERT INTO history (at, a_id, b_id, a_type_id, b_type_id, action, labels, "
                "a_primary_b, b_primary_a, source, actor) VALUES (datetime('now'), ?, ?, 1, 1, "
                "'removed', '[]', 0, 0, 'API', 'bench')",
                (a, b),
            )

    return [measure("associate + dissociate (with history)", ours, raw, max(20, runs // 4))]


def print_table(results: list[Result], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    w = max([46] + [len(r["name"]) for r in results])
    header = (
        f"{'path':{w}} {'ours p50':>9} {'ours p95':>9} {'raw p50':>9} {'raw p95':>9} {'ratio':>6}"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in results:
        print(
            f"{r['name']:{w}} {r['ours_p50']:9.2f} {r['ours_p95']:9.2f} {r['raw_p50']:9.2f} "
            f"{r['raw_p95']:9.2f} {r['ratio_p95']:6.2f}",
            file=out,
        )


def print_compare(
    results: list[Result], sqlite: list[Result], limit: float = 5.0, out: TextIO | None = None
) -> None:
    """PostgreSQL beside SQLite at the same size: ours p95 on each, and their ratio."""
    out = out or sys.stdout
    by_name = {r["name"]: r for r in sqlite}
    header = (
        f"{'path':46} {'pg p50':>8} {'pg p95':>8} {'pg raw95':>9} {'ratio':>6} "
        f"{'sqlite p95':>10} {'pg/sqlite':>9}"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in results:
        other = by_name.get(r["name"])
        if other is None:
            tail = f"{'-':>10} {'-':>9}"
        else:
            times = r["ours_p95"] / max(other["ours_p95"], 1e-6)
            flag = " !" if times > limit else ""
            tail = f"{other['ours_p95']:10.2f} {times:9.2f}{flag}"
        print(
            f"{r['name']:46} {r['ours_p50']:8.2f} {r['ours_p95']:8.2f} {r['raw_p95']:9.2f} "
            f"{r['ratio_p95']:6.2f} {tail}",
            file=out,
        )


def size_label(records: int) -> str:
    if records >= 950_000:
        return f"{records / 1_000_000:.1f}M".replace(".0M", "M")
    if records >= 1000:
        return f"{round(records / 1000)}k"
    return str(records)


def print_sizes(runs_by_size: list[dict], out: TextIO | None = None) -> None:
    """The same paths at each size, side by side: ours p50 and p95, raw p50 (ms), and
    how much ours grew from the smallest to the largest size (p50, and p95)."""
    out = out or sys.stdout
    labels = [size_label(d["records"]) for d in runs_by_size]
    first, last = runs_by_size[0]["records"], runs_by_size[-1]["records"]
    grow = f"x{last / max(first, 1):.0f} data:"
    parts = [
        " ".join(f"{head + ' ' + lab:>9}" for lab in labels) for head in ("p50", "p95", "raw50")
    ]
    header = f"{'ours in ms':46} {parts[0]} {parts[1]} {parts[2]} {grow:>10} {'p50':>5} {'p95':>5}"
    print(header, file=out)
    print("-" * len(header), file=out)
    tables = [{r["name"]: r for r in d["results"]} for d in runs_by_size]
    for name in [r["name"] for r in runs_by_size[-1]["results"]]:
        rows = [t.get(name) for t in tables]
        cells = [
            " ".join(f"{r[key]:9.2f}" if r else f"{'-':>9}" for r in rows)
            for key in ("ours_p50", "ours_p95", "raw_p50")
        ]
        a, b = rows[0], rows[-1]
        if a and b:
            g50 = f"x{b['ours_p50'] / max(a['ours_p50'], 1e-6):.1f}"
            g95 = f"x{b['ours_p95'] / max(a['ours_p95'], 1e-6):.1f}"
        else:
            g50 = g95 = "-"
        print(f"{name:46} {cells[0]} {cells[1]} {cells[2]} {'':>10} {g50:>5} {g95:>5}", file=out)


def run_child(target: str, runs: int) -> dict:
    """One benchmark in a fresh interpreter (its caches hold one database's ids)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.json"
        subprocess.run(
            [sys.executable, "-m", "rolodex.bench", "--db", target, "--runs", str(runs)]
            + ["--json", str(out)],
            check=True,
        )
        return json.loads(out.read_text())


def run_tui(path: str) -> list[dict] | None:
    try:
        from rolodex import bench_tui  # type: ignore[attr-defined]
    except ImportError:
        print(_("the TUI benchmark (rolodex.bench_tui) is not available"), file=sys.stderr)
        return None
    found: list[dict] = bench_tui.measure(path)
    return found


def print_tui(found: list[dict], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    keys = ("name", "ours_p50", "ours_p95", "raw_p50", "raw_p95", "ratio_p95")
    table = [r for r in found if all(k in r for k in keys)]
    if table:
        print_table(table, out)
    for r in found:
        if r in table:
            continue
        if "value" in r:  # a figure without a baseline: {"name", "value", "unit", "target"}
            value = r["value"]
            shown = f"{value:.2f}" if isinstance(value, float) else str(value or "")
            target = f"  (target {r['target']})" if r.get("target") else ""
            unit = r.get("unit") or ""
            print(f"{r['name']:46} {shown:>9} {unit}{target}", file=out)
        else:
            print("  ".join(f"{k}={v}" for k, v in r.items()), file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rolodex.bench", description=_("Benchmark beside raw SQL")
    )
    parser.add_argument(
        "--db", help=_("an existing database to measure: a SQLite path or a postgresql:// URL")
    )
    parser.add_argument(
        "--size", default="10k", help=_("demo, 10k, 100k or 1m: build or reuse a seeded database")
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--json", help=_("write the figures to this file"))
    parser.add_argument(
        "--compare-sqlite",
        metavar="PATH",
        help=_("also measure this SQLite database (same size) and print PostgreSQL beside it"),
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        metavar="PATH",
        help=_("measure each SQLite database (smallest first) and print them side by side"),
    )
    parser.add_argument(
        "--tui", action="store_true", help=_("also run the TUI benchmark (SQLite only)")
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(_("--runs must be at least 1"))
    if args.sizes:
        done = []
        for one in args.sizes:
            print(_("== {db}").format(db=one), flush=True)
            done.append(run_child(one, args.runs))
        done.sort(key=lambda d: d["records"])
        print()
        print_sizes(done)
        if args.json:
            Path(args.json).write_text(json.dumps({"sizes": done}, indent=2))
        return 0
    target: str
    if args.db:
        target = args.db
    else:
        target = f"/tmp/rolodex-bench-{args.size}.db"
        if not Path(target).exists():
            from rolodex.synth.generator import generate

            open_database(target)
            start = time.perf_counter()
            generate(args.size, seed=42)
            print(_("built {path} in {s:.1f} s").format(path=target, s=time.perf_counter() - start))
    postgres = is_url(target) and not target.startswith("sqlite:///")
    if args.tui and postgres:
        parser.error(_("--tui measures a SQLite database only"))
    results = run(target, args.runs)
    conn = raw_connect(target)
    records = record_count(conn)
    conn.close()
    print(_("{db}: {n} records").format(db=_redacted(target), n=records))
    print_table(results)
    checked = sum(r.get("same_ids", 0) for r in results)
    if checked:
        print(
            _(
                "search: ours and the raw baseline returned the same record ids "
                "for each of the {n} measured queries"
            ).format(n=checked)
        )
    report: dict[str, Any] = {"db": _redacted(target), "records": records, "results": results}
    if args.compare_sqlite:
        print()
        print(_("== SQLite {path}").format(path=args.compare_sqlite), flush=True)
        other = run_child(args.compare_sqlite, args.runs)
        print()
        print(
            _("PostgreSQL beside SQLite ({n} records here, {m} there); ! marks over 5x").format(
                n=records, m=other["records"]
            )
        )
        print_compare(results, other["results"])
        report["sqlite"] = other
    if args.tui:
        found = run_tui(target.removeprefix("sqlite:///"))
        if found is not None:
            print()
            print_tui(found)
            report["tui"] = found
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=str))
    return 0


def _redacted(target: str) -> str:
    """A URL without its password, for output that may be pasted into a README."""
    if "://" in target and "@" in target:
        head, _sep, tail = target.partition("://")
        cred, _at, host = tail.rpartition("@")
        user = cred.split(":", 1)[0]
        return f"{head}://{user}@{host}"
    return target


if __name__ == "__main__":
    raise SystemExit(main())
