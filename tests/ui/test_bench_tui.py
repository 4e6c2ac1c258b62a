"""Smoke tests of the TUI benchmark on a tiny database: the measuring code runs the real app
and returns sane figures (no timed assertions), and the index reads it measures stay correct."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ui.conftest import Data


def _by_name(results: list[dict], start: str) -> dict:
    found = [r for r in results if r["name"].startswith(start)]
    assert found, f"no figure named {start!r} in {[r['name'] for r in results]}"
    return found[0]


def test_pilot_figures_run_the_real_app(db_url: str, world: Data) -> None:
    from rolodex.bench_tui import pilot_figures

    results = pilot_figures(db_url, runs=2, pagedowns=4)

    first = _by_name(results, "TUI first screen (Pilot")
    assert first["unit"] == "ms"
    assert first["value"] is not None and 0 < first["value"] < 60_000  # the first row was painted

    # Initech has the most contacts (the nine hostile-named ones); its card was painted each run.
    opened = _by_name(results, "TUI open biggest company (9 contacts)")
    assert opened["runs"] == 2
    assert 0 < opened["p50"] <= opened["p95"] < 60_000

    rows = _by_name(results, "TUI deep scroll: rows loaded")
    assert rows["value"] >= 12  # every contact of the tiny world is in the table
    for name in ("TUI RSS at first screen", "TUI RSS peak while browsing"):
        rss = _by_name(results, name)
        assert rss["unit"] == "MB" and 10 < rss["value"] < 8192


def test_data_figures_and_json_output(db_url: str, world: Data, tmp_path: Path) -> None:
    from rolodex.bench_tui import main

    out = tmp_path / "tui.json"
    assert main(["--db", db_url, "--only", "data", "--json", str(out), "--quiet"]) == 0
    results = json.loads(out.read_text())["results"]
    record = _by_name(results, "record open data (load_record), biggest company (9 contacts)")
    page = _by_name(results, "index page as the TUI reads it")
    for figure in (record, page):
        if "ours_p95" in figure:  # SQLite: beside the raw baseline
            assert 0 < figure["ours_p50"] <= figure["ours_p95"]
            assert 0 < figure["raw_p50"] <= figure["raw_p95"]
            assert figure["ratio_p95"] > 0
        else:  # PostgreSQL: our figure alone
            assert 0 < figure["p50"] <= figure["p95"]
    assert _by_name(results, "machine load at start")["name"].startswith("machine load at start: ")


def test_painted_means_the_text_reached_the_terminal_bytes() -> None:
    from rolodex.bench_tui import PaintProbe

    probe = PaintProbe()
    probe.arm(lambda text: "Contacts (9)" in text)
    probe.painted("\x1b[1;1H\x1b[38;2;1;2;3mContacts (8)\x1b[0m")
    assert probe.at is None
    probe.painted("\x1b[5;80H\x1b[1mContacts (9)\x1b[0m\x1b]8;id=1;x\x1b\\")
    assert probe.at is not None and probe.event.is_set()


# ------------------------------------------------------------------ the index reads measured


def test_index_pages_walk_every_live_contact_once_with_counts_and_primary(
    db: object, world: Data
) -> None:
    from rolodex.crm import associations, index, lifecycle, records
    from rolodex.crm.context import api
    from rolodex.store import raw

    lifecycle.delete(world.ids["cy"], api())  # a deleted record is not listed
    for sort in index.SORTS:
        seen: list[int] = []
        after = None
        while True:
            page = index.page(
                "contact", sort=sort, after=after, limit=4, associated=("company", "deal"),
                primary_company=True,
            )  # fmt: skip
            for row in page.rows:
                assert row.counts == {
                    "company": associations.counts(row.id).get("company", 0),
                    "deal": associations.counts(row.id).get("deal", 0),
                }
                primary = associations.primary_company(row.id)
                assert row.primary_company == (
                    (primary, records.get(primary).name) if primary else None
                )
            seen += [row.id for row in page.rows]
            after = page.after
            if after is None:
                break
        assert len(seen) == len(set(seen)) == index.total("contact")
        assert world.ids["cy"] not in seen
        name_keys = dict(raw.fetchall("SELECT id, name_key FROM record"))
        keys = [(name_keys[i], i) for i in seen]
        if sort.lstrip("-") == "name":
            assert [k[1] for k in sorted(keys, reverse=sort.startswith("-"))] == seen
        else:
            assert sorted(seen, reverse=sort.startswith("-")) == seen
    ana = index.page("contact", filter_text="  ana ", associated=("company",), primary_company=True)
    assert [r.id for r in ana.rows] == [world.ids["ana"]]
    assert ana.rows[0].counts["company"] == 2 + len(world.hostile_companies)
    assert ana.rows[0].primary_company == (world.ids["acme"], "Acme")
    assert index.total("contact", "ana") == 1


@pytest.mark.parametrize("bad", ["size", "-size"])
def test_index_page_refuses_an_unknown_sort(db: object, bad: str) -> None:
    from rolodex.crm import index
    from rolodex.crm.errors import InvalidValue

    with pytest.raises(InvalidValue, match="unknown sort"):
        index.page("contact", sort=bad)
