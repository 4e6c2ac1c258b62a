"""Association limits per object pair, per direction and per label; checked on every path."""

from __future__ import annotations

from dataclasses import dataclass

from peewee import fn

from rolodex.crm import changes, objects
from rolodex.crm import labels as labels_mod
from rolodex.crm.errors import InvalidValue, LabelNotFound, LimitExceeded
from rolodex.i18n import _
from rolodex.store.models import Association, AssociationLabel, AssociationLimit, Record
from rolodex.store.transactions import writes

NEAR_RATIO = 0.8


@dataclass(frozen=True)
class LimitInfo:
    id: int
    from_type: str
    to_type: str
    label: str | None
    max_count: int | None


@dataclass(frozen=True)
class LimitUsage:
    record_id: int
    record_type: str
    name: str
    limit: LimitInfo
    used: int

    @property
    def over(self) -> bool:
        return self.limit.max_count is not None and self.used > self.limit.max_count


def parse_max(text: str) -> int | None:
    word = text.strip().lower()
    if word in ("many", "unlimited", "none"):
        return None
    if word == "one":
        return 1
    try:
        value = int(word)
    except ValueError as exc:
        raise InvalidValue(
            _("a limit is a whole number, 'one' or 'many', not '{text}'").format(text=text)
        ) from exc
    if value < 1:
        raise InvalidValue(_("a limit must be at least 1 (or 'many')"))
    return value


def _info(row: AssociationLimit) -> LimitInfo:
    return LimitInfo(
        id=row.id,
        from_type=objects.by_id(row.from_type_id).key,
        to_type=objects.by_id(row.to_type_id).key,
        label=row.label_side,
        max_count=row.max_count,
    )


@writes
def set_limit(
    from_type: str, to_type: str, max_count: int | None, label: str | None = None
) -> LimitInfo:
    """Set (or with None, lift) a limit. Not retroactive: records already over keep theirs."""
    source, target = objects.by_key(from_type), objects.by_key(to_type)
    label_id = None
    if label:
        # The word as seen from the FROM record's side: "FROM is TO's WORD".
        try:
            info, _forward = labels_mod.resolve(from_type, to_type, label)
        except LabelNotFound:
            if from_type == to_type:
                raise
            # Between two objects a label counts whichever word names it: "a deal has at
            # most one Champion" names the word the TO records carry.
            info, _forward = labels_mod.resolve(to_type, from_type, label)
        label_id = info.id
    query = AssociationLimit.delete().where(
        (AssociationLimit.from_type == source.id) & (AssociationLimit.to_type == target.id)
    )
    if label_id is None:
        query = query.where(AssociationLimit.label.is_null())
    else:
        query = query.where(AssociationLimit.label == label_id)
    query.execute()
    row = AssociationLimit.create(
        from_type=source.id,
        to_type=target.id,
        label=label_id,
        label_side=label,
        max_count=max_count,
    )
    changes.notify()
    return _info(row)


def list_limits() -> list[LimitInfo]:
    return [_info(row) for row in AssociationLimit.select().order_by(AssociationLimit.id)]


def _applicable(from_type_id: int, to_type_id: int) -> list[AssociationLimit]:
    return list(
        AssociationLimit.select().where(
            (AssociationLimit.from_type == from_type_id)
            & (AssociationLimit.to_type == to_type_id)
            & AssociationLimit.max_count.is_null(False)
        )
    )


def plain_limit(from_type_id: int, to_type_id: int) -> int | None:
    """The limit on how many TO records one FROM record may have (any label), if any."""
    caps = [
        row.max_count
        for row in _applicable(from_type_id, to_type_id)
        if row.label_id is None and row.max_count is not None
    ]
    return min(caps) if caps else None


def count_to_type(record_id: int, to_type_id: int) -> int:
    left = (
        Association.select(fn.COUNT(Association.id))
        .where((Association.a == record_id) & (Association.b_type == to_type_id))
        .scalar()
    )
    right = (
        Association.select(fn.COUNT(Association.id))
        .where((Association.b == record_id) & (Association.a_type == to_type_id))
        .scalar()
    )
    return (left or 0) + (right or 0)


def count_with_label(
    record_id: int, to_type_id: int, label_id: int, same_object: bool, word: str
) -> int:
    """Associations of the record to TO records that carry the label (as seen from the record)."""
    rows = (
        AssociationLabel.select(Association.a, AssociationLabel.forward)
        .join(Association)
        .where(
            (AssociationLabel.label == label_id)
            & (
                ((Association.a == record_id) & (Association.b_type == to_type_id))
                | ((Association.b == record_id) & (Association.a_type == to_type_id))
            )
        )
        .tuples()
    )
    if not same_object:
        return len(list(rows))
    label = labels_mod.get(label_id)
    total = 0
    for a_id, forward in rows:
        viewer_is_from = (a_id == record_id) == bool(forward)
        if label.seen_from(viewer_is_from).casefold() == word.casefold():
            total += 1
    return total


def check_new(
    record_id: int,
    record_type_id: int,
    other_type_id: int,
    new_labels: list[tuple[int, bool]],
    adds_association: bool,
) -> None:
    """Raise LimitExceeded when adding the association (and/or these labels) passes a limit.

    ``new_labels`` are (label id, record is the label's from record).
    """
    for row in _applicable(record_type_id, other_type_id):
        limit = _info(row)
        if row.label_id is None:
            if not adds_association:
                continue
            used = count_to_type(record_id, other_type_id)
            what = objects.by_id(other_type_id).shown_plural.lower()
        else:
            same = record_type_id == other_type_id
            matching = [
                lid
                for lid, viewer_is_from in new_labels
                if lid == row.label_id
                and (
                    not same
                    or labels_mod.get(lid).seen_from(viewer_is_from).casefold()
                    == (row.label_side or "").casefold()
                )
            ]
            if not matching:
                continue
            used = count_with_label(
                record_id, other_type_id, row.label_id, same, row.label_side or ""
            )
            what = _("'{label}' associations").format(label=row.label_side)
        if limit.max_count is not None and used + 1 > limit.max_count:
            name = Record.select(Record.name).where(Record.id == record_id).scalar() or ""
            raise LimitExceeded(
                _(
                    "limit reached: {ref} ({name}) may have at most {n} {what} and has {used}"
                ).format(
                    ref=f"{objects.by_id(record_type_id).key}:{record_id}",
                    name=name,
                    n=limit.max_count,
                    what=what,
                    used=used,
                )
            )


def usage_report(ratio: float = NEAR_RATIO) -> list[LimitUsage]:
    """Records at or above ``ratio`` of a limit (over it included), most used first."""
    report: list[LimitUsage] = []
    for row in AssociationLimit.select().where(AssociationLimit.max_count.is_null(False)):
        limit = _info(row)
        threshold = max(1, int(-(-row.max_count * ratio // 1)))
        counts: dict[int, int] = {}
        if row.label_id is None:
            for rid, n in (
                Association.select(Association.a, fn.COUNT(Association.id))
                .where(
                    (Association.a_type == row.from_type_id)
                    & (Association.b_type == row.to_type_id)
                )
                .group_by(Association.a)
                .tuples()
            ):
                counts[rid] = counts.get(rid, 0) + n
            for rid, n in (
                Association.select(Association.b, fn.COUNT(Association.id))
                .where(
                    (Association.b_type == row.from_type_id)
                    & (Association.a_type == row.to_type_id)
                )
                .group_by(Association.b)
                .tuples()
            ):
                counts[rid] = counts.get(rid, 0) + n
        else:
            same = row.from_type_id == row.to_type_id
            label = labels_mod.get(row.label_id)
            for a_id, b_id, a_type, b_type, forward in (
                AssociationLabel.select(
                    Association.a,
                    Association.b,
                    Association.a_type,
                    Association.b_type,
                    AssociationLabel.forward,
                )
                .join(Association)
                .where(AssociationLabel.label == row.label_id)
                .tuples()
            ):
                for rid, own_type, other_type, is_a in (
                    (a_id, a_type, b_type, True),
                    (b_id, b_type, a_type, False),
                ):
                    if own_type != row.from_type_id or other_type != row.to_type_id:
                        continue
                    viewer_is_from = is_a == bool(forward)
                    if (
                        same
                        and label.seen_from(viewer_is_from).casefold()
                        != (row.label_side or "").casefold()
                    ):
                        continue
                    counts[rid] = counts.get(rid, 0) + 1
        near = [rid for rid, n in counts.items() if n >= threshold]
        names = (
            dict(Record.select(Record.id, Record.name).where(Record.id.in_(near)).tuples())
            if near
            else {}
        )
        for rid in near:
            report.append(LimitUsage(rid, limit.from_type, names.get(rid, ""), limit, counts[rid]))
    report.sort(key=lambda u: (-(u.used / (u.limit.max_count or 1)), u.record_id))
    return report
