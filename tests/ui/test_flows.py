"""Pilot tests: each flow driven from the keyboard (or mouse), then checked through crm/."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Button, Checkbox, DataTable, Input, OptionList, SelectionList, Tree

from rolodex.crm import activities, associations, history, labels, lifecycle, limits, records
from rolodex.crm.context import Context
from rolodex.ui.modals.associate import AssociateDialog
from rolodex.ui.modals.common import ChoiceDialog, ConfirmDialog
from rolodex.ui.modals.help import HelpDialog
from rolodex.ui.modals.record_dialogs import ConflictDialog, EditLabelsDialog, PickRecordDialog
from rolodex.ui.screens.admin import LabelsScreen, RecycleBinScreen
from rolodex.ui.screens.history import AsOfDialog, HistoryScreen, PairHistoryDialog
from rolodex.ui.screens.index import AssociatedListDialog, EditColumnsDialog, IndexScreen
from rolodex.ui.screens.neighbourhood import NeighbourhoodScreen
from rolodex.ui.screens.record import RecordScreen
from rolodex.ui.text import visible
from tests.conftest import HOSTILE_NAMES
from tests.ui.conftest import settle


def table_names(table: DataTable) -> list[str]:
    return [table.get_cell_at((row, 0)).plain for row in range(table.row_count)]


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


async def item_menu(pilot, screen: RecordScreen, type_key: str, other_id: int) -> ChoiceDialog:  # type: ignore[no-untyped-def]
    items = screen.query_one(f"#items-{type_key}", OptionList)
    items.focus()
    items.highlighted = items.get_option_index(f"a{other_id}")
    await pilot.press("enter")
    await settle(pilot)
    menu = pilot.app.screen
    assert isinstance(menu, ChoiceDialog)
    return menu


# ---------------------------------------------------------------- app shell and index


async def test_opens_on_contacts_with_hostile_names_verbatim(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IndexScreen) and screen.type_key == "contact"
        names = table_names(screen.query_one(DataTable))
        for name in HOSTILE_NAMES:
            assert visible(name) in names
        assert "Ana Andersson" in names


async def test_clicking_an_injected_click_action_does_not_run_it(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        row = table_names(table).index("[@click=app.quit]x[/]")
        # header is row 0 on screen; click the name cell of that row
        await pilot.click(DataTable, offset=(3, row + 1))  # moves the cursor there
        await settle(pilot)
        assert app.is_running
        await pilot.click(DataTable, offset=(3, row + 1))  # selects the cell: opens it
        await settle(pilot)
        assert app.is_running
        assert isinstance(app.screen, RecordScreen)
        assert app.screen.data is not None
        assert app.screen.data.record.name == "[@click=app.quit]x[/]"


async def test_number_keys_switch_object_indexes(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.type_key == "company"
        assert "Acme" in table_names(app.screen.query_one(DataTable))
        await pilot.press("3")
        await settle(pilot)
        assert table_names(app.screen.query_one(DataTable)) == ["Acme renewal"]
        await pilot.press("4")
        await settle(pilot)
        assert table_names(app.screen.query_one(DataTable)) == ["Login fails"]


async def test_empty_database_explains_how_to_start(db, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        empty = app.screen.query_one("#empty")
        assert empty.display
        text = str(empty.render())
        assert "rolodex --demo" in text and "rolodex import" in text and "press n" in text.lower()
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Dana")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert records.count("contact") == 1


async def test_filter_and_sort(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        assert isinstance(app.focused, Input) and app.focused.id == "filter"
        await pilot.press("a", "n")
        await settle(pilot)
        assert table_names(app.screen.query_one(DataTable)) == ["Ana Andersson"]
        await pilot.press("enter")  # back to the table, without opening the row
        await settle(pilot)
        await pilot.pause(0.1)
        assert isinstance(app.screen, IndexScreen)
        assert isinstance(app.focused, DataTable)
        app.screen.query_one("#filter", Input).value = ""
        await settle(pilot)
        await pilot.press("s")  # name Z-A
        await settle(pilot)
        names = table_names(app.screen.query_one(DataTable))
        assert names == sorted(names, key=str.casefold, reverse=True)


async def test_keyset_paging_loads_more_rows_when_scrolling(db, make_app):
    for n in range(230):
        records.create("contact", {"first_name": f"Person {n:03d}"})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 100
        table.move_cursor(row=90)
        await settle(pilot)
        assert table.row_count == 200
        table.move_cursor(row=199)
        await settle(pilot)
        assert table.row_count == 230
        assert table_names(table)[-1] == "Person 229"
        assert len(set(table_names(table))) == 230


async def test_edit_columns_is_remembered(world, make_app, config_dir):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, EditColumnsDialog)
        picks = dialog.query_one(SelectionList)
        picks.select("prop:job_title")
        picks.deselect("assoc:deal")
        await pilot.press("ctrl+s")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        keys = [str(c.value) for c in table.columns]
        assert "prop:job_title" in keys and "assoc:deal" not in keys
    saved = json.loads((config_dir / "settings.json").read_text())
    assert "prop:job_title" in saved["columns"]["contact"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        keys = [str(c.value) for c in app.screen.query_one(DataTable).columns]
        assert "prop:job_title" in keys


async def test_associated_count_opens_the_list_and_a_record(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        row = table_names(table).index("Ana Andersson")
        column = [str(c.value) for c in table.columns].index("assoc:company")
        assert table.get_cell_at((row, column)).plain == "11"
        assert table.get_cell_at((row, column - 1)).plain == "Acme"  # primary company
        table.move_cursor(row=row, column=column)
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AssociatedListDialog)
        options = dialog.query_one(OptionList)
        assert options.option_count == 11
        options.highlighted = options.get_option_index(str(world.ids["globex"]))
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
        # someone else saves in between
        records.update(ana, {"phone": "+46 1"})
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


async def test_associate_existing_with_label_and_replace_primary(world, make_app):
    ana, initech = world.ids["ana"], world.ids["initech"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, ana)
        screen.query_one("#items-company").focus()
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AssociateDialog)
        await pilot.press(*"Initech")
        await settle(pilot)
        results = dialog.query_one("#results", SelectionList)
        assert results.option_count == 1
        results.select(initech)
        await settle(pilot)
        box = dialog.query_one("#primary-existing", Checkbox)
        assert "Replace Acme as primary" in str(box.label)
        box.value = True
        dialog.query_one("#labels-existing", SelectionList).select("Employee")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
    found = associations.between(ana, initech)
    assert found is not None and found.labels == ("Employer",) and found.primary
    assert associations.primary_company(ana) == initech
    assert associations.between(ana, world.ids["acme"]) is not None  # old primary stays
    latest = history.pair_history(ana, initech)[0]
    assert latest.source == "User"


async def test_associate_new_create_and_add_another(world, make_app):
    acme = world.ids["acme"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, acme)
        screen.query_one("#items-contact").focus()
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        dialog = app.screen
        dialog.query_one("#prop-first_name", Input).value = "Dee"
        dialog.query_one("#prop-email", Input).value = "dee@acme.com"
        dialog.query_one("#create-another", Button).press()
        await settle(pilot)
        assert app.screen is dialog
        assert dialog.query_one("#prop-first_name", Input).value == ""
        dialog.query_one("#prop-first_name", Input).value = "Eve"
        dialog.query_one("#create", Button).press()
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
    names = {a.other_name for a in associations.page(acme, "contact", limit=100)}
    assert {"Dee", "Eve"} <= names
    dee = records.resolve("dee@acme.com")
    assert associations.primary_company(dee.id) == acme


async def test_limit_error_is_inline_and_nothing_is_saved(world, make_app):
    bo, globex, initech = world.ids["bo"], world.ids["globex"], world.ids["initech"]
    limits.set_limit("contact", "company", 2)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, bo)
        screen.query_one("#items-company").focus()
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        await pilot.press(*"globex")
        await settle(pilot)
        dialog.query_one("#results", SelectionList).select(globex)
        dialog.query_one("#search", Input).value = "initech"
        await settle(pilot)
        dialog.query_one("#results", SelectionList).select(initech)
        await settle(pilot)
        assert set(dialog.ticked) == {globex, initech}
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        assert "limit reached" in str(dialog.query_one("#error").render())
    assert associations.counts(bo).get("company") == 1  # all or nothing


async def test_remove_primary_association_asks_for_the_new_primary(world, make_app):
    ana, acme, globex = world.ids["ana"], world.ids["acme"], world.ids["globex"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, ana)
        menu = await item_menu(pilot, screen, "company", acme)
        choose(menu, "remove")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, ChoiceDialog)
        choose(picker, str(globex))
        await settle(pilot)
    assert associations.between(ana, acme) is None
    assert associations.primary_company(ana) == globex


async def test_remove_as_primary_and_set_as_primary(world, make_app):
    ana, acme, globex = world.ids["ana"], world.ids["acme"], world.ids["globex"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, ana)
        menu = await item_menu(pilot, screen, "company", acme)
        choose(menu, "unprimary")
        await settle(pilot)
        choose(app.screen, str(globex))
        await settle(pilot)
        assert associations.primary_company(ana) == globex
        assert associations.between(ana, acme) is not None
        menu = await item_menu(pilot, screen, "company", acme)
        choose(menu, "primary")
        await settle(pilot)
        assert associations.primary_company(ana) == acme
        badge = screen.query_one("#items-company", OptionList).get_option_at_index(0)
        assert "Primary" in str(badge.prompt) and "Acme" in str(badge.prompt)


async def test_edit_labels_of_an_association(world, make_app):
    ana, bo = world.ids["ana"], world.ids["bo"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, ana)
        menu = await item_menu(pilot, screen, "contact", bo)
        choose(menu, "labels")
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


async def test_log_note_and_associate_the_activity(world, make_app):
    ana, deal = world.ids["ana"], world.ids["deal"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_record(pilot, ana)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Pricing [b]call[/b]", "enter", *"notes", "enter")
        await settle(pilot)
        timeline = activities.timeline(ana)
        note = next(a for a in timeline if a.properties.get("subject") == "Pricing [b]call[/b]")
        assert note.properties.get("body") == "notes"  # Enter in the subject went to the body
        assert associations.between(note.id, world.ids["acme"]) is not None  # auto: primary
        ticket = world.ids["ticket"]
        assert associations.between(note.id, ticket) is None
        items = screen.query_one("#timeline", OptionList)
        items.focus()
        items.highlighted = items.get_option_index(f"t{note.id}")
        assert "Pricing [b]call[/b]" in str(items.get_option_at_index(items.highlighted).prompt)
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
        dialog.query_one("#results", SelectionList).select(ticket)
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert associations.between(note.id, ticket) is not None
    assert deal  # the note was logged on Ana, whose open deal got it too
    assert associations.between(note.id, deal) is not None


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
        # filter by object type
        hist.object_filter = "deal"
        hist.load(reset=True)
        await settle(pilot)
        assert table.row_count == len(history.record_history(ana, "deal"))
        hist.object_filter = None
        hist.load(reset=True)
        await settle(pilot)
        # open the Acme association's own history
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
            e.action for e in expected
        ]
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


async def test_labels_screen_create_delete_and_limits(world, make_app):
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
        row = next(
            i for i in range(table.row_count) if table.get_cell_at((i, 2)).plain == "Advisor"
        )
        table.focus()
        table.move_cursor(row=row)
        await pilot.press("e")  # rename it: Advisor / Client -> Mentor / Mentee
        await settle(pilot)
        app.screen.query_one("#name", Input).value = "Mentor"
        app.screen.query_one("#inverse", Input).value = "Mentee"
        await pilot.press("ctrl+s")
        await settle(pilot)
        renamed = [lab for lab in labels.list_labels() if lab.id == created[0].id]
        assert (renamed[0].name, renamed[0].inverse) == ("Mentor", "Mentee")
        row = next(i for i in range(table.row_count) if table.get_cell_at((i, 2)).plain == "Mentor")
        table.move_cursor(row=row)
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert not [lab for lab in labels.list_labels() if lab.id == created[0].id]
        # a label in use cannot be deleted
        row = next(
            i for i in range(table.row_count) if table.get_cell_at((i, 2)).plain == "Employee"
        )
        table.move_cursor(row=row)
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
        assert "Bo Berg" not in table_names(app.screen.query_one(DataTable))
        assert [v.id for v in lifecycle.recycle_bin()] == [bo]
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, RecycleBinScreen)
        await pilot.press("r")
        await settle(pilot)
    assert records.get(bo).deleted_at is None
    assert associations.between(bo, acme) is not None
    assert history.pair_history(bo, acme)[0].source == "Object restore"


async def test_merge_dialog(world, make_app):
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
    assert records.get(cy).id == ana  # the merged id resolves to the survivor
    assert associations.between(ana, globex) is not None


async def test_neighbourhood_tree_two_hops(world, make_app):
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
        second = [str(n.label) for n in bo_node.children]
        assert any(s.startswith("Companies") for s in second)  # Bo's Acme: two hops out
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen) and app.screen.record_id == bo


# ---------------------------------------------------------------- palette, help, keymap, themes


async def test_palette_jumps_to_a_record_by_email(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"cy@glo")
        for _ in range(20):
            await pilot.pause(0.05)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert app.screen.record_id == world.ids["cy"]


async def test_palette_shows_hostile_names_without_running_them(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"click=app")
        for _ in range(20):
            await pilot.pause(0.05)
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        assert isinstance(app.screen, RecordScreen)


async def test_f1_lists_the_keys_of_the_focused_area(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, world.ids["ana"])
        await pilot.press("f1")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, HelpDialog)
        rows = {row[2] for row in dialog.rows}
        assert {"record.associate", "record.history", "app.help"} <= rows


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
        notes = [n.message for n in app._notifications]
        assert sum("broken.toml" in n for n in notes) == 1
        assert app.theme == "rolodex-dark"
        app.theme = "rolodex-good"
        await settle(pilot)
    assert json.loads((config_dir / "settings.json").read_text())["theme"] == "rolodex-good"


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
    (config_dir / "settings.json").write_text(json.dumps({"theme": theme}))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == theme
        assert not app._notifications
        await open_record(pilot, world.ids["ana"])
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AssociateDialog)


async def test_enter_in_the_new_record_form_creates_it_or_shows_why_not(world, make_app):
    from rolodex.crm import search
    from rolodex.ui.screens.index import NewRecordDialog

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
