"""Live refresh: a change committed by another process appears in the open views within
about a second, and the cursor stays on the record it was on."""

from __future__ import annotations

import subprocess
import sys

from rolodex.ui.screens.index import IndexScreen
from rolodex.ui.screens.record import RecordScreen
from rolodex.ui.widgets.cards import CardList

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


def held_ids(screen: IndexScreen) -> list[int]:
    return [row.id for row in screen.cache.rows()]


async def test_index_and_record_refresh_when_another_process_commits(world, make_app, db_url):
    app = make_app(live_refresh=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, IndexScreen)
        assert await wait_for(pilot, lambda: len(held_ids(screen)) > 3)
        screen.table.move_to(3)
        await pilot.pause()
        on_before = screen.row_at(3).id

        new_ref = other_process(db_url, "add", "contact", "first_name=Aaron", "last_name=Live")
        new_id = int(new_ref.split(":")[1])
        assert await wait_for(pilot, lambda: new_id in held_ids(screen)), (
            "the new contact never appeared"
        )
        assert screen.row_at(screen.table.cursor_row).id == on_before, (
            "the cursor moved to another record"
        )

        ana = world.ids["ana"]
        app.open_record(ana)
        assert await wait_for(pilot, lambda: isinstance(app.screen, RecordScreen))
        record = app.screen
        before = record.data.counts.get("deal", 0)
        deal = other_process(db_url, "add", "deal", "name=Live deal")
        other_process(db_url, "associate", deal, f"contact:{ana}")
        assert await wait_for(pilot, lambda: record.data.counts.get("deal", 0) == before + 1), (
            "the record's sidebar did not show the new deal"
        )


async def test_a_record_deleted_and_restored_elsewhere_says_so_in_place(world, make_app, db_url):
    app = make_app(live_refresh=True)
    async with app.run_test(size=(120, 40)) as pilot:
        bo = world.ids["bo"]
        app.open_record(bo)
        assert await wait_for(pilot, lambda: isinstance(app.screen, RecordScreen))
        record = app.screen
        banner = record.query_one("#record-banner")
        assert not banner.display
        other_process(db_url, "delete", f"contact:{bo}")
        assert await wait_for(pilot, lambda: banner.display), "no sign of the deletion"
        assert "deleted" in str(banner.render())
        other_process(db_url, "restore", f"contact:{bo}")
        assert await wait_for(pilot, lambda: not banner.display)


async def test_a_record_merged_elsewhere_shows_the_survivor(world, make_app, db_url):
    app = make_app(live_refresh=True)
    async with app.run_test(size=(120, 40)) as pilot:
        ana, cy = world.ids["ana"], world.ids["cy"]
        app.open_record(cy)
        assert await wait_for(pilot, lambda: isinstance(app.screen, RecordScreen))
        record = app.screen
        other_process(db_url, "merge", f"contact:{ana}", f"contact:{cy}")
        assert await wait_for(pilot, lambda: record.record_id == ana), "still on the merged id"
        assert record.data.record.id == ana


async def test_a_label_created_elsewhere_appears_without_a_restart(world, make_app, db_url):
    from rolodex.ui.modals.record_dialogs import EditLabelsDialog

    app = make_app(live_refresh=True)
    async with app.run_test(size=(120, 40)) as pilot:
        ana, acme = world.ids["ana"], world.ids["acme"]
        app.open_record(ana)
        assert await wait_for(pilot, lambda: isinstance(app.screen, RecordScreen))
        from rolodex.crm import labels

        labels.list_labels()  # the app's cache is warm
        other_process(db_url, "labels", "create", "contact", "company", "Investor")
        other_process(
            db_url,
            "objects",
            "create",
            "project",
            "--singular",
            "Project",
            "--plural",
            "Projects",
            "--property",
            "name:text",
        )
        record = app.screen
        assert await wait_for(
            pilot, lambda: any(t.key == "project" for t in record.data.card_types)
        ), "the new object's card never appeared"
        cards = record.query_one(CardList)
        cards.focus()
        cards.cursor = [i.key for i in cards.items].index(f"item:company:{acme}")
        await pilot.press("l")
        assert await wait_for(pilot, lambda: isinstance(app.screen, EditLabelsDialog))
        assert any(c.word == "Investor" for c in app.screen.choices)


async def test_a_refresh_during_the_build_of_a_screen_is_shown_once_it_is_ready(world, make_app):
    """The race that once killed live refresh: the change arrives while a record screen
    is being built (forced here), and the screen shows it when it is ready."""
    from rolodex.crm import records as crm_records
    from rolodex.crm import views

    app = make_app(live_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        ana = world.ids["ana"]
        data = views.record_view(ana)
        screen = RecordScreen(data)
        screen._database_changed()  # noqa: SLF001 - before it is mounted: pending
        crm_records.update(ana, {"job_title": "Changed meanwhile"})
        await app.push_screen(screen)
        assert await wait_for(
            pilot, lambda: screen.data.record.properties.get("job_title") == "Changed meanwhile"
        )
        # and the refreshes go on: another change is shown too
        crm_records.update(ana, {"job_title": "And again"})
        app.post_message(__import__("rolodex.ui.messages", fromlist=["DataChanged"]).DataChanged())
        assert await wait_for(
            pilot, lambda: screen.data.record.properties.get("job_title") == "And again"
        )


async def test_one_failing_view_does_not_stop_the_others(world, make_app):
    from rolodex.crm import records as crm_records
    from rolodex.ui.messages import DataChanged

    app = make_app(live_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        index_screen = app.screen
        ana = world.ids["ana"]
        app.open_record(ana)
        assert await wait_for(pilot, lambda: isinstance(app.screen, RecordScreen))
        record = app.screen

        def broken() -> None:
            raise RuntimeError("this view cannot refresh")

        index_screen.refresh_from_database = broken  # type: ignore[method-assign]
        crm_records.update(ana, {"job_title": "Seen anyway"})
        app.post_message(DataChanged())
        assert await wait_for(
            pilot, lambda: record.data.record.properties.get("job_title") == "Seen anyway"
        )
        assert app.is_running


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
    app = make_app(live_refresh=True)
    async with app.run_test(size=(120, 40)) as pilot:
        ana = world.ids["ana"]
        app.open_record(ana)
        assert await wait_for(pilot, lambda: isinstance(app.screen, RecordScreen))
        record = app.screen
        cards = record.query_one(CardList)
        record.set_focus(cards)
        companies = [i.key for i in cards.items if i.key.startswith("item:company:")]
        cards.cursor = [i.key for i in cards.items].index(companies[3])
        await pilot.pause()
        on_before = cards.highlighted_item.key
        deals_before = record.data.counts.get("deal", 0)

        deal = other_process(db_url, "add", "deal", "name=Refresh deal")
        other_process(db_url, "associate", deal, f"contact:{ana}")
        assert await wait_for(pilot, lambda: record.data.counts.get("deal", 0) == deals_before + 1)
        await pilot.pause()
        assert record.focused is cards, "focus left the cards"
        assert cards.highlighted_item.key == on_before, "the highlight moved to another item"
        deal_lines = [i.lines[0].plain for i in cards.items if i.key.startswith("item:deal:")]
        assert any("Refresh deal" in line for line in deal_lines)
