"""The first page of association-aware views at scale, beside hand-written SQL.

    python -m rolodex.views_bench --db PATH [--runs 30]

For each view: the first page (50 rows in name order, each with its primary company
and association counts, as `rolodex list` and the index read it), compiled from the
filter text every run, p50/p95 over the runs; and a hand-written SQL statement for the
same rows (ids only), run through sqlite3 on the same file in the same process. The
ids of both are compared. A SQLite database seeded by `rolodex seed` (1M records).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from collections.abc import Callable

from rolodex.crm import filter_expr, listing, objects, session

PAGE = 50
LIVE = "r.object_type_id = ? AND r.deleted_at IS NULL AND r.merged_into_id IS NULL"
ORDER = f" ORDER BY r.name_key, r.id LIMIT {PAGE}"


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def _timed(fn: Callable[[], list[int]], runs: int) -> tuple[list[int], float, float]:
    result = fn()  # warm: the page cache, statements
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return (result, *_percentiles(samples))


def _biggest_company(raw: sqlite3.Connection, contact: int, company: int) -> int:
    (found,) = raw.execute(
        "SELECT id FROM (SELECT b_id AS id, count(*) AS n FROM association "
        "WHERE a_type_id = ? AND b_type_id = ? GROUP BY b_id "
        "UNION ALL SELECT a_id, count(*) FROM association WHERE a_type_id = ? AND b_type_id = ? "
        "GROUP BY a_id) ORDER BY n DESC LIMIT 1",
        (contact, company, company, contact),
    ).fetchone()
    return int(found)


def _label(raw: sqlite3.Connection, name: str) -> int:
    (found,) = raw.execute("SELECT id FROM label WHERE name = ?", (name,)).fetchone()
    return int(found)


def _around(near_side: str, type_id: int, test: str, flag: str = "") -> str:
    """EXISTS an associated record ``o`` of ``type_id`` matching ``test`` (both sides)."""
    parts = []
    for near, far in (("a", "b"), ("b", "a")):
        extra = f" AND s.{near}_primary_{far}" if flag else ""
        label = near_side.format(near=near, far=far)
        parts.append(
            f"EXISTS (SELECT 1 FROM association s JOIN record o ON o.id = s.{far}_id "
            f"WHERE s.{near}_id = r.id AND s.{far}_type_id = {type_id}{extra}{label} AND {test})"
        )
    return "(" + " OR ".join(parts) + ")"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rolodex.views_bench", description=__doc__)
    parser.add_argument("--db", required=True, help="a seeded SQLite database")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per view")
    args = parser.parse_args(argv)

    db = session.open_session(args.db, readonly=True)
    raw = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    contact, company, deal = (objects.by_key(k).id for k in ("contact", "company", "deal"))
    big = _biggest_company(raw, contact, company)
    decision = _label(raw, "Decision maker")
    country = "json_extract(o.properties, '$.country') = 'Sweden'"
    views: list[tuple[str, str, str]] = [
        ("contact", "primary.country = Sweden", _around("", company, country, flag="primary")),
        (
            "contact",
            f"with company:{big}",
            f"r.id IN (SELECT b_id FROM association WHERE a_id = {big} "
            f"UNION ALL SELECT a_id FROM association WHERE b_id = {big})",
        ),
        (
            "contact",
            "deal[Decision maker].stage !~ closed",
            _around(
                " AND EXISTS (SELECT 1 FROM association_label l WHERE l.association_id = s.id "
                f"AND l.label_id = {decision})",
                deal,
                "instr(lower(json_extract(o.properties, '$.stage')), 'closed') = 0",
            ),
        ),
        (
            "company",
            "count(contact) = 0",
            f"NOT EXISTS (SELECT 1 FROM association s WHERE s.a_id = r.id AND s.b_type_id = "
            f"{contact}) AND NOT EXISTS (SELECT 1 FROM association s WHERE s.b_id = r.id "
            f"AND s.a_type_id = {contact})",
        ),
        (
            "deal",
            "count(contact) > 5",
            f"(SELECT count(*) FROM association s WHERE s.a_id = r.id AND s.b_type_id = "
            f"{contact}) + (SELECT count(*) FROM association s WHERE s.b_id = r.id "
            f"AND s.a_type_id = {contact}) > 5",
        ),
        (
            "contact",
            "job_title = CTO and primary.country = Sweden",
            "json_extract(r.properties, '$.job_title') = 'CTO' AND "
            + _around("", company, country, flag="primary"),
        ),
        (
            "contact",
            "primary.country = Iceland",  # no such company: every contact is read
            _around(
                "",
                company,
                "json_extract(o.properties, '$.country') = 'Iceland'",
                flag="primary",
            ),
        ),
    ]
    print(f"first page ({PAGE} rows, name order), {args.runs} runs, milliseconds")
    print(f"{'view':58} {'rows':>4} {'p50':>7} {'p95':>7} {'raw p50':>8} {'raw p95':>8}  same")
    for type_key, text, baseline in views:
        info = objects.by_key(type_key)

        def page(info: objects.ObjectInfo = info, text: str = text) -> list[int]:
            query = listing.Listing(info, filter_expr.conditions(info, text), limit=PAGE)
            return [row.id for row in listing.rows(query)]

        def by_hand(info: objects.ObjectInfo = info, baseline: str = baseline) -> list[int]:
            sql = f"SELECT r.id FROM record r WHERE {LIVE} AND {baseline}{ORDER}"
            return [row[0] for row in raw.execute(sql, (info.id,))]

        ours, p50, p95 = _timed(page, args.runs)
        theirs, raw50, raw95 = _timed(by_hand, args.runs)
        label = f"{type_key}: {text}"
        same = "yes" if ours == theirs else "NO"
        print(f"{label:58} {len(ours):>4} {p50:7.1f} {p95:7.1f} {raw50:8.1f} {raw95:8.1f}  {same}")
    raw.close()
    session.close_database(db)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
