"""Undo an import without losing what was done since.

What the import added goes and what it changed comes back, only where nobody changed
it since; everything touched later is kept and listed, per record and field:

- associations: those it made are removed, those it changed get their earlier labels
  and primary back, unless the pair has history after the import (someone changed it
  since: kept as it is now);
- records it created go to the recycle bin (their associations removed first, with
  source Import), unless changed, associated, merged or deleted since;
- properties it changed get their earlier values back where they still hold what the
  import wrote;
- labels and properties it defined go when nothing uses them; its waiting links go, the
  earlier imports' waiting links it made into associations come back.

One write transaction: stopped (the progress callback raising) or failed, it leaves
the database as it was. History rows are only added (source Import, batch
``IMPORT-revert``). Time is linear in the size of the import: every step reads and
writes in chunks through the indexes.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rolodex.crm import bulk, bulk_undo, objects, records
from rolodex.crm import labels as labels_mod
from rolodex.crm.context import IMPORT, Context
from rolodex.crm.errors import InvalidValue, NotFound, RolodexError
from rolodex.crm.state import AssociationState
from rolodex.i18n import _
from rolodex.io.idbits import IdBits
from rolodex.io.models import ImportedRecord, PendingLink, SourceKey
from rolodex.store import raw
from rolodex.store.database import is_postgres
from rolodex.store.models import Import, utcnow
from rolodex.store.transactions import writes

CHUNK = bulk.CHUNK
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Kept:
    """Something later work touched, left as it is now."""

    ref: str
    what: str  # a field, an association (the other record's REF), or the record itself
    detail: str

    def line(self) -> str:
        return f"    {self.ref}: {self.what}: {self.detail}"


@dataclass
class RevertSummary:
    import_id: str
    associations_removed: int = 0
    associations_restored: int = 0
    records_deleted: int = 0
    records_restored: int = 0
    labels_deleted: int = 0
    properties_deleted: int = 0
    waiting_restored: int = 0
    kept: list[Kept] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            _("Reverted import {id}").format(id=self.import_id),
            _("  associations removed: {n}").format(n=self.associations_removed),
            _("  associations restored: {n}").format(n=self.associations_restored),
            _("  records moved to the recycle bin: {n}").format(n=self.records_deleted),
            _("  records restored to their earlier values: {n}").format(n=self.records_restored),
            _("  labels it created, deleted: {n}").format(n=self.labels_deleted),
        ]
        if self.properties_deleted:
            out.append(_("  properties it created, deleted: {n}").format(n=self.properties_deleted))
        if self.waiting_restored:
            out.append(
                _("  waiting associations of earlier imports back: {n}").format(
                    n=self.waiting_restored
                )
            )
        if self.kept:
            out.append(
                _("  kept as they are, changed after the import: {n}").format(n=len(self.kept))
            )
            out.extend(k.line() for k in self.kept)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "associations_removed": self.associations_removed,
            "associations_restored": self.associations_restored,
            "records_deleted": self.records_deleted,
            "records_restored": self.records_restored,
            "labels_deleted": self.labels_deleted,
            "properties_deleted": self.properties_deleted,
            "kept": len(self.kept),
        }


def _marks(values: list[Any]) -> str:
    return ", ".join(["?"] * len(values))


class _Revert:
    def __init__(self, row: Import, progress: Progress | None) -> None:
        self.row = row
        self.import_id = row.id
        self.ctx = Context(IMPORT, batch=f"{row.id}-revert")
        self.summary = RevertSummary(row.id)
        self.progress = progress
        self.done = 0
        self.total = 0
        self.holders = IdBits()  # records whose primary company may need a successor
        self.created = IdBits()

    def step(self, amount: int = 1) -> None:
        self.done += amount
        if self.progress is not None:
            self.progress(self.done, self.total)

    def ref(self, record_id: int) -> str:
        row = raw.fetchone("SELECT object_type_id FROM record WHERE id = ?", (record_id,))
        type_key = objects.by_id(int(row[0])).key if row else "record"
        return records.ref_of(type_key, record_id)

    # ------------------------------------------------------------ what the import did

    def pairs(self) -> tuple[array, array, array, array]:
        """Every pair the import's history names: a, b, its first and last row there."""
        a_ids, b_ids, firsts, lasts = array("q"), array("q"), array("q"), array("q")
        for a, b, first, last in raw.cursor(
            "SELECT a_id, b_id, MIN(id), MAX(id) FROM history WHERE batch = ?"
            " GROUP BY a_id, b_id ORDER BY MIN(id)",
            (self.import_id,),
        ):
            a_ids.append(int(a))
            b_ids.append(int(b))
            firsts.append(int(first))
            lasts.append(int(last))
        return a_ids, b_ids, firsts, lasts

    def ids_of(self, action: str) -> array:
        found = array("q")
        for (rid,) in raw.cursor(
            "SELECT record_id FROM imported_record WHERE import_id = ? AND action = ? ORDER BY id",
            (self.import_id, action),
        ):
            found.append(int(rid))
        return found

    def count(self, action: str) -> int:
        row = raw.fetchone(
            "SELECT COUNT(*) FROM imported_record WHERE import_id = ? AND action = ?",
            (self.import_id, action),
        )
        return int(row[0]) if row else 0

    # ------------------------------------------------------------ associations

    def _touched_since(self, chunk: list[tuple[int, int, int]]) -> set[tuple[int, int]]:
        """The pairs (a, b, after) with a history row after ``after``: changed since."""
        if is_postgres():
            rows = raw.fetchall(
                "SELECT DISTINCT k.a, k.b FROM unnest(?::bigint[], ?::bigint[], ?::bigint[])"
                " AS k(a, b, after) WHERE EXISTS (SELECT 1 FROM history h WHERE h.a_id = k.a"
                " AND h.b_id = k.b AND h.id > k.after)",
                [[c[0] for c in chunk], [c[1] for c in chunk], [c[2] for c in chunk]],
            )
        else:
            values = ", ".join(["(?, ?, ?)"] * len(chunk))
            rows = raw.fetchall(
                f"WITH k(a, b, after) AS (VALUES {values}) SELECT DISTINCT k.a, k.b FROM k"
                " WHERE EXISTS (SELECT 1 FROM history h WHERE h.a_id = k.a AND h.b_id = k.b"
                " AND h.id > k.after)",
                [v for c in chunk for v in c],
            )
        return {(int(a), int(b)) for a, b in rows}

    def _before(self, chunk: list[tuple[int, int, int]]) -> dict[tuple[int, int], AssociationState]:
        """Each pair's state before the import: its last history row before ``first``
        (missing when it had none, or when that row is its removal)."""
        if is_postgres():
            found = raw.fetchall(
                "SELECT (SELECT MAX(h.id) FROM history h WHERE h.a_id = k.a AND h.b_id = k.b"
                " AND h.id < k.first) FROM unnest(?::bigint[], ?::bigint[], ?::bigint[])"
                " AS k(a, b, first)",
                [[c[0] for c in chunk], [c[1] for c in chunk], [c[2] for c in chunk]],
            )
        else:
            values = ", ".join(["(?, ?, ?)"] * len(chunk))
            found = raw.fetchall(
                f"WITH k(a, b, first) AS (VALUES {values}) SELECT (SELECT MAX(h.id) FROM history"
                " h WHERE h.a_id = k.a AND h.b_id = k.b AND h.id < k.first) FROM k",
                [v for c in chunk for v in c],
            )
        ids = [int(r[0]) for r in found if r[0] is not None]
        states: dict[tuple[int, int], AssociationState] = {}
        if not ids:
            return states
        for a, b, a_type, b_type, action, labels, apb, bpa in raw.fetchall(
            "SELECT a_id, b_id, a_type_id, b_type_id, action, labels, a_primary_b, b_primary_a"
            f" FROM history WHERE id IN ({_marks(ids)})",
            ids,
        ):
            if action == "removed":
                continue
            states[(int(a), int(b))] = AssociationState(
                int(a),
                int(b),
                int(a_type),
                int(b_type),
                AssociationState.parse_labels(labels),
                bool(apb),
                bool(bpa),
            )
        return states

    def associations(self) -> None:
        a_ids, b_ids, firsts, lasts = self.pairs()
        count = len(a_ids)
        self.total += 2 * count
        first_actions: dict[int, str] = {}
        restore = bytearray(count)  # 1: the import changed it, nobody since: give it back
        # Pass 1, before writing anything: what changed since; remove what the import made.
        for start in range(0, count, CHUNK):
            end = min(start + CHUNK, count)
            chunk = [(a_ids[i], b_ids[i], lasts[i]) for i in range(start, end)]
            since = self._touched_since(chunk)
            ids = [firsts[i] for i in range(start, end)]
            first_actions = {
                int(i): action
                for i, action in raw.fetchall(
                    f"SELECT id, action FROM history WHERE id IN ({_marks(ids)})", ids
                )
            }
            current = bulk_undo.associations_of([(a, b) for a, b, _l in chunk])
            removals = []
            for i in range(start, end):
                pair = (a_ids[i], b_ids[i])
                if pair in since:
                    self.summary.kept.append(
                        Kept(
                            self.ref(pair[0]),
                            self.ref(pair[1]),
                            _("the association was changed after the import"),
                        )
                    )
                elif pair not in current:
                    continue  # already gone (removed since would be history: see above)
                elif first_actions.get(firsts[i]) == "created":
                    removals.append(pair)
                else:
                    restore[i] = 1
            lost = bulk_undo.unlink(removals, self.ctx)
            self.summary.associations_removed += len(removals)
            self.holders.update(lost)
            self.step(end - start)
        # Pass 2: the associations the import changed get their earlier state back.
        for start in range(0, count, CHUNK):
            end = min(start + CHUNK, count)
            wanted = [i for i in range(start, end) if restore[i]]
            if wanted:
                before = self._before([(a_ids[i], b_ids[i], firsts[i]) for i in wanted])
                states = []
                for i in wanted:
                    pair = (a_ids[i], b_ids[i])
                    if pair in before:
                        states.append(before[pair])
                    else:
                        self.summary.kept.append(
                            Kept(
                                self.ref(pair[0]),
                                self.ref(pair[1]),
                                _("no earlier state in the history to give back"),
                            )
                        )
                refused = bulk_undo.set_states(states, self.ctx)
                self.summary.associations_restored += len(states)
                for state in states:
                    self.holders.update((state.a, state.b))
                for state in refused:
                    holder = state.a if state.a_primary_b else state.b
                    other = state.b if holder == state.a else state.a
                    self.summary.kept.append(
                        Kept(
                            self.ref(holder),
                            self.ref(other),
                            _("not made primary again: another company is its primary now"),
                        )
                    )
            self.step(end - start)

    # ------------------------------------------------------------ records

    def _import_versions(self) -> dict[int, int]:
        """The version the import left each record it created and then changed at."""
        versions: dict[int, int] = {}
        for rid, before in raw.fetchall(
            "SELECT u.record_id, u.before FROM imported_record u WHERE u.import_id = ?"
            " AND u.action = 'updated' AND EXISTS (SELECT 1 FROM imported_record c"
            " WHERE c.import_id = u.import_id AND c.action = 'created'"
            " AND c.record_id = u.record_id)",
            (self.import_id,),
        ):
            version = int(json.loads(before or "{}").get("version", 1))
            versions[int(rid)] = max(versions.get(int(rid), 1), version)
        return versions

    def created_records(self) -> None:
        created = self.ids_of("created")
        self.total += len(created)
        versions = self._import_versions()
        for start in range(0, len(created), CHUNK):
            part = list(created[start : start + CHUNK])
            self.created.update(part)
            rows = raw.fetchall(
                "SELECT id, object_type_id, version, deleted_at, merged_into_id FROM record"
                f" WHERE id IN ({_marks(part)})",
                part,
            )
            linked = {
                int(r[0])
                for r in raw.fetchall(
                    f"SELECT a_id FROM association WHERE a_id IN ({_marks(part)})"
                    f" UNION SELECT b_id FROM association WHERE b_id IN ({_marks(part)})",
                    [*part, *part],
                )
            }
            merged_into = {
                int(r[0])
                for r in raw.fetchall(
                    "SELECT merged_into_id FROM record WHERE merged_into_id IS NOT NULL"
                    f" AND merged_into_id IN ({_marks(part)})",
                    part,
                )
            }
            doomed = []
            for rid, type_id, version, deleted, merged in rows:
                rid = int(rid)
                ref = records.ref_of(objects.by_id(int(type_id)).key, rid)
                if merged is not None:
                    reason = _("merged into {ref} since").format(
                        ref=records.ref_of(objects.by_id(int(type_id)).key, int(merged))
                    )
                elif deleted is not None:
                    reason = _("moved to the recycle bin since")
                elif int(version) != versions.get(rid, 1):
                    reason = _("its properties were changed after the import")
                elif rid in linked:
                    reason = _("it was associated with other records after the import")
                elif rid in merged_into:
                    reason = _("other records were merged into it since")
                else:
                    doomed.append(rid)
                    continue
                self.summary.kept.append(Kept(ref, _("the record"), reason))
            self.holders.update(bulk_undo.to_recycle_bin(doomed, self.ctx))
            self.summary.records_deleted += len(doomed)
            PendingLink.delete().where(PendingLink.record_id.in_(part)).execute()
            self.step(len(part))

    def _updates(self) -> Iterator[tuple[int, dict[str, str], dict[str, str]]]:
        """Per record the import changed (not created): what each field held before it,
        and what the import wrote."""
        current: int | None = None
        before: dict[str, str] = {}
        after: dict[str, str] = {}
        for rid, text in raw.cursor(
            "SELECT record_id, before FROM imported_record WHERE import_id = ?"
            " AND action = 'updated' ORDER BY record_id, id",
            (self.import_id,),
        ):
            rid = int(rid)
            if rid != current:
                if current is not None:
                    yield current, before, after
                current, before, after = rid, {}, {}
            entry = json.loads(text or "{}")
            for key, value in entry.get("properties", {}).items():
                before.setdefault(key, value)  # the first change's "before" is the earliest
            after.update(entry.get("after", {}))
        if current is not None:
            yield current, before, after

    def updated_records(self) -> None:
        self.total += self.count("updated")
        batch: list[tuple[int, dict[str, str], dict[str, str]]] = []
        for item in self._updates():
            if item[0] in self.created:
                self.step()
                continue
            batch.append(item)
            if len(batch) >= CHUNK:
                self._restore(batch)
                batch = []
        self._restore(batch)

    def _restore(self, batch: list[tuple[int, dict[str, str], dict[str, str]]]) -> None:
        if not batch:
            return
        ids = [rid for rid, _b, _a in batch]
        rows = {
            int(r[0]): r
            for r in raw.fetchall(
                "SELECT id, object_type_id, properties, deleted_at, merged_into_id FROM record"
                f" WHERE id IN ({_marks(ids)})",
                ids,
            )
        }
        for rid, before, after in batch:
            self.step()
            row = rows.get(rid)
            if row is None:
                continue
            ref = records.ref_of(objects.by_id(int(row[1])).key, rid)
            if row[3] is not None or row[4] is not None:
                self.summary.kept.append(
                    Kept(ref, _("the record"), _("deleted or merged since; left as it is"))
                )
                continue
            now = json.loads(row[2] or "{}")
            changes = {}
            for key, written in after.items():
                value = now.get(key, "")
                if value == written:
                    changes[key] = before.get(key, "")
                else:
                    self.summary.kept.append(
                        Kept(
                            ref,
                            key,
                            _(
                                "changed after the import to '{now}' (the import wrote '{it}')"
                            ).format(now=value, it=written),
                        )
                    )
            if not changes:
                continue
            try:
                records.update(rid, changes)
            except RolodexError as exc:
                self.summary.kept.append(Kept(ref, ", ".join(sorted(changes)), str(exc)))
                continue
            self.summary.records_restored += 1

    # ------------------------------------------------------------ the rest

    def definitions(self) -> None:
        """Labels and properties the import defined go, when nothing uses them any more."""
        for (label_id,) in raw.fetchall(
            "SELECT record_id FROM imported_record WHERE import_id = ? AND action = 'label'",
            (self.import_id,),
        ):
            label = labels_mod.all_by_id().get(int(label_id))
            if label is None:
                continue
            try:
                labels_mod.delete(label.from_type, label.to_type, label.name)
            except RolodexError:
                self.summary.kept.append(
                    Kept(_("label"), label.name, _("used by associations made since"))
                )
                continue
            self.summary.labels_deleted += 1
        for (text,) in raw.fetchall(
            "SELECT before FROM imported_record WHERE import_id = ? AND action = 'property'",
            (self.import_id,),
        ):
            entry = json.loads(text or "{}")
            type_key, key = entry.get("object", ""), entry.get("property", "")
            try:
                info = objects.by_key(type_key)
            except NotFound:
                continue
            pattern = "%" + json.dumps(key) + ": %"
            # Records it created and put in the bin do not count: the property was theirs.
            used = raw.fetchone(
                "SELECT 1 FROM record WHERE object_type_id = ? AND properties LIKE ?"
                " AND (deleted_at IS NULL OR id NOT IN (SELECT record_id FROM imported_record"
                " WHERE import_id = ? AND action = 'created')) LIMIT 1",
                (info.id, pattern, self.import_id),
            )
            if used is not None:
                self.summary.kept.append(
                    Kept(
                        f"{type_key}.{key}",
                        _("the property"),
                        _("records still hold values for it"),
                    )
                )
                continue
            if info.property(key) is not None:
                objects.remove_property(type_key, key)
                self.summary.properties_deleted += 1

    def waiting_links(self) -> None:
        """Its own waiting links go; earlier imports' ones it linked come back when the
        association is gone again."""
        PendingLink.delete().where(PendingLink.import_id == self.import_id).execute()
        for rid, text in raw.fetchall(
            "SELECT record_id, before FROM imported_record WHERE import_id = ?"
            " AND action = 'pending'",
            (self.import_id,),
        ):
            entry = json.loads(text or "{}")
            a, b = sorted((int(rid), int(entry.get("target", 0))))
            if raw.fetchone("SELECT 1 FROM association WHERE a_id = ? AND b_id = ?", (a, b)):
                continue
            PendingLink.create(
                record_id=int(rid),
                target_type_id=entry["target_type_id"],
                kind=entry["kind"],
                key=entry["key"],
                labels=entry.get("labels") or "[]",
                primary=bool(entry.get("primary")),
                import_id=entry.get("import_id") or self.import_id,
            )
            self.summary.waiting_restored += 1
        # The ids it gave records that stay (those in the bin keep theirs, for a restore).
        SourceKey.delete().where(
            (SourceKey.import_id == self.import_id)
            & SourceKey.record_id.not_in(
                ImportedRecord.select(ImportedRecord.record_id).where(
                    (ImportedRecord.import_id == self.import_id)
                    & (ImportedRecord.action == "created")
                )
            )
        ).execute()

    def run(self) -> RevertSummary:
        self.total = 1
        self.associations()
        self.created_records()
        self.updated_records()
        bulk_undo.ensure_primaries(self.holders, self.ctx)
        self.definitions()
        self.waiting_links()
        summary = json.loads(self.row.summary or "{}")
        summary["revert"] = self.summary.as_dict()
        Import.update(reverted_at=utcnow(), summary=json.dumps(summary)).where(
            Import.id == self.import_id
        ).execute()
        labels_mod.invalidate()
        objects.invalidate()
        self.step()
        return self.summary


@writes
def revert_import(import_id: str, progress: Progress | None = None) -> RevertSummary:
    """Undo an import (see the module). ``progress(done, total)`` is called as it goes;
    raising from it stops the revert and leaves the database as it was."""
    row = Import.get_or_none(Import.id == import_id.strip())
    if row is None:
        raise NotFound(_("no import with id {id}").format(id=import_id))
    if row.reverted_at is not None:
        raise InvalidValue(
            _("import {id} was already reverted at {at}").format(
                id=import_id, at=row.reverted_at.isoformat(timespec="seconds")
            )
        )
    try:
        return _Revert(row, progress).run()
    finally:
        labels_mod.invalidate()
        objects.invalidate()


@dataclass(frozen=True)
class PastImport:
    id: str
    started_at: Any
    actor: str
    files: list[str]
    summary: dict[str, Any]
    reverted_at: Any

    def counts(self) -> dict[str, int]:
        summary = self.summary

        def total(key: str) -> int:
            value = summary.get(key, 0)
            return sum(value.values()) if isinstance(value, dict) else int(value or 0)

        return {
            "rows": total("rows"),
            "created": total("created"),
            "updated": total("updated"),
            "associations": total("associations_created"),
            "rejected": total("rejected"),
        }


def list_imports(limit: int = 500) -> list[PastImport]:
    """Imports, newest first, with what each did (and whether it was reverted)."""
    return [
        PastImport(
            row.id,
            row.started_at,
            row.actor,
            json.loads(row.files or "[]"),
            json.loads(row.summary or "{}"),
            row.reverted_at,
        )
        for row in Import.select().order_by(Import.started_at.desc(), Import.id).limit(limit)
    ]
