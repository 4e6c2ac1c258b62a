"""The index is a virtual table as tall as the list, holding a few pages of it: browsing
1,600 contacts up and down, Home/End, a jump, a live refresh, filter and sort show the
right records in the right order, and the cache never holds more than its pages."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rolodex.crm import index, objects, records
from rolodex.ui.screens.index import PAGE, IndexScreen
from rolodex.ui.widgets.pages import PageCache, Read
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


def shown_ids(screen: IndexScreen) -> list[int | None]:
    """The record on each line of the view, top to bottom (None: not read yet)."""
    rows = screen.table.visible_rows()
    return [(screen.row_at(r).id if screen.row_at(r) else None) for r in rows]


def check_held(screen: IndexScreen, expected: list[int]) -> None:
    """Every held row is the record the list has at that position; the cache is bounded."""
    assert len(screen.cache.pages) <= screen.cache.keep
    for page, rows in screen.cache.pages.items():
        assert [r.id for r in rows] == expected[page * PAGE : page * PAGE + len(rows)], page


async def settled_index(pilot) -> IndexScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IndexScreen)
    return screen


async def test_paging_down_to_the_end_and_back_up_shows_every_record_once_in_order(many, make_app):
    expected = whole()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled_index(pilot)
        assert screen.table.row_count == len(expected)
        seen: list[int] = []
        while True:
            await settle(pilot)
            ids = shown_ids(screen)
            assert None not in ids, "a line stayed unread"
            seen += [i for i in ids if i not in seen]
            check_held(screen, expected)
            if screen.table.cursor_row >= len(expected) - 1:
                break
            await pilot.press("pagedown")
        assert seen == expected
        for _ in range(len(expected) // screen.table.page_height + 2):
            await pilot.press("pageup")
        await settle(pilot)
        assert screen.table.cursor_row == 0
        assert shown_ids(screen)[0] == expected[0]
        check_held(screen, expected)


async def test_end_and_home_and_a_jump_read_the_pages_they_need(many, make_app):
    expected = whole()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled_index(pilot)
        await pilot.press("end")
        await settle(pilot)
        assert screen.table.cursor_row == len(expected) - 1
        assert screen.row_at(len(expected) - 1).id == expected[-1]
        assert "row " in str(screen.query_one("#index-title").render())
        middle = len(expected) // 2
        screen.table.move_to(middle)  # as a drag of the scrollbar would
        await settle(pilot)
        assert shown_ids(screen)[-1] is not None
        assert screen.row_at(middle).id == expected[middle]
        check_held(screen, expected)
        await pilot.press("home")
        await settle(pilot)
        assert screen.table.cursor_row == 0 and shown_ids(screen)[0] == expected[0]


async def test_enter_deep_in_the_list_opens_the_record_under_the_cursor(many, make_app):
    from rolodex.ui.screens.record import RecordScreen

    expected = whole()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled_index(pilot)
        target = len(expected) - 7
        screen.table.move_to(target)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert app.screen.record_id == expected[target]


@pytest.mark.parametrize("sort", ["name", "prop:email"])
async def test_a_live_refresh_deep_in_the_list_keeps_the_cursor_record(many, make_app, sort):
    expected = whole(sort)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled_index(pilot)
        screen.sort = sort
        await settle(pilot)
        target = len(expected) - 40
        screen.table.move_to(target)
        await settle(pilot)
        on = screen.row_at(target).id
        # Someone adds a contact that sorts first: every position moves down by one.
        records.create(
            "contact", {"first_name": "Aaaaa", "last_name": "First", "email": "aaaaa@a.example"}
        )
        screen.refresh_from_database()
        await settle(pilot)
        assert screen.table.row_count == len(expected) + 1
        assert screen.row_at(screen.table.cursor_row).id == on


@pytest.mark.parametrize("sort", ["name", "-name", "created", "-created", "-prop:email", "primary"])
async def test_filter_and_sort_work_over_the_whole_list(many, make_app, sort):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled_index(pilot)
        screen.sort = sort
        screen.filter_text = "a"
        await settle(pilot)
        expected = whole(sort, "a")
        assert screen.table.row_count == len(expected)
        await pilot.press("end")
        await settle(pilot)
        assert screen.row_at(len(expected) - 1).id == expected[-1]
        check_held(screen, expected)


async def test_the_first_rows_are_shown_before_the_count_is_done(many, make_app, monkeypatch):
    import threading

    release = threading.Event()
    original = index.total

    def slow_total(*args, **kwargs):  # type: ignore[no-untyped-def]
        release.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(index, "total", slow_total)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        for _ in range(100):
            await pilot.pause(0.02)
            if screen.row_at(0) is not None:
                break
        assert screen.row_at(0) is not None
        assert "counting" in str(screen.query_one("#index-title").render())
        release.set()
        await settle(pilot)
        assert screen.total == len(whole())


class Row:
    def __init__(self, key: int) -> None:
        self.key = key

    def cursor(self, sort: str) -> tuple:
        return (self.key,)


@settings(max_examples=200, deadline=None)
@given(
    pages=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=60),
    size=st.integers(min_value=1, max_value=7),
    keep=st.integers(min_value=1, max_value=5),
)
def test_the_page_cache_plans_each_read_from_a_held_neighbour_or_an_offset(pages, size, keep):
    """Whatever pages are read in whatever order, the plan for a page reads exactly that
    page of the list: after its left neighbour's last row, before its right neighbour's
    first row, or at its offset."""
    full = [Row(n) for n in range(31 * size)]
    cache: PageCache[Row] = PageCache(size, keep=keep)

    def read(plan: Read) -> list[Row]:
        if plan.after is not None:
            start = plan.after[0] + 1
        elif plan.before is not None:
            start = plan.before[0] - size
        else:
            start = plan.offset
        return full[start : start + size]

    for page in pages:
        plan = cache.plan(page, "name")
        assert plan.page == page
        rows = read(plan)
        assert rows == full[page * size : (page + 1) * size]
        cache.store(page, rows)
        assert len(cache.pages) <= keep
        for held_page, held_rows in cache.pages.items():
            assert held_rows == full[held_page * size : (held_page + 1) * size]
