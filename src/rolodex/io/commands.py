"""The command-line hooks: ``rolodex import`` and ``rolodex export`` (the CLI opens the database)."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from rolodex.crm.errors import InvalidValue, RolodexError
from rolodex.i18n import _, ngettext
from rolodex.io.vcard import SUFFIXES, is_vcard
from rolodex.textsafety import json_text


def write_json(out: TextIO, value: Any) -> None:
    """As the command line writes JSON: indented, every unsafe character escaped."""
    out.write(json_text(json.dumps(value, ensure_ascii=False, indent=2)) + "\n")


def import_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """0: every row imported; 1: rows were rejected (the others imported); 2: nothing was
    imported (an unusable file or option: ``rolodex: error: ...`` on stderr)."""
    from rolodex.io.importer import run_import

    as_json = getattr(args, "format", None) == "json"
    files = list(getattr(args, "files", None) or [])
    if files and any(is_vcard(f) for f in files):
        return vcard_import_command(args, files, out, err)
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
    if as_json:
        write_json(
            out,
            {
                "import_id": summary.import_id,
                "dry_run": summary.dry_run,
                "files": list(summary.files),
                **summary.as_dict(),
                "first_rejection": summary.first_rejection,
                "warnings": list(summary.warnings),
            },
        )
    else:
        out.write("\n".join(summary.lines()) + "\n")
        if getattr(args, "report", None):
            out.write(
                _("every match ({n} lines) was written to {file}").format(
                    n=summary.report.count if summary.report else 0, file=args.report
                )
                + "\n"
            )
    if not summary.dry_run and not as_json:
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


def vcard_import_command(
    args: argparse.Namespace, files: list[str], out: TextIO, err: TextIO
) -> int:
    """``rolodex import cards.vcf``: contacts from vCard files, all or none (io/vcard.py)."""
    from rolodex.io.vcard import import_vcards

    if not all(is_vcard(f) for f in files):
        raise InvalidValue(
            _("import vCard files (.vcf) on their own, not with other files; nothing was imported")
        )
    summary = import_vcards(files, dry_run=bool(getattr(args, "dry_run", False)))
    for warning in summary.warnings:
        err.write(_("note: {message}").format(message=warning) + "\n")
    if getattr(args, "format", None) == "json":
        write_json(out, summary.as_dict())
        return 0
    out.write("\n".join(summary.lines()) + "\n")
    if not summary.dry_run:
        out.write(_("undo with: rolodex import --revert {id}").format(id=summary.import_id) + "\n")
    return 0


def _selection(args: argparse.Namespace) -> list[str] | None:
    """--ref / --where / --associated-with / --filter words, or None when all records are
    exported."""
    names = ("ref", "where", "associated_with", "filter")
    return [word for name in names for word in (getattr(args, name, None) or [])] or None


def _export_selection(
    args: argparse.Namespace, fmt: str, selection: list[str] | None, output: str | None, out: TextIO
) -> int:
    from rolodex.crm import filter_expr, listing, objects, records
    from rolodex.io.exporter import export
    from rolodex.io.vcard import export_vcards

    info = objects.by_key(args.type.strip().lower())
    query = listing.Listing(info)
    refs = getattr(args, "ref", None) or []
    if refs:
        query.conditions.append(listing.among([records.resolve(ref).id for ref in refs]))
    query.conditions += [listing.parse_where(info, w) for w in getattr(args, "where", None) or []]
    for ref in getattr(args, "associated_with", None) or []:
        query.conditions.append(listing.associated_with(records.resolve(ref).id))
    for text in getattr(args, "filter", None) or []:
        query.conditions += filter_expr.conditions(info, text)
    if fmt == "vcf":
        return export_vcards(query, output, out, getattr(args, "vcard_version", None) or "4.0")
    return export(info.key, output, fmt, out, listing.ids_of(query))


def export_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rolodex.io.exporter import export
    from rolodex.io.files import is_stream

    output = getattr(args, "output", None)
    fmt = getattr(args, "format", None) or "csv"
    selection = _selection(args)
    if fmt != "vcf" and output and output.lower().endswith(SUFFIXES) and selection is None:
        fmt = "vcf"  # -o cards.vcf
    try:
        if fmt == "vcf" or selection is not None:
            count = _export_selection(args, fmt, selection, output, out)
        else:
            count = export(args.type, output, fmt, out)
    except BrokenPipeError:
        raise  # the reader of stdout went away: the command line ends quietly
    except OSError as exc:
        raise InvalidValue(
            _("{file} cannot be written ({error})").format(
                file=output or "-", error=exc.strerror or exc
            )
        ) from exc
    if output and output != "-" and not is_stream(output, out):
        out.write(
            ngettext(
                "exported {n} record to {file}", "exported {n} records to {file}", count
            ).format(n=count, file=output)
            + "\n"
        )
    return 0
