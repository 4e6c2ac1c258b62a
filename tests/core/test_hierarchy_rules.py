"""Random sequences of changes to company hierarchies: whatever happens (links in both
words, relabelling, removal, delete and restore, merge, undo), no record ever has two
parents, no cycle ever forms, a refused change changes nothing, and every tree's sums
equal a brute-force sum over the descendants."""

from __future__ import annotations

import json
import os

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from rolodex.crm import activities, associations, check, hierarchy, labels, lifecycle, records, undo
from rolodex.crm.context import Context, new_batch
from rolodex.crm.errors import RolodexError
from rolodex.store.models import Association, AssociationLabel, ObjectType, Record
from tests.conftest import PG_URL
from tests.core.test_stateful import _reset, _state_snapshot

COMPANIES = 6
WORDS = ["Parent company", "Child company"]


def _ctx() -> Context:
    return Context("API", actor="hierarchy", batch=new_batch("test"))


def _parent_map() -> dict[int, list[int]]:
    """child -> parents, from the stored rows (not through the code under test)."""
    (label,) = hierarchy.labels_for("company")
    parents: dict[int, list[int]] = {}
    for a, b, forward in (
        AssociationLabel.select(Association.a, Association.b, AssociationLabel.forward)
        .join(Association)
        .where(AssociationLabel.label == label.id)
        .tuples()
    ):
        parent, child = (a, b) if forward else (b, a)
        parents.setdefault(child, []).append(parent)
    return parents


def _own_counts() -> dict[int, tuple[int, int]]:
    """company id -> (associated contacts, associated open deals), brute force."""
    kinds = {
        rid: (key, json.loads(props))
        for rid, key, props in Record.select(Record.id, ObjectType.key, Record.properties)
        .join(ObjectType, on=(Record.object_type == ObjectType.id))
        .tuples()
    }
    out: dict[int, list[int]] = {}
    for a, b in Association.select(Association.a, Association.b).tuples():
        for mine, other in ((a, b), (b, a)):
            if kinds[mine][0] != "company":
                continue
            got = out.setdefault(mine, [0, 0])
            kind, props = kinds[other]
            if kind == "contact":
                got[0] += 1
            elif (
                kind == "deal" and props.get("stage", "").casefold() not in activities.CLOSED_STAGES
            ):
                got[1] += 1
    return {rid: (c, d) for rid, (c, d) in out.items()}


class HierarchyMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        _reset()
        labels.create("company", "company", "Parent company", "Child company", hierarchical=True)
        self.companies = [
            records.create("company", {"name": f"Co{i}"}).id for i in range(COMPANIES)
        ]
        self.people = [records.create("contact", {"first_name": f"P{i}"}).id for i in range(3)]
        self.deals = [
            records.create("deal", {"name": "Open"}).id,
            records.create("deal", {"name": "Won", "stage": "closedwon"}).id,
        ]
        self.batches: list[str] = []

    def _attempt(self, action) -> None:  # type: ignore[no-untyped-def]
        """Run ``action`` with a batch of its own; a refusal must leave everything as it was."""
        before = _state_snapshot()
        ctx = _ctx()
        try:
            action(ctx)
        except RolodexError:
            assert _state_snapshot() == before, "a refused change changed the database"
            return
        self.batches.append(ctx.batch or "")

    @rule(
        i=st.integers(0, COMPANIES - 1),
        j=st.integers(0, COMPANIES - 1),
        word=st.sampled_from(WORDS),
    )
    def link(self, i: int, j: int, word: str) -> None:
        a, b = self.companies[i], self.companies[j]
        self._attempt(lambda ctx: associations.associate(a, b, ctx, [word]))

    @rule(
        i=st.integers(0, COMPANIES - 1),
        j=st.integers(0, COMPANIES - 1),
        words=st.lists(st.sampled_from(WORDS), max_size=2, unique=True),
    )
    def relabel(self, i: int, j: int, words: list[str]) -> None:
        a, b = self.companies[i], self.companies[j]
        self._attempt(lambda ctx: associations.set_labels(a, b, ctx, words))

    @rule(i=st.integers(0, COMPANIES - 1), j=st.integers(0, COMPANIES - 1))
    def unlink(self, i: int, j: int) -> None:
        a, b = self.companies[i], self.companies[j]
        self._attempt(lambda ctx: associations.dissociate(a, b, ctx))

    @rule(i=st.integers(0, COMPANIES - 1), k=st.integers(0, 4))
    def attach(self, i: int, k: int) -> None:
        other = (self.people + self.deals)[k]
        company = self.companies[i]
        self._attempt(lambda ctx: associations.associate(other, company, ctx))

    @rule(i=st.integers(0, COMPANIES - 1))
    def delete_and_maybe_restore(self, i: int) -> None:
        rid = self.companies[i]
        self._attempt(lambda ctx: lifecycle.delete(rid, ctx))
        self._attempt(lambda ctx: lifecycle.restore(rid, ctx))

    @rule(i=st.integers(0, COMPANIES - 1), j=st.integers(0, COMPANIES - 1))
    def merge(self, i: int, j: int) -> None:
        keep, other = self.companies[i], self.companies[j]
        self._attempt(lambda ctx: lifecycle.merge(keep, other, ctx))

    @rule(back=st.integers(1, 3))
    def undo_an_operation(self, back: int) -> None:
        if len(self.batches) >= back:
            batch = self.batches[-back]
            self._attempt(lambda ctx: undo.undo_batch(batch, ctx))

    # ------------------------------------------------------------ invariants

    @invariant()
    def one_parent_at_most_and_no_cycle(self) -> None:
        parents = _parent_map()
        assert all(len(found) == 1 for found in parents.values()), parents
        for start in parents:
            seen = {start}
            node = parents[start][0]
            while node in parents:
                assert node not in seen, f"cycle through {node}"
                seen.add(node)
                node = parents[node][0]

    @invariant()
    def sums_equal_a_brute_force_sum_over_descendants(self) -> None:
        parents = {child: found[0] for child, found in _parent_map().items()}
        own = _own_counts()
        children: dict[int, list[int]] = {}
        for child, parent in parents.items():
            children.setdefault(parent, []).append(child)

        def below(rid: int) -> list[int]:
            out = []
            for child in children.get(rid, []):
                out += [child, *below(child)]
            return out

        live = {
            rid
            for (rid,) in Record.select(Record.id)
            .where(Record.deleted_at.is_null() & (Record.object_type == self._company_type()))
            .tuples()
        }
        for rid in live:
            found = hierarchy.tree(rid)
            top = rid
            while top in parents:
                top = parents[top]
            assert found.root.id == top
            for node in found.nodes():
                subtree = [node.id, *below(node.id)]
                assert node.descendants == len(subtree) - 1
                assert node.own.contacts == own.get(node.id, (0, 0))[0]
                assert node.total.contacts == sum(own.get(x, (0, 0))[0] for x in subtree)
                assert node.total.open_deals == sum(own.get(x, (0, 0))[1] for x in subtree)
            assert {n.id for n in found.nodes()} == {top, *below(top)}

    @invariant()
    def check_is_clean(self) -> None:
        report = check.run()
        assert report.ok, report.violations

    def _company_type(self) -> int:
        return Record.get_by_id(self.companies[0]).object_type_id


def test_random_hierarchy_changes_keep_one_parent_no_cycle_and_true_sums(db):
    wanted = os.environ.get("ROLODEX_STATEFUL_EXAMPLES")
    examples = int(wanted) if wanted else (10 if PG_URL else 40)
    run_state_machine_as_test(
        HierarchyMachine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
