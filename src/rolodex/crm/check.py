"""`check`: prove the invariants hold. Violations fail; records over a lowered limit are reported apart.

Memory stays flat on large databases: structural rules are SQL queries, and the
history replay is a merge of two streams read in (a_id, b_id) order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from peewee import fn

from rolodex.crm import limits, objects
from rolodex.crm.state import AssociationState
from rolodex.i18n import _
from rolodex.store import raw
from rolodex.store.models import Association, Record

SHOWN_PER_RULE = 50  # a broken database could list millions; show the first ones


@dataclass
class CheckReport:
    violations: list[str] = field(default_factory=list)
    over_limit: list[str] = field(default_factory=list)  # not retroactive: reported, not failed
    checked_associations: int = 0

    @property
    def ok(self) -> bool:
        return not self.violations


def _ids(values: list[int]) -> str:
    return ",".join(str(int(v)) for v in values) or "NULL"


def _structural(report: CheckReport) -> None:
    company = objects.by_key(objects.COMPANY).id
    holders = _ids([t.id for t in objects.all_types() if t.has_primary_company])
    limit = f" LIMIT {SHOWN_PER_RULE}"
    for a, b in raw.fetchall("SELECT a_id, b_id FROM association WHERE a_id >= b_id" + limit):
        report.violations.append(
            _("association {ref} is not stored in canonical order").format(ref=f"{a}-{b}")
        )
    for side in ("a", "b"):
        for a, b, rid in raw.fetchall(
            f"SELECT s.a_id, s.b_id, s.{side}_id FROM association s "
            f"LEFT JOIN record r ON r.id = s.{side}_id WHERE r.id IS NULL" + limit
        ):
            report.violations.append(
                _("association {ref} points to a missing record {id}").format(
                    ref=f"{a}-{b}", id=rid
                )
            )
        for a, b, rid in raw.fetchall(
            f"SELECT s.a_id, s.b_id, r.id FROM association s JOIN record r ON r.id = s.{side}_id "
            f"WHERE r.object_type_id != s.{side}_type_id" + limit
        ):
            report.violations.append(
                _("association {ref} has the wrong object for record {id}").format(
                    ref=f"{a}-{b}", id=rid
                )
            )
        for a, b, rid in raw.fetchall(
            f"SELECT s.a_id, s.b_id, r.id FROM association s JOIN record r ON r.id = s.{side}_id "
            "WHERE r.deleted_at IS NOT NULL OR r.merged_into_id IS NOT NULL" + limit
        ):
            report.violations.append(
                _("association {ref} links deleted or merged record {id}").format(
                    ref=f"{a}-{b}", id=rid
                )
            )
    for a, b, label_id in raw.fetchall(
        "SELECT s.a_id, s.b_id, l.id FROM association_label x "
        "JOIN association s ON s.id = x.association_id JOIN label l ON l.id = x.label_id "
        "WHERE (x.forward AND (l.from_type_id != s.a_type_id OR l.to_type_id != s.b_type_id)) "
        "OR (NOT x.forward AND (l.from_type_id != s.b_type_id OR l.to_type_id != s.a_type_id))"
        + limit
    ):
        report.violations.append(
            _("association {ref} carries label {label} defined for another pair").format(
                ref=f"{a}-{b}", label=label_id
            )
        )
    # Primaries: (holder, holder's object, other's object, flag) from both stored sides.
    sides = (
        "SELECT a_id AS holder, a_type_id AS holder_type, b_type_id AS other_type, "
        "a_primary_b AS flag FROM association UNION ALL "
        "SELECT b_id, b_type_id, a_type_id, b_primary_a FROM association"
    )
    for (holder,) in raw.fetchall(
        f"SELECT DISTINCT holder FROM ({sides}) p WHERE p.flag "
        f"AND (p.other_type != {company} OR p.holder_type NOT IN ({holders}))" + limit
    ):
        report.violations.append(
            _("record {id} has a primary that is not a company").format(id=holder)
        )
    for holder, n in raw.fetchall(
        f"SELECT holder, count(*) FROM ({sides}) p WHERE p.flag "
        "GROUP BY holder, other_type HAVING count(*) > 1" + limit
    ):
        report.violations.append(_("record {id} has {n} primary companies").format(id=holder, n=n))
    for holder, n in raw.fetchall(
        f"SELECT holder, count(*) FROM ({sides}) p WHERE p.other_type = {company} "
        f"AND p.holder_type IN ({holders}) GROUP BY holder "
        "HAVING sum(CASE WHEN p.flag THEN 1 ELSE 0 END) = 0" + limit
    ):
        report.violations.append(
            _("record {id} has {n} companies but no primary company").format(id=holder, n=n)
        )


def stored_states() -> Iterator[AssociationState]:
    """Every association with its labels, in (a_id, b_id) order."""
    labels: dict[int, set[tuple[int, bool]]] = {}
    for assoc_id, label_id, forward in raw.fetchall(
        "SELECT association_id, label_id, forward FROM association_label"
    ):
        labels.setdefault(assoc_id, set()).add((label_id, bool(forward)))
    cursor = raw.cursor(
        "SELECT id, a_id, b_id, a_type_id, b_type_id, a_primary_b, b_primary_a "
        "FROM association ORDER BY a_id, b_id"
    )
    for assoc_id, a, b, a_type, b_type, apb, bpa in cursor:
        yield AssociationState(
            a, b, a_type, b_type, frozenset(labels.get(assoc_id, ())), bool(apb), bool(bpa)
        )


def _replayed_states() -> Iterator[AssociationState]:
    """The last history event of every pair that still exists, in (a_id, b_id) order."""
    cursor = raw.cursor(
        "SELECT a_id, b_id, a_type_id, b_type_id, action, labels, a_primary_b, b_primary_a "
        "FROM history ORDER BY a_id, b_id, id"
    )
    last = None
    for row in cursor:
        if last is not None and (row[0], row[1]) != (last[0], last[1]) and last[4] != "removed":
            yield _state(last)
        last = row
    if last is not None and last[4] != "removed":
        yield _state(last)


def _state(row: tuple) -> AssociationState:
    return AssociationState(
        row[0],
        row[1],
        row[2],
        row[3],
        AssociationState.parse_labels(row[5]),
        bool(row[6]),
        bool(row[7]),
    )


def _replay(report: CheckReport) -> None:
    """Replaying history must give exactly the stored associations."""
    stored, replayed = stored_states(), _replayed_states()
    mine, theirs = next(stored, None), next(replayed, None)
    shown = 0
    while mine is not None or theirs is not None:
        if theirs is None or (mine is not None and mine.key() < theirs.key()):
            bad, mine = mine, next(stored, None)  # stored but never created in history
            report.checked_associations += 1
        elif mine is None or theirs.key() < mine.key():
            bad, theirs = theirs, next(replayed, None)  # in history but not stored
        else:
            bad = None if mine.comparable() == theirs.comparable() else mine
            mine, theirs = next(stored, None), next(replayed, None)
            report.checked_associations += 1
        if bad is not None and shown < SHOWN_PER_RULE:
            shown += 1
            report.violations.append(
                _("history does not replay to the association {a}-{b} as stored").format(
                    a=bad.a, b=bad.b
                )
            )


def run() -> CheckReport:
    report = CheckReport()
    _structural(report)
    _replay(report)
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
