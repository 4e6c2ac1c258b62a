"""Bad input: one line on stderr, exit 2, no traceback, and the database unchanged."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from tests.cli.conftest import snapshot

PG = bool(os.environ.get("ROLODEX_TEST_PG_URL"))


def _one_line_error(result, *fragments: str) -> None:
    assert result.code == 2, result
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("rolodex: error: ")
    assert "Traceback" not in result.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture
def world(ok, add):
    """A contact at a company, a deal, a single label and a limit: something to break."""
    ok("labels", "create", "contact", "company", "Advisor")
    acme = add("company", "name=Acme", "domain=acme.com")
    ana = add("contact", "first_name=Ana", "email=ana@acme.com")
    bo = add("contact", "first_name=Bo", "email=bo@acme.com")
    deal = add("deal", "name=Pilot")
    ok("associate", ana, acme, "--label", "Advisor")
    ok("associate", deal, ana)
    ok("labels", "limit", "deal", "contact", "1")
    return {"acme": acme, "ana": ana, "bo": bo, "deal": deal}


CASES = [
    (("show", "contact:999"), "no record with id 999"),
    (("show", "nobody@nowhere.org"), "no contact with email"),
    (("show", "contact:abc"), "the id must be a number"),
    (("show", "planet:1"), "unknown object type 'planet'"),
    (("associate", "{ana}", "{acme}", "--label", "Boss"), "no label 'Boss'"),
    (("associate", "{deal}", "{bo}"), "limit reached"),
    (("associate", "{ana}", "{ana}"), "cannot be associated with itself"),
    (("associate", "{ana}", "{deal}", "--primary"), "only a company can be a primary"),
    (("add", "contact", "email=not-an-email"), "is not an email address"),
    (("add", "deal", "amount=lots"), "is not a number"),
    (("add", "deal", "close_date=31/01/2027"), "is not a date"),
    (("add", "contact", "colour=blue"), "has no property 'colour'"),
    (("add", "contact", "first_name"), "is not KEY=VALUE"),
    (("add", "contact", "email=ana@acme.com"), "already exists"),
    (("add", "spaceship", "name=x"), "unknown object type"),
    (("dissociate", "{bo}", "{acme}"), "are not associated"),
    (
        ("dissociate", "{ana}", "{acme}", "--label", "Advisor", "--new-primary", "{deal}"),
        "not a label",
    ),
    (("dissociate", "{ana}", "{acme}", "--new-primary", "{deal}"), "--new-primary applies only"),
    (("set-primary", "{deal}", "{acme}"), "not associated"),
    (("restore", "{ana}"), "is not in the recycle bin"),
    (("merge", "{ana}", "{acme}"), "cannot merge"),
    (("merge", "{ana}", "{ana}"), "with itself"),
    (("labels", "create", "contact", "company", "Advisor"), "already exists"),
    (("labels", "create", "contact", "company", "Primary"), "built in"),
    (("labels", "delete", "contact", "company", "Advisor"), "remove it from them first"),
    (("labels", "delete", "contact", "company", "Nope"), "no label 'Nope'"),
    (("labels", "limit", "deal", "contact", "zero"), "a limit is a whole number"),
    (("labels", "limit", "deal", "contact", "0"), "at least 1"),
    (("objects", "create", "Bad Key", "--singular", "A", "--plural", "B"), "object key"),
    (
        (
            "objects",
            "create",
            "proj",
            "--singular",
            "P",
            "--plural",
            "Ps",
            "--property",
            "x:colour",
        ),
        "property kind 'colour'",
    ),
    (("objects", "create", "contact", "--singular", "C", "--plural", "Cs"), "already exists"),
    (("history", "{ana}", "--object", "planet"), "unknown object type"),
    (("show", "{ana}", "--as-of", "yesterday"), "is not a date or a date and time"),
    (("log", "{ana}", "deal", "name=x"), "is not an activity type"),
    (("domains", "{acme}"), "is not a contact"),
    (("frobnicate",), "invalid choice"),
    (("show",), "required"),
    (("labels",), "required"),
    (("history", "{ana}", "--format", "xml"), "invalid choice"),
]


@pytest.mark.parametrize(("argv", "message"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input_is_one_line_and_changes_nothing(run, world, argv, message):
    before = snapshot()
    result = run(*(arg.format(**world) for arg in argv))
    _one_line_error(result, message)
    assert snapshot() == before


def test_stale_version_is_a_conflict_and_changes_nothing(ok, run, add):
    ref = add("contact", "first_name=Ana")
    ok("update", ref, "first_name=Anna")  # now version 2
    before = ok("show", ref, "--format", "json").out
    result = run("update", ref, "first_name=Annie", "--version", "1")
    _one_line_error(result, "changed by someone else")
    assert ok("show", ref, "--format", "json").out == before


def test_deleted_record_cannot_be_shown_or_associated(ok, run, add):
    ana, acme = add("contact", "first_name=Ana"), add("company", "name=Acme")
    ok("delete", ana)
    _one_line_error(run("show", ana), "recycle bin")
    _one_line_error(run("associate", ana, acme), "recycle bin")


def test_removing_the_primary_needs_a_new_primary(ok, run, add):
    ana = add("contact", "first_name=Ana")
    acme, beta = add("company", "name=Acme"), add("company", "name=Beta")
    ok("associate", ana, acme)
    ok("associate", ana, beta)
    before = ok("show", ana, "--format", "json").out
    _one_line_error(run("dissociate", ana, acme), "choose the new primary among", beta)
    assert ok("show", ana, "--format", "json").out == before


def test_ambiguous_domain(ok, run, add):
    add("company", "name=A", "domain=twin.com")
    add("company", "name=B", "domain=twin.com")
    _one_line_error(run("show", "twin.com"), "several companies have the domain")


@pytest.mark.skipif(PG, reason="file databases are SQLite")
def test_garbage_file_as_db(run, tmp_path):
    garbage = tmp_path / "notes.txt"
    garbage.write_bytes(b"this is not a database\n" * 100)
    result = run("show", "contact:1", db_target=str(garbage))
    _one_line_error(result, "is not a Rolodex database")
    assert garbage.read_bytes() == b"this is not a database\n" * 100
    _one_line_error(run("add", "contact", "first_name=x", db_target=str(garbage)))
    assert garbage.read_bytes() == b"this is not a database\n" * 100


@pytest.mark.skipif(PG, reason="file databases are SQLite")
def test_directory_and_missing_folder_as_db(run, tmp_path):
    _one_line_error(run("show", "contact:1", db_target=str(tmp_path)), "is a directory")
    _one_line_error(
        run("show", "contact:1", db_target=str(tmp_path / "no" / "such.db")), "does not exist"
    )


@pytest.mark.skipif(PG, reason="file databases are SQLite")
def test_read_only_database_file(ok, add, run, db_url, tmp_path):
    ref = add("contact", "first_name=Ana")
    before = ok("show", ref, "--format", "json").out
    copy = tmp_path / "ro" / "copy.db"
    copy.parent.mkdir()
    shutil.copy(db_url, copy)
    for extra in ("-wal", "-shm"):
        if Path(db_url + extra).exists():
            shutil.copy(db_url + extra, str(copy) + extra)
    copy.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    content = copy.read_bytes()
    try:
        result = run("update", ref, "first_name=Bo", db_target=str(copy))
        _one_line_error(result, "read-only")
        _one_line_error(run("add", "contact", "first_name=C", db_target=str(copy)), "read-only")
        assert copy.read_bytes() == content
    finally:
        copy.chmod(stat.S_IRUSR | stat.S_IWUSR)
    # Writable again, the copy still holds exactly what it held.
    assert run("show", ref, "--format", "json", db_target=str(copy)).out == before


def test_unsupported_url(run):
    _one_line_error(run("show", "contact:1", db_target="mysql://x/y"), "unsupported database URL")


def test_unreachable_postgres_is_one_line(run):
    result = run("show", "contact:1", db_target="postgresql://nobody:x@127.0.0.1:1/none")
    _one_line_error(result, "cannot open the database")


def test_unexpected_database_error_is_one_line(run, world, monkeypatch):
    from peewee import OperationalError

    from rolodex.crm import associations

    def boom(*args, **kwargs):
        raise OperationalError("disk I/O error\nsecond line")

    monkeypatch.setattr(associations, "all_of", boom)
    _one_line_error(run("show", world["ana"]), "database error: disk I/O error second line")
