"""``rolodex import --list`` and ``--revert ID``: past imports shown, one undone."""

from __future__ import annotations

import dataclasses
from typing import Any, TextIO

from rolodex.cli_format import human_utc, one_line, table, write_json
from rolodex.crm.errors import RolodexError
from rolodex.i18n import _


def progress_line(err: TextIO, what: str) -> Any:
    """A progress line on a terminal (nothing in a pipe or a file)."""
    if not getattr(err, "isatty", lambda: False)():
        return None
    shown = [-1]

    def progress(done: int, total: int) -> None:
        percent = int(100 * done / total) if total else 100
        if percent != shown[0]:
            shown[0] = percent
            err.write(f"\r{what}: {percent}%")
            err.flush()
            if percent >= 100:
                err.write("\n")

    return progress


def revert_command(import_id: str, out: TextIO, err: TextIO, as_json: bool = False) -> int:
    from rolodex.io.revert import revert_import

    try:
        result = revert_import(import_id, progress=progress_line(err, _("reverting")))
    except RolodexError as exc:
        err.write(_("rolodex: error: {message}").format(message=exc) + "\n")
        err.write(_("nothing was reverted; the database is unchanged") + "\n")
        return 2
    if as_json:
        write_json(out, dataclasses.asdict(result))
    else:
        out.write("\n".join(one_line(line) for line in result.lines()) + "\n")
    return 0


def list_command(out: TextIO, as_json: bool = False) -> int:
    """Past imports, newest first, with their counts; each can be reverted by its id."""
    from rolodex.io.revert import list_imports

    past = list_imports()
    if as_json:
        write_json(
            out,
            [
                {
                    "import_id": item.id,
                    "started_at": _iso(item.started_at),
                    "by": item.actor,
                    "files": list(item.files),
                    **item.counts(),
                    "reverted_at": _iso(item.reverted_at) if item.reverted_at else None,
                }
                for item in past
            ],
        )
        return 0
    if not past:
        out.write(_("no imports yet") + "\n")
        return 0
    rows = []
    for item in past:
        counts = item.counts()
        names = (
            ", ".join(item.files)
            if len(item.files) <= 2
            else _("{n} files").format(n=len(item.files))
        )
        rows.append(
            [
                item.id,
                human_utc(item.started_at),
                item.actor,
                str(counts["rows"]),
                str(counts["created"]),
                str(counts["updated"]),
                str(counts["associations"]),
                str(counts["rejected"]),
                human_utc(item.reverted_at) if item.reverted_at else "",
                names,
            ]
        )
    table(
        out,
        [
            _("Import"),
            _("Started (UTC)"),
            _("By"),
            _("Rows"),
            _("Created"),
            _("Updated"),
            _("Associations"),
            _("Rejected"),
            _("Reverted"),
            _("Files"),
        ],
        rows,
    )
    out.write(_("undo one with: rolodex import --revert ID") + "\n")
    return 0


def _iso(moment: Any) -> str:
    return moment.isoformat() if hasattr(moment, "isoformat") else str(moment)
