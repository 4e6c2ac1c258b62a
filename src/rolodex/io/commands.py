"""The command-line hooks: ``rolodex import`` and ``rolodex export`` (the CLI opens the database)."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from rolodex.crm.errors import RolodexError
from rolodex.i18n import _


def import_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """0: every row imported; 1: rows were rejected (the rest applied) or the file is unusable."""
    from rolodex.io.importer import run_import
    from rolodex.io.revert import revert_import

    try:
        revert = getattr(args, "revert", None)
        if revert:
            result = revert_import(revert)
            out.write("\n".join(result.lines()) + "\n")
            return 0
        files = list(getattr(args, "files", None) or [])
        overrides = _overrides(args)
        summary = run_import(
            files,
            mode=getattr(args, "mode", None) or "upsert",
            create_labels=bool(getattr(args, "create_labels", False)),
            dry_run=bool(getattr(args, "dry_run", False)),
            errors=getattr(args, "errors", None),
            source=getattr(args, "source", None) or "",
            overrides=overrides,
        )
        save_to = getattr(args, "save_mapping", None)
        if save_to:
            from rolodex.io import mapping_file

            columns = [c for path in files for c in summary.columns.get(path, [])]
            mapping_file.save(save_to, columns, overrides.keep_unknown)
    except RolodexError as exc:
        err.write(_("error: {message}").format(message=exc) + "\n")
        err.write(_("nothing was imported; the database is unchanged") + "\n")
        return 1
    for warning in summary.warnings:
        err.write(_("note: {message}").format(message=warning) + "\n")
    out.write("\n".join(summary.lines()) + "\n")
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
    if not summary.dry_run:
        out.write(_("undo with: rolodex import --revert {id}").format(id=summary.import_id) + "\n")
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
