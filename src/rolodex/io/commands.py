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
        refused = RolodexError(
            _("{message}; nothing was imported, the database is unchanged").format(message=exc)
        )
        refused.code = exc.code
        raise refused from exc
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
    from rolodex.io.files import is_stream

    output = getattr(args, "output", None)
    try:
        count = export(args.type, output, getattr(args, "format", None) or "csv", out)
    except BrokenPipeError:
        raise  # the reader of stdout went away: the command line ends quietly
    except OSError as exc:
        raise InvalidValue(
            _("{file} cannot be written ({error})").format(
                file=output or "-", error=exc.strerror or exc
            )
        ) from exc
    if output and output != "-" and not is_stream(output, out):
        out.write(_("exported {n} records to {file}").format(n=count, file=output) + "\n")
    return 0
