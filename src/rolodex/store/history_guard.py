"""History is append-only in the database itself: triggers refuse to change or remove its rows.

On SQLite, ``BEFORE UPDATE`` and ``BEFORE DELETE`` triggers abort the statement,
and a ``BEFORE INSERT`` trigger refuses an insert that reuses an existing id
(``INSERT OR REPLACE`` deletes the old row without running delete triggers). On
PostgreSQL one plpgsql function raises for every row an ``UPDATE`` or ``DELETE``
touches and for a ``TRUNCATE``. Either way the error is an integrity error
(SQLSTATE 23001 on PostgreSQL) that names the rule.

On SQLite anyone who may write the file may also drop the triggers: they stop
mistakes and casual edits, and ``rolodex check`` reports a guard that is missing,
disabled or changed (``problems``). On PostgreSQL, an application role that does
not own the table cannot drop or disable them (README, "Working as a team").

``rewriting_history`` is the one way for the product to change history rows:
inside an open write transaction it lifts the guard, and restores it before that
transaction can commit, whatever happens. It is for schema migrations and for
building synthetic data (the demo's timestamps); normal operation only appends.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from typing import TypeAlias

from peewee import Database, SqliteDatabase

MESSAGE = "history is append-only: its rows cannot be changed or removed"
SAVEPOINT = "rolodex_history_rewrite"

SQLITE_TRIGGERS = {
    "history_append_only_update": (
        "CREATE TRIGGER history_append_only_update BEFORE UPDATE ON history "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    ),
    "history_append_only_delete": (
        "CREATE TRIGGER history_append_only_delete BEFORE DELETE ON history "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    ),
    # An id not given is -1 here; a given one that exists would be replaced.
    "history_append_only_replace": (
        "CREATE TRIGGER history_append_only_replace BEFORE INSERT ON history "
        "WHEN NEW.id >= 0 AND EXISTS (SELECT 1 FROM history WHERE id = NEW.id) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    ),
}

PG_FUNCTION = "rolodex_history_append_only"
PG_FUNCTION_BODY = f" BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation'; END; "
PG_FUNCTION_SQL = (
    f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql "
    f"AS $guard${PG_FUNCTION_BODY}$guard$"
)
# pg_trigger.tgtype bits: 1 row, 2 before, 8 delete, 16 update, 32 truncate.
PG_TRIGGERS = {
    "history_append_only_row": (
        1 | 2 | 8 | 16,
        "CREATE TRIGGER history_append_only_row BEFORE UPDATE OR DELETE ON history "
        f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
    ),
    "history_append_only_truncate": (
        2 | 32,
        "CREATE TRIGGER history_append_only_truncate BEFORE TRUNCATE ON history "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()",
    ),
}
# pg_trigger.tgenabled: O fires in ordinary sessions, A always; D disabled, R replica only.
PG_FIRING = ("O", "A")

MISSING, DISABLED, CHANGED = "missing", "disabled", "changed"

Target: TypeAlias = Database | sqlite3.Connection


def _is_sqlite(target: Target) -> bool:
    return isinstance(target, SqliteDatabase | sqlite3.Connection)


def _execute(target: Target, sql: str) -> list[tuple]:
    if isinstance(target, sqlite3.Connection):
        return target.execute(sql).fetchall()
    cursor = target.execute_sql(sql)
    return cursor.fetchall() if cursor.description else []


def install(target: Target) -> None:
    """Create (or re-create) the guard; the history table must exist. Run by migration 6."""
    if _is_sqlite(target):
        for name, sql in SQLITE_TRIGGERS.items():
            _execute(target, f"DROP TRIGGER IF EXISTS {name}")
            _execute(target, sql)
        return
    _execute(target, PG_FUNCTION_SQL)
    for name, (_bits, sql) in PG_TRIGGERS.items():
        _execute(target, f"DROP TRIGGER IF EXISTS {name} ON history")
        _execute(target, sql)


def problems(target: Target) -> dict[str, str]:
    """The guard's triggers that would not stop a change: name -> missing, disabled or changed."""
    found: dict[str, str] = {}
    if _is_sqlite(target):
        stored = dict(
            _execute(
                target,
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'history'",
            )
        )
        for name, sql in SQLITE_TRIGGERS.items():
            if name not in stored:
                found[name] = MISSING
            elif " ".join(str(stored[name]).split()) != " ".join(sql.split()):
                found[name] = CHANGED
        return found
    rows = _execute(
        target,
        "SELECT t.tgname, t.tgenabled, t.tgtype, t.tgqual IS NULL, t.tgattr::text, "
        "p.proname, p.prosrc FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE c.relname = 'history' AND n.nspname = current_schema() AND NOT t.tgisinternal",
    )
    stored_pg = {row[0]: row[1:] for row in rows}
    for name, (bits, _sql) in PG_TRIGGERS.items():
        if name not in stored_pg:
            found[name] = MISSING
            continue
        enabled, tgtype, unconditional, columns, function, source = stored_pg[name]
        if (
            int(tgtype) != bits
            or not unconditional
            or columns.strip()
            or function != PG_FUNCTION
            or " ".join(source.split()) != " ".join(PG_FUNCTION_BODY.split())
        ):
            found[name] = CHANGED
        elif enabled not in PG_FIRING:
            found[name] = DISABLED
    return found


def _in_transaction(target: Target) -> bool:
    if isinstance(target, sqlite3.Connection):
        return target.in_transaction
    connection = target.connection()
    if isinstance(connection, sqlite3.Connection):
        return connection.in_transaction
    status = getattr(getattr(connection, "info", None), "transaction_status", None)
    return target.in_transaction() if status is None else status != 0  # 0: idle


@contextlib.contextmanager
def rewriting_history(target: Target) -> Iterator[None]:
    """``with rewriting_history(db):`` UPDATE or DELETE history rows, then the guard is back.

    Only inside an open write transaction (a migration, ``@writes``): the guard is
    lifted under a savepoint and re-installed before the block's end; when the
    block raises, rolling back to the savepoint restores the guard as it was, so
    no commit can ever see history unguarded. On PostgreSQL it needs the table's
    owner (the admin role of the README), which is the point.
    """
    if not _in_transaction(target):
        raise RuntimeError("rewriting_history needs an open write transaction")
    _execute(target, f"SAVEPOINT {SAVEPOINT}")
    try:
        if _is_sqlite(target):
            for name in SQLITE_TRIGGERS:
                _execute(target, f"DROP TRIGGER IF EXISTS {name}")
        else:
            for name in PG_TRIGGERS:
                _execute(target, f"ALTER TABLE history DISABLE TRIGGER {name}")
        yield
        if _is_sqlite(target):
            install(target)
        else:
            for name in PG_TRIGGERS:
                _execute(target, f"ALTER TABLE history ENABLE TRIGGER {name}")
    except BaseException:
        # A failure SQLite already rolled back (a full disk) has no savepoint left;
        # the caller's rollback then restores the guard with everything else.
        with contextlib.suppress(Exception):
            _execute(target, f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
            _execute(target, f"RELEASE SAVEPOINT {SAVEPOINT}")
        raise
    _execute(target, f"RELEASE SAVEPOINT {SAVEPOINT}")
