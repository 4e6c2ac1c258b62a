"""`check`: prove the invariants hold. Violations fail; records over a lowered limit are reported apart.

First the file itself (SQLite's ``PRAGMA quick_check``: a damaged file is reported
and nothing else is read from it), then the guard that keeps history append-only,
then the structural rules and the history replay.

Memory stays flat on large databases: structural rules are SQL queries, and the
history replay is a merge of two streams read in (a_id, b_id) order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field

from peewee import DatabaseError, fn

from rolodex.crm import limits, objects
from rolodex.crm.context import JOB
from rolodex.crm.state import AssociationState
from rolodex.i18n import _, ngettext
from rolodex.store import hierarchy_guard, history_guard, raw
from rolodex.store.database import is_sqlite
from rolodex.store.models import Association, Record, database

SHOWN_PER_RULE = 50  # a broken database could list millions; show the first ones


@dataclass
class CheckReport:
    violations: list[str] = field(default_factory=list)
    over_limit: list[str] = field(default_factory=list)  # not retroactive: reported, not failed
    checked_associations: int = 0

    @property
    def ok(self) -> bool:
        return not self.violations


def _file_intact(report: CheckReport) -> bool:
    """SQLite's own check of the file's pages and b-trees (quick: no index-to-table match)."""
    if not is_sqlite(database.obj):
        return True
    try:
        rows = raw.fetchall(f"PRAGMA quick_check({SHOWN_PER_RULE})")
        problems = [
            line.strip()
            for row in rows
            if row and row[0] != "ok"
            for line in str(row[0]).splitlines()
            if line.strip() and not line.startswith("*** in database")
        ]
    except (DatabaseError, sqlite3.DatabaseError) as exc:  # too damaged to be checked
        problems = [" ".join(str(exc).split()) or type(exc).__name__]
    for problem in problems:
        report.violations.append(
            _("the database file is damaged: {problem}").format(problem=problem)
        )
    if problems:
        report.violations.append(_("nothing else was checked: restore the database from a backup"))
    return not problems


def _history_guard(report: CheckReport) -> None:
    """Someone who dropped or disabled the triggers could have rewritten history since."""
    messages = {
        history_guard.MISSING: _(
            "history is not protected: its append-only trigger {name} is missing"
        ),
        history_guard.DISABLED: _(
            "history is not protected: its append-only trigger {name} is disabled"
        ),
        history_guard.CHANGED: _(
            "history is not protected: its append-only trigger {name} was changed"
        ),
    }
    for name, problem in sorted(history_guard.problems(database.obj).items()):
        report.violations.append(messages[problem].format(name=name))


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


def _hierarchies(report: CheckReport) -> None:
    """Under a hierarchical label a record has one parent at most and is not its own
    ancestor; the trigger that refuses a second parent is in place."""
    for name in hierarchy_guard.missing(database.obj):
        report.violations.append(
            _("hierarchies are not protected: the trigger {name} is missing").format(name=name)
        )
    edges = raw.cursor(
        "SELECT l.label_id, CASE WHEN l.forward THEN s.a_id ELSE s.b_id END, "
        "CASE WHEN l.forward THEN s.b_id ELSE s.a_id END FROM association_label l "
        "JOIN label lb ON lb.id = l.label_id JOIN association s ON s.id = l.association_id "
        "WHERE lb.hierarchical ORDER BY l.label_id"
    )
    parent_of: dict[int, dict[int, int]] = {}
    shown = 0
    for label_id, parent, child in edges:
        parents = parent_of.setdefault(label_id, {})
        if child in parents:
            if shown < SHOWN_PER_RULE:
                report.violations.append(
                    _("record {id} has more than one parent under the label {label}").format(
                        id=child, label=label_id
                    )
                )
            shown += 1
            continue
        parents[child] = parent
    for label_id, parents in parent_of.items():
        settled: set[int] = set()
        for start in parents:
            path: list[int] = []
            node: int | None = start
            while node is not None and node not in settled and node not in path:
                path.append(node)
                node = parents.get(node)
            if node is not None and node in path and shown < SHOWN_PER_RULE:
                cycle = path[path.index(node) :]
                report.violations.append(
                    _("records {ids} form a cycle under the label {label}").format(
                        ids=", ".join(str(i) for i in sorted(cycle)), label=label_id
                    )
                )
                shown += 1
            settled.update(path)


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


ACTIONS = ("created", "updated", "removed")


def _replayed_states(report: CheckReport) -> Iterator[AssociationState]:
    """The last history event of every pair that still exists, in (a_id, b_id) order.

    On the way, a row that contradicts the pair's earlier rows is a violation: an
    association created twice, or updated or removed while it did not exist.
    """
    cursor = raw.cursor(
        "SELECT a_id, b_id, a_type_id, b_type_id, action, labels, a_primary_b, b_primary_a, id, "
        "source FROM history ORDER BY a_id, b_id, id"
    )
    last = None
    shown = 0
    for row in cursor:
        same_pair = last is not None and (row[0], row[1]) == (last[0], last[1])
        if last is not None and not same_pair and last[4] != "removed":
            yield _state(last)
        exists = same_pair and last is not None and last[4] != "removed"
        problem = _contradiction(row, exists)
        if problem is not None and shown < SHOWN_PER_RULE:
            shown += 1
            report.violations.append(problem)
        last = row
    if last is not None and last[4] != "removed":
        yield _state(last)


def _contradiction(row: tuple, exists: bool) -> str | None:
    a, b, action, history_id = row[0], row[1], row[4], row[8]
    pair = f"{a}-{b}"
    if action not in ACTIONS:
        return _(
            "history row {id} of the association {pair} has an unknown action {action}"
        ).format(id=history_id, pair=pair, action=repr(action))
    if a >= b:
        return _("history row {id} names the association {pair} out of order").format(
            id=history_id, pair=pair
        )
    if action == "created" and exists:
        return _("history row {id} creates the association {pair}, which already existed").format(
            id=history_id, pair=pair
        )
    if action == "removed" and not exists and row[9] == JOB:
        # The recycle bin's expiry: an association a deletion removed is gone for good.
        return None
    if action != "created" and not exists:
        return _("history row {id} changes the association {pair}, which did not exist").format(
            id=history_id, pair=pair
        )
    return None


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
    stored, replayed = stored_states(), _replayed_states(report)
    mine, theirs = next(stored, None), next(replayed, None)
    found = 0
    while mine is not None or theirs is not None:
        bad: str | None
        pair: AssociationState | None
        if theirs is None or (mine is not None and mine.key() < theirs.key()):
            bad = _("association {a}-{b} is stored, but history never created it")
            pair, mine = mine, next(stored, None)
            report.checked_associations += 1
        elif mine is None or theirs.key() < mine.key():
            bad = _("history says the association {a}-{b} exists, but it is not stored")
            pair, theirs = theirs, next(replayed, None)
        else:
            bad = _differs(mine, theirs)
            pair = mine
            mine, theirs = next(stored, None), next(replayed, None)
            report.checked_associations += 1
        if bad is None or pair is None:
            continue
        found += 1
        if found <= SHOWN_PER_RULE:
            report.violations.append(bad.format(a=pair.a, b=pair.b))
    if found > SHOWN_PER_RULE:
        more = found - SHOWN_PER_RULE
        report.violations.append(
            ngettext(
                "and {n} more association whose history does not replay to it",
                "and {n} more associations whose history does not replay to them",
                more,
            ).format(n=more)
        )


def _differs(stored: AssociationState, replayed: AssociationState) -> str | None:
    """What history says differently about one association (None: it agrees)."""
    if stored.comparable() == replayed.comparable():
        return None
    if (stored.a_type, stored.b_type) != (replayed.a_type, replayed.b_type):
        return _(
            "history does not replay to the association {a}-{b} as stored: object types differ"
        )
    if stored.labels != replayed.labels:
        return _("history does not replay to the association {a}-{b} as stored: labels differ")
    return _("history does not replay to the association {a}-{b} as stored: primaries differ")


def run() -> CheckReport:
    report = CheckReport()
    if not _file_intact(report):
        return report
    _history_guard(report)
    _structural(report)
    _hierarchies(report)
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
