"""The article's steps in Swedish at 80x24 and 200x60: the index, the record view, the Add
dialog and the history. The app's language is fixed when it starts, so these run in a
process of their own (test_swedish.py starts it; to update the pictures run
`ROLODEX_TEST_LANGUAGE=sv pytest tests/ui/test_snapshots_sv.py --snapshot-update`)."""

from __future__ import annotations

import os

import pytest

from tests.conftest import PG_URL
from tests.ui.conftest import settle, tick
from tests.ui.test_snapshots import cursor_on, opener

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("ROLODEX_TEST_LANGUAGE") != "sv", reason="runs in a Swedish process"
    ),
    pytest.mark.skipif(bool(PG_URL), reason="snapshots use SQLite's deterministic record ids"),
]
SIZES = [(80, 24), (200, 60)]


@pytest.mark.parametrize("size", SIZES)
def test_index_contacts_sv(snap_compare, world, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("", world))


@pytest.mark.parametrize("size", SIZES)
def test_record_view_sv(snap_compare, world, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("ana", world))


@pytest.mark.parametrize("size", SIZES)
def test_associate_existing_dialog_sv(snap_compare, world, make_app, size):
    async def search(pilot) -> None:  # type: ignore[no-untyped-def]
        cursor_on(pilot.app.screen, "head:company")
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"Ini")
        await settle(pilot)
        tick(pilot.app.screen, "#results", world.ids["initech"])
        await settle(pilot)

    assert snap_compare(
        make_app(), terminal_size=size, run_before=opener("ana", world, after=search)
    )


@pytest.mark.parametrize("size", SIZES)
def test_history_screen_sv(snap_compare, world, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("ana", world, "h"))
