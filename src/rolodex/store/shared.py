"""A SQLite database shared by one operating-system group on one host.

``init_shared(group, path)`` makes the folder ``rwxrws---`` (2770: setgid, so the
``-wal`` and ``-shm`` files SQLite creates beside the database belong to the
group too) and the database file ``rw-rw----`` (0660), both owned by the group.
SQLite gives the ``-wal`` and ``-shm`` files the database file's permissions, so
every member of the group can read and write all three, and nobody else can.

Members can write in the folder, so on a second run anything in it may have been
planted. The folder, the database and its companions (``-wal``, ``-shm``,
``-journal``) are each opened without following a symbolic link (``O_NOFOLLOW``,
files relative to the opened folder), checked on the descriptor (``fstat``: a
real folder or regular file with one name, owned by whoever runs the command
unless this run created it) and changed only through it (``fchown``,
``fchmod``), so nothing swapped in after the check can be redirected to another
file. Everything is checked before anything is changed.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import re
import stat
from pathlib import Path

from rolodex.i18n import _
from rolodex.store.database import (
    SQLITE_MAGIC,
    DatabaseOpenError,
    close_database,
    is_url,
    open_database,
)

DIR_MODE = 0o2770
FILE_MODE = 0o660
COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")
FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# Non-blocking, so a FIFO planted under the database's name cannot hang the open.
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


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


def _owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _check_entry(target: Path, info: os.stat_result) -> None:
    """What init --shared may change: a regular file with one name that the caller owns."""
    if stat.S_ISLNK(info.st_mode):
        raise SharedSetupError(
            _("{path} is a symbolic link; init --shared never follows one").format(path=target)
        )
    if stat.S_ISDIR(info.st_mode):
        raise SharedSetupError(_("{path} is a folder, not a database").format(path=target))
    if not stat.S_ISREG(info.st_mode):
        raise SharedSetupError(_("{path} is not a regular file").format(path=target))
    if info.st_nlink != 1:
        raise SharedSetupError(
            _(
                "{path} has other names (hard links); init --shared changes only a file with one name"
            ).format(path=target)
        )
    _check_owner(target, info)


def _check_owner(target: Path, info: os.stat_result) -> None:
    if info.st_uid != os.geteuid():
        raise SharedSetupError(
            _(
                "{path} belongs to {owner}, not to you; init --shared changes only what you own "
                "(run it as {owner}, or when nobody has the database open)"
            ).format(path=target, owner=_owner_name(info.st_uid))
        )


def _open_folder(folder: Path) -> int | None:
    """The folder's descriptor, or None when there is no folder yet."""
    try:
        fd = os.open(folder, FOLDER_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as exc:
        # A link fails O_NOFOLLOW with ELOOP, or O_DIRECTORY first with ENOTDIR.
        if exc.errno == errno.ELOOP or (exc.errno == errno.ENOTDIR and folder.is_symlink()):
            raise SharedSetupError(
                _("{path} is a symbolic link; init --shared never follows one").format(path=folder)
            ) from exc
        if exc.errno == errno.ENOTDIR:
            raise SharedSetupError(_("{folder} is not a folder").format(folder=folder)) from exc
        if exc.errno == errno.EACCES:
            raise SharedSetupError(
                _("{path} cannot be read: permission denied").format(path=folder)
            ) from exc
        raise
    return fd


def _check_folder(folder: Path, fd: int, path: Path) -> None:
    """The folder is given to the group, so it must hold nothing but this database."""
    _check_owner(folder, os.fstat(fd))
    allowed = {path.name} | {p.name for p in _companions(path)}
    others = sorted(name for name in os.listdir(fd) if name not in allowed)
    if others:
        raise SharedSetupError(
            _(
                "{folder} holds other files ({files}); a shared database needs a folder of its own, "
                "because the whole folder is opened to the group"
            ).format(folder=folder, files=", ".join(others[:3]))
        )


def _open_entry(folder_fd: int, target: Path) -> int | None:
    """A checked descriptor of the file ``target`` in the opened folder, or None if absent."""
    try:
        before = os.lstat(target.name, dir_fd=folder_fd)
    except FileNotFoundError:
        return None
    _check_entry(target, before)
    try:
        fd = os.open(target.name, FILE_FLAGS, dir_fd=folder_fd)
    except OSError as exc:
        raise _changed(target) from exc
    if not os.path.samestat(os.fstat(fd), before):  # swapped between lstat and open
        os.close(fd)
        raise _changed(target)
    return fd


def _changed(target: Path) -> SharedSetupError:
    return SharedSetupError(
        _("{path} changed while it was being shared; run the command again").format(path=target)
    )


def _not_permitted(group: str, target: Path) -> SharedSetupError:
    return SharedSetupError(
        _(
            "cannot give {path} to group '{group}': not permitted (you must own it and be a member "
            "of the group)"
        ).format(path=target, group=group)
    )


def _give(fd: int, target: Path, gid: int, mode: int, group: str) -> None:
    """Group and mode of what ``fd`` is open on: never through the path, which may change."""
    try:
        os.fchown(fd, -1, gid)
        os.fchmod(fd, mode)  # after chown, which may clear the setgid bit
    except PermissionError as exc:
        raise _not_permitted(group, target) from exc


def _same(folder_fd: int, name: str, fd: int) -> bool:
    try:
        return os.path.samestat(os.lstat(name, dir_fd=folder_fd), os.fstat(fd))
    except FileNotFoundError:
        return False


def init_shared(group: str, path: Path) -> None:
    """Create (or convert) the SQLite database at ``path`` for the members of ``group`` only.

    The database's folder is created when missing; an existing folder must hold
    nothing but this database. Raises ``SharedSetupError`` (a ``DatabaseOpenError``)
    with a one-line message for an unknown group, a folder holding other files,
    a file that is not a database, a symbolic link or anything but a regular file
    where the folder, the database or a companion should be, an existing one that
    belongs to someone else, or when the permissions cannot be set.
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
    opened: list[int] = []
    try:
        folder_fd = _open_folder(folder)
        if folder_fd is not None:
            opened.append(folder_fd)
            db_fd = _open_entry(folder_fd, path)
            if db_fd is not None:
                opened.append(db_fd)
                head = os.pread(db_fd, 16, 0)
                if head and head != SQLITE_MAGIC:
                    raise SharedSetupError(_("{path} is not a Rolodex database").format(path=path))
            for companion in _companions(path):  # checked now, changed after SQLite ran
                companion_fd = _open_entry(folder_fd, companion)
                if companion_fd is not None:
                    os.close(companion_fd)
            _check_folder(folder, folder_fd, path)
        else:
            db_fd = None
            try:
                folder.mkdir(parents=True)
            except FileExistsError as exc:
                raise _changed(folder) from exc
            except PermissionError as exc:
                raise SharedSetupError(
                    _("cannot create the folder {folder}: permission denied").format(folder=folder)
                ) from exc
            folder_fd = _open_folder(folder)
            if folder_fd is None:
                raise _changed(folder)
            opened.append(folder_fd)
            _check_folder(folder, folder_fd, path)
        _give(folder_fd, folder, gid, DIR_MODE, group)
        if db_fd is None:
            # Created with its final mode before SQLite writes to it.
            try:
                db_fd = os.open(
                    path.name,
                    os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                    FILE_MODE,
                    dir_fd=folder_fd,
                )
            except FileExistsError as exc:
                raise _changed(path) from exc
            opened.append(db_fd)
        _give(db_fd, path, gid, FILE_MODE, group)
        if not _same(folder_fd, path.name, db_fd):
            raise _changed(path)
        db = open_database(str(path), allow_empty=True)
        try:
            # Leave the database in WAL mode for everyone (the mode is stored in the file).
            db.execute_sql("PRAGMA journal_mode=wal")
        finally:
            close_database(db)
        if not _same(folder_fd, path.name, db_fd):
            raise _changed(path)
        for companion in _companions(path):
            # Ours when SQLite just made it; a member's (refused) if they have it open.
            companion_fd = _open_entry(folder_fd, companion)
            if companion_fd is not None:
                opened.append(companion_fd)
                _give(companion_fd, companion, gid, FILE_MODE, group)
    finally:
        for fd in opened:
            os.close(fd)


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
