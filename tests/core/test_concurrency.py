"""Many users on one database: transactions, retries, no lost update, change watching."""

from __future__ import annotations

import multiprocessing
import os
import pwd
import sqlite3
import threading
import time

import pytest
from peewee import IntegrityError, OperationalError

from rolodex.crm import associations, changes, check, history, labels, records
from rolodex.crm.errors import Conflict
from rolodex.store import database as database_mod
from rolodex.store import transactions
from rolodex.store.database import DatabaseOpenError, is_postgres, is_sqlite, open_database
from rolodex.store.models import Association, AssociationLabel, History
from rolodex.store.transactions import writes
from tests.stress import workers

SPAWN = multiprocessing.get_context("spawn")


def _sqlite_only(db) -> None:
    if not is_sqlite(db):
        pytest.skip("SQLite-specific")


def _contact(n: int) -> int:
    return records.create("contact", {"first_name": f"P{n}", "email": f"p{n}@example.org"}).id


def _company(n: int) -> int:
    return records.create("company", {"name": f"Co{n}", "domain": f"co{n}.example"}).id


# ---------------------------------------------------------------- SQLite settings


def test_sqlite_is_opened_in_wal_with_a_busy_timeout(db):
    _sqlite_only(db)
    pragma = lambda name: db.execute_sql(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("busy_timeout") >= 5000
    assert pragma("foreign_keys") == 1
    assert pragma("synchronous") == 1  # NORMAL: safe in WAL, fast


def test_a_write_transaction_takes_the_write_lock_when_it_begins(db):
    """BEGIN IMMEDIATE: a read-then-write rule cannot be overtaken between its read and write."""
    _sqlite_only(db)
    other = sqlite3.connect(db.database, timeout=0, isolation_level=None)
    seen: list[str] = []

    @writes
    def read_only_so_far() -> None:
        records.count("contact")  # no write yet
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            seen.append("other writer got in")
        except sqlite3.OperationalError as exc:
            seen.append(str(exc))

    read_only_so_far()
    other.close()
    assert seen == ["database is locked"]


def test_a_writer_waits_for_another_instead_of_failing(db, ctx):
    _sqlite_only(db)
    ana, acme = _contact(1), _company(1)
    holder = sqlite3.connect(db.database, timeout=5, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.8, lambda: holder.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    try:
        change = associations.associate(ana, acme, ctx)
    finally:
        release.join()
        holder.close()
    assert change.created
    assert time.monotonic() - started >= 0.7
    assert associations.primary_company(ana) == acme


def test_wal_on_a_network_filesystem_is_refused_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setattr(database_mod, "_filesystem_type", lambda path: "nfs4")
    target = tmp_path / "team.db"
    with pytest.raises(DatabaseOpenError) as info:
        open_database(str(target))
    message = str(info.value)
    assert "network filesystem" in message and "nfs4" in message and "\n" not in message
    assert not target.exists()


def test_a_local_filesystem_is_not_mistaken_for_a_network_one(tmp_path):
    assert database_mod._filesystem_type(tmp_path) not in database_mod.NETWORK_FILESYSTEMS


# ---------------------------------------------------------------- retries


def _driver_error(message: str, *, sqlite: int | None = None, pgcode: str | None = None):
    """A peewee error wrapping a driver error that carries an engine's error code, as
    peewee raises them (the driver's exception is its first argument)."""
    if sqlite is not None:
        original = sqlite3.OperationalError(message)
        original.sqlite_errorcode = sqlite  # type: ignore[attr-defined]
    else:

        class ServerError(Exception):
            pass

        original = ServerError(message)
        original.pgcode = pgcode  # type: ignore[attr-defined]
    return OperationalError(original, message)


# A lost race, as each engine reports it: SQLite's result code, PostgreSQL's SQLSTATE
# (with a message in another language: servers translate their messages).
LOST_RACES = [
    _driver_error("database is locked", sqlite=5),  # SQLITE_BUSY
    _driver_error("database table is locked", sqlite=6),  # SQLITE_LOCKED
    _driver_error("kunde inte serialisera åtkomst", pgcode="40001"),
    _driver_error("lås-dödläge upptäckt", pgcode="40P01"),
    _driver_error("avbryter sats på grund av lås-timeout", pgcode="55P03"),
]


@pytest.mark.parametrize("lost_race", LOST_RACES, ids=lambda e: str(e))
def test_a_lost_race_is_retried_whole_and_leaves_one_association_and_one_history_row(
    db, ctx, lost_race
):
    ana, acme = _contact(1), _company(1)
    calls = 0

    @writes
    def flaky():
        nonlocal calls
        calls += 1
        change = associations.associate(ana, acme, ctx)
        if calls == 1:  # as if the engine had made this writer lose a race
            raise lost_race
        return change

    change = flaky()
    assert calls == 2
    assert change.created
    assert Association.select().count() == 1
    assert History.select().count() == 1
    assert check.run().ok


@pytest.mark.parametrize(
    "error",
    [
        IntegrityError("NOT NULL constraint failed: record.name"),
        # The words of a lost race without its code: decided by code, never by text.
        OperationalError("database is locked"),
        _driver_error("could not serialize access", pgcode="23505"),
        _driver_error("disk I/O error", sqlite=10),
    ],
    ids=str,
)
def test_other_errors_are_not_retried(db, error):
    calls = 0

    @writes
    def broken():
        nonlocal calls
        calls += 1
        raise error

    with pytest.raises(type(error)):
        broken()
    assert calls == 1


def test_retries_are_bounded(db, monkeypatch):
    monkeypatch.setattr(transactions, "backoff", lambda attempt: 0)
    calls = 0

    @writes
    def always_locked():
        nonlocal calls
        calls += 1
        raise _driver_error("database is locked", sqlite=5)

    with pytest.raises(OperationalError):
        always_locked()
    assert calls == transactions.ATTEMPTS


def test_no_new_attempt_after_the_deadline(db, monkeypatch):
    """Each SQLite attempt may already have waited the 10 s busy timeout: do not multiply it."""
    monkeypatch.setattr(transactions, "DEADLINE", 0.0)
    calls = 0

    @writes
    def always_locked():
        nonlocal calls
        calls += 1
        raise _driver_error("database is locked", sqlite=5)

    with pytest.raises(OperationalError):
        always_locked()
    assert calls == 1


def test_a_write_inside_a_transaction_without_the_write_lock_is_refused(db):
    """A bare transaction around crm writes would run them without the engine's write lock
    (on PostgreSQL, limits were bypassed that way): it is a bug, and it says so."""
    with pytest.raises(transactions.WritePathError), db.atomic():
        records.create("contact", {"first_name": "Ana"})
    assert records.count("contact") == 0


def test_backoff_grows_and_stays_capped():
    waits = [max(transactions.backoff(n) for _ in range(200)) for n in range(transactions.ATTEMPTS)]
    assert waits[0] < 0.02
    assert waits[4] > waits[0]
    assert max(waits) <= transactions.BACKOFF_MAX


def test_associating_twice_is_one_association_and_one_history_entry(db, ctx):
    ana, acme = _contact(1), _company(1)
    first = associations.associate(ana, acme, ctx)
    again = associations.associate(ana, acme, ctx)
    assert first.created and not again.created and not again.changed
    assert Association.select().count() == 1
    assert History.select().count() == 1


def test_the_same_pairs_associated_by_four_processes_at_once_exist_once(db, db_url):
    labels.create("contact", "company", "Billing contact")
    contacts = [_contact(i) for i in range(12)]
    companies = [_company(i) for i in range(3)]
    pairs = [(c, co) for c in contacts for co in companies]
    with SPAWN.Manager() as manager, SPAWN.Pool(4) as pool:
        barrier = manager.Barrier(4)  # all four start together
        created = pool.starmap(
            workers.associate_all_at_once,
            [(db_url, pairs, barrier, "Billing contact") for _ in range(4)],
        )
    assert sum(created) == len(pairs)  # each pair created by exactly one process
    assert Association.select().count() == len(pairs)
    assert AssociationLabel.select().count() == len(pairs)
    assert History.select().count() == len(pairs)
    assert History.select().where(History.action != "created").count() == 0
    for contact in contacts:
        assert associations.primary_company(contact) in companies
    assert check.run().ok


# ---------------------------------------------------------------- no lost update


def test_the_second_of_two_saves_gets_a_conflict_with_both_values(db):
    ana = records.create("contact", {"first_name": "Ana", "job_title": "Buyer"})
    mine = records.get(ana.id)  # both users open the record
    theirs = records.get(ana.id)
    saved = records.update(ana.id, {"job_title": "Head of buying"}, expected_version=theirs.version)
    assert saved.version == theirs.version + 1
    with pytest.raises(Conflict) as info:
        records.update(ana.id, {"job_title": "CEO"}, expected_version=mine.version)
    conflict = info.value
    assert conflict.current["job_title"] == "Head of buying"
    assert conflict.mine == {"job_title": "CEO"}
    assert conflict.current_version == saved.version
    assert records.get(ana.id).properties["job_title"] == "Head of buying"  # nothing lost
    # The person chooses their value, knowingly, against the version they have now seen.
    chosen = records.update(ana.id, conflict.mine, expected_version=conflict.current_version)
    assert chosen.properties["job_title"] == "CEO"
    assert chosen.version == saved.version + 1


def test_a_save_without_a_version_from_another_process_makes_a_stale_save_conflict(db, db_url):
    ana = records.create("contact", {"first_name": "Ana"})
    seen = records.get(ana.id)
    with SPAWN.Pool(1) as pool:
        pool.apply(workers.change_once, (db_url, "update", ana.id, 7))
    with pytest.raises(Conflict) as info:
        records.update(ana.id, {"job_title": "Mine"}, expected_version=seen.version)
    assert info.value.current["job_title"] == "Title 7"
    assert info.value.mine == {"job_title": "Mine"}


# ---------------------------------------------------------------- the actor


def test_the_actor_is_the_os_account_whatever_the_environment_says(db, monkeypatch):
    from rolodex.crm.context import api

    for var in ("USER", "LOGNAME", "USERNAME", "ROLODEX_USER", "ROLODEX_ACTOR"):
        monkeypatch.setenv(var, "mallory")
    ana, acme = _contact(1), _company(1)
    associations.associate(ana, acme, api())
    (entry,) = history.record_history(ana)
    assert entry.actor == pwd.getpwuid(os.geteuid()).pw_name
    assert entry.actor != "mallory"


# ---------------------------------------------------------------- seeing others' changes


def _watch_child(db_url: str, watcher: changes.ChangeWatcher, args: tuple) -> float:
    """Run one change in another process; return the seconds from its commit to poll() seeing it."""
    with SPAWN.Pool(1) as pool:
        pending = pool.apply_async(workers.change_once, (db_url, *args))
        seen_at = None
        deadline = time.time() + 60
        while time.time() < deadline:
            if watcher.poll():
                seen_at = time.time()
                break
            if pending.ready() and seen_at is None:
                # committed: give the watcher its second
                committed = pending.get()
                if watcher.wait(1.0):
                    return time.time() - committed
                pytest.fail("the change was not seen within a second of its commit")
            time.sleep(0.05)
        committed = pending.get()
    assert seen_at is not None
    return max(0.0, seen_at - committed)


def test_a_view_learns_within_a_second_that_another_process_committed(db, db_url):
    ana, acme = _contact(1), _company(1)
    with changes.ChangeWatcher() as watcher:
        assert watcher.poll() is False  # nothing happened yet
        delay = _watch_child(db_url, watcher, ("associate", ana, acme))
        assert delay < 1.0
        assert watcher.poll() is False  # told once
        delay = _watch_child(db_url, watcher, ("update", ana, 3))  # a record edit too
        assert delay < 1.0
        assert watcher.poll() is False
        lone = _contact(2)  # a record with no associations: deleting it writes no history
        # our own create: on PostgreSQL its NOTIFY reaches the listener a moment later
        assert watcher.wait(1.0) is True
        delay = _watch_child(db_url, watcher, ("delete", lone, 0))
        assert delay < 1.0


def test_a_rolled_back_change_in_another_process_is_not_announced(db, db_url):
    ana, acme = _contact(1), _company(1)
    with changes.ChangeWatcher() as watcher:
        with SPAWN.Pool(1) as pool:
            pool.apply(workers.change_once, (db_url, "associate", ana, acme, True))
        assert watcher.wait(0.5) is False
    assert Association.select().count() == 0


def test_the_watcher_sees_this_process_s_own_commits_too(db, ctx):
    ana, acme = _contact(1), _company(1)
    with changes.ChangeWatcher() as watcher:
        associations.associate(ana, acme, ctx)
        assert watcher.wait(1.0) is True


def test_notify_is_harmless_everywhere(db):
    changes.notify()  # outside a transaction
    with db.atomic():
        changes.notify()
        changes.notify()  # once per transaction is enough
    if is_postgres(db):
        assert changes._listens(db)
    else:
        assert not changes._listens(db)


def test_a_closed_watcher_reports_nothing(db, ctx):
    watcher = changes.ChangeWatcher()
    watcher.close()
    associations.associate(_contact(1), _company(1), ctx)
    assert watcher.poll() is False
