"""Moving every timestamp of a private database copy (the demo's scratch copy) by one
delta, in one transaction of its own: its whole story, history included, happens later.

This is a store-level rewrite of a file nobody else has open yet; it is the one place
besides migrations that passes the history guard (store/history_guard.py).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from rolodex.store.history_guard import rewriting_history

COLUMNS = (
    ("history", ("at",)),
    ("association", ("created_at",)),
    ("record", ("created_at", "updated_at", "deleted_at")),
)


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def latest_history(path: Path) -> dt.datetime | None:
    conn = sqlite3.connect(path)
    try:
        latest = conn.execute("SELECT MAX(at) FROM history").fetchone()[0]
    finally:
        conn.close()
    return None if latest is None else _parse(latest)


def shift_copy(
    path: Path,
    delta: dt.timedelta,
    date_properties: Sequence[str] = (),
    datetime_properties: Sequence[str] = (),
) -> None:
    """Add ``delta`` to every stored timestamp of the file at ``path``, and to the named
    date / date-and-time properties of its records (dates by whole days)."""
    days = delta.days

    def moved(value: str | None) -> str | None:
        return None if value is None else str(_parse(value) + delta)

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            with rewriting_history(conn):  # a private copy, its whole story moved
                for table, columns in COLUMNS:
                    cols = ", ".join(columns)
                    rows = conn.execute(f"SELECT id, {cols} FROM {table}").fetchall()
                    sets = ", ".join(f"{c} = ?" for c in columns)
                    conn.executemany(
                        f"UPDATE {table} SET {sets} WHERE id = ?",
                        [(*(moved(v) for v in row[1:]), row[0]) for row in rows],
                    )
            updates = []
            for rid, text in conn.execute("SELECT id, properties FROM record").fetchall():
                props = json.loads(text or "{}")
                changed = False
                for key in date_properties:
                    if props.get(key):
                        props[key] = (
                            dt.date.fromisoformat(props[key]) + dt.timedelta(days=days)
                        ).isoformat()
                        changed = True
                for key in datetime_properties:
                    if props.get(key):
                        props[key] = (_parse(props[key]) + delta).isoformat()
                        changed = True
                if changed:
                    updates.append((json.dumps(props, ensure_ascii=False), rid))
            conn.executemany("UPDATE record SET properties = ? WHERE id = ?", updates)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()
