"""What a browser session shows when the app cannot start: the reason, not a splash."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from rolodex.i18n import _
from rolodex.ui.text import shown as plain


class StartFailure(App[None]):
    """One message and a way out; the page then offers to restart the session."""

    TITLE = "Rolodex"
    CSS = """
    Screen { align: center middle; }
    #failure { width: 90%; max-width: 100; height: auto; padding: 1 2; border: heavy $error; }
    #hint { color: $text-muted; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", _("Quit"), id="failure.quit", priority=True),
        Binding("escape,enter", "quit", _("Quit"), id="failure.close", show=False),
    ]

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(id="failure"):
            yield Static(plain(self.reason), id="reason")
            yield Static(plain(_("Press Enter to close this session.")), id="hint")

    def on_mount(self) -> None:
        self.query_one("#failure").border_title = _("Rolodex cannot start")
