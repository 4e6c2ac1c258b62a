"""Live refresh: a change committed by another process appears in the open views within
about a second, and the cursor stays on the record it was on."""

from __future__ import annotations

import subprocess
import sys

from textual.widgets import DataTable

from rolodex.ui.screens.index import IndexScreen
from rolodex.ui.screens.record import RecordScreen

ROLODEX = [sys.executable, "-m", "rolodex"]


def other_process(db_url: str, *args: str) -> str:
    """Run the real command line in a separate process: another person on the database."""
    done = subprocess.run(
        [*ROLODEX, "--db", db_url, *args], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.split()[-1] if done.stdout.split() else ""


async def wait_for(pilot, condition, seconds: float = 8.0) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.1)):
        if condition():
            return True
        await pilot.pause(0.1)
    return condition()


async def test_index_and_record_refresh_when_another_process_commits(world, make_app, db_url):
    app = make_app(live_refresh=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, IndexScreen)
        assert await wait_for(pilot, lambda: len(screen.rows) > 3)
        table = screen.query_one(DataTable)
        table.move_cursor(row=3)
        await pilot.pause()
        on_before = list(screen.rows)[table.cursor_row]

        new_ref = other_process(db_url, "add", "contact", "first_name=Aaron", "last_name=Live")
        new_id = new_ref.split(":")[1]
        assert await wait_for(pilot, lambda: new_id in screen.rows), (
            "the new contact never appeared"
        )
        assert list(screen.rows)[table.cursor_row] == on_before, (
            "the cursor moved to another record"
        )

        ana = world.ids["ana"]
        app.open_record(ana)
        assert await wait_for(
            pilot, lambda: isinstance(app.screen, RecordScreen) and app.screen.data is not None
        )
        record = app.screen
        before = record.data.counts.get("deal", 0)
        deal = other_process(db_url, "add", "deal", "name=Live deal")
        other_process(db_url, "associate", deal, f"contact:{ana}")
        assert await wait_for(pilot, lambda: record.data.counts.get("deal", 0) == before + 1), (
            "the record's sidebar did not show the new deal"
        )


async def test_a_refresh_never_overwrites_what_the_person_is_typing(world, make_app, db_url):
    from textual.widgets import Input

    app = make_app(live_refresh=True)
    async with app.run_test(size=(120, 40)) as pilot:
        ana = world.ids["ana"]
        app.open_record(ana)
        assert await wait_for(
            pilot, lambda: isinstance(app.screen, RecordScreen) and app.screen.data is not None
        )
        record = app.screen
        job_title = record.query_one("#prop-job_title", Input)
        record.set_focus(job_title)
        job_title.value = "Chief typing officer"  # being edited, not saved

        other_process(db_url, "update", f"contact:{ana}", "phone=+46 70 000 00 00")
        await pilot.pause(2.0)  # several watcher rounds
        assert job_title.value == "Chief typing officer"
        assert record.query_one("#prop-job_title", Input) is job_title


async def test_a_refresh_keeps_the_item_highlighted_in_a_card(world, make_app, db_url):
    from textual.widgets import OptionList

    app = make_app(live_refresh=True)
    async with app.run_test(size=(120, 40)) as pilot:
        ana = world.ids["ana"]
        app.open_record(ana)
        # Mounted: the screen has put focus on its first card (on_mount ran).
        assert await wait_for(
            pilot, lambda: isinstance(app.screen, RecordScreen) and app.screen.is_mounted
        )
        record = app.screen
        companies = record.query_one("#items-company", OptionList)
        record.set_focus(companies)
        companies.highlighted = 3
        await pilot.pause()
        on_before = companies.highlighted_option.id if companies.highlighted_option else None
        deals_before = record.data.counts.get("deal", 0)

        deal = other_process(db_url, "add", "deal", "name=Refresh deal")
        other_process(db_url, "associate", deal, f"contact:{ana}")
        assert await wait_for(pilot, lambda: record.data.counts.get("deal", 0) == deals_before + 1)
        await pilot.pause()
        assert record.focused is companies, "focus left the card"
        assert companies.highlighted_option is not None
        assert companies.highlighted_option.id == on_before, "the highlight moved to another item"
        assert "Refresh deal" in str(
            record.query_one("#items-deal", OptionList).get_option_at_index(0).prompt
        )
