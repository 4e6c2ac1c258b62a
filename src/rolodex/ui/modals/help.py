"""F1: the keys of the focused area."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from rolodex.i18n import _, pgettext
from rolodex.ui.modals.common import Dialog
from rolodex.ui.text import cell


class HelpDialog(Dialog):
    BINDINGS = [
        Binding("escape,f1", "cancel", _("Close"), id="help.close"),
    ]

    def __init__(self, area: str, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.area = area
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Label(
                _("Keys of {area}").format(area=self.area), classes="dialog-title", markup=False
            )
            table: DataTable = DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            table.add_column(pgettext("keyboard", "Key"), key="key")
            table.add_column(_("Action"), key="action")
            table.add_column(_("Binding id (keymap.toml)"), key="id")
            for key, description, binding_id in self.rows:
                table.add_row(cell(key, "bold"), cell(description), cell(binding_id, "dim"))
            yield table
            yield Label(
                _("Remap keys in keymap.toml in your config folder · Esc to close"),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
