"""`rolodex init --shared GROUP PATH`: a SQLite database one group (and only it) works on."""

from __future__ import annotations

import grp
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from rolodex.crm import objects, records
from rolodex.store.database import DatabaseOpenError, open_database
from rolodex.store.shared import SharedSetupError, describe, init_shared

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def own_group() -> str:
    return grp.getgrgid(os.getgid()).gr_name


@pytest.fixture(autouse=True)
def _fresh_object_cache() -> Iterator[None]:
    objects.invalidate()
    yield
    objects.invalidate()


def test_init_shared_gives_folder_and_file_to_the_group_only(tmp_path, own_group):
    path = tmp_path / "team" / "crm.db"
    init_shared(own_group, path)
    assert _mode(path.parent) == 0o2770  # rwxrws---: setgid, nothing for others
    assert _mode(path) == 0o660
    gid = grp.getgrnam(own_group).gr_gid
    assert path.parent.stat().st_gid == gid
    assert path.stat().st_gid == gid
    assert "rwxrws---" in describe(path) and "rw-rw----" in describe(path)

    db = open_database(str(path))
    try:
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        ana = records.create("contact", {"first_name": "Ana"})
        # While the database is in use, the -wal and -shm files are the group's too.
        for suffix in ("-wal", "-shm"):
            companion = path.with_name(path.name + suffix)
            assert companion.exists()
            assert _mode(companion) == 0o660
            assert companion.stat().st_gid == gid
        assert records.get(ana.id).name == "Ana"
    finally:
        db.close()


def test_an_existing_database_can_be_shared_and_keeps_its_records(tmp_path, own_group):
    path = tmp_path / "mine" / "crm.db"
    path.parent.mkdir()
    db = open_database(str(path))
    ana = records.create("contact", {"first_name": "Ana"})
    db.close()
    os.chmod(path, 0o644)
    init_shared(own_group, path)
    assert _mode(path) == 0o660 and _mode(path.parent) == 0o2770
    db = open_database(str(path))
    try:
        assert records.get(ana.id).name == "Ana"
    finally:
        db.close()


def test_an_unknown_group_is_refused_and_nothing_is_created(tmp_path):
    path = tmp_path / "team" / "crm.db"
    with pytest.raises(SharedSetupError) as info:
        init_shared("no-such-group-xyz", path)
    assert str(info.value) == "there is no group named 'no-such-group-xyz' on this host"
    assert isinstance(info.value, DatabaseOpenError)
    assert not path.parent.exists()


def test_a_folder_holding_other_files_is_not_opened_to_the_group(tmp_path, own_group):
    folder = tmp_path / "home"
    folder.mkdir(mode=0o755)
    (folder / "notes.txt").write_text("private")
    with pytest.raises(SharedSetupError) as info:
        init_shared(own_group, folder / "crm.db")
    assert "notes.txt" in str(info.value) and "\n" not in str(info.value)
    assert _mode(folder) == 0o755
    assert not (folder / "crm.db").exists()


def test_a_file_that_is_not_a_database_is_refused(tmp_path, own_group):
    path = tmp_path / "team" / "crm.db"
    path.parent.mkdir()
    path.write_text("hello")
    with pytest.raises(SharedSetupError, match="not a Rolodex database"):
        init_shared(own_group, path)
    assert path.read_text() == "hello"


@pytest.mark.parametrize("url", ["postgresql://host/db", Path("postgresql://host/db")])
def test_a_url_is_refused(own_group, url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SharedSetupError, match="file path"):
        init_shared(own_group, url)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- other accounts (needs root)

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching accounts needs root")


def _account(name: str) -> int | None:
    import pwd

    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def _others_can_run(path: Path) -> bool:
    real = path.resolve()
    dirs_ok = all(p.stat().st_mode & stat.S_IXOTH for p in real.parents)
    return dirs_ok and bool(real.stat().st_mode & stat.S_IXOTH)


def _python_for_others() -> str:
    """An interpreter other accounts may run (this one may live under /root), same version."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (
        Path(sys.executable),
        Path("/usr/bin") / version,
        Path("/usr/local/bin") / version,
    ):
        if candidate.exists() and _others_can_run(candidate):
            return str(candidate)
    pytest.skip("no Python interpreter other accounts can run")


_READABLE: list[Path] = []


def _pythonpath() -> str:
    """A copy of Rolodex and of what its store and rules import, in a folder every account
    can read: the checkout and its venv may sit in a private folder (under /root, or a
    0700 `mktemp -d`), which other accounts cannot enter."""
    if _READABLE:
        return str(_READABLE[0])
    import importlib.util

    folder = Path(tempfile.mkdtemp(prefix="rolodex-for-others-"))
    _READABLE.append(folder)
    shutil.copytree(Path(SRC) / "rolodex", folder / "rolodex")
    for name in ("peewee", "playhouse", "platformdirs"):
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin, name
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(origin.parent, folder / name)
        else:
            shutil.copy2(origin, folder / origin.name)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return str(folder)


@pytest.fixture(scope="module", autouse=True)
def _remove_the_readable_copy() -> Iterator[None]:
    yield
    for folder in _READABLE:
        shutil.rmtree(folder, ignore_errors=True)
    _READABLE.clear()


def _run_as(uid: int, gid: int, extra: list[int], code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_python_for_others(), "-c", textwrap.dedent(code)],
        user=uid,
        group=gid,
        extra_groups=extra,
        env={
            "PYTHONPATH": _pythonpath(),
            "LANG": "C.UTF-8",
            "HOME": "/",
            "PATH": os.environ["PATH"],
        },
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
    )


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A folder other accounts can pass through (pytest's tmp_path is 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="rolodex-shared-"))
    os.chmod(folder, 0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


WRITE = """
    import sys
    from rolodex.crm import records
    from rolodex.store.database import DatabaseOpenError, open_database
    try:
        db = open_database(sys.argv[1] if len(sys.argv) > 1 else {path!r})
        ref = records.create("contact", {{"first_name": {name!r}}}).ref
    except DatabaseOpenError as exc:
        print("REFUSED", exc)
        raise SystemExit(3)
    print("WROTE", ref)
"""


@needs_root
def test_members_of_the_group_share_the_database_and_others_cannot_open_it(open_tmp):
    found = {name: _account(name) for name in ("daemon", "bin", "sys")}
    if None in found.values() or not any(g.gr_name == "users" for g in grp.getgrall()):
        pytest.skip("needs the accounts daemon, bin, sys and the group users")
    uids = {name: uid for name, uid in found.items() if uid is not None}
    team = grp.getgrnam("users").gr_gid
    path = open_tmp / "team" / "crm.db"
    init_shared("users", path)

    # Two members write one after the other; the second finds the first's -wal/-shm.
    first = _run_as(uids["daemon"], 1, [team], WRITE.format(path=str(path), name="Dee"))
    assert first.returncode == 0, first.stderr
    holder = subprocess.Popen(  # keeps the database (and its -wal, -shm) open meanwhile
        [
            _python_for_others(),
            "-c",
            "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1]); "
            "c.execute('select count(*) from record').fetchall(); print('open', flush=True); "
            "time.sleep(30)",
            str(path),
        ],
        user=uids["daemon"],
        group=1,
        extra_groups=[team],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        second = _run_as(uids["bin"], 2, [team], WRITE.format(path=str(path), name="Bea"))
        assert second.returncode == 0, second.stderr
        assert "WROTE contact:" in second.stdout
    finally:
        holder.kill()
        holder.wait()

    outsider = _run_as(uids["sys"], 3, [], WRITE.format(path=str(path), name="Eve"))
    assert outsider.returncode == 3, outsider.stderr
    assert "REFUSED" in outsider.stdout and "permission denied" in outsider.stdout

    db = open_database(str(path))
    try:
        names = sorted(records.get(i).name for i in (1, 2))
        assert names == ["Bea", "Dee"]
        assert records.count("contact") == 2
    finally:
        db.close()


@needs_root
def test_giving_the_database_to_a_group_one_is_not_in_is_refused(open_tmp):
    nobody = _account("nobody")
    if nobody is None:
        pytest.skip("needs the account nobody")
    folder = open_tmp / "team"
    folder.mkdir()
    os.chown(folder, nobody, -1)
    code = f"""
        from pathlib import Path
        from rolodex.store.shared import SharedSetupError, init_shared
        try:
            init_shared("root", Path({str(folder / "crm.db")!r}))
        except SharedSetupError as exc:
            print("REFUSED", exc)
    """
    result = _run_as(nobody, 65534, [], code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("REFUSED cannot give")
    assert "not permitted" in result.stdout
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- what a member may have planted


def _secret_database(folder: Path) -> Path:
    """Another SQLite file, private to its owner: what a planted link points at."""
    import sqlite3

    folder.mkdir(exist_ok=True)
    secret = folder / "secret.db"
    conn = sqlite3.connect(secret)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    os.chmod(secret, 0o600)
    return secret


def _unchanged(secret: Path, before: os.stat_result) -> bool:
    after = secret.stat()
    return (after.st_mode, after.st_gid, after.st_uid) == (
        before.st_mode,
        before.st_gid,
        before.st_uid,
    )


def test_a_database_replaced_by_a_symlink_is_refused_on_the_next_run(tmp_path, own_group):
    path = tmp_path / "team" / "crm.db"
    init_shared(own_group, path)
    secret = _secret_database(tmp_path / "private")
    before = secret.stat()
    path.unlink()
    path.symlink_to(secret)  # what a member of the group can do in the shared folder
    with pytest.raises(SharedSetupError) as info:
        init_shared(own_group, path)
    assert "symbolic link" in str(info.value) and "\n" not in str(info.value)
    assert _unchanged(secret, before)


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal"])
def test_a_companion_that_is_a_symlink_is_refused(tmp_path, own_group, suffix):
    path = tmp_path / "team" / "crm.db"
    init_shared(own_group, path)
    secret = _secret_database(tmp_path / "private")
    before = secret.stat()
    companion = path.with_name(path.name + suffix)
    companion.symlink_to(secret)
    with pytest.raises(SharedSetupError) as info:
        init_shared(own_group, path)
    assert str(info.value) == f"{companion} is a symbolic link; init --shared never follows one"
    assert _unchanged(secret, before)


def test_a_shared_folder_that_is_a_symlink_is_refused(tmp_path, own_group):
    real = tmp_path / "elsewhere"
    real.mkdir(mode=0o700)
    (tmp_path / "team").symlink_to(real)
    with pytest.raises(SharedSetupError, match="symbolic link"):
        init_shared(own_group, tmp_path / "team" / "crm.db")
    assert _mode(real) == 0o700


def test_a_database_that_is_not_a_regular_file_is_refused(tmp_path, own_group):
    path = tmp_path / "team" / "crm.db"
    path.parent.mkdir()
    os.mkfifo(path)  # opening it would block for a reader; it is refused before
    with pytest.raises(SharedSetupError) as info:
        init_shared(own_group, path)
    assert str(info.value) == f"{path} is not a regular file"
    assert stat.S_ISFIFO(os.lstat(path).st_mode)


def test_a_companion_with_another_name_is_refused(tmp_path, own_group):
    """A hard link is a second name for someone's file: changing it changes that file."""
    path = tmp_path / "team" / "crm.db"
    init_shared(own_group, path)
    secret = _secret_database(tmp_path / "private")
    before = secret.stat()
    os.link(secret, path.with_name(path.name + "-wal"))
    with pytest.raises(SharedSetupError, match="hard links"):
        init_shared(own_group, path)
    assert _unchanged(secret, before)


def test_a_symlink_swapped_in_after_the_check_is_not_followed(tmp_path, own_group, monkeypatch):
    """The check and the change use one descriptor, opened without following a link."""
    from rolodex.store import shared

    path = tmp_path / "team" / "crm.db"
    init_shared(own_group, path)
    secret = _secret_database(tmp_path / "private")
    before = secret.stat()
    real_check = shared._check_entry

    def check_then_swap(target: Path, info: os.stat_result) -> None:
        real_check(target, info)
        if target == path:  # the member wins the race right after the check
            path.unlink()
            path.symlink_to(secret)

    monkeypatch.setattr(shared, "_check_entry", check_then_swap)
    with pytest.raises(SharedSetupError, match="changed while it was being shared"):
        init_shared(own_group, path)
    assert _unchanged(secret, before)


@needs_root
def test_a_database_owned_by_someone_else_is_refused(tmp_path, own_group):
    """A member replaced the database by a file of their own (cp crafted.db crm.db)."""
    daemon = _account("daemon")
    if daemon is None:
        pytest.skip("needs the account daemon")
    path = tmp_path / "team" / "crm.db"
    init_shared(own_group, path)
    os.chown(path, daemon, -1)
    os.chmod(path, 0o644)
    with pytest.raises(SharedSetupError) as info:
        init_shared(own_group, path)
    assert str(info.value).startswith(f"{path} belongs to daemon, not to you")
    assert _mode(path) == 0o644 and path.stat().st_uid == daemon


@needs_root
def test_a_companion_owned_by_someone_else_is_refused(tmp_path, own_group):
    daemon = _account("daemon")
    if daemon is None:
        pytest.skip("needs the account daemon")
    path = tmp_path / "team" / "crm.db"
    init_shared(own_group, path)
    companion = path.with_name(path.name + "-journal")
    companion.write_bytes(b"")
    os.chown(companion, daemon, -1)
    os.chmod(companion, 0o600)
    with pytest.raises(SharedSetupError, match="belongs to daemon"):
        init_shared(own_group, path)
    assert _mode(companion) == 0o600
