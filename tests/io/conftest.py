"""Fixtures for import/export tests: write files, run the two command hooks in-process."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., str]:
    """write("contacts.csv", "a,b\\n1,2\\n") -> the file's path (text is UTF-8 unless bytes)."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> str:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode(encoding))
        return str(path)

    return _write


def run_import(*files: str, **options: object) -> Result:
    """``rolodex import``: --list and --revert are the command line's (rolodex.cli_imports)."""
    from rolodex.cli_imports import list_command, revert_command
    from rolodex.io.commands import import_command

    if options.get("list"):
        return _as_command(lambda _args, out, _err: list_command(out), argparse.Namespace())
    if options.get("revert"):
        revert = str(options["revert"])
        return _as_command(
            lambda _a, out, err: revert_command(revert, out, err), argparse.Namespace()
        )

    args = argparse.Namespace(
        files=list(files),
        dry_run=bool(options.get("dry_run", False)),
        errors=options.get("errors"),
        mode=options.get("mode", "upsert"),
        create_labels=bool(options.get("create_labels", False)),
        revert=options.get("revert"),
        list=bool(options.get("list", False)),
        source=options.get("source", ""),
        map=list(options.get("map", [])),  # type: ignore[call-overload]
        skip=list(options.get("skip", [])),  # type: ignore[call-overload]
        keep_unknown=bool(options.get("keep_unknown", False)),
        mapping=options.get("mapping"),
        save_mapping=options.get("save_mapping"),
        report=options.get("report"),
    )
    return _as_command(import_command, args)


def run_export(type_key: str, output: str | None = None, fmt: str = "csv") -> Result:
    from rolodex.io.commands import export_command

    args = argparse.Namespace(type=type_key, output=output, format=fmt)
    return _as_command(export_command, args)


def _as_command(command, args: argparse.Namespace) -> Result:  # type: ignore[no-untyped-def]
    """Run a command hook as `rolodex` does: a refusal is one error line and exit 2."""
    from rolodex.crm.errors import RolodexError

    out, err = io.StringIO(), io.StringIO()
    try:
        code = command(args, out, err)
    except RolodexError as exc:
        err.write(f"rolodex: error: {exc}\n")
        code = 2
    return Result(code, out.getvalue(), err.getvalue())


def import_id(result: Result) -> str:
    for word in result.out.split():
        if word.startswith("import-"):
            return word
    raise AssertionError(result.out)


def fingerprint() -> str:
    """Every row of every table that import can touch, as text: equal means unchanged."""
    from rolodex.io.models import IO_MODELS
    from rolodex.store.models import MODELS

    parts = {}
    for model in MODELS + IO_MODELS:
        rows = sorted(repr(r) for r in model.select().tuples())
        parts[model.__name__] = rows
    return json.dumps(parts, sort_keys=True, default=str)


def source_ids(record_id: int) -> list[str]:
    """The ids other systems gave the record (oldest first)."""
    from rolodex.io.models import SourceKey

    return [
        key
        for (key,) in SourceKey.select(SourceKey.key)
        .where(SourceKey.record_id == record_id)
        .order_by(SourceKey.id)
        .tuples()
    ]


def holders_of(key: str) -> list[int]:
    """The records another system knows as ``key``."""
    from rolodex.io.models import SourceKey

    return [
        rid for (rid,) in SourceKey.select(SourceKey.record_id).where(SourceKey.key == key).tuples()
    ]


def snapshot() -> dict:
    """The records, associations, labels and primaries, keyed by names (ids differ between dbs)."""
    from rolodex.crm import associations, objects
    from rolodex.store.models import Record

    def key(rid: int) -> str:
        row = Record.get_by_id(rid)
        return f"{objects.by_id(row.object_type_id).key}:{row.email or row.domain or row.name}"

    out = {}
    for row in Record.select().where(Record.deleted_at.is_null()):
        rid = row.id
        links = sorted((key(a.other_id), a.labels, a.primary) for a in associations.all_of(rid))
        out[key(rid)] = {"properties": json.loads(row.properties), "links": links}
    return out


def made_labels() -> list:
    """The labels in the database but the built-in company hierarchy (Parent company)."""
    from rolodex.crm import labels

    return [
        label
        for label in labels.list_labels()
        if not (label.hierarchical and label.from_type == label.to_type == "company")
    ]
