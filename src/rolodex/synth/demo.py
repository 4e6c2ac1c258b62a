"""The committed demo.db: building it, and handing out scratch copies so it never changes.

Rebuild it from the repository root with ``python -m rolodex.synth.demo``.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import shutil
import sys
import tempfile
from pathlib import Path

from rolodex import assets
from rolodex.crm.errors import NotFound
from rolodex.i18n import _
from rolodex.store import timeshift

DEMO_NAME = "demo.db"
DEMO_SEED = 42
# Property values that are dates: moved with the rest of the story in a scratch copy.
DATE_PROPERTIES = ("close_date", "due_date")
DATETIME_PROPERTIES = ("timestamp",)


def demo_path() -> Path:
    """The shipped demo.db: inside the installed package, or at the top of the checkout."""
    return assets.demo_database()


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _shift_to_now(path: Path, now: dt.datetime | None = None) -> None:
    """Move every timestamp of the copy so its story ends now.

    The committed file was built on some past day; shifted, its recycle-bin
    record is still restorable and "last week" in its history means last week.
    """
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    latest = timeshift.latest_history(path)
    if latest is None:
        return
    timeshift.shift_copy(path, now - latest, DATE_PROPERTIES, DATETIME_PROPERTIES)


_SCRATCH: list[Path] = []  # scratch folders this process made, removed when it ends


@atexit.register
def remove_scratch_copies() -> None:
    """Remove this process's scratch copies (at exit, or by a process that must leave
    without the interpreter's own exit)."""
    while _SCRATCH:
        shutil.rmtree(_SCRATCH.pop(), ignore_errors=True)


def scratch_copy(*, keep: bool = False, source: Path | None = None) -> Path:
    """A fresh copy of demo.db in a new temporary folder (removed when the process ends,
    unless ``keep``); the committed file is only read."""
    origin = source or demo_path()
    if not origin.is_file():
        raise NotFound(
            _(
                "the demo database {path} is missing; rebuild it with: python -m rolodex.synth.demo"
            ).format(path=origin)
        )
    folder = Path(tempfile.mkdtemp(prefix="rolodex-demo-"))
    if not keep:
        _SCRATCH.append(folder)
    target = folder / DEMO_NAME
    shutil.copyfile(origin, target)
    _shift_to_now(target)
    return target


def build(path: Path, seed: int = DEMO_SEED) -> dict:
    """Build the demo database at ``path`` (replacing it): generate, then make it a single,
    compact file (rollback journal, vacuumed) fit to commit."""
    from rolodex.crm import objects
    from rolodex.store.database import open_database
    from rolodex.synth.generator import generate

    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    objects.invalidate()
    db = open_database(str(path))
    try:
        summary = generate("demo", seed=seed)
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute_sql("PRAGMA journal_mode = DELETE")
        db.execute_sql("VACUUM")
    finally:
        db.close()
        objects.invalidate()
    return summary


def fingerprint() -> dict:
    """The content of the open database, without timestamps or batch ids: what two builds of
    the demo must share (counts per object, names, properties, associations with labels and
    primaries, and history with sources)."""
    from peewee import fn

    from rolodex.crm import labels as labels_mod
    from rolodex.crm import objects
    from rolodex.store.models import (
        Association,
        AssociationLabel,
        AssociationLimit,
        History,
        Label,
        Record,
    )

    objects.invalidate()
    type_key = {info.id: info.key for info in objects.all_types()}
    names = {lab.id: lab for lab in labels_mod.list_labels()}
    counts = {
        type_key[tid]: n
        for tid, n in Record.select(Record.object_type, fn.COUNT(Record.id))
        .group_by(Record.object_type)
        .tuples()
    }
    records = []
    for rid, tid, name, props, deleted, merged in (
        Record.select(
            Record.id,
            Record.object_type,
            Record.name,
            Record.properties,
            Record.deleted_at,
            Record.merged_into,
        )
        .order_by(Record.id)
        .tuples()
    ):
        values = json.loads(props)
        for key in (*DATE_PROPERTIES, *DATETIME_PROPERTIES):
            values.pop(key, None)
        records.append((rid, type_key[tid], name, values, deleted is not None, merged))
    label_words: dict[int, list[str]] = {}
    for assoc_id, lid, fwd in AssociationLabel.select(
        AssociationLabel.association, AssociationLabel.label, AssociationLabel.forward
    ).tuples():
        label_words.setdefault(assoc_id, []).append(f"{names[lid].name}:{bool(fwd)}")
    associations = sorted(
        (a, b, tuple(sorted(label_words.get(aid, []))), bool(apb), bool(bpa))
        for aid, a, b, apb, bpa in Association.select(
            Association.id,
            Association.a,
            Association.b,
            Association.a_primary_b,
            Association.b_primary_a,
        ).tuples()
    )

    def label_names(text: str) -> list[str]:
        return sorted(f"{names[lid].name}:{bool(fwd)}" for lid, fwd in json.loads(text))

    history = [
        (a, b, action, label_names(labels), bool(apb), bool(bpa), source, actor)
        for a, b, action, labels, apb, bpa, source, actor in History.select(
            History.a_id,
            History.b_id,
            History.action,
            History.labels,
            History.a_primary_b,
            History.b_primary_a,
            History.source,
            History.actor,
        )
        .order_by(History.id)
        .tuples()
    ]
    return {
        "objects": [
            (i.key, i.singular, i.plural, i.kind, i.display_property) for i in objects.all_types()
        ],
        "labels": sorted(
            (type_key[lab.from_type_id], type_key[lab.to_type_id], lab.name, lab.inverse or "")
            for lab in Label.select()
        ),
        "limits": sorted(
            (
                type_key[row.from_type_id],
                type_key[row.to_type_id],
                row.label_side or "",
                row.max_count,
            )
            for row in AssociationLimit.select()
        ),
        "counts": counts,
        "records": records,
        "associations": associations,
        "history": history,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else demo_path()
    summary = build(path)
    size = path.stat().st_size
    print(
        _("built {path}: {n} records, {a} associations, {h} history rows, {kb} KB").format(
            path=path,
            n=summary["records"],
            a=summary["associations"],
            h=summary["history"],
            kb=size // 1024,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
