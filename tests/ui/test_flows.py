"""Pilot tests: each flow driven from the keyboard (or mouse), then checked through crm/."""

from __future__ import annotations

import json
import tomllib

import pytest
from textual.widgets import Button, DataTable, Input, OptionList, Select, SelectionList, Tree

from rolodex.crm import activities, associations, history, index, labels, lifecycle, limits, records
from rolodex.crm.context import Context
from rolodex.ui.modals.associate import AssociateDialog
from rolodex.ui.modals.common import ChoiceDialog, ConfirmDialog
from rolodex.ui.modals.help import HelpDialog
from rolodex.ui.modals.record_dialogs import (
    ConflictDialog,
    EditLabelsDialog,
    MergePreviewDialog,
    PickRecordDialog,
)
from rolodex.ui.modals.records import AssociatedListDialog, EditColumnsDialog, NewRecordDialog
from rolodex.ui.screens.admin import LabelsScreen, RecycleBinScreen
from rolodex.ui.screens.history import AsOfDialog, HistoryScreen, PairHistoryDialog
from rolodex.ui.screens.index import IndexScreen
from rolodex.ui.screens.neighbourhood import NeighbourhoodScreen
from rolodex.ui.screens.record import RecordScreen
from rolodex.ui.text import single_line
from rolodex.ui.widgets.cards import CardList
from rolodex.ui.widgets.linelist import LineList
from rolodex.ui.widgets.picklist import PickList
from rolodex.ui.widgets.tabstrip import TabStrip
from rolodex.ui.widgets.vtable import VirtualTable
from tests.conftest import HOSTILE_NAMES
from tests.ui.conftest import cell_text, screen_text, settle, table_names, tick


def choose(screen: ChoiceDialog, option_id: str) -> None:
    option_list = screen.query_one(OptionList)
    option_list.highlighted = option_list.get_option_index(option_id)
    option_list.action_select()


async def open_record(pilot, record_id: int) -> RecordScreen:  # type: ignore[no-untyped-def]
    pilot.app.open_record(record_id)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RecordScreen)
    return screen


def card_cursor(screen: RecordScreen, key: str) -> CardList:
    cards = screen.query_one(CardList)
    cards.focus()
    cards.cursor = [i.key for i in cards.items].index(key)
    return cards


async def key_on_card(pilot, record_id: int, line: str, key: str):  # type: ignore[no-untyped-def]
    """Open the record, put the sidebar's cursor on ``line`` and press ``key``: the
    screen that opens (a dialog)."""
    screen = await open_record(pilot, record_id)
    card_cursor(screen, line)
    await pilot.press(key)
    await settle(pilot)
    return pilot.app.screen


async def item_menu(pilot, screen: RecordScreen, type_key: str, other_id: int) -> ChoiceDialog:  # type: ignore[no-untyped-def]
    card_cursor(screen, f"item:{type_key}:{other_id}")
    await pilot.press("enter")
    await settle(pilot)
    menu = pilot.app.screen
    assert isinstance(menu, ChoiceDialog)
    return menu


async def index_row(pilot, name: str) -> int:  # type: ignore[no-untyped-def]
    screen = pilot.app.screen
    assert isinstance(screen, IndexScreen)
    return table_names(screen).index(name)


# ---------------------------------------------------------------- app shell and index


async def test_opens_on_contacts_with_hostile_names_verbatim(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IndexScreen) and screen.type_key == "contact"
        names = table_names(screen)
        for name in HOSTILE_NAMES:
            assert name in names  # the record as stored
        shown = {cell_text(screen, row, "name") for row in range(len(names))}
        for name in HOSTILE_NAMES:  # shown as the same characters, controls as stand-ins
            assert single_line(name) in shown
        assert "Ana Andersson" in names
        assert isinstance(app.focused, VirtualTable)


async def test_clicking_an_injected_click_action_does_not_run_it(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        row = await index_row(pilot, "[@click=app.quit]x[/]")
        # the header is line 0 of the table; click the name cell of that row
        await pilot.click(VirtualTable, offset=(3, row + 1))  # moves the cursor there
        await settle(pilot)
        assert app.is_running
        await pilot.click(VirtualTable, offset=(3, row + 1))  # selects the cell: opens it
        await settle(pilot)
        assert app.is_running
        assert isinstance(app.screen, RecordScreen)
        assert app.screen.data.record.name == "[@click=app.quit]x[/]"


async def test_number_keys_switch_object_indexes(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.type_key == "company"
        assert "Acme" in table_names(app.screen)
        await pilot.press("3")
        await settle(pilot)
        assert table_names(app.screen) == ["Acme renewal"]
        await pilot.press("4")
        await settle(pilot)
        assert table_names(app.screen) == ["Login fails"]


async def test_empty_database_explains_how_to_start_and_enter_adds(db, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        empty = app.screen.query_one("#empty")
        assert empty.display and app.focused is empty  # the keys work at once
        text = screen_text(app)
        assert "rolodex --demo" in text and "rolodex import" in text
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, NewRecordDialog)
        await pilot.press(*"Dana")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert records.count("contact") == 1


async def test_filter_escape_and_sort(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input) and app.focused.id == "filter"
        await pilot.press("a", "n")
        await settle(pilot)
        assert table_names(app.screen) == ["Ana Andersson"]
        await pilot.press("escape")  # Esc leaves the filter for the table, the filter stays
        await settle(pilot)
        assert isinstance(app.focused, VirtualTable)
        assert table_names(app.screen) == ["Ana Andersson"]
        await pilot.press("slash", "backspace", "backspace", "enter")
        await settle(pilot)
        assert isinstance(app.screen, IndexScreen) and isinstance(app.focused, VirtualTable)
        await pilot.press("s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        choices = dialog.query_one(OptionList)
        assert choices.highlighted == 0  # the current sort: name A–Z
        await pilot.press("down", "enter")  # name Z–A
        await settle(pilot)
        names = table_names(app.screen)
        assert names == sorted(names, key=str.casefold, reverse=True)
        # Any shown column sorts, both ways: the primary company, most associated deals first.
        for sort, label in (("primary", "Primary company A–Z"), ("-assoc:deal", "most first")):
            await pilot.press("s")
            await settle(pilot)
            options = app.screen.query_one(OptionList)
            wanted = options.get_option_index(sort)
            assert label in str(options.get_option_at_index(wanted).prompt)
            while options.highlighted != wanted:
                await pilot.press("down")
            await pilot.press("enter")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, IndexScreen) and screen.sort == sort
            shown_rows = [screen.cache.row(i) for i in range(screen.table.row_count)]
            expected = index.page(
                "contact", sort=sort, limit=1000, associated=["deal"], primary_company=True
            ).rows
            assert [r.id for r in shown_rows] == [r.id for r in expected]
        counts = [r.counts["deal"] for r in expected]
        assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
        assert "Deals ↓" in screen_text(app)


async def test_paging_reads_more_rows_as_the_cursor_moves(db, make_app):
    for n in range(230):
        records.create("contact", {"first_name": f"Person {n:03d}"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.table.row_count == 230  # as tall as the list
        assert sorted(screen.cache.pages) == [0]
        await pilot.press("end")
        await settle(pilot)
        assert screen.row_at(229).name == "Person 229"
        assert screen.table.cursor_row == 229
        await pilot.press("home")
        await settle(pilot)
        for _ in range(12):
            await pilot.press("pagedown")
        await settle(pilot)
        names = [screen.row_at(r).name for r in range(230) if screen.row_at(r) is not None]
        assert len(names) == len(set(names))


async def test_edit_columns_is_remembered(world, make_app, config_dir):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, EditColumnsDialog)
        picks = dialog.query_one(SelectionList)
        shown_before = [k for k in dialog.order if k in picks.selected]
        assert shown_before == [c.key for c in app.screen_stack[0].table.columns][1:]
        # Tick the job title with the keyboard, then move it to the top.
        while picks.get_option_at_index(picks.highlighted).value != "prop:job_title":
            await pilot.press("down")
        await pilot.press("space")
        for _n in range(dialog.order.index("prop:job_title")):
            await pilot.press("shift+up")
        assert dialog.order[0] == "prop:job_title"
        assert picks.get_option_at_index(picks.highlighted).value == "prop:job_title"
        picks.deselect("assoc:deal")
        await pilot.press("ctrl+s")
        await settle(pilot)
        keys = [c.key for c in app.screen.table.columns]
        assert keys[:2] == ["name", "prop:job_title"] and "assoc:deal" not in keys
    saved = tomllib.loads((config_dir / "config.toml").read_text())
    assert saved["columns"]["contact"][0] == "prop:job_title"
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert [c.key for c in app.screen.table.columns][1] == "prop:job_title"


async def test_an_unticked_box_shows_no_mark_in_the_16_colour_theme(world, make_app, config_dir):
    (config_dir / "settings.json").write_text(json.dumps({"theme": "rolodex-ansi"}))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        picks = app.screen.query_one(SelectionList)
        marks = {}
        for y in range(picks.option_count):
            key = picks.get_option_at_index(y).value
            box = next(seg for seg in picks.render_line(y) if seg.text == "X")
            marks[key in picks.selected] = box.style
        ticked, unticked = marks[True], marks[False]
        assert unticked.color == unticked.bgcolor, "an unticked X must not be seen"
        assert ticked.color != ticked.bgcolor and ticked.bold


async def test_associated_count_opens_the_list_and_a_record(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        row = await index_row(pilot, "Ana Andersson")
        assert cell_text(screen, row, "assoc:company") == "11"
        assert cell_text(screen, row, "primary") == "Acme"
        column = [c.key for c in screen.table.columns].index("assoc:company")
        screen.table.move_to(row, column)
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AssociatedListDialog)
        items = dialog.query_one(LineList)
        assert len(items.items) == 11
        assert items.cursor == 0  # the first Enter acts at once
        items.cursor = [i.key for i in items.items].index(str(world.ids["globex"]))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert app.screen.record_id == world.ids["globex"]


# ---------------------------------------------------------------- record view


async def test_edit_property_and_resolve_a_conflict(world, make_app):
    ana = world.ids["ana"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, ana)
        screen.query_one("#prop-job_title", Input).value = "CEO"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert records.get(ana).properties["job_title"] == "CEO"
        records.update(ana, {"phone": "+46 1"})  # someone else saves in between
        screen.query_one("#prop-job_title", Input).value = "Founder"
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConflictDialog)
        await pilot.click("#mine")
        await settle(pilot)
        saved = records.get(ana)
        assert saved.properties["job_title"] == "Founder"
        assert saved.properties["phone"] == "+46 1"


async def test_saving_untouched_fields_with_control_characters_keeps_them(db, make_app):
    value = "st\x1b]52;c;ZWNobyBQV05FRA==\x1b\\ \u202eevil\u202c"
    ana = records.create("contact", {"first_name": "Ana", "last_name": value}).id
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, ana)
        shown = screen.query_one("#prop-last_name", Input).value
        assert "\x1b" not in shown and "\u202e" not in shown and "␛" in shown
        screen.query_one("#prop-job_title", Input).value = "CTO"  # another field
        await pilot.press("ctrl+s")
        await settle(pilot)
    saved = records.get(ana).properties
    assert saved["last_name"] == value and saved["job_title"] == "CTO"


async def test_associate_existing_with_label_and_choose_which_becomes_primary(world, make_app):
    ana, initech, globex = world.ids["ana"], world.ids["initech"], world.ids["globex"]
    associations.dissociate(ana, globex, Context("API"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, ana)
        card_cursor(screen, "head:company")
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AssociateDialog)
        assert isinstance(app.focused, Input) and app.focused.id == "search"
        await pilot.press(*"Acm")  # associated already: listed apart, not tickable
        await settle(pilot)
        results = dialog.query_one("#results", PickList)
        assert [i.data for i in results.items if i.key.startswith("hit:")] == []
        notes = [i.lines[0].plain for i in results.items if not i.selectable]
        assert any(n.startswith("Already associated (not listed above): Acme") for n in notes)
        for name, rid in (("Initech", initech), ("Globex", globex)):
            dialog.query_one("#search", Input).value = name
            await settle(pilot)
            tick(dialog, "#results", rid)  # ticks survive a new search
            await settle(pilot)
        assert list(dialog.ticked) == [initech, globex]
        primary = dialog.query_one("#primary-existing", Select)
        options = dialog.primary_options["existing"]
        assert str(globex) in options and str(initech) in options
        primary.value = str(globex)  # the second ticked one, not the first
        tick(dialog, "#labels-existing", "Employee")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
    assert associations.primary_company(ana) == globex
    assert associations.between(ana, globex).labels == ("Employer",)
    assert associations.between(ana, world.ids["acme"]) is not None  # the old primary stays
    assert history.pair_history(ana, initech)[0].source == "User"


async def test_the_associate_lists_tick_with_space_and_a_click(world, make_app):
    ana, initech = world.ids["ana"], world.ids["initech"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await key_on_card(pilot, ana, "head:company", "a")
        await pilot.press(*"Ini", "tab")  # from the search into its results
        await settle(pilot)
        results = dialog.query_one("#results", PickList)
        assert app.focused is results and results.highlighted_item.data == initech
        await pilot.press("space")
        assert list(dialog.ticked) == [initech]
        assert "1 selected" in str(dialog.query_one("#ticked").render())
        await pilot.press("space")  # again: unticked
        assert list(dialog.ticked) == []
        await pilot.click("#results", offset=(6, 0))  # a click ticks too
        assert list(dialog.ticked) == [initech]
        await pilot.press("tab")  # on to the labels, ticked by Space as well
        labels = dialog.query_one("#labels-existing", PickList)
        assert app.focused is labels and labels.highlighted_item.data == "Employee"
        await pilot.press("space")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
    assert associations.between(ana, initech).labels == ("Employer",)  # as the other test


async def test_a_record_both_found_and_recommended_is_ticked_once(world, make_app):
    cy, ana = world.ids["cy"], world.ids["ana"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await key_on_card(pilot, cy, "head:contact", "a")
        results = dialog.query_one("#results", PickList)
        keys = [item.key for item in results.items]
        assert f"rec:{ana}" in keys  # Ana works at Globex too
        results.focus()
        results.cursor = keys.index(f"rec:{ana}")
        await pilot.press("space")
        dialog.query_one("#search", Input).value = "Ana"
        await settle(pilot)
        keys = [item.key for item in results.items]
        assert keys.index(f"hit:{ana}") < keys.index(f"rec:{ana}")
        assert ana in results.ticked and list(dialog.ticked) == [ana]
        results.cursor = keys.index(f"hit:{ana}")  # unticked where it was found...
        await pilot.press("space")
        assert dialog.ticked == {} and ana not in results.ticked  # ...gone from both


async def test_a_slow_set_up_read_leaves_the_dialog_usable_and_fills_in_later(
    world, make_app, monkeypatch
):
    """The dialog does not wait for its labels and recommendations: with a slow read (a
    busy PostgreSQL) it opens and searches without them, and they come when read."""
    import threading

    from rolodex.ui.modals import associate

    release = threading.Event()
    real = associate.recommend.recommend

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        release.wait(5)
        return real(*args, **kwargs)

    monkeypatch.setattr(associate.recommend, "recommend", slow)
    cy, ana = world.ids["cy"], world.ids["ana"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, cy)
        card_cursor(screen, "head:contact")
        await pilot.press("a")
        await pilot.pause(0.2)
        dialog = app.screen
        assert isinstance(dialog, AssociateDialog) and dialog.setup is None
        await pilot.press(*"Ana")  # searching works meanwhile
        await pilot.pause(0.3)
        results = dialog.query_one("#results", PickList)
        assert [i.key for i in results.items] == [f"hit:{ana}"]
        release.set()
        await settle(pilot)
        assert dialog.setup is not None
        assert f"rec:{ana}" in [i.key for i in results.items]
        assert dialog.query_one("#labels-existing", PickList).items  # the labels came too


async def test_a_dialog_follows_the_terminal_when_it_is_resized(world, make_app):
    """A screen skips the Resize to the size it already has (Textual's second layout of
    every pushed screen); a real resize still lays out the dialog and the screen under it."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await key_on_card(pilot, world.ids["ana"], "head:company", "a")
        box = dialog.query_one(".dialog-box")
        record = app.screen_stack[-2]
        assert box.outer_size.width == 110 and record.has_class("-wide")
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert box.outer_size.width == 76  # 95% of 80 columns
        assert record.has_class("-narrow")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is record and record.outer_size.width == 80


async def test_an_unticked_box_in_the_associate_dialog_shows_no_mark_in_16_colours(
    world, make_app, config_dir
):
    (config_dir / "settings.json").write_text(json.dumps({"theme": "rolodex-ansi"}))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await key_on_card(pilot, world.ids["ana"], "head:contact", "a")
        picks = dialog.query_one("#labels-existing", PickList)
        tick(dialog, "#labels-existing", picks.items[0].data)
        marks = {}
        for y, item in enumerate(picks.items):
            box = next(seg for seg in picks.render_line(y) if seg.text == "X")
            marks[item.data in picks.ticked] = box.style
        ticked, unticked = marks[True], marks[False]
        assert unticked.color == unticked.bgcolor, "an unticked X must not be seen"
        assert ticked.color != ticked.bgcolor and ticked.bold


async def test_ctrl_t_switches_to_associate_new_and_focuses_its_form(world, make_app):
    acme = world.ids["acme"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, acme)
        card_cursor(screen, "head:contact")
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        dialog = app.screen
        assert dialog.query_one("#tabs").active == "tab-new"
        assert isinstance(app.focused, Input) and app.focused.id == "prop-first_name"
        await pilot.press(*"Dee", "tab", "tab", *"dee@acme.com")
        await settle(pilot)
        assert dialog.query_one("#tabs").active == "tab-new"  # typing did not switch back
        dialog.query_one("#create-another", Button).press()
        await settle(pilot)
        assert app.screen is dialog
        assert dialog.query_one("#prop-first_name", Input).value == ""
        await pilot.press(*"Eve")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
    names = {a.other_name for a in associations.page(acme, "contact", limit=100)}
    assert {"Dee", "Eve"} <= names
    dee = records.resolve("dee@acme.com")
    assert associations.primary_company(dee.id) == acme


async def test_a_new_company_made_in_the_dialog_can_become_the_primary_company(world, make_app):
    ana = world.ids["ana"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await key_on_card(pilot, ana, "head:company", "a")
        await pilot.press("ctrl+t")  # the new tab is built now, with the choice
        await settle(pilot)
        primary = dialog.query_one("#primary-new", Select)
        assert primary.display
        assert dialog.primary_options["new"] == ["keep", "new"]
        primary.value = "new"
        await pilot.press(*"Umbrella")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
    umbrella = next(
        a for a in associations.page(ana, "company", limit=10) if a.other_name == "Umbrella"
    )
    assert associations.primary_company(ana) == umbrella.other_id


async def test_a_dialog_for_contacts_offers_no_primary_company_choice(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await key_on_card(pilot, world.ids["ana"], "head:contact", "a")
        assert isinstance(dialog, AssociateDialog)
        titles = [str(label.render()) for label in dialog.query(".section-title")]
        assert titles and not any("Primary company" in t for t in titles)
        headings = [i.lines[0].plain for i in dialog.query_one("#results", PickList).items]
        assert "Recommended" in headings


async def test_clicking_the_associate_new_tab_shows_its_form_and_creates(world, make_app):
    acme = world.ids["acme"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await key_on_card(pilot, acme, "head:contact", "a")
        strip = dialog.query_one("#tabs", TabStrip)
        new_tab = next(start for key, start, _end in strip.spans() if key == "tab-new")
        await pilot.click("#tabs", offset=(new_tab + 2, 0))
        await settle(pilot)
        assert dialog.query_one("#tabs").active == "tab-new"
        assert dialog.query_one("#create", Button).display
        assert isinstance(app.focused, Input) and app.focused.id == "prop-first_name"
        await pilot.press(*"Fay")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
    assert "Fay" in {a.other_name for a in associations.page(acme, "contact", limit=100)}


async def test_a_refused_limit_says_what_fits_and_saves_nothing(world, make_app):
    bo, globex, initech = world.ids["bo"], world.ids["globex"], world.ids["initech"]
    limits.set_limit("contact", "company", 2)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, bo)
        card_cursor(screen, "head:company")
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        await pilot.press(*"globex")
        await settle(pilot)
        tick(dialog, "#results", globex)
        dialog.query_one("#search", Input).value = "initech"
        await settle(pilot)
        tick(dialog, "#results", initech)
        await settle(pilot)
        assert set(dialog.ticked) == {globex, initech}
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        error = str(dialog.query_one("#error").render())
        assert "it has 1 and 2 were chosen, so 1 more fit" in error, error
    assert associations.counts(bo).get("company") == 1  # all or nothing


async def test_remove_primary_association_asks_for_the_new_primary_by_name(world, make_app):
    ana, acme, globex = world.ids["ana"], world.ids["acme"], world.ids["globex"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, ana)
        menu = await item_menu(pilot, screen, "company", acme)
        choose(menu, "remove")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert isinstance(app.focused, Button) and app.focused.id == "no"  # the safe answer
        await pilot.press("left")
        assert app.focused.id == "yes"
        await pilot.press("enter")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, ChoiceDialog)
        prompts = [
            str(picker.query_one(OptionList).get_option_at_index(i).prompt)
            for i in range(picker.query_one(OptionList).option_count)
        ]
        assert any(p.startswith("Globex") for p in prompts)
        choose(picker, str(globex))
        await settle(pilot)
    assert associations.between(ana, acme) is None
    assert associations.primary_company(ana) == globex


async def test_remove_as_primary_and_set_as_primary_keep_the_cursor_on_the_company(world, make_app):
    ana, acme, globex = world.ids["ana"], world.ids["acme"], world.ids["globex"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, ana)
        menu = await item_menu(pilot, screen, "company", acme)
        choose(menu, "primary")  # Acme is primary: this removes it as primary
        await settle(pilot)
        choose(app.screen, str(globex))
        await settle(pilot)
        assert associations.primary_company(ana) == globex
        assert associations.between(ana, acme) is not None
        card_cursor(screen, f"item:company:{acme}")
        await pilot.press("p")  # the key on the item: set as primary again
        await settle(pilot)
        assert associations.primary_company(ana) == acme
        cards = screen.query_one(CardList)
        assert cards.highlighted_item.key == f"item:company:{acme}"  # re-sorted, same company
        first = next(i for i in cards.items if i.key.startswith("item:company:"))
        assert "Primary" in first.lines[0].plain and "Acme" in first.lines[0].plain


async def test_edit_labels_of_an_association(world, make_app):
    ana, bo = world.ids["ana"], world.ids["bo"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, ana)
        card_cursor(screen, f"item:contact:{bo}")
        await pilot.press("l")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, EditLabelsDialog)
        picks = dialog.query_one(SelectionList)
        assert set(picks.selected) == {"Manager"}  # Bo shows "Report" seen from Ana
        picks.deselect("Manager")
        picks.select("Report")
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert associations.between(ana, bo).labels == ("Manager",)
    assert associations.between(bo, ana).labels == ("Report",)


async def test_a_new_label_is_created_from_the_edit_labels_dialog(world, make_app):
    ana, acme = world.ids["ana"], world.ids["acme"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, ana)
        card_cursor(screen, f"item:company:{acme}")
        await pilot.press("l")
        await settle(pilot)
        dialog = app.screen
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press(*"Board member")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        assert "Board member" in dialog.query_one(SelectionList).selected
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert "Board member" in associations.between(acme, ana).labels


async def test_log_note_with_a_multi_line_body_and_associate_the_activity(world, make_app):
    ana, deal = world.ids["ana"], world.ids["deal"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, ana)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Pricing [b]call[/b]", "enter", *"line one", "enter", *"line two")
        # No terminal to hand over here (headless): ctrl+e says so and the body stays.
        await pilot.press("ctrl+e")
        await settle(pilot)
        notes = [n.message for n in app._notifications]  # noqa: SLF001 - tests only
        assert any("editor cannot run here" in note for note in notes)
        await pilot.press("ctrl+s")
        await settle(pilot)
        note = next(
            a
            for a in activities.timeline(ana)
            if a.properties.get("subject") == "Pricing [b]call[/b]"
        )
        assert note.properties.get("body") == "line one\nline two"
        assert associations.between(note.id, world.ids["acme"]) is not None  # auto: primary
        ticket = world.ids["ticket"]
        timeline = screen.query_one("#timeline", LineList)
        timeline.focus()
        timeline.cursor = [i.key for i in timeline.items].index(str(note.id))
        assert "Pricing [b]call[/b]" in timeline.highlighted_item.lines[1].plain
        await pilot.press("enter")
        await settle(pilot)
        choose(app.screen, "associate")
        await settle(pilot)
        choose(app.screen, "ticket")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AssociateDialog)
        await pilot.press(*"Login")
        await settle(pilot)
        tick(dialog, "#results", ticket)
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert associations.between(note.id, ticket) is not None
    assert associations.between(note.id, deal) is not None  # Ana's open deal got it too


# ---------------------------------------------------------------- history


async def test_history_screen_pair_history_copy_and_as_of(world, make_app, frozen):
    ana, acme = world.ids["ana"], world.ids["acme"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, ana)
        menu = await item_menu(pilot, screen, "company", world.ids["globex"])
        choose(menu, "primary")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        hist = app.screen
        assert isinstance(hist, HistoryScreen)
        table = hist.query_one(DataTable)
        entries = history.record_history(ana)
        assert table.row_count == len(entries)
        first_source = table.get_cell_at((0, 4)).plain
        assert first_source.startswith("User (") and first_source.endswith(")")
        # The update says what it changed: Globex became the primary, Acme stopped being it.
        changes = {
            (table.get_cell_at((i, 0)).plain, table.get_cell_at((i, 2)).plain) for i in range(2)
        }
        assert changes == {
            ("Globex", "updated: now the primary"),
            ("Acme", "updated: no longer the primary"),
        }
        hist.object_filter = "deal"
        hist.load(reset=True)
        await settle(pilot)
        assert table.row_count == len(history.record_history(ana, "deal"))
        hist.object_filter = None
        hist.load(reset=True)
        await settle(pilot)
        row = next(i for i, e in enumerate(entries) if e.other_id == acme)
        table.move_cursor(row=row)
        await pilot.press("y")
        assert app.clipboard == f"company:{acme}"
        await pilot.press("enter")
        await settle(pilot)
        pair = app.screen
        assert isinstance(pair, PairHistoryDialog)
        pair_table = pair.query_one(DataTable)
        expected = history.pair_history(ana, acme)
        assert pair_table.row_count == len(expected) >= 2
        assert [pair_table.get_cell_at((i, 2)).plain for i in range(len(expected))] == [
            history.action_words(e) for e in expected
        ]
        assert expected[0].action == "updated" and expected[0].changed
        await pilot.press("escape")
        await pilot.press("t")
        await settle(pilot)
        asof = app.screen
        assert isinstance(asof, AsOfDialog)
        await pilot.press(*"2026-03-02 09:13", "enter")
        await settle(pilot)
        past = history.as_of(ana, __import__("datetime").datetime(2026, 3, 2, 9, 13, 59))
        assert asof.query_one(DataTable).row_count == len(past) > 0


# ---------------------------------------------------------------- labels, bin, merge, neighbourhood


async def test_labels_screen_create_delete_limits_and_open_a_record_over_its_limit(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, LabelsScreen)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Advisor", "tab", *"Client", "enter")
        await settle(pilot)
        created = [lab for lab in labels.list_labels("contact", "company") if lab.name == "Advisor"]
        assert created and created[0].inverse == "Client"
        table = app.screen.query_one("#labels-table", DataTable)

        def row_of(name: str) -> int:
            return next(
                i for i in range(table.row_count) if table.get_cell_at((i, 2)).plain == name
            )

        table.focus()
        table.move_cursor(row=row_of("Advisor"))
        await pilot.press("e")  # rename it: Advisor / Client -> Mentor / Mentee
        await settle(pilot)
        app.screen.query_one("#name", Input).value = "Mentor"
        app.screen.query_one("#inverse", Input).value = "Mentee"
        await pilot.press("ctrl+s")
        await settle(pilot)
        renamed = [lab for lab in labels.list_labels() if lab.id == created[0].id]
        assert (renamed[0].name, renamed[0].inverse) == ("Mentor", "Mentee")
        table.move_cursor(row=row_of("Mentor"))
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert not [lab for lab in labels.list_labels() if lab.id == created[0].id]
        table.move_cursor(row=row_of("Employee"))  # in use: it cannot be deleted
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert any(lab.name == "Employee" for lab in labels.list_labels())
        await pilot.press("l")
        await settle(pilot)
        await pilot.press(*"10", "enter")
        await settle(pilot)
        assert any(lim.max_count == 10 for lim in limits.list_limits())
        usage = app.screen.query_one("#usage-table", DataTable)
        assert usage.row_count == 1  # Ana: 11 companies of at most 10
        assert usage.get_cell_at((0, 0)).plain == "Ana Andersson"
        usage.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen) and app.screen.record_id == world.ids["ana"]


async def test_domain_exclusions_from_the_labels_screen(world, make_app):
    from rolodex.crm import domains

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press(*"Partner.EXAMPLE", "enter")
        await settle(pilot)
        assert domains.exclusions() == {"partner.example"}
        table = app.screen.query_one("#domains-table", DataTable)
        assert table.row_count == 1
        table.focus()
        await pilot.press("delete")
        await settle(pilot)
        assert domains.exclusions() == set()


async def test_delete_to_recycle_bin_and_restore(world, make_app):
    bo, acme = world.ids["bo"], world.ids["acme"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, bo)
        await pilot.press("ctrl+d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, IndexScreen)
        assert "Bo Berg" not in table_names(app.screen)
        assert [v.id for v in lifecycle.recycle_bin()] == [bo]
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, RecycleBinScreen)
        await pilot.press("r")
        await settle(pilot)
    assert records.get(bo).deleted_at is None
    assert associations.between(bo, acme) is not None
    assert history.pair_history(bo, acme)[0].source == "Object restore"


async def test_merge_shows_a_preview_and_asks_first(world, make_app):
    ana, cy, globex = world.ids["ana"], world.ids["cy"], world.ids["globex"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, ana)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, PickRecordDialog)
        await pilot.press(*"Cy Chen")
        await settle(pilot)
        await pilot.press("enter", "enter")
        await settle(pilot)
        preview = app.screen
        assert isinstance(preview, MergePreviewDialog)
        text = screen_text(app)
        assert "Cy Chen" in text and "is merged into" in text
        assert records.get(cy).id == cy  # nothing yet
        await pilot.press("escape")
        await settle(pilot)
        assert records.get(cy).id == cy  # cancelled: nothing merged
        await pilot.press("m")
        await settle(pilot)
        await pilot.press(*"Cy Chen")
        await settle(pilot)
        await pilot.press("enter", "enter")
        await settle(pilot)
        await pilot.click("#merge")
        await settle(pilot)
    assert records.get(cy).id == ana  # the merged id resolves to the survivor
    assert associations.between(ana, globex) is not None


async def test_neighbourhood_tree_two_hops_leaves_out_the_centre(world, make_app):
    ana, bo = world.ids["ana"], world.ids["bo"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, ana)
        await pilot.press("g")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, NeighbourhoodScreen)
        tree = screen.query_one(Tree)
        groups = [str(node.label) for node in tree.root.children]
        assert any(g.startswith("Companies (11)") for g in groups)
        contacts = next(n for n in tree.root.children if str(n.label).startswith("Contacts"))
        bo_node = contacts.children[0]
        assert bo_node.data.record_id == bo
        tree.move_cursor(bo_node)
        await pilot.press("space")
        await settle(pilot)
        second = {
            child.data.record_id
            for group in bo_node.children
            for child in group.children
            if child.data is not None
        }
        assert world.ids["acme"] in second  # Bo's Acme: two hops out
        assert ana not in second  # the record at the centre is not repeated under Bo
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen) and app.screen.record_id == bo


# ---------------------------------------------------------------- palette, help, keymap, themes


async def _palette(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+p")
    await pilot.press(*text)
    for _ in range(30):
        await pilot.pause(0.05)
    await pilot.press("enter")
    await settle(pilot)


async def test_palette_jumps_to_a_record_by_email(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _palette(pilot, "cy@glo")
        assert isinstance(app.screen, RecordScreen)
        assert app.screen.record_id == world.ids["cy"]


async def test_palette_jumps_to_a_ref(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        note = activities.timeline(world.ids["ana"])[0]
        await _palette(pilot, note.ref)
        assert isinstance(app.screen, RecordScreen)
        assert app.screen.record_id == note.id


async def test_palette_shows_hostile_names_without_running_them(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _palette(pilot, "click=app")
        assert app.is_running
        assert isinstance(app.screen, RecordScreen)


async def test_palette_lists_a_custom_object_named_like_markup(db, make_app):
    from rolodex.crm import objects

    objects.create_custom_object("lead", "[/x]W", "Lead [UK]s", [("name", "text")])
    records.create("lead", {"name": "Leadname"})
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"Leadn")
        for _ in range(30):
            await pilot.pause(0.05)
        assert app.is_running
        assert "[/x]w" in screen_text(app)  # the help line shows the object's name as is
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)


async def test_f1_lists_the_keys_of_the_focused_area_and_works_in_dialogs(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, world.ids["ana"])
        await pilot.press("f1")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, HelpDialog)
        rows = {row[2] for row in dialog.rows}
        assert {"record.associate", "record.history", "card.actions", "card.primary"} <= rows
        hint = str(dialog.query_one(".dialog-hint").render())
        assert str(app.config_dir / "config.toml") in hint  # where to remap, in full
        await pilot.press("escape")
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AssociateDialog)
        assert "^s" in screen_text(app).splitlines()[-1]  # the footer shows the dialog's keys
        await pilot.press("f1")
        await settle(pilot)
        help_dialog = app.screen
        assert isinstance(help_dialog, HelpDialog)
        assert {"associate.submit", "associate.tab"} <= {row[2] for row in help_dialog.rows}


async def test_keymap_file_remaps_bindings(world, make_app, config_dir):
    (config_dir / "keymap.toml").write_text('[keys]\n"app.index_2" = "x"\n"record.history" = "H"\n')
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert app.screen.type_key == "company"
        await open_record(pilot, world.ids["ana"])
        await pilot.press("H")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)


async def test_broken_theme_file_gives_one_notice_and_a_fallback(
    db, make_app, tmp_path, config_dir
):
    themes = tmp_path / "themes"
    themes.mkdir()
    (themes / "good.toml").write_text('name = "rolodex-good"\nprimary = "#ff0000"\n')
    (themes / "broken.toml").write_text('name = "rolodex-broken"\nprimary = "not a colour"\n')
    (config_dir / "settings.json").write_text(json.dumps({"theme": "rolodex-broken"}))
    app = make_app(themes_dir=themes)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        notes = [n.message for n in app._notifications]  # noqa: SLF001 - tests only
        assert sum("broken.toml" in n for n in notes) == 1
        assert app.theme == "rolodex-dark"
        app.theme = "rolodex-good"
        await settle(pilot)
    assert tomllib.loads((config_dir / "config.toml").read_text())["theme"] == "rolodex-good"


async def test_user_changes_carry_the_user_source(world, make_app):
    ana, globex = world.ids["ana"], world.ids["globex"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, ana)
        menu = await item_menu(pilot, screen, "company", globex)
        choose(menu, "primary")
        await settle(pilot)
    entry = history.pair_history(ana, globex)[0]
    assert entry.source == "User" and entry.actor == Context("User").actor


async def test_f5_opens_the_import_screen(db, make_app, tmp_path, monkeypatch):
    from rolodex.ui.screens.import_screen import ImportScreen

    monkeypatch.chdir(tmp_path)  # the screen starts in the current folder
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await pilot.pause(0.5)
        assert isinstance(app.screen, ImportScreen)


@pytest.mark.parametrize(
    "theme", ["rolodex-dark", "rolodex-light", "rolodex-ansi", "rolodex-high-contrast"]
)
async def test_every_theme_file_loads_and_renders(world, make_app, config_dir, theme):
    (config_dir / "config.toml").write_text(f'theme = "{theme}"\n')
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == theme
        assert not app._notifications  # noqa: SLF001 - tests only
        await open_record(pilot, world.ids["ana"])
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AssociateDialog)


async def test_enter_in_the_new_record_form_creates_it_or_shows_why_not(world, make_app):
    from rolodex.crm import search

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, NewRecordDialog)
        dialog.query_one("#prop-email", Input).value = "not an [b]email[/b]"
        await pilot.press(*"Enter", "enter")  # typed into the first name, then Enter
        await settle(pilot)
        assert app.screen is dialog, "a bad email closed the form"
        error = str(dialog.query_one("#error").render())
        assert "not an [b]email[/b]" in error  # verbatim, not markup
        assert not search.search("Enter", ["contact"])
        dialog.query_one("#prop-email", Input).value = "enter@example.com"
        dialog.query_one("#prop-first_name", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert app.screen.data.record.properties["email"] == "enter@example.com"


async def test_a_new_contact_is_associated_with_the_company_owning_its_domain(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one("#prop-email", Input).value = "dora@initech.com"
        await pilot.press(*"Dora", "enter")
        await settle(pilot)
    dora = records.resolve("dora@initech.com")
    assert associations.primary_company(dora.id) == world.ids["initech"]
    entry = history.pair_history(dora.id, world.ids["initech"])[0]
    assert entry.source == "Automatic association by domain"


async def test_keys_typed_right_after_a_key_that_opens_a_dialog_go_into_the_dialog(world, make_app):
    """No pause between "a" and the search text, nor between "n" and the note's subject:
    the dialog is pushed by the key itself, so nothing reaches the record underneath."""
    ana, initech = world.ids["ana"], world.ids["initech"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, ana)
        card_cursor(screen, "head:company")
        await pilot.press("a", *"Initech")  # "n" would log a note, "e" an email
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AssociateDialog)
        assert dialog.query_one("#search", Input).value == "Initech"
        assert [
            i.data for i in dialog.query_one("#results", PickList).items if i.key.startswith("hit:")
        ] == [initech]
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("n", *"Quick")
        await settle(pilot)
        assert app.screen.query_one("#subject", Input).value == "Quick"
