"""Shared fixtures. Every database test runs on SQLite, and on PostgreSQL when
ROLODEX_TEST_PG_URL names a server (CI sets it; see .ci/run)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from peewee import Database

# Keep the test environment deterministic (notes/textual-8.md).
for _var in ("NO_COLOR", "TEXTUAL_THEME", "ROLODEX_DB", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_var, None)
os.environ["LANG"] = "C.UTF-8"
# A run in another language (tests/ui/test_snapshots_sv.py): set before any module of
# the app is imported, as a person's LANGUAGE is, so class-level strings follow it too.
if os.environ.get("ROLODEX_TEST_LANGUAGE"):
    os.environ["LANGUAGE"] = os.environ["ROLODEX_TEST_LANGUAGE"]
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

PG_URL = os.environ.get("ROLODEX_TEST_PG_URL")


def _pg_admin(sql: str) -> None:
    import psycopg2

    assert PG_URL
    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


@pytest.fixture(scope="session")
def pg_worker_url() -> Iterator[str]:
    """One PostgreSQL database per test run and xdist worker, dropped at the end, so
    two runs at the same time never share tables."""
    assert PG_URL
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)[:10]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"rolodex_test_{run}_{worker}"
    base, _slash, _name = PG_URL.rpartition("/")
    _pg_admin(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    from rolodex.store.models import database

    if database.obj is not None:
        database.obj.close()
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _reset_postgres(url: str) -> Database:
    import psycopg2

    from rolodex.store.database import open_database
    from rolodex.store.models import MODELS

    # Whatever the last test left, a schema "newer" than this Rolodex included (which
    # open_database refuses): without its meta table the database is simply old.
    conn = psycopg2.connect(url)
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS meta CASCADE")
    finally:
        conn.close()
    db = open_database(url, migrate=False)
    db.drop_tables(MODELS, cascade=True, safe=True)
    db.close()
    return open_database(url)


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty, migrated database's path or URL."""
    if PG_URL:
        return str(request.getfixturevalue("pg_worker_url"))
    return str(tmp_path / "test.db")


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    from rolodex.crm import objects
    from rolodex.store.database import open_database

    objects.invalidate()
    database = _reset_postgres(db_url) if PG_URL else open_database(db_url)
    objects.invalidate()
    yield database
    from rolodex.store.database import close_database

    close_database(database)
    objects.invalidate()


@pytest.fixture
def ctx():
    from rolodex.crm.context import api

    return api()


HOSTILE_NAMES = [
    "[/x]",
    "ACME [UK] Ltd",
    "[@click=app.quit]x[/]",
    "trailing backslash \\",
    "[b]bold[/b] [red]red",
    "שלום עולם",
    "emoji 🦆🚀 name",
    "control\x07chars\x1b[31m",
    "x" * 300,
]


def database_at_version(target: str, version: int) -> Database:
    """A database created at an older schema version, the way an old Rolodex made it."""
    from rolodex.crm import objects
    from rolodex.store import migrations
    from rolodex.store.database import open_database
    from rolodex.store.models import MODELS

    objects.invalidate()
    db = open_database(target, migrate=False)
    if PG_URL:
        db.drop_tables(MODELS, cascade=True, safe=True)
        for (table,) in db.execute_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall():
            db.execute_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    assert migrations.upgrade(db, target=version) == version
    objects.invalidate()
    return db
