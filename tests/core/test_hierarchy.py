"""Hierarchies: the built-in company hierarchy and any hierarchical label; one parent at
most (by the rules and by the database), no cycle, and trees whose sums are right."""

from __future__ import annotations

import pytest
from peewee import IntegrityError

from rolodex.crm import associations, check, hierarchy, labels, lifecycle
from rolodex.crm.errors import HierarchyConflict, InvalidValue
from rolodex.store import hierarchy_guard, migrations
from rolodex.store.database import open_database
from rolodex.store.models import Association, AssociationLabel, Label, database
from tests.conftest import PG_URL, database_at_version
from tests.core.helpers import company, contact, deal

PARENT = "Parent company"


def parent_of(record_id: int) -> int | None:
    label = hierarchy.labels_for("company")[0]
    found = hierarchy.parents_of(record_id, label)
    assert len(found) <= 1
    return found[0] if found else None


def test_a_new_database_has_the_company_hierarchy_built_in(db):
    (label,) = hierarchy.labels_for("company")
    assert (label.name, label.inverse, label.hierarchical) == (PARENT, "Child company", True)
    assert hierarchy.labels_for("contact") == []


def test_associate_group_subsidiary_with_parent_company_makes_group_the_parent(db, ctx):
    group, sub = company("Group"), company("Sub")
    associations.associate(group.id, sub.id, ctx, [PARENT])
    assert parent_of(sub.id) == group.id and parent_of(group.id) is None
    # Seen from each side, the other carries the word it is to it.
    assert associations.between(sub.id, group.id).labels == (PARENT,)
    assert associations.between(group.id, sub.id).labels == ("Child company",)
    found = hierarchy.tree(sub.id)
    assert found.root.id == group.id
    assert [n.id for n in found.root.children] == [sub.id]
    # The inverse word said from the subsidiary's side is the same link.
    other = company("Other")
    associations.associate(other.id, group.id, ctx, ["Child company"])
    assert parent_of(other.id) == group.id


def test_a_second_parent_is_refused_naming_the_first(db, ctx):
    group, rival, sub = company("Group"), company("Rival"), company("Sub")
    associations.associate(group.id, sub.id, ctx, [PARENT])
    with pytest.raises(
        HierarchyConflict, match=r"Sub \(company:\d+\) already has a Parent company: Group"
    ):
        associations.associate(rival.id, sub.id, ctx, [PARENT])
    associations.associate(rival.id, sub.id, ctx)  # a plain association is fine
    with pytest.raises(HierarchyConflict, match="already has a Parent company"):
        associations.set_labels(rival.id, sub.id, ctx, [PARENT])
    assert parent_of(sub.id) == group.id
    assert associations.between(sub.id, rival.id).labels == ()


def test_the_database_itself_refuses_a_second_parent(db, ctx):
    """Whatever writes the label row (an import's own SQL, a hand-written statement)."""
    group, rival, sub = company("Group"), company("Rival"), company("Sub")
    associations.associate(group.id, sub.id, ctx, [PARENT])
    associations.associate(rival.id, sub.id, ctx)
    label = hierarchy.labels_for("company")[0]
    assoc = Association.get(
        (Association.a == min(rival.id, sub.id)) & (Association.b == max(rival.id, sub.id))
    )
    with pytest.raises(IntegrityError, match="at most one parent"), database.atomic():
        AssociationLabel.create(association=assoc.id, label=label.id, forward=rival.id < sub.id)
    # The other way round the rival becomes the subsidiary's child: allowed.
    with database.atomic():
        AssociationLabel.create(association=assoc.id, label=label.id, forward=rival.id > sub.id)
    assert hierarchy.parents_of(rival.id, label) == [sub.id]


def test_a_cycle_is_refused_naming_it(db, ctx):
    a, b, c = company("A"), company("B"), company("C")
    associations.associate(a.id, b.id, ctx, [PARENT])
    associations.associate(b.id, c.id, ctx, [PARENT])
    with pytest.raises(HierarchyConflict) as caught:
        associations.associate(c.id, a.id, ctx, [PARENT])
    assert str(caught.value) == (
        f"'Parent company' would make a cycle: C (company:{c.id}) → A (company:{a.id}) → "
        f"B (company:{b.id}) → C (company:{c.id})"
    )
    with pytest.raises(HierarchyConflict, match="would make a cycle"):
        associations.associate(b.id, a.id, ctx, [PARENT])  # both ways on one pair
    assert parent_of(a.id) is None


def test_turning_a_link_around_is_no_cycle(db, ctx):
    a, b = company("A"), company("B")
    associations.associate(a.id, b.id, ctx, [PARENT])
    associations.set_labels(b.id, a.id, ctx, [PARENT])  # now B is A's parent
    assert parent_of(a.id) == b.id and parent_of(b.id) is None


def test_merge_refuses_two_parents_and_restore_leaves_a_taken_place_out(db, ctx):
    p1, p2, keep, other = company("P1"), company("P2"), company("Keep"), company("Other")
    associations.associate(p1.id, keep.id, ctx, [PARENT])
    associations.associate(p2.id, other.id, ctx, [PARENT])
    with pytest.raises(HierarchyConflict, match="Keep .* already has a Parent company: P1"):
        lifecycle.merge(keep.id, other.id, ctx)
    assert parent_of(other.id) == p2.id  # nothing happened
    # A deleted parent's place is taken meanwhile: the restore brings the association
    # back without the label.
    lifecycle.delete(p1.id, ctx)
    associations.associate(p2.id, keep.id, ctx, [PARENT])
    lifecycle.restore(p1.id, ctx)
    assert parent_of(keep.id) == p2.id
    assert associations.between(keep.id, p1.id).labels == ()
    assert check.run().ok


def test_any_paired_label_can_be_hierarchical_an_org_chart(db, ctx):
    labels.create("contact", "contact", "Manager", "Employee", hierarchical=True)
    ceo, cto, dev = contact("Ceo"), contact("Cto"), contact("Dev")
    associations.associate(ceo.id, cto.id, ctx, ["Manager"])
    associations.associate(dev.id, cto.id, ctx, ["Employee"])  # Dev is Cto's Employee
    with pytest.raises(HierarchyConflict, match="already has a Manager: Cto"):
        associations.associate(ceo.id, dev.id, ctx, ["Manager"])
    with pytest.raises(HierarchyConflict, match="cycle"):
        associations.associate(dev.id, ceo.id, ctx, ["Manager"])
    found = hierarchy.tree(dev.id)
    assert found.label.name == "Manager"
    assert [(n.id, n.depth) for n in found.nodes()] == [(ceo.id, 0), (cto.id, 1), (dev.id, 2)]
    assert found.root.descendants == 2


def test_a_hierarchical_label_is_paired_between_records_of_one_object(db):
    with pytest.raises(InvalidValue, match="hierarchical"):
        labels.create("contact", "company", "Boss", "Staff", hierarchical=True)
    with pytest.raises(InvalidValue, match="hierarchical"):
        labels.create("contact", "contact", "Lead", hierarchical=True)
    (label,) = hierarchy.labels_for("company")
    with pytest.raises(InvalidValue, match="inverse"):
        labels.rename(label.id, PARENT, None)


def test_tree_sums_contacts_and_open_deals_over_descendants_and_depth_lists_less(db, ctx):
    group, mid, leaf, side = company("Group"), company("Mid"), company("Leaf"), company("Side")
    associations.associate(group.id, mid.id, ctx, [PARENT])
    associations.associate(mid.id, leaf.id, ctx, [PARENT])
    associations.associate(group.id, side.id, ctx, [PARENT])
    for owner, n in ((group, 1), (mid, 2), (leaf, 3)):
        for i in range(n):
            associations.associate(contact(f"{owner.name}{i}").id, owner.id, ctx)
    associations.associate(deal("Open").id, leaf.id, ctx)
    associations.associate(deal("Won", stage="closedwon").id, leaf.id, ctx)
    associations.associate(deal("Lost", stage="Closed Lost").id, mid.id, ctx)
    found = hierarchy.tree(leaf.id)
    root = found.root
    assert [c.name for c in root.children] == ["Mid", "Side"]  # by name
    assert (root.total.contacts, root.own.contacts) == (6, 1)
    assert (root.total.open_deals, root.own.open_deals) == (1, 0)
    assert root.descendants == 3
    mid_node = root.children[0]
    assert (mid_node.total.contacts, mid_node.total.open_deals) == (5, 1)
    shallow = hierarchy.tree(side.id, depth=0)
    assert [c.id for c in shallow.root.children] == [side.id]  # the way down to Side
    assert shallow.root.hidden == 1  # Mid is not listed, its sums are still counted
    assert shallow.root.total.contacts == 6
    top_only = hierarchy.tree(group.id, depth=0)
    assert top_only.root.children == [] and top_only.root.hidden == 2
    labels.create("company", "company", "Partner")
    with pytest.raises(InvalidValue, match="not hierarchical"):
        hierarchy.tree(group.id, "Partner")


def test_check_reports_a_missing_trigger_and_a_second_parent(db, ctx):
    if PG_URL:
        database.execute_sql(f"DROP TRIGGER {hierarchy_guard.PG_TRIGGER} ON association_label")
    else:
        for name in hierarchy_guard.SQLITE_TRIGGERS:
            database.execute_sql(f"DROP TRIGGER {name}")
    group, rival, sub = company("Group"), company("Rival"), company("Sub")
    associations.associate(group.id, sub.id, ctx, [PARENT])
    associations.associate(rival.id, sub.id, ctx)
    label = hierarchy.labels_for("company")[0]
    assoc = Association.get(
        (Association.a == min(rival.id, sub.id)) & (Association.b == max(rival.id, sub.id))
    )
    AssociationLabel.create(association=assoc.id, label=label.id, forward=rival.id < sub.id)
    report = check.run()
    assert any("trigger" in v for v in report.violations)
    assert any(f"record {sub.id} has more than one parent" in v for v in report.violations)


def _old_database_with(db_url: str, ctx, *, second_parent: bool):  # type: ignore[no-untyped-def]
    old = database_at_version(db_url, 8)
    # Synthetic data (and people) defined "Parent company" / "Subsidiary" themselves.
    database.execute_sql(
        "INSERT INTO label (from_type_id, to_type_id, name, inverse, name_key, hierarchical) "
        "SELECT id, id, 'Parent company', 'Subsidiary', 'parent company', FALSE "
        "FROM object_type WHERE key = 'company'"
    )
    labels.invalidate()
    group, sub, rival = company("Group"), company("Sub"), company("Rival")
    associations.associate(group.id, sub.id, ctx, [PARENT])
    if second_parent:
        associations.associate(rival.id, sub.id, ctx, [PARENT])
    # The columns of later versions, as an old Rolodex had none of them.
    for table, column in (("label", "hierarchical"), ("history", "undoes")):
        database.execute_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
    old.close()
    return sub


@pytest.mark.parametrize("second_parent", [False, True])
def test_an_existing_parent_company_label_becomes_the_hierarchy_when_it_is_a_forest(
    db_url, ctx, second_parent
):
    _old_database_with(db_url, ctx, second_parent=second_parent)
    upgraded = open_database(db_url)
    try:
        assert migrations.current_version(upgraded) == migrations.LATEST
        labels.invalidate()
        (label,) = [lab for lab in Label.select() if lab.name == PARENT]
        assert label.inverse == "Subsidiary"  # theirs, kept
        assert bool(label.hierarchical) is not second_parent
        assert Label.select().count() == 1  # no second "Parent company"
    finally:
        upgraded.close()
        labels.invalidate()


def test_the_tree_of_a_group_is_read_in_one_statement_each_way(db, ctx, monkeypatch):
    """Not a timing: the walk is a recursive query, not a query per record."""
    from rolodex.store import raw

    top = company("Top")
    for i in range(3):
        mid = company(f"Mid{i}")
        associations.associate(top.id, mid.id, ctx, [PARENT])
        for j in range(3):
            associations.associate(mid.id, company(f"Leaf{i}{j}").id, ctx, [PARENT])
    calls: list[str] = []
    real = raw.fetchall

    def counting(sql, params=()):  # type: ignore[no-untyped-def]
        calls.append(sql)
        return real(sql, params)

    monkeypatch.setattr(raw, "fetchall", counting)
    found = hierarchy.tree(top.id)
    assert len(found.nodes()) == 13
    assert sum("WITH RECURSIVE" in sql for sql in calls) <= 3
