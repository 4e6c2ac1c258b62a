"""Snapshot tests of every screen and dialog at 80x24 and 120x40, the article's steps also
at 200x60 (deterministic data, frozen clock); test_snapshots_sv.py has them in Swedish."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from tests.conftest import PG_URL
from tests.ui.conftest import settle, table_names, tick


def cursor_on(screen, key_start: str) -> None:  # type: ignore[no-untyped-def]
    """Put the sidebar's cursor on the first line whose key starts with ``key_start``."""
    from rolodex.ui.widgets.cards import CardList

    cards = screen.query_one(CardList)
    cards.focus(scroll_visible=False)
    cards.cursor = next(n for n, item in enumerate(cards.items) if item.key.startswith(key_start))


pytestmark = pytest.mark.skipif(
    bool(PG_URL), reason="snapshots use SQLite's deterministic record ids"
)
SIZES = [(80, 24), (120, 40)]
# The screens of the article's steps also at a big terminal (names are not cut there).
STEP_SIZES = [*SIZES, (200, 60)]


async def still(pilot) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.1)
    await settle(pilot)


def opener(record_key: str, world, *keys: str, after=None):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        if record_key:
            pilot.app.open_record(world.ids[record_key])
            await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        if after is not None:
            await after(pilot)
        await still(pilot)

    return run_before


@pytest.mark.parametrize("size", STEP_SIZES)
def test_index_contacts(snap_compare, world, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("", world))


@pytest.mark.parametrize("size", SIZES)
def test_index_companies(snap_compare, world, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("", world, "2"))


@pytest.mark.parametrize("size", SIZES)
def test_index_empty_database(snap_compare, db, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("", None))


@pytest.mark.parametrize("size", SIZES)
def test_edit_columns_dialog(snap_compare, world, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("", world, "c"))


@pytest.mark.parametrize("size", SIZES)
def test_new_record_dialog(snap_compare, world, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("", world, "n"))


@pytest.mark.parametrize("size", SIZES)
def test_associated_list_dialog(snap_compare, world, make_app, size):
    async def open_count(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = pilot.app.screen
        column = [c.key for c in screen.table.columns].index("assoc:company")
        screen.table.move_to(table_names(screen).index("Ana Andersson"), column)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(
        make_app(), terminal_size=size, run_before=opener("", world, after=open_count)
    )


@pytest.mark.parametrize("size", STEP_SIZES)
def test_record_view(snap_compare, world, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("ana", world))


@pytest.mark.parametrize("size", SIZES)
def test_record_view_of_a_hostile_company(snap_compare, world, make_app, size):
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        pilot.app.open_record(world.hostile_companies[2])  # [@click=app.quit]x[/]
        await still(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_association_menu(snap_compare, world, make_app, size):
    async def menu(pilot) -> None:  # type: ignore[no-untyped-def]
        cursor_on(pilot.app.screen, "item:company:")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=opener("ana", world, after=menu))


@pytest.mark.parametrize("size", STEP_SIZES)
def test_associate_existing_dialog(snap_compare, world, make_app, size):
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
def test_associate_new_dialog(snap_compare, world, make_app, size):
    async def new(pilot) -> None:  # type: ignore[no-untyped-def]
        cursor_on(pilot.app.screen, "head:contact")
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=opener("ana", world, after=new))


@pytest.mark.parametrize("size", SIZES)
def test_log_note_dialog(snap_compare, world, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("ana", world, "n"))


@pytest.mark.parametrize("size", STEP_SIZES)
def test_history_screen(snap_compare, world, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("ana", world, "h"))


@pytest.mark.parametrize("size", SIZES)
def test_pair_history_dialog(snap_compare, world, make_app, size):
    async def pair(pilot) -> None:  # type: ignore[no-untyped-def]
        table = pilot.app.screen.query_one(DataTable)
        table.move_cursor(row=table.row_count - 1)  # Acme, the oldest
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(
        make_app(), terminal_size=size, run_before=opener("ana", world, "h", after=pair)
    )


@pytest.mark.parametrize("size", SIZES)
def test_as_of_dialog(snap_compare, world, make_app, size):
    async def as_of(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("t")
        await settle(pilot)
        await pilot.press(*"2026-03-02 09:14", "enter")
        await settle(pilot)

    assert snap_compare(
        make_app(), terminal_size=size, run_before=opener("ana", world, "h", after=as_of)
    )


@pytest.mark.parametrize("size", SIZES)
def test_neighbourhood(snap_compare, world, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("ana", world, "g"))


@pytest.mark.parametrize("size", SIZES)
def test_labels_and_limits(snap_compare, world, make_app, size):
    from rolodex.crm import limits

    limits.set_limit("contact", "company", 10)
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("", world, "f2"))


@pytest.mark.parametrize("size", SIZES)
def test_new_label_dialog(snap_compare, world, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("", world, "f2", "n"))


@pytest.mark.parametrize("size", SIZES)
def test_recycle_bin(snap_compare, world, make_app, size):
    from rolodex.crm import lifecycle
    from rolodex.crm.context import Context

    lifecycle.delete(world.hostile_contacts[0], Context("API", actor="tester"))
    lifecycle.delete(world.ids["bo"], Context("API", actor="tester"))
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("", world, "f3"))


@pytest.mark.parametrize("size", SIZES)
def test_merge_dialog(snap_compare, world, make_app, size):
    async def pick(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press(*"Cy")
        await settle(pilot)

    assert snap_compare(
        make_app(), terminal_size=size, run_before=opener("ana", world, "m", after=pick)
    )


@pytest.mark.parametrize("size", SIZES)
def test_help_dialog(snap_compare, world, make_app, size):
    from pathlib import Path

    app = make_app(config_dir=Path("/home/person/.config/rolodex"))  # shown in the help
    assert snap_compare(app, terminal_size=size, run_before=opener("ana", world, "f1"))


@pytest.mark.parametrize("size", SIZES)
def test_theme_picker_light(snap_compare, world, make_app, size, config_dir):
    (config_dir / "config.toml").write_text('theme = "rolodex-light"\n')
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("", world, "f4"))


@pytest.mark.parametrize("size", SIZES)
def test_hierarchy_screen(snap_compare, world, make_app, size):
    from rolodex.crm import associations
    from rolodex.crm.context import api

    acme, globex, initech = (world.ids[k] for k in ("acme", "globex", "initech"))
    associations.associate(acme, globex, api(), ["Parent company"])
    associations.associate(globex, initech, api(), ["Parent company"])
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("globex", world, "t"))


@pytest.mark.parametrize("size", SIZES)
def test_export_dialog(snap_compare, world, make_app, size, monkeypatch):
    from pathlib import Path

    # The suggested file is in the working folder: shown as the same folder every run.
    monkeypatch.setattr("rolodex.ui.modals.export._folder", lambda: Path("/home/person"))
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("", world, "f6"))


@pytest.mark.parametrize("size", SIZES)
def test_bulk_action_menu(snap_compare, world, make_app, size):
    keys = ("space", "down", "down", "space", "b")
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("", world, *keys))


@pytest.mark.parametrize("size", SIZES)
def test_sort_dialog(snap_compare, world, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("", world, "s"))


@pytest.mark.parametrize("size", SIZES)
def test_index_with_a_half_typed_filter(snap_compare, world, make_app, size):
    keys = ("slash", *"count(contact")
    assert snap_compare(make_app(), terminal_size=size, run_before=opener("", world, *keys))
