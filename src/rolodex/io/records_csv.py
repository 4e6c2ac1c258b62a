"""Splitting CSV text into records, so that one bad row is one rejected row.

Python's ``csv`` module, left alone, lets one stray quote swallow the rest of a file into
a single field, and stops at the first over-long field. Here each physical line is read
with a bounded ``readline``; a line whose quotes are balanced (nearly every line) is a
record at once, checked by one regular expression; only a record whose quoted field
runs on to later lines is followed field by field. What comes out:

- a record's text, to be parsed by ``csv`` into exactly one row;
- ``TOO_LONG``: a line longer than ``max_line`` characters, or a record longer than
  ``max_record``: skipped without being held in memory;
- ``UNTERMINATED``: a quote that opens on some line and is never closed. The lines after
  it are read again as records of their own (the caller re-opens the file and skips to
  them: see ``restart_after``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

RECORD = "record"
TOO_LONG = "too_long"
UNTERMINATED = "unterminated"


@dataclass
class Piece:
    kind: str
    line: int  # the physical line (1-based) the record starts on
    text: str  # the record (for TOO_LONG / UNTERMINATED: its first line, at most max_line)


def _complete_line(delimiter: str) -> re.Pattern[str]:
    """A whole line that is a whole record: every field unquoted, or quoted and closed."""
    d = re.escape(delimiter)
    field = rf'(?:"(?:[^"]|"")*"[^{d}\r\n]*|[^"{d}\r\n][^{d}\r\n]*|)'
    return re.compile(rf"{field}(?:{d}{field})*\r?\n?")


def still_quoted(line: str, delimiter: str, quoted: bool) -> bool:
    """Whether a record is inside a quoted field at the end of ``line``, given whether it
    was at its start (the rules of Python's csv reader: a field is quoted only when it
    starts with a quote; "" inside it is one quote)."""
    pos, end = 0, len(line)
    while True:
        if quoted:
            found = line.find('"', pos)
            if found < 0:
                return True
            if found + 1 < end and line[found + 1] == '"':
                pos = found + 2
                continue
            quoted = False
            found = line.find(delimiter, found + 1)  # after the closing quote: up to the next field
            if found < 0:
                return False
            pos = found + 1
        if pos < end and line[pos] == '"':
            quoted = True
            pos += 1
            continue
        found = line.find(delimiter, pos)
        if found < 0:
            return False
        pos = found + 1


def pieces(
    text: IO[str],
    delimiter: str,
    *,
    max_line: int,
    max_record: int,
    first_line: int = 1,
    on_read_error: Callable[[Exception, int], Exception] | None = None,
) -> Iterator[Piece]:
    """The records of ``text`` (whose first line is line ``first_line`` of the file)."""
    complete = _complete_line(delimiter)
    number = first_line - 1
    buffer: list[str] = []  # lines of the record being read, while it fits
    size = 0
    start = 0
    quoted = False
    too_long = False
    while True:
        try:
            line = text.readline(max_line + 1)
        except (UnicodeDecodeError, OSError) as exc:
            if on_read_error is None:
                raise
            raise on_read_error(exc, number + 1) from exc
        if not line:
            break
        number += 1
        if len(line) > max_line and not line.endswith("\n"):
            # a line longer than any row: skip to its end, holding none of it
            head = line
            while line and not line.endswith("\n"):
                try:
                    line = text.readline(max_line + 1)
                except (UnicodeDecodeError, OSError) as exc:
                    if on_read_error is None:
                        raise
                    raise on_read_error(exc, number) from exc
            yield Piece(
                TOO_LONG, start if quoted else number, (buffer[0] if buffer else head)[:max_line]
            )
            buffer, size, quoted, too_long = [], 0, False, False
            continue
        if not quoted:
            if '"' not in line or complete.fullmatch(line):
                yield Piece(RECORD, number, line)
                continue
            start, buffer, size, too_long = number, [line], len(line), False
            quoted = still_quoted(line, delimiter, False)
            if not quoted:  # quotes the regular expression did not expect ("a"b): csv decides
                yield Piece(RECORD, number, line)
                buffer = []
            continue
        size += len(line)
        if size > max_record:
            too_long = True
        if not too_long:
            buffer.append(line)
        quoted = still_quoted(line, delimiter, True)
        if not quoted:
            if too_long:
                yield Piece(TOO_LONG, start, buffer[0][:max_line])
            else:
                yield Piece(RECORD, start, "".join(buffer))
            buffer = []
    if quoted:
        yield Piece(UNTERMINATED, start, buffer[0] if buffer else "")


__all__ = ["RECORD", "TOO_LONG", "UNTERMINATED", "Piece", "pieces", "still_quoted"]
