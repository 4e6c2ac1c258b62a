"""Delete into the recycle bin, restore, merge, purge: associations and their history."""

from __future__ import annotations

import datetime as dt

import pytest

from rolodex.crm import associations, check, history, labels, lifecycle, records
from rolodex.crm.errors import Deleted, DuplicateRecord, InvalidValue, NotFound
from rolodex.store.models import History, Record, utcnow
from tests.core.helpers import company, contact, deal, others, seen, ticket


def sources_for(record_id: int) -> list[tuple[str, str]]:
    return [(e.action, e.source) for e in history.record_history(record_id)]


def test_delete_moves_to_bin_and_removes_associations_with_source(db, ctx):
    ana, acme, big = contact("Ana"), company("Acme"), deal("Big")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(ana.id, big.id, ctx)
    lifecycle.delete(ana.id, ctx)
    assert others(acme.id) == set() and others(big.id) == set()
    assert [r.id for r in lifecycle.recycle_bin()] == [ana.id]
    removed = [e for e in history.record_history(acme.id) if e.action == "removed"]
    assert [(e.other_id, e.source, e.actor) for e in removed] == [
        (ana.id, "Object deleted", ctx.actor)
    ]
    with pytest.raises(Deleted):
        lifecycle.delete(ana.id, ctx)
    assert check.run().ok


def test_restore_brings_associations_back_with_labels_and_primary(db, ctx):
    labels.create("contact", "company", "Employee", inverse="Employer")
    ana, acme, globex = contact("Ana"), company("Acme"), company("Globex")
    associations.associate(ana.id, acme.id, ctx, ["Employee"])
    associations.associate(ana.id, globex.id, ctx)
    associations.set_primary(ana.id, globex.id, ctx)
    before = seen(ana.id)
    lifecycle.delete(ana.id, ctx)
    lifecycle.restore(ana.id, ctx)
    assert seen(ana.id) == before
    assert associations.primary_company(ana.id) == globex.id
    assert ("created", "Object restore") in sources_for(ana.id)
    assert lifecycle.recycle_bin() == []
    with pytest.raises(InvalidValue):
        lifecycle.restore(ana.id, ctx)
    assert check.run().ok


def test_restore_does_not_bring_back_what_was_removed_by_hand(db, ctx):
    ana, acme, big = contact("Ana"), company("Acme"), deal("Big")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(ana.id, big.id, ctx)
    associations.dissociate(ana.id, big.id, ctx)
    lifecycle.delete(ana.id, ctx)
    lifecycle.restore(ana.id, ctx)
    assert others(ana.id) == {acme.id}


def test_deleting_a_company_promotes_another_and_restoring_gives_the_primary_back(db, ctx):
    ana, acme, globex = contact("Ana"), company("Acme"), company("Globex")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(ana.id, globex.id, ctx)
    lifecycle.delete(acme.id, ctx)
    assert associations.primary_company(ana.id) == globex.id
    lifecycle.restore(acme.id, ctx)
    assert others(ana.id) == {acme.id, globex.id}
    # Globex was primary only because of the deletion: the restore undoes that too.
    assert associations.primary_company(ana.id) == acme.id
    assert check.run().ok


@pytest.mark.parametrize("order", ["first-deleted-first", "last-deleted-first"])
def test_restore_after_the_other_end_was_deleted_and_restored(db, ctx, order):
    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, ctx)
    lifecycle.delete(ana.id, ctx)
    lifecycle.delete(acme.id, ctx)
    first, second = (ana, acme) if order == "first-deleted-first" else (acme, ana)
    lifecycle.restore(first.id, ctx)
    assert others(first.id) == set()  # the other end is still in the bin
    lifecycle.restore(second.id, ctx)
    assert others(ana.id) == {acme.id}
    assert associations.primary_company(ana.id) == acme.id
    pair = history.pair_history(ana.id, acme.id)
    assert [(e.action, e.source) for e in pair] == [
        ("created", "Object restore"),
        ("removed", "Object deleted"),
        ("created", "API"),
    ]
    assert check.run().ok


def test_restore_when_the_other_end_was_deleted_and_restored_meanwhile(db, ctx):
    """A is deleted (pair removed); B is deleted and restored while A is in the bin; then A."""
    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, ctx)
    lifecycle.delete(ana.id, ctx)
    lifecycle.delete(acme.id, ctx)
    lifecycle.restore(acme.id, ctx)
    assert others(acme.id) == set()
    lifecycle.restore(ana.id, ctx)
    assert others(acme.id) == {ana.id}


def test_restore_with_an_email_taken_meanwhile_is_refused(db, ctx):
    ana = contact("Ana", "ana@acme.com")
    lifecycle.delete(ana.id, ctx)
    contact("New Ana", "ana@acme.com")
    with pytest.raises(DuplicateRecord):
        lifecycle.restore(ana.id, ctx)
    assert records.get(ana.id, include_deleted=True).deleted_at is not None


def test_restore_after_90_days_is_refused_and_purge_forgets(db, ctx):
    ana, acme = contact("Ana", "ana@acme.com"), company("Acme")
    associations.associate(ana.id, acme.id, ctx)
    lifecycle.delete(ana.id, ctx)
    long_ago = utcnow() - dt.timedelta(days=91)
    Record.update(deleted_at=long_ago).where(Record.id == ana.id).execute()
    assert lifecycle.recycle_bin() == []
    with pytest.raises(InvalidValue) as err:
        lifecycle.restore(ana.id, ctx)
    assert "90" in str(err.value)
    recent = contact("Recent")
    lifecycle.delete(recent.id, ctx)
    assert lifecycle.purge_expired() == 1
    gone = records.get(ana.id, include_deleted=True)
    assert gone.name == "" and gone.properties == {}
    assert [r.id for r in lifecycle.recycle_bin()] == [recent.id]
    with pytest.raises(NotFound):
        records.resolve("ana@acme.com", include_deleted=True)
    # history keeps the ids, and says the association is gone for good (by the Job)
    rows = list(
        History.select()
        .where((History.a_id == min(ana.id, acme.id)) & (History.b_id == max(ana.id, acme.id)))
        .order_by(History.id)
    )
    assert [(r.action, r.source) for r in rows] == [
        ("created", "API"),
        ("removed", "Object deleted"),
        ("removed", "Job"),
    ]
    assert lifecycle.purge_expired() == 0
    assert check.run().ok


def test_merge_keeps_survivors_and_adds_merged_ones(db, ctx):
    labels.create("contact", "deal", "Champion")
    keep = contact("Ana", "ana@acme.com")
    dup = records.create("contact", {"first_name": "Ana", "email": "ana@old.com", "phone": "123"})
    acme, globex = company("Acme"), company("Globex")
    big, small, shared = deal("Big"), deal("Small"), deal("Shared")
    associations.associate(keep.id, acme.id, ctx)
    associations.associate(keep.id, big.id, ctx)
    associations.associate(keep.id, shared.id, ctx)
    associations.associate(dup.id, globex.id, ctx)
    associations.associate(dup.id, small.id, ctx, ["Champion"])
    associations.associate(dup.id, shared.id, ctx, ["Champion"])
    survivor = lifecycle.merge(keep.id, dup.id, ctx)
    assert survivor.id == keep.id
    assert others(keep.id) == {acme.id, globex.id, big.id, small.id, shared.id}
    assert associations.primary_company(keep.id) == acme.id  # survivor's primary stays
    assert seen(small.id)[keep.id][0] == ("Champion",)
    assert seen(shared.id)[keep.id][0] == ("Champion",)
    assert others(globex.id) == {keep.id}
    assert survivor.properties["email"] == "ana@acme.com"
    assert survivor.properties["phone"] == "123"  # an empty property filled
    assert records.get(dup.id).id == keep.id
    merge_rows = {
        (e.other_id, e.action)
        for e in history.record_history(keep.id)
        if e.source == "Object merge"
    }
    assert (globex.id, "created") in merge_rows and (shared.id, "updated") in merge_rows
    assert check.run().ok


def test_merge_companies_moves_primary_of_contacts(db, ctx):
    keep, dup = company("Acme"), company("Acme Inc")
    ana, bob = contact("Ana"), contact("Bob")
    associations.associate(ana.id, dup.id, ctx)  # dup is ana's primary
    associations.associate(bob.id, keep.id, ctx)
    associations.associate(bob.id, dup.id, ctx)
    lifecycle.merge(keep.id, dup.id, ctx)
    assert associations.primary_company(ana.id) == keep.id
    assert associations.primary_company(bob.id) == keep.id
    assert others(bob.id) == {keep.id}
    assert check.run().ok


def test_merge_of_two_associated_records_drops_their_own_link(db, ctx):
    keep, dup = company("Acme"), company("Acme dup")
    associations.associate(keep.id, dup.id, ctx)
    lifecycle.merge(keep.id, dup.id, ctx)
    assert others(keep.id) == set()
    assert check.run().ok


def test_merge_refusals(db, ctx):
    ana, acme = contact("Ana"), company("Acme")
    with pytest.raises(InvalidValue):
        lifecycle.merge(ana.id, ana.id, ctx)
    with pytest.raises(InvalidValue):
        lifecycle.merge(ana.id, acme.id, ctx)
    t = ticket("T")
    lifecycle.delete(t.id, ctx)
    with pytest.raises(Deleted):
        lifecycle.merge(ticket("U").id, t.id, ctx)


def test_merged_record_cannot_be_restored(db, ctx):
    keep, dup = contact("A"), contact("B")
    lifecycle.merge(keep.id, dup.id, ctx)
    with pytest.raises(InvalidValue):
        lifecycle.restore(dup.id, ctx)
    assert [r.id for r in lifecycle.recycle_bin()] == []


def test_merge_gives_the_survivor_the_merged_primary_when_it_had_none(db, ctx):
    keep, dup = contact("Ana"), contact("Ana dup")
    acme, globex = company("Acme"), company("Globex")
    associations.associate(dup.id, globex.id, ctx)
    associations.associate(dup.id, acme.id, ctx)
    associations.set_primary(dup.id, acme.id, ctx)
    lifecycle.merge(keep.id, dup.id, ctx)
    assert others(keep.id) == {acme.id, globex.id}
    assert associations.primary_company(keep.id) == acme.id
    assert check.run().ok


def test_merged_id_works_as_a_reference_for_new_associations(db, ctx):
    keep, dup = company("Acme"), company("Acme dup")
    lifecycle.merge(keep.id, dup.id, ctx)
    ana = contact("Ana")
    associations.associate(ana.id, dup.id, ctx)
    assert others(ana.id) == {keep.id}
    assert associations.primary_company(ana.id) == keep.id


def test_restore_skips_a_pair_whose_other_end_was_merged_away(db, ctx):
    ana, acme, acme2 = contact("Ana"), company("Acme"), company("Acme 2")
    associations.associate(ana.id, acme2.id, ctx)
    lifecycle.delete(ana.id, ctx)
    lifecycle.merge(acme.id, acme2.id, ctx)
    lifecycle.restore(ana.id, ctx)
    assert others(ana.id) == set()
    assert check.run().ok


def test_restore_after_its_label_was_deleted_brings_the_association_back_without_it(db, ctx):
    labels.create("contact", "company", "Advisor")
    labels.create("contact", "company", "Investor")
    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, ctx, ["Advisor", "Investor"])
    lifecycle.delete(ana.id, ctx)
    labels.delete("contact", "company", "Advisor")  # no longer in use: allowed
    lifecycle.restore(ana.id, ctx)
    assert seen(acme.id) == {ana.id: (("Investor",), False)}
    assert associations.primary_company(ana.id) == acme.id
    assert check.run().ok


def test_a_restored_company_is_the_primary_again_when_its_deletion_promoted_another(db, ctx):
    ana = contact("Ana")
    acme, beta, gamma = company("Acme"), company("Beta"), company("Gamma")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(ana.id, beta.id, ctx)
    lifecycle.delete(acme.id, ctx)
    assert associations.primary_company(ana.id) == beta.id  # promoted by the deletion
    lifecycle.restore(acme.id, ctx)
    assert associations.primary_company(ana.id) == acme.id
    entries = history.pair_history(ana.id, beta.id)
    assert entries[0].source == "Object restore" and not entries[0].primary
    assert check.run().ok
    # A primary someone chose meanwhile stays.
    associations.associate(ana.id, gamma.id, ctx)
    lifecycle.delete(acme.id, ctx)
    associations.set_primary(ana.id, gamma.id, ctx)
    lifecycle.restore(acme.id, ctx)
    assert associations.primary_company(ana.id) == gamma.id
    assert check.run().ok
