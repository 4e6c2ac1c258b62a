"""Import: CSV/xlsx rows -> records and associations, through the crm rules.

One import is one write transaction (``@writes``, retried whole on a lost race):
every accepted row is applied, or (on a bad file, Ctrl-C, a crash, or ``dry_run``)
nothing is. A rejected row leaves no trace while the others apply:

- Most rows take the batched path: the row is validated and resolved without writing
  anything; what it would write (new records with ids taken beforehand, the ids other
  systems gave them, associations with their labels and primaries, waiting links) is
  kept aside and joins a batch only once the whole row is accepted. Batches are
  written with a few statements per table (``crm.bulk``: executemany).
- A row that needs more (changing an existing record, a label to create, a pair with
  a limit) is redone through the full crm rules inside its own savepoint.

Records are found by REF, by the ids of the file's system (``identity``), by email,
domain or name; what a row names that is not there yet waits (``PendingLink``) and
is linked when it arrives. What an import did is logged for its revert (``revert``).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rolodex.crm import associations, bulk, hierarchy, objects, records
from rolodex.crm import labels as labels_mod
from rolodex.crm.context import IMPORT, Context, new_batch
from rolodex.crm.errors import (
    AmbiguousReference,
    Deleted,
    DuplicateRecord,
    HierarchyConflict,
    InvalidReference,
    InvalidValue,
    LabelNotFound,
    NotFound,
    RolodexError,
)
from rolodex.i18n import _
from rolodex.io import cells as cells_mod
from rolodex.io import headers as hdr
from rolodex.io import identity, parents
from rolodex.io.cells import parse_label_entry, split_first, unescape, unneutralise
from rolodex.io.errorfile import ErrorFile
from rolodex.io.idbits import IdBits
from rolodex.io.models import ImportedRecord, PendingLink, SourceKey
from rolodex.io.report import CREATE, LINK, LINKED, REJECTED, UNCHANGED, UPDATE, WAIT, Line, Report
from rolodex.io.sniff import ImportFileError, RowProblem, Table, open_table
from rolodex.store import raw
from rolodex.store.models import Association, AssociationLabel, Import
from rolodex.store.transactions import savepoint, writes

MODES = ("create", "update", "upsert")
CACHE_LIMIT = 50_000
FLUSH_EVERY = 2000  # plain associations written per batch
PREFETCH = 500  # rows whose keys are looked up together
NO_LABELS: frozenset[tuple[int, bool]] = frozenset()
SOURCE_INSERT = (
    "INSERT INTO source_key (record_id, object_type_id, system, key, import_id)"
    " VALUES (?, ?, ?, ?, ?)"
)


def split_list(value: str, sep: str = ";") -> list[str]:
    """``cells.split_list``, without its character loop when nothing is escaped."""
    if "\\" in value:
        return cells_mod.split_list(value, sep)
    return [item.strip() for item in value.split(sep) if item.strip()]


def _chunks(items: list[str], size: int = 400) -> list[list[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


NAME_KEY_RE = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")
ID_RE = re.compile(r"^\d{1,19}$")
# "company:5: Manager" in a labels column of a Rolodex export (escapes kept)
REF_ENTRY_RE = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*:\s*(\d{1,18})\s*:(.*)$", re.S)

# An identity: (system, id) of another system; see rolodex.io.identity.
Identity = tuple[str, str]
DOMAIN_LIKE = re.compile(r"^[^\s@]+\.[^\s@]+$")


class _Rollback(Exception):
    """Raised inside the transaction to undo a dry run."""


class _NeedsRules(Exception):
    """A row met something the batched path does not handle: redo it through the full rules."""


class NoProperties(RolodexError):
    """The row would create a record holding nothing (a Record ID alone, say)."""

    code = "NO_PROPERTIES"


@dataclass
class Summary:
    import_id: str
    dry_run: bool = False
    files: list[str] = field(default_factory=list)
    rows: int = 0
    accepted: int = 0
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    associations_created: int = 0
    associations_updated: int = 0
    labels_applied: int = 0
    labels_created: int = 0
    pending_added: int = 0
    pending_resolved: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    first_rejection: str | None = None
    warnings: list[str] = field(default_factory=list)
    error_files: list[str] = field(default_factory=list)
    report: Report | None = None  # every match, when asked for
    mappings: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    columns: dict[str, list[hdr.Column]] = field(default_factory=dict)  # the mapping per file
    properties_created: list[str] = field(default_factory=list)  # OBJECT.PROPERTY

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "accepted": self.accepted,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "associations_created": self.associations_created,
            "associations_updated": self.associations_updated,
            "labels_applied": self.labels_applied,
            "labels_created": self.labels_created,
            "pending_added": self.pending_added,
            "pending_resolved": self.pending_resolved,
            "rejected": dict(self.rejected),
        }

    def lines(self) -> list[str]:
        """The summary as a person reads it."""

        def counts(counter: Counter[str]) -> str:
            if not counter:
                return "0"
            total = sum(counter.values())
            parts = ", ".join(f"{k} {v}" for k, v in sorted(counter.items()))
            return f"{total} ({parts})"

        head = (
            _("Dry run of import {id}: nothing was written").format(id=self.import_id)
            if self.dry_run
            else _("Import {id}").format(id=self.import_id)
        )
        out = [head]
        out.append(
            _("  rows read: {rows}, accepted: {ok}").format(rows=self.rows, ok=self.accepted)
        )
        out.append(_("  records created: {n}").format(n=counts(self.created)))
        out.append(_("  records updated: {n}").format(n=counts(self.updated)))
        if self.unchanged:
            out.append(_("  records unchanged: {n}").format(n=counts(self.unchanged)))
        out.append(_("  associations created: {n}").format(n=self.associations_created))
        if self.associations_updated:
            out.append(_("  associations updated: {n}").format(n=self.associations_updated))
        out.append(_("  labels applied: {n}").format(n=self.labels_applied))
        if self.labels_created:
            out.append(_("  labels created: {n}").format(n=self.labels_created))
        if self.pending_resolved:
            out.append(_("  waiting associations now linked: {n}").format(n=self.pending_resolved))
        if self.pending_added:
            out.append(
                _(
                    "  associations waiting for records not imported yet: {n} "
                    "(they link when those records are imported)"
                ).format(n=self.pending_added)
            )
        if self.properties_created:
            out.append(
                _("  properties created: {n} ({names})").format(
                    n=len(self.properties_created), names=", ".join(self.properties_created)
                )
            )
        out.append(_("  rows rejected: {n}").format(n=counts(self.rejected)))
        return out


class _RowState:
    """What one row did, applied to the summary and caches only when the row is accepted."""

    __slots__ = (
        "n",
        "cache",
        "forget",
        "touched",
        "warnings",
        "links",
        "created_ids",
        "records",
        "pending_new",
        "pending_keys",
        "pending_gone",
        "sources",
        "names",
        "checks",
        "pending_log",
        "lines",
        "props",
    )

    def __init__(self) -> None:
        # counters: "assoc_created", ("created", type), ...
        self.n: dict[Any, int] = {}
        self.cache: list[tuple[tuple, int]] = []
        self.forget: list[tuple] = []
        self.touched: list[int] = []
        self.warnings: list[str] = []
        self.links: list[bulk.Link] = []
        self.props: dict[int, tuple[str, dict[str, str]]] = {}  # new records: name, values
        self.created_ids: list[int] = []
        # batched path only: what the row writes once accepted
        self.records: list[tuple] = []  # bulk.record_row rows
        self.pending_new: list[tuple] = []  # pending_link rows
        self.pending_keys: list[tuple[int, str, str]] = []
        self.pending_gone: list[int] = []  # pending_link ids resolved
        self.sources: list[tuple] = []  # source_key rows (record, type, system, key, import)
        self.names: list[tuple[tuple[int, str], int]] = []  # ((type id, name key), new record)
        self.checks: list[str] = []  # names that do not match the ids beside them
        self.pending_log: list[tuple] = []  # imported_record rows of earlier links made
        self.lines: list[Line] = []  # the match report's lines of the row

    def add(self, key: Any, amount: int = 1) -> None:
        self.n[key] = self.n.get(key, 0) + amount


@dataclass
class _File:
    path: str
    headers: list[str]
    mapping: hdr.Mapping
    values: list[hdr.Column] = field(default_factory=list)  # properties and Record IDs
    by_ids: list[hdr.Column] = field(default_factory=list)  # id, REF, primary and label columns
    by_keys: list[hdr.Column] = field(default_factory=list)  # name and [key] columns
    row_labels: list[hdr.Column] = field(default_factory=list)
    ref: hdr.Column | None = None
    database: hdr.Column | None = None

    def __post_init__(self) -> None:
        for column in self.mapping.columns:
            if column.kind in (hdr.PROPERTY, hdr.RECORD_ID):
                self.values.append(column)
            elif column.kind == hdr.RECORD_REF:
                self.ref = column
            elif column.kind == hdr.DATABASE:
                self.database = column
            elif column.kind in (
                hdr.ASSOC_IDS,
                hdr.ASSOC_PRIMARY,
                hdr.ASSOC_REFS,
                hdr.ASSOC_REFS_PRIMARY,
                hdr.ASSOC_LABELS,
                hdr.PARENT_ID,
            ):
                self.by_ids.append(column)
            elif column.kind in (hdr.ASSOC_NAMES, hdr.ASSOC_BY):
                self.by_keys.append(column)
            elif column.kind == hdr.ROW_LABEL:
                self.row_labels.append(column)


class Importer:
    def __init__(
        self,
        *,
        mode: str = "upsert",
        create_labels: bool = False,
        dry_run: bool = False,
        errors: str | None = None,
        progress: Callable[[int], None] | None = None,
        source: str = "",
        overrides: hdr.Overrides | None = None,
        report: str | None = None,
        collect_report: bool = False,
    ) -> None:
        if mode not in MODES:
            raise InvalidValue(_("--mode must be one of {modes}").format(modes=", ".join(MODES)))
        self.mode = mode
        self.overrides = overrides or hdr.Overrides()
        self.system = source.strip()
        if self.system.startswith(identity.ROLODEX_PREFIX):
            raise InvalidValue(_("--source names another system, not a Rolodex database"))
        self.create_labels = create_labels
        self.dry_run = dry_run
        self.import_id = new_batch("import")
        self.ctx = Context(IMPORT, batch=self.import_id)
        self.summary = Summary(self.import_id, dry_run=dry_run)
        self.errors = ErrorFile(errors)
        self.report = Report(report) if (report or collect_report) else None
        self.progress = progress
        self._attempts = 0
        self._reset()

    def _reset(self) -> None:
        """The state of one attempt (a write transaction retried whole starts anew)."""
        self.summary = Summary(self.import_id, dry_run=self.dry_run, files=self.summary.files)
        self._cache: dict[tuple, int] = {}
        self._main_touched = IdBits()
        self._pending_possible = False
        self._row: _RowState = _RowState()
        self._types: dict[str, int] = {}
        self._queue: list[bulk.Link] = []
        # records created and not written yet: name and values (a later row may match them)
        self._new_props: dict[int, tuple[str, dict[str, str]]] = {}
        self._seen: dict[int, tuple[str, dict[str, str]]] = {}  # existing records read
        self._cleaned: dict[tuple[int, str, str], str] = {}  # values of second records
        # (target object, record object, word) -> (label id, target is its from record,
        # it reads the same both ways)
        self._label_words: dict[tuple[str, str, str], tuple[int, bool, bool]] = {}
        self._created_log: list[int] = []
        self._queue_mode = False  # True: the batched path (the row writes nothing itself)
        self._ids = bulk.RecordIds()
        self._now: Any = None
        self._new_records: list[tuple] = []  # accepted, not written yet
        self._pending_new: list[tuple] = []
        self._pending_gone: list[int] = []
        self._pending_keys: set[tuple[int, str, str]] = set()
        self._limited: set[tuple[int, int]] = set()
        self._absent: set[tuple] = set()  # keys the last prefetch found no record for
        # (target type, record type, word) -> (the label's other word, word is its name),
        # from the labels column: how --create-labels defines a label it has to create
        self._label_defs: dict[tuple[str, str, str], tuple[str, bool]] = {}
        self._this_db: str | None = None
        self._sources_new: list[tuple] = []
        self._own: dict[int, int] = {}  # this database's record id (a REF) -> live record
        # (type id, case-folded name) -> the live records so named (cached, new ones included)
        self._names: dict[tuple[int, str], tuple[int, ...]] = {}
        self._unwritten_names: dict[tuple[int, str], list[int]] = {}  # new, not cached
        self._name_checks: list[str] = []
        self._name_mismatches = 0
        self._where: tuple[str, int] = ("", 0)
        self._pending_log: list[tuple] = []  # imported_record rows: earlier waiting links used
        self._created = IdBits()  # records this import created
        self.summary.report = self.report

    # ------------------------------------------------------------ running

    def run(self, paths: Iterable[str]) -> Summary:
        paths = list(paths)
        self.summary.files = paths
        if not paths:
            raise ImportFileError(_("no file to import"))
        self.errors.start(paths)
        if self.report is not None:
            self.report.start()
        ok = False
        try:
            with contextlib.suppress(_Rollback):
                writes(self._attempt)(paths)
            ok = True
        finally:
            labels_mod.invalidate()  # labels created by a rolled-back row or dry run are gone
            self.summary.error_files = self.errors.finish(keep=ok and bool(self.summary.rejected))
            if self.report is not None:
                self.report.finish(keep=ok)
        return self.summary

    def _attempt(self, paths: list[str]) -> None:
        """The whole import, in one write transaction (a dry run ends rolling it back)."""
        self._attempts += 1
        if self._attempts > 1:  # a retry: what the failed attempt read and wrote is gone
            self.errors.finish(keep=False)
            self.errors.start(paths)
            if self.report is not None:
                self.report.restart()
            labels_mod.invalidate()
            objects.invalidate()
        self._reset()
        self._run(paths)
        if self.dry_run:
            raise _Rollback

    def _run(self, paths: list[str]) -> None:
        for type_id, kind, key in (
            PendingLink.select(PendingLink.target_type_id, PendingLink.kind, PendingLink.key)
            .tuples()
            .iterator()
        ):
            self._pending_keys.add((int(type_id), kind, key))
        self._pending_possible = bool(self._pending_keys)
        self._this_db = identity.this_database()
        self._limited = bulk.limited_pairs()
        for info in objects.all_types():
            self._types[info.key] = info.id
        Import.create(
            id=self.import_id,
            actor=self.ctx.actor,
            files=json.dumps([str(p) for p in paths], ensure_ascii=False),
        )
        for path in paths:
            self._import_file(path)
            self._flush()
        if self._name_mismatches:
            self.summary.warnings.append(
                _("{n} names did not match the ids beside them (the ids were used):").format(
                    n=self._name_mismatches
                )
            )
            self.summary.warnings.extend("  " + line for line in self._name_checks)
        Import.update(summary=json.dumps(self.summary.as_dict())).where(
            Import.id == self.import_id
        ).execute()

    def _import_file(self, path: str) -> None:
        with open_table(path) as table:
            self.summary.warnings.extend(table.warnings)
            mapping, rows = mapping_of(table, path, self.overrides)
            self.summary.warnings.extend(mapping.notes)
            self.summary.mappings[path] = [(c.header, c.describe()) for c in mapping.columns]
            self.summary.columns[path] = mapping.columns
            self._create_properties(mapping)
            file = _File(path, table.headers, mapping)
            chunk: list[tuple[int, list[str], RowProblem | None]] = []
            for item in rows:
                chunk.append(item)
                if len(chunk) >= PREFETCH:
                    self._rows(file, chunk)
                    chunk = []
            self._rows(file, chunk)

    # ------------------------------------------------------------ the match report

    def _note(self, what: str, outcome: str, **values: Any) -> Line | None:
        """A line of the match report for the current row (when one is kept)."""
        if self.report is None:
            return None
        path, number = self._where
        line = Line(path, number, what, outcome, **values)
        self._row.lines.append(line)
        return line

    def _shown(self, type_key: str, record_id: int) -> str:
        """A record as the report names it: its REF, or "new TYPE" for one this import creates."""
        if record_id in self._created or record_id in self._row.created_ids:
            return _("new {type}").format(type=type_key)
        return records.ref_of(type_key, record_id)

    @staticmethod
    def _by(kind: str, key: Any) -> tuple[str, str]:
        """How a record was found, for the report: (matched by, key)."""
        if kind == "id":
            return "REF", str(key)
        if kind == "source":
            system, value = key if isinstance(key, tuple) else ("", key)
            if system.startswith(identity.ROLODEX_PREFIX):
                return "Rolodex REF", value
            return "Record ID", value
        return kind, str(key)

    def _create_properties(self, mapping: hdr.Mapping) -> None:
        """The properties the mapping keeps that the objects do not have yet."""
        for column in mapping.new_properties:
            assert column.object and column.prop
            info = objects.by_key(column.object)
            if info.property(column.prop) is not None:
                continue  # an earlier file of this import created it
            objects.add_property(
                column.object,
                column.prop,
                column.new_label or column.header.strip(),
                column.new_kind,
            )
            ImportedRecord.create(
                import_id=self.import_id,
                record_id=info.id,
                action="property",
                before=json.dumps({"object": column.object, "property": column.prop}),
            )
            self.summary.properties_created.append(f"{column.object}.{column.prop}")

    def _rows(self, file: _File, chunk: list[tuple[int, list[str], RowProblem | None]]) -> None:
        if not chunk:
            return
        self._prefetch(file, [cells for _number, cells, problem in chunk if problem is None])
        self._now = bulk.stamp()  # creation time of this chunk's new records
        for number, cells, problem in chunk:
            self.summary.rows += 1
            if problem is not None:
                self._row = _RowState()
                self._reject(file, number, cells, problem)
            else:
                self._one_row(file, number, cells)
            if self.progress is not None:
                self.progress(self.summary.rows)

    def _row_database(self, file: _File, cells: list[str]) -> str | None:
        """The other Rolodex database a row's REFs come from; None for this database."""
        if file.database is None:
            return None
        value = unneutralise(cells[file.database.index]).strip()
        if not value or value == self._this_db:
            return None
        return value

    def _ref_key(self, database: str | None, ref_id: int) -> tuple[str, Any]:
        """A REF as a lookup: this database's record ("id"), or an id of another database."""
        if database is None:
            return "id", ref_id
        return "source", (identity.rolodex_system(database), str(ref_id))

    def _prefetch(self, file: _File, rows: list[list[str]]) -> None:
        """Look up the ids, REFs, emails and domains of the next rows in a few queries:
        what exists goes to the cache, what does not is remembered as absent."""
        self._absent = set()
        keys: dict[tuple[int, str], set[str]] = {}  # (type id, system) -> ids
        own: set[int] = set()
        emails: set[str] = set()
        domains: set[str] = set()

        def items_of(cell: str) -> Iterable[str]:
            if ";" in cell or "\\" in cell or cell[0] == "'":
                return split_list(unneutralise(cell))
            return (cell.strip(),)

        ref_columns = [
            c
            for c in file.by_ids
            if c.kind in (hdr.ASSOC_REFS, hdr.ASSOC_REFS_PRIMARY, hdr.PARENT_ID)
        ]
        if file.ref is not None:
            ref_columns.append(file.ref)
        for column in file.values + file.by_ids:
            if column.object is None:
                continue
            if column.kind in (hdr.RECORD_ID, hdr.ASSOC_IDS, hdr.ASSOC_PRIMARY, hdr.PARENT_ID):
                bucket = keys.setdefault((self._type_id(column.object), self.system), set())
                index = column.index
                for cells in rows:
                    if cells[index]:
                        bucket.update(item for item in items_of(cells[index]) if item)
            elif column.kind == hdr.PROPERTY and (column.object, column.prop) in (
                (objects.CONTACT, "email"),
                (objects.COMPANY, "domain"),
            ):
                info = objects.by_key(column.object)
                target = emails if column.prop == "email" else domains
                for cells in rows:
                    value = unneutralise(cells[column.index]).strip()
                    if value:
                        try:
                            target.add(objects.clean_value(info, column.prop or "", value))
                        except RolodexError:
                            continue
        for column in ref_columns:
            if column.object is None:
                continue
            type_id = self._type_id(column.object)
            for cells in rows:
                if not cells[column.index]:
                    continue
                database = self._row_database(file, cells)
                for item in items_of(cells[column.index]):
                    ref = identity.parse_ref(item)
                    if ref is None:
                        continue
                    kind, key = self._ref_key(database, ref[1])
                    if kind == "id":
                        own.add(ref[1])
                    else:
                        keys.setdefault((type_id, key[0]), set()).add(key[1])
        self._prefetch_own(own)
        for (type_id, system), wanted in keys.items():
            wanted = {k for k in wanted if ("source", type_id, system, k) not in self._cache}
            found = self._source_rows(type_id, system, sorted(wanted))
            for key in wanted:
                rid = found.get(key)
                if rid is None:
                    self._absent.add(("source", type_id, system, key))
                elif rid:
                    self._cache[("source", type_id, system, key)] = rid
        names: dict[int, set[str]] = {}
        for column in file.by_keys:
            if column.object is None or column.kind not in (hdr.ASSOC_NAMES, hdr.ASSOC_BY):
                continue
            if column.kind == hdr.ASSOC_BY and column.prop != "name":
                continue
            type_id = self._type_id(column.object)
            for cells in rows:
                if not cells[column.index]:
                    continue
                for item in items_of(cells[column.index]):
                    try:
                        kind, key = (
                            self._name_entry(column.object, unescape(item))
                            if column.kind == hdr.ASSOC_NAMES
                            else ("name", unescape(item))
                        )
                    except RolodexError:
                        continue
                    if kind == "name":
                        names.setdefault(type_id, set()).add(key.casefold())
                    elif kind == "email":
                        emails.add(key)
                    elif kind == "domain":
                        domains.add(key)
        self._prefetch_names(names)
        for kind, values in (("email", emails), ("domain", domains)):
            wanted = {v for v in values if (kind, v) not in self._cache}
            hits: dict[str, list[int]] = {}
            for part in _chunks(sorted(wanted)):
                # Live records filtered here: "deleted_at IS NULL" in SQL makes SQLite
                # pick the deleted_at index and scan every live record.
                for rid, value, deleted, merged in sorted(
                    bulk.rows_for_keys(
                        "record",
                        ("id", kind, "deleted_at", "merged_into_id"),
                        (kind,),
                        ("text",),
                        [(value,) for value in part],
                    )
                ):
                    if deleted is None and merged is None:
                        hits.setdefault(value, []).append(int(rid))
            for value in wanted:
                ids = hits.get(value)
                if not ids:
                    self._absent.add((kind, value))
                elif kind == "email" or len(ids) == 1:
                    self._cache[(kind, value)] = ids[0]

    def _source_rows(self, type_id: int, system: str, wanted: list[str]) -> dict[str, int]:
        """The live record of each id of ``system`` (0 when only deleted or merged ones have it)."""
        found: dict[str, int] = {}
        holders: dict[int, list[str]] = {}
        for part in _chunks(wanted):
            for key, rid in bulk.rows_for_keys(
                "source_key",
                ("key", "record_id"),
                ("key",),
                ("text",),
                [(key,) for key in part],
                "object_type_id = ? AND system = ?",
                (type_id, system),
            ):
                holders.setdefault(int(rid), []).append(key)
        live: set[int] = set()
        for part in _chunks([str(rid) for rid in sorted(holders)]):
            for rid, deleted, merged in bulk.rows_for_keys(
                "record",
                ("id", "deleted_at", "merged_into_id"),
                ("id",),
                ("bigint",),
                [(int(rid),) for rid in part],
            ):
                if deleted is None and merged is None:
                    live.add(int(rid))
        for rid in sorted(holders):
            for key in holders[rid]:
                if rid in live:
                    found.setdefault(key, rid)
        for keys_of in holders.values():
            for key in keys_of:
                found.setdefault(key, 0)  # only deleted or merged: by_source follows merges
        return found

    def _prefetch_own(self, wanted: set[int]) -> None:
        wanted = {rid for rid in wanted if rid not in self._own}
        for part in _chunks([str(rid) for rid in sorted(wanted)]):
            for rid, type_id, deleted, merged in bulk.rows_for_keys(
                "record",
                ("id", "object_type_id", "deleted_at", "merged_into_id"),
                ("id",),
                ("bigint",),
                [(int(rid),) for rid in part],
            ):
                if deleted is None and merged is None:
                    self._own[int(rid)] = int(type_id)

    def _flush(self) -> None:
        """Write what accepted rows of the batched path left aside: new records, the
        created-records log, waiting links and plain associations. Never inside a row's
        savepoint (a rejected row would take them along)."""
        unlinked: set[int] = set()
        if self._new_records:
            rows, self._new_records = self._new_records, []
            bulk.insert_records(rows)
            # Their links are all in this flush's queue: none exist yet.
            unlinked = {row[0] for row in rows}
        self._unwritten_names.clear()  # written: a query finds them
        if self._sources_new:
            sources, self._sources_new = self._sources_new, []
            bulk.insert_many(SOURCE_INSERT, sources)
        if self._pending_gone:
            gone, self._pending_gone = self._pending_gone, []
            for start in range(0, len(gone), 400):
                part = gone[start : start + 400]
                marks = ", ".join(["?"] * len(part))
                bulk.execute(f"DELETE FROM pending_link WHERE id IN ({marks})", part)
        if self._pending_new:
            pending, self._pending_new = self._pending_new, []
            bulk.insert_many(
                'INSERT INTO pending_link (record_id, target_type_id, kind, key, labels, "primary",'
                " import_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                pending,
            )
        if self._created_log:
            log, self._created_log = self._created_log, []
            bulk.insert_many(
                "INSERT INTO imported_record (import_id, record_id, action) VALUES (?, ?, ?)",
                [(self.import_id, rid, "created") for rid in log],
            )
        if self._pending_log:
            used, self._pending_log = self._pending_log, []
            bulk.insert_many(
                "INSERT INTO imported_record (import_id, record_id, action, before)"
                " VALUES (?, ?, ?, ?)",
                used,
            )
        self._new_props.clear()
        existed: set[tuple[int, int]] = set()
        if self._queue:
            queue, self._queue = self._queue, []
            linked = bulk.link_many(
                queue, self.ctx, unlinked, existed if self.report is not None else None
            )
            self.summary.associations_created += linked.created
            self.summary.associations_updated += linked.updated
            self.summary.labels_applied += linked.labels_added
        if self.report is not None:
            self.report.settle(existed)

    def _one_row(self, file: _File, number: int, cells: list[str]) -> None:
        # The batched path: the row writes nothing, so a rejection needs no undo.
        self._where = (file.path, number)
        self._row = _RowState()
        self._queue_mode = True
        try:
            self._apply_row(file, cells)
        except _NeedsRules:
            pass
        except RolodexError as exc:
            self._reject(file, number, cells, exc)
            return
        else:
            self._accept()
            return
        # The full rules, in a savepoint, after everything accepted so far is written.
        self._flush()
        self._row = _RowState()
        self._queue_mode = False
        try:
            with savepoint():
                self._apply_row(file, cells)
        except RolodexError as exc:
            self._reject(file, number, cells, exc)
            return
        self._accept()

    def _written(self, record_id: int | None = None) -> None:
        """Before reading what the batched path may have left aside: write it first
        (only ``record_id``'s batch when given). The current row's own records are
        never in it, and no savepoint is open on that path."""
        if not self._queue_mode:
            return  # the rules path flushed before its savepoint
        if record_id is not None:
            if any(row[0] == record_id for row in self._row.records):
                raise _NeedsRules  # created by this very row
            if not self._new_records or record_id < self._new_records[0][0]:
                return
        if (
            self._new_records
            or self._pending_gone
            or self._pending_new
            or self._queue
            or self._sources_new
        ):
            self._flush()

    def _reject(self, file: _File, number: int, cells: list[str], exc: RolodexError) -> None:
        if isinstance(exc, ImportFileError):
            raise
        if self._row.n.get("labels_created"):
            labels_mod.invalidate()
        code = getattr(exc, "code", "INVALID_VALUE")
        message = str(exc)
        self.summary.rejected[code] += 1
        if self.summary.first_rejection is None:
            self.summary.first_rejection = _("{file}, row {row}: {code}: {message}").format(
                file=file.path, row=number, code=code, message=message
            )
        self.errors.write(file.path, file.headers, number, cells, code, message)
        if self.report is not None:
            self.report.add([Line(file.path, number, "row", REJECTED, detail=f"{code}: {message}")])

    def _accept(self) -> None:
        row = self._row
        summary = self.summary
        summary.accepted += 1
        self._created.update(row.created_ids)
        if self.report is not None and row.lines:
            self.report.add(row.lines)
        for key, amount in row.n.items():
            if isinstance(key, tuple):
                getattr(summary, key[0])[key[1]] += amount
            else:
                setattr(summary, key, getattr(summary, key) + amount)
        if row.warnings:
            summary.warnings.extend(row.warnings)
        if row.records:
            self._new_records.extend(row.records)
        if row.pending_new:
            self._pending_new.extend(row.pending_new)
            self._pending_keys.update(row.pending_keys)
            self._pending_possible = True
        if row.pending_gone:
            self._pending_gone.extend(row.pending_gone)
        if row.sources:
            self._sources_new.extend(row.sources)
        if row.pending_log:
            self._pending_log.extend(row.pending_log)
        for key, rid in row.names:
            if key in self._names:
                self._names[key] += (rid,)
            else:
                self._unwritten_names.setdefault(key, []).append(rid)
        if row.checks:
            self._name_mismatches += len(row.checks)
            self._name_checks.extend(row.checks[: max(0, 5 - len(self._name_checks))])
        if (
            len(self._cache) > CACHE_LIMIT
            or len(self._names) > CACHE_LIMIT
            or len(self._seen) > CACHE_LIMIT
            or len(self._cleaned) > CACHE_LIMIT
        ):
            # Records not written yet are found through the cache: write them first.
            self._flush()
            self._cache.clear()
            self._names.clear()
            self._seen.clear()
            self._cleaned.clear()
        for key in row.forget:
            self._cache.pop(key, None)
        for key, value in row.cache:
            self._cache[key] = value
            self._absent.discard(key)
        for rid in row.touched:
            self._main_touched.add(rid)
        self._created_log.extend(row.created_ids)
        if row.links:
            self._queue.extend(row.links)
        if row.props:
            self._new_props.update(row.props)
        if (
            len(self._queue) >= FLUSH_EVERY
            or len(self._created_log) >= FLUSH_EVERY
            or len(self._new_records) >= FLUSH_EVERY
            or len(self._pending_new) + len(self._pending_gone) >= FLUSH_EVERY
        ):
            self._flush()

    # ------------------------------------------------------------ one row

    def _apply_row(self, file: _File, cells: list[str]) -> None:
        mapping = file.mapping
        props: dict[str, dict[str, str]] = {g: {} for g in mapping.groups}
        keys: dict[str, list[Identity]] = {g: [] for g in mapping.groups}
        own: int | None = None
        database = self._row_database(file, cells)
        for column in file.values:
            value = cells[column.index]
            if not value:
                continue
            if value[0] == "'":
                value = unneutralise(value)
            value = value.strip()
            if not value:
                continue
            if column.kind == hdr.PROPERTY and column.object and column.prop:
                props[column.object][column.prop] = value
            elif column.kind == hdr.RECORD_ID and column.object:
                keys[column.object].append(
                    (self.system, identity.check_source_id(column.header, value))
                )
        if file.ref is not None:
            text = unneutralise(cells[file.ref.index]).strip()
            if text:
                ref = identity.parse_ref(text)
                if ref is None or ref[0] != mapping.main:
                    raise InvalidReference(
                        _("'{header}': '{value}' is not the REF of a {type}").format(
                            header=file.ref.header.strip(), value=text, type=mapping.main
                        )
                    )
                kind, key = self._ref_key(database, ref[1])
                if kind == "id":
                    own = key
                else:
                    keys[mapping.main].insert(0, key)
        ids: dict[str, int] = {}
        for index, group in enumerate(mapping.groups):
            rid = self._upsert(
                group,
                props[group],
                keys[group],
                own if index == 0 else None,
                main=index == 0,
                single=len(mapping.groups) == 1,
            )
            if rid is not None:
                ids[group] = rid
        main_id = ids.get(mapping.main)
        if main_id is None:
            has_links = any(
                cells[c.index].strip()
                for c in mapping.columns
                if c.kind not in (hdr.PROPERTY, hdr.RECORD_ID, hdr.IGNORED)
            )
            if has_links or ids:
                raise InvalidValue(
                    _("the row has no {object}: give at least one of its properties").format(
                        object=mapping.main
                    )
                )
            raise InvalidValue(_("the row has no values"))
        # Records on one row are associated with each other; the label column labels them.
        row_labels: list[str] = []
        for column in file.row_labels:
            row_labels += [unescape(w) for w in split_list(unneutralise(cells[column.index]))]
        others = [g for g in mapping.groups[1:] if g in ids]
        for position, group in enumerate(others):
            self._link_row_pair(
                main_id, mapping.main, ids[group], group, row_labels if position == 0 else []
            )
        if row_labels and not others:
            raise InvalidValue(_("'Association label' needs a second record on the row to label"))
        self._association_columns(file, cells, main_id, mapping.main, database)

    # ------------------------------------------------------------ records

    def _type_id(self, type_key: str) -> int:
        found = self._types.get(type_key)
        if found is None:
            found = self._types[type_key] = objects.by_key(type_key).id
        return found

    def _lookup(self, key: tuple, query: Callable[[], int | None]) -> int | None:
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        for k, v in self._row.cache:
            if k == key:
                return v
        if key in self._absent:
            return None
        found = query()
        if found is not None:
            self._row.cache.append((key, found))
        return found

    def by_source(self, type_key: str, system: str, key: str) -> int | None:
        """The live record another system knows as ``key`` (following merges), or None."""
        type_id = self._type_id(type_key)

        def query() -> int | None:
            rows = raw.fetchall(
                "SELECT r.id, r.deleted_at, r.merged_into_id FROM source_key s"
                " JOIN record r ON r.id = s.record_id"
                " WHERE s.object_type_id = ? AND s.system = ? AND s.key = ? ORDER BY s.id",
                (type_id, system, key),
            )
            live = [r for r in rows if r[1] is None and r[2] is None]
            if live:
                return int(live[0][0])
            merged = [r for r in rows if r[2] is not None]
            if merged:
                try:
                    return records.get(merged[0][0]).id
                except (NotFound, Deleted):
                    return None
            return None

        return self._lookup(("source", type_id, system, key), query)

    def by_id(self, type_key: str, record_id: int) -> int:
        """This database's record named by a REF (following merges); it must exist."""
        type_id = self._type_id(type_key)
        if self._own.get(record_id) == type_id:
            return record_id
        try:
            view = records.get(record_id)
        except NotFound as exc:
            raise NotFound(
                _("{ref} does not exist in this database").format(
                    ref=records.ref_of(type_key, record_id)
                )
            ) from exc
        if view.type != type_key:
            raise NotFound(
                _("{ref} does not exist (id {id} is a {type})").format(
                    ref=records.ref_of(type_key, record_id), id=record_id, type=view.type
                )
            )
        return view.id

    def by_email(self, email: str) -> int | None:
        def query() -> int | None:
            found = raw.fetchone(
                "SELECT id FROM record WHERE email = ? AND deleted_at IS NULL"
                " AND merged_into_id IS NULL ORDER BY id LIMIT 1",
                (email,),
            )
            return int(found[0]) if found else None

        return self._lookup(("email", email), query)

    def by_domain(self, domain: str) -> int | None:
        def query() -> int | None:
            rows = [
                r[0]
                for r in raw.fetchall(
                    "SELECT id FROM record WHERE domain = ? AND deleted_at IS NULL"
                    " AND merged_into_id IS NULL ORDER BY id LIMIT 6",
                    (domain,),
                )
            ]
            if len(rows) > 1:
                refs = ", ".join(records.ref_of("company", r) for r in rows[:5])
                raise AmbiguousReference(
                    _("several companies have the domain {domain}: {refs}").format(
                        domain=domain, refs=refs
                    )
                )
            return int(rows[0]) if rows else None

        return self._lookup(("domain", domain), query)

    def _named(self, type_id: int, name_key: str) -> list[int]:
        """The live records of the object so named: this import's new ones included, the
        current row's too."""
        key = (type_id, name_key)
        ids = self._names.get(key)
        if ids is None:
            found = [
                int(r[0])
                for r in raw.fetchall(
                    "SELECT id FROM record WHERE object_type_id = ? AND name_key = ?"
                    " AND deleted_at IS NULL AND merged_into_id IS NULL ORDER BY id LIMIT 6",
                    (type_id, name_key),
                )
            ]
            ids = self._names[key] = tuple(found + self._unwritten_names.get(key, []))
        mine = [rid for k, rid in self._row.names if k == key]
        return [*ids, *mine] if mine else list(ids)

    def by_name(self, type_key: str, name: str) -> int | None:
        type_id = self._type_id(type_key)
        rows = self._named(type_id, name.casefold())
        if len(rows) > 1:
            refs = ", ".join(records.ref_of(type_key, r) for r in rows[:5])
            if type_key == objects.COMPANY:
                raise AmbiguousReference(
                    _("several companies are named '{name}': {refs}").format(name=name, refs=refs)
                )
            raise InvalidReference(
                _("several {type} records are named '{name}': {refs}").format(
                    type=type_key, name=name, refs=refs
                )
            )
        return rows[0] if rows else None

    def _prefetch_names(self, wanted: dict[int, set[str]]) -> None:
        """Which records have the names the next rows give (one query per object)."""
        for type_id, names in wanted.items():
            keys = sorted(n for n in names if (type_id, n) not in self._names)
            found: dict[str, list[int]] = {}
            for part in _chunks(keys):
                for rid, name_key, deleted, merged in sorted(
                    bulk.rows_for_keys(
                        "record",
                        ("id", "name_key", "deleted_at", "merged_into_id"),
                        ("name_key",),
                        ("text",),
                        [(k,) for k in part],
                        "object_type_id = ?",
                        (type_id,),
                    )
                ):
                    if deleted is None and merged is None:
                        found.setdefault(name_key, []).append(int(rid))
            for name_key in keys:
                key = (type_id, name_key)
                self._names[key] = tuple(
                    found.get(name_key, [])[:6] + self._unwritten_names.get(key, [])
                )

    def _upsert(
        self,
        type_key: str,
        values: dict[str, str],
        keys: list[Identity],
        own: int | None,
        *,
        main: bool,
        single: bool,
    ) -> int | None:
        """The row's record of ``type_key``: found by its REF, its ids, email, domain (or, for a
        second record on the row with none of those, its name), changed to the row's values;
        or created. None when the row holds nothing of it."""
        info = objects.by_key(type_key)
        if main:
            cleaned = {k: objects.clean_value(info, k, v) for k, v in values.items()}
        else:  # the same company on many rows: its values are cleaned once
            memo = self._cleaned
            cleaned = {}
            for k, v in values.items():
                value = memo.get((info.id, k, v))
                if value is None:
                    value = memo[(info.id, k, v)] = objects.clean_value(info, k, v)
                cleaned[k] = value
        cleaned = {k: v for k, v in cleaned.items() if v != ""}
        if not cleaned and not keys and own is None:
            return None
        existing = self.by_id(type_key, own) if own is not None else None
        how = self._by("id", records.ref_of(type_key, own)) if own is not None else None
        unknown: list[Identity] = []
        for system, key in keys:
            found = self.by_source(type_key, system, key)
            if found is None:
                unknown.append((system, key))
            elif existing is None:
                existing = found
                how = self._by("source", (system, key))
            elif found != existing:
                raise InvalidReference(
                    _("the id {key} belongs to {other}, but the row names {ref}").format(
                        key=key,
                        other=records.ref_of(type_key, found),
                        ref=records.ref_of(type_key, existing),
                    )
                )
        email = cleaned.get("email") if type_key == objects.CONTACT else None
        domain = cleaned.get("domain") if type_key == objects.COMPANY else None
        if existing is None and email:
            existing = self.by_email(email)
            how = ("email", email)
        if existing is None and domain:
            existing = self.by_domain(domain)
            how = ("domain", domain)
        if existing is None and not main and not keys and not email and not domain:
            name = objects.display_name(info, cleaned)
            if name:
                existing = self.by_name(type_key, name)
                how = ("name", name)
        if existing is not None and main and single and existing in self._main_touched:
            raise DuplicateRecord(
                _("{ref} already appears on an earlier row of this import").format(
                    ref=records.ref_of(type_key, existing)
                )
            )
        if existing is not None:
            if self.mode == "create" and main:
                raise DuplicateRecord(
                    _("{ref} already exists (--mode create only adds new records)").format(
                        ref=records.ref_of(type_key, existing)
                    )
                )
            view = self._snapshot(existing)
            if self.mode != "create" or main:
                changes = {k: v for k, v in cleaned.items() if view[2].get(k, "") != v}
                if changes and self._queue_mode:
                    raise _NeedsRules  # changing a record: the rules, in a savepoint
                if changes:
                    self._written(existing)
                    self._seen.pop(view[0], None)
                    updated = records.update(view[0], changes)
                    ImportedRecord.create(
                        import_id=self.import_id,
                        record_id=view[0],
                        action="updated",
                        before=json.dumps(
                            {
                                "properties": {k: view[2].get(k, "") for k in changes},
                                "after": {k: updated.properties.get(k, "") for k in changes},
                                "version": updated.version,
                            },
                            ensure_ascii=False,
                        ),
                    )
                    for name in {view[1], updated.name}:
                        self._names.pop((info.id, name.casefold()), None)
                    self._row.add(("updated", type_key))
                    for kind in ("email", "domain"):
                        if kind in changes and (kind == "email") == (type_key == objects.CONTACT):
                            old_value = view[2].get(kind)
                            if old_value:
                                self._row.forget.append((kind, old_value))
                            self._row.cache.append(((kind, changes[kind]), view[0]))
                else:
                    self._row.add(("unchanged", type_key))
                self._add_keys(view[0], info.id, unknown)
                if self.report is not None and how is not None:
                    self._note(
                        type_key,
                        UPDATE if changes else UNCHANGED,
                        record=self._shown(type_key, view[0]),
                        name=view[1],
                        matched_by=how[0],
                        key=how[1],
                        detail="; ".join(
                            f"{k}: '{view[2].get(k, '')}' -> '{v}'"
                            for k, v in sorted(changes.items())
                        ),
                    )
            if main and single:
                self._row.touched.append(view[0])
            self._resolve_pending(view[0], type_key, keys, email, domain, view[1].casefold())
            return view[0]
        if self.mode == "update":
            raise NotFound(
                _(
                    "no {type} matches this row (--mode update changes existing records only)"
                ).format(type=type_key)
            )
        if not cleaned:
            raise NoProperties(
                _(
                    "no {type} has this id, and the row has none of its properties to "
                    "create one from"
                ).format(type=type_key)
            )
        new_id = self._ids.take()
        row = bulk.record_row(
            new_id,
            type_key,
            cleaned,
            email_checked=email is not None,
            cleaned=True,
            now=self._now,
        )
        if self._queue_mode:
            self._row.records.append(row)
            self._row.props[new_id] = (row[2], cleaned)
        else:
            bulk.insert_records([row])
        name_key = row[3]  # as bulk.record_row names it
        if name_key:
            self._row.names.append(((info.id, name_key), new_id))
        self._row.created_ids.append(new_id)
        self._row.add(("created", type_key))
        self._add_keys(new_id, info.id, keys, new=True)
        if self.report is not None:
            known = (
                self._by("source", keys[0])
                if keys
                else ("email", email)
                if email
                else (("domain", domain) if domain else ("", ""))
            )
            self._note(
                type_key,
                CREATE,
                record=self._shown(type_key, new_id),
                name=row[2],
                matched_by=known[0],
                key=known[1] or "",
            )
        if email:
            self._row.cache.append((("email", email), new_id))
        if domain:
            self._row.cache.append((("domain", domain), new_id))
        if main and single:
            self._row.touched.append(new_id)
        self._resolve_pending(new_id, type_key, keys, email, domain, name_key)
        return new_id

    def _snapshot(self, record_id: int) -> tuple[int, str, dict[str, str]]:
        """A live record's (id, name, properties), without writing the batch: this import's
        new records are known, others are read."""
        for new_id, (name, props) in self._row.props.items():
            if new_id == record_id:
                return record_id, name, props
        known = self._new_props.get(record_id) or self._seen.get(record_id)
        if known is not None:
            return record_id, known[0], known[1]
        row = raw.fetchone(
            "SELECT name, properties, deleted_at, merged_into_id FROM record WHERE id = ?",
            (record_id,),
        )
        if row is not None and row[2] is None and row[3] is None:
            props = json.loads(row[1] or "{}")
            self._seen[record_id] = (row[0], props)  # a record many rows match: read once
            return record_id, row[0], props
        self._written(record_id)
        view = records.get(record_id)
        return view.id, view.name, view.properties

    def _add_keys(
        self, record_id: int, type_id: int, keys: list[Identity], *, new: bool = False
    ) -> None:
        """Give the record the ids the row knows it by (an existing record only those of
        systems it has no id in yet)."""
        for system, key in keys:
            if not new and (
                SourceKey.select()
                .where((SourceKey.record_id == record_id) & (SourceKey.system == system))
                .exists()
            ):
                continue
            source = (record_id, type_id, system, key, self.import_id)
            if self._queue_mode:
                self._row.sources.append(source)
            else:
                bulk.insert_many(SOURCE_INSERT, [source])
            self._row.cache.append((("source", type_id, system, key), record_id))

    # ------------------------------------------------------------ associations

    def _ensure_labels(self, src_type: str, dst_type: str, words: list[str]) -> None:
        """ "src is dst's WORD" must resolve; with --create-labels an unknown word becomes a label."""
        for word in words:
            try:
                labels_mod.resolve(src_type, dst_type, word)
            except LabelNotFound:
                if not self.create_labels:
                    raise
                other, word_is_name = self._label_defs.get(
                    (src_type, dst_type, word.casefold()), (None, True)
                )
                if word_is_name or other is None:
                    created = labels_mod.create(src_type, dst_type, word, inverse=other)
                else:  # the word is the inverse of a label from the record to the target
                    created = labels_mod.create(dst_type, src_type, other, inverse=word)
                ImportedRecord.create(
                    import_id=self.import_id, record_id=created.id, action="label"
                )
                self._row.add("labels_created", 1)

    def _label_count(self, x: int, y: int) -> int:
        a, b = sorted((x, y))
        return (
            AssociationLabel.select()
            .join(Association)
            .where((Association.a == a) & (Association.b == b))
            .count()
        )

    def _count(self, change: associations.Change) -> None:
        if change.created:
            self._row.add("associations_created", 1)
        elif change.changed:
            self._row.add("associations_updated", 1)

    def link(
        self,
        record_id: int,
        record_type: str,
        target_id: int,
        target_type: str,
        words: list[str],
        primary: bool,
    ) -> str:
        """The target is the record's WORDS; with ``primary`` it becomes the record's primary.
        Returns the report's outcome: linked (or changed), linked already, or LINK when the
        batch decides it (a plain link queued)."""
        words = [w for w in words if w.strip()]
        if self._queue_mode:
            labels = NO_LABELS
            if words:
                a_is_record = record_id < target_id
                labels = frozenset(
                    (label_id, True if symmetric else record_is_from == a_is_record)
                    for label_id, record_is_from, symmetric in (
                        self._stored_label(target_type, record_type, word) for word in words
                    )
                )
            if primary and not objects.by_key(record_type).has_primary_company:
                raise InvalidValue(_("a {type} has no primary company").format(type=record_type))
            if any(hierarchy.hierarchical_label(label_id) for label_id, _f in labels):
                raise _NeedsRules  # a hierarchy's rules: one parent, no cycle
            self._queue_link(record_id, record_type, target_id, target_type, labels, primary)
            return LINK
        changed = False
        if words:
            self._ensure_labels(target_type, record_type, words)
            before = self._label_count(record_id, target_id)
        if primary:
            first = associations.associate(record_id, target_id, self.ctx, primary=True)
            self._count(first)
            changed = first.changed
        if words or not primary:
            change = associations.associate(target_id, record_id, self.ctx, words)
            if primary and change.changed and not change.created:
                pass  # counted once above
            else:
                self._count(change)
            changed = changed or change.changed
            if words:
                self._row.add("labels_applied", self._label_count(record_id, target_id) - before)
        return LINK if changed else LINKED

    def _link_detail(self, words: list[str], primary: bool) -> str:
        detail = "; ".join(w for w in words if w.strip())
        if primary:
            detail = (detail + "; " if detail else "") + _("primary")
        return detail

    def _note_link(
        self,
        record_id: int,
        record_type: str,
        target: int,
        target_type: str,
        outcome: str,
        how: tuple[str, str],
        words: list[str],
        primary: bool,
    ) -> None:
        if self.report is None:
            return
        self._note(
            "association",
            outcome,
            record=self._shown(record_type, record_id),
            matched_by=how[0],
            key=how[1],
            other=self._shown(target_type, target),
            detail=self._link_detail(words, primary),
            pair=(min(record_id, target), max(record_id, target)) if self._queue_mode else None,
        )

    def _stored_label(
        self, target_type: str, record_type: str, word: str
    ) -> tuple[int, bool, bool]:
        """ "The target is the record's WORD" for the batch: (label id, the record is its
        from record, the label reads the same both ways). An unknown word raises
        LabelNotFound (or, to create it, goes to the rules)."""
        key = (target_type, record_type, word.strip().casefold())
        found = self._label_words.get(key)
        if found is None:
            try:
                info, target_is_from = labels_mod.resolve(target_type, record_type, word)
            except LabelNotFound:
                if self.create_labels and self._queue_mode:
                    raise _NeedsRules from None  # the rules create it, in the row's savepoint
                raise
            symmetric = info.inverse is None and info.from_type == info.to_type
            found = self._label_words[key] = (info.id, not target_is_from, symmetric)
        return found

    def _queue_link(
        self,
        x: int,
        x_type: str,
        y: int,
        y_type: str,
        labels: frozenset[tuple[int, bool]] = frozenset(),
        primary: bool = False,
    ) -> None:
        """Batch a link (y is x's, with labels; with ``primary`` y becomes x's primary);
        one whose objects have a limit goes through the rules."""
        x_type_id, y_type_id = self._type_id(x_type), self._type_id(y_type)
        if (x_type_id, y_type_id) in self._limited or (y_type_id, x_type_id) in self._limited:
            raise _NeedsRules
        self._row.links.append(bulk.Link(x, x_type_id, y, y_type_id, labels, primary))

    def _link_row_pair(
        self, main_id: int, main_type: str, other_id: int, other_type: str, words: list[str]
    ) -> None:
        """Records side by side on a row: "main is other's WORD" (or the other way round)."""
        if main_id == other_id:
            return
        same_row = ("same row", "")
        if not words:
            if self._queue_mode:
                self._queue_link(main_id, main_type, other_id, other_type)
                self._note_link(main_id, main_type, other_id, other_type, LINK, same_row, [], False)
                return
            change = associations.associate(main_id, other_id, self.ctx)
            self._count(change)
            outcome = LINK if change.changed else LINKED
            self._note_link(main_id, main_type, other_id, other_type, outcome, same_row, [], False)
            return
        try:
            for word in words:
                self._stored_label(main_type, other_type, word)
        except LabelNotFound:
            pass
        else:
            outcome = self.link(other_id, other_type, main_id, main_type, words, False)
            self._note_link(
                main_id, main_type, other_id, other_type, outcome, same_row, words, False
            )
            return
        try:
            for word in words:
                self._stored_label(other_type, main_type, word)
        except LabelNotFound:
            outcome = self.link(other_id, other_type, main_id, main_type, words, False)
        else:
            outcome = self.link(main_id, main_type, other_id, other_type, words, False)
        self._note_link(main_id, main_type, other_id, other_type, outcome, same_row, words, False)

    def _link_or_wait(
        self,
        record_id: int,
        record_type: str,
        target_type: str,
        kind: str,
        key: Any,
        words: list[str],
        primary: bool,
    ) -> int | None:
        """Link the record to the target named by ``kind`` and ``key`` (returned), or
        remember the link until the target is imported (None). ``key``: an identity for
        "source", a record id for "id" (a REF of this database: it must exist), else a text."""
        how = self._by(kind, records.ref_of(target_type, key) if kind == "id" else key)
        if kind == "id":
            target: int | None = self.by_id(target_type, key)
        elif kind == "source":
            target = self.by_source(target_type, *key)
            key = identity.pending_key(*key)
        elif kind == "email":
            target = self.by_email(key)
        elif kind == "domain":
            target = self.by_domain(key)
        else:
            target = self.by_name(target_type, key)
            key = key.casefold()  # waits for a record of that name, whatever its case
        if target is not None:
            if target != record_id:  # a record listed among its own associations: no link
                outcome = self.link(record_id, record_type, target, target_type, words, primary)
                self._note_link(
                    record_id, record_type, target, target_type, outcome, how, words, primary
                )
            return target
        self._note(
            "association",
            WAIT,
            record=self._shown(record_type, record_id),
            matched_by=how[0],
            key=how[1],
            other=_("a {type} not imported yet").format(type=target_type),
            detail=self._link_detail(words, primary),
        )
        if self._queue_mode:
            for word in words:
                self._stored_label(target_type, record_type, word)  # it must exist
            type_id = self._type_id(target_type)
            self._row.pending_new.append(
                (
                    record_id,
                    type_id,
                    kind,
                    key,
                    json.dumps(words, ensure_ascii=False),
                    primary,
                    self.import_id,
                )
            )
            self._row.pending_keys.append((type_id, kind, key))
            self._row.add("pending_added", 1)
            return None
        if words:
            self._ensure_labels(target_type, record_type, words)
        PendingLink.create(
            record_id=record_id,
            target_type_id=self._type_id(target_type),
            kind=kind,
            key=key,
            labels=json.dumps(words, ensure_ascii=False),
            primary=primary,
            import_id=self.import_id,
        )
        self._pending_possible = True
        self._pending_keys.add((self._type_id(target_type), kind, key))
        self._row.add("pending_added", 1)
        return None

    def _ref_item(self, column: hdr.Column, item: str, database: str | None) -> tuple[str, Any]:
        """A REF in an association column (``company:5``, or just ``5``) as a lookup."""
        text = unescape(item).strip()
        ref = identity.parse_ref(text)
        if ref is None and ID_RE.match(text):
            ref = (column.object or "", int(text))
        if ref is None or ref[0] != column.object:
            raise InvalidReference(
                _("'{header}': '{value}' is not the REF of a {type}").format(
                    header=column.header.strip(), value=text, type=column.object
                )
            )
        return self._ref_key(database, ref[1])

    def _association_columns(
        self,
        file: _File,
        cells: list[str],
        record_id: int,
        record_type: str,
        database: str | None,
    ) -> None:
        # (target type, kind, key) -> [words, primary]; kind "source" (key: an identity)
        # or "id" (key: this database's record id, from a REF)
        by_id: dict[tuple[str, str, Any], list[Any]] = {}
        parent: tuple[str, str, Any] | None = None  # the entry of the parent company column
        for column in file.by_ids:
            raw = cells[column.index]
            if not raw or column.object is None:
                continue
            raw = unneutralise(raw).strip()
            target = column.object
            if column.kind == hdr.PARENT_ID:
                if not raw:
                    continue
                kind, key = self._parent_item(column, raw, database)
                parent = (target, kind, key)
                entry = by_id.setdefault(parent, [[], False])
                entry[0].append(parents.required_label().name)
            elif column.kind in (hdr.ASSOC_IDS, hdr.ASSOC_PRIMARY):
                for item in split_list(raw):
                    sid = identity.check_source_id(column.header, unescape(item))
                    entry = by_id.setdefault((target, "source", (self.system, sid)), [[], False])
                    if column.kind == hdr.ASSOC_PRIMARY:
                        entry[1] = True
            elif column.kind in (hdr.ASSOC_REFS, hdr.ASSOC_REFS_PRIMARY):
                for item in split_list(raw):
                    kind, key = self._ref_item(column, item, database)
                    entry = by_id.setdefault((target, kind, key), [[], False])
                    if column.kind == hdr.ASSOC_REFS_PRIMARY:
                        entry[1] = True
            elif column.kind == hdr.ASSOC_LABELS:
                for item in split_list(raw):
                    ref_entry = REF_ENTRY_RE.match(item)
                    if ref_entry and ref_entry.group(1) == target:
                        kind, key = self._ref_key(database, int(ref_entry.group(2)))
                        text = ref_entry.group(3)
                    else:
                        parts = split_first(item, ":", keep_escapes=True)
                        if parts is None:
                            raise InvalidValue(
                                _("'{header}': '{item}' is not 'ID: label'").format(
                                    header=column.header.strip(), item=unescape(item)
                                )
                            )
                        kind = "source"
                        key = (
                            self.system,
                            identity.check_source_id(column.header, unescape(parts[0])),
                        )
                        text = parts[1]
                    entry = by_id.setdefault((target, kind, key), [[], False])
                    word, other, word_is_name = parse_label_entry(text)
                    if word:
                        entry[0].append(word)
                        if other:
                            self._label_defs[(target, record_type, word.casefold())] = (
                                other,
                                word_is_name,
                            )
        # Per target object: the records the id columns linked (None once one is waiting).
        linked: dict[str, set[int] | None] = {}
        for (target, kind, key), (words, primary) in by_id.items():
            if primary and target != objects.COMPANY:
                raise InvalidValue(
                    _("only a company can be a primary: {header}").format(header=target)
                )
            if (target, kind, key) == parent:  # its labels column may say it too
                words = list({w.casefold(): w for w in words}.values())
            found = self._link_or_wait(record_id, record_type, target, kind, key, words, primary)
            if (target, kind, key) == parent:
                self._check_parent(record_id, found)
            seen = linked.setdefault(target, set())
            if found is None or seen is None:
                linked[target] = None
            else:
                seen.add(found)
        for column in file.by_keys:
            raw = cells[column.index]
            if not raw or column.object is None:
                continue
            raw = unneutralise(raw).strip()
            for item in split_list(raw):
                if column.kind == hdr.ASSOC_NAMES:
                    kind, key = self._name_entry(column.object, unescape(item))
                else:
                    kind, key = self._keyed(column, unescape(item))
                if column.object in linked:
                    # The ids beside it win: the name is only checked against them.
                    self._check_name(column, item, kind, key, linked[column.object])
                    continue
                self._link_or_wait(record_id, record_type, column.object, kind, key, [], False)

    def _parent_item(self, column: hdr.Column, raw: str, database: str | None) -> tuple[str, Any]:
        """The parent company a cell names: a REF (a Rolodex export), else an id of the
        file's system."""
        items = split_list(raw)
        if len(items) > 1:
            raise InvalidValue(
                _("'{header}': a company has one parent company, the cell names {n}").format(
                    header=column.header.strip(), n=len(items)
                )
            )
        text = unescape(items[0]).strip()
        ref = identity.parse_ref(text)
        if ref is not None and ref[0] == objects.COMPANY:
            return self._ref_key(database, ref[1])
        return "source", (self.system, identity.check_source_id(column.header, text))

    def _check_parent(self, record_id: int, parent: int | None) -> None:
        """A company is not its own parent; one waiting for a parent not imported yet has
        no other parent (linked, the hierarchy's rules checked that)."""
        label = parents.required_label()
        if parent == record_id:
            raise HierarchyConflict(
                _("{company} cannot be its own {label}").format(
                    company=self._company_named(record_id), label=label.name
                )
            )
        if parent is None and record_id not in self._row.created_ids:
            others = hierarchy.parents_of(record_id, label)
            if others:
                raise HierarchyConflict(
                    _(
                        "{child} already has a {label}: {parent} (one at most: remove that "
                        "label first)"
                    ).format(
                        child=self._company_named(record_id),
                        label=label.name,
                        parent=self._company_named(others[0]),
                    )
                )

    def _company_named(self, record_id: int) -> str:
        """A company as a rejection names it: its name and REF."""
        ref = records.ref_of(objects.COMPANY, record_id)
        name = self._snapshot(record_id)[1]
        return f"{name} ({ref})" if name else ref

    def _check_name(
        self, column: hdr.Column, item: str, kind: str, key: Any, linked: set[int] | None
    ) -> None:
        """Note a name that is none of the records the id columns of its row linked."""
        if linked is None or column.object is None:
            return  # some of them are not imported yet: nothing to compare with
        try:
            if kind == "name":
                candidates = set(self._named(self._type_id(column.object), key.casefold()))
            elif kind == "email":
                candidates = {self.by_email(key) or 0}
            elif kind == "domain":
                candidates = {self.by_domain(key) or 0}
            elif kind == "source":
                candidates = {self.by_source(column.object, *key) or 0}
            else:
                return
        except RolodexError:
            candidates = set()
        if candidates & linked:
            return
        path, number = self._where
        self._row.checks.append(
            _(
                "{file}, row {row}: '{header}' names '{name}', which is not one of the records "
                "its ids name; the ids were used"
            ).format(
                file=path, row=number, header=column.header.strip(), name=unescape(item).strip()
            )
        )

    def _keyed(self, column: hdr.Column, value: str) -> tuple[str, Any]:
        kind = column.prop or "name"
        info = objects.by_key(column.object or "")
        if kind == "email":
            if "email" not in {p.key for p in info.properties}:
                raise InvalidValue(_("{type} records have no email").format(type=column.object))
            return "email", objects.clean_value(info, "email", value)
        if kind == "domain":
            if "domain" not in {p.key for p in info.properties}:
                raise InvalidValue(_("{type} records have no domain").format(type=column.object))
            return "domain", objects.clean_value(info, "domain", value)
        if kind == "source":
            return "source", (self.system, identity.check_source_id(column.header, value))
        return "name", value

    def _name_entry(self, target: str, item: str) -> tuple[str, Any]:
        """'Name (key)': the key in brackets names the record (email, domain or Record ID)."""
        match = NAME_KEY_RE.match(item)
        if match:
            key = match.group(2).strip()
            if "@" in key and target == objects.CONTACT:
                return "email", objects.clean_value(objects.by_key(target), "email", key)
            if ID_RE.match(key):
                return "source", (self.system, key)
            if DOMAIN_LIKE.match(key) and target == objects.COMPANY:
                return "domain", objects.normalise_domain(key)
            return "name", match.group(1).strip() or key
        return "name", item

    # ------------------------------------------------------------ waiting links

    def _queue_pending(self, links: list[PendingLink], record_id: int, type_key: str) -> None:
        """Waiting links to live records join the batch."""
        ids = sorted({int(link.record_id) for link in links})
        live: dict[int, int] = {}
        for part in _chunks([str(i) for i in ids]):
            marks = ", ".join(["?"] * len(part))
            for rid, type_id in raw.fetchall(
                f"SELECT id, object_type_id FROM record WHERE id IN ({marks})"
                " AND deleted_at IS NULL AND merged_into_id IS NULL",
                [int(i) for i in part],
            ):
                live[int(rid)] = int(type_id)
        if len(live) != len(ids):
            raise _NeedsRules  # merged or deleted since: the rules follow or drop them
        for link in links:
            if int(link.record_id) == record_id:
                continue
            source_type = objects.by_id(live[int(link.record_id)]).key
            self.link(
                int(link.record_id),
                source_type,
                record_id,
                type_key,
                json.loads(link.labels or "[]"),
                bool(link.primary),
            )
            self._row.add("pending_resolved", 1)
            self._note_link(
                int(link.record_id),
                source_type,
                record_id,
                type_key,
                LINK,
                ("waiting link", link.key.replace("\x1f", " ")),
                [],
                False,
            )
        self._row.pending_gone.extend(int(link.id) for link in links)
        for link in links:
            if link.import_id != self.import_id:
                entry = self._pending_entry(link, record_id)
                self._row.pending_log.append(
                    (entry["import_id"], entry["record_id"], entry["action"], entry["before"])
                )

    def _pending_entry(self, link: PendingLink, target: int) -> dict[str, Any]:
        """The log of an earlier import's waiting link this one made: a revert brings it back."""
        return {
            "import_id": self.import_id,
            "record_id": int(link.record_id),
            "action": "pending",
            "before": json.dumps(
                {
                    "target_type_id": int(link.target_type_id),
                    "kind": link.kind,
                    "key": link.key,
                    "labels": link.labels,
                    "primary": bool(link.primary),
                    "import_id": link.import_id,
                    "target": target,
                },
                ensure_ascii=False,
            ),
        }

    def _resolve_pending(
        self,
        record_id: int,
        type_key: str,
        keys: list[Identity],
        email: str | None,
        domain: str | None,
        name_key: str | None = None,
    ) -> None:
        if not self._pending_possible:
            return
        type_id = self._type_id(type_key)
        condition = None
        wanted = [("source", identity.pending_key(*key)) for key in keys]
        for kind, key in [*wanted, ("email", email), ("domain", domain), ("name", name_key)]:
            if not key or (type_id, kind, key) not in self._pending_keys:
                continue
            part = (PendingLink.kind == kind) & (PendingLink.key == key)
            condition = part if condition is None else (condition | part)
        if condition is None:
            return
        self._written()
        links = list(
            PendingLink.select()
            .where((PendingLink.target_type_id == type_id) & condition)
            .order_by(PendingLink.id)
        )
        if not links:
            return
        if self._queue_mode:
            self._queue_pending(links, record_id, type_key)
            return
        for link in links:
            PendingLink.delete().where(PendingLink.id == link.id).execute()
            if link.import_id != self.import_id:
                ImportedRecord.create(**self._pending_entry(link, record_id))
            try:
                with savepoint():
                    source = records.get(link.record_id)
                    if source.id == record_id:
                        continue
                    words = json.loads(link.labels or "[]")
                    outcome = self.link(
                        source.id, source.type, record_id, type_key, words, bool(link.primary)
                    )
                    self._note_link(
                        source.id,
                        source.type,
                        record_id,
                        type_key,
                        outcome,
                        ("waiting link", link.key.replace("\x1f", " ")),
                        words,
                        bool(link.primary),
                    )
                self._row.add("pending_resolved", 1)
            except RolodexError as exc:
                self._row.warnings.append(
                    _("the waiting association {a} - {b} was dropped: {error}").format(
                        a=records.ref_of("record", link.record_id),
                        b=records.ref_of(type_key, record_id),
                        error=exc,
                    )
                )


def run_import(
    paths: list[str],
    *,
    mode: str = "upsert",
    create_labels: bool = False,
    dry_run: bool = False,
    errors: str | None = None,
    progress: Callable[[int], None] | None = None,
    source: str = "",
    overrides: hdr.Overrides | None = None,
    report: str | None = None,
    collect_report: bool = False,
) -> Summary:
    """Import files in one transaction; raise ImportFileError (nothing written) on a bad file.
    ``report``: a CSV file for every match (rolodex.io.report); ``collect_report``: keep
    its first lines in the summary (the TUI's table)."""
    importer = Importer(
        mode=mode,
        create_labels=create_labels,
        dry_run=dry_run,
        errors=errors,
        progress=progress,
        source=source,
        overrides=overrides,
        report=report,
        collect_report=collect_report,
    )
    return importer.run(paths)


def mapping_of(
    table: Table, path: str, overrides: hdr.Overrides | None = None
) -> tuple[hdr.Mapping, Iterator[tuple[int, list[str], RowProblem | None]]]:
    """How a table's columns are understood (its first row may say which object it holds:
    a REF, an error file's source file), and its rows, that first one included."""
    rows = iter(table.rows)
    first = next(rows, None)
    hint = hdr.content_hint(table.headers, first[1] if first else None)
    mapping = hdr.map_headers(table.headers, path, overrides, hint=hint)
    return mapping, itertools.chain([first] if first else [], rows)


def read_mapping(
    path: str, overrides: hdr.Overrides | None = None
) -> tuple[hdr.Mapping, list[str]]:
    """A file's mapping and the notes on reading it, for a preview; ImportFileError when
    the file cannot be read."""
    with open_table(path) as table:
        mapping, _rows = mapping_of(table, path, overrides)
        return mapping, table.warnings + mapping.notes


def preview(
    path: str, overrides: hdr.Overrides | None = None
) -> tuple[list[tuple[str, str]], list[str]]:
    """How each header of a file is understood (header, meaning), and notes: for a mapping
    preview before importing. Raises ImportFileError when the file cannot be read."""
    mapping, notes = read_mapping(path, overrides)
    return [(c.header, c.describe()) for c in mapping.columns], notes
