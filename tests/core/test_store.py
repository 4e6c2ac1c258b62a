"""The store: migrations of an old database in place, opening errors, no Textual below the UI."""

from __future__ import annotations

import ast
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rolodex.crm import associations, history, objects, records, search
from rolodex.store import migrations
from rolodex.store.database import DatabaseOpenError, open_database
from rolodex.store.models import Meta, database
from tests.conftest import PG_URL, database_at_version

SRC = Path(__file__).resolve().parents[2] / "src" / "rolodex"
PURE = ("store", "crm", "io")


def test_version_1_database_is_upgraded_in_place_with_data_kept(db_url, ctx):
    old = database_at_version(db_url, 1)
    assert migrations.current_version(old) == 1
    ana = records.create("contact", {"first_name": "Anastasia", "email": "ana@acme.com"})
    acme = records.create("company", {"name": "Acme Rockets", "domain": "acme.com"})
    associations.associate(ana.id, acme.id, ctx)
    old.close()
    if not PG_URL:
        con = sqlite3.connect(db_url)
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        con.close()
        assert "record_search" not in tables  # the search index came with version 2

    objects.invalidate()
    upgraded = open_database(db_url)
    try:
        assert migrations.current_version(upgraded) == migrations.LATEST
        assert Meta.get(Meta.key == migrations.SCHEMA_KEY).value == str(migrations.LATEST)
        assert records.resolve("ana@acme.com").id == ana.id
        assert associations.primary_company(ana.id) == acme.id
        assert len(history.record_history(ana.id)) == 1
        # search finds records written before the index existed, and new ones
        assert [h.id for h in search.search("stasia")] == [ana.id]
        assert [h.id for h in search.search("Rocket")] == [acme.id]
        later = records.create("company", {"name": "Rocketeers"})
        assert {h.id for h in search.search("ocket")} == {acme.id, later.id}
        # opening again is a no-op
        assert migrations.upgrade(upgraded) == migrations.LATEST
    finally:
        upgraded.close()
        objects.invalidate()


def test_newer_schema_than_known_is_refused(db, db_url):
    Meta.update(value=str(migrations.LATEST + 5)).where(Meta.key == migrations.SCHEMA_KEY).execute()
    with pytest.raises(DatabaseOpenError) as err:
        migrations.upgrade(database.obj)
    assert str(migrations.LATEST + 5) in str(err.value)
    with pytest.raises(DatabaseOpenError) as err:
        open_database(db_url)
    assert "newer Rolodex" in _one_line(err.value)


def test_standard_types_exist_after_migration(db):
    keys = {info.key for info in objects.all_types()}
    assert {
        "contact",
        "company",
        "deal",
        "ticket",
        "note",
        "email",
        "call",
        "meeting",
        "task",
    } <= keys


# ------------------------------------------------------------------ opening errors


def _one_line(exc: BaseException) -> str:
    message = str(exc)
    assert message and "\n" not in message and "Traceback" not in message
    return message


def test_garbage_file_is_not_a_database(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"this is my shopping list\n" * 20)
    with pytest.raises(DatabaseOpenError) as err:
        open_database(str(path))
    assert "not a Rolodex database" in _one_line(err.value)
    assert path.read_bytes() == b"this is my shopping list\n" * 20


def test_corrupt_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "broken.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with pytest.raises(DatabaseOpenError) as err:
        open_database(str(path))
    _one_line(err.value)


def test_read_only_file_is_refused(tmp_path):
    path = tmp_path / "ro.db"
    open_database(str(path)).close()
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        with pytest.raises(DatabaseOpenError) as err:
            open_database(str(path))
        assert "read-only" in _one_line(err.value)
        assert path.read_bytes() == before
    finally:
        path.chmod(0o644)


def test_directory_is_refused(tmp_path):
    with pytest.raises(DatabaseOpenError) as err:
        open_database(str(tmp_path))
    assert "directory" in _one_line(err.value)


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(DatabaseOpenError) as err:
        open_database(str(tmp_path / "no" / "such" / "x.db"))
    assert "does not exist" in _one_line(err.value)


def test_unsupported_url_is_refused():
    with pytest.raises(DatabaseOpenError) as err:
        open_database("mysql://localhost/x")
    _one_line(err.value)


def test_sqlite_url_and_pragmas(tmp_path):
    path = tmp_path / "via-url.db"
    db = open_database(f"sqlite:///{path}")
    try:
        assert path.exists()
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert migrations.current_version(db) == migrations.LATEST
    finally:
        db.close()
        objects.invalidate()


# ------------------------------------------------------------------ no Textual below the UI


def _modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


def _textual_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import of textual or of the UI package in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.ImportFrom) and node.level > 0 and node.module:
            names = ["rolodex.ui"] if node.module.split(".")[0] == "ui" else []
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", ""))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names = [str(node.args[0].value)]
        for name in names:
            if name == "textual" or name.startswith(("textual.", "rolodex.ui")):
                found.append((getattr(node, "lineno", 0), name))
    return found


def test_the_import_walker_sees_every_form():
    source = (
        "import os\nimport textual\nfrom textual.widgets import Static\n"
        "from rolodex.ui.app import run_app\nimport importlib\n"
        "def f():\n    importlib.import_module('textual.app')\n    __import__('textual')\n"
        "from ..ui import screens\n"
    )
    assert sorted(_textual_imports(source)) == [
        (2, "textual"),
        (3, "textual.widgets"),
        (4, "rolodex.ui.app"),
        (7, "textual.app"),
        (8, "textual"),
        (9, "rolodex.ui"),
    ]
    assert _textual_imports("import rich\nfrom rolodex.crm import records\n") == []


def test_pure_packages_do_not_import_textual_in_source():
    offenders = []
    checked = 0
    for package in PURE:
        for path in _modules(package):
            checked += 1
            for line, name in _textual_imports(path.read_text()):
                offenders.append(f"{path.relative_to(SRC)}:{line} {name}")
    assert checked >= 20
    assert offenders == []


def test_pure_packages_do_not_load_textual_at_run_time():
    modules = [
        ".".join(("rolodex", *path.relative_to(SRC).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for package in PURE
        for path in _modules(package)
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(len(sys.modules), bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC.parent)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
