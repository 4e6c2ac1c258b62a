"""Ticking rows in the index and acting on them all: the keys a person presses, the
records that change, the report of what was refused."""

from __future__ import annotations

from textual.widgets import OptionList, SelectionList

from rolodex.crm import associations, history, limits, records
from rolodex.ui.modals.common import ChoiceDialog, ConfirmDialog, MessageDialog
from rolodex.ui.modals.record_dialogs import EditLabelsDialog, PickRecordDialog
from rolodex.ui.screens.index import IndexScreen
from rolodex.ui.widgets.linelist import LineList
from tests.ui.conftest import screen_text, settle


async def pick(pilot, option_id: str) -> None:  # type: ignore[no-untyped-def]
    """Move the highlight to an option with the arrow keys and press Enter."""
    options = pilot.app.screen.query_one(OptionList)
    wanted = options.get_option_index(option_id)
    while options.highlighted != wanted:
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)


async def filtered(pilot, text: str) -> IndexScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("slash", *text, "enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IndexScreen)
    return screen


async def test_tick_three_contacts_and_associate_them_with_a_deal(world, make_app):
    ana, bo, cy, deal = (world.ids[k] for k in ("ana", "bo", "cy", "deal"))
    limits.set_limit("deal", "contact", 2)  # Ana is on it already: one more fits
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IndexScreen)
        names = [screen.row_at(i).name for i in range(screen.table.row_count)]
        screen.table.move_to(names.index("Ana Andersson"))
        await pilot.press("shift+down")  # Ana and Bo Berg
        screen.table.move_to(names.index("Cy Chen"))
        await pilot.press("space")
        await settle(pilot)
        assert "3 ticked" in screen_text(app)
        assert "✓" in screen_text(app)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        await pick(pilot, "associate")
        await pick(pilot, "deal")
        assert isinstance(app.screen, PickRecordDialog)
        await pilot.press(*"renewal")
        await settle(pilot)
        assert app.screen.query_one(LineList).items
        await pilot.press("down", "enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, EditLabelsDialog)
        dialog.query_one(SelectionList).select("Decision maker")
        await pilot.press("ctrl+s")
        await settle(pilot)
        report = app.screen
        assert isinstance(report, MessageDialog)
        text = screen_text(app)
        assert "1 changed" in text and "1 already so" in text and "1 refused" in text
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IndexScreen) and "ticked" not in screen_text(app)
    linked = {a.other_id: a.labels for a in associations.all_of(deal) if a.other_type == "contact"}
    assert set(linked) == {ana, bo}  # Cy would pass the limit of 2
    assert linked[bo] == ("Decision maker",)
    assert history.pair_history(deal, bo)[0].source == "User"


async def test_tick_all_matching_then_untick_one_and_delete_them(world, make_app):
    bo, cy = world.ids["bo"], world.ids["cy"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await filtered(pilot, "c")  # the names containing "c"
        matching = [screen.row_at(i) for i in range(screen.table.row_count)]
        await pilot.press("ctrl+a")
        await settle(pilot)
        assert f"{len(matching)} ticked" in screen_text(app)
        keep = matching[0]
        screen.table.move_to(0)
        await pilot.press("space")  # unticks the first
        await settle(pilot)
        assert f"{len(matching) - 1} ticked" in screen_text(app)
        await pilot.press("b")
        await settle(pilot)
        await pick(pilot, "delete")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MessageDialog)
        await pilot.press("enter")
        await settle(pilot)
    gone = {r.id for r in matching[1:]}
    assert all(records.get(rid, include_deleted=True).deleted_at for rid in gone)
    assert records.get(keep.id).deleted_at is None
    assert cy in gone | {keep.id} and bo not in gone  # "Cy Chen" matches, "Bo Berg" does not


async def test_escape_unticks_and_b_is_hidden_without_ticks(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert "Act on ticked" not in screen_text(app)
        await pilot.press("space", "space")
        await settle(pilot)
        assert "2 ticked" in screen_text(app) and "Act on ticked" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert screen.ticks.count(screen.total or 0) == 0
        assert "Act on ticked" not in screen_text(app)
