"""A record's whole sidebar at once (``associations.sidebar``): the counts and the first
page of every card must be exactly what counts() and page() show card by card: the
primary company first, then newest first, labels as seen from the viewing record.
On PostgreSQL it is one statement."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolodex.crm import associations, labels, lifecycle
from rolodex.store.database import is_postgres
from rolodex.store.models import database
from tests.core.helpers import company, contact, deal, ticket

CARD_KEYS = ("contact", "company", "deal", "ticket")


def card_by_card(record_id: int, keys, limit: int):
    counts = associations.counts(record_id)
    pages = {k: associations.page(record_id, k, limit=limit) for k in keys if counts.get(k)}
    return counts, pages


def assert_same(record_ids, keys=CARD_KEYS, limits=(1, 2, 3, 25)):
    for rid in record_ids:
        for limit in limits:
            assert associations.sidebar(rid, keys, limit=limit) == card_by_card(rid, keys, limit), (
                rid,
                limit,
            )


@pytest.fixture
def people_labels(db):
    labels.create("contact", "company", "Employee", inverse="Employer")
    labels.create("contact", "company", "Advisor", inverse="Advised")
    labels.create("contact", "contact", "Manager", inverse="Employee")
    labels.create("contact", "contact", "Colleague")
    labels.create("deal", "contact", "Decision maker", inverse="Deal")


def test_a_company_card_shows_the_primary_first_then_newest_with_labels_from_the_viewer(
    people_labels, ctx
):
    ana = contact("Ana")
    old = company("Old Primary")  # older than every company of the first page
    associations.associate(ana.id, old.id, ctx, ["Employee"], primary=True)
    later = [company(f"Later {i}") for i in range(4)]
    for c in later:
        # "c is Ana's Advised", stated from the company: Ana is c's Advisor
        associations.associate(c.id, ana.id, ctx, ["Advised"])
    boss = contact("Boss")
    associations.associate(boss.id, ana.id, ctx, ["Manager"])  # Boss is Ana's manager
    counts, cards = associations.sidebar(ana.id, CARD_KEYS, limit=3)
    assert counts == {"company": 5, "contact": 1}
    assert set(cards) == {"company", "contact"}
    assert [v.other_id for v in cards["company"]] == [old.id, later[3].id, later[2].id]
    assert cards["company"][0].primary and cards["company"][0].labels == ("Employer",)
    assert [v.labels for v in cards["company"][1:]] == [("Advised",), ("Advised",)]
    [manager] = cards["contact"]
    assert manager.other_id == boss.id and manager.labels == ("Manager",)
    # From the other side of the same facts.
    counts, cards = associations.sidebar(boss.id, CARD_KEYS)
    assert counts == {"contact": 1} and cards["contact"][0].labels == ("Employee",)
    counts, cards = associations.sidebar(later[0].id, CARD_KEYS)
    [seen] = cards["contact"]
    assert seen.labels == ("Advisor",) and seen.primary_of_other is False
    assert_same([ana.id, boss.id, old.id, *(c.id for c in later)])


def test_the_counts_are_all_objects_and_pages_only_the_asked_ones_that_have_any(people_labels, ctx):
    ana, acme, big = contact("Ana"), company("Acme"), deal("Big deal")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(big.id, ana.id, ctx, ["Decision maker"])
    counts, cards = associations.sidebar(ana.id, ["company", "ticket"])
    assert counts == {"company": 1, "deal": 1}
    assert list(cards) == ["company"]
    counts, cards = associations.sidebar(ana.id, [])
    assert counts == {"company": 1, "deal": 1} and cards == {}
    lonely = contact("Lonely")
    assert associations.sidebar(lonely.id, CARD_KEYS) == ({}, {})


def test_a_company_with_more_associations_than_a_page(people_labels, ctx):
    acme = company("Acme")
    people = [contact(f"P{i:02}") for i in range(30)]
    for i, p in enumerate(people):
        words = ["Employee"] if i % 3 == 0 else (["Employee", "Advisor"] if i % 3 == 1 else [])
        if i % 2:
            associations.associate(p.id, acme.id, ctx, words)
        else:  # the same facts stated from the company's side
            associations.associate(acme.id, p.id, ctx, ["Employer"] * bool(words))
    counts, cards = associations.sidebar(acme.id, CARD_KEYS)
    assert counts == {"contact": 30}
    assert [v.other_id for v in cards["contact"]] == [p.id for p in reversed(people)][:25]
    assert all(v.primary_of_other for v in cards["contact"])  # Acme is everyone's primary
    assert_same([acme.id, people[0].id, people[29].id], limits=(1, 5, 25, 29, 30, 31))


def test_deleted_merged_and_restored_records(people_labels, ctx):
    ana, bob, cat = contact("Ana"), contact("Bob"), contact("Cat")
    acme, beta = company("Acme"), company("Beta")
    associations.associate(ana.id, acme.id, ctx, ["Employee"])
    associations.associate(ana.id, beta.id, ctx, ["Advisor"])
    associations.associate(bob.id, acme.id, ctx)
    associations.associate(cat.id, ana.id, ctx, ["Colleague"])
    lifecycle.delete(acme.id, ctx)  # Ana's primary goes: Beta takes its place
    counts, cards = associations.sidebar(ana.id, CARD_KEYS)
    assert counts == {"company": 1, "contact": 1}
    assert [(v.other_id, v.primary) for v in cards["company"]] == [(beta.id, True)]
    assert_same([ana.id, bob.id, cat.id, beta.id])
    lifecycle.restore(acme.id, ctx)
    lifecycle.merge(ana.id, cat.id, ctx)
    assert_same([ana.id, bob.id, acme.id, beta.id])


def test_on_postgresql_the_sidebar_is_one_statement(people_labels, ctx):
    if not is_postgres():
        pytest.skip("one round trip matters on PostgreSQL; SQLite reads card by card")
    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, ctx, ["Employee"])
    associations.associate(deal("D").id, ana.id, ctx)
    associations.sidebar(ana.id, CARD_KEYS)  # prepares the statement once per connection
    db = database.obj
    real = db.cursor
    executed = []

    class Counting:
        def __init__(self, cursor):
            self.cursor = cursor

        def execute(self, sql, *rest):
            executed.append(sql)
            return self.cursor.execute(sql, *rest)

        def __getattr__(self, name):
            return getattr(self.cursor, name)

    def counting_cursor(*args, **kwargs):
        return Counting(real(*args, **kwargs))

    db.cursor = counting_cursor
    try:
        counts, cards = associations.sidebar(ana.id, CARD_KEYS)
    finally:
        del db.cursor
    assert counts == {"company": 1, "deal": 1} and set(cards) == {"company", "deal"}
    assert len(executed) == 1, executed


# ---------------------------------------------------------------- generated data

# "source is target's WORD", both ways round.
LINK_WORDS = {
    ("contact", "company"): ["Employee", "Advisor"],
    ("company", "contact"): ["Employer", "Advised"],
    ("contact", "contact"): ["Manager", "Employee", "Colleague"],
    ("deal", "contact"): ["Decision maker"],
    ("contact", "deal"): ["Deal"],
}

links = st.lists(
    st.tuples(
        st.integers(0, 7),  # source
        st.integers(0, 7),  # target
        st.lists(st.integers(0, 3), max_size=2),  # label words (by position)
        st.booleans(),  # as primary (contacts to companies only)
    ),
    max_size=30,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(links=links, deleted=st.sets(st.integers(0, 7), max_size=2), limit=st.integers(1, 4))
def test_generated_sidebars_equal_card_by_card(people_labels, ctx, links, deleted, limit):
    """Records made fresh for each example: 3 contacts, 2 companies, 2 deals, 1 ticket."""
    made = [contact("C0"), contact("C1"), contact("C2"), company("K0"), company("K1")]
    made += [deal("D0"), deal("D1"), ticket("T0")]
    for src, dst, words, primary in links:
        a, b = made[src], made[dst]
        if a.id == b.id:
            continue
        choices = LINK_WORDS.get((a.type, b.type), [])
        picked = [choices[i % len(choices)] for i in words] if choices else []
        as_primary = primary and a.type == "contact" and b.type == "company"
        associations.associate(a.id, b.id, ctx, picked, primary=as_primary)
    for i in sorted(deleted):
        lifecycle.delete(made[i].id, ctx)
    assert_same([r.id for r in made], limits=(limit, 25))
