"""Faults of the database give one `rolodex: error: ...` line naming the real cause and
exit 2, on every command and in the TUI (before or after its screen is up), and lose
nothing. (SQLite files: the faults are the file's.)"""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="faults of a SQLite file")
ROOT = os.geteuid() == 0
COMMANDS = [
    ("show", "contact:1"),
    ("history", "contact:1"),
    ("add", "contact", "first_name=Bo"),
    ("associate", "contact:1", "company:2"),
    ("export", "contact"),
    ("labels", "list"),
    ("search", "Ana"),
]
READS_RECORDS = [c for c in COMMANDS if c[0] != "labels"]


def rolodex(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rolodex", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def one_error_line(result: subprocess.CompletedProcess, *needles: str) -> None:
    lines = result.stderr.splitlines()
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("rolodex: error: "), lines
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def run_tui(*args: str, wait: float = 20.0, code: str | None = None) -> tuple[int, str]:
    """The app in a pseudo-terminal (it needs one; Textual draws on stderr); returns its
    exit code and the last lines the terminal showed after the app left its screen.
    ``code``: Python to run instead of `python -m rolodex` (to inject a fault)."""
    leader, follower = pty.openpty()
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "rolodex"]
    proc = subprocess.Popen(
        [*command, *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TEXTUAL_ANIMATIONS": "none", "COLUMNS": "100", "LINES": "30"},
    )
    os.close(follower)
    output = b""
    deadline = time.monotonic() + wait
    try:
        while time.monotonic() < deadline:
            ready, _w, _x = select.select([leader], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:
                    chunk = b""
                if not chunk and proc.poll() is not None:
                    break
                output += chunk
            elif proc.poll() is not None:
                break
        if proc.poll() is None:  # still running: the fault was not noticed
            proc.kill()
            proc.wait(10)
            return -1, ""
    finally:
        os.close(leader)
    # What follows the app's last screen (it leaves the alternate screen with ESC[?1049l).
    after = output.rsplit(b"\x1b[?1049l", 1)[-1].decode("utf-8", "replace")
    after = re.sub(r"\x1b\[[0-9;?<>=]*[A-Za-z]", "", after)  # the terminal's resets
    lines = [line.strip() for line in after.replace("\r", "").split("\n") if line.strip()]
    return proc.returncode, "\n".join(lines)


def first_contact(path: Path) -> str:
    con = sqlite3.connect(path)
    (rid,) = con.execute(
        "SELECT r.id FROM record r JOIN object_type t ON t.id = r.object_type_id "
        "WHERE t.key = 'contact' ORDER BY r.id LIMIT 1"
    ).fetchone()
    con.close()
    return f"contact:{rid}"


@pytest.fixture
def populated(tmp_path: Path) -> Path:
    path = tmp_path / "crm.db"
    assert rolodex("--db", str(path), "seed", "--size", "demo").returncode == 0
    return path


def damage_the_record_table(path: Path) -> None:
    """Overwrite the record table's root page with random bytes (as a failing disk might)."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (root,) = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'record'").fetchone()
    (size,) = con.execute("PRAGMA page_size").fetchone()
    con.close()
    with path.open("r+b") as handle:
        handle.seek((root - 1) * size)
        handle.write(os.urandom(size))


@pytest.mark.parametrize("command", READS_RECORDS, ids=" ".join)
def test_a_damaged_file_is_one_line_naming_the_damage(populated, command):
    damage_the_record_table(populated)
    before = populated.read_bytes()
    one_error_line(rolodex("--db", str(populated), *command), "damaged")
    assert populated.read_bytes() == before


def test_the_tui_on_a_damaged_file_stops_with_one_line_and_exit_2(populated):
    damage_the_record_table(populated)
    code, err = run_tui("--db", str(populated))
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rolodex: error: "), err
    assert "damaged" in lines[0] and "Traceback" not in err


def test_a_crash_of_the_tui_exits_2_and_keeps_the_traceback_in_a_named_log(populated, tmp_path):
    code = (
        "import sys\n"
        "from rolodex.ui.screens import index\n"
        "def boom(self):\n"
        "    raise ZeroDivisionError('an injected bug')\n"
        "index.IndexScreen.on_mount = boom\n"
        "from rolodex.ui.app import run_app\n"
        "raise SystemExit(run_app(sys.argv[1]))\n"
    )
    env_home = tmp_path / "state"
    os.environ["XDG_STATE_HOME"] = str(env_home)
    try:
        exit_code, err = run_tui(str(populated), code=code)
    finally:
        os.environ.pop("XDG_STATE_HOME", None)
    assert exit_code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "unexpected error" in lines[0], err
    log = Path(lines[0].rsplit(" ", 1)[-1])
    assert log.exists() and "ZeroDivisionError" in log.read_text()


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_another_program_s_sqlite_file_is_refused_untouched(tmp_path, command):
    foreign = tmp_path / "photos.db"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE photo (id INTEGER PRIMARY KEY, path TEXT)")
    con.execute("INSERT INTO photo (path) VALUES ('a.jpg')")
    con.commit()
    con.close()
    before = foreign.read_bytes()
    one_error_line(rolodex("--db", str(foreign), *command), "another program")
    assert foreign.read_bytes() == before


def test_a_database_of_a_newer_rolodex_is_refused(populated):
    con = sqlite3.connect(populated)
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    for command in COMMANDS:
        one_error_line(rolodex("--db", str(populated), *command), "newer Rolodex")
    code, err = run_tui("--db", str(populated))
    assert code == 2 and "newer Rolodex" in err and len(err.strip().splitlines()) == 1, err


def test_an_empty_file_is_a_new_database_only_for_init(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    for command in COMMANDS:
        one_error_line(rolodex("--db", str(empty), *command), "empty file", "rolodex init")
        assert empty.stat().st_size == 0
    assert rolodex("init", str(empty)).returncode == 0
    assert rolodex("--db", str(empty), "add", "contact", "first_name=Ana").returncode == 0


def test_a_read_only_file_can_still_be_read(populated):
    shutil.copy(populated, populated.with_suffix(".bak"))
    populated.chmod(0o444)
    try:
        shown = rolodex("--db", str(populated), "show", first_contact(populated))
        assert shown.returncode == 0, shown.stderr
        one_error_line(
            rolodex("--db", str(populated), "add", "contact", "first_name=Bo"), "read-only"
        )
    finally:
        populated.chmod(0o644)


@pytest.mark.skipif(ROOT, reason="root may read and write anything: run as a normal user")
def test_an_unreadable_file_and_an_unwritable_folder(populated):
    populated.chmod(0)
    try:
        one_error_line(rolodex("--db", str(populated), "show", "contact:1"), "permission denied")
    finally:
        populated.chmod(0o644)
    populated.parent.chmod(0o555)
    try:
        one_error_line(
            rolodex("--db", str(populated), "add", "contact", "first_name=Bo"), "not writable"
        )
    finally:
        populated.parent.chmod(0o755)


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    if not ROOT or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> None:
    handle = (disk / "filler").open("wb", buffering=0)
    try:
        while True:
            handle.write(b"\0" * 4096)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            handle.close()


def test_a_full_disk_is_named_and_changes_nothing(small_disk):
    db = small_disk / "crm.db"
    assert rolodex("--db", str(db), "add", "contact", "first_name=Ana").returncode == 0
    before = rolodex("--db", str(db), "export", "contact").stdout
    fill(small_disk)
    big = "x" * 100_000
    for command in (
        ("add", "contact", f"first_name={big}"),
        ("update", "contact:1", f"last_name={big}"),
    ):
        result = rolodex("--db", str(db), *command)
        one_error_line(result, "full")
        assert "rollback" not in result.stderr
    (small_disk / "filler").unlink()
    assert rolodex("--db", str(db), "export", "contact").stdout == before
    assert rolodex("--db", str(db), "check").returncode == 0


def test_a_disk_that_fills_up_during_an_import_leaves_the_database_as_before(small_disk, tmp_path):
    db = small_disk / "crm.db"
    assert rolodex("--db", str(db), "add", "contact", "first_name=Ana").returncode == 0
    before = rolodex("--db", str(db), "export", "contact").stdout
    rows = "".join(f"P{n},p{n}@example.org,{'y' * 900}\n" for n in range(3000))
    big = tmp_path / "contacts.csv"
    big.write_text("First Name,Email,Job Title\n" + rows, encoding="utf-8")
    fill(small_disk)
    os.truncate(small_disk / "filler", max(0, (small_disk / "filler").stat().st_size - 400_000))
    result = rolodex("--db", str(db), "import", str(big))
    one_error_line(result, "full")
    (small_disk / "filler").unlink()
    assert rolodex("--db", str(db), "export", "contact").stdout == before
    assert rolodex("--db", str(db), "check").returncode == 0
