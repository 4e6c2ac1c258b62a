"""Eight processes change associations of one shared pool of records at the same time.

Afterwards ``check`` passes, every successful operation left exactly one history
row per association it changed (none for a refusal or a no-op, none twice after
a retry), no limit was overrun, and nobody saw "database is locked".
Runs on SQLite, and on PostgreSQL when ROLODEX_TEST_PG_URL is set.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter

import pytest
from peewee import fn

from rolodex.crm import check
from rolodex.store.database import is_postgres
from rolodex.store.models import History
from tests.stress import workers

PROCESSES = 8
OPS = int(os.environ.get("ROLODEX_STRESS_OPS", "500"))
# PostgreSQL runs writers one at a time too, with a network round trip per statement:
# fewer operations keep the default run near 15 s; the slow test below runs all 500.
PG_OPS = int(os.environ.get("ROLODEX_STRESS_PG_OPS", "200"))
SEED = int(os.environ.get("ROLODEX_STRESS_SEED", "7"))


def _run(db_url: str, n_ops: int, pool: workers.Pool) -> list[workers.WorkerReport]:
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(PROCESSES) as processes:
        return processes.starmap(
            workers.run_operations,
            [(db_url, worker, n_ops, pool, SEED) for worker in range(PROCESSES)],
        )


def test_eight_writers_lose_nothing_and_never_see_a_lock_error(db, db_url):
    _stress(db, db_url, PG_OPS if is_postgres(db) else OPS)


@pytest.mark.slow
def test_eight_writers_full_size_on_postgresql(db, db_url):
    if not is_postgres(db):
        pytest.skip("the SQLite run of the test above is already full size")
    _stress(db, db_url, OPS)


def _stress(db, db_url: str, n_ops: int) -> None:
    pool = workers.make_pool()
    reports = _run(db_url, n_ops, pool)

    lock_errors = [e for r in reports for e in r.lock_errors]
    unexpected = [e for r in reports for e in r.unexpected]
    assert lock_errors == []
    assert unexpected == []
    results = [res for r in reports for res in r.results]
    assert len(results) == PROCESSES * n_ops

    report = check.run()
    assert report.violations == []
    assert report.ok
    # The deal -> company limit was set before any association: never overrun.
    assert report.over_limit == []

    rows: dict[str, Counter] = {}
    for batch, a, b, n in (
        History.select(History.batch, History.a_id, History.b_id, fn.COUNT(History.id))
        .where(History.batch.is_null(False))
        .group_by(History.batch, History.a_id, History.b_id)
        .tuples()
    ):
        rows.setdefault(batch, Counter())[(a, b)] = n
    changed = [res for res in results if res.ok and res.changed]
    for res in results:
        written = rows.get(res.batch, Counter())
        if res.ok and res.changed:
            # Exactly one row for the association the operation is about, and at most
            # one for each other association it touched (a demoted primary, a successor).
            assert written[res.pair] == 1, (res, written)
            assert max(written.values()) == 1, (res, written)
        else:
            assert not written, (res, written)
    assert sum(sum(c.values()) for c in rows.values()) == History.select().count()
    # The mix really exercised the rules: many changes of every kind, some refusals.
    kinds = Counter(res.kind for res in changed)
    assert all(
        kinds[k] >= n_ops // 20 for k in ("associate", "dissociate", "set_primary", "relabel")
    ), kinds
    assert len(changed) >= len(results) // 4

    started = min(r.started for r in reports)
    finished = max(r.finished for r in reports)
    rate = len(results) / (finished - started)
    engine = "postgresql" if is_postgres(db) else "sqlite"
    print(
        f"\n[stress] {engine}: {len(results)} operations by {PROCESSES} processes in "
        f"{finished - started:.1f} s = {rate:.0f} ops/s; {len(changed)} changed, "
        f"{sum(1 for x in results if x.kind == 'refused')} refused; "
        f"{sum(r.retries for r in reports)} retries; {dict(kinds)}"
    )
