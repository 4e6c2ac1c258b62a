"""Deleting into the recycle bin, restoring, merging and purging records.

Each changes associations and leaves history with its own source.
"""

from __future__ import annotations

import datetime as dt
import json

from rolodex.crm import associations, changes, hierarchy, history, objects, records
from rolodex.crm.associations import _ensure_primary, _find, _remove, _set_flag, _state
from rolodex.crm.context import (
    JOB,
    OBJECT_DELETED,
    OBJECT_MERGE,
    OBJECT_RESTORE,
    Context,
    new_batch,
)
from rolodex.crm.errors import DuplicateRecord, HierarchyConflict, InvalidValue
from rolodex.crm.records import RecordView
from rolodex.i18n import _
from rolodex.store.models import (
    Association,
    AssociationLabel,
    History,
    Label,
    Meta,
    Record,
    utcnow,
)
from rolodex.store.transactions import writes

RETENTION_DAYS = 90


def _associations_of(record_id: int) -> list[Association]:
    return list(
        Association.select()
        .where((Association.a == record_id) | (Association.b == record_id))
        .order_by(Association.id)
    )


@writes
def delete(record_id: int, ctx: Context) -> RecordView:
    """Move a record to the recycle bin; its associations go with source "Object deleted"."""
    record = records.get(record_id)
    side = ctx.derived(OBJECT_DELETED, new_batch("delete"))
    others = []
    for assoc in _associations_of(record.id):
        others.append(assoc.b_id if assoc.a_id == record.id else assoc.a_id)
        _remove(assoc, side)
    Record.update(deleted_at=utcnow(), version=Record.version + 1).where(
        Record.id == record.id
    ).execute()
    changes.notify()  # open views of other processes refresh
    for other in others:  # a record that lost its primary company gets its oldest remaining one
        _ensure_primary(other, side)
    return records.get(record.id, include_deleted=True)


@writes
def restore(record_id: int, ctx: Context) -> RecordView:
    """Bring a record back from the bin with the associations its deletion removed."""
    record = records.get(record_id, include_deleted=True)
    if record.deleted_at is None:
        raise InvalidValue(_("{ref} is not in the recycle bin").format(ref=record.ref))
    if record.merged_into is not None:
        raise InvalidValue(_("{ref} was merged and cannot be restored").format(ref=record.ref))
    if record.deleted_at <= utcnow() - dt.timedelta(days=RETENTION_DAYS):
        raise InvalidValue(
            _("{ref} was deleted more than {days} days ago").format(
                ref=record.ref, days=RETENTION_DAYS
            )
        )
    if record.type == objects.CONTACT and record.properties.get("email"):
        clash = (
            Record.select(Record.id)
            .where(
                (Record.email == record.properties["email"])
                & Record.deleted_at.is_null()
                & Record.merged_into.is_null()
            )
            .scalar()
        )
        if clash:
            raise DuplicateRecord(
                _("cannot restore {ref}: {other} now has the email {email}").format(
                    ref=record.ref,
                    other=records.ref_of("contact", clash),
                    email=record.properties["email"],
                )
            )
    Record.update(deleted_at=None, version=Record.version + 1).where(
        Record.id == record.id
    ).execute()
    changes.notify()  # open views of other processes refresh
    side = ctx.derived(OBJECT_RESTORE, new_batch("restore"))
    # Every pair whose last event was its removal by a deletion comes back, when both ends live.
    last: dict[tuple[int, int], tuple] = {}
    for row in (
        History.select(*history.HISTORY_COLUMNS)
        .where((History.a_id == record.id) | (History.b_id == record.id))
        .order_by(History.id)
        .tuples()
    ):
        last[(row[2], row[3])] = row
    touched = []
    for (a, b), row in last.items():
        if row[6] != history.REMOVED or row[10] != OBJECT_DELETED:
            continue
        other = b if a == record.id else a
        if Record.select(Record.deleted_at, Record.merged_into).where(
            Record.id == other
        ).tuples().first() != (
            None,
            None,
        ):
            continue
        if _find(a, b) is not None:
            continue
        state = history._state_of(row)
        assoc = Association.create(a=a, b=b, a_type=state.a_type, b_type=state.b_type)
        kept: set[tuple[int, bool]] = set()
        for lid, fwd in sorted(state.labels):
            # A label deleted while the record was in the bin is not brought back.
            if Label.get_or_none(Label.id == lid) is None:
                continue
            try:
                # Nor a place in a hierarchy taken since (a parent, or a cycle).
                hierarchy.check_new_links(assoc.id, a, b, {(lid, fwd)}, kept)
            except HierarchyConflict:
                continue
            AssociationLabel.create(association=assoc.id, label=lid, forward=fwd)
            kept.add((lid, fwd))
        promoted_back = []
        for holder, flagged in ((a, state.a_primary_b), (b, state.b_primary_a)):
            company_type = objects.by_key(objects.COMPANY).id
            current = associations._primary_assoc(holder, company_type)
            if flagged and current is None:
                _set_flag(assoc, holder, True)
            elif flagged and _promoted_by(current, holder, row[12]):
                promoted_back.append(holder)
        history.write(_state(assoc), history.CREATED, side)
        for holder in promoted_back:
            # The deletion made another company primary in its place, and nobody changed
            # that since: the restored company is the primary again.
            associations._make_primary(holder, assoc, side)
        touched += [a, b]
    for rid in set(touched):
        _ensure_primary(rid, side)
    return records.get(record.id)


def _promoted_by(assoc: Association | None, holder: int, batch: str | None) -> bool:
    """Whether ``assoc`` holds ``holder``'s primary only because a deletion (``batch``)
    promoted it, with no change of that association since."""
    if assoc is None or batch is None:
        return False
    latest = (
        History.select(History.action, History.source, History.batch)
        .where((History.a_id == assoc.a_id) & (History.b_id == assoc.b_id))
        .order_by(History.id.desc())
        .tuples()
        .first()
    )
    return latest is not None and latest == (history.UPDATED, OBJECT_DELETED, batch)


@writes
def merge(keep_id: int, other_id: int, ctx: Context) -> RecordView:
    """Merge ``other`` into ``keep``: keep gains other's associations and empty properties;
    other's id resolves to keep from now on."""
    keep, other = records.get(keep_id), records.get(other_id)
    if keep.id == other.id:
        raise InvalidValue(_("cannot merge a record with itself"))
    if keep.type != other.type:
        raise InvalidValue(
            _("cannot merge a {a} with a {b}: merge records of one object").format(
                a=keep.type, b=other.type
            )
        )
    side = ctx.derived(OBJECT_MERGE, new_batch("merge"))
    company_type = objects.by_key(objects.COMPANY).id
    keep_had_primary = associations._primary_assoc(keep.id, company_type) is not None
    touched = {keep.id}
    for assoc in _associations_of(other.id):
        state = _state(assoc)
        third = assoc.b_id if assoc.a_id == other.id else assoc.a_id
        other_is_a = assoc.a_id == other.id
        # The labels as (label, other is from) and the primaries, before removal.
        pairs = {(lid, fwd if other_is_a else not fwd) for lid, fwd in state.labels}
        other_primary_third = state.a_primary_b if other_is_a else state.b_primary_a
        third_primary_other = state.b_primary_a if other_is_a else state.a_primary_b
        _remove(assoc, side)
        touched.add(third)
        if third == keep.id:
            continue
        existing = _find(keep.id, third)
        keep_is_a = keep.id < third
        stored = associations.canonical_labels(
            {(lid, from_other if keep_is_a else not from_other) for lid, from_other in pairs}
        )
        if existing is None:
            a, b = sorted((keep.id, third))
            keep_type, third_type = (
                objects.by_key(keep.type).id,
                (state.b_type if other_is_a else state.a_type),
            )
            existing = Association.create(
                a=a,
                b=b,
                a_type=keep_type if keep_is_a else third_type,
                b_type=third_type if keep_is_a else keep_type,
            )
            action = history.CREATED
        else:
            action = history.UPDATED
        before = _state(existing)
        # A hierarchy stays a tree: a merge that would give keep two parents (or close a
        # cycle) is refused, naming them.
        hierarchy.check_new_links(
            existing.id, existing.a_id, existing.b_id, stored - before.labels, before.labels
        )
        for lid, fwd in sorted(stored - before.labels):
            AssociationLabel.create(association=existing.id, label=lid, forward=fwd)
        if (
            other_primary_third
            and not keep_had_primary
            and associations._primary_assoc(keep.id, state.b_type if other_is_a else state.a_type)
            is None
        ):
            _set_flag(existing, keep.id, True)
        if (
            third_primary_other
            and associations._primary_assoc(third, objects.by_key(keep.type).id) is None
        ):
            _set_flag(existing, third, True)
        after = _state(existing)
        if action == history.CREATED or after.comparable() != before.comparable():
            history.write(after, action, side)
    merged_props = {**other.properties, **{k: v for k, v in keep.properties.items() if v}}
    if merged_props != keep.properties:
        fill = {k: v for k, v in merged_props.items() if k not in keep.properties}
        if keep.type == objects.CONTACT:
            fill.pop("email", None)  # the survivor keeps its own email
        if fill:
            records.update(keep.id, fill)
    Record.update(merged_into=keep.id, deleted_at=utcnow(), version=Record.version + 1).where(
        Record.id == other.id
    ).execute()
    changes.notify()  # open views of other processes refresh
    for rid in touched:
        _ensure_primary(rid, side)
    return records.get(keep.id)


def recycle_bin(limit: int = 200) -> list[RecordView]:
    """Deleted records still restorable, newest deletion first."""
    cutoff = utcnow() - dt.timedelta(days=RETENTION_DAYS)
    rows = (
        Record.select(*records.RECORD_COLUMNS)
        .where(
            Record.deleted_at.is_null(False)
            & Record.merged_into.is_null()
            & (Record.deleted_at > cutoff)
        )
        .order_by(Record.deleted_at.desc())
        .limit(limit)
        .tuples()
    )
    return [records._view(row) for row in rows]


@writes
def purge_expired(ctx: Context | None = None, now: dt.datetime | None = None) -> int:
    """Forget records deleted more than 90 days ago: their properties are emptied (the
    ids stay, so history keeps pointing somewhere), and each association their deletion
    removed, which a restore would have brought back, gets a final "removed" row with
    the source Job: from now on it is gone for good. Returns how many were purged."""
    job = (ctx or Context(JOB)).derived(JOB, new_batch("purge"))
    cutoff = (now or utcnow()) - dt.timedelta(days=RETENTION_DAYS)
    expired = [
        rid
        for (rid,) in Record.select(Record.id)
        .where(
            Record.deleted_at.is_null(False)
            & Record.merged_into.is_null()
            & (Record.deleted_at <= cutoff)
            # not forgotten by an earlier purge
            & ((Record.name != "") | (Record.properties != json.dumps({})))
        )
        .tuples()
    ]
    if not expired:
        return 0
    for record_id in expired:
        last: dict[tuple[int, int], tuple] = {}
        for row in (
            History.select(*history.HISTORY_COLUMNS)
            .where((History.a_id == record_id) | (History.b_id == record_id))
            .order_by(History.id)
            .tuples()
        ):
            last[(row[2], row[3])] = row
        for row in last.values():
            if row[6] == history.REMOVED and row[10] == OBJECT_DELETED:
                history.write(history._state_of(row), history.REMOVED, job)
    Record.update(merged_into=None).where(Record.merged_into.in_(expired)).execute()
    Record.update(properties=json.dumps({}), name="", name_key="", email=None, domain=None).where(
        Record.id.in_(expired)
    ).execute()
    changes.notify()
    return len(expired)


PURGED_ON_KEY = "bin_purged_on"


def purge_if_due(now: dt.datetime | None = None) -> int | None:
    """The recycle bin's expiry as a job: run ``purge_expired`` when it has not run today
    (UTC) on this database. Returns how many were purged, or None when not due."""
    today = (now or utcnow()).date().isoformat()
    row = Meta.get_or_none(Meta.key == PURGED_ON_KEY)
    if row is not None and row.value == today:
        return None
    return _purge_today(today, now)


@writes
def _purge_today(today: str, now: dt.datetime | None) -> int | None:
    row = Meta.get_or_none(Meta.key == PURGED_ON_KEY)
    if row is not None and row.value == today:  # another process did it meanwhile
        return None
    purged = purge_expired(None, now)
    Meta.insert(key=PURGED_ON_KEY, value=today).on_conflict(
        conflict_target=[Meta.key], update={Meta.value: today}
    ).execute()
    return purged
