"""Benchmark: every hot path beside a hand-written raw sqlite3 baseline doing the same work.

    python -m rolodex.bench --size 100k            # builds (or reuses) /tmp/rolodex-bench-100k.db
    python -m rolodex.bench --db some.db --json out.json

Figures are p50/p95 in milliseconds over many runs; the ratio is ours / raw at p95.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from rolodex.crm import associations, history, objects, search
from rolodex.crm.context import api
from rolodex.i18n import _
from rolodex.store.database import open_database

Result = dict[str, Any]


def _timings(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm caches once, as a person's second click would
    out = []
    for _i in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(name: str, ours: Callable[[], object], raw: Callable[[], object], runs: int) -> Result:
    mine, base = _timings(ours, runs), _timings(raw, runs)
    return {
        "name": name,
        "ours_p50": statistics.median(mine),
        "ours_p95": _pct(mine, 0.95),
        "raw_p50": statistics.median(base),
        "raw_p95": _pct(base, 0.95),
        "ratio_p95": _pct(mine, 0.95) / max(_pct(base, 0.95), 1e-6),
        "runs": runs,
    }


# ------------------------------------------------------------------ raw baselines


def raw_sidebar(conn: sqlite3.Connection, record_id: int, page: int = 25) -> list:
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
    cards = []
    for type_key, n in associations.counts(record_id).items():
        cards.append((type_key, n, associations.page(record_id, type_key)))
    return cards


def raw_search(conn: sqlite3.Connection, text: str) -> list:
    if len(text) >= 3:
        query = '"' + text.replace('"', '""') + '"'
        return conn.execute(
            "SELECT id, object_type_id, name, email, domain FROM record WHERE deleted_at IS NULL "
            "AND merged_into_id IS NULL AND id IN "
            "(SELECT rowid FROM record_search WHERE record_search MATCH ? LIMIT 400) "
            "ORDER BY name_key, id LIMIT 20",
            (query,),
        ).fetchall()
    key = text.casefold()
    return conn.execute(
        "SELECT id, object_type_id, name, email, domain FROM record WHERE deleted_at IS NULL "
        "AND merged_into_id IS NULL AND name_key >= ? AND name_key < ? ORDER BY name_key, id LIMIT 20",
        (key, key + "\U0010ffff"),
    ).fetchall()


def raw_history(conn: sqlite3.Connection, record_id: int) -> list:
    rows = conn.execute(
        "SELECT * FROM history WHERE a_id=? ORDER BY id DESC LIMIT 50", (record_id,)
    ).fetchall()
    rows += conn.execute(
        "SELECT * FROM history WHERE b_id=? ORDER BY id DESC LIMIT 50", (record_id,)
    ).fetchall()
    rows.sort(key=lambda r: r[0], reverse=True)
    return rows[:50]


def raw_index_page(
    conn: sqlite3.Connection,
    type_id: int,
    after: tuple[str, int] | None,
    counted: list[int],
    company: int,
) -> list:
    """50 visible rows, their association counts per counted object, and primary company."""
    where = "object_type_id=? AND deleted_at IS NULL AND merged_into_id IS NULL"
    if after is None:
        rows = conn.execute(
            f"SELECT id, name, name_key, properties FROM record WHERE {where} "
            "ORDER BY name_key, id LIMIT 51",
            (type_id,),
        ).fetchall()
    else:
        rows = conn.execute(
            f"SELECT id, name, name_key, properties FROM record WHERE {where} "
            "AND (name_key, id) > (?, ?) ORDER BY name_key, id LIMIT 51",
            (type_id, *after),
        ).fetchall()
    rows = rows[:50]
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


def _next_search(words: Iterator[str]) -> object:
    return search.search(next(words))


def _next_raw_search(conn: sqlite3.Connection, words: Iterator[str]) -> object:
    return raw_search(conn, next(words))


def _pick(conn: sqlite3.Connection, type_key: str, rng: random.Random, n: int) -> list[int]:
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


def _biggest_company(conn: sqlite3.Connection) -> int:
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


def run(db_path: Path, runs: int) -> list[Result]:
    open_database(str(db_path))
    conn = sqlite3.connect(str(db_path))
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
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM record WHERE length(name) > 8 ORDER BY id LIMIT 200"
        ).fetchall()
    ]
    for length in (1, 2, 3, 6):
        words = [n[:length] for n in names] or ["a" * length]
        it = iter(words * (runs * 2 + 2))
        results.append(
            measure(
                f"search as you type: {length} chars",
                partial(_next_search, it),
                partial(_next_raw_search, conn, it),
                runs,
            )
        )
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


def _index_results(conn: sqlite3.Connection, runs: int) -> list[Result]:
    try:
        from rolodex.crm import index  # built with the TUI's index pages
    except ImportError:
        return []
    contact_type = objects.by_key("contact").id
    total = conn.execute(
        "SELECT count(*) FROM record WHERE object_type_id=?", (contact_type,)
    ).fetchone()[0]
    deep = conn.execute(
        "SELECT name_key, id FROM record WHERE object_type_id=? ORDER BY name_key, id LIMIT 1 OFFSET ?",
        (contact_type, max(0, int(total * 0.9))),
    ).fetchone()
    counted = [objects.by_key("company").id, objects.by_key("deal").id]
    company = objects.by_key("company").id
    out = []
    for label, after in (("top", None), ("90% deep", deep)):
        out.append(
            measure(
                f"index page (50 rows, counts, primary): {label}",
                partial(
                    index.page,
                    "contact",
                    after=after,
                    limit=50,
                    associated=("company", "deal"),
                    primary_company=True,
                ),
                partial(raw_index_page, conn, contact_type, after, counted, company),
                runs,
            )
        )
    return out


def _write_results(conn: sqlite3.Connection, contacts: list[int], runs: int) -> list[Result]:
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

    def raw() -> None:
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


def print_table(results: list[Result], out=sys.stdout) -> None:
    header = (
        f"{'path':44} {'ours p50':>9} {'ours p95':>9} {'raw p50':>9} {'raw p95':>9} {'ratio':>6}"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in results:
        print(
            f"{r['name']:44} {r['ours_p50']:9.2f} {r['ours_p95']:9.2f} {r['raw_p50']:9.2f} "
            f"{r['raw_p95']:9.2f} {r['ratio_p95']:6.2f}",
            file=out,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rolodex.bench", description=_("Benchmark beside raw SQL")
    )
    parser.add_argument("--db", help=_("an existing SQLite database to measure"))
    parser.add_argument(
        "--size", default="10k", help=_("demo, 10k, 100k or 1m: build or reuse a seeded database")
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--json", help=_("write the figures to this file"))
    args = parser.parse_args(argv)
    if args.db:
        path = Path(args.db)
    else:
        path = Path(f"/tmp/rolodex-bench-{args.size}.db")
        if not path.exists():
            from rolodex.synth.generator import generate

            open_database(str(path))
            start = time.perf_counter()
            generate(args.size, seed=42)
            print(_("built {path} in {s:.1f} s").format(path=path, s=time.perf_counter() - start))
    results = run(path, args.runs)
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps({"db": str(path), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
