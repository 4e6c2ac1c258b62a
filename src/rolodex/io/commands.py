"""The command-line hooks: ``rolodex import`` and ``rolodex export`` (the CLI opens the database)."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from rolodex.crm.errors import InvalidValue, RolodexError
from rolodex.i18n import _


def import_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """0: every row imported; 1: rows were rejected (the others imported); 2: nothing was
    imported (an unusable file or option: ``rolodex: error: ...`` on stderr)."""
    from rolodex.io.importer import run_import

    if getattr(args, "list", False):
        return list_command(out)
    revert = getattr(args, "revert", None)
    if revert:
        return revert_command(revert, out, err)
    files = list(getattr(args, "files", None) or [])
    try:
        if not files:
            raise InvalidValue(_("import needs at least one FILE (or --revert ID, or --list)"))
        overrides = _overrides(args)
        summary = run_import(
            files,
            mode=getattr(args, "mode", None) or "upsert",
            create_labels=bool(getattr(args, "create_labels", False)),
            dry_run=bool(getattr(args, "dry_run", False)),
            errors=getattr(args, "errors", None),
            source=getattr(args, "source", None) or "",
            overrides=overrides,
            report=getattr(args, "report", None),
        )
        save_to = getattr(args, "save_mapping", None)
        if save_to:
            from rolodex.io import mapping_file

            columns = [c for path in files for c in summary.columns.get(path, [])]
            mapping_file.save(save_to, columns, overrides.keep_unknown)
    except RolodexError as exc:
        err.write(_("rolodex: error: {message}").format(message=exc) + "\n")
        err.write(_("nothing was imported; the database is unchanged") + "\n")
        return 2
    for warning in summary.warnings:
        err.write(_("note: {message}").format(message=warning) + "\n")
    out.write("\n".join(summary.lines()) + "\n")
    if getattr(args, "report", None):
        out.write(
            _("every match ({n} lines) was written to {file}").format(
                n=summary.report.count if summary.report else 0, file=args.report
            )
            + "\n"
        )
    if not summary.dry_run:
        out.write(_("undo with: rolodex import --revert {id}").format(id=summary.import_id) + "\n")
    if summary.rejected:
        if summary.first_rejection:
            err.write(
                _("first rejected row: {message}").format(message=summary.first_rejection) + "\n"
            )
        if summary.error_files:
            for written in summary.error_files:
                err.write(_("rejected rows were written to {file}").format(file=written) + "\n")
        else:
            err.write(_("use --errors FILE to get every rejected row with its reason") + "\n")
        return 1
    return 0


def _progress(err: TextIO, what: str) -> Any:
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


def revert_command(import_id: str, out: TextIO, err: TextIO) -> int:
    from rolodex.cli_format import safe
    from rolodex.io.revert import revert_import

    try:
        result = revert_import(import_id, progress=_progress(err, _("reverting")))
    except RolodexError as exc:
        err.write(_("rolodex: error: {message}").format(message=exc) + "\n")
        err.write(_("nothing was reverted; the database is unchanged") + "\n")
        return 2
    out.write("\n".join(safe(line) for line in result.lines()) + "\n")
    return 0


def list_command(out: TextIO) -> int:
    """Past imports, newest first, with their counts; each can be reverted by its id."""
    from rolodex.cli_format import human_utc, table
    from rolodex.io.revert import list_imports

    past = list_imports()
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


def _overrides(args: argparse.Namespace) -> Any:
    """How the user says columns are imported: a mapping file, then --map, --skip."""
    from rolodex.io import mapping_file
    from rolodex.io.headers import Overrides, overrides_from

    base = Overrides()
    if getattr(args, "mapping", None):
        base = mapping_file.load(args.mapping)
    given = overrides_from(
        getattr(args, "map", None) or [],
        getattr(args, "skip", None) or [],
        bool(getattr(args, "keep_unknown", False)),
    )
    return base.merged(given)


def export_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rolodex.io.exporter import export

    output = getattr(args, "output", None)
    try:
        count = export(args.type, output, getattr(args, "format", None) or "csv", out)
    except RolodexError as exc:
        err.write(_("error: {message}").format(message=exc) + "\n")
        return 1
    except OSError as exc:
        err.write(
            _("error: {file} cannot be written ({error})").format(
                file=output or "-", error=exc.strerror or exc
            )
            + "\n"
        )
        return 1
    if output and output != "-":
        out.write(_("exported {n} records to {file}").format(n=count, file=output) + "\n")
    return 0
