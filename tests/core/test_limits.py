"""Limits per object pair, per direction and per label; not retroactive; the usage report."""

from __future__ import annotations

import pytest

from rolodex.crm import associations, check, labels, limits
from rolodex.crm.errors import InvalidValue, LabelNotFound, LimitExceeded
from tests.core.helpers import company, contact, deal, history_count, others, seen


def test_parse_max():
    assert limits.parse_max("many") is None
    assert limits.parse_max("one") == 1
    assert limits.parse_max(" 5 ") == 5
    for bad in ("0", "-1", "lots"):
        with pytest.raises(InvalidValue):
            limits.parse_max(bad)


def test_pair_limit_caps_the_from_side(db, ctx):
    limits.set_limit("deal", "contact", 2)
    big = deal("Big")
    a, b, c = contact("A"), contact("B"), contact("C")
    associations.associate(big.id, a.id, ctx)
    associations.associate(b.id, big.id, ctx)  # direction of the call does not matter
    rows = history_count()
    with pytest.raises(LimitExceeded) as err:
        associations.associate(c.id, big.id, ctx)
    message = str(err.value)
    assert big.ref in message and "2" in message and "\n" not in message
    assert others(big.id) == {a.id, b.id}
    assert history_count() == rows
    # re-associating an existing pair is not a new association
    associations.associate(big.id, a.id, ctx)


def test_limit_is_per_direction(db, ctx):
    limits.set_limit("deal", "contact", 1)
    ana = contact("Ana")
    deals = [deal(f"D{i}") for i in range(3)]
    for d in deals:  # one contact may have many deals
        associations.associate(ana.id, d.id, ctx)
    assert others(ana.id) == {d.id for d in deals}
    with pytest.raises(LimitExceeded):
        associations.associate(deals[0].id, contact("Bob").id, ctx)


def test_limit_one(db, ctx):
    limits.set_limit("contact", "company", limits.parse_max("one"))
    ana = contact("Ana")
    associations.associate(ana.id, company("Acme").id, ctx)
    with pytest.raises(LimitExceeded):
        associations.associate(ana.id, company("Globex").id, ctx)


def test_same_object_pair_limit_counts_both_storage_directions(db, ctx):
    limits.set_limit("company", "company", 2)
    older = company("Older")
    hub = company("Hub")
    associations.associate(hub.id, older.id, ctx)  # hub is stored as b
    associations.associate(hub.id, company("Newer").id, ctx)  # hub is stored as a
    with pytest.raises(LimitExceeded):
        associations.associate(hub.id, company("Third").id, ctx)
    with pytest.raises(LimitExceeded):
        associations.associate(company("Fourth").id, hub.id, ctx)


def test_label_limit_counts_only_that_label(db, ctx):
    labels.create("contact", "deal", "Decision maker")
    limits.set_limit("deal", "contact", 1, label="Decision maker")
    big = deal("Big")
    a, b, c = contact("A"), contact("B"), contact("C")
    associations.associate(a.id, big.id, ctx, ["Decision maker"])
    associations.associate(b.id, big.id, ctx)  # no label: not counted
    with pytest.raises(LimitExceeded) as err:
        associations.associate(c.id, big.id, ctx, ["Decision maker"])
    assert "Decision maker" in str(err.value)
    assert others(big.id) == {a.id, b.id}  # c was not associated either
    # adding the label to an existing association is a new label: checked too
    with pytest.raises(LimitExceeded):
        associations.associate(b.id, big.id, ctx, ["Decision maker"])
    with pytest.raises(LimitExceeded):
        associations.set_labels(b.id, big.id, ctx, ["Decision maker"])
    assert seen(big.id)[b.id][0] == ()
    # after removing the label from A, B may carry it
    associations.set_labels(a.id, big.id, ctx, [])
    associations.set_labels(b.id, big.id, ctx, ["Decision maker"])
    assert seen(big.id)[b.id][0] == ("Decision maker",)


def test_same_object_label_limit_per_side(db, ctx):
    """At most one Manager each: a person may still manage many."""
    labels.create("contact", "contact", "Manager", inverse="Employee")
    limits.set_limit("contact", "contact", 1, label="Manager")
    boss, w1, w2 = contact("Boss"), contact("W1"), contact("W2")
    associations.associate(boss.id, w1.id, ctx, ["Manager"])
    associations.associate(boss.id, w2.id, ctx, ["Manager"])  # boss manages two: fine
    other_boss = contact("Other boss")
    with pytest.raises(LimitExceeded):  # w1 already has a Manager
        associations.associate(other_boss.id, w1.id, ctx, ["Manager"])
    with pytest.raises(LimitExceeded):  # the same fact stated from the other side
        associations.associate(w1.id, other_boss.id, ctx, ["Employee"])


def test_lowering_a_limit_is_not_retroactive_and_is_reported(db, ctx):
    big = deal("Big")
    people = [contact(f"P{i}") for i in range(5)]
    for p in people:
        associations.associate(big.id, p.id, ctx)
    limits.set_limit("deal", "contact", 3)
    assert others(big.id) == {p.id for p in people}  # nothing removed
    report = check.run()
    assert report.ok  # existing violators are reported apart, not failed
    assert any(big.ref in line for line in report.over_limit)
    with pytest.raises(LimitExceeded):
        associations.associate(big.id, contact("New").id, ctx)
    # removing one still leaves it over: no new association allowed
    associations.dissociate(big.id, people[0].id, ctx)
    with pytest.raises(LimitExceeded):
        associations.associate(big.id, people[0].id, ctx)
    usage = [u for u in limits.usage_report() if u.record_id == big.id]
    assert usage and usage[0].used == 4 and usage[0].over


def test_usage_report_lists_records_at_80_percent(db, ctx):
    limits.set_limit("deal", "contact", 5)
    at80, at60, full = deal("At 80"), deal("At 60"), deal("Full")
    for d, n in ((at80, 4), (at60, 3), (full, 5)):
        for i in range(n):
            associations.associate(d.id, contact(f"{d.name} {i}").id, ctx)
    report = limits.usage_report()
    ids = [u.record_id for u in report]
    assert ids == [full.id, at80.id]  # most used first; 60% is not listed
    assert report[0].used == 5 and not report[0].over
    assert report[1].name == "At 80"
    lifted = limits.set_limit("deal", "contact", None)
    assert lifted.max_count is None
    assert limits.usage_report() == []
    associations.associate(full.id, contact("Sixth").id, ctx)


def test_usage_report_for_a_label_limit(db, ctx):
    labels.create("contact", "deal", "Champion")
    limits.set_limit("deal", "contact", 1, label="Champion")
    big, small = deal("Big"), deal("Small")
    associations.associate(contact("A").id, big.id, ctx, ["Champion"])
    associations.associate(contact("B").id, small.id, ctx)
    report = limits.usage_report()
    assert [(u.record_id, u.limit.label, u.used) for u in report] == [(big.id, "Champion", 1)]


def test_set_limit_replaces_and_lists(db):
    limits.set_limit("deal", "contact", 3)
    limits.set_limit("deal", "contact", 4)
    listed = [(li.from_type, li.to_type, li.label, li.max_count) for li in limits.list_limits()]
    assert listed == [("deal", "contact", None, 4)]


def test_label_limit_may_name_the_word_either_record_carries(db, ctx):
    """`labels limit deal contact 1 --label Champion`: a deal has at most one Champion."""
    labels.create("contact", "deal", "Champion", inverse="Championed deal")
    by_their_word = limits.set_limit("deal", "contact", 1, label="Champion")
    assert by_their_word.label == "Champion"
    big = deal("Big")
    associations.associate(contact("A").id, big.id, ctx, ["Champion"])
    with pytest.raises(LimitExceeded):
        associations.associate(contact("B").id, big.id, ctx, ["Champion"])
    with pytest.raises(LimitExceeded):
        associations.associate(big.id, contact("C").id, ctx, ["Championed deal"])
    # the same limit named by the deal's own word replaces it
    limits.set_limit("deal", "contact", 2, label="Championed deal")
    assert [li.max_count for li in limits.list_limits()] == [2]
    associations.associate(contact("D").id, big.id, ctx, ["Champion"])
    with pytest.raises(LabelNotFound):
        limits.set_limit("deal", "contact", 1, label="Sponsor")
