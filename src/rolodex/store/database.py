"""Opening a database from a path or URL, with the settings each engine needs, and
naming what went wrong in one line when it cannot be used.

Connections come from peewee's pools: each thread checks one out and gives it back,
so a worker reuses a warm connection (SQLite's page cache, PostgreSQL's prepared
statements) instead of opening a new one for every job.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
from pathlib import Path

from peewee import Database, DatabaseError, InterfaceError, PostgresqlDatabase, SqliteDatabase
from playhouse.pool import PooledDatabase, PooledSqliteDatabase

from rolodex.i18n import _
from rolodex.store.errors import DatabaseOpenError
from rolodex.store.models import database
from rolodex.store.transactions import driver_error, sqlite_code, sqlstate

# 16 MB of page cache per connection: the app keeps a pooled connection per worker
# thread, and at 64 MB each the app grew past 500 MB browsing a 1M database; the
# 50,000-contact company reads in 5.4 ms p50 with 16 MB against 5.0 with 64.
CACHE_KIB = 16000
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "cache_size": -CACHE_KIB,
    "temp_store": "memory",
    "busy_timeout": 10000,
}
# A database we may only read: no journal change (that writes), and refuse writes early.
SQLITE_READ_ONLY_PRAGMAS = {
    "foreign_keys": 1,
    "cache_size": -CACHE_KIB,
    "temp_store": "memory",
    "busy_timeout": 10000,
    "query_only": 1,
}
SQLITE_MAGIC = b"SQLite format 3\x00"
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs"}
POOL_SIZE = 16  # connections per database: the UI's workers, the watcher, the CLI

__all__ = ["DatabaseOpenError", "explain", "open_database"]


def default_database_path() -> Path:
    import platformdirs

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


def sqlite_path(target: str) -> Path | None:
    """The file of a SQLite target (a path or ``sqlite:///path``), None for a server URL."""
    if target.startswith("sqlite:///"):
        return Path(target[len("sqlite:///") :])
    if is_url(target):
        return None
    return Path(target)


# SQLite primary result codes and PostgreSQL SQLSTATEs worth naming to a person.
_SQLITE_CAUSES = {
    3: "permission",  # SQLITE_PERM
    8: "read-only",  # SQLITE_READONLY
    10: "io",  # SQLITE_IOERR
    11: "corrupt",  # SQLITE_CORRUPT
    13: "full",  # SQLITE_FULL
    14: "cannot-open",  # SQLITE_CANTOPEN
    26: "not-a-database",  # SQLITE_NOTADB
}
_PG_CAUSES = {
    "53100": "full",  # disk_full
    "42501": "permission",  # insufficient_privilege
    "25006": "read-only",  # read_only_sql_transaction
    "XX001": "corrupt",  # data_corrupted
    "XX002": "corrupt",  # index_corrupted
}
# Faults after which the app cannot go on with this database (the TUI stops on them).
FATAL = frozenset({"corrupt", "not-a-database", "io", "cannot-open"})


def cause_of(exc: BaseException) -> str | None:
    """A short name for the real cause of a database error (``full``, ``corrupt``...)."""
    code = sqlite_code(exc)
    if code is not None:
        return _SQLITE_CAUSES.get(code)
    state = sqlstate(exc)
    if state is not None:
        return _PG_CAUSES.get(state)
    return None


def _first_line(exc: BaseException) -> str:
    text = str(driver_error(exc)).strip()
    return " ".join(text.split()) if text else type(exc).__name__


def _disk_full(folder: Path | None) -> bool:
    """Whether the disk holding ``folder`` has (almost) no room left: SQLite reports some
    writes on a full disk as a plain I/O error (a -shm file it cannot extend)."""
    if folder is None:
        return False
    try:
        info = os.statvfs(folder)
    except OSError:
        return False
    return info.f_bavail * info.f_frsize < 64 * 1024


def _sqlite_folder() -> Path | None:
    db = database.obj
    if not isinstance(db, SqliteDatabase):
        return None
    name = str(db.database)
    if name.startswith("file:"):
        name = name[len("file:") :].split("?", 1)[0]
    return Path(name).parent


def explain(exc: BaseException, folder: Path | None = None) -> str:
    """One line a person can act on for a database error, naming its real cause."""
    detail = _first_line(exc)
    messages = {
        "full": _("the disk holding the database is full ({detail}); nothing was changed"),
        "corrupt": _(
            "the database is damaged ({detail}); run 'rolodex check' and restore a backup"
        ),
        "not-a-database": _("the file is not a Rolodex database ({detail})"),
        "read-only": _("the database is read-only ({detail}); nothing was changed"),
        "permission": _("permission denied on the database ({detail})"),
        "io": _("the database cannot be read or written ({detail})"),
        "cannot-open": _("the database file cannot be opened ({detail})"),
    }
    cause = cause_of(exc)
    if cause in ("io", "cannot-open", None) and _disk_full(folder or _sqlite_folder()):
        cause = "full"
    if cause in messages:
        return messages[cause].format(detail=detail)
    return _("database error: {error}").format(error=detail)


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


def _stat(path: Path) -> os.stat_result | None:
    """os.stat(), but a folder we may not enter is a clear refusal, not a traceback."""
    try:
        return path.stat()
    except PermissionError as exc:
        raise DatabaseOpenError(
            _("{path} cannot be read: permission denied").format(path=path)
        ) from exc
    except OSError:
        return None


def _writable(path: Path, info: os.stat_result) -> bool:
    # A file without any write bit is read-only on purpose, even for root (whom
    # os.access always lets write).
    return os.access(path, os.W_OK) and bool(info.st_mode & 0o222)


def _check_sqlite_file(path: Path, *, readonly: bool, allow_empty: bool) -> bool:
    """Refuse what cannot be a usable database file; returns whether to open it read-only."""
    info = _stat(path)
    if info is None:
        if readonly:
            raise DatabaseOpenError(_("{path} does not exist").format(path=path))
        if not path.parent.exists():
            raise DatabaseOpenError(_("folder {folder} does not exist").format(folder=path.parent))
        if not os.access(path.parent, os.W_OK):
            raise DatabaseOpenError(
                _("cannot create {path}: the folder {folder} is not writable").format(
                    path=path, folder=path.parent
                )
            )
        _check_filesystem(path)
        return False
    if stat.S_ISDIR(info.st_mode):
        raise DatabaseOpenError(_("{path} is a directory, not a database").format(path=path))
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except PermissionError as exc:
        raise DatabaseOpenError(
            _("{path} cannot be read: permission denied").format(path=path)
        ) from exc
    if not head and not allow_empty:
        raise DatabaseOpenError(
            _(
                "{path} is an empty file (0 bytes), not a database; "
                "make it a new database with: rolodex init {path}"
            ).format(path=path)
        )
    if head and head != SQLITE_MAGIC:
        raise DatabaseOpenError(_("{path} is not a Rolodex database").format(path=path))
    if head and _foreign_file(path):
        raise DatabaseOpenError(
            _("{path} is a SQLite database of another program, not a Rolodex database").format(
                path=path
            )
        )
    _check_filesystem(path)
    if not _writable(path, info):
        if readonly:
            return True
        raise DatabaseOpenError(_("{path} is read-only").format(path=path))
    if not os.access(path.parent, os.W_OK):
        if readonly:
            return True
        raise DatabaseOpenError(
            _(
                "the folder {folder} is not writable: SQLite keeps its -wal and -shm files "
                "beside {name}, so the database can only be read"
            ).format(folder=path.parent, name=path.name)
        )
    return False


def _check_filesystem(path: Path) -> None:
    fs_type = _filesystem_type(path.parent)
    if fs_type in NETWORK_FILESYSTEMS:
        raise DatabaseOpenError(
            _(
                "{path} is on a network filesystem ({fs}); SQLite's WAL mode needs a local disk. "
                "Use PostgreSQL for a team database."
            ).format(path=path, fs=fs_type)
        )


# A number as filters compare them (crm/filter_expr.py): digits, a sign, a decimal point.
NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
_NUMBER = re.compile(NUMBER_PATTERN)


def _casefold(text: object) -> str | None:
    return None if text is None else str(text).casefold()


def _number(text: object) -> float | None:
    """The value as a number when it is written as one, else NULL."""
    if text is None:
        return None
    value = str(text)
    return float(value) if _NUMBER.match(value) else None


def _sql_functions(db: SqliteDatabase) -> SqliteDatabase:
    """Functions SQLite lacks that filters use: Unicode case folding (its lower() knows
    ASCII only, and "örebro" must find "Örebro") and reading a text as a number.
    PostgreSQL has both (lower(), a regular expression and numeric)."""
    db.register_function(_casefold, "rolodex_casefold", 1, deterministic=True)
    db.register_function(_number, "rolodex_number", 1, deterministic=True)
    return db


def make_sqlite(path: str | Path, *, readonly: bool = False) -> SqliteDatabase:
    if readonly:
        return _sql_functions(
            PooledSqliteDatabase(
                f"file:{Path(path).absolute()}?mode=ro",
                uri=True,
                pragmas=SQLITE_READ_ONLY_PRAGMAS,
                timeout=10,
                check_same_thread=False,
                max_connections=POOL_SIZE,
            )
        )
    return _sql_functions(
        PooledSqliteDatabase(
            str(path),
            pragmas=SQLITE_PRAGMAS,
            lock_type="IMMEDIATE",
            timeout=10,
            check_same_thread=False,
            max_connections=POOL_SIZE,
        )
    )


def _pooled_url(target: str) -> str:
    scheme, sep, rest = target.partition("://")
    if "+pool" in scheme:
        return target
    return f"{scheme}+pool{sep}{rest}"


def connect_target(target: str, *, readonly: bool = False, allow_empty: bool = False) -> Database:
    """A peewee Database for a path or URL, not yet bound to the models."""
    path = sqlite_path(target)
    if path is not None:
        ro = _check_sqlite_file(path, readonly=readonly, allow_empty=allow_empty)
        return make_sqlite(path, readonly=ro)
    if target.startswith(("postgres://", "postgresql://", "cockroachdb://")):
        from playhouse.db_url import connect  # loads every engine's module: servers only

        return connect(_pooled_url(target), max_connections=POOL_SIZE)
    raise DatabaseOpenError(_("unsupported database URL: {url}").format(url=target))


def _foreign_file(path: Path) -> bool:
    """A SQLite file that holds another program's tables and no Rolodex schema: looked at
    read-only, before anything (even the journal mode) is written to it."""
    try:
        con = sqlite3.connect(f"file:{path.absolute()}?mode=ro", uri=True)
        try:
            tables = {
                row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return False  # damaged or locked: opening it says what is wrong
    return bool(tables) and "meta" not in tables


def open_database(
    target: str | None = None,
    *,
    migrate: bool = True,
    readonly: bool = False,
    allow_empty: bool = False,
) -> Database:
    """Open, bind to the models and bring the schema up to date.

    ``readonly``: the caller only reads; a file that cannot be written is then opened
    read-only instead of refused. ``allow_empty``: a 0-byte file becomes a new
    database (only ``rolodex init`` asks for that). Raises ``DatabaseOpenError``
    with one line naming the cause.
    """
    from rolodex.store.migrations import LATEST, current_version, upgrade

    resolved = resolve_target(target)
    db = connect_target(resolved, readonly=readonly, allow_empty=allow_empty)
    try:
        db.connect(reuse_if_open=True)
    except (DatabaseError, InterfaceError, sqlite3.Error) as exc:
        path = sqlite_path(resolved)
        if cause_of(exc) is not None or _disk_full(path.parent if path else None):
            raise DatabaseOpenError(explain(exc, path.parent if path else None)) from exc
        raise DatabaseOpenError(
            _("cannot open the database: {error}").format(error=_first_line(exc))
        ) from exc
    except Exception as exc:  # driver errors outside DB-API (a bad host name, ...)
        raise DatabaseOpenError(
            _("cannot open the database: {error}").format(error=_first_line(exc))
        ) from exc
    database.initialize(db)
    try:
        version = current_version(db)
        if version > LATEST:
            raise DatabaseOpenError(
                _(
                    "this database was made by a newer Rolodex (schema version {v}; this one "
                    "knows up to {latest}): upgrade Rolodex to use it"
                ).format(v=version, latest=LATEST)
            )
        if migrate and version < LATEST:
            if is_read_only(db):
                raise DatabaseOpenError(
                    _(
                        "this database must be upgraded to schema version {latest}, "
                        "but it can only be read"
                    ).format(latest=LATEST)
                )
            upgrade(db)
    except DatabaseOpenError:
        db.close()
        raise
    except (DatabaseError, sqlite3.DatabaseError) as exc:
        db.close()
        raise DatabaseOpenError(explain(exc)) from exc
    return db


def close_database(db: Database) -> None:
    """Close every connection of ``db``: a pool keeps them open otherwise (and SQLite
    keeps its -wal and -shm files while one is open)."""
    if isinstance(db, PooledDatabase):
        db.close_all()
    else:
        db.close()


def is_read_only(db: Database | None = None) -> bool:
    target = db or database.obj
    return isinstance(target, SqliteDatabase) and bool(target.connect_params.get("uri"))


def is_sqlite(db: Database | None = None) -> bool:
    target = db or database.obj
    return isinstance(target, SqliteDatabase)


def is_postgres(db: Database | None = None) -> bool:
    target = db or database.obj
    return isinstance(target, PostgresqlDatabase)
