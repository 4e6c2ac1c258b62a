"""The app in Swedish: built-in object names are shown translated, stored names as typed."""

from __future__ import annotations

from rolodex import i18n
from rolodex.crm import objects
from tests.ui.test_flows import open_record


async def test_the_record_view_names_objects_in_swedish(world, make_app):
    i18n.set_language("sv")
    try:
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_record(pilot, world.ids["ana"])
            from rolodex.crm import index
            from rolodex.ui.widgets.cards import card_items

            lines = card_items(index.index_types(), screen.data.counts, screen.data.cards)
            titles = {
                item.lines[0].plain.split("  ")[0] for item in lines if item.key.startswith("head:")
            }
            companies = screen.data.counts["company"]
            assert f"Företag ({companies})" in titles
            assert any(t.startswith("Kontakter (") for t in titles)
            assert not any(t.startswith(("Companies", "Contacts")) for t in titles)
            # a custom object keeps the name it was given
            custom = [t for t in objects.all_types() if t.kind == "custom"]
            for info in custom:
                assert any(t.startswith(info.plural + " (") for t in titles)
    finally:
        i18n.set_language(None)


def test_the_swedish_screens_match_their_pictures() -> None:
    """test_snapshots_sv.py in a process that starts in Swedish (as LANGUAGE=sv does)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import PG_URL

    if PG_URL:
        return  # the pictures hold SQLite's record ids
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "ROLODEX_TEST_LANGUAGE": "sv"}
    env.pop("PYTEST_XDIST_WORKER", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q",
         "tests/ui/test_snapshots_sv.py"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "8 passed" in result.stdout
