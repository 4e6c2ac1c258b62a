"""F6: export what is on screen to a file (the record or the index's records): what to
write (an ExportPlan, made by record_export or index_export) and the dialog asking where."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from rolodex.crm import listing, objects
from rolodex.crm.errors import InvalidValue
from rolodex.i18n import _
from rolodex.ui.modals.common import FormDialog
from rolodex.ui.screens.bulk import Ticks
from rolodex.ui.text import shown
from rolodex.ui.widgets.footer import KeyFooter
from rolodex.ui.widgets.inputs import SafeInput


@dataclass
class ExportPlan:
    what: str  # one line for the dialog
    suggested: Path
    type_key: str
    conditions: list[listing.Condition] = field(default_factory=list)
    sort: str = "name"
    written_to: str | None = None

    def write(self, path: str) -> int:
        """Write the export (run in a worker); the number of records written. The file's
        ending chooses the format: .vcf (contacts) vCards, .xlsx Excel, else CSV."""
        from rolodex.io.exporter import export
        from rolodex.io.vcard import SUFFIXES, export_vcards

        info = objects.by_key(self.type_key)
        query = listing.Listing(info, list(self.conditions), self.sort)
        ending = path.lower()
        try:  # a file is always named: nothing goes to the terminal (io.StringIO)
            if ending.endswith(SUFFIXES):
                if info.key != objects.CONTACT:
                    raise InvalidValue(
                        _("Only contacts export as vCards: name a .csv or .xlsx file")
                    )
                count = export_vcards(query, path, io.StringIO())
            else:
                fmt = "xlsx" if ending.endswith(".xlsx") else "csv"
                only = listing.ids_of(query) if self.conditions else None
                count = export(info.key, path, fmt, io.StringIO(), only)
        except OSError as exc:
            raise InvalidValue(
                _("{file} cannot be written ({error})").format(file=path, error=exc.strerror or exc)
            ) from exc
        self.written_to = path
        return count


def _folder() -> Path:
    return Path.cwd()


def record_export(record_id: int, name: str) -> ExportPlan:
    stem = "".join(c if c.isalnum() else "-" for c in name).strip("-").lower() or "contact"
    return ExportPlan(
        what=_("{name} as a vCard (.vcf)").format(name=name),
        suggested=_folder() / f"{stem}.vcf",
        type_key=objects.CONTACT,
        conditions=[listing.among([record_id])],
    )


def index_export(
    type_key: str, filter_text: str, sort: str, ticks: Ticks | None = None
) -> ExportPlan:
    """The index's records as it shows them (its filter, its sort), or only the ticked."""
    info = objects.by_key(type_key)
    conditions = listing.index_filter(info, filter_text)
    if ticks is not None and ticks.all:
        conditions.append(listing.not_among(sorted(ticks.unticked)))
    elif ticks is not None and ticks.ids:
        conditions = [listing.among(sorted(ticks.ids))]
    ticked = ticks is not None and (ticks.all or bool(ticks.ids))
    as_cards = info.key == objects.CONTACT
    if ticked:
        what = (
            _("The ticked contacts, as vCards (.vcf)")
            if as_cards
            else _("The ticked {object} records, as CSV in the import shape").format(
                object=info.shown_singular
            )
        )
    elif filter_text.strip():
        what = (
            _("The contacts the filter '{text}' keeps, as vCards (.vcf)").format(text=filter_text)
            if as_cards
            else _(
                "The {object} records the filter '{text}' keeps, as CSV in the import shape"
            ).format(object=info.shown_singular, text=filter_text)
        )
    else:
        what = (
            _("Every contact, as vCards (.vcf)")
            if as_cards
            else _("Every {object} record, as CSV in the import shape").format(
                object=info.shown_singular
            )
        )
    suggested = _folder() / ("contacts.vcf" if as_cards else f"{info.key}.csv")
    return ExportPlan(what, suggested, info.key, conditions, sort)


class ExportDialog(FormDialog[int]):
    """Asks for the file, then runs ``export(path)`` in a worker; returns how many records
    were written (or None when cancelled). A problem (a folder that does not exist...)
    is shown in the dialog, which stays open."""

    SAVE_BUTTON = "export"
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="export.cancel"),
        Binding("ctrl+s", "save", _("Export"), id="export.submit"),
    ]

    def __init__(self, what: str, suggested: Path, export: Callable[[str], int]) -> None:
        super().__init__()
        self.what = what
        self.suggested = suggested
        self.export = export

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(shown(_("Export")), classes="dialog-title")
            yield Static(shown(self.what), classes="dialog-message", id="export-what")
            yield SafeInput(str(self.suggested), id="export-path")
            yield Static("", id="error", classes="error-line")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Export"), id=self.SAVE_BUTTON, variant="primary")
                yield Button(_("Cancel"), id="cancel")
            yield Label(
                _("The ending chooses the format: .csv, .xlsx, .vcf (contacts)"),
                classes="dialog-hint",
            )
            yield Label(_("Enter or ctrl+s to export · Esc to cancel"), classes="dialog-hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(SafeInput).focus()

    def action_save(self) -> None:
        text = self.query_one(SafeInput).value.strip()
        if not text:
            self.show_error(ValueError(_("Give the file to write")))
            return
        path = str(Path(text).expanduser())
        self.save_in_worker(lambda: self.export(path))
