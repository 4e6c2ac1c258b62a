"""The index table holds a sliding window of the list: browsing 1,500 contacts up and down,
Home/End, a live refresh, filter and sort all show the right records in the right order,
and the table never holds more than the window."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from textual.widgets import DataTable

from rolodex.crm import index, objects, records
from rolodex.ui.screens.index import LOAD_AHEAD, WINDOW, IndexScreen
from tests.ui.conftest import settle

SIZE = (120, 40)


@pytest.fixture
def many(db):  # type: ignore[no-untyped-def]
    """About 1,600 synthetic contacts (with companies, deals and associations)."""
    from rolodex.synth import bulk

    bulk.load(3200, 11, dt.datetime(2026, 3, 1))
    objects.invalidate()
    return db


def whole(sort: str = "name", text: str = "") -> list[int]:
    """The list read in one go."""
    return [r.id for r in index.page("contact", sort=sort, filter_text=text, limit=100_000).rows]


def held(table: DataTable) -> list[int]:
    """The records in the table, top to bottom."""
    return [int(str(row.key.value)) for row in table.ordered_rows]


def cursor_id(table: DataTable) -> int:
    return held(table)[table.cursor_row]


def top_id(table: DataTable) -> int:
    """The record on the first line of the view."""
    return held(table)[int(table.scroll_y)]


def title(screen: IndexScreen) -> str:
    return str(screen.query_one("#index-title").render())


def check_window(screen: IndexScreen, expected: list[int]) -> int:
    """The table holds a gapless, duplicate-free run of the list, at most WINDOW long, and
    the screen's rows are the table's; returns where the run starts in the list."""
    table = screen.query_one(DataTable)
    ids = held(table)
    assert 0 < len(ids) <= WINDOW
    assert [int(key) for key in screen.rows] == ids
    start = expected.index(ids[0])
    assert ids == expected[start : start + len(ids)]
    assert screen.more == (start + len(ids) < len(expected))
    if screen.window_start is not None:
        assert screen.window_start == start
    return start


async def settled_index(pilot) -> tuple[IndexScreen, DataTable]:  # type: ignore[no-untyped-def]
    """The index screen once its first page is shown, and its table."""
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IndexScreen)
    return screen, screen.query_one(DataTable)


async def test_paging_down_to_the_end_and_back_up_shows_every_record_once_in_order(
    many, make_app
) -> None:
    expected = whole()
    assert len(expected) > 3 * WINDOW
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await settled_index(pilot)
        seen = [cursor_id(table)]
        while cursor_id(table) != expected[-1]:
            await pilot.press("pagedown")
            await settle(pilot)
            check_window(screen, expected)
            seen.append(cursor_id(table))
            assert len(seen) < 200, "page-down never reached the last record"
        positions = [expected.index(i) for i in seen]
        assert positions == sorted(positions)  # always forward, never a jump back
        assert (
            max(b - a for a, b in zip(positions[:-1], positions[1:], strict=True)) < 40
        )  # a screenful
        assert f"row {len(expected):,} of {len(expected):,}" in title(screen)

        while cursor_id(table) != expected[0]:
            await pilot.press("pageup")
            await settle(pilot)
            check_window(screen, expected)
            seen.append(cursor_id(table))
            assert len(seen) < 400, "page-up never reached the first record"
        assert check_window(screen, expected) == 0
        assert not screen.more_before
        assert "records" in title(screen)  # back at the top: the count alone

        # Down arrow, one record at a time across the point where the next page is read,
        # three window moves in a row: never a gap, never a skip.
        for _round in range(3):
            table.move_cursor(row=table.row_count - LOAD_AHEAD - 5)
            await settle(pilot)
            on = expected.index(cursor_id(table))
            for _n in range(10):
                await pilot.press("down")
                await settle(pilot)
                assert expected.index(cursor_id(table)) == on + 1
                on += 1
                check_window(screen, expected)
        assert check_window(screen, expected) > 0


async def test_a_page_read_keeps_the_cursor_record_and_the_view(many, make_app) -> None:
    expected = whole()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await settled_index(pilot)
        # Fill the window, then stand just above the point where the next page is read,
        # with the cursor in the middle of the view.
        while table.row_count < WINDOW or not screen.more_before:
            table.move_cursor(row=table.row_count - 1)
            await settle(pilot)
        table.move_cursor(row=table.row_count - LOAD_AHEAD - 1)
        await settle(pilot)
        table.scroll_to(y=table.scroll_y + 10, animate=False, immediate=True)
        await settle(pilot)
        first_start = check_window(screen, expected)
        top, on = top_id(table), cursor_id(table)

        await pilot.press("down")  # reaches the read-ahead point: the next page comes in
        await settle(pilot)
        assert check_window(screen, expected) == first_start + index.PAGE_SIZE
        assert cursor_id(table) == expected[expected.index(on) + 1]
        assert top_id(table) == top  # the view did not move

        # Upwards the same, from the last page (a table shorter than the window): stand
        # just below the point where the previous page is read.
        await pilot.press("end")
        await settle(pilot)
        assert table.row_count == index.PAGE_SIZE
        table.move_cursor(row=LOAD_AHEAD)
        await settle(pilot)
        table.scroll_to(y=LOAD_AHEAD - 15, animate=False, immediate=True)
        await settle(pilot)
        top, on = top_id(table), cursor_id(table)
        window = check_window(screen, expected)
        await pilot.press("up")
        await settle(pilot)
        assert check_window(screen, expected) == window - index.PAGE_SIZE
        assert cursor_id(table) == expected[expected.index(on) - 1]
        assert top_id(table) == top


@pytest.mark.parametrize("keys", [("end", "home"), ("ctrl+end", "ctrl+home")])
async def test_end_and_home_go_to_the_last_and_first_record_of_the_list(
    many, make_app, keys: tuple[str, str]
) -> None:
    expected = whole()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await settled_index(pilot)
        table.move_cursor(column=1)
        await pilot.press(keys[0])
        await settle(pilot)
        assert cursor_id(table) == expected[-1]
        assert table.cursor_column == 1  # the column is kept
        assert check_window(screen, expected) == len(expected) - table.row_count
        assert table.row_count <= index.PAGE_SIZE  # read directly, not page after page
        assert f"row {len(expected):,} of {len(expected):,}" in title(screen)
        # The last record is on screen.
        assert table.scroll_y <= table.cursor_row < table.scroll_y + table.size.height

        await pilot.press("up", "up")
        await settle(pilot)
        assert cursor_id(table) == expected[-3]
        for _n in range(4):
            await pilot.press("pageup")
            await settle(pilot)
        check_window(screen, expected)
        assert f"of {len(expected):,}" in title(screen)

        await pilot.press(keys[1])
        await settle(pilot)
        assert cursor_id(table) == expected[0]
        assert check_window(screen, expected) == 0
        assert table.cursor_column == 1


async def test_enter_deep_in_the_list_opens_the_record_under_the_cursor(many, make_app) -> None:
    from rolodex.ui.screens.record import RecordScreen

    expected = whole()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        for _n in range(6):
            await pilot.press("pageup")
            await settle(pilot)
        table = app.screen.query_one(DataTable)
        on = cursor_id(table)
        assert expected.index(on) < len(expected) - 150
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert app.screen.data is not None and app.screen.data.record.id == on
        await pilot.press("escape")
        await settle(pilot)
        assert cursor_id(table) == on


async def test_a_live_refresh_deep_in_the_list_keeps_the_cursor_record_and_the_view(
    many, make_app
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await settled_index(pilot)
        for _n in range(30):
            await pilot.press("pagedown")
            await settle(pilot)
        await pilot.press("up", "up", "up")
        await settle(pilot)
        assert screen.more_before and screen.more
        on, top = cursor_id(table), top_id(table)
        rows = list(screen.rows.values())
        # Another process adds a record inside the window, above the cursor, and one at
        # the very start of the list, before the window.
        inside = rows[int(table.scroll_y) + 1]
        twin = records.create(
            "contact", {"first_name": inside.name.split(" ")[0], "last_name": "Zz-twin"}
        )
        records.create("contact", {"first_name": "Aaaa", "last_name": "Aaaa"})
        expected = whole()
        assert twin.id in expected

        screen.refresh_from_database()
        await settle(pilot)
        check_window(screen, expected)
        assert cursor_id(table) == on
        assert top_id(table) == top
        if expected.index(twin.id) >= expected.index(held(table)[0]):
            assert twin.id in held(table)
        assert screen.total == len(expected)
        # The position is not known any more (records came before the window): not shown.
        assert "row " not in title(screen)
        assert f"{len(expected):,} records" in title(screen)


async def test_filter_and_sort_work_over_the_window(many, make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await settled_index(pilot)
        first_name = screen.rows[str(held(table)[0])].name[:1]
        await pilot.press("slash", *first_name.lower())
        await settle(pilot)
        expected = whole("name", first_name)
        assert held(table) == expected[: len(held(table))]
        assert f"{len(expected):,} records" in title(screen)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        assert cursor_id(table) == expected[-1]
        for sort in ("-name", "-created", "created"):
            await pilot.press("s")
            await settle(pilot)
            assert screen.sort == sort
            expected = whole(sort, first_name)
            assert held(table) == expected[: len(held(table))]
            assert cursor_id(table) == expected[0]
            for _n in range(12):
                await pilot.press("pagedown")
                await settle(pilot)
            check_window(screen, expected)
            await pilot.press("end")
            await settle(pilot)
            assert cursor_id(table) == expected[-1]
            check_window(screen, expected)


async def test_the_first_rows_are_shown_before_the_count_is_done(
    many, make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = threading.Event()
    release = threading.Event()
    real_total = index.total

    def slow_total(type_key: str, filter_text: str = "") -> int:
        counting.set()
        release.wait(10)
        return real_total(type_key, filter_text)

    monkeypatch.setattr(index, "total", slow_total)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        try:
            for _n in range(100):
                await pilot.pause(0.05)
                screen = app.screen
                if isinstance(screen, IndexScreen) and screen.rows:
                    break
            screen = app.screen
            assert isinstance(screen, IndexScreen)
            assert counting.is_set() and not release.is_set()
            assert held(screen.query_one(DataTable)) == whole()[: index.PAGE_SIZE]
            assert "counting" in title(screen)
        finally:
            release.set()
        await settle(pilot)
        assert f"{len(whole()):,} records" in title(screen)
