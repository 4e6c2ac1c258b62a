"""Associations: two-way, idempotent, all-or-nothing in bulk; the primary-company rules."""

from __future__ import annotations

import pytest
from peewee import IntegrityError

from rolodex.crm import associations, check, labels, lifecycle, limits, objects, records
from rolodex.crm.errors import (
    Deleted,
    InvalidValue,
    LimitExceeded,
    NeedsNewPrimary,
    NotFound,
    SelfAssociation,
)
from rolodex.store.models import Association, database
from tests.core.helpers import company, contact, deal, history_count, others, seen, ticket


def primary(record_id: int) -> int | None:
    return associations.primary_company(record_id)


def test_association_is_two_way_and_stored_once(db, ctx):
    ana, big = contact("Ana"), deal("Big")
    change = associations.associate(big.id, ana.id, ctx)
    assert change.created
    assert others(ana.id) == {big.id}
    assert others(big.id) == {ana.id}
    rows = list(Association.select())
    assert len(rows) == 1
    assert rows[0].a_id < rows[0].b_id
    assert associations.counts(ana.id) == {"deal": 1}
    assert associations.counts(big.id) == {"contact": 1}


def test_same_object_association(db, ctx):
    x, y = company("Parent"), company("Child")
    associations.associate(x.id, y.id, ctx)
    assert others(x.id) == {y.id} and others(y.id) == {x.id}
    assert primary(x.id) is None  # companies have no primary company
    with pytest.raises(SelfAssociation):
        associations.associate(x.id, x.id, ctx)


def test_reassociate_is_idempotent_and_writes_no_history(db, ctx):
    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, ctx)
    rows = history_count()
    change = associations.associate(acme.id, ana.id, ctx)
    assert not change.created and not change.changed
    assert history_count() == rows
    assert Association.select().count() == 1


def test_associating_with_a_deleted_or_missing_record_is_refused(db, ctx):
    ana, acme = contact("Ana"), company("Acme")
    lifecycle.delete(acme.id, ctx)
    with pytest.raises(Deleted):
        associations.associate(ana.id, acme.id, ctx)
    with pytest.raises(NotFound):
        associations.associate(ana.id, 10**9, ctx)
    assert others(ana.id) == set()


def test_dissociate_removes_both_sides(db, ctx):
    ana, big = contact("Ana"), deal("Big")
    associations.associate(ana.id, big.id, ctx)
    associations.dissociate(big.id, ana.id, ctx)
    assert others(ana.id) == set() and others(big.id) == set()
    with pytest.raises(NotFound):
        associations.dissociate(ana.id, big.id, ctx)


def test_associate_many_links_all(db, ctx):
    big = deal("Big")
    people = [contact(f"P{i}") for i in range(3)]
    acme = company("Acme")
    associations.associate_many(big.id, [p.id for p in people] + [acme.id], ctx)
    assert others(big.id) == {p.id for p in people} | {acme.id}
    assert primary(big.id) == acme.id


def test_associate_many_is_all_or_nothing_when_one_target_breaks_a_limit(db, ctx):
    limits.set_limit("contact", "deal", 1)
    big = deal("Big")
    free1, busy, free2 = contact("Free1"), contact("Busy"), contact("Free2")
    associations.associate(busy.id, deal("Other").id, ctx)
    rows = history_count()
    with pytest.raises(LimitExceeded) as err:
        associations.associate_many(big.id, [free1.id, busy.id, free2.id], ctx)
    assert busy.ref in str(err.value)
    assert others(big.id) == set()
    assert others(free1.id) == set()
    assert history_count() == rows


def test_associate_many_is_all_or_nothing_with_a_deleted_target(db, ctx):
    big = deal("Big")
    ok, gone = contact("Ok"), contact("Gone")
    lifecycle.delete(gone.id, ctx)
    with pytest.raises(Deleted):
        associations.associate_many(big.id, [ok.id, gone.id], ctx)
    assert others(big.id) == set()


# ------------------------------------------------------------------ primary company


@pytest.mark.parametrize("maker", [contact, deal, ticket])
def test_first_company_becomes_primary(db, ctx, maker):
    rec = maker("R")
    acme, globex = company("Acme"), company("Globex")
    associations.associate(rec.id, acme.id, ctx)
    associations.associate(globex.id, rec.id, ctx)  # either direction
    assert primary(rec.id) == acme.id
    assert seen(rec.id)[acme.id][1] is True
    assert seen(rec.id)[globex.id][1] is False
    assert seen(acme.id)[rec.id][1] is False  # companies have no primary company
    first = associations.all_of(rec.id)[0]
    assert first.other_id == acme.id  # the primary is listed first


def test_first_company_of_a_custom_object_becomes_primary(db, ctx):
    objects.create_custom_object("project", "Project", "Projects", [("title", "text")])
    apollo = records.create("project", {"title": "Apollo"})
    acme = company("Acme")
    associations.associate(acme.id, apollo.id, ctx)
    assert primary(apollo.id) == acme.id


def test_activities_have_no_primary_company(db, ctx):
    note = records.create("note", {"subject": "Hi"})
    acme = company("Acme")
    associations.associate(note.id, acme.id, ctx)
    assert primary(note.id) is None
    with pytest.raises(InvalidValue):
        associations.set_primary(note.id, acme.id, ctx)


def test_set_primary_demotes_old_which_stays_associated(db, ctx):
    ana, acme, globex = contact("Ana"), company("Acme"), company("Globex")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(ana.id, globex.id, ctx)
    associations.set_primary(ana.id, globex.id, ctx)
    assert primary(ana.id) == globex.id
    assert others(ana.id) == {acme.id, globex.id}
    rows = history_count()
    assert not associations.set_primary(ana.id, globex.id, ctx).changed
    assert history_count() == rows


def test_set_primary_requires_an_existing_company_association(db, ctx):
    ana, acme, big = contact("Ana"), company("Acme"), deal("Big")
    with pytest.raises(NotFound):
        associations.set_primary(ana.id, acme.id, ctx)
    associations.associate(ana.id, big.id, ctx)
    with pytest.raises(InvalidValue):
        associations.set_primary(ana.id, big.id, ctx)


def test_associate_with_primary_replaces_the_primary(db, ctx):
    ana, acme, globex = contact("Ana"), company("Acme"), company("Globex")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(ana.id, globex.id, ctx, primary=True)
    assert primary(ana.id) == globex.id
    assert others(ana.id) == {acme.id, globex.id}
    # making an already-associated company primary through associate
    associations.associate(ana.id, acme.id, ctx, primary=True)
    assert primary(ana.id) == acme.id


def test_primary_flag_must_point_at_a_company(db, ctx):
    ana, big = contact("Ana"), deal("Big")
    with pytest.raises(InvalidValue):
        associations.associate(ana.id, big.id, ctx, primary=True)
    assert others(ana.id) == set()
    acme, globex = company("Acme"), company("Globex")
    with pytest.raises(InvalidValue):
        associations.associate(acme.id, globex.id, ctx, primary=True)


def test_removing_the_primary_with_others_left_requires_the_new_one(db, ctx):
    ana = contact("Ana")
    acme, globex, initech = company("Acme"), company("Globex"), company("Initech")
    for c in (acme, globex, initech):
        associations.associate(ana.id, c.id, ctx)
    rows = history_count()
    with pytest.raises(NeedsNewPrimary) as err:
        associations.dissociate(ana.id, acme.id, ctx)
    assert sorted(err.value.candidates) == sorted([globex.id, initech.id])
    assert err.value.record_id == ana.id
    assert globex.ref in str(err.value) and initech.ref in str(err.value)
    assert history_count() == rows and others(ana.id) == {acme.id, globex.id, initech.id}
    # either side may be named first
    with pytest.raises(NeedsNewPrimary):
        associations.dissociate(acme.id, ana.id, ctx)
    with pytest.raises(InvalidValue):
        associations.dissociate(ana.id, acme.id, ctx, new_primary=acme.id)
    with pytest.raises(InvalidValue):
        associations.dissociate(ana.id, acme.id, ctx, new_primary=company("Stranger").id)
    associations.dissociate(ana.id, acme.id, ctx, new_primary=initech.id)
    assert primary(ana.id) == initech.id
    assert others(ana.id) == {globex.id, initech.id}
    assert check.run().ok


def test_removing_the_only_company_needs_no_new_primary(db, ctx):
    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, ctx)
    associations.dissociate(ana.id, acme.id, ctx)
    assert primary(ana.id) is None
    acme2 = company("Acme 2")
    associations.associate(ana.id, acme2.id, ctx)
    assert primary(ana.id) == acme2.id  # first company again


def test_removing_a_non_primary_company_needs_nothing(db, ctx):
    ana, acme, globex = contact("Ana"), company("Acme"), company("Globex")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(ana.id, globex.id, ctx)
    with pytest.raises(InvalidValue):  # --new-primary makes no sense here
        associations.dissociate(ana.id, globex.id, ctx, new_primary=acme.id)
    associations.dissociate(ana.id, globex.id, ctx)
    assert primary(ana.id) == acme.id


def test_remove_primary_keeps_the_company_and_promotes_the_named_one(db, ctx):
    ana, acme, globex = contact("Ana"), company("Acme"), company("Globex")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(ana.id, globex.id, ctx)
    associations.remove_primary(ana.id, acme.id, ctx, new_primary=globex.id)
    assert primary(ana.id) == globex.id
    assert others(ana.id) == {acme.id, globex.id}
    with pytest.raises(InvalidValue):  # acme is no longer primary
        associations.remove_primary(ana.id, acme.id, ctx, new_primary=globex.id)


def test_remove_primary_of_the_only_company_is_refused(db, ctx):
    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, ctx)
    rows = history_count()
    with pytest.raises(InvalidValue):
        associations.remove_primary(ana.id, acme.id, ctx, new_primary=acme.id)
    with pytest.raises(InvalidValue):
        associations.remove_primary(ana.id, acme.id, ctx, new_primary=company("Other").id)
    assert primary(ana.id) == acme.id
    assert history_count() == rows


def test_remove_primary_refuses_a_non_company_successor(db, ctx):
    ana, acme, globex = contact("Ana"), company("Acme"), company("Globex")
    big = deal("Big")
    for other in (acme, globex, big):
        associations.associate(ana.id, other.id, ctx)
    with pytest.raises(InvalidValue):
        associations.remove_primary(ana.id, acme.id, ctx, new_primary=big.id)
    assert primary(ana.id) == acme.id


def test_deleting_the_primary_company_promotes_the_oldest_remaining(db, ctx):
    ana = contact("Ana")
    acme, newer, older = company("Acme"), company("Newer"), company("Older")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(ana.id, older.id, ctx)
    associations.associate(ana.id, newer.id, ctx)
    lifecycle.delete(acme.id, ctx)
    assert primary(ana.id) == older.id
    assert check.run().ok


def test_partial_unique_index_rejects_a_second_primary_in_sql(db, ctx):
    ana, acme, globex = contact("Ana"), company("Acme"), company("Globex")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(ana.id, globex.id, ctx)
    second = Association.get(
        ((Association.a == ana.id) & (Association.b == globex.id))
        | ((Association.a == globex.id) & (Association.b == ana.id))
    )
    flag = "a_primary_b" if second.a_id == ana.id else "b_primary_a"
    with pytest.raises(IntegrityError), database.atomic():
        database.execute_sql(f"UPDATE association SET {flag} = TRUE WHERE id = {second.id}")
    assert primary(ana.id) == acme.id


def test_partial_unique_index_on_the_other_column(db, ctx):
    """The same protection when the record is stored as ``b`` (its id is the larger)."""
    acme, globex = company("Acme"), company("Globex")
    ana = contact("Ana")  # larger id than both companies: stored as b
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(ana.id, globex.id, ctx)
    with pytest.raises(IntegrityError), database.atomic():
        database.execute_sql(f"UPDATE association SET b_primary_a = TRUE WHERE b_id = {ana.id}")


def test_labels_and_primary_together(db, ctx):
    labels.create("contact", "company", "Employee", inverse="Employer")
    labels.create("contact", "company", "Advisor")
    ana, acme, globex = contact("Ana"), company("Acme"), company("Globex")
    associations.associate(ana.id, acme.id, ctx, ["Employee"], primary=True)
    associations.associate(ana.id, globex.id, ctx, ["Advisor"])
    assert seen(ana.id) == {acme.id: (("Employer",), True), globex.id: (("Advisor",), False)}
    assert seen(acme.id) == {ana.id: (("Employee",), False)}
    view = associations.between(acme.id, ana.id)
    assert view is not None and view.primary_of_other and not view.primary


def test_page_is_keyset_paged_with_primary_first(db, ctx):
    ana = contact("Ana")
    companies = [company(f"C{i:02d}") for i in range(7)]
    for c in companies:
        associations.associate(ana.id, c.id, ctx)
    first = associations.page(ana.id, "company", limit=3)
    assert first[0].other_id == companies[0].id and first[0].primary
    seen_ids = [v.other_id for v in first]
    before = min(v.association_id for v in first if not v.primary)
    while True:
        nxt = associations.page(ana.id, "company", limit=3, before=before)
        if not nxt:
            break
        seen_ids += [v.other_id for v in nxt]
        before = nxt[-1].association_id
    assert sorted(seen_ids) == sorted(c.id for c in companies)
