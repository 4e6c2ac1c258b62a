"""Undo an association change: a new change that puts the association back as it was.

History is never edited: the undo writes its own rows, each naming the change it
reverts (``History.undoes``), with the undoer's source (User from the TUI, API from the
command line). The association gets back the labels and primaries it had before the
change; the rules of every change apply (crm/associations.put_back), and the undo is
refused, saying why, when

- the association changed again since (a later history row), or is not as that
  change left it;
- one of the two records is gone (deleted or merged), or a label was deleted;
- a limit would be exceeded, or a hierarchy would break (a second parent, a cycle).

Primaries. Restoring a primary demotes the record's current one (which stays
associated). A change made by one operation may have moved a primary from another
company (set as primary: the old one demoted, the new one promoted, two rows of one
batch): undoing the promotion gives the record back the company that operation
demoted; without such a company the oldest becomes primary, as always.

``undo_batch`` undoes every row of one operation (the app's ctrl+z), newest first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rolodex.crm import associations, history, objects, records
from rolodex.crm import labels as labels_mod
from rolodex.crm.context import Context
from rolodex.crm.errors import (
    Deleted,
    HierarchyConflict,
    LimitExceeded,
    NotFound,
    UndoRefused,
)
from rolodex.crm.state import AssociationState
from rolodex.i18n import _
from rolodex.store.models import Association, History
from rolodex.store.transactions import writes

# How many of a record's history rows before a change are searched for the primary
# company that change's operation demoted (it wrote them just before).
NEARBY = 50


@dataclass(frozen=True)
class Undone:
    """One change undone: what the association was after it, and is again before it."""

    history_id: int
    a: int
    b: int
    a_type: str
    b_type: str
    after: AssociationState | None  # as the change left it (None: removed)
    before: AssociationState | None  # as it is now again (None: no association)

    @property
    def a_ref(self) -> str:
        return records.ref_of(self.a_type, self.a)

    @property
    def b_ref(self) -> str:
        return records.ref_of(self.b_type, self.b)


def _row(history_id: int) -> tuple | None:
    return History.select(*history.HISTORY_COLUMNS).where(History.id == history_id).tuples().first()


def _after(row: tuple) -> AssociationState | None:
    return None if row[6] == history.REMOVED else history._state_of(row)


def _before(row: tuple) -> AssociationState | None:
    """The pair's state just before the change ``row``: its previous row's."""
    previous = (
        History.select(*history.HISTORY_COLUMNS)
        .where((History.a_id == row[2]) & (History.b_id == row[3]) & (History.id < row[0]))
        .order_by(History.id.desc())
        .tuples()
        .first()
    )
    return (
        None if previous is None or previous[6] == history.REMOVED else history._state_of(previous)
    )


def _current(a: int, b: int) -> AssociationState | None:
    assoc = Association.get_or_none((Association.a == a) & (Association.b == b))
    return None if assoc is None else associations._state(assoc)


def _same(x: AssociationState | None, y: AssociationState | None) -> bool:
    if x is None or y is None:
        return x is y
    return x.comparable() == y.comparable()


def _refused(history_id: int, reason: str) -> UndoRefused:
    return UndoRefused(_("#{id} cannot be undone: {reason}").format(id=history_id, reason=reason))


def _check(row: tuple, group: set[int], first_new: int) -> None:
    """Refuse when the association changed since ``row`` (rows of ``group`` and rows
    this undo wrote, from ``first_new`` on, are not "since"), or a record is gone."""
    history_id, a, b = row[0], row[2], row[3]
    ref = _refs(row)
    later = [
        hid
        for (hid,) in History.select(History.id)
        .where((History.a_id == a) & (History.b_id == b) & (History.id > history_id))
        .order_by(History.id)
        .tuples()
        if hid not in group and hid < first_new
    ]
    if later:
        raise _refused(
            history_id,
            _("the association of {a} and {b} changed again since (#{later})").format(
                a=ref[a], b=ref[b], later=later[-1]
            ),
        )
    for record_id in (a, b):
        try:
            live = records.get(record_id).id == record_id  # a merged id names its survivor
        except (NotFound, Deleted):
            live = False
        if not live:
            raise _refused(
                history_id, _("{ref} is gone (deleted or merged)").format(ref=ref[record_id])
            )
    if not _same(_current(a, b), _after(row)):
        raise _refused(
            history_id,
            _("the association of {a} and {b} is no longer as that change left it").format(
                a=ref[a], b=ref[b]
            ),
        )


def _refs(row: tuple) -> dict[int, str]:
    """The REFs of a history row's two records (as they were: not a merge's survivor)."""
    return {
        row[2]: records.ref_of(objects.by_id(row[4]).key, row[2]),
        row[3]: records.ref_of(objects.by_id(row[5]).key, row[3]),
    }


def _demoted_in_batch(row: tuple, holder: int) -> int | None:
    """The company whose primary role for ``holder`` the operation of ``row`` took away
    before ``row`` (the old primary of a "set as primary"), or None."""
    batch = row[12]
    if not batch:
        return None
    company = objects.by_key(objects.COMPANY).id
    # The operation's rows come just before: read the holder's latest ones by its indexes.
    earlier: list[tuple] = []
    for side in (History.a_id, History.b_id):
        earlier += list(
            History.select(*history.HISTORY_COLUMNS)
            .where((side == holder) & (History.id < row[0]))
            .order_by(History.id.desc())
            .limit(NEARBY)
            .tuples()
        )
    earlier.sort(key=lambda r: r[0], reverse=True)
    for other in earlier:
        if other[12] != batch:
            continue
        state = history._state_of(other)
        if (state.a, state.b) == (row[2], row[3]):
            continue
        other_is_b = state.a == holder
        if (state.b_type if other_is_b else state.a_type) != company:
            continue
        flagged = state.a_primary_b if other_is_b else state.b_primary_a
        if not flagged:  # this row shows it demoted (or removed): it was the primary
            return state.b if other_is_b else state.a
    return None


def _restore(row: tuple, ctx: Context, *, settle: bool) -> Undone:
    history_id, a, b = row[0], row[2], row[3]
    target = _before(row)
    current = _current(a, b)
    if _same(target, current):
        raise _refused(history_id, _("it changed nothing that is still to undo"))
    if target is not None:
        for label_id, _forward in target.labels:
            if labels_mod.cached(label_id) is None:
                raise _refused(
                    history_id, _("a label it removed was deleted since ({id})").format(id=label_id)
                )
    acting = replace(ctx, undoes=history_id)
    try:
        associations.put_back(a, b, target, acting)
    except (LimitExceeded, HierarchyConflict) as exc:
        raise _refused(history_id, str(exc)) from None
    if settle:
        _settle(row, current, target, acting)
    a_type = objects.by_id(row[4]).key
    b_type = objects.by_id(row[5]).key
    return Undone(history_id, a, b, a_type, b_type, _after(row), target)


def _settle(
    row: tuple, was: AssociationState | None, now: AssociationState | None, ctx: Context
) -> None:
    """A record that lost its primary company by the undo gets back the one the change's
    operation demoted, else its oldest (as always)."""
    for holder, flag in ((row[2], "a_primary_b"), (row[3], "b_primary_a")):
        lost = bool(was and getattr(was, flag)) and not bool(now and getattr(now, flag))
        if lost and associations.primary_company(holder) is None:
            company = _demoted_in_batch(row, holder)
            if company is not None and associations.between(holder, company) is not None:
                associations.set_primary(holder, company, ctx)
    associations.settle_primaries((row[2], row[3]), ctx)


def _first_new() -> int:
    """Rows from this id on are written by this undo (writers run one at a time)."""
    newest = History.select(History.id).order_by(History.id.desc()).limit(1).scalar()
    return int(newest or 0) + 1


@writes
def undo(history_id: int, ctx: Context) -> Undone:
    """Undo one association change (a history row): see the module's rules."""
    row = _row(history_id)
    if row is None:
        raise UndoRefused(_("there is no history entry #{id}").format(id=history_id))
    _check(row, set(), _first_new())
    return _restore(row, ctx, settle=True)


def batch_rows(batch: str) -> list[int]:
    """The history ids of one operation, oldest first."""
    return [
        hid
        for (hid,) in History.select(History.id)
        .where(History.batch == batch)
        .order_by(History.id)
        .tuples()
    ]


@writes
def undo_batch(batch: str, ctx: Context) -> list[Undone]:
    """Undo every change of one operation (the rows of ``batch``), newest first, all or
    nothing; primaries are settled once all are back."""
    ids = batch_rows(batch)
    if not ids:
        raise UndoRefused(_("that change left no association history to undo"))
    group, first_new = set(ids), _first_new()
    done = []
    touched: list[int] = []
    for history_id in reversed(ids):
        row = _row(history_id)
        assert row is not None
        _check(row, group, first_new)
        if _same(_before(row), _current(row[2], row[3])):
            continue  # a row the operation wrote and a later one of it reverted
        done.append(_restore(row, ctx, settle=False))
        touched += [row[2], row[3]]
    associations.settle_primaries(touched, replace(ctx, undoes=ids[-1]))
    return done
