"""Writing an output file (``export -o``, the import error file) without harming what is there.

What happens depends on what the path names when the file is opened:

- **nothing**: the data goes to a temporary file in the same folder, created with
  mode 0666 less the umask (0644 under umask 022), and is published with
  ``link()``, which never replaces anything; the file appears whole or not at all.
- **a regular file**: the data goes to a temporary file given the old file's mode,
  owner and group, which then replaces it (``rename``). When the old owner or
  group cannot be given (the file belongs to someone else), the finished data is
  copied into the file in place instead, so it keeps both; only a failure during
  that copy can leave it partly written.
- **a device, FIFO or other non-regular file** (``/dev/null``, a pipe,
  ``/dev/stdout``): the data is written into it directly; it is never replaced.
- **a symbolic link**: followed only to a device, FIFO or other non-regular file
  (``/dev/stdout`` is a link to ``/proc/self/fd/1``), or to the very file this
  process's standard output or error already writes to (``-o /dev/stdout >
  out.csv``), which is then written through that descriptor. A link to any other
  regular file, or to nothing, is refused (``OutputRefused``): replacing the link
  would lose it, and writing through it would let whoever planted it choose
  which of your files is overwritten.
- **a folder**: refused.

When writing fails midway, a new or regular target is left as it was and the
temporary file is removed; what was already written into a device or FIFO stays.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from enum import Enum
from typing import IO, Any

from rolodex.i18n import _

NEW_FILE_MODE = 0o666  # less the umask, as every other program creates files
TEMP_PREFIX = ".rolodex-"
TEMP_ATTEMPTS = 20


class OutputRefused(OSError):
    """The path is a symbolic link to a file, or a folder: nothing was written.

    An ``OSError`` whose ``strerror`` is the one-line reason, so the handlers that
    report "FILE cannot be written (REASON)" show it as they show any other.
    """


class _Kind(Enum):
    NEW = "new"
    REPLACE = "replace"
    DIRECT = "direct"  # a device, FIFO or socket: written into, never replaced
    THROUGH_LINK = "through link"  # the same, named by a symbolic link
    STREAM = "stream"  # the file standard output or error already writes to


def _refuse(path: str, reason: str) -> OutputRefused:
    return OutputRefused(errno.EPERM, reason, path)


def _standard_stream_of(info: os.stat_result) -> int | None:
    """1 or 2 when the file ``info`` describes is where standard output or error goes."""
    for fd in (1, 2):
        try:
            if os.path.samestat(info, os.fstat(fd)):
                return fd
        except OSError:
            continue
    return None


def _plan(path: str) -> tuple[_Kind, os.stat_result | None, int | None]:
    """How to write to what the path names now: (kind, what is there, a standard stream's fd)."""
    try:
        here = os.lstat(path)
    except FileNotFoundError:
        return _Kind.NEW, None, None
    if stat.S_ISLNK(here.st_mode):
        try:
            target = os.stat(path)
        except FileNotFoundError:
            raise _refuse(
                path, _("it is a symbolic link to nothing; give the path of a real file")
            ) from None
        if stat.S_ISDIR(target.st_mode):
            raise IsADirectoryError(errno.EISDIR, _("it is a folder"), path)
        if stat.S_ISREG(target.st_mode):
            fd = _standard_stream_of(target)
            if fd is not None:
                return _Kind.STREAM, target, fd
            raise _refuse(
                path,
                _(
                    "it is a symbolic link; Rolodex never writes through a link to a file, "
                    "give the file's own path"
                ),
            )
        return _Kind.THROUGH_LINK, target, None
    if stat.S_ISDIR(here.st_mode):
        raise IsADirectoryError(errno.EISDIR, _("it is a folder"), path)
    if stat.S_ISREG(here.st_mode):
        if not os.access(path, os.W_OK):  # renaming over it would ignore its mode
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return _Kind.REPLACE, here, None
    return _Kind.DIRECT, here, None


def _close_quietly(handle: IO[Any]) -> None:
    with suppress(OSError):  # the first error is the one to report
        handle.close()


def _temporary(folder: str, name: str, mode: int) -> tuple[int, str]:
    """A new file beside the target, never a link or an existing file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _attempt in range(TEMP_ATTEMPTS):
        candidate = os.path.join(folder, f"{TEMP_PREFIX}{secrets.token_hex(6)}-{name[:64]}.tmp")
        try:
            return os.open(candidate, flags, mode), candidate
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, _("no free temporary name"), folder)


class OutputFile:
    """One output file, written as the module docstring says.

    ``open()`` returns the handle to write to (text unless ``binary``); then
    ``commit()`` makes the data the file's, or ``discard()`` leaves the target as
    it was (as far as a device or FIFO allows). ``output_file()`` does the three.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        binary: bool = False,
        encoding: str = "utf-8",
        newline: str | None = "",
    ) -> None:
        self.path = os.fspath(path)
        self.binary = binary
        self.encoding = encoding
        self.newline = newline
        self.kind: _Kind | None = None
        self.existing: os.stat_result | None = None
        self.temp: str | None = None
        self.handle: IO[Any] | None = None

    def open(self) -> IO[Any]:
        kind, existing, stream = _plan(self.path)
        self.kind, self.existing = kind, existing
        if kind in (_Kind.NEW, _Kind.REPLACE):
            folder, name = os.path.split(self.path)
            # A replacement starts private and gets the old file's mode at commit.
            mode = NEW_FILE_MODE if kind is _Kind.NEW else 0o600
            fd, self.temp = _temporary(folder or ".", name, mode)
        elif kind is _Kind.STREAM:
            assert stream is not None
            fd = os.dup(stream)
        else:
            follow = 0 if kind is _Kind.THROUGH_LINK else os.O_NOFOLLOW
            fd = os.open(self.path, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC | follow)
            opened = os.fstat(fd)
            if stat.S_ISREG(opened.st_mode):  # swapped for a file since _plan looked
                os.close(fd)
                raise _refuse(self.path, _("it changed while it was being opened"))
        if self.binary:
            self.handle = open(fd, "wb", closefd=True)  # noqa: SIM115 - closed by commit/discard
        else:
            self.handle = open(  # noqa: SIM115 - closed by commit/discard
                fd, "w", encoding=self.encoding, newline=self.newline, closefd=True
            )
        return self.handle

    def commit(self) -> None:
        handle, self.handle = self.handle, None
        if handle is None:
            return
        in_place = False
        try:
            handle.flush()
            if self.temp is not None:
                os.fsync(handle.fileno())
                if self.kind is _Kind.REPLACE:
                    in_place = not self._give_old_attributes(handle.fileno())
        except BaseException:
            _close_quietly(handle)
            self._remove_temp()
            raise
        handle.close()
        try:
            if self.temp is None:
                return
            if in_place:
                self._copy_in_place()
            elif self.kind is _Kind.NEW:
                self._publish_new()
            else:
                os.replace(self.temp, self.path)
                self.temp = None
        finally:
            self._remove_temp()

    def discard(self) -> None:
        handle, self.handle = self.handle, None
        if handle is not None:
            _close_quietly(handle)
        self._remove_temp()

    # -- commit's parts

    def _give_old_attributes(self, fd: int) -> bool:
        """Owner, group and mode of the file being replaced; False when they cannot be given."""
        old = self.existing
        assert old is not None
        new = os.fstat(fd)  # a setgid folder gives the new file its group, not ours
        try:
            if (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
                os.fchown(fd, old.st_uid, old.st_gid)
            os.fchmod(fd, stat.S_IMODE(old.st_mode))  # after chown, which may clear setgid
        except PermissionError:
            return False
        return True

    def _copy_in_place(self) -> None:
        """The finished data into the existing file (someone else's), which keeps owner and mode."""
        assert self.temp is not None and self.existing is not None
        with open(self.temp, "rb") as source:
            fd = os.open(self.path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            with open(fd, "wb", closefd=True) as target:
                if not os.path.samestat(os.fstat(fd), self.existing):
                    raise _refuse(self.path, _("it changed while it was being written"))
                target.truncate(0)
                shutil.copyfileobj(source, target)

    def _publish_new(self) -> None:
        """The temporary file under the target's name, unless something appeared there meanwhile."""
        assert self.temp is not None
        try:
            os.link(self.temp, self.path)
        except FileExistsError:
            raise _refuse(
                self.path, _("something else was created at this path while writing")
            ) from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            # No hard links on this filesystem: look once more, then rename.
            if os.path.lexists(self.path):
                raise _refuse(
                    self.path, _("something else was created at this path while writing")
                ) from None
            os.rename(self.temp, self.path)
            self.temp = None

    def _remove_temp(self) -> None:
        temp, self.temp = self.temp, None
        if temp is not None:
            with suppress(FileNotFoundError):
                os.unlink(temp)


@contextmanager
def output_file(
    path: str | os.PathLike[str],
    *,
    binary: bool = False,
    encoding: str = "utf-8",
    newline: str | None = "",
) -> Iterator[IO[Any]]:
    """``with output_file(path) as handle:`` write; the data is committed when the block ends
    normally and discarded when it raises."""
    output = OutputFile(path, binary=binary, encoding=encoding, newline=newline)
    handle = output.open()
    try:
        yield handle
    except BaseException:
        output.discard()
        raise
    output.commit()


def is_stream(path: str | os.PathLike[str], stream: IO[Any]) -> bool:
    """Whether ``path`` names the file ``stream`` writes to (``-o /dev/stdout``): the
    note "exported N records to FILE" must then not be appended to the data."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(stream.fileno()))
    except (OSError, ValueError, AttributeError):  # no such file; a stream without a descriptor
        return False
