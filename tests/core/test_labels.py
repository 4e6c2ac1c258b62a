"""Labels: single and paired, seen correctly from each side; several per pair; in-use protection."""

from __future__ import annotations

import pytest

from rolodex.crm import associations, labels
from rolodex.crm.errors import InvalidValue, LabelInUse, LabelNotFound
from rolodex.store.models import AssociationLabel
from tests.core.helpers import company, contact, deal, history_count, seen


def test_single_label_reads_the_same_from_both_sides(db, ctx):
    labels.create("contact", "company", "Advisor")
    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, ctx, ["Advisor"])
    assert seen(acme.id)[ana.id][0] == ("Advisor",)
    assert seen(ana.id)[acme.id][0] == ("Advisor",)


def test_paired_label_shows_name_on_from_record_and_inverse_on_to_record(db, ctx):
    labels.create("contact", "deal", "Decision maker", inverse="Decided deal")
    ana, big = contact("Ana"), deal("Big deal")
    # "ana is big's Decision maker"
    associations.associate(ana.id, big.id, ctx, ["Decision maker"])
    assert seen(big.id)[ana.id][0] == ("Decision maker",)
    assert seen(ana.id)[big.id][0] == ("Decided deal",)


def test_paired_label_given_from_the_other_side_is_the_same_fact(db, ctx):
    labels.create("contact", "deal", "Decision maker", inverse="Decided deal")
    ana, big = contact("Ana"), deal("Big deal")
    # "big is ana's Decided deal" == "ana is big's Decision maker"
    associations.associate(big.id, ana.id, ctx, ["Decided deal"])
    assert seen(big.id)[ana.id][0] == ("Decision maker",)
    assert seen(ana.id)[big.id][0] == ("Decided deal",)
    rows_before = history_count()
    associations.associate(ana.id, big.id, ctx, ["Decision maker"])
    assert history_count() == rows_before
    assert AssociationLabel.select().count() == 1


def test_same_object_manager_employee_from_each_side(db, ctx):
    labels.create("contact", "contact", "Manager", inverse="Employee")
    boss, worker = contact("Boss"), contact("Worker")
    associations.associate(boss.id, worker.id, ctx, ["Manager"])
    assert seen(worker.id)[boss.id][0] == ("Manager",)
    assert seen(boss.id)[worker.id][0] == ("Employee",)
    # Stated the other way round, the same fact: nothing new.
    rows = history_count()
    associations.associate(worker.id, boss.id, ctx, ["Employee"])
    assert history_count() == rows
    assert seen(worker.id)[boss.id][0] == ("Manager",)


def test_same_object_manager_works_with_the_higher_id_as_manager(db, ctx):
    labels.create("contact", "contact", "Manager", inverse="Employee")
    worker, boss = contact("Worker"), contact("Boss")  # boss gets the larger id
    associations.associate(boss.id, worker.id, ctx, ["Manager"])
    assert seen(worker.id)[boss.id][0] == ("Manager",)
    assert seen(boss.id)[worker.id][0] == ("Employee",)


def test_both_directions_of_a_paired_same_object_label_can_coexist(db, ctx):
    """Two people can each be the other's mentor: two facts, shown as two words."""
    labels.create("contact", "contact", "Mentor", inverse="Mentee")
    x, y = contact("X"), contact("Y")
    associations.associate(x.id, y.id, ctx, ["Mentor"])
    associations.associate(y.id, x.id, ctx, ["Mentor"])
    assert seen(x.id)[y.id][0] == ("Mentee", "Mentor")
    assert seen(y.id)[x.id][0] == ("Mentee", "Mentor")


def test_single_same_object_label_given_from_either_side_is_one_label(db, ctx):
    labels.create("contact", "contact", "Colleague")
    x, y = contact("X"), contact("Y")
    associations.associate(x.id, y.id, ctx, ["Colleague"])
    rows = history_count()
    associations.associate(y.id, x.id, ctx, ["Colleague"])
    assert seen(x.id)[y.id][0] == ("Colleague",)
    assert seen(y.id)[x.id][0] == ("Colleague",)
    assert history_count() == rows
    associations.dissociate(y.id, x.id, ctx, label="Colleague")
    assert seen(x.id)[y.id][0] == ()


def test_several_labels_on_one_pair(db, ctx):
    labels.create("contact", "company", "Advisor")
    labels.create("contact", "company", "Investor")
    labels.create("contact", "company", "Founder", inverse="Founded company")
    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, ctx, ["Advisor", "Founder"])
    associations.associate(ana.id, acme.id, ctx, ["investor"])  # case-insensitive
    assert seen(acme.id)[ana.id][0] == ("Advisor", "Founder", "Investor")
    assert seen(ana.id)[acme.id][0] == ("Advisor", "Founded company", "Investor")
    associations.dissociate(ana.id, acme.id, ctx, label="Advisor")
    assert seen(acme.id)[ana.id][0] == ("Founder", "Investor")
    assert ana.id in seen(acme.id)  # removing a label keeps the association


def test_set_labels_replaces_the_set(db, ctx):
    labels.create("contact", "company", "Advisor")
    labels.create("contact", "company", "Investor")
    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, ctx, ["Advisor"])
    associations.set_labels(ana.id, acme.id, ctx, ["Investor"])
    assert seen(acme.id)[ana.id][0] == ("Investor",)
    rows = history_count()
    change = associations.set_labels(ana.id, acme.id, ctx, ["Investor"])
    assert not change.changed and history_count() == rows
    associations.set_labels(ana.id, acme.id, ctx, [])
    assert seen(acme.id)[ana.id][0] == ()


def test_unknown_label_lists_the_available_ones(db, ctx):
    labels.create("contact", "company", "Advisor")
    labels.create("contact", "company", "Founder", inverse="Founded company")
    labels.create("contact", "deal", "Champion")
    ana, acme = contact("Ana"), company("Acme")
    with pytest.raises(LabelNotFound) as err:
        associations.associate(ana.id, acme.id, ctx, ["Chef"])
    message = str(err.value)
    assert "Chef" in message and "Advisor" in message and "Founder" in message
    assert "Founded company" in message
    assert "Champion" not in message  # defined for another pair
    assert associations.between(ana.id, acme.id) is None  # nothing written


def test_unknown_label_when_none_defined(db, ctx):
    ana, acme = contact("Ana"), company("Acme")
    with pytest.raises(LabelNotFound) as err:
        associations.associate(ana.id, acme.id, ctx, ["Advisor"])
    assert "none defined" in str(err.value)


def test_label_of_another_pair_is_refused(db, ctx):
    labels.create("contact", "deal", "Champion")
    ana, acme = contact("Ana"), company("Acme")
    with pytest.raises(LabelNotFound):
        associations.associate(ana.id, acme.id, ctx, ["Champion"])


def test_label_in_use_cannot_be_deleted_until_removed(db, ctx):
    labels.create("contact", "company", "Advisor")
    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, ctx, ["Advisor"])
    with pytest.raises(LabelInUse) as err:
        labels.delete("contact", "company", "Advisor")
    assert "1" in str(err.value)
    assert [lab.name for lab in labels.list_labels("contact", "company")] == ["Advisor"]
    assert labels.list_labels("company", "contact")[0].in_use == 1
    associations.dissociate(ana.id, acme.id, ctx, label="Advisor")
    labels.delete("contact", "company", "Advisor")
    assert labels.list_labels("contact", "company") == []


def test_label_creation_rules(db):
    labels.create("contact", "company", "Founder", inverse="Founded company")
    with pytest.raises(InvalidValue):
        labels.create("contact", "company", "founder")
    with pytest.raises(InvalidValue):
        labels.create("company", "contact", "Founded company")
    with pytest.raises(InvalidValue):
        labels.create("contact", "company", "  ")
    with pytest.raises(InvalidValue):
        labels.create("contact", "company", "Primary")
    single = labels.create("contact", "company", "Advisor", inverse="Advisor")
    assert not single.paired


def test_pickers_offer_the_same_labels_as_the_listing_in_the_same_order(db, ctx):
    labels.create("contact", "company", "Employee", "Employer")
    labels.create("company", "contact", "Billing contact")
    labels.create("contact", "contact", "Manager", "Report")
    labels.create("contact", "deal", "Decision maker")
    associations.associate(contact("Ana").id, company("Acme").id, ctx, ["Employee"])
    for a, b in (("contact", "company"), ("company", "contact"), ("contact", "contact")):
        listed = labels.list_labels(a, b)
        assert [label.name for label in labels.pair_labels(a, b)] == [x.name for x in listed]
    assert {x.name: x.in_use for x in labels.list_labels("contact", "company")} == {
        "Employee": 1,
        "Billing contact": 0,
    }
    assert labels.pair_labels("contact", "ticket") == []
    made = labels.create("ticket", "contact", "Reporter")
    assert [x.name for x in labels.pair_labels("contact", "ticket")] == [made.name]
