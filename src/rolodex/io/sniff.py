"""Reading import files: encoding and delimiter detection, CSV and .xlsx rows, streamed.

Everything that can go wrong with a file raises ``ImportFileError`` with one line
naming the file, the row when there is one, and what is wrong.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from rolodex.crm.errors import RolodexError
from rolodex.i18n import _
from rolodex.io import records_csv
from rolodex.io.cells import xlsx_unescape

# A physical line, a row or one cell longer than this is not part of a contact list: the
# row is rejected without the line being read into memory whole.
MAX_LINE = 1_000_000
MAX_CELL = MAX_LINE
SAMPLE = 64 * 1024
CHUNK = 1 << 20
DELIMITERS = (",", ";", "\t")
ZIP_MAGIC = b"PK\x03\x04"
XLSX_SUFFIXES = (".xlsx", ".xlsm")

csv.field_size_limit(MAX_LINE)


class ImportFileError(RolodexError):
    """The file cannot be read as a table; nothing was imported."""

    code = "INVALID_FILE"


def file_error(path: str | Path, message: str, row: int | None = None) -> ImportFileError:
    name = str(path)
    if row is None:
        return ImportFileError(_("{file}: {message}").format(file=name, message=message))
    return ImportFileError(
        _("{file}, row {row}: {message}").format(file=name, row=row, message=message)
    )


@dataclass
class Table:
    """A header and a stream of (row number, cells, problem); row 1 is the header. A row
    with a problem (ragged, too long, an unterminated quote, text in the wrong encoding)
    is to be rejected; its cells are what could be read of it."""

    path: str
    headers: list[str]
    rows: Iterator[tuple[int, list[str], RowProblem | None]]
    encoding: str = "utf-8"
    delimiter: str = ","
    warnings: list[str] = field(default_factory=list)
    closer: Any = None

    def close(self) -> None:
        if self.closer is not None:
            self.closer()
            self.closer = None

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- rows


class RowProblem(RolodexError):
    """A row that cannot be read as a row: it goes to the error file, the others import."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


RAGGED_ROW = "RAGGED_ROW"
CELL_TOO_LONG = "CELL_TOO_LONG"
UNTERMINATED_QUOTE = "UNTERMINATED_QUOTE"
INVALID_TEXT = "INVALID_TEXT"
# C1 control characters: what a file read in the wrong encoding turns into (never text)
C1 = re.compile("[\x80-\x9f]")


def _clip(text: str, size: int = 40) -> str:
    text = C1.sub("?", text)
    return text if len(text) <= size else text[: size - 1] + "…"


def fit_row(cells: list[str], width: int) -> tuple[list[str], RowProblem | None] | None:
    """A data row padded or cut to the header's width, and what is wrong with it; None for
    a blank line. Extra cells are allowed only when empty (a trailing delimiter)."""
    if not any(cell.strip() for cell in cells):
        return None
    problem = None
    if len(cells) > width:
        extra = [cell for cell in cells[width:] if cell.strip()]
        if extra:
            problem = RowProblem(
                RAGGED_ROW,
                _("{n} values but the header has {width} columns (extra: {extra})").format(
                    n=len(cells), width=width, extra="; ".join(_clip(c) for c in extra[:3])
                ),
            )
        cells = cells[:width]
    else:
        cells = cells + [""] * (width - len(cells))
    for cell in cells:
        if len(cell) > MAX_CELL:
            problem = problem or RowProblem(
                CELL_TOO_LONG, _("a value is longer than {n} characters").format(n=MAX_CELL)
            )
            cells = [c if len(c) <= MAX_CELL else "" for c in cells]
            break
        if C1.search(cell):
            found = C1.search(cell)
            assert found is not None
            problem = problem or RowProblem(
                INVALID_TEXT,
                _(
                    "the text holds the control character {char}: the file was read "
                    "in the wrong encoding; save it as UTF-8"
                ).format(char=f"U+{ord(found.group()):04X}"),
            )
    return cells, problem


# ---------------------------------------------------------------- encoding


def _looks_utf16(sample: bytes) -> str | None:
    """UTF-16 without a BOM: every other byte is NUL in mostly-ASCII text."""
    if len(sample) < 4:
        return None
    even = sample[0::2]
    odd = sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _is_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 12, 13))
    return controls > max(2, len(sample) // 50)


# Bytes 0x80-0x9F: printable characters in Windows-1252 (what Excel writes on Western
# Windows: – “ ” € …), C1 control characters in Latin-1. These five are not
# Windows-1252 at all.
C1_BYTES = tuple(bytes([b]) for b in range(0x80, 0xA0))
NOT_CP1252 = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def _scan(handle: IO[bytes]) -> tuple[bool, set[int]]:
    """Read the whole file in chunks (memory stays flat): whether it is valid UTF-8, and
    which bytes 0x80-0x9F it holds (looked for only once it is not UTF-8)."""
    decoder: Any = codecs.getincrementaldecoder("utf-8")()
    valid = True
    seen: set[int] = set()
    while True:
        chunk = handle.read(CHUNK)
        if valid:
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                valid = False
        if not valid:
            seen.update(b[0] for b in C1_BYTES if b in chunk)
        if not chunk:
            return valid, seen


def detect_encoding(path: str | Path, handle: IO[bytes]) -> tuple[str, list[str]]:
    """The file's encoding, and a warning when it is not Unicode: Windows-1252 when it
    holds bytes 0x80-0x9F that Windows-1252 defines, else Latin-1 (rows that then decode
    to control characters are rejected, see ``fit_row``)."""
    head = handle.read(SAMPLE)
    handle.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", []
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", []
    guess = _looks_utf16(head)
    if guess:
        return guess, []
    if _is_binary(head):
        raise file_error(path, _("this is not a text file (it contains binary data)"))
    valid, seen = _scan(handle)
    handle.seek(0)
    if valid:
        return "utf-8", []
    name = str(path)
    if seen and not seen & NOT_CP1252:
        return "cp1252", [
            _("{file}: not valid UTF-8; read as Windows-1252 (check accented letters)").format(
                file=name
            )
        ]
    if seen:
        odd = ", ".join(f"0x{b:02X}" for b in sorted(seen & NOT_CP1252))
        return "latin-1", [
            _(
                "{file}: neither UTF-8 nor Windows-1252 (it holds the bytes {bytes}); read as "
                "Latin-1, and rows that hold control characters are rejected: save the file "
                "as UTF-8"
            ).format(file=name, bytes=odd)
        ]
    return "latin-1", [
        _("{file}: not valid UTF-8; read as Latin-1 (check accented letters)").format(file=name)
    ]


def detect_delimiter(sample: str) -> str:
    """Comma, semicolon or tab: whichever occurs most in the header line, outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in sample:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            if char in ("\n", "\r"):
                break
            if char in counts:
                counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


# ---------------------------------------------------------------- CSV


def _read_error(path: str | Path) -> Any:
    def error(exc: Exception, line: int) -> ImportFileError:
        if isinstance(exc, UnicodeDecodeError):
            return file_error(
                path, _("the text cannot be decoded ({error})").format(error=exc.reason), line
            )
        return file_error(
            path,
            _("the file could not be read to the end ({error})").format(
                error=getattr(exc, "strerror", None) or exc
            ),
            line,
        )

    return error


def _skip_lines(text: IO[str], count: int) -> None:
    """Past the first ``count`` physical lines (counted as ``records_csv.pieces`` counts)."""
    for _line in range(count):
        line = text.readline(MAX_LINE + 1)
        while line and not line.endswith("\n") and len(line) > MAX_LINE:
            line = text.readline(MAX_LINE + 1)
        if not line:
            return


def _csv_rows(
    path: str | Path, text: IO[str], delimiter: str
) -> Iterator[tuple[int, list[str] | None, RowProblem | None]]:
    """(row number, cells, problem) for every record, the header (row 1) included; cells
    None for a record that could not be parsed at all."""
    feeder = _Feeder()
    reader = csv.reader(feeder, delimiter=delimiter)
    row = 0
    first_line = 1
    while True:
        restart = None
        for piece in records_csv.pieces(
            text,
            delimiter,
            max_line=MAX_LINE,
            max_record=MAX_LINE,
            first_line=first_line,
            on_read_error=_read_error(path),
        ):
            row += 1
            if piece.kind == records_csv.TOO_LONG:
                yield (
                    row,
                    None,
                    RowProblem(
                        CELL_TOO_LONG,
                        _("line {line}: the row is longer than {n} characters").format(
                            line=piece.line, n=MAX_LINE
                        ),
                    ),
                )
                continue
            feeder.item = piece.text
            try:
                cells = next(reader)
            except StopIteration:
                cells = []
            except csv.Error as exc:
                yield (
                    row,
                    None,
                    RowProblem(
                        CELL_TOO_LONG,
                        _("line {line}: {error}").format(line=piece.line, error=exc),
                    ),
                )
                continue
            if piece.kind == records_csv.UNTERMINATED:
                yield (
                    row,
                    cells,
                    RowProblem(
                        UNTERMINATED_QUOTE,
                        _(
                            "the quote opened on line {line} is never closed; the lines "
                            "after it are read as rows of their own"
                        ).format(line=piece.line),
                    ),
                )
                restart = piece.line
                break
            yield row, cells, None
        if restart is None:
            return
        # Read again what the open quote swallowed, from the line after it.
        text.seek(0)
        _skip_lines(text, restart)
        first_line = restart + 1


class _Feeder:
    """One record at a time for a csv reader (which keeps no state between records)."""

    def __init__(self) -> None:
        self.item: str | None = None

    def __iter__(self) -> _Feeder:
        return self

    def __next__(self) -> str:
        item, self.item = self.item, None
        if item is None:
            raise StopIteration
        return item


def _open_csv(path: str | Path, raw: IO[bytes]) -> Table:
    encoding, warnings = detect_encoding(path, raw)
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    try:
        sample = text.read(SAMPLE)
    except UnicodeDecodeError as exc:
        raise file_error(
            path, _("the text cannot be decoded ({error})").format(error=exc.reason)
        ) from exc
    if not sample.strip().strip("\ufeff"):
        raise file_error(path, _("the file is empty"))
    delimiter = detect_delimiter(sample.lstrip("\ufeff"))
    text.seek(0)
    rows = _csv_rows(path, text, delimiter)
    headers = None
    for number, cells, problem in rows:
        if problem is not None:
            raise file_error(path, str(problem), number)
        if cells and any(cell.strip() for cell in cells):
            headers = [cell.lstrip("\ufeff") for cell in cells]
            break
    if headers is None:
        raise file_error(path, _("the file is empty"))
    width = len(headers)

    def body() -> Iterator[tuple[int, list[str], RowProblem | None]]:
        for number, cells, problem in rows:
            if cells is None:
                yield number, [""] * width, problem
                continue
            fitted = fit_row(cells, width)
            if fitted is None:  # a blank line
                if problem is not None:
                    yield number, [""] * width, problem
                continue
            yield number, fitted[0], problem or fitted[1]

    return Table(
        path=str(path),
        headers=headers,
        rows=body(),
        encoding=encoding,
        delimiter=delimiter,
        warnings=warnings,
        closer=text.close,
    )


# ---------------------------------------------------------------- xlsx


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return xlsx_unescape(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _open_xlsx(path: str | Path, raw: IO[bytes]) -> Table:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(raw, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise file_error(
            path, _("this is not a readable .xlsx workbook ({error})").format(error=exc)
        ) from exc
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise file_error(
            path, _("this is not a readable .xlsx workbook ({error})").format(error=exc)
        ) from exc
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        workbook.close()
        raise file_error(path, _("the workbook has no sheet"))
    iterator = sheet.iter_rows(values_only=True)
    number = 0

    def next_row() -> list[str] | None:
        nonlocal number
        try:
            values = next(iterator)
        except StopIteration:
            return None
        except Exception as exc:
            raise file_error(
                path, _("the workbook is damaged ({error})").format(error=exc), number + 1
            ) from exc
        number += 1
        return [cell_text(v) for v in values]

    headers = None
    while True:
        cells = next_row()
        if cells is None:
            break
        if any(c.strip() for c in cells):
            headers = cells
            break
    if headers is None:
        workbook.close()
        raise file_error(path, _("the file is empty"))
    while headers and not headers[-1].strip():
        headers.pop()
    width = len(headers)

    def body() -> Iterator[tuple[int, list[str], RowProblem | None]]:
        while True:
            cells = next_row()
            if cells is None:
                return
            fitted = fit_row(cells, width)
            if fitted is not None:  # None: a blank line
                yield number, fitted[0], fitted[1]

    return Table(
        path=str(path),
        headers=headers,
        rows=body(),
        encoding="xlsx",
        delimiter="",
        closer=workbook.close,
    )


# ---------------------------------------------------------------- entry point


def open_table(path: str | Path) -> Table:
    """Open a CSV or .xlsx file (recognised by content, not only by name)."""
    name = str(path)
    if os.path.isdir(name):
        raise file_error(path, _("this is a folder, not a file"))
    try:
        raw = open(name, "rb")  # noqa: SIM115 - closed by Table.close
    except FileNotFoundError as exc:
        raise file_error(path, _("no such file")) from exc
    except PermissionError as exc:
        raise file_error(path, _("permission denied")) from exc
    except OSError as exc:
        raise file_error(
            path, _("cannot be opened ({error})").format(error=exc.strerror or exc)
        ) from exc
    try:
        head = raw.read(4)
        raw.seek(0)
        if head == ZIP_MAGIC or name.lower().endswith(XLSX_SUFFIXES):
            table = _open_xlsx(path, raw)
            inner = table.closer

            def close_both() -> None:
                try:
                    inner()
                finally:
                    raw.close()

            table.closer = close_both
            return table
        return _open_csv(path, raw)
    except ImportFileError:
        raw.close()
        raise
    except OSError as exc:
        raw.close()
        raise file_error(
            path, _("the file could not be read ({error})").format(error=exc.strerror or exc)
        ) from exc
