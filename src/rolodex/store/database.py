"""Opening a database from a path or URL, with the settings each engine needs."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import platformdirs
from peewee import Database, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect

from rolodex.i18n import _
from rolodex.store.models import database

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "cache_size": -64000,
    "temp_store": "memory",
    "busy_timeout": 10000,
}
SQLITE_MAGIC = b"SQLite format 3\x00"
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs"}


class DatabaseOpenError(Exception):
    """The database cannot be opened; the message says why, in one line."""


def default_database_path() -> Path:
    return Path(platformdirs.user_data_dir("rolodex")) / "rolodex.db"


def resolve_target(target: str | None) -> str:
    """--db, then ROLODEX_DB, then the per-user database."""
    if target:
        return target
    env = os.environ.get("ROLODEX_DB")
    if env:
        return env
    path = default_database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


def is_url(target: str) -> bool:
    return "://" in target


def _filesystem_type(path: Path) -> str | None:
    """The mount's filesystem type on Linux, from /proc/self/mounts."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return None
    resolved = str(path.resolve())
    best, best_type = "", None
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point = parts[1].replace("\\040", " ")
        if (resolved == mount_point or resolved.startswith(mount_point.rstrip("/") + "/")) and len(
            mount_point
        ) > len(best):
            best, best_type = mount_point, parts[2]
    return best_type


def _exists(path: Path) -> bool:
    """Path.exists(), but a folder we may not enter is a clear refusal, not a traceback."""
    try:
        path.stat()
    except PermissionError as exc:
        raise DatabaseOpenError(
            _("{path} cannot be read: permission denied").format(path=path)
        ) from exc
    except OSError:
        return False
    return True


def _check_sqlite_file(path: Path) -> None:
    if _exists(path):
        if path.is_dir():
            raise DatabaseOpenError(_("{path} is a directory, not a database").format(path=path))
        try:
            with path.open("rb") as handle:
                head = handle.read(16)
        except PermissionError as exc:
            raise DatabaseOpenError(
                _("{path} cannot be read: permission denied").format(path=path)
            ) from exc
        if head and head != SQLITE_MAGIC:
            raise DatabaseOpenError(_("{path} is not a Rolodex database").format(path=path))
        # A file without any write bit is read-only on purpose, even for root (whom
        # os.access always lets write).
        if (
            not os.access(path, os.W_OK)
            or not os.access(path.parent, os.W_OK)
            or not path.stat().st_mode & 0o222
        ):
            raise DatabaseOpenError(_("{path} is read-only").format(path=path))
    else:
        if not path.parent.exists():
            raise DatabaseOpenError(_("folder {folder} does not exist").format(folder=path.parent))
        if not os.access(path.parent, os.W_OK):
            raise DatabaseOpenError(
                _("cannot create {path}: the folder is read-only").format(path=path)
            )
    fs_type = _filesystem_type(path.parent)
    if fs_type in NETWORK_FILESYSTEMS:
        raise DatabaseOpenError(
            _(
                "{path} is on a network filesystem ({fs}); SQLite's WAL mode needs a local disk. "
                "Use PostgreSQL for a team database."
            ).format(path=path, fs=fs_type)
        )


def make_sqlite(path: str | Path) -> SqliteDatabase:
    return SqliteDatabase(
        str(path),
        pragmas=SQLITE_PRAGMAS,
        lock_type="IMMEDIATE",
        timeout=10,
        check_same_thread=False,
    )


def connect_target(target: str) -> Database:
    """A peewee Database for a path or URL, not yet bound to the models."""
    if is_url(target):
        if target.startswith("sqlite:///"):
            path = Path(target[len("sqlite:///") :])
            _check_sqlite_file(path)
            return make_sqlite(path)
        if target.startswith(("postgres://", "postgresql://", "cockroachdb://")):
            return connect(target)
        raise DatabaseOpenError(_("unsupported database URL: {url}").format(url=target))
    path = Path(target)
    _check_sqlite_file(path)
    return make_sqlite(path)


def open_database(target: str | None = None, *, migrate: bool = True) -> Database:
    """Open, bind to the models and bring the schema up to date."""
    from rolodex.store.migrations import upgrade

    db = connect_target(resolve_target(target))
    try:
        db.connect(reuse_if_open=True)
    except Exception as exc:  # driver errors differ per engine
        raise DatabaseOpenError(_("cannot open the database: {error}").format(error=exc)) from exc
    database.initialize(db)
    if migrate:
        try:
            upgrade(db)
        except sqlite3.DatabaseError as exc:
            db.close()
            raise DatabaseOpenError(_("not a usable database: {error}").format(error=exc)) from exc
    return db


def is_sqlite(db: Database | None = None) -> bool:
    target = db or database.obj
    return isinstance(target, SqliteDatabase)


def is_postgres(db: Database | None = None) -> bool:
    target = db or database.obj
    return isinstance(target, PostgresqlDatabase)
