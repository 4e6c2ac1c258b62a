"""Hand-written SQL for hot read paths: no query building, straight to the DB-API cursor.

Statements are written with ``?`` placeholders and translated once per engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from rolodex.store.models import database


@lru_cache(maxsize=256)
def _translate(sql: str, param: str) -> str:
    return sql if param == "?" else sql.replace("?", param)


def fetchall(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    db = database.obj
    cursor = db.cursor()
    cursor.execute(_translate(sql, db.param), tuple(params))
    return cursor.fetchall()


def fetchone(sql: str, params: Sequence[Any] = ()) -> tuple | None:
    db = database.obj
    cursor = db.cursor()
    cursor.execute(_translate(sql, db.param), tuple(params))
    return cursor.fetchone()


_streams = 0


def cursor(sql: str, params: Sequence[Any] = ()) -> Any:
    """An executed cursor to iterate without loading every row (a server-side cursor on
    PostgreSQL, whose ordinary cursors fetch the whole result)."""
    global _streams
    db = database.obj
    if db.param == "?":
        handle = db.cursor()
    else:
        _streams += 1
        handle = db.connection().cursor(name=f"rolodex_stream_{_streams}", withhold=True)
        handle.itersize = 5000
    handle.execute(_translate(sql, db.param), tuple(params))
    return handle
