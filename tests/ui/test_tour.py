"""The README's five-minute tour: scripts/tour.py drives the real app and its pictures show the
article's three examples. If the app changes so a step no longer works, this fails."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

EXPECTED = {
    "01-contacts.svg": ["Contacts", "Ana Lindqvist", "Björn Berg", "Carla Reyes"],
    "02-palette.svg": ["Enterprise", "Northwind Traders – Enterprise licence", "deal:214"],
    "03-deal.svg": [
        "Northwind Traders – Enterprise licence",
        "Primary company: Northwind Traders",
        "Ana Lindqvist",
        "Decision maker",
        "Björn Berg",
        "Champion",
        "Carla Reyes",
    ],
    "04-neighbourhood.svg": [
        "Tracking map does not load",
        "Fjord Logistics – Fleet tracking pilot",
        "Lars Olsen",
        "Ingrid Dahl",
    ],
    "05-maya.svg": ["Maya Patel", "Helix Therapeutics AB", "Lumen Health GmbH", "Advisor"],
    "06-associate.svg": ["Associate companies with Maya Patel", "Northwind Traders", "1 selected"],
    "07-history.svg": ["Association history of Maya Patel"],
}


def load_tour():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("tour", REPO / "scripts" / "tour.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tour_takes_every_picture_and_they_show_the_three_examples(tmp_path: Path) -> None:
    tour = load_tour()
    demo = REPO / "demo.db"
    before = hashlib.sha256(demo.read_bytes()).hexdigest()
    assert tour.main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.svg")) == sorted(EXPECTED)
    screens = {}
    for name, wanted in EXPECTED.items():
        svg = (tmp_path / name).read_text(encoding="utf-8")
        assert svg.startswith("<svg") and len(svg) < 200_000, name
        screens[name] = tour.screen_text(svg)
        for text in wanted:
            assert text in screens[name], f"{name} does not show {text!r}"
    # The tour's own change: Northwind Traders associated as Advisor, newest first, by the user.
    newest = [line for line in screens["07-history.svg"].splitlines() if "company:" in line][0]
    assert "Northwind Traders" in newest and "User (you)" in newest and "Advisor" in newest
    # The deal in the neighbourhood was expanded: both contacts appear under it too.
    assert screens["04-neighbourhood.svg"].count("Lars Olsen") == 2
    assert hashlib.sha256(demo.read_bytes()).hexdigest() == before  # demo.db never changes
    # The README's pictures are what the app shows today (by text, not by colour).
    for name, text in screens.items():
        committed = (REPO / "docs" / "tour" / name).read_text(encoding="utf-8")
        assert tour.screen_text(committed) == text, (
            f"docs/tour/{name} is stale: run python scripts/tour.py"
        )
