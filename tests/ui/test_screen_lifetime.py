"""Closed screens are let go, and a button press is handled once.

Before: every record screen closed stayed alive (the app's change signal held it until
the next commit, and Textual's styles cache pinned its rendered lines), so memory and
the garbage collector's pauses grew with every record opened."""

from __future__ import annotations

import gc
import weakref

from textual.widgets import Button

from rolodex.ui.modals.record_dialogs import EditLabelsDialog
from rolodex.ui.screens.admin import NewLabelDialog
from rolodex.ui.screens.record import RecordScreen
from tests.ui.conftest import settle
from tests.ui.test_flows import key_on_card, open_record


async def test_record_screens_closed_are_freed(world, make_app):
    app = make_app()
    closed: list[weakref.ref[RecordScreen]] = []
    async with app.run_test(size=(120, 40)) as pilot:
        for name in ("ana", "acme", "bo", "deal", "ana", "globex"):
            screen = await open_record(pilot, world.ids[name])
            closed.append(weakref.ref(screen))
            del screen
            await pilot.press("escape")
            await settle(pilot)
        await pilot.press("ctrl+p")  # the palette too
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        gc.collect()
        alive = [ref() for ref in closed if ref() is not None]
        assert alive == [], f"{len(alive)} of {len(closed)} closed record screens still alive"


async def test_the_new_label_button_opens_its_dialog_over_the_labels_dialog(world, make_app):
    ana, acme = world.ids["ana"], world.ids["acme"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        labels_dialog = await key_on_card(pilot, ana, f"item:company:{acme}", "l")
        assert isinstance(labels_dialog, EditLabelsDialog)
        labels_dialog.query_one("#new-label", Button).press()
        await settle(pilot)
        assert isinstance(app.screen, NewLabelDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is labels_dialog  # still open beneath, not closed by the press
