"""The match report: for every row, which record it matched and by which key, or that it
creates one, and every association it makes, finds made already, or leaves waiting.

Written as CSV (``--report FILE``: of a dry run, it shows every match before anything
is written) and kept, its first lines, for the TUI's table. One line per fact:

- ``What`` is the object of a record the row holds, ``association`` for a link, or
  ``row`` for a rejected row;
- ``Outcome``: ``create``, ``update``, ``unchanged`` for records; ``link``,
  ``linked already``, ``wait`` for associations; ``rejected``;
- ``Record``: the record's REF (``new contact`` for one the import creates) and ``Name``;
  ``Matched by`` and ``Key``: how it, or the other record of an association, was found;
  ``Other record``: the association's other end; ``Detail``: the values that change
  (``job_title: 'CTO' -> 'CEO'``), labels, primary, or the reason a row is rejected.
"""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rolodex.i18n import _
from rolodex.io.cells import neutralise
from rolodex.io.sniff import ImportFileError

HEADER = [
    "Source file",
    "Source row",
    "What",
    "Outcome",
    "Record",
    "Name",
    "Matched by",
    "Key",
    "Other record",
    "Detail",
]
CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
LINK, LINKED, WAIT, REJECTED = "link", "linked already", "wait", "rejected"
KEEP_LINES = 5000  # lines kept in memory for the TUI


@dataclass
class Line:
    source: str
    row: int
    what: str
    outcome: str
    record: str = ""
    name: str = ""
    matched_by: str = ""
    key: str = ""
    other: str = ""
    detail: str = ""
    pair: tuple[int, int] | None = None  # a link whose pair may turn out to exist already

    def cells(self) -> list[str]:
        return [
            self.source,
            str(self.row),
            self.what,
            self.outcome,
            self.record,
            self.name,
            self.matched_by,
            self.key,
            self.other,
            self.detail,
        ]


@dataclass
class Report:
    """Collects the lines; ``path``: the CSV file written (renamed into place at the end)."""

    path: str | None = None
    kept: list[Line] = field(default_factory=list)
    count: int = 0
    waiting: list[Line] = field(default_factory=list)  # links whose outcome is known at flush
    _handle: Any = None
    _writer: Any = None
    _tmp: str | None = None

    def start(self) -> None:
        if not self.path:
            return
        target = Path(self.path)
        try:
            fd, self._tmp = tempfile.mkstemp(
                prefix=".rolodex-report-", suffix=".csv", dir=str(target.parent or ".")
            )
        except OSError as exc:
            raise ImportFileError(
                _("{file}: the report cannot be written ({error})").format(
                    file=self.path, error=exc.strerror or exc
                )
            ) from exc
        self._handle = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(HEADER)

    def add(self, lines: list[Line]) -> None:
        """A row's lines; those of plain links wait for :meth:`settle`."""
        if any(line.pair is not None for line in lines) or self.waiting:
            self.waiting.extend(lines)
            return
        for line in lines:
            self._emit(line)

    def settle(self, existed: set[tuple[int, int]]) -> None:
        """The batch was written: links whose pair existed were there already."""
        lines, self.waiting = self.waiting, []
        for line in lines:
            if line.pair is not None and line.pair in existed and line.outcome == LINK:
                line.outcome = LINKED
            self._emit(line)

    def _emit(self, line: Line) -> None:
        self.count += 1
        if len(self.kept) < KEEP_LINES:
            self.kept.append(line)
        if self._writer is not None:
            self._writer.writerow([neutralise(c) for c in line.cells()])

    def finish(self, keep: bool) -> None:
        self.settle(set())
        if self._handle is None:
            return
        self._handle.close()
        self._handle = None
        assert self._tmp and self.path
        if keep:
            os.replace(self._tmp, self.path)
        else:
            os.unlink(self._tmp)

    def restart(self) -> None:
        """A write transaction retried whole: start the report again."""
        self.finish(keep=False)
        self.kept, self.count, self.waiting = [], 0, []
        self.start()
