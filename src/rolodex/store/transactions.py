"""The one entry for writing: every write transaction of the product starts here.

``@writes`` runs a function in one write transaction that holds the engine's write
lock (``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped advisory lock on
PostgreSQL), and runs it again from the start when it lost a race: a busy or locked
SQLite database, a PostgreSQL serialization failure, deadlock or lock timeout. The
decision is made on the driver's error code (SQLite result code, SQLSTATE), never on
message text, which servers translate. Nested ``@writes`` calls join the outer
transaction; a write inside a transaction that did not come from here is a bug and
raises ``WritePathError`` rather than running without the lock.
"""

from __future__ import annotations

import contextlib
import functools
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

from peewee import DatabaseError, PostgresqlDatabase

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

SQLITE_BUSY = 5
SQLITE_LOCKED = 6
# serialization_failure, deadlock_detected, lock_not_available (lock_timeout)
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})

# PostgreSQL advisory lock key taken by every write transaction ("Rolo").
WRITE_LOCK_KEY = 0x526F6C6F
PG_LOCK_TIMEOUT_MS = 10000

_local = threading.local()


class WritePathError(RuntimeError):
    """A write was attempted inside a transaction that does not hold the write lock."""


def driver_error(exc: BaseException) -> BaseException:
    """The DB-API driver's exception behind a peewee one (peewee keeps it as ``orig``)."""
    original = getattr(exc, "orig", None)
    return original if isinstance(original, BaseException) else exc


def sqlite_code(exc: BaseException) -> int | None:
    """SQLite's primary result code of an error (``SQLITE_BUSY`` ...), or None."""
    code = getattr(driver_error(exc), "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def sqlstate(exc: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE of an error, or None."""
    return getattr(driver_error(exc), "pgcode", None)


def retryable(exc: BaseException) -> bool:
    """Whether running the whole transaction again may succeed (a lost race, by code)."""
    return sqlite_code(exc) in (SQLITE_BUSY, SQLITE_LOCKED) or sqlstate(exc) in (
        RETRYABLE_SQLSTATES
    )


def real_cause(exc: BaseException) -> BaseException:
    """The error that broke a transaction, not the failed rollback that followed it.

    SQLite ends a transaction by itself on some errors (a full disk); the rollback that
    follows then fails with "no transaction is active" and would hide the real cause.
    """
    # Each failed rollback (SQLITE_ERROR: "cannot rollback - no transaction is active",
    # one per savepoint level) hides the error before it: find the first real one.
    if not isinstance(exc, DatabaseError) or sqlite_code(exc) != 1:
        return exc
    earlier = exc.__context__
    seen = 0
    while earlier is not None and seen < 16:
        if isinstance(earlier, DatabaseError) and sqlite_code(earlier) not in (None, 1):
            return earlier
        earlier = earlier.__context__
        seen += 1
    return exc


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
    asks for a retry (SQLSTATE 40001) when writers overlap."""
    if isinstance(database.obj, PostgresqlDatabase) and not _is_cockroach():
        return _pg_write_transaction()
    return database.atomic()


def backoff(attempt: int) -> float:
    """Seconds to wait before retry number ``attempt + 1``: jittered, doubling, capped."""
    return random.uniform(BACKOFF_FIRST, min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (attempt + 1)))


def in_write() -> bool:
    """Whether this thread is inside a write transaction opened by ``writes``."""
    return getattr(_local, "depth", 0) > 0


def writes(func: Callable[P, T]) -> Callable[P, T]:
    """Run ``func`` in one write transaction (see ``_transaction``); run it again whole
    when it lost a race (``retryable``). Nested calls join the outer transaction."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        if in_write():
            return func(*args, **kwargs)
        if database.obj is not None and database.in_transaction():
            raise WritePathError(
                f"{func.__qualname__} writes inside a transaction that holds no write lock; "
                "open write transactions with rolodex.store.transactions.writes"
            )
        started = time.monotonic()
        for attempt in range(ATTEMPTS):
            _local.depth = 1
            try:
                with _transaction():
                    return func(*args, **kwargs)
            except DatabaseError as exc:
                cause = real_cause(exc)
                if not retryable(cause):
                    if cause is not exc:
                        raise cause from None
                    raise
                if attempt == ATTEMPTS - 1 or time.monotonic() - started > DEADLINE:
                    stats["gave_up"] += 1
                    raise
                stats["retries"] += 1
            finally:
                _local.depth = 0
            time.sleep(backoff(attempt))
        raise AssertionError("unreachable")

    return wrapper


@contextlib.contextmanager
def savepoint() -> Iterator[None]:
    """A part of the current write transaction that can fail alone (an import's row):
    an exception inside undoes only this part."""
    if not in_write():
        raise WritePathError("a savepoint belongs inside a write transaction (writes)")
    with database.atomic():
        yield


def run_write(func: Callable[[], T]) -> T:
    """``writes`` for a function built on the spot (a multi-step job, a migration step)."""
    return writes(func)()
