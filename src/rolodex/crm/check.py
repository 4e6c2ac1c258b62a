"""`check`: prove the invariants hold. Violations fail; records over a lowered limit are reported apart."""

from __future__ import annotations

from dataclasses import dataclass, field

from peewee import fn

from rolodex.crm import history, limits, objects
from rolodex.crm.state import AssociationState
from rolodex.i18n import _
from rolodex.store.models import Association, AssociationLabel, Label, Record


@dataclass
class CheckReport:
    violations: list[str] = field(default_factory=list)
    over_limit: list[str] = field(default_factory=list)  # not retroactive: reported, not failed
    checked_associations: int = 0

    @property
    def ok(self) -> bool:
        return not self.violations


def _current_states() -> dict[tuple[int, int], AssociationState]:
    labels: dict[int, set[tuple[int, bool]]] = {}
    for assoc_id, lid, fwd in (
        AssociationLabel.select(
            AssociationLabel.association, AssociationLabel.label, AssociationLabel.forward
        )
        .tuples()
        .iterator()
    ):
        labels.setdefault(assoc_id, set()).add((lid, bool(fwd)))
    states = {}
    for assoc_id, a, b, a_type, b_type, apb, bpa in (
        Association.select(
            Association.id,
            Association.a,
            Association.b,
            Association.a_type,
            Association.b_type,
            Association.a_primary_b,
            Association.b_primary_a,
        )
        .tuples()
        .iterator()
    ):
        states[(a, b)] = AssociationState(
            a, b, a_type, b_type, frozenset(labels.get(assoc_id, ())), bool(apb), bool(bpa)
        )
    return states


def run() -> CheckReport:
    report = CheckReport()
    company = objects.by_key(objects.COMPANY)
    states = _current_states()
    report.checked_associations = len(states)
    record_info = {
        rid: (tid, deleted, merged)
        for rid, tid, deleted, merged in Record.select(
            Record.id, Record.object_type, Record.deleted_at, Record.merged_into
        )
        .tuples()
        .iterator()
    }
    label_pairs = {lab.id: (lab.from_type_id, lab.to_type_id) for lab in Label.select()}
    primaries: dict[tuple[int, int], int] = {}
    company_count: dict[int, int] = {}
    for (a, b), state in states.items():
        ref = f"{a}-{b}"
        if a >= b:
            report.violations.append(
                _("association {ref} is not stored in canonical order").format(ref=ref)
            )
        for rid, stored_type in ((a, state.a_type), (b, state.b_type)):
            info = record_info.get(rid)
            if info is None:
                report.violations.append(
                    _("association {ref} points to a missing record {id}").format(ref=ref, id=rid)
                )
                continue
            if info[0] != stored_type:
                report.violations.append(
                    _("association {ref} has the wrong object for record {id}").format(
                        ref=ref, id=rid
                    )
                )
            if info[1] is not None or info[2] is not None:
                report.violations.append(
                    _("association {ref} links deleted or merged record {id}").format(
                        ref=ref, id=rid
                    )
                )
        for lid, forward in state.labels:
            pair = label_pairs.get(lid)
            expected = (state.a_type, state.b_type) if forward else (state.b_type, state.a_type)
            if pair != expected:
                report.violations.append(
                    _("association {ref} carries label {label} defined for another pair").format(
                        ref=ref, label=lid
                    )
                )
        for holder, other_type, flagged in (
            (a, state.b_type, state.a_primary_b),
            (b, state.a_type, state.b_primary_a),
        ):
            holder_type = state.a_type if holder == a else state.b_type
            if other_type == company.id and objects.by_id(holder_type).has_primary_company:
                company_count[holder] = company_count.get(holder, 0) + 1
            if not flagged:
                continue
            if other_type != company.id or not objects.by_id(holder_type).has_primary_company:
                report.violations.append(
                    _("record {id} has a primary that is not a company").format(id=holder)
                )
            key = (holder, other_type)
            primaries[key] = primaries.get(key, 0) + 1
    for (holder, _type), n in primaries.items():
        if n > 1:
            report.violations.append(
                _("record {id} has {n} primary companies").format(id=holder, n=n)
            )
    for holder, n in company_count.items():
        if n and (holder, company.id) not in primaries:
            report.violations.append(
                _("record {id} has {n} companies but no primary company").format(id=holder, n=n)
            )
    replayed = history.replay()
    for key in set(states) | set(replayed):
        mine, theirs = states.get(key), replayed.get(key)
        if mine is None or theirs is None or mine.comparable() != theirs.comparable():
            report.violations.append(
                _("history does not replay to the association {a}-{b} as stored").format(
                    a=key[0], b=key[1]
                )
            )
    for usage in limits.usage_report(ratio=1.0):
        if usage.over:
            report.over_limit.append(
                _("{type}:{id} ({name}) has {used} where the limit is {n}").format(
                    type=usage.record_type,
                    id=usage.record_id,
                    name=usage.name,
                    used=usage.used,
                    n=usage.limit.max_count,
                )
            )
    return report


def counts() -> dict[str, int]:
    return {
        "records": Record.select(fn.COUNT(Record.id)).scalar() or 0,
        "associations": Association.select(fn.COUNT(Association.id)).scalar() or 0,
    }
