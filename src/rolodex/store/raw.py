"""Hand-written SQL for hot read paths: no query building, straight to the DB-API cursor.

Statements are written with ``?`` placeholders and translated once per engine.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from peewee import EXCEPTIONS, ExceptionWrapper

from rolodex.store.models import database

# The driver's errors become peewee's, as from any query: callers (and the retry of
# write transactions) see one kind of error, with the driver's error (and code) inside.
_as_peewee_errors = ExceptionWrapper(EXCEPTIONS)


@lru_cache(maxsize=256)
def _translate(sql: str, param: str) -> str:
    return sql if param == "?" else sql.replace("?", param)


def fetchall(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    db = database.obj
    with _as_peewee_errors:
        cursor = db.cursor()
        cursor.execute(_translate(sql, db.param), tuple(params))
        return cursor.fetchall()


def fetchone(sql: str, params: Sequence[Any] = ()) -> tuple | None:
    db = database.obj
    with _as_peewee_errors:
        cursor = db.cursor()
        cursor.execute(_translate(sql, db.param), tuple(params))
        return cursor.fetchone()


def execute(sql: str, params: Sequence[Any] = ()) -> None:
    """One hand-written statement with ``?`` placeholders (a write, in a transaction)."""
    db = database.obj
    with _as_peewee_errors:
        db.cursor().execute(_translate(sql, db.param), tuple(params))


def executemany(sql: str, rows: Sequence[tuple]) -> None:
    db = database.obj
    with _as_peewee_errors:
        db.cursor().executemany(_translate(sql, db.param), rows)


# PostgreSQL: statements prepared on each connection, by SQL text -> statement name.
_prepared: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()
_names = itertools.count(1)
MAX_PREPARED = 64


@lru_cache(maxsize=256)
def _numbered(sql: str) -> tuple[str, int]:
    """``?`` placeholders as ``$1``, ``$2``... and how many there are."""
    parts = sql.split("?")
    out = parts[0]
    for i, part in enumerate(parts[1:], start=1):
        out += f"${i}" + part
    return out, len(parts) - 1


def fetchall_hot(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """``fetchall`` for a fixed statement run on every screen (a sidebar's queries).

    On PostgreSQL it is prepared once per connection: planning took most of the time
    of such a query there (0.3 of 0.4 ms), and a record's sidebar runs several.
    Only for statements whose parameter types PostgreSQL can infer from the SQL.
    """
    db = database.obj
    if db.param == "?":
        return fetchall(sql, params)
    conn = db.connection()
    names = _prepared.setdefault(conn, {})
    name = names.get(sql)
    with _as_peewee_errors:
        cursor = db.cursor()
        if name is None:
            if len(names) >= MAX_PREPARED:
                return fetchall(sql, params)
            numbered, _count = _numbered(sql)
            name = f"rolodex_hot_{next(_names)}"
            cursor.execute(f"PREPARE {name} AS {numbered}")
            names[sql] = name
        marks = ", ".join(["%s"] * len(params))
        cursor.execute(f"EXECUTE {name}({marks})" if params else f"EXECUTE {name}", tuple(params))
        return cursor.fetchall()


_streams = 0


def cursor(sql: str, params: Sequence[Any] = ()) -> Iterator[tuple]:
    """The rows of a statement, read as they are iterated rather than all at once (a
    server-side cursor on PostgreSQL, whose ordinary cursors fetch the whole result)."""
    global _streams
    db = database.obj
    with _as_peewee_errors:
        if db.param == "?":
            handle = db.cursor()
        else:
            _streams += 1
            handle = db.connection().cursor(name=f"rolodex_stream_{_streams}", withhold=True)
            handle.itersize = 5000
        handle.execute(_translate(sql, db.param), tuple(params))
    return _rows(db, handle)


def _rows(db: Any, handle: Any) -> Iterator[tuple]:
    while True:
        with _as_peewee_errors:
            batch = handle.fetchmany(5000)
        if not batch:
            return
        yield from batch
