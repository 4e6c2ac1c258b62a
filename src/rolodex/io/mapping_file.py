"""Mapping files: how the columns of a file are imported, saved to be used again.

A CSV file with two columns, ``Column`` and ``Import as``, one line per column::

    Column,Import as
    City,contact.city
    Phone Number,skip
    Lead Status,keep
    Associated Company IDs,auto
    (unknown columns),skip

``Import as`` is ``OBJECT.PROPERTY`` (created when the object lacks it), ``skip``,
``keep`` (a new property of the file's object named after the column), ``auto`` (as the
header says) or another header to read the column as. The line ``(unknown columns)``
says whether columns nobody knows are kept (``keep``) or skipped. A mapping file applies
to every file of an import whose columns it names; ``--map`` and ``--skip`` win over it.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from rolodex.i18n import _
from rolodex.io.cells import neutralise, unneutralise
from rolodex.io.headers import AUTO, KEEP, SKIP, Column, Overrides, norm
from rolodex.io.sniff import ImportFileError, file_error, open_table

COLUMN = "Column"
IMPORT_AS = "Import as"
UNKNOWN_COLUMNS = "(unknown columns)"


def load(path: str) -> Overrides:
    """The overrides a mapping file holds; ImportFileError when it is not one."""
    found = Overrides()
    with open_table(path) as table:
        keys = [norm(h) for h in table.headers]
        if norm(COLUMN) not in keys or norm(IMPORT_AS) not in keys:
            raise file_error(
                path,
                _("a mapping file has the columns '{a}' and '{b}'").format(a=COLUMN, b=IMPORT_AS),
                1,
            )
        column, target_at = keys.index(norm(COLUMN)), keys.index(norm(IMPORT_AS))
        for number, cells, problem in table.rows:
            if problem is not None:
                raise file_error(path, str(problem), number)
            header = unneutralise(cells[column]).strip()
            target = unneutralise(cells[target_at]).strip()
            if not header or not target:
                continue
            if header == UNKNOWN_COLUMNS:
                if target not in (KEEP, SKIP):
                    raise file_error(
                        path,
                        _("'{column}' is '{keep}' or '{skip}', not '{value}'").format(
                            column=UNKNOWN_COLUMNS, keep=KEEP, skip=SKIP, value=target
                        ),
                        number,
                    )
                found.keep_unknown = target == KEEP
                continue
            found.set(header, target)
    return found


def save(path: str, columns: Iterable[Column], keep_unknown: bool) -> None:
    """Write the mapping of these columns (of one file or several) as a mapping file."""
    lines: dict[str, tuple[str, str]] = {}
    for column in columns:
        if not column.header.strip():
            continue
        if column.unknown:
            target = SKIP
        elif column.mapped or column.kind == "property" or column.kind == "ignored":
            target = column.target()
        else:
            target = AUTO
        lines.setdefault(norm(column.header), (column.header.strip(), target))
    target_path = Path(path)
    directory = target_path.parent if str(target_path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".rolodex-mapping-", suffix=".csv", dir=str(directory))
    except OSError as exc:
        raise ImportFileError(
            _("{file} cannot be written ({error})").format(file=path, error=exc.strerror or exc)
        ) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([COLUMN, IMPORT_AS])
            for header, target in lines.values():
                writer.writerow([neutralise(header), neutralise(target)])
            writer.writerow([UNKNOWN_COLUMNS, KEEP if keep_unknown else SKIP])
        os.replace(tmp, target_path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


__all__ = ["load", "save"]
