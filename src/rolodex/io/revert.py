"""Undo a whole import: its associations go (with history), records it created are deleted,
records it updated get their old values back. One transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass

from rolodex.crm import associations, objects, records
from rolodex.crm import labels as labels_mod
from rolodex.crm.context import IMPORT, Context
from rolodex.crm.errors import Deleted, InvalidValue, NeedsNewPrimary, NotFound
from rolodex.crm.state import AssociationState
from rolodex.i18n import _
from rolodex.io.models import ImportedRecord, PendingLink, SourceKey
from rolodex.store.models import (
    Association,
    AssociationLabel,
    History,
    Import,
    Label,
    Record,
    database,
    utcnow,
)


@dataclass
class RevertSummary:
    import_id: str
    associations_removed: int = 0
    associations_restored: int = 0
    records_deleted: int = 0
    records_restored: int = 0
    labels_deleted: int = 0

    def lines(self) -> list[str]:
        return [
            _("Reverted import {id}").format(id=self.import_id),
            _("  associations removed: {n}").format(n=self.associations_removed),
            _("  associations restored: {n}").format(n=self.associations_restored),
            _("  records deleted: {n}").format(n=self.records_deleted),
            _("  records restored to their earlier values: {n}").format(n=self.records_restored),
            _("  labels it created, deleted: {n}").format(n=self.labels_deleted),
        ]


def _dissociate(x: int, y: int, ctx: Context) -> bool:
    """Remove the association through the rules, naming a successor primary when one is needed."""
    new_primary = None
    for _attempt in range(3):
        try:
            associations.dissociate(x, y, ctx, new_primary=new_primary)
            return True
        except NeedsNewPrimary as exc:
            new_primary = exc.candidates[0]
        except (NotFound, Deleted):
            return False
    return False


def _words(state: AssociationState) -> list[str]:
    """The labels of a stored state as words for "a is b's WORD"."""
    names = labels_mod.all_by_id()
    out = []
    for label_id, a_is_from in state.labels:
        info = names.get(label_id)
        if info is None:
            continue
        out.append(info.name if a_is_from else (info.inverse or info.name))
    return out


def revert_import(import_id: str) -> RevertSummary:
    with database.atomic():
        row = Import.get_or_none(Import.id == import_id.strip())
        if row is None:
            raise NotFound(_("no import with id {id}").format(id=import_id))
        if row.reverted_at is not None:
            raise InvalidValue(
                _("import {id} was already reverted at {at}").format(
                    id=import_id, at=row.reverted_at.isoformat(timespec="seconds")
                )
            )
        ctx = Context(IMPORT, batch=f"{row.id}-revert")
        summary = RevertSummary(row.id)
        first = (
            History.select(History.id).where(History.batch == row.id).order_by(History.id).scalar()
        )
        pairs: list[tuple[int, int]] = []
        if first is not None:
            pairs = list(
                dict.fromkeys(
                    History.select(History.a_id, History.b_id)
                    .where(History.batch == row.id)
                    .order_by(History.id)
                    .tuples()
                )
            )
        restore_primary: list[tuple[int, int]] = []
        for a, b in pairs:
            prior = (
                History.select()
                .where((History.a_id == a) & (History.b_id == b) & (History.id < first))
                .order_by(History.id.desc())
                .first()
            )
            exists = Association.get_or_none((Association.a == a) & (Association.b == b))
            if prior is None or prior.action == "removed":
                if exists is not None and _dissociate(a, b, ctx):
                    summary.associations_removed += 1
                continue
            state = AssociationState(
                a=a,
                b=b,
                a_type=prior.a_type_id,
                b_type=prior.b_type_id,
                labels=AssociationState.parse_labels(prior.labels),
                a_primary_b=bool(prior.a_primary_b),
                b_primary_a=bool(prior.b_primary_a),
            )
            try:
                if exists is None:
                    associations.associate(a, b, ctx, _words(state))
                else:
                    associations.set_labels(a, b, ctx, _words(state))
            except (NotFound, Deleted):
                continue
            summary.associations_restored += 1
            if state.a_primary_b:
                restore_primary.append((a, b))
            if state.b_primary_a:
                restore_primary.append((b, a))
        for holder, company in restore_primary:
            try:
                associations.set_primary(holder, company, ctx)
            except (NotFound, Deleted, InvalidValue):
                continue
        logged = list(
            ImportedRecord.select()
            .where(ImportedRecord.import_id == row.id)
            .order_by(ImportedRecord.id.desc())
        )
        created = [r.record_id for r in logged if r.action == "created"]
        for entry in logged:
            if entry.action != "updated" or entry.record_id in created:
                continue
            before = json.loads(entry.before or "{}")
            try:
                current = records.get(entry.record_id)
            except (NotFound, Deleted):
                continue
            old = before.get("properties", {})
            changes = {k: old.get(k, "") for k in set(current.properties) | set(old)}
            changes = {k: v for k, v in changes.items() if current.properties.get(k, "") != v}
            if changes:
                records.update(current.id, changes)
            summary.records_restored += 1
        for record_id in created:
            others = [
                r[0] if r[0] != record_id else r[1]
                for r in Association.select(Association.a, Association.b)
                .where((Association.a == record_id) | (Association.b == record_id))
                .tuples()
            ]
            for other in others:
                _dissociate(record_id, other, ctx)
            PendingLink.delete().where(PendingLink.record_id == record_id).execute()
            Record.update(merged_into=None).where(Record.merged_into == record_id).execute()
            deleted = Record.delete().where(Record.id == record_id).execute()
            summary.records_deleted += deleted
        for entry in logged:
            if entry.action == "label" and not (
                AssociationLabel.select().where(AssociationLabel.label == entry.record_id).exists()
            ):
                Label.delete().where(Label.id == entry.record_id).execute()
                summary.labels_deleted += 1
        labels_mod.invalidate()
        PendingLink.delete().where(PendingLink.import_id == row.id).execute()
        SourceKey.delete().where(SourceKey.import_id == row.id).execute()
        Import.update(reverted_at=utcnow()).where(Import.id == row.id).execute()
        objects.invalidate()
        return summary
