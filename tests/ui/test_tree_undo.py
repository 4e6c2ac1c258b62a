"""Pilot tests of the hierarchy screen (t on a record) and of undo: u on a history row,
ctrl+z for this session's own changes."""

from __future__ import annotations

from textual.widgets import DataTable, OptionList, Tree

from rolodex.crm import associations, history, records
from rolodex.crm.context import Context
from rolodex.store.models import History
from rolodex.ui.modals.common import ChoiceDialog
from rolodex.ui.screens.history import HistoryScreen
from rolodex.ui.screens.record import RecordScreen
from rolodex.ui.screens.tree import TreeScreen
from tests.conftest import HOSTILE_NAMES
from tests.ui.conftest import screen_text, settle
from tests.ui.test_flows import item_menu, open_record

API = Context("API", actor="tester")


def notes(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications]  # noqa: SLF001 - tests only


def group(world) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Acme (the world's) at the top, a hostile-named subsidiary under it, one under that."""
    acme = world.ids["acme"]
    sub = records.create("company", {"name": HOSTILE_NAMES[2]}).id
    leaf = records.create("company", {"name": "Leaf Ltd"}).id
    associations.associate(acme, sub, API, ["Parent company"])
    associations.associate(sub, leaf, API, ["Parent company"])
    associations.associate(world.ids["cy"], leaf, API)
    return {"acme": acme, "sub": sub, "leaf": leaf}


async def test_t_shows_the_hierarchy_with_sums_and_enter_opens_a_node(world, make_app):
    ids = group(world)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, ids["leaf"])
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TreeScreen)
        text = screen_text(app)
        # Acme: its own 2 contacts (Ana, Bo) and Leaf's Cy; Leaf is marked, Sub shown verbatim.
        assert "Acme" in text and "contacts 3 (own 2)" in text and "2 below" in text
        assert HOSTILE_NAMES[2] in text
        assert "Leaf Ltd" in text and "◀" in text
        tree = screen.query_one(Tree)
        assert tree.cursor_node is not None and tree.cursor_node.data == ids["leaf"]
        await pilot.press("up")  # the subsidiary
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen) and app.screen.record_id == ids["sub"]


async def test_a_record_outside_any_hierarchy_says_so(world, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, world.ids["ana"])
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TreeScreen)
        assert "no hierarchical label links contact records" in screen_text(app)


async def test_the_tree_refreshes_when_the_hierarchy_changes(world, make_app):
    ids = group(world)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, ids["acme"])
        await pilot.press("t")
        await settle(pilot)
        extra = records.create("company", {"name": "Newco"}).id
        associations.associate(ids["acme"], extra, API, ["Parent company"])
        app.database_was_changed()
        await settle(pilot)
        assert "Newco" in screen_text(app) and "3 below" in screen_text(app)


async def test_u_undoes_the_change_under_the_cursor(world, make_app):
    ana, initech = world.ids["ana"], world.ids["initech"]
    associations.associate(ana, initech, API)  # the newest change of Ana's history
    before = {k: v.comparable() for k, v in history.replay().items()}
    newest = History.select(History.id).order_by(History.id.desc()).limit(1).scalar()
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await open_record(pilot, ana)
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        app.screen.query_one(DataTable).move_cursor(row=0)
        await pilot.press("u")
        await settle(pilot)
        assert associations.between(ana, initech) is None
        row = History.get_by_id(newest + 1)
        assert (row.undoes, row.source, row.action) == (newest, "User", "removed")
        assert f"undo of #{newest}" in screen_text(app)
        # The same row again: refused, with the reason on screen.
        app.screen.query_one(DataTable).move_cursor(row=1)
        await pilot.press("u")
        await settle(pilot)
        assert any("changed again since" in note for note in notes(app))
    after = {k: v.comparable() for k, v in history.replay().items()}
    assert set(after) == set(before) - {tuple(sorted((ana, initech)))}


async def test_ctrl_z_undoes_this_sessions_last_change_only(world, make_app):
    ana, acme, globex = world.ids["ana"], world.ids["acme"], world.ids["globex"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert "Nothing to undo" in notes(app)[-1]
        screen = await open_record(pilot, ana)
        menu = await item_menu(pilot, screen, "company", globex)
        assert isinstance(menu, ChoiceDialog)
        options = menu.query_one(OptionList)
        options.highlighted = options.get_option_index("primary")
        options.action_select()
        await settle(pilot)
        assert associations.primary_company(ana) == globex
        # Someone else's change meanwhile is not this session's to undo.
        associations.associate(ana, world.ids["initech"], API)
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert associations.primary_company(ana) == acme
        assert associations.between(ana, world.ids["initech"]) is not None  # theirs stays
        undo_rows = list(History.select().where(History.undoes.is_null(False)))
        assert undo_rows and {r.source for r in undo_rows} == {"User"}
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert "Nothing to undo" in notes(app)[-1]
