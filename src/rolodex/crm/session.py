"""Opening the database for a session of work (a command, the app), and the jobs that
come with opening it for writing. The app and the command line open databases here,
never through store/ directly."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from peewee import Database, DatabaseError

from rolodex.crm import lifecycle
from rolodex.store import database as store_database
from rolodex.store.database import FATAL, DatabaseOpenError, cause_of, close_database, explain
from rolodex.store.models import database

__all__ = [
    "close_database",
    "DatabaseOpenError",
    "DatabaseError",
    "explain",
    "is_fatal",
    "open_session",
    "thread_connection",
]


def open_session(
    target: str | None = None, *, readonly: bool = False, allow_empty: bool = False
) -> Database:
    """Open (and upgrade) the database; when it is opened for writing, run the jobs that
    are due (the recycle bin's expiry, at most once a day)."""
    db = store_database.open_database(target, readonly=readonly, allow_empty=allow_empty)
    if not readonly and not store_database.is_read_only(db):
        lifecycle.purge_if_due()
    return db


@contextlib.contextmanager
def thread_connection() -> Iterator[None]:
    """This thread's connection for a job: checked out of the pool and given back, so
    the next job reuses it warm."""
    with database.connection_context():
        yield


def is_fatal(exc: BaseException) -> bool:
    """A fault after which the app cannot go on with this database (damaged file...)."""
    return cause_of(exc) in FATAL


def resolve_target(target: str | None) -> str:
    return store_database.resolve_target(target)
