"""Search as you type over all objects; recommendations for "Associate existing"."""

from __future__ import annotations

import pytest

from rolodex.crm import associations, lifecycle, recommend, search
from rolodex.store.database import is_sqlite
from tests.conftest import HOSTILE_NAMES
from tests.core.helpers import company, contact, deal


def names(hits) -> list[str]:
    return [h.name for h in hits]


def test_substring_search_over_name_email_and_domain(db):
    ana = contact("Anastasia", "ana@northwind.com", last="Lind")
    acme = company("Acme Rockets", "acme-rockets.com")
    deal("Rocket launch")
    assert set(names(search.search("ocket"))) == {"Acme Rockets", "Rocket launch"}
    assert [h.id for h in search.search("northw")] == [ana.id]  # by email
    assert search.search("northw")[0].detail == "ana@northwind.com"
    assert [h.id for h in search.search("ets.co")] == [acme.id]  # by domain
    assert [h.id for h in search.search("STASIA")] == [ana.id]  # case-insensitive
    assert names(search.search("ocket", ["deal"])) == ["Rocket launch"]
    assert search.search("ocket", ["company"])[0].ref == acme.ref
    assert search.search("ocket", exclude=[acme.id])[0].type == "deal"


def test_search_uses_the_engine_index(db):
    if is_sqlite():
        row = db.execute_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'record_search'"
        ).fetchone()
        assert row is not None and "trigram" in row[0]
    company("Acme Rockets")
    assert len(search.search("Rockets")) == 1


def test_short_queries_find_name_prefixes_first_then_substrings(db):
    company("Acme")
    company("Bacme")
    contact("Al")
    assert names(search.search("ac")) == ["Acme", "Bacme"]  # the prefix match first
    assert names(search.search("A")) == ["Acme", "Al", "Bacme"]
    assert names(search.search("al")) == ["Al"]


def test_empty_and_whitespace_queries_find_nothing(db):
    company("Acme")
    assert search.search("") == []
    assert search.search("   ") == []


def test_whitespace_in_the_query_is_collapsed(db):
    company("Acme Rockets")
    assert names(search.search("acme   rock")) == ["Acme Rockets"]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        'ab"c',
        "a*b",
        "NEAR(a b)",
        "name:acme",
        "acme OR x",
        "(((",
        "-acme",
        "^acme",
        "100%",
        "a_b",
        "\\",
        "'; DROP TABLE record; --",
        "a\x00b",
    ],
)
def test_query_syntax_characters_do_not_crash(db, query):
    company("Acme")
    hits = search.search(query)
    assert isinstance(hits, list)
    assert search.search("Acme")  # and the table is still there


def test_special_characters_are_matched_literally(db):
    company('The "Quoted" Co')
    company("100% Pure")
    company("snake_case ltd")
    company("snakeXcase ltd")
    assert names(search.search('"Quoted"')) == ['The "Quoted" Co']
    assert names(search.search("100%")) == ["100% Pure"]
    assert names(search.search("e_c")) == ["snake_case ltd"]


def test_deleted_and_merged_records_are_excluded(db, ctx):
    keep = company("Acme One")
    gone = company("Acme Two")
    merged = company("Acme Three")
    lifecycle.delete(gone.id, ctx)
    lifecycle.merge(keep.id, merged.id, ctx)
    assert names(search.search("Acme")) == ["Acme One"]
    assert names(search.search("Ac")) == ["Acme One"]
    lifecycle.restore(gone.id, ctx)
    assert names(search.search("Acme")) == ["Acme One", "Acme Two"]


def test_renamed_record_is_found_by_its_new_name(db):
    from rolodex.crm import records

    acme = company("Acme")
    records.update(acme.id, {"name": "Zenith"})
    assert names(search.search("Zenith")) == ["Zenith"]
    assert search.search("Acme") == []


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_found_verbatim(db, name):
    company(name)
    probe = name.strip()[:12]
    hits = search.search(probe)
    assert name.strip() in names(hits)


def test_limit_is_respected(db):
    for i in range(30):
        company(f"Widget {i:02d}")
    assert len(search.search("Widget", limit=7)) == 7
    assert names(search.search("Widget", limit=3)) == ["Widget 00", "Widget 01", "Widget 02"]


# ------------------------------------------------------------------ recommendations


def test_recommendations_ranked_by_shared_associations_domain_and_name(db, ctx):
    ana = contact("Ana", "ana@acme.com")
    bob = contact("Bob", "bob@acme.com")
    acme_domain = company("Acme Holdings", "acme.com")
    globex = company("Globex")
    neighbour_deal = deal("Joint deal")
    associations.associate(ana.id, neighbour_deal.id, ctx)
    associations.associate(globex.id, neighbour_deal.id, ctx)
    company("Unrelated")
    recs = recommend.recommend(ana.id, "company")
    ids = [r.id for r in recs]
    assert ids[:2] == [acme_domain.id, globex.id]  # domain (5) beats one shared association (2)
    assert recs[0].reasons == ("same domain",)
    assert recs[1].reasons == ("shared association",)
    assert recs[0].score > recs[1].score
    colleagues = recommend.recommend(ana.id, "contact")
    assert [r.id for r in colleagues] == [bob.id]
    assert "same email domain" in colleagues[0].reasons


def test_similar_names_are_recommended(db, ctx):
    acme_deal = deal("Northwind renewal")
    north = company("Northwind Traders")
    company("Contoso")
    recs = recommend.recommend(acme_deal.id, "company")
    assert [r.id for r in recs] == [north.id]
    assert recs[0].reasons == ("similar name",)


def test_already_associated_deleted_and_self_are_excluded(db, ctx):
    ana = contact("Ana", "ana@acme.com")
    acme = company("Acme", "acme.com")
    other_acme = company("Acme Labs", "acme.com")
    gone = company("Acme Gone", "acme.com")
    lifecycle.delete(gone.id, ctx)
    associations.associate(ana.id, acme.id, ctx)
    ids = [r.id for r in recommend.recommend(ana.id, "company")]
    assert acme.id not in ids and gone.id not in ids
    assert ids == [other_acme.id]
    twin = contact("Ana Twin", "twin@acme.com")
    assert ana.id not in [r.id for r in recommend.recommend(ana.id, "contact")]
    assert twin.id in [r.id for r in recommend.recommend(ana.id, "contact")]


def test_what_is_associated_is_excluded_batch_by_batch(db, ctx, monkeypatch):
    """Candidates are checked against the record's associations in batches (a record
    with thousands of candidates); the exclusion holds across batch edges."""
    monkeypatch.setattr(recommend, "LINKED_BATCH", 1)
    ana = contact("Ana", "ana@acme.com")
    acmes = [company(f"Acme {n}", "acme.com") for n in range(4)]
    for linked in acmes[::2]:
        associations.associate(ana.id, linked.id, ctx)
    ids = {r.id for r in recommend.recommend(ana.id, "company")}
    assert ids == {acmes[1].id, acmes[3].id}


def test_free_mail_gives_no_domain_recommendation(db):
    ana = contact("Ana", "ana@gmail.com")
    company("Gmail", "gmail.com")
    contact("Bob", "bob@gmail.com")
    assert recommend.recommend(ana.id, "company") == []
    assert recommend.recommend(ana.id, "contact") == []
