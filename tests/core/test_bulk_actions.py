"""Bulk actions: one transaction and one history batch per action, each record refused
on its own (a limit, a gone record) while the others change."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolodex.crm import associations, labels, lifecycle, limits
from rolodex.crm import bulk_actions as bulk
from rolodex.store.models import History
from tests.core.helpers import company, contact, deal


def test_associate_each_with_a_label_in_one_batch(db, ctx):
    labels.create("contact", "deal", "Decision maker")
    people = [contact(f"P{n}") for n in range(4)]
    big = deal("Big")
    result = bulk.associate_each([p.id for p in people], big.id, ctx, ["Decision maker"])
    assert result.done == [p.id for p in people] and not result.refused
    for person in people:
        link = associations.between(big.id, person.id)
        assert link is not None and link.labels == ("Decision maker",)
    batches = {row.batch for row in History.select().where(History.b_id == big.id)}
    assert len(batches) == 1 and next(iter(batches)).startswith("bulk-")
    again = bulk.associate_each([p.id for p in people], big.id, ctx, ["Decision maker"])
    assert again.unchanged == [p.id for p in people] and not again.done


def test_a_limit_refuses_only_the_records_past_it(db, ctx):
    people = [contact(f"P{n}") for n in range(5)]
    big = deal("Big")
    limits.set_limit("deal", "contact", 3)
    result = bulk.associate_each([p.id for p in people], big.id, ctx)
    assert result.done == [p.id for p in people[:3]]
    assert [rid for rid, _why in result.refused] == [p.id for p in people[3:]]
    assert all("limit" in why or "3" in why for _rid, why in result.refused)
    assert len(associations.all_of(big.id)) == 3


def test_a_gone_record_is_refused_and_the_rest_change(db, ctx):
    a, b, c = contact("A"), contact("B"), contact("C")
    acme = company("Acme")
    lifecycle.delete(b.id, ctx)
    result = bulk.set_primary_each([a.id, b.id, c.id], acme.id, ctx)
    assert result.done == [a.id, c.id] and [r for r, _ in result.refused] == [b.id]
    assert associations.between(a.id, acme.id).primary
    assert associations.between(c.id, acme.id).primary


def test_labels_are_added_and_removed_on_existing_associations_only(db, ctx):
    labels.create("contact", "deal", "Decision maker")
    labels.create("contact", "deal", "Champion")
    a, b, outsider = contact("A"), contact("B"), contact("Out")
    big = deal("Big")
    bulk.associate_each([a.id, b.id], big.id, ctx, ["Champion"])
    added = bulk.add_labels([a.id, b.id, outsider.id], big.id, ctx, ["Decision maker"])
    assert added.done == [a.id, b.id] and [r for r, _ in added.refused] == [outsider.id]
    assert associations.between(big.id, outsider.id) is None
    assert set(associations.between(big.id, a.id).labels) == {"Champion", "Decision maker"}
    removed = bulk.remove_labels([a.id, b.id], big.id, ctx, ["champion"])
    assert removed.done == [a.id, b.id]
    assert associations.between(big.id, b.id).labels == ("Decision maker",)
    assert bulk.remove_labels([a.id], big.id, ctx, ["Champion"]).unchanged == [a.id]


def test_delete_each_moves_them_to_the_bin(db, ctx):
    people = [contact(f"P{n}") for n in range(3)]
    result = bulk.delete_each([p.id for p in people], ctx)
    assert result.done == [p.id for p in people]
    assert {r.id for r in lifecycle.recycle_bin()} == {p.id for p in people}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cap=st.integers(min_value=0, max_value=6), picked=st.lists(st.integers(0, 7), max_size=12))
def test_never_more_than_the_limit_and_every_record_accounted_for(db, ctx, cap, picked):
    people = [contact(f"P{n}") for n in range(8)]
    big = deal("Big")
    limits.set_limit("deal", "contact", cap)
    ids = [people[i].id for i in picked]
    result = bulk.associate_each(ids, big.id, ctx)
    distinct = list(dict.fromkeys(ids))
    assert result.total == len(distinct)
    assert result.done == distinct[:cap]
    assert len(associations.all_of(big.id)) == min(cap, len(distinct))
    for person in people:
        lifecycle.delete(person.id, ctx)
    lifecycle.delete(big.id, ctx)
