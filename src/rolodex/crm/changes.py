"""Learning that another process committed a change, so open views can refresh.

Writers call :func:`notify` inside their transaction (``history.write`` and
``records.create``/``update`` do it; every association and record change passes
through them). A view keeps one :class:`ChangeWatcher` and calls
:meth:`ChangeWatcher.poll` every half second or so; ``poll()`` is cheap (no
query on PostgreSQL, one pragma on SQLite) and returns True when something
was committed since the previous call.

- SQLite: ``PRAGMA data_version`` read on a dedicated connection. It changes
  whenever *another connection* commits, which includes this process's own
  working connection, so the watcher also sees the process's own writes.
  ``notify()`` does nothing on SQLite.
- PostgreSQL: ``LISTEN rolodex_changes`` on a dedicated autocommit connection;
  writers ``NOTIFY rolodex_changes`` in the same transaction, so the
  notification is delivered when (and only when) the change commits.
- CockroachDB has no LISTEN/NOTIFY: the watcher compares a small fingerprint
  (newest history id, newest record change) instead.
"""

from __future__ import annotations

import contextlib
import select
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from peewee import Database, PostgresqlDatabase, SqliteDatabase

from rolodex.store.models import database

CHANNEL = "rolodex_changes"
POLL_INTERVAL = 0.5  # seconds: what a view's timer should use

_local = threading.local()
# Per-process caches of what rarely changes (object types, properties, labels): each
# registers its invalidation here, and whoever learns that the database changed
# (the app's watcher) calls invalidate_caches().
_caches: list[Callable[[], None]] = []


def register_cache(invalidate: Callable[[], None]) -> None:
    _caches.append(invalidate)


def invalidate_caches() -> None:
    for invalidate in _caches:
        invalidate()


def _is_cockroach(db: Database) -> bool:
    return any(cls.__name__ == "CockroachDatabase" for cls in type(db).__mro__)


def _listens(db: Database | None) -> bool:
    return isinstance(db, PostgresqlDatabase) and not _is_cockroach(db)


def _sent_done() -> None:
    _local.txn = None


def notify() -> None:
    """Tell other processes that this transaction changes something (PostgreSQL only).

    Called by every writer; sends one NOTIFY per transaction (PostgreSQL would
    fold duplicates anyway), delivered by the server only if the transaction commits.
    """
    db = database.obj
    if not _listens(db):
        return
    assert db is not None
    if not db.in_transaction():
        db.execute_sql(f"NOTIFY {CHANNEL}")
        return
    outer = db._state.transactions[0]
    if getattr(_local, "txn", None) is outer:
        return
    db.execute_sql(f"NOTIFY {CHANNEL}")
    _local.txn = outer
    try:
        db.after_commit(_sent_done)
    except ValueError:  # manual commit mode: send again next time
        _local.txn = None


class ChangeWatcher:
    """Tells whether anyone committed a change since the last :meth:`poll`.

    Create it after the database is open (it watches the bound database unless
    given another one); call :meth:`close` when the view goes away.
    """

    def __init__(self, db: Database | None = None) -> None:
        self._db = db if db is not None else database.obj
        if self._db is None:
            raise RuntimeError("open the database before watching it")
        self._lock = threading.Lock()
        self._sqlite: sqlite3.Connection | None = None
        self._pg: Any = None
        self._last: Any = None
        self._closed = False
        self._connect()

    # ------------------------------------------------------------ connections

    def _connect(self) -> None:
        db = self._db
        if isinstance(db, SqliteDatabase):
            self._sqlite = sqlite3.connect(
                db.database,
                timeout=10,
                isolation_level=None,
                check_same_thread=False,
                uri=bool(db.connect_params.get("uri")),
            )
            self._last = self._sqlite_version()
        elif _listens(db):
            import psycopg2
            import psycopg2.extensions

            assert isinstance(db, PostgresqlDatabase)
            self._pg = psycopg2.connect(dbname=db.database, **db.connect_params)
            self._pg.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
            with self._pg.cursor() as cur:
                cur.execute(f"LISTEN {CHANNEL}")
        else:
            self._last = self._fingerprint()

    def _sqlite_version(self) -> int:
        assert self._sqlite is not None
        return int(self._sqlite.execute("PRAGMA data_version").fetchone()[0])

    def _fingerprint(self) -> tuple:
        from peewee import fn

        from rolodex.store.models import History, Record

        return (
            History.select(fn.MAX(History.id)).scalar(),
            Record.select(fn.MAX(Record.updated_at)).scalar(),
            Record.select(fn.MAX(Record.id)).scalar(),
        )

    # ------------------------------------------------------------ polling

    def poll(self) -> bool:
        """True when another process (or this one) committed a change since the last call."""
        with self._lock:
            if self._closed:
                return False
            if self._sqlite is not None:
                version = self._sqlite_version()
                changed = version != self._last
                self._last = version
                return changed
            if self._pg is not None:
                return self._poll_pg()
            fingerprint = self._fingerprint()
            changed = fingerprint != self._last
            self._last = fingerprint
            return changed

    def _poll_pg(self) -> bool:
        import psycopg2

        try:
            self._pg.poll()
        except psycopg2.Error:
            # Lost the server: reconnect, and say "changed" since we may have missed some.
            try:
                self._pg.close()
            finally:
                self._pg = None
            with contextlib.suppress(psycopg2.Error):
                self._connect()
            return True
        if self._pg.notifies:
            self._pg.notifies.clear()
            return True
        return False

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for a change (for a worker thread or a test)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.poll():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self._pg is not None:
                select.select([self._pg], [], [], min(left, POLL_INTERVAL))
            else:
                time.sleep(min(left, 0.05))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._sqlite is not None:
                self._sqlite.close()
                self._sqlite = None
            if self._pg is not None:
                self._pg.close()
                self._pg = None

    def __enter__(self) -> ChangeWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
