"""F1: the keys of the focused screen or dialog, and where to remap them."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from rolodex.i18n import _, pgettext
from rolodex.ui.base import Dialog
from rolodex.ui.text import shown, single_line
from rolodex.ui.widgets.footer import KeyFooter


class HelpDialog(Dialog[None]):
    BINDINGS = [
        Binding("escape,f1", "cancel", _("Close"), id="help.close"),
    ]

    def __init__(self, area: str, rows: list[tuple[str, str, str]], config_dir: Path) -> None:
        super().__init__()
        self.area = area
        self.rows = rows
        self.config_dir = config_dir

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Label(shown(_("Keys of {area}").format(area=self.area)), classes="dialog-title")
            table: DataTable = DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            table.add_column(pgettext("keyboard", "Key"), key="key")
            table.add_column(_("Action"), key="action")
            table.add_column(_("Binding id (keymap)"), key="id")
            for key, description, binding_id in self.rows:
                table.add_row(
                    Text(single_line(key), style="bold"),
                    Text(single_line(description)),
                    Text(single_line(binding_id), style="dim"),
                )
            yield table
            yield Label(
                shown(
                    _("Remap keys in the [keymap] table of {path} · Esc to close").format(
                        path=self.config_dir / "config.toml"
                    )
                ),
                classes="dialog-hint",
            )
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
