"""History is append-only in the database itself (migration 6, store/history_guard.py)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from peewee import IntegrityError, ProgrammingError

from rolodex.crm import associations, check, objects
from rolodex.store import history_guard, migrations
from rolodex.store.database import is_sqlite, open_database
from rolodex.store.history_guard import rewriting_history
from rolodex.store.models import History, database
from tests.conftest import PG_URL, database_at_version
from tests.core.helpers import company, contact

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def linked(db, ctx) -> list[tuple]:
    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, ctx)
    return _history_rows()


def _history_rows() -> list[tuple]:
    return list(History.select().order_by(History.id).tuples())


def _sql(text: str) -> None:
    with database.atomic():
        database.execute_sql(text)


TAMPERING = [
    "UPDATE history SET actor = 'mallory', source = 'User'",
    "DELETE FROM history",
    "DELETE FROM history WHERE id = (SELECT max(id) FROM history)",
]


@pytest.mark.parametrize("statement", TAMPERING)
def test_the_database_refuses_to_change_or_remove_history(linked, statement):
    with pytest.raises(IntegrityError, match="history is append-only"):
        _sql(statement)
    assert _history_rows() == linked


def test_the_orm_cannot_change_history_either(linked):
    with pytest.raises(IntegrityError, match="history is append-only"), database.atomic():
        History.update(actor="mallory").execute()
    with pytest.raises(IntegrityError, match="history is append-only"), database.atomic():
        History.delete().where(History.id == linked[0][0]).execute()
    assert _history_rows() == linked


def test_an_insert_over_an_existing_row_is_refused(linked):
    """``INSERT OR REPLACE`` deletes the old row without firing delete triggers on SQLite;
    an upsert on either engine is an update."""
    first = History.get_by_id(linked[0][0])
    with pytest.raises(IntegrityError, match="history is append-only"), database.atomic():
        History.insert(
            id=first.id,
            a_id=first.a_id,
            b_id=first.b_id,
            a_type_id=first.a_type_id,
            b_type_id=first.b_type_id,
            action=first.action,
            source="User",
            actor="mallory",
        ).on_conflict(conflict_target=[History.id], update={History.actor: "mallory"}).execute()
    if is_sqlite():
        with pytest.raises(IntegrityError, match="history is append-only"):
            _sql(
                "INSERT OR REPLACE INTO history (id, at, a_id, b_id, a_type_id, b_type_id, action,"
                f" labels, a_primary_b, b_primary_a, source, actor) SELECT id, at, a_id, b_id,"
                f" a_type_id, b_type_id, action, labels, a_primary_b, b_primary_a, 'User',"
                f" 'mallory' FROM history WHERE id = {first.id}"
            )
    else:
        with pytest.raises(IntegrityError, match="history is append-only"):
            _sql("TRUNCATE history")
    assert _history_rows() == linked


def test_appending_still_works_and_check_is_clean(linked, ctx):
    bea = contact("Bea")
    associations.associate(bea.id, linked[0][3], ctx)
    assert len(_history_rows()) == len(linked) + 1
    report = check.run()
    assert report.ok, report.violations


def test_a_new_database_and_an_upgraded_one_have_the_guard(db_url, tmp_path):
    fresh = open_database(db_url)
    try:
        assert history_guard.problems(fresh) == {}
        assert migrations.current_version(fresh) == migrations.LATEST >= 6
    finally:
        fresh.close()
    old = database_at_version(db_url if PG_URL else str(tmp_path / "old.db"), 5)
    try:
        assert set(history_guard.problems(old).values()) == {history_guard.MISSING}
        migrations.upgrade(old)
        assert history_guard.problems(old) == {}
        objects.invalidate()
        ana, acme = contact("Ana"), company("Acme")
        from rolodex.crm.context import api

        associations.associate(ana.id, acme.id, api())
        with pytest.raises(IntegrityError, match="history is append-only"):
            _sql("UPDATE history SET actor = 'mallory'")
    finally:
        old.close()
        objects.invalidate()


# ---------------------------------------------------------------- the one way to rewrite


def test_rewriting_history_lifts_the_guard_for_one_block_only(linked):
    with database.atomic():
        with rewriting_history(database.obj):
            database.execute_sql("UPDATE history SET actor = 'migration'")
        assert history_guard.problems(database.obj) == {}
        # database.atomic() is a savepoint here: the outer transaction goes on.
        with pytest.raises(IntegrityError, match="history is append-only"), database.atomic():
            database.execute_sql("UPDATE history SET actor = 'after'")
    assert {row.actor for row in History.select()} == {"migration"}
    assert history_guard.problems(database.obj) == {}


def test_a_failure_inside_the_block_restores_guard_and_rows(linked):
    with database.atomic():
        with pytest.raises(ZeroDivisionError), rewriting_history(database.obj):
            database.execute_sql("UPDATE history SET actor = 'half done'")
            raise ZeroDivisionError
        assert history_guard.problems(database.obj) == {}
    assert _history_rows() == linked


def test_rewriting_history_outside_a_transaction_is_refused(linked):
    with (
        pytest.raises(RuntimeError, match="open write transaction"),
        rewriting_history(database.obj),
    ):
        pass  # pragma: no cover
    assert history_guard.problems(database.obj) == {}


# ---------------------------------------------------------------- check catches a lifted guard


def _drop_guard() -> str:
    name = sorted(history_guard.SQLITE_TRIGGERS if is_sqlite() else history_guard.PG_TRIGGERS)[0]
    suffix = "" if is_sqlite() else " ON history"
    _sql(f"DROP TRIGGER {name}{suffix}")
    return name


def test_check_reports_a_dropped_guard_trigger(linked):
    name = _drop_guard()
    report = check.run()
    assert f"history is not protected: its append-only trigger {name} is missing" in (
        report.violations
    )


def test_check_reports_a_guard_trigger_changed_to_do_nothing(linked):
    if is_sqlite():
        name = "history_append_only_update"
        _sql(f"DROP TRIGGER {name}")
        _sql(f"CREATE TRIGGER {name} BEFORE UPDATE ON history BEGIN SELECT 1; END")
    else:
        name = "history_append_only_row"
        _sql(
            f"CREATE OR REPLACE FUNCTION {history_guard.PG_FUNCTION}() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$"
        )
    _sql("UPDATE history SET actor = 'mallory'")  # now it goes through
    found = check.run().violations
    assert f"history is not protected: its append-only trigger {name} was changed" in found


@pytest.mark.skipif(not PG_URL, reason="SQLite cannot disable a trigger")
def test_check_reports_a_disabled_guard_trigger(linked):
    _sql("ALTER TABLE history DISABLE TRIGGER history_append_only_row")
    found = check.run().violations
    assert (
        "history is not protected: its append-only trigger history_append_only_row is disabled"
        in found
    )


# ---------------------------------------------------------------- PostgreSQL: the app's role


def _readme_grants(app_role: str, admin_role: str) -> list[str]:
    """The statements of the README's role set-up that give the app's role its rights."""
    text = README.read_text()
    section = text[text.index("**Keeping history append-only") :]
    block = re.search(r"```sql\n(.*?)```", section, flags=re.S)
    assert block, "the README shows the grants in a ```sql block"
    statements = [s.strip() for s in block.group(1).split(";")]
    return [
        s.replace("rolodex_app", app_role).replace("rolodex_admin", admin_role)
        for s in statements
        if s and not s.startswith("--")
    ]


@pytest.mark.skipif(not PG_URL, reason="needs a PostgreSQL server (ROLODEX_TEST_PG_URL)")
def test_the_readme_role_set_up_keeps_history_out_of_the_apps_reach(db, db_url, ctx):
    """The tables (and triggers) belong to the admin (here the test's own role); the app's
    role gets what the README grants, works normally, and cannot alter history."""
    import psycopg2

    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, ctx)
    before = _history_rows()
    role = f"rolodex_app_{uuid.uuid4().hex[:8]}"
    owner_url = db_url
    database.execute_sql(f"CREATE ROLE {role} LOGIN PASSWORD 'app-secret'")
    try:
        admin_role = owner_url.split("://", 1)[1].split(":", 1)[0]
        for statement in _readme_grants(role, admin_role):
            database.execute_sql(statement)
        scheme, rest = owner_url.split("://", 1)
        app_url = f"{scheme}://{role}:app-secret@{rest.split('@', 1)[1]}"
        db.close()
        objects.invalidate()
        app_db = open_database(app_url)
        try:
            # Normal work: records, associations (history rows appended), check.
            bea = contact("Bea")
            associations.associate(bea.id, acme.id, ctx)
            associations.dissociate(ana.id, acme.id, ctx)
            assert len(_history_rows()) > len(before)
            report = check.run()
            assert report.ok, report.violations
            conn = app_db.connection()
            for statement, refusal in (
                ("UPDATE history SET actor = 'mallory'", "permission denied"),
                ("DELETE FROM history", "permission denied"),
                ("TRUNCATE history", "permission denied"),
                ("DROP TRIGGER history_append_only_row ON history", "must be owner"),
                ("ALTER TABLE history DISABLE TRIGGER ALL", "must be owner"),
                (
                    f"CREATE OR REPLACE FUNCTION {history_guard.PG_FUNCTION}() RETURNS trigger "
                    "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
                    "must be owner|permission denied for schema",
                ),
            ):
                with pytest.raises(psycopg2.Error, match=refusal), conn.cursor() as cursor:
                    cursor.execute(statement)
            with pytest.raises((ProgrammingError, IntegrityError)), database.atomic():
                History.update(actor="mallory").execute()
            assert history_guard.problems(app_db) == {}
            assert _history_rows()[: len(before)] == before
        finally:
            app_db.close()
    finally:
        objects.invalidate()
        admin = open_database(owner_url)
        admin.execute_sql(f"DROP OWNED BY {role}")
        admin.execute_sql(f"DROP ROLE {role}")
        admin.close()
