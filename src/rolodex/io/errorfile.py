"""The error file: rejected rows as they were, with where they came from and why.

One header (``Source file``, ``Source row``, the file's own columns, ``Error code``,
``Error message``), so it can be fixed and imported again as it is: import knows those
four columns and leaves them aside. An import of several files writes one error file
per file that had rejected rows, named after both (``errors-contacts.csv``): their
columns differ, and each keeps its file's name, which tells import what it holds.
Files appear only when the import finishes (written aside, then renamed).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from rolodex.i18n import _
from rolodex.io.cells import neutralise
from rolodex.io.files import OutputFile
from rolodex.io.headers import ERROR_FILE_HEADERS, norm
from rolodex.io.sniff import ImportFileError

SOURCE_FILE = "Source file"
SOURCE_ROW = "Source row"
ERROR_CODE = "Error code"
ERROR_MESSAGE = "Error message"


class _Sheet:
    def __init__(self, target: Path, headers: list[str]) -> None:
        self.target = target
        # Written aside and put in place at the end, as every output file (io/files.py:
        # the umask, an existing file's mode and owner, never through a symlink).
        self.output = OutputFile(str(target))
        try:
            self.handle: Any = self.output.open()
        except OSError as exc:
            raise ImportFileError(
                _("{file}: the error file cannot be written ({error})").format(
                    file=str(target), error=exc.strerror or exc
                )
            ) from exc
        self.writer = csv.writer(self.handle)
        # Columns of an earlier error file are replaced by this one's.
        self.keep = [i for i, h in enumerate(headers) if norm(h) not in ERROR_FILE_HEADERS]
        header = [SOURCE_FILE, SOURCE_ROW] + [headers[i] for i in self.keep]
        self.writer.writerow([neutralise(h) for h in header + [ERROR_CODE, ERROR_MESSAGE]])

    def write(self, source: str, number: int, cells: list[str], code: str, message: str) -> None:
        row = [source, str(number)] + [cells[i] if i < len(cells) else "" for i in self.keep]
        self.writer.writerow([neutralise(c) for c in row + [code, message]])

    def close(self, keep: bool) -> None:
        if keep:
            self.output.commit()
        else:
            self.output.discard()


class ErrorFile:
    """Where rejected rows go; nothing at all without a path."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.multi = False
        self.sheets: dict[str, _Sheet] = {}
        self.written: list[str] = []

    def start(self, sources: list[str]) -> None:
        self.multi = len(sources) > 1
        if self.path:
            self._target(sources[0] if sources else "")  # an unusable folder fails now

    def _target(self, source: str) -> Path:
        assert self.path
        target = Path(self.path)
        if self.multi:
            target = target.with_name(f"{target.stem}-{Path(source).stem}{target.suffix}")
        if not target.parent.is_dir():
            raise ImportFileError(
                _("{file}: the error file cannot be written ({error})").format(
                    file=str(target), error=_("no such folder")
                )
            )
        return target

    def write(
        self,
        source: str,
        headers: list[str],
        number: int,
        cells: list[str],
        code: str,
        message: str,
    ) -> None:
        if not self.path:
            return
        sheet = self.sheets.get(source)
        if sheet is None:
            sheet = self.sheets[source] = _Sheet(self._target(source), headers)
        sheet.write(source, number, cells, code, message)

    def finish(self, keep: bool) -> list[str]:
        """Close every sheet; keep them (renamed into place) or remove them. The files kept."""
        for sheet in self.sheets.values():
            sheet.close(keep)
            if keep:
                self.written.append(str(sheet.target))
        self.sheets = {}
        return self.written
