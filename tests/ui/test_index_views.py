"""The index's filter box speaks the filter language (crm/filter_expr.py) and the palette
opens the saved views of config.toml: what a person types, the rows they then see."""

from __future__ import annotations

from textual.widgets import Input, Static

from rolodex.crm import associations, records
from rolodex.ui.screens.index import IndexScreen
from tests.ui.conftest import settle


def shown_ids(screen: IndexScreen) -> set[int]:
    return {row.id for row in screen.cache.rows()}


def problem_line(screen: IndexScreen) -> str:
    line = screen.query_one("#filter-problem", Static)
    return str(line.render()) if line.display else ""


def contacts_of(company_id: int) -> set[int]:
    return {a.other_id for a in associations.all_of(company_id) if a.other_type == "contact"}


async def test_an_association_filter_typed_in_the_index(world, make_app):
    acme = world.ids["acme"]
    expected = contacts_of(acme)
    assert expected and len(expected) < records.count("contact")  # a real narrowing
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *f"with company:{acme}", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IndexScreen)
        assert shown_ids(screen) == expected
        assert problem_line(screen) == ""


async def test_a_half_typed_filter_keeps_the_last_good_one_and_says_why(world, make_app):
    acme = world.ids["acme"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *f"with company:{acme}")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IndexScreen)
        await pilot.press(*" and email")  # "... and email": no operator yet
        await settle(pilot)
        assert "expected" in problem_line(screen)
        assert shown_ids(screen) == contacts_of(acme)
        # a name the object does not have is said under the box, not as a crash
        filter_box = screen.query_one("#filter", Input)
        filter_box.value = "no_such_property = 1"
        await settle(pilot)
        assert "no_such_property" in problem_line(screen)
        filter_box.value = "ana"  # a plain word is a name filter again
        await settle(pilot)
        assert problem_line(screen) == "" and world.ids["ana"] in shown_ids(screen)


async def test_a_saved_view_from_the_palette(world, make_app, config_dir):
    acme = world.ids["acme"]
    (config_dir / "config.toml").write_text(
        f'[views."Acme people"]\nobject = "contacts"\nfilter = "with company:{acme}"\n'
    )
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # start on another index: the view brings its own object
        await settle(pilot)
        await pilot.press("ctrl+p", *"View: Acme", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IndexScreen) and screen.type_key == "contact"
        assert screen.query_one("#filter", Input).value == f"with company:{acme}"
        assert shown_ids(screen) == contacts_of(acme)
