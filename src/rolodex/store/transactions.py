"""Write transactions that are safe to retry when another writer got there first."""

from __future__ import annotations

import contextlib
import functools
import random
import time
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

from peewee import IntegrityError, OperationalError, PostgresqlDatabase

from rolodex.store.models import database

P = ParamSpec("P")
T = TypeVar("T")
# Lost races are rare: SQLite writers queue on BEGIN IMMEDIATE (busy timeout) and
# PostgreSQL writers on an advisory lock; CockroachDB (always SERIALIZABLE) aborts
# one of two overlapping writers and asks for a retry.
ATTEMPTS = 12
BACKOFF_FIRST = 0.005  # seconds; doubles per attempt, with jitter
BACKOFF_MAX = 0.25
# No new attempt after this many seconds: each SQLite attempt may already have waited
# the busy timeout (10 s) for the lock, and a person is waiting on the other side.
DEADLINE = 30.0
# Retries made by this process so far (the stress test reports them).
stats = {"retries": 0, "gave_up": 0}
RETRYABLE_TEXT = (
    "database is locked",
    "could not serialize",
    "deadlock detected",
    "restart transaction",
    "lock timeout",
)


def _retryable(exc: Exception) -> bool:
    text = str(exc).lower()
    if isinstance(exc, IntegrityError):
        # A concurrent writer inserted the same unique row: re-reading sees it.
        return "unique" in text or "duplicate key" in text
    return any(word in text for word in RETRYABLE_TEXT)


# PostgreSQL advisory lock key taken by every write transaction ("Rolo").
WRITE_LOCK_KEY = 0x526F6C6F
PG_LOCK_TIMEOUT_MS = 10000


def _is_cockroach() -> bool:
    return any(cls.__name__ == "CockroachDatabase" for cls in type(database.obj).__mro__)


@contextlib.contextmanager
def _pg_write_transaction() -> Iterator[None]:
    """READ COMMITTED plus one transaction-scoped advisory lock: writers run one at a
    time, as ``BEGIN IMMEDIATE`` makes them on SQLite, and every statement after the
    lock sees all earlier commits. Readers are never blocked. (SERIALIZABLE was
    measured: on small, hot tables most overlapping writers were aborted, and some
    still failed after 12 attempts.)"""
    with database.atomic():
        # Like SQLite's busy timeout: wait this long for the lock, then fail (and retry).
        database.execute_sql(f"SET LOCAL lock_timeout = '{PG_LOCK_TIMEOUT_MS}ms'")
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
        yield


def _transaction() -> contextlib.AbstractContextManager:
    """One write transaction: ``BEGIN IMMEDIATE`` on SQLite (the database's lock_type),
    the advisory write lock on PostgreSQL; CockroachDB is SERIALIZABLE by itself and
    asks for a retry ("restart transaction") when writers overlap."""
    if isinstance(database.obj, PostgresqlDatabase) and not _is_cockroach():
        return _pg_write_transaction()
    return database.atomic()


def backoff(attempt: int) -> float:
    """Seconds to wait before retry number ``attempt + 1``: jittered, doubling, capped."""
    return random.uniform(BACKOFF_FIRST, min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (attempt + 1)))


def writes(func: Callable[P, T]) -> Callable[P, T]:
    """Run ``func`` in one write transaction (see ``_transaction``); retry it whole on a lost race (lock, unique violation, serialization failure, deadlock).

    Nested calls join the outer transaction and are not retried on their own.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        if database.obj is not None and database.in_transaction():
            return func(*args, **kwargs)
        started = time.monotonic()
        for attempt in range(ATTEMPTS):
            try:
                with _transaction():
                    return func(*args, **kwargs)
            except (IntegrityError, OperationalError) as exc:
                if not _retryable(exc):
                    raise
                if attempt == ATTEMPTS - 1 or time.monotonic() - started > DEADLINE:
                    stats["gave_up"] += 1
                    raise
                stats["retries"] += 1
                time.sleep(backoff(attempt))
        raise AssertionError("unreachable")

    return wrapper
