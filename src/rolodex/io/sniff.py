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
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from rolodex.crm.errors import RolodexError
from rolodex.i18n import _

# A physical line (or one cell) longer than this is not a contact list: refuse it
# instead of reading 100 MB into memory.
MAX_LINE = 1_000_000
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
    """A header and a stream of (row number, cells); row 1 is the header."""

    path: str
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]
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


# ---------------------------------------------------------------- encoding


def _fit_row(path: str | Path, cells: list[str], width: int, number: int) -> list[str] | None:
    """A data row padded or cut to the header's width; None for a blank line.

    Extra cells are allowed only when empty (a trailing delimiter)."""
    if not any(cell.strip() for cell in cells):
        return None
    if len(cells) > width:
        if any(cell.strip() for cell in cells[width:]):
            raise file_error(
                path,
                _("{n} values but the header has {width} columns").format(
                    n=len(cells), width=width
                ),
                number,
            )
        return cells[:width]
    return cells + [""] * (width - len(cells))


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


def _valid_utf8(handle: IO[bytes]) -> bool:
    """Decode the whole file in chunks (memory stays flat); True when it is valid UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while True:
            chunk = handle.read(CHUNK)
            if not chunk:
                decoder.decode(b"", final=True)
                return True
            decoder.decode(chunk)
    except UnicodeDecodeError:
        return False


def detect_encoding(path: str | Path, handle: IO[bytes]) -> tuple[str, list[str]]:
    """The file's encoding, and a warning when it had to be guessed as Latin-1."""
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
    valid = _valid_utf8(handle)
    handle.seek(0)
    if valid:
        return "utf-8", []
    return "latin-1", [
        _("{file}: not valid UTF-8; read as Latin-1 (check accented letters)").format(
            file=str(path)
        )
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


def _guarded_lines(path: str | Path, text: IO[str], state: dict[str, int]) -> Iterator[str]:
    """Physical lines, refusing one longer than MAX_LINE without reading it whole."""
    while True:
        try:
            line = text.readline(MAX_LINE + 1)
        except UnicodeDecodeError as exc:
            raise file_error(
                path,
                _("the text cannot be decoded ({error})").format(error=exc.reason),
                state["row"] + 1,
            ) from exc
        except OSError as exc:
            raise file_error(
                path,
                _("the file could not be read to the end ({error})").format(
                    error=exc.strerror or exc
                ),
                state["row"] + 1,
            ) from exc
        if not line:
            return
        if len(line) > MAX_LINE:
            raise file_error(
                path,
                _("a line is longer than {n} characters; this does not look like a table").format(
                    n=MAX_LINE
                ),
                state["row"] + 1,
            )
        yield line


def _csv_rows(
    path: str | Path, text: IO[str], delimiter: str, width_state: dict[str, int]
) -> Iterator[list[str]]:
    reader = csv.reader(_guarded_lines(path, text, width_state), delimiter=delimiter)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise file_error(
                path,
                _("the file is not valid CSV ({error})").format(error=exc),
                width_state["row"] + 1,
            ) from exc
        width_state["row"] += 1
        yield row


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
    state = {"row": 0}
    rows = _csv_rows(path, text, delimiter, state)
    headers = None
    for cells in rows:
        if any(cell.strip() for cell in cells):
            headers = [cell.lstrip("\ufeff") for cell in cells]
            break
    if headers is None:
        raise file_error(path, _("the file is empty"))
    width = len(headers)

    def body() -> Iterator[tuple[int, list[str]]]:
        for cells in rows:
            number = state["row"]
            fitted = _fit_row(path, cells, width, number)
            if fitted is not None:  # None: a blank line
                yield number, fitted

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
        cells = [cell_text(v) for v in values]
        for cell in cells:
            if len(cell) > MAX_LINE:
                raise file_error(
                    path, _("a cell is longer than {n} characters").format(n=MAX_LINE), number
                )
        return cells

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

    def body() -> Iterator[tuple[int, list[str]]]:
        while True:
            cells = next_row()
            if cells is None:
                return
            fitted = _fit_row(path, cells, width, number)
            if fitted is not None:  # None: a blank line
                yield number, fitted

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
