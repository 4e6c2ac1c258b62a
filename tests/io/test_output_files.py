"""`export -o` and the import error file never harm what is at the path (rolodex.io.files)."""

from __future__ import annotations

import csv
import grp
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from rolodex.crm import records
from rolodex.io import exporter, files
from tests.core.test_shared import _account, _run_as
from tests.io.conftest import run_export, run_import

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root can own files as others")
not_root = pytest.mark.skipif(os.geteuid() == 0, reason="root may write a read-only file")


@pytest.fixture
def umask() -> Iterator[object]:
    """Set the process umask for one test (``umask(0o077)``) and restore it."""
    saved = os.umask(0o022)
    os.umask(saved)

    def _set(mask: int) -> None:
        os.umask(mask)

    yield _set
    os.umask(saved)


@pytest.fixture
def contacts(db) -> list[str]:
    names = ["Ana", "Bo", "Cy"]
    for name in names:
        records.create("contact", {"first_name": name})
    return names


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _exported_names(text: str) -> list[str]:
    rows = list(csv.reader(text.lstrip("\ufeff").splitlines()))
    column = rows[0].index("First Name")
    return [row[column] for row in rows[1:]]


class FifoReader:
    """Reads a FIFO to its end in a thread; never left blocked when no writer came."""

    def __init__(self, fifo: Path) -> None:
        self.fifo = fifo
        self.data = b""
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        self.data = self.fifo.read_bytes()

    def result(self) -> bytes:
        self.thread.join(timeout=30)
        if self.thread.is_alive():  # nobody wrote: let the reader's open() return
            os.close(os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK))
            self.thread.join(timeout=30)
        return self.data


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(files.TEMP_PREFIX)]


# ---------------------------------------------------------------- a new path


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_new_export_file_honours_the_umask(contacts, tmp_path, umask, mask, mode, fmt):
    target = tmp_path / f"out.{fmt}"
    umask(mask)
    result = run_export("contact", str(target), fmt)
    assert result.code == 0, result.err
    assert _mode(target) == mode
    assert _leftovers(tmp_path) == []


def test_a_new_error_file_honours_the_umask(db, write, tmp_path, umask):
    path = write("contacts.csv", "First Name,Email\nAna,not-an-email\n")
    errors = tmp_path / "errors.csv"
    umask(0o022)
    result = run_import(path, errors=str(errors))
    assert result.code == 1
    assert _mode(errors) == 0o644
    assert "not-an-email" in errors.read_text(encoding="utf-8")


def test_a_failed_export_leaves_nothing_at_a_new_path(contacts, tmp_path, monkeypatch):
    target = tmp_path / "out.csv"
    real_rows = exporter._rows

    def breaking(*args):
        rows = real_rows(*args)
        yield next(rows)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exporter, "_rows", breaking)
    result = run_export("contact", str(target))
    assert result.code == 2 and "No space left on device" in result.err
    assert not os.path.lexists(target)
    assert _leftovers(tmp_path) == []


# ---------------------------------------------------------------- an existing regular file


def test_an_existing_file_keeps_its_mode_and_gets_the_new_data(contacts, tmp_path, umask):
    target = tmp_path / "out.csv"
    target.write_text("old")
    os.chmod(target, 0o640)
    umask(0o022)
    result = run_export("contact", str(target))
    assert result.code == 0, result.err
    assert _mode(target) == 0o640
    assert _exported_names(target.read_text(encoding="utf-8")) == contacts
    assert _leftovers(tmp_path) == []


def test_a_failed_export_leaves_an_existing_file_as_it_was(contacts, tmp_path, monkeypatch):
    target = tmp_path / "out.csv"
    target.write_text("precious")
    monkeypatch.setattr(exporter, "_write_csv", _raise_midway)
    assert run_export("contact", str(target)).code == 2
    assert target.read_text() == "precious"
    assert _leftovers(tmp_path) == []


def _raise_midway(handle, header, rows):
    handle.write("half a line")
    raise OSError(5, "Input/output error")


@needs_root
def test_an_existing_file_keeps_its_owner_and_group(contacts, tmp_path):
    try:
        daemon = pwd.getpwnam("daemon")
    except KeyError:
        pytest.skip("needs the account daemon")
    target = tmp_path / "out.csv"
    target.write_text("old")
    os.chown(target, daemon.pw_uid, daemon.pw_gid)
    os.chmod(target, 0o664)
    assert run_export("contact", str(target)).code == 0
    info = os.stat(target)
    assert (info.st_uid, info.st_gid) == (daemon.pw_uid, daemon.pw_gid)
    assert _mode(target) == 0o664
    assert _exported_names(target.read_text(encoding="utf-8")) == contacts


@needs_root
def test_someone_elses_file_is_written_in_place_and_keeps_its_owner():
    """``nobody`` exports over a file of ``daemon``'s that it may write: replacing it would
    make it nobody's, so the finished data is copied into it (same inode, owner, mode)."""
    nobody, daemon = _account("nobody"), _account("daemon")
    if nobody is None or daemon is None:
        pytest.skip("needs the accounts nobody and daemon")
    open_tmp = Path(tempfile.mkdtemp(prefix="rolodex-output-"))  # tmp_path is 0700
    try:
        _export_as_nobody_over_daemons_file(open_tmp, nobody, daemon)
    finally:
        shutil.rmtree(open_tmp)


def _export_as_nobody_over_daemons_file(open_tmp: Path, nobody: int, daemon: int) -> None:
    os.chmod(open_tmp, 0o777)
    target = open_tmp / "shared.csv"
    target.write_text("old " * 1000)
    os.chown(target, daemon, daemon)
    os.chmod(target, 0o666)
    before = os.stat(target)
    code = f"""
        from rolodex.io.files import output_file
        with output_file({str(target)!r}) as handle:
            handle.write("new data\\n")
    """
    result = _run_as(nobody, 65534, [], code)
    assert result.returncode == 0, result.stderr
    after = os.stat(target)
    assert (after.st_ino, after.st_uid, after.st_gid) == (before.st_ino, daemon, daemon)
    assert _mode(target) == 0o666
    assert target.read_text() == "new data\n"
    assert _leftovers(open_tmp) == []


def test_a_file_in_a_setgid_folder_keeps_its_own_group(contacts, tmp_path):
    """A new file in a setgid folder takes the folder's group; the replacement must not."""
    other = next((g.gr_gid for g in grp.getgrall() if g.gr_gid != os.getegid()), None)
    if other is None or (os.geteuid() != 0 and other not in os.getgroups()):
        pytest.skip("needs a second group this account may give files to")
    folder = tmp_path / "team"
    folder.mkdir()
    os.chown(folder, -1, other)
    os.chmod(folder, 0o2775)
    target = folder / "out.csv"
    target.write_text("old")
    os.chown(target, -1, os.getegid())
    assert run_export("contact", str(target)).code == 0
    assert os.stat(target).st_gid == os.getegid()


@not_root
def test_a_read_only_file_is_not_replaced(contacts, tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("keep")
    os.chmod(target, 0o444)
    result = run_export("contact", str(target))
    assert result.code == 2 and "Permission denied" in result.err
    assert target.read_text() == "keep"


# ---------------------------------------------------------------- devices, FIFOs, links


def test_a_fifo_gets_the_data_and_stays_a_fifo(contacts, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    result = run_export("contact", str(fifo))
    received = reader.result()
    assert result.code == 0, result.err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert _exported_names(received.decode("utf-8")) == contacts
    assert _leftovers(tmp_path) == []


def test_the_error_file_can_be_a_fifo(db, write, tmp_path):
    path = write("contacts.csv", "First Name,Email\nAna,not-an-email\n")
    fifo = tmp_path / "errors"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    result = run_import(path, errors=str(fifo))
    received = reader.result()
    assert result.code == 1
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert b"not-an-email" in received


@needs_root
def test_a_null_device_stays_a_device_when_root_exports_to_it(contacts, tmp_path):
    """The device of /dev/null (1, 3), as a node of its own: were the export to replace it,
    the host's real /dev/null would not be the one lost."""
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("this root may not create device nodes")
    before = os.lstat(null)
    assert run_export("contact", str(null)).code == 0
    after = os.lstat(null)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == os.makedev(1, 3)
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert _leftovers(tmp_path) == []


def _rolodex(db_path: str, *args: str, stdout: object = subprocess.PIPE):
    return subprocess.run(
        [sys.executable, "-m", "rolodex", "--db", db_path, *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")},
    )


def test_a_link_to_standard_output_to_a_pipe_and_to_a_file(contacts, db_url, tmp_path):
    """``-o /dev/stdout``: a link to the process's descriptor 1, written into, never replaced,
    and not followed by the "exported N records" note. The test uses a link of its own to
    /proc/self/fd/1 (what /dev/stdout is), so a regression run as root cannot replace the
    host's /dev/stdout."""
    if "://" in db_url:
        pytest.skip("one SQLite file is enough: the file handling does not depend on the engine")
    stdout = tmp_path / "stdout"
    stdout.symlink_to("/proc/self/fd/1")
    piped = _rolodex(db_url, "export", "contact", "-o", str(stdout))
    assert piped.returncode == 0, piped.stderr
    assert _exported_names(piped.stdout.decode("utf-8")) == contacts
    redirected = tmp_path / "redirected.csv"
    with open(redirected, "wb") as handle:
        result = _rolodex(db_url, "export", "contact", "-o", str(stdout), stdout=handle)
    assert result.returncode == 0, result.stderr
    assert _exported_names(redirected.read_text(encoding="utf-8")) == contacts
    assert stdout.is_symlink() and os.readlink(stdout) == "/proc/self/fd/1"


def test_a_symlink_to_a_file_is_refused_and_both_stay(contacts, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch")
    link = tmp_path / "out.csv"
    link.symlink_to(victim)
    result = run_export("contact", str(link))
    assert result.code == 2
    assert "symbolic link" in result.err and result.err.count("\n") == 1
    assert link.is_symlink() and os.readlink(link) == str(victim)
    assert victim.read_text() == "do not touch"
    assert _leftovers(tmp_path) == []


def test_a_dangling_symlink_is_refused_and_nothing_is_created(contacts, tmp_path):
    link = tmp_path / "out.csv"
    link.symlink_to(tmp_path / "planted.csv")
    result = run_export("contact", str(link))
    assert result.code == 2 and "symbolic link" in result.err
    assert not (tmp_path / "planted.csv").exists() and link.is_symlink()


def test_an_error_file_through_a_symlink_is_refused(db, write, tmp_path):
    path = write("contacts.csv", "First Name,Email\nAna,not-an-email\n")
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch")
    link = tmp_path / "errors.csv"
    link.symlink_to(victim)
    result = run_import(path, errors=str(link))
    assert result.code == 2 and "symbolic link" in result.err
    assert victim.read_text() == "do not touch" and link.is_symlink()
    assert records.count("contact") == 0  # refused before anything was imported


def test_a_symlink_to_a_fifo_is_written_through(contacts, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "out.csv"
    link.symlink_to(fifo)
    reader = FifoReader(fifo)
    result = run_export("contact", str(link))
    received = reader.result()
    assert result.code == 0, result.err
    assert link.is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert _exported_names(received.decode("utf-8")) == contacts


def test_a_folder_is_refused(contacts, tmp_path):
    result = run_export("contact", str(tmp_path))
    assert result.code == 2 and "folder" in result.err


def test_something_created_at_a_new_path_meanwhile_is_not_replaced(tmp_path):
    target = tmp_path / "out.csv"
    output = files.OutputFile(target)
    handle = output.open()
    handle.write("data")
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch")
    target.symlink_to(victim)  # planted while the export was being written
    with pytest.raises(files.OutputRefused):
        output.commit()
    assert os.readlink(target) == str(victim) and victim.read_text() == "do not touch"
    assert _leftovers(tmp_path) == []
