"""`rolodex check` on a damaged SQLite file: a violation (exit 1), or one error line (exit 2)
when the damage stops the database from opening at all; never a traceback."""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from rolodex.cli import main
from rolodex.crm import associations, objects, records
from rolodex.crm.context import api
from rolodex.store.database import open_database

PAGE = 4096


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SQLite database with a few hundred contacts linked to a company (about 150 pages)."""
    path = tmp_path_factory.mktemp("populated") / "crm.db"
    objects.invalidate()
    db = open_database(str(path))
    try:
        ctx = api()
        acme = records.create("company", {"name": "Acme"})
        for i in range(300):
            person = records.create(
                "contact", {"first_name": f"Person {i:03} " + "x" * 40, "email": f"p{i}@acme.com"}
            )
            associations.associate(person.id, acme.id, ctx)
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
        objects.invalidate()
    yield path


def _page_of(path: Path, btree: str) -> int:
    """A page in the middle of one table's or index's b-tree (SQLite's dbstat)."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == PAGE
        if btree == "header":
            return 1
        try:
            pages = conn.execute(
                "SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno", (btree,)
            ).fetchall()
        except sqlite3.OperationalError:
            pytest.skip("this SQLite has no dbstat table to find a b-tree's pages")
    finally:
        conn.close()
    assert pages, btree
    return int(pages[len(pages) // 2][0])


def _damaged_copy(populated: Path, tmp_path: Path, btree: str) -> Path:
    copy = tmp_path / "damaged.db"
    shutil.copyfile(populated, copy)
    page = _page_of(populated, btree)
    noise = random.Random(page).randbytes(PAGE)
    with open(copy, "r+b") as handle:
        handle.seek((page - 1) * PAGE)
        handle.write(noise)
    return copy


def _check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    objects.invalidate()
    code = main(["--db", str(path), "check"])
    objects.invalidate()
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_an_intact_copy_is_ok(populated, tmp_path, capsys):
    copy = tmp_path / "copy.db"
    shutil.copyfile(populated, copy)
    code, out, err = _check(copy, capsys)
    assert code == 0 and out.startswith("ok: 300 associations checked"), (out, err)


@pytest.mark.parametrize(
    "btree", ["record", "history", "association", "record_name_key_id", "record_email"]
)
def test_a_damaged_page_is_a_violation(populated, tmp_path, capsys, btree):
    code, out, err = _check(_damaged_copy(populated, tmp_path, btree), capsys)
    assert code == 1, (out, err)
    lines = out.splitlines()
    assert lines[0].startswith("violation: the database file is damaged: "), out
    assert "violation: nothing else was checked: restore the database from a backup" in lines
    assert err == "" and "Traceback" not in out


@pytest.mark.parametrize("btree", ["header", "meta"])
def test_damage_that_stops_the_opening_is_one_error_line(populated, tmp_path, capsys, btree):
    code, out, err = _check(_damaged_copy(populated, tmp_path, btree), capsys)
    assert code == 2, (out, err)
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("rolodex: error: "), err
    assert "Traceback" not in err
