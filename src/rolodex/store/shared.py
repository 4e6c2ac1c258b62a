"""A SQLite database shared by one operating-system group on one host.

``init_shared(group, path)`` makes the folder ``rwxrws---`` (2770: setgid, so the
``-wal`` and ``-shm`` files SQLite creates beside the database belong to the
group too) and the database file ``rw-rw----`` (0660), both owned by the group.
SQLite gives the ``-wal`` and ``-shm`` files the database file's permissions, so
every member of the group can read and write all three, and nobody else can.
"""

from __future__ import annotations

import grp
import os
import re
import stat
from pathlib import Path

from rolodex.i18n import _
from rolodex.store.database import SQLITE_MAGIC, DatabaseOpenError, is_url, open_database

DIR_MODE = 0o2770
FILE_MODE = 0o660
COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")


class SharedSetupError(DatabaseOpenError):
    """The shared database cannot be set up; the message says why, in one line."""


def _group_id(group: str) -> int:
    name = group.strip()
    if not name:
        raise SharedSetupError(_("name the group that will share the database"))
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        if name.isdigit():
            try:
                return grp.getgrgid(int(name)).gr_gid
            except KeyError:
                pass
        raise SharedSetupError(
            _("there is no group named '{group}' on this host").format(group=name)
        ) from None


def _companions(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in COMPANION_SUFFIXES]


def _check_folder(folder: Path, path: Path) -> None:
    """The folder is given to the group, so it must hold nothing but this database."""
    if not folder.exists():
        return
    if not folder.is_dir():
        raise SharedSetupError(_("{folder} is not a folder").format(folder=folder))
    allowed = {path.name} | {p.name for p in _companions(path)}
    others = sorted(entry.name for entry in folder.iterdir() if entry.name not in allowed)
    if others:
        raise SharedSetupError(
            _(
                "{folder} holds other files ({files}); a shared database needs a folder of its own, "
                "because the whole folder is opened to the group"
            ).format(folder=folder, files=", ".join(others[:3]))
        )


def _not_permitted(group: str, target: Path) -> SharedSetupError:
    return SharedSetupError(
        _(
            "cannot give {path} to group '{group}': not permitted (you must own it and be a member "
            "of the group)"
        ).format(path=target, group=group)
    )


def _give(target: Path, gid: int, mode: int, group: str) -> None:
    try:
        os.chown(target, -1, gid)
        os.chmod(target, mode)  # after chown, which may clear the setgid bit
    except PermissionError as exc:
        raise _not_permitted(group, target) from exc


def init_shared(group: str, path: Path) -> None:
    """Create (or convert) the SQLite database at ``path`` for the members of ``group`` only.

    The database's folder is created when missing; an existing folder must hold
    nothing but this database. Raises ``SharedSetupError`` (a ``DatabaseOpenError``)
    with a one-line message for an unknown group, a folder holding other files,
    a file that is not a database, or when the permissions cannot be set.
    """
    text = str(path)
    if text.startswith("sqlite:///"):  # as --db reads it
        text = text[len("sqlite:///") :]
    elif is_url(text) or re.match(r"^[a-z][a-z0-9+.-]*:/", text):  # Path() makes :// into :/
        raise SharedSetupError(
            _("--shared takes a file path, not a URL; a PostgreSQL server manages its own access")
        )
    gid = _group_id(group)
    path = Path(text).expanduser().absolute()
    folder = path.parent
    if path.exists():
        if path.is_dir():
            raise SharedSetupError(_("{path} is a folder, not a database").format(path=path))
        with path.open("rb") as handle:
            head = handle.read(16)
        if head and head != SQLITE_MAGIC:
            raise SharedSetupError(_("{path} is not a Rolodex database").format(path=path))
    _check_folder(folder, path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except PermissionError as exc:
        raise SharedSetupError(
            _("cannot create the folder {folder}: permission denied").format(folder=folder)
        ) from exc
    _give(folder, gid, DIR_MODE, group)
    if not path.exists():
        # Create the file with its final mode before SQLite writes to it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        os.close(fd)
    _give(path, gid, FILE_MODE, group)
    db = open_database(str(path), allow_empty=True)
    try:
        # Leave the database in WAL mode for everyone (the mode is stored in the file).
        db.execute_sql("PRAGMA journal_mode=wal")
    finally:
        db.close()
    for companion in _companions(path):
        if companion.exists():
            _give(companion, gid, FILE_MODE, group)


def describe(path: Path) -> str:
    """``rwxrws--- group`` for the folder and the file: what ``init --shared`` reports."""
    lines = []
    for target in (path.parent, path):
        info = target.stat()
        try:
            group = grp.getgrgid(info.st_gid).gr_name
        except KeyError:
            group = str(info.st_gid)
        lines.append(f"{stat.filemode(info.st_mode)} {group} {target}")
    return "\n".join(lines)
