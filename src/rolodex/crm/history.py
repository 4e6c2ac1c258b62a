"""The append-only association history: writing it, reading it, replaying it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rolodex.crm import changes, context, objects, records
from rolodex.crm import labels as labels_mod
from rolodex.crm.context import USER, Context
from rolodex.crm.state import AssociationState
from rolodex.i18n import _
from rolodex.store.models import History, Record, utcnow

CREATED, UPDATED, REMOVED = "created", "updated", "removed"


def write(
    state: AssociationState, action: str, ctx: Context, at: dt.datetime | None = None
) -> None:
    """One row per change, in the caller's transaction. Never updated or deleted afterwards."""
    History.insert(
        at=at or utcnow(),
        a_id=state.a,
        b_id=state.b,
        a_type_id=state.a_type,
        b_type_id=state.b_type,
        action=action,
        labels=state.labels_json(),
        a_primary_b=state.a_primary_b,
        b_primary_a=state.b_primary_a,
        source=ctx.source,
        actor=ctx.actor,
        batch=ctx.batch,
        undoes=ctx.undoes,
    ).execute()
    changes.notify()


HISTORY_COLUMNS = (
    History.id,
    History.at,
    History.a_id,
    History.b_id,
    History.a_type_id,
    History.b_type_id,
    History.action,
    History.labels,
    History.a_primary_b,
    History.b_primary_a,
    History.source,
    History.actor,
    History.batch,
    History.undoes,
)


@dataclass(frozen=True)
class HistoryEntry:
    """One change as seen from ``record_id``: the other record, what happened, who and how."""

    id: int
    at: dt.datetime
    record_id: int
    other_id: int
    other_type: str
    other_name: str
    action: str
    labels: tuple[str, ...]  # as seen from record_id
    primary: bool  # the other record is (was) record_id's primary
    source: str
    actor: str
    batch: str | None
    changed: tuple[str, ...] = ()  # for an update: what it changed, as seen from record_id
    undoes: int | None = None  # the history id this change reverted (an undo)

    @property
    def other_ref(self) -> str:
        return records.ref_of(self.other_type, self.other_id)

    @property
    def source_display(self) -> str:
        """The source as shown to a user, in the user's language (``source`` stays the data value)."""
        shown = source_label(self.source)
        if self.source == USER and self.actor:
            return f"{shown} ({self.actor})"
        return shown


def action_words(entry: HistoryEntry) -> str:
    """What happened, in the user's language; an update says what it changed."""
    words = {CREATED: _("created"), REMOVED: _("removed"), UPDATED: _("updated")}
    shown = words.get(entry.action, entry.action)
    if entry.changed:
        return shown + ": " + ", ".join(entry.changed)
    return shown


def source_label(source: str) -> str:
    """The display label of one of the ten history sources (unknown values are shown as stored)."""
    labels = {
        context.USER: _("User"),
        context.OBJECT_DELETED: _("Object deleted"),
        context.OBJECT_MERGE: _("Object merge"),
        context.OBJECT_RESTORE: _("Object restore"),
        context.IMPORT: _("Import"),
        context.DOMAIN: _("Automatic association by domain"),
        context.API: _("API"),
        context.JOB: _("Job"),
        context.MIGRATION: _("Migration"),
        context.UNKNOWN: _("Unknown"),
    }
    return labels.get(source, source)


def _state_of(row: tuple) -> AssociationState:
    return AssociationState(
        a=row[2],
        b=row[3],
        a_type=row[4],
        b_type=row[5],
        labels=AssociationState.parse_labels(row[7]),
        a_primary_b=bool(row[8]),
        b_primary_a=bool(row[9]),
    )


def label_words(
    state: AssociationState, viewer: int, names: dict[int, labels_mod.LabelInfo]
) -> tuple[str, ...]:
    words = []
    for label_id, forward in state.labels:
        info = names.get(label_id)
        if info is None:
            continue
        viewer_is_from = (viewer == state.a) == forward
        words.append(info.seen_from(viewer_is_from))
    return tuple(sorted(words, key=str.casefold))


def _states_before(rows: list[tuple]) -> dict[int, AssociationState]:
    """For each update among ``rows``: its association's state just before it (from the
    rows themselves when the earlier row is among them, else read)."""
    before: dict[int, AssociationState] = {}
    latest: dict[tuple[int, int], AssociationState] = {}
    missing: list[tuple] = []
    for row in sorted(rows, key=lambda r: r[0]):
        state = _state_of(row)
        if row[6] == UPDATED:
            earlier = latest.get(state.key())
            if earlier is None:
                missing.append(row)
            else:
                before[row[0]] = earlier
        latest[state.key()] = state
    for row in missing:
        earlier_row = (
            History.select(*HISTORY_COLUMNS)
            .where((History.a_id == row[2]) & (History.b_id == row[3]) & (History.id < row[0]))
            .order_by(History.id.desc())
            .limit(1)
            .tuples()
            .first()
        )
        if earlier_row is not None:
            before[row[0]] = _state_of(earlier_row)
    return before


def what_changed(
    earlier: AssociationState,
    later: AssociationState,
    viewer: int,
    names: dict[int, labels_mod.LabelInfo],
) -> tuple[str, ...]:
    """An update in words, as seen from ``viewer``: labels added (+) and removed (−), and
    which way a primary mark moved."""
    had = set(label_words(earlier, viewer, names))
    has = set(label_words(later, viewer, names))
    words = ["+" + word for word in sorted(has - had, key=str.casefold)]
    words += ["−" + word for word in sorted(had - has, key=str.casefold)]
    viewer_is_a = later.a == viewer

    def marks(state: AssociationState) -> tuple[bool, bool]:
        own, theirs = state.a_primary_b, state.b_primary_a
        return (own, theirs) if viewer_is_a else (theirs, own)

    (was_own, was_theirs), (own, theirs) = marks(earlier), marks(later)
    if own != was_own:
        words.append(_("now the primary") if own else _("no longer the primary"))
    if theirs != was_theirs:
        words.append(_("now has this as primary") if theirs else _("no longer has this as primary"))
    return tuple(words)


def _entries(rows: list[tuple], viewer: int) -> list[HistoryEntry]:
    names = labels_mod.all_by_id()
    before = _states_before(rows)
    other_ids = {row[3] if row[2] == viewer else row[2] for row in rows}
    other_names = (
        dict(Record.select(Record.id, Record.name).where(Record.id.in_(list(other_ids))).tuples())
        if other_ids
        else {}
    )
    out = []
    for row in rows:
        state = _state_of(row)
        viewer_is_a = state.a == viewer
        other = state.b if viewer_is_a else state.a
        other_type = objects.by_id(state.b_type if viewer_is_a else state.a_type).key
        out.append(
            HistoryEntry(
                id=row[0],
                at=row[1],
                record_id=viewer,
                other_id=other,
                other_type=other_type,
                other_name=other_names.get(other, ""),
                action=row[6],
                labels=label_words(state, viewer, names),
                primary=state.a_primary_b if viewer_is_a else state.b_primary_a,
                source=row[10],
                actor=row[11],
                batch=row[12],
                changed=(
                    what_changed(before[row[0]], state, viewer, names) if row[0] in before else ()
                ),
                undoes=row[13],
            )
        )
    return out


def record_history(
    record_id: int,
    object_type: str | None = None,
    *,
    limit: int | None = None,
    before_id: int | None = None,
) -> list[HistoryEntry]:
    """A record's association changes, newest first, optionally only with one object type."""
    left = History.select(*HISTORY_COLUMNS).where(History.a_id == record_id)
    right = History.select(*HISTORY_COLUMNS).where(History.b_id == record_id)
    if object_type:
        type_id = objects.by_key(object_type).id
        left = left.where(History.b_type_id == type_id)
        right = right.where(History.a_type_id == type_id)
    if before_id is not None:
        left = left.where(History.id < before_id)
        right = right.where(History.id < before_id)
    if limit is not None:
        left = left.order_by(History.id.desc()).limit(limit)
        right = right.order_by(History.id.desc()).limit(limit)
    rows = sorted(list(left.tuples()) + list(right.tuples()), key=lambda r: r[0], reverse=True)
    if limit is not None:
        rows = rows[:limit]
    return _entries(rows, record_id)


def pair_history(record_id: int, other_id: int) -> list[HistoryEntry]:
    """One association's full history, newest first, seen from ``record_id``."""
    a, b = sorted((record_id, other_id))
    rows = list(
        History.select(*HISTORY_COLUMNS)
        .where((History.a_id == a) & (History.b_id == b))
        .order_by(History.id.desc())
        .tuples()
    )
    return _entries(rows, record_id)


def replay(
    *, until: dt.datetime | None = None, record_id: int | None = None
) -> dict[tuple[int, int], AssociationState]:
    """Fold history into the set of associations it describes (at ``until``, or now)."""
    if record_id is not None:
        query = History.select(*HISTORY_COLUMNS).where(
            (History.a_id == record_id) | (History.b_id == record_id)
        )
    else:
        query = History.select(*HISTORY_COLUMNS)
    if until is not None:
        query = query.where(History.at <= until)
    current: dict[tuple[int, int], AssociationState] = {}
    for row in query.order_by(History.id).tuples().iterator():
        state = _state_of(row)
        if row[6] == REMOVED:
            current.pop(state.key(), None)
        else:
            current[state.key()] = state
    return current


@dataclass(frozen=True)
class PastAssociation:
    other_id: int
    other_type: str
    other_name: str
    labels: tuple[str, ...]
    primary: bool

    @property
    def other_ref(self) -> str:
        return records.ref_of(self.other_type, self.other_id)


def as_of(record_id: int, moment: dt.datetime) -> list[PastAssociation]:
    """The record's associations as they stood at ``moment`` (UTC), rebuilt from history."""
    states = replay(until=moment, record_id=record_id)
    names = labels_mod.all_by_id()
    others = [s.b if s.a == record_id else s.a for s in states.values()]
    other_names = (
        dict(Record.select(Record.id, Record.name).where(Record.id.in_(others)).tuples())
        if others
        else {}
    )
    out = []
    for state in states.values():
        viewer_is_a = state.a == record_id
        other = state.b if viewer_is_a else state.a
        out.append(
            PastAssociation(
                other_id=other,
                other_type=objects.by_id(state.b_type if viewer_is_a else state.a_type).key,
                other_name=other_names.get(other, ""),
                labels=label_words(state, record_id, names),
                primary=state.a_primary_b if viewer_is_a else state.b_primary_a,
            )
        )
    out.sort(key=lambda p: (p.other_type, p.other_name.casefold(), p.other_id))
    return out
