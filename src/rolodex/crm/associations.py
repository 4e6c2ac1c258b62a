"""Associations: the two-way, labelled links between records, with the primary-company rules.

This module is the only writer of associations; every change writes its history
row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rolodex.crm import hierarchy, history, limits, objects, records
from rolodex.crm import labels as labels_mod
from rolodex.crm.context import Context
from rolodex.crm.errors import (
    Deleted,
    InvalidValue,
    LimitExceeded,
    NeedsNewPrimary,
    NotFound,
    SelfAssociation,
)
from rolodex.crm.records import RecordView
from rolodex.crm.state import AssociationState
from rolodex.i18n import _
from rolodex.store import raw
from rolodex.store.database import is_sqlite
from rolodex.store.models import Association, AssociationLabel
from rolodex.store.transactions import writes

PAGE = 25


@dataclass(frozen=True)
class Associated:
    """Another record as seen from one record's sidebar."""

    association_id: int
    other_id: int
    other_type: str
    other_name: str
    labels: tuple[str, ...]  # as seen from the viewing record
    primary: bool  # the other record is the viewer's primary of its object
    primary_of_other: bool  # the viewer is the other record's primary
    created_at: dt.datetime

    @property
    def other_ref(self) -> str:
        return records.ref_of(self.other_type, self.other_id)


@dataclass(frozen=True)
class Change:
    created: bool
    changed: bool
    state: AssociationState | None


# ---------------------------------------------------------------- reading state


def _find(x: int, y: int) -> Association | None:
    a, b = sorted((x, y))
    return Association.get_or_none((Association.a == a) & (Association.b == b))


def _labels_of(assoc_id: int) -> frozenset[tuple[int, bool]]:
    return frozenset(
        (lid, bool(fwd))
        for lid, fwd in AssociationLabel.select(AssociationLabel.label, AssociationLabel.forward)
        .where(AssociationLabel.association == assoc_id)
        .tuples()
    )


def _state(assoc: Association) -> AssociationState:
    return AssociationState(
        a=assoc.a_id,
        b=assoc.b_id,
        a_type=assoc.a_type_id,
        b_type=assoc.b_type_id,
        labels=_labels_of(assoc.id),
        a_primary_b=bool(assoc.a_primary_b),
        b_primary_a=bool(assoc.b_primary_a),
    )


def _company_type_id() -> int:
    return objects.by_key(objects.COMPANY).id


def _primary_assoc(record_id: int, type_id: int) -> Association | None:
    """The association holding the record's primary of ``type_id``, if any."""
    found = Association.get_or_none(
        (Association.a == record_id)
        & (Association.b_type == type_id)
        & (Association.a_primary_b == True)  # noqa: E712
    )
    if found is None:
        found = Association.get_or_none(
            (Association.b == record_id)
            & (Association.a_type == type_id)
            & (Association.b_primary_a == True)  # noqa: E712
        )
    return found


def primary_company(record_id: int) -> int | None:
    found = _primary_assoc(record_id, _company_type_id())
    if found is None:
        return None
    return found.b_id if found.a_id == record_id else found.a_id


def _other(assoc: Association, record_id: int) -> int:
    return assoc.b_id if assoc.a_id == record_id else assoc.a_id


def _companies_of(record_id: int) -> list[Association]:
    """The record's company associations, oldest first."""
    company = _company_type_id()
    rows = list(
        Association.select().where(
            ((Association.a == record_id) & (Association.b_type == company))
            | ((Association.b == record_id) & (Association.a_type == company))
        )
    )
    rows.sort(key=lambda r: r.id)
    return rows


def _set_flag(assoc: Association, record_id: int, value: bool) -> None:
    if assoc.a_id == record_id:
        assoc.a_primary_b = value
        Association.update(a_primary_b=value).where(Association.id == assoc.id).execute()
    else:
        assoc.b_primary_a = value
        Association.update(b_primary_a=value).where(Association.id == assoc.id).execute()


def _is_flagged(assoc: Association, record_id: int) -> bool:
    return bool(assoc.a_primary_b if assoc.a_id == record_id else assoc.b_primary_a)


def _make_primary(
    record_id: int, assoc: Association, ctx: Context, *, log_new: bool = True
) -> None:
    """Make ``assoc``'s company the record's primary, demoting the old one (which stays associated)."""
    old = _primary_assoc(record_id, _company_type_id())
    if old is not None and old.id == assoc.id:
        return
    if old is not None:
        _set_flag(old, record_id, False)
        history.write(_state(old), history.UPDATED, ctx)
    _set_flag(assoc, record_id, True)
    if log_new:
        history.write(_state(assoc), history.UPDATED, ctx)


def _ensure_primary(record_id: int, ctx: Context) -> None:
    """Invariant: a record that has companies has exactly one primary; the oldest is promoted."""
    try:
        view = records.get(record_id)
    except (NotFound, Deleted):  # gone meanwhile: it holds no primary to keep
        return
    if not objects.by_key(view.type).has_primary_company:
        return
    companies = _companies_of(record_id)
    if companies and not any(_is_flagged(c, record_id) for c in companies):
        _make_primary(record_id, companies[0], ctx)


# ---------------------------------------------------------------- writing


def _live(record_id: int) -> RecordView:
    return records.get(record_id)


def _check_primary_pair(record: RecordView, company: RecordView) -> None:
    if company.type != objects.COMPANY:
        raise InvalidValue(
            _("only a company can be a primary: {ref} is a {type}").format(
                ref=company.ref, type=company.type
            )
        )
    if not objects.by_key(record.type).has_primary_company:
        raise InvalidValue(_("a {type} has no primary company").format(type=record.type))


def _resolve_labels(
    src: RecordView, dst: RecordView, words: Iterable[str]
) -> set[tuple[int, bool]]:
    """Label words for "src is dst's WORD" as (label id, src is the label's from record)."""
    resolved = set()
    for word in words:
        if not word or not word.strip():
            continue
        info, src_is_from = labels_mod.resolve(src.type, dst.type, word)
        resolved.add((info.id, src_is_from))
    return resolved


def canonical_labels(stored: set[tuple[int, bool]]) -> set[tuple[int, bool]]:
    """A single label between two records of one object ("Colleague") reads the same both
    ways: it is always stored forward, so stating it from either side gives one label."""
    out = set()
    for lid, fwd in stored:
        info = labels_mod.get(lid)
        symmetric = info.inverse is None and info.from_type == info.to_type
        out.add((lid, True if symmetric else fwd))
    return out


def _to_stored(src_id: int, a_id: int, pairs: set[tuple[int, bool]]) -> set[tuple[int, bool]]:
    """(label, src is from) -> (label, a is from)."""
    return canonical_labels(
        {(lid, src_is_from if src_id == a_id else not src_is_from) for lid, src_is_from in pairs}
    )


def _add(
    src: RecordView,
    dst: RecordView,
    label_pairs: set[tuple[int, bool]],
    primary: bool,
    ctx: Context,
    *,
    check_limits: bool = True,
) -> Change:
    if src.id == dst.id:
        raise SelfAssociation(
            _("a record cannot be associated with itself ({ref})").format(ref=src.ref)
        )
    if primary:
        _check_primary_pair(src, dst)
    src_type, dst_type = objects.by_key(src.type), objects.by_key(dst.type)
    a_id, b_id = sorted((src.id, dst.id))
    a_type, b_type = (src_type.id, dst_type.id) if a_id == src.id else (dst_type.id, src_type.id)
    assoc = _find(src.id, dst.id)
    created = assoc is None
    stored = _to_stored(src.id, a_id, label_pairs)
    existing = _labels_of(assoc.id) if assoc is not None else frozenset()
    new_labels = stored - existing
    if check_limits:
        # (label, the record on this side is its from record)
        for record, rtype, otype in ((src, src_type, dst_type), (dst, dst_type, src_type)):
            side = [(lid, (record.id == a_id) == fwd) for lid, fwd in new_labels]
            limits.check_new(record.id, rtype.id, otype.id, side, adds_association=created)
    if new_labels:
        hierarchy.check_new_links(
            None if assoc is None else assoc.id, a_id, b_id, new_labels, existing
        )
    if assoc is None:
        assoc = Association.create(a=a_id, b=b_id, a_type=a_type, b_type=b_type)
    for lid, fwd in sorted(new_labels):
        AssociationLabel.create(association=assoc.id, label=lid, forward=fwd)
    changed = bool(new_labels)
    if primary and not _is_flagged(assoc, src.id):
        old = _primary_assoc(src.id, dst_type.id)
        if old is not None:
            _set_flag(old, src.id, False)
            history.write(_state(old), history.UPDATED, ctx)
        _set_flag(assoc, src.id, True)
        changed = True
    if created:
        # The first company associated with a record becomes its primary.
        for record, other in ((src, dst), (dst, src)):
            if (
                other.type == objects.COMPANY
                and objects.by_key(record.type).has_primary_company
                and not _is_flagged(assoc, record.id)
                and _primary_assoc(record.id, _company_type_id()) is None
            ):
                _set_flag(assoc, record.id, True)
    if created or changed:
        state = _state(assoc)
        history.write(state, history.CREATED if created else history.UPDATED, ctx)
        return Change(created, True, state)
    return Change(False, False, _state(assoc))


@writes
def associate(
    src_id: int, dst_id: int, ctx: Context, labels: Sequence[str] = (), *, primary: bool = False
) -> Change:
    """Link two records; "src is dst's LABEL"; with ``primary`` dst becomes src's primary company.

    Associating an existing pair again adds only what is new (no duplicate, no history row).
    """
    src, dst = _live(src_id), _live(dst_id)
    return _add(src, dst, _resolve_labels(src, dst, labels), primary, ctx)


def linked_among(record_id: int, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` the record is associated with already."""
    if not ids:
        return set()
    marks = ",".join("?" * len(ids))
    rows = raw.fetchall(
        f"SELECT b_id FROM association WHERE a_id = ? AND b_id IN ({marks}) UNION "
        f"SELECT a_id FROM association WHERE b_id = ? AND a_id IN ({marks})",
        [record_id, *ids, record_id, *ids],
    )
    return {int(r[0]) for r in rows}


def _check_many_fit(src: RecordView, dst_ids: Sequence[int]) -> None:
    """Several records at once: refuse the whole set, up front, when it passes the
    source's limit, saying how many it has, how many were chosen and how many fit."""
    fresh = [d for d in dst_ids if d not in linked_among(src.id, list(dst_ids))]
    by_type: dict[int, int] = {}
    for other in records.get_many(fresh).values():
        type_id = objects.by_key(other.type).id
        by_type[type_id] = by_type.get(type_id, 0) + 1
    src_type = objects.by_key(src.type).id
    for type_id, adding in by_type.items():
        cap = limits.plain_limit(src_type, type_id)
        if cap is None:
            continue
        used = limits.count_to_type(src.id, type_id)
        if used + adding > cap:
            raise LimitExceeded(
                _(
                    "limit reached: {ref} ({name}) may have at most {n} {what}; it has {used} "
                    "and {adding} were chosen, so {fit} more fit"
                ).format(
                    ref=src.ref,
                    name=src.name,
                    n=cap,
                    what=objects.by_id(type_id).shown_plural.lower(),
                    used=used,
                    adding=adding,
                    fit=max(cap - used, 0),
                )
            )


@writes
def associate_many(
    src_id: int,
    dst_ids: Sequence[int],
    ctx: Context,
    labels: Sequence[str] = (),
    *,
    primary_id: int | None = None,
) -> list[Change]:
    """Link one record to several at once: all or nothing."""
    src = _live(src_id)
    if len(dst_ids) > 1:
        _check_many_fit(src, list(dict.fromkeys(dst_ids)))
    changes = []
    for dst_id in dict.fromkeys(dst_ids):
        dst = _live(dst_id)
        changes.append(_add(src, dst, _resolve_labels(src, dst, labels), dst_id == primary_id, ctx))
    return changes


@writes
def create_and_associate(
    src_id: int,
    type_key: str,
    values: dict[str, str],
    ctx: Context,
    labels: Sequence[str] = (),
    *,
    primary: bool = False,
) -> RecordView:
    """ "Associate new": create a record of ``type_key`` and link it to ``src`` in one
    transaction (limits checked: nothing is created when the link is refused)."""
    created = records.create(type_key, values)
    associate_many(src_id, [created.id], ctx, labels, primary_id=created.id if primary else None)
    return created


def _needs_new_primary(
    record_id: int, losing: Association, new_primary: int | None
) -> Association | None:
    """When ``losing`` holds the record's primary company, the association of its successor."""
    if not _is_flagged(losing, record_id):
        return None
    remaining = [c for c in _companies_of(record_id) if c.id != losing.id]
    if not remaining:
        return None
    record = records.get(record_id, include_deleted=True)
    company = records.get(_other(losing, record_id), include_deleted=True)
    if new_primary is None:
        shown = records.get_many([_other(c, record_id) for c in remaining[:5]])
        choices = ", ".join(
            f"{view.label} ({view.ref})"
            for view in (shown[_other(c, record_id)] for c in remaining[:5])
        )
        raise NeedsNewPrimary(
            _(
                "{company} is the primary company of {record}; choose the new primary among: {choices}"
            ).format(
                company=f"{company.label} ({company.ref})",
                record=f"{record.label} ({record.ref})",
                choices=choices,
            ),
            record_id,
            [_other(c, record_id) for c in remaining],
        )
    for candidate in remaining:
        if _other(candidate, record_id) == new_primary:
            return candidate
    raise InvalidValue(
        _("the new primary must be another company associated with {record}").format(
            record=record.ref
        )
    )


def _remove(assoc: Association, ctx: Context) -> AssociationState:
    state = _state(assoc)
    AssociationLabel.delete().where(AssociationLabel.association == assoc.id).execute()
    Association.delete().where(Association.id == assoc.id).execute()
    history.write(state, history.REMOVED, ctx)
    return state


@writes
def dissociate(
    src_id: int,
    dst_id: int,
    ctx: Context,
    *,
    label: str | None = None,
    new_primary: int | None = None,
) -> Change:
    """Remove the association (or with ``label`` only that label: "src is dst's LABEL").

    When the association held a primary company and other companies remain,
    ``new_primary`` names the successor (for whichever record loses its primary).
    """
    src, dst = _live(src_id), _live(dst_id)
    assoc = _find(src.id, dst.id)
    if assoc is None:
        raise NotFound(_("{a} and {b} are not associated").format(a=src.ref, b=dst.ref))
    if label:
        (pair,) = _to_stored(src.id, assoc.a_id, _resolve_labels(src, dst, [label]))
        current = _labels_of(assoc.id)
        if pair not in current:
            raise NotFound(
                _("{a} is not {b}'s '{label}'").format(a=src.ref, b=dst.ref, label=label)
            )
        AssociationLabel.delete().where(
            (AssociationLabel.association == assoc.id)
            & (AssociationLabel.label == pair[0])
            & (AssociationLabel.forward == pair[1])
        ).execute()
        state = _state(assoc)
        history.write(state, history.UPDATED, ctx)
        return Change(False, True, state)
    successors = []
    for record_id in (src.id, dst.id):
        successor = _needs_new_primary(record_id, assoc, new_primary)
        if successor is not None:
            successors.append((record_id, successor))
    if new_primary is not None and not successors:
        raise InvalidValue(
            _("--new-primary applies only when the removed company is a primary and others remain")
        )
    state = _remove(assoc, ctx)
    for record_id, successor in successors:
        _make_primary(record_id, successor, ctx)
    return Change(False, True, state)


@writes
def set_labels(src_id: int, dst_id: int, ctx: Context, labels: Sequence[str]) -> Change:
    """Replace the labels of an association: "src is dst's LABEL" for each label."""
    src, dst = _live(src_id), _live(dst_id)
    assoc = _find(src.id, dst.id)
    if assoc is None:
        raise NotFound(_("{a} and {b} are not associated").format(a=src.ref, b=dst.ref))
    wanted = _to_stored(src.id, assoc.a_id, _resolve_labels(src, dst, labels))
    current = _labels_of(assoc.id)
    if wanted == current:
        return Change(False, False, _state(assoc))
    added = wanted - current
    for record, other in ((src, dst), (dst, src)):
        side = [(lid, (record.id == assoc.a_id) == fwd) for lid, fwd in added]
        limits.check_new(
            record.id,
            objects.by_key(record.type).id,
            objects.by_key(other.type).id,
            side,
            adds_association=False,
        )
    if added:
        hierarchy.check_new_links(assoc.id, assoc.a_id, assoc.b_id, added, wanted - added)
    for lid, fwd in current - wanted:
        AssociationLabel.delete().where(
            (AssociationLabel.association == assoc.id)
            & (AssociationLabel.label == lid)
            & (AssociationLabel.forward == fwd)
        ).execute()
    for lid, fwd in sorted(added):
        AssociationLabel.create(association=assoc.id, label=lid, forward=fwd)
    state = _state(assoc)
    history.write(state, history.UPDATED, ctx)
    return Change(False, True, state)


@writes
def set_primary(record_id: int, company_id: int, ctx: Context) -> Change:
    """Make an associated company the record's primary; the old primary stays associated."""
    record, company = _live(record_id), _live(company_id)
    _check_primary_pair(record, company)
    assoc = _find(record.id, company.id)
    if assoc is None:
        raise NotFound(
            _("{a} and {b} are not associated (use associate --primary)").format(
                a=record.ref, b=company.ref
            )
        )
    if _is_flagged(assoc, record.id):
        return Change(False, False, _state(assoc))
    _make_primary(record.id, assoc, ctx)
    return Change(False, True, _state(assoc))


@writes
def remove_primary(record_id: int, company_id: int, ctx: Context, *, new_primary: int) -> Change:
    """ "Remove as primary": the company stays associated and ``new_primary`` takes its place."""
    record, company = _live(record_id), _live(company_id)
    assoc = _find(record.id, company.id)
    if assoc is None or not _is_flagged(assoc, record.id):
        raise InvalidValue(
            _("{company} is not the primary company of {record}").format(
                company=company.ref, record=record.ref
            )
        )
    if new_primary == company.id:
        raise InvalidValue(_("the new primary must be another company"))
    successor = _find(record.id, new_primary)
    if (
        successor is None
        or _other(successor, record.id) != new_primary
        or records.get(new_primary).type != objects.COMPANY
    ):
        raise InvalidValue(
            _("the new primary must be another company associated with {record}").format(
                record=record.ref
            )
        )
    _make_primary(record.id, successor, ctx)
    return Change(False, True, _state(assoc))


@writes
def put_back(a_id: int, b_id: int, target: AssociationState | None, ctx: Context) -> Change:
    """Make the association of ``a_id`` < ``b_id`` what ``target`` says (None: no
    association), with the rules of every change: the records live, limits, hierarchies,
    one primary per record (setting one demotes the current one, which stays associated).
    For an undo (crm/undo.py): the caller settles primaries left unset afterwards."""
    assoc = _find(a_id, b_id)
    if target is None:
        if assoc is None:
            return Change(False, False, None)
        return Change(False, True, _remove(assoc, ctx))
    first, second = _live(a_id), _live(b_id)
    for asked, found in ((a_id, first), (b_id, second)):
        if found.id != asked:  # merged: the id now names its survivor
            raise Deleted(
                _("{ref} was merged into {survivor}").format(
                    ref=records.ref_of(found.type, asked), survivor=found.ref
                )
            )
    created = assoc is None
    existing = _labels_of(assoc.id) if assoc is not None else frozenset()
    added = set(target.labels - existing)
    for record, own, other in (
        (first, target.a_type, target.b_type),
        (second, target.b_type, target.a_type),
    ):
        side = [(lid, (record.id == a_id) == fwd) for lid, fwd in added]
        limits.check_new(record.id, own, other, side, adds_association=created)
    if added:
        hierarchy.check_new_links(
            None if assoc is None else assoc.id, a_id, b_id, added, target.labels - added
        )
    if assoc is None:
        assoc = Association.create(a=a_id, b=b_id, a_type=target.a_type, b_type=target.b_type)
    for lid, fwd in existing - target.labels:
        AssociationLabel.delete().where(
            (AssociationLabel.association == assoc.id)
            & (AssociationLabel.label == lid)
            & (AssociationLabel.forward == fwd)
        ).execute()
    for lid, fwd in sorted(added):
        AssociationLabel.create(association=assoc.id, label=lid, forward=fwd)
    for holder, other_type, wanted in (
        (a_id, target.b_type, target.a_primary_b),
        (b_id, target.a_type, target.b_primary_a),
    ):
        if wanted and not _is_flagged(assoc, holder):
            old = _primary_assoc(holder, other_type)
            if old is not None:
                _set_flag(old, holder, False)
                history.write(_state(old), history.UPDATED, ctx)
            _set_flag(assoc, holder, True)
        elif not wanted and _is_flagged(assoc, holder):
            _set_flag(assoc, holder, False)
    state = _state(assoc)
    history.write(state, history.CREATED if created else history.UPDATED, ctx)
    return Change(created, True, state)


def settle_primaries(record_ids: Iterable[int], ctx: Context) -> None:
    """Each record that has companies has a primary one: the oldest, where none is set."""
    for record_id in dict.fromkeys(record_ids):
        _ensure_primary(record_id, ctx)


# ---------------------------------------------------------------- reading for views


def counts(record_id: int) -> dict[str, int]:
    """How many records of each object the record is associated with."""
    totals: dict[int, int] = {}
    for type_id, n in raw.fetchall_hot(_COUNTS_SQL, (record_id, record_id)):
        totals[type_id] = totals.get(type_id, 0) + n
    return {objects.by_id(tid).key: n for tid, n in totals.items()}


_COUNTS_SQL = (
    "SELECT b_type_id, count(*) FROM association WHERE a_id = ? GROUP BY b_type_id "
    "UNION ALL SELECT a_type_id, count(*) FROM association WHERE b_id = ? GROUP BY a_type_id"
)
# (assoc id, other id, other name, viewer is a, a_primary_b, b_primary_a, created), newest first.
_PAGE_LEFT = (
    "SELECT s.id, s.b_id, r.name, 1, s.a_primary_b, s.b_primary_a, s.created_at FROM association s "
    "JOIN record r ON r.id = s.b_id WHERE s.a_id = ? AND s.b_type_id = ?"
)
_PAGE_RIGHT = (
    "SELECT s.id, s.a_id, r.name, 0, s.a_primary_b, s.b_primary_a, s.created_at FROM association s "
    "JOIN record r ON r.id = s.a_id WHERE s.b_id = ? AND s.a_type_id = ?"
)
_PRIMARY_SQL = (
    "SELECT s.id, s.b_id, r.name, 1, s.a_primary_b, s.b_primary_a, s.created_at FROM association s "
    "JOIN record r ON r.id = s.b_id WHERE s.a_id = ? AND s.b_type_id = ? AND s.a_primary_b "
    "UNION ALL "
    "SELECT s.id, s.a_id, r.name, 0, s.a_primary_b, s.b_primary_a, s.created_at FROM association s "
    "JOIN record r ON r.id = s.a_id WHERE s.b_id = ? AND s.a_type_id = ? AND s.b_primary_a"
)


def _page_tail(
    record_id: int, type_id: int, limit: int, before: int | None
) -> tuple[str, tuple[int, ...]]:
    """The keyset end of a _PAGE_LEFT / _PAGE_RIGHT statement, and its parameters."""
    if before is None:
        return " ORDER BY s.id DESC LIMIT ?", (record_id, type_id, limit)
    return " AND s.id < ? ORDER BY s.id DESC LIMIT ?", (record_id, type_id, before, limit)


def _page_rows(record_id: int, type_id: int, limit: int, before: int | None) -> list[tuple]:
    tail, params = _page_tail(record_id, type_id, limit, before)
    rows = raw.fetchall(_PAGE_LEFT + tail, params) + raw.fetchall(_PAGE_RIGHT + tail, params)
    rows.sort(key=lambda r: r[0], reverse=True)
    return rows[:limit]


# One round trip for a card's page: both sides and their labels (a row per label).
# On PostgreSQL each statement costs a client/server round trip (~0.2 ms), which
# dominated opening a record there; the statements themselves take microseconds.
_PAGE_BOTH = (
    "SELECT p.*, l.label_id, l.forward FROM (SELECT *, 0 AS k FROM ({left}) AS x "
    "UNION ALL SELECT *, 0 FROM ({right}) AS y{primary}) AS p "
    "LEFT JOIN association_label l ON l.association_id = p.id"
)
_WITH_PRIMARY = " UNION ALL SELECT *, 1 FROM (" + _PRIMARY_SQL + ") AS z"


def _labelled_page_rows(
    record_id: int, type_id: int, limit: int, before: int | None, with_primary: bool = False
) -> tuple[list[tuple], list[tuple], dict[int, list[tuple[int, bool]]]]:
    """``_page_rows``, the primary's row (when asked) and the labels of them all,
    in one statement."""
    tail, params = _page_tail(record_id, type_id, limit, before)
    sql = _PAGE_BOTH.format(
        left=_PAGE_LEFT + tail,
        right=_PAGE_RIGHT + tail,
        primary=_WITH_PRIMARY if with_primary else "",
    )
    params = params + params
    if with_primary:
        params += (record_id, type_id, record_id, type_id)
    # Per kind (0: page, 1: primary): the rows, and their labels (a row per label).
    found: tuple[dict[int, tuple], dict[int, tuple]] = ({}, {})
    labelled: tuple[dict[int, list], dict[int, list]] = ({}, {})
    for *row, kind, lid, fwd in raw.fetchall_hot(sql, params):
        found[kind].setdefault(row[0], tuple(row))
        got = labelled[kind].setdefault(row[0], [])
        if lid is not None:
            got.append((lid, bool(fwd)))
    rows = sorted(found[0].values(), key=lambda r: r[0], reverse=True)
    return rows[:limit], list(found[1].values()), {**labelled[1], **labelled[0]}


def _views(
    record_id: int,
    type_key: str,
    rows: list[tuple],
    known: dict[int, list[tuple[int, bool]]] | None = None,
) -> list[Associated]:
    """``known``: the labels of every row, already read (keyed by association id)."""
    label_rows: dict[int, list[tuple[int, bool]]] = {}
    if known is not None:
        label_rows = known
    elif rows:
        marks = ",".join("?" * len(rows))
        for assoc_id, lid, fwd in raw.fetchall(
            "SELECT association_id, label_id, forward FROM association_label "
            f"WHERE association_id IN ({marks})",
            [r[0] for r in rows],
        ):
            label_rows.setdefault(assoc_id, []).append((lid, bool(fwd)))
    out = []
    for assoc_id, other, name, viewer_is_a, a_primary_b, b_primary_a, created in rows:
        viewer_is_a = bool(viewer_is_a)
        words = []
        for lid, fwd in label_rows.get(assoc_id, ()):
            info = labels_mod.cached(lid)
            if info is not None:
                words.append(info.seen_from(viewer_is_a == fwd))
        words.sort(key=str.casefold)
        out.append(
            Associated(
                association_id=assoc_id,
                other_id=other,
                other_type=type_key,
                other_name=name,
                labels=tuple(words),
                primary=bool(a_primary_b if viewer_is_a else b_primary_a),
                primary_of_other=bool(b_primary_a if viewer_is_a else a_primary_b),
                created_at=created,
            )
        )
    return out


def _card(
    record_id: int,
    type_key: str,
    rows: list[tuple],
    primary: list[tuple],
    known: dict[int, list[tuple[int, bool]]],
    limit: int,
    first_page: bool,
) -> list[Associated]:
    """A card's page from its rows (newest first; ``limit + 1`` of them when a later page
    is asked, as the primary is dropped from it) and the primary's row: the rule shared
    by page() and sidebar()."""
    if type_key == objects.COMPANY and primary:
        # The primary leads the first page and is not listed again on a later one.
        rows = [r for r in rows if r[0] != primary[0][0]]
        if first_page:
            rows = primary + rows
    return _views(record_id, type_key, rows[:limit], known)


def page(
    record_id: int, type_key: str, *, limit: int = PAGE, before: int | None = None
) -> list[Associated]:
    """One page of a sidebar card: the primary first (on the first page), then newest first.

    ``before`` is the last association id of the previous page (keyset paging).
    """
    info = objects.by_key(type_key)
    if info.key != objects.COMPANY:
        rows, _primary, known = _labelled_page_rows(record_id, info.id, limit, before)
        return _views(record_id, type_key, rows, known)
    rows, primary, known = _labelled_page_rows(record_id, info.id, limit + 1, before, True)
    return _card(record_id, type_key, rows, primary, known, limit, before is None)


# PostgreSQL: a record's whole sidebar in one statement (one round trip). Per wanted
# object a LATERAL join reads the newest ``limit`` associations of each side through the
# (a, b_type, id) and (b, a_type, id) indexes, and the primary's row; so the company with
# 50,000 contacts reads one page, not all of them. Kind 0: a page row, 1: a primary row,
# 2: a count (type id, n in the id column). A row per label (LEFT JOIN).
_SIDEBAR_PG = (
    "SELECT p.kind, p.t, p.id, p.other, r.name, p.viewer_is_a, p.a_primary_b, p.b_primary_a, "
    "p.created_at, l.label_id, l.forward "
    "FROM unnest(?::int[]) AS w(t) CROSS JOIN LATERAL ("
    "(SELECT 0 AS kind, w.t, s.id, s.b_id AS other, 1 AS viewer_is_a, s.a_primary_b, "
    "s.b_primary_a, s.created_at FROM association s WHERE s.a_id = ? AND s.b_type_id = w.t "
    "ORDER BY s.id DESC LIMIT ?) "
    "UNION ALL (SELECT 0, w.t, s.id, s.a_id, 0, s.a_primary_b, s.b_primary_a, s.created_at "
    "FROM association s WHERE s.b_id = ? AND s.a_type_id = w.t ORDER BY s.id DESC LIMIT ?) "
    "UNION ALL (SELECT 1, w.t, s.id, s.b_id, 1, s.a_primary_b, s.b_primary_a, s.created_at "
    "FROM association s WHERE s.a_id = ? AND s.b_type_id = w.t AND s.a_primary_b) "
    "UNION ALL (SELECT 1, w.t, s.id, s.a_id, 0, s.a_primary_b, s.b_primary_a, s.created_at "
    "FROM association s WHERE s.b_id = ? AND s.a_type_id = w.t AND s.b_primary_a)"
    ") AS p JOIN record r ON r.id = p.other "
    "LEFT JOIN association_label l ON l.association_id = p.id "
    "UNION ALL SELECT 2, b_type_id, count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL "
    "FROM association WHERE a_id = ? GROUP BY b_type_id "
    "UNION ALL SELECT 2, a_type_id, count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL "
    "FROM association WHERE b_id = ? GROUP BY a_type_id"
)


def sidebar(
    record_id: int, type_keys: Sequence[str], limit: int = PAGE
) -> tuple[dict[str, int], dict[str, list[Associated]]]:
    """A record's sidebar: ``counts(record_id)`` and, for each of ``type_keys`` the record
    has associations with, ``page(record_id, key, limit=limit)``: the same results.

    On PostgreSQL it is one statement (a round trip there costs more than the reading);
    on SQLite, where a statement costs microseconds, it is counts() and page() per card.
    """
    wanted = [objects.by_key(key) for key in dict.fromkeys(type_keys)]
    if is_sqlite():
        totals = counts(record_id)
        return totals, {
            info.key: page(record_id, info.key, limit=limit)
            for info in wanted
            if totals.get(info.key)
        }
    params = (
        [info.id for info in wanted],
        record_id,
        limit,
        record_id,
        limit,
        record_id,
        record_id,
        record_id,
        record_id,
    )
    by_type: dict[int, int] = {}
    # Per type id, per kind (0: page, 1: primary): the rows; and every row's labels.
    found: dict[int, tuple[dict[int, tuple], dict[int, tuple]]] = {}
    labelled: dict[int, tuple[dict[int, list], dict[int, list]]] = {}
    for kind, type_id, *row, lid, fwd in raw.fetchall_hot(_SIDEBAR_PG, params):
        if kind == 2:
            by_type[type_id] = by_type.get(type_id, 0) + row[0]
            continue
        found.setdefault(type_id, ({}, {}))[kind].setdefault(row[0], tuple(row))
        got = labelled.setdefault(type_id, ({}, {}))[kind].setdefault(row[0], [])
        if lid is not None:
            got.append((lid, bool(fwd)))
    totals = {objects.by_id(tid).key: n for tid, n in by_type.items()}
    cards = {}
    for info in wanted:
        if not totals.get(info.key):
            continue
        pages, primaries = found.get(info.id, ({}, {}))
        page_labels, primary_labels = labelled.get(info.id, ({}, {}))
        rows = sorted(pages.values(), key=lambda r: r[0], reverse=True)
        cards[info.key] = _card(
            record_id,
            info.key,
            rows,
            list(primaries.values()),
            {**primary_labels, **page_labels},
            limit,
            True,
        )
    return totals, cards


# Every association of a record, ordered in SQL (object, primary first, name, id): a
# company with 50,000 contacts is sorted by SQLite, not in Python.
_ALL_SQL = (
    "SELECT * FROM ("
    "SELECT s.id, s.b_id AS other, r.name, 1, s.a_primary_b, s.b_primary_a, s.created_at, "
    "s.b_type_id AS t, s.a_primary_b AS p, r.name_key AS k FROM association s "
    "JOIN record r ON r.id = s.b_id WHERE s.a_id = ? "
    "UNION ALL SELECT s.id, s.a_id, r.name, 0, s.a_primary_b, s.b_primary_a, s.created_at, "
    "s.a_type_id, s.b_primary_a, r.name_key FROM association s "
    "JOIN record r ON r.id = s.a_id WHERE s.b_id = ?"
    ") AS x ORDER BY t, p DESC, k, other"
)
_ALL_LABELS_SQL = (
    "SELECT l.association_id, l.label_id, l.forward FROM association_label l "
    "JOIN association s ON s.id = l.association_id WHERE s.a_id = ? "
    "UNION ALL SELECT l.association_id, l.label_id, l.forward FROM association_label l "
    "JOIN association s ON s.id = l.association_id WHERE s.b_id = ?"
)


def all_of(record_id: int) -> list[Associated]:
    """Every association of the record, grouped by object, primary first, then by name."""
    known: dict[int, list[tuple[int, bool]]] = {}
    for assoc_id, label_id, forward in raw.fetchall(_ALL_LABELS_SQL, (record_id, record_id)):
        known.setdefault(assoc_id, []).append((label_id, bool(forward)))
    by_type: dict[int, list[tuple]] = {}
    for row in raw.fetchall(_ALL_SQL, (record_id, record_id)):
        by_type.setdefault(row[7], []).append(row[:7])
    out: list[Associated] = []
    for info in objects.all_types():
        rows = by_type.get(info.id)
        if rows:
            out.extend(_views(record_id, info.key, rows, known))
    return out


def between(x: int, y: int) -> Associated | None:
    """The association of x and y seen from x, or None."""
    assoc = _find(x, y)
    if assoc is None:
        return None
    other = _other(assoc, x)
    view = records.get(other, include_deleted=True)
    row = (
        assoc.id,
        other,
        view.name,
        assoc.a_id == x,
        assoc.a_primary_b,
        assoc.b_primary_a,
        assoc.created_at,
    )
    return _views(x, view.type, [row])[0]
