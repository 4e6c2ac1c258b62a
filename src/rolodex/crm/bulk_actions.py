"""One action on many records (ticked in the index, or REFs on the command line): one
write transaction per action, each record's part on its own (a savepoint), so a record
a rule refuses (a limit, a gone record) is reported and the others still change."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from rolodex.crm import associations, labels, lifecycle, records
from rolodex.crm.context import Context, new_batch
from rolodex.crm.errors import NotFound, RolodexError
from rolodex.i18n import _
from rolodex.store.transactions import savepoint, writes


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)  # records changed
    unchanged: list[int] = field(default_factory=list)  # records already as asked
    refused: list[tuple[int, str]] = field(default_factory=list)  # (record, why)

    @property
    def total(self) -> int:
        return len(self.done) + len(self.unchanged) + len(self.refused)


@writes
def _each(ids: Sequence[int], ctx: Context, change: Callable[[int, Context], bool]) -> BulkResult:
    """``change`` per record, in one transaction and one history batch; it returns
    whether it changed anything, or raises a RolodexError that refuses that record only."""
    batch = replace(ctx, batch=ctx.batch or new_batch("bulk"))
    result = BulkResult()
    for record_id in dict.fromkeys(ids):
        try:
            with savepoint():
                changed = change(record_id, batch)
        except RolodexError as refusal:
            result.refused.append((record_id, str(refusal)))
            continue
        (result.done if changed else result.unchanged).append(record_id)
    return result


def associate_each(
    ids: Sequence[int],
    target_id: int,
    ctx: Context,
    words: Sequence[str] = (),
    *,
    primary: bool = False,
) -> BulkResult:
    """Associate every record with ``target_id``: "each record is the target's WORD";
    with ``primary`` the target (a company) becomes each record's primary company."""

    def change(record_id: int, batch: Context) -> bool:
        done = associations.associate(record_id, target_id, batch, words, primary=primary)
        return done.created or done.changed

    return _each(ids, ctx, change)


def associate_with_each(
    first_id: int,
    other_ids: Sequence[int],
    ctx: Context,
    words: Sequence[str] = (),
    *,
    primary: bool = False,
) -> BulkResult:
    """The command line's ``associate FIRST OTHER...``: "the first is each other's WORD",
    as ``associate FIRST OTHER`` says it for two; with ``primary`` the first (a company)
    becomes each other's primary company."""

    def change(other_id: int, batch: Context) -> bool:
        done = associations.associate(first_id, other_id, batch, words)
        changed = bool(done.created or done.changed)
        if primary:
            made = associations.associate(other_id, first_id, batch, (), primary=True)
            changed = changed or bool(made.created or made.changed)
        return changed

    return _each(other_ids, ctx, change)


def add_labels(
    ids: Sequence[int], target_id: int, ctx: Context, words: Sequence[str]
) -> BulkResult:
    """Add labels to each record's association with ``target_id`` (records not
    associated with it are refused: adding a label is not associating)."""

    def change(record_id: int, batch: Context) -> bool:
        _require_link(record_id, target_id)
        done = associations.associate(record_id, target_id, batch, words)
        return done.changed

    return _each(ids, ctx, change)


def remove_labels(
    ids: Sequence[int], target_id: int, ctx: Context, words: Sequence[str]
) -> BulkResult:
    """Take labels off each record's association with ``target_id``."""
    gone = {labels.name_key(word) for word in words}

    def change(record_id: int, batch: Context) -> bool:
        link = _require_link(record_id, target_id)
        kept = [word for word in link.labels if labels.name_key(word) not in gone]
        if len(kept) == len(link.labels):
            return False
        associations.set_labels(record_id, target_id, batch, kept)
        return True

    return _each(ids, ctx, change)


def set_primary_each(ids: Sequence[int], company_id: int, ctx: Context) -> BulkResult:
    """Make ``company_id`` each record's primary company (associating where needed)."""
    return associate_each(ids, company_id, ctx, primary=True)


def delete_each(ids: Sequence[int], ctx: Context) -> BulkResult:
    """Move every record to the recycle bin."""

    def change(record_id: int, batch: Context) -> bool:
        lifecycle.delete(record_id, batch)
        return True

    return _each(ids, ctx, change)


def _require_link(record_id: int, target_id: int) -> associations.Associated:
    """The association seen from the target: its labels are the words of "the record is
    the target's WORD"."""
    link = associations.between(target_id, record_id)
    if link is None:
        raise NotFound(
            _("{record} is not associated with {other}").format(
                record=records.get(record_id).ref, other=records.get(target_id).ref
            )
        )
    return link
