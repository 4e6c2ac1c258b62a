"""The benchmark runs on both engines, and its raw baseline does the work the app does."""

from __future__ import annotations

import random
from unittest import mock

import pytest

from rolodex import bench
from rolodex.crm import associations, objects, search
from rolodex.synth.generator import generate

PATHS = {
    "open record: typical contact",
    "open record: biggest company",
    "search as you type: 1 chars",
    "search as you type: 3 chars",
    "search as you type: 6 chars",
    "association history (50 newest)",
    "associate + dissociate (with history)",
}


@pytest.fixture
def seeded(db, db_url: str) -> str:
    generate("demo", seed=42)
    return db_url


def test_every_path_is_measured_beside_its_baseline(seeded: str) -> None:
    results = bench.run(seeded, runs=3)
    assert {r["name"] for r in results} >= PATHS
    for r in results:
        assert r["ours_p95"] > 0 and r["raw_p95"] > 0, r["name"]


# The search planner's thresholds: as shipped, and tiny ones that make the demo database
# take every plan (read, walk in steps, the vocabulary, per-row exclusion).
KNOBS = [
    {"FEW": search.FEW},
    {"FIRST_WALK": 0.5, "FEW": 1, "MANY": 50, "COUNT_WORTH": 0.0, "READ_ROW": 0.01},
    {"FIRST_WALK": 0.5, "FEW": 0, "MANY": 2, "COUNT_WORTH": 0.0},
    {"FIRST_WALK": 2.0, "FEW": 0, "MANY": 10**6, "READ_ROW": 100.0, "ASSOCIATED_LIST": 0},
    {"FIRST_WALK": 0.5, "FEW": 0, "SHORT_TERMS": 0, "READ_SLACK": 0},
]


@pytest.mark.parametrize("text", ["a", "an", "ann", "Nordic", "son", "zzqx", "e", "om", "a L"])
def test_raw_search_baseline_returns_what_the_dialog_search_returns(seeded: str, text: str) -> None:
    contact = objects.by_key("contact").id
    conn = bench.raw_connect(seeded)
    try:
        edited = bench._pick(conn, "company", random.Random(1), 3)
        assert edited
        for knobs in KNOBS:
            with mock.patch.multiple(search, **knobs):
                for record in edited:
                    raw_ids = [row[0] for row in bench.raw_search(conn, text, contact, record)]
                    hits = search.search(
                        text,
                        ["contact"],
                        limit=30,
                        exclude=[record],
                        exclude_associated_with=record,
                    )
                    assert raw_ids == [hit.id for hit in hits], (knobs, record)
    finally:
        conn.close()


def test_dialog_queries_have_the_length_typed() -> None:
    names = ["Anna Lind", "Bo", "Ann  Eriksson"]
    for length in range(1, 7):
        for query in bench.dialog_queries(names, length, random.Random(3)):
            assert len(query) == length and query == query.strip()


def test_sidebar_card_is_the_same_as_the_baseline_reads(seeded: str) -> None:
    """One statement per card now reads both sides and the labels: same rows as raw SQL."""
    conn = bench.raw_connect(seeded)
    try:
        big = bench._biggest_company(conn)
        cards = bench.raw_sidebar(conn, big)
    finally:
        conn.close()
    by_type = {type_id: rows for type_id, _n, rows, _labels in cards}
    from rolodex.crm import objects

    for type_key, n in associations.counts(big).items():
        ours = associations.page(big, type_key)
        raw_rows = by_type[objects.by_key(type_key).id]
        assert len(ours) == min(n, 25)
        if type_key != objects.COMPANY:  # the company card puts the primary first
            assert [a.association_id for a in ours] == [row[0] for row in raw_rows]


def test_sizes_table_shows_each_size_side_by_side(capsys) -> None:
    row = {"name": "open record", "ours_p50": 0.5, "ours_p95": 1.0, "raw_p50": 0.2}
    runs = [
        {"records": 10_000, "results": [row]},
        {"records": 1_000_000, "results": [dict(row, ours_p50=1.5, ours_p95=2.0)]},
    ]
    bench.print_sizes(runs)
    out = capsys.readouterr().out
    assert "p50 10k" in out and "p95 1M" in out and "x100 data" in out
    assert "x3.0" in out and "x2.0" in out
