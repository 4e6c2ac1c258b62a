"""The demo database exported, then imported again: into itself it changes nothing, into a
fresh database it comes back identical.

"Identical" is defined precisely:

- **Into the same database**: every row of every table the data lives in (records,
  associations, their labels, label definitions, history, the ids of other systems,
  waiting links) reads back exactly as before; the import only adds its own entry to the
  list of imports. No duplicate, no relinking, no history row.
- **Into a fresh database** (ids differ there): the import keeps, for each record, the
  REF it had in the demo as an id of that database; through it every live demo record
  corresponds to exactly one record of the fresh database and back. Each pair has the
  same object and the same properties; the associations correspond one to one, with the
  same labels (compared by definition: from object, to object, name, inverse, and which
  record is the label's from record) and the same primaries, both ways.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rolodex.crm import labels, objects
from rolodex.crm.check import run as check_run
from rolodex.io import identity
from rolodex.io.models import IO_MODELS, ImportedRecord, SourceKey
from rolodex.store.database import open_database
from rolodex.store.models import (
    Association,
    AssociationLabel,
    History,
    Import,
    Label,
    Record,
    database,
)
from tests.io.conftest import import_id, run_export, run_import

DEMO = Path(__file__).resolve().parents[2] / "demo.db"
DATA_TABLES = [Record, Association, AssociationLabel, Label, History, *IO_MODELS]


def _open(target: str):  # type: ignore[no-untyped-def]
    objects.invalidate()
    labels.invalidate()
    db = open_database(target)
    objects.invalidate()
    labels.invalidate()
    return db


def _demo_copy(tmp_path: Path) -> str:
    copy = tmp_path / "demo-copy.db"
    shutil.copyfile(DEMO, copy)
    return str(copy)


def _export_everything(folder: Path) -> list[str]:
    """One file per object, activities and custom objects included."""
    paths = []
    for info in objects.all_types():
        path = folder / f"{info.key}-export.csv"
        result = run_export(info.key, str(path))
        assert result.code == 0, result.err
        paths.append(str(path))
    return paths


def _rows(model) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(repr(row) for row in model.select().tuples())


def _tables() -> dict[str, list[str]]:
    return {model.__name__: _rows(model) for model in DATA_TABLES}


def _label_definitions() -> dict[int, tuple[str, str, str, str | None]]:
    return {
        info.id: (info.from_type, info.to_type, info.name, info.inverse)
        for info in labels.all_by_id().values()
    }


def _world(ids: dict[int, object] | None = None) -> dict:
    """Live records and their associations, each record named by ``ids[record id]``
    (by default its own id); labels by their definitions."""
    definitions = _label_definitions()
    name = (lambda rid: rid) if ids is None else ids.__getitem__
    live = {
        rid: (objects.by_id(type_id).key, json.loads(props))
        for rid, type_id, props in Record.select(Record.id, Record.object_type, Record.properties)
        .where(Record.deleted_at.is_null() & Record.merged_into.is_null())
        .tuples()
    }
    world_records = {name(rid): value for rid, value in live.items()}
    assoc_labels: dict[int, set] = {}
    for assoc_id, label_id, forward in AssociationLabel.select(
        AssociationLabel.association, AssociationLabel.label, AssociationLabel.forward
    ).tuples():
        assoc_labels.setdefault(assoc_id, set()).add((definitions[label_id], bool(forward)))
    links = set()
    for assoc_id, a, b, a_primary_b, b_primary_a in Association.select(
        Association.id,
        Association.a,
        Association.b,
        Association.a_primary_b,
        Association.b_primary_a,
    ).tuples():
        # Oriented by name, not by id: ids (and so which end is "a") differ between databases.
        ends = [(name(a), bool(a_primary_b), True), (name(b), bool(b_primary_a), False)]
        ends.sort(key=lambda end: str(end[0]))
        (x, x_primary, x_is_a), (y, y_primary, _y_is_a) = ends
        words = frozenset(
            (definition, forward if x_is_a else not forward)
            for definition, forward in assoc_labels.get(assoc_id, set())
        )
        links.add((x, y, words, x_primary, y_primary))
    return {"records": world_records, "links": links}


def _fresh_ids(demo_database: str) -> dict[int, object]:
    """Fresh record id -> the demo id it was imported from (through its kept REF)."""
    system = identity.rolodex_system(demo_database)
    ids: dict[int, object] = {}
    for record_id, key in (
        SourceKey.select(SourceKey.record_id, SourceKey.key)
        .where(SourceKey.system == system)
        .tuples()
    ):
        assert record_id not in ids, "one fresh record for one demo record"
        ids[record_id] = int(key)
    return ids


def _recreate_custom_objects(definitions: list) -> None:
    for key, singular, plural, props, display in definitions:
        objects.create_custom_object(key, singular, plural, props, display)


def _custom_objects() -> list:
    return [
        (
            info.key,
            info.singular,
            info.plural,
            [(p.key, p.kind) for p in info.properties],
            info.display_property,
        )
        for info in objects.all_types()
        if info.kind == "custom"
    ]


def test_demo_imported_into_itself_changes_nothing(tmp_path):
    db = _open(_demo_copy(tmp_path))
    try:
        paths = _export_everything(tmp_path)
        before = _tables()
        imports_before = Import.select().count()
        result = run_import(*paths)
        assert result.code == 0, result.err + result.out
        assert "records created: 0" in result.out
        assert "associations created: 0" in result.out
        assert _tables() == before
        assert Import.select().count() == imports_before + 1
        assert (
            not ImportedRecord.select()
            .where(ImportedRecord.import_id == import_id(result))
            .exists()
        )
        assert check_run().ok
    finally:
        db.close()


@pytest.mark.parametrize("order", ["as exported", "reversed"])
def test_demo_imported_into_a_fresh_database_comes_back_identical(tmp_path, db_url, order):
    from tests import conftest

    demo = _open(_demo_copy(tmp_path))
    paths = _export_everything(tmp_path)
    demo_database = identity.this_database()
    assert demo_database
    expected = _world()
    custom = _custom_objects()
    counts = {info.key: 0 for info in objects.all_types()}
    for _ref, (type_key, _props) in expected["records"].items():
        counts[type_key] += 1
    demo.close()
    assert database.obj is not None

    fresh = conftest._reset_postgres(db_url) if conftest.PG_URL else _open(db_url)
    objects.invalidate()
    labels.invalidate()
    try:
        _recreate_custom_objects(custom)
        for path in paths if order == "as exported" else reversed(paths):
            result = run_import(path, create_labels=True)
            assert result.code == 0, result.err + result.out
        ids = _fresh_ids(demo_database)
        got = _world(ids)
        assert set(got["records"]) == set(expected["records"])
        assert got["records"] == expected["records"]
        assert got["links"] == expected["links"]
        assert len(got["links"]) == Association.select().count()
        assert check_run().ok
        # and the labels were defined the way round they were in the demo
        used = {definition for _x, _y, words, _p, _q in got["links"] for definition, _f in words}
        assert set(_label_definitions().values()) == used
    finally:
        fresh.close()
