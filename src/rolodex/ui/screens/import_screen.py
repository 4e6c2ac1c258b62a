"""The Import screen: pick files, see how each column is understood and change it, dry run,
import, revert.

In the mapping table, Enter on a column says what to import it as (a property of an
object, created when missing; skip; keep as a new property), ``s`` skips it and ``k``
keeps it; the choice applies to every file with that column, like ``--map`` and
``--skip``, and can be saved to a mapping file and loaded again (Ctrl+S, Ctrl+L).

The engine is ``rolodex.io.importer``; it runs in a thread worker with its own
connection and reports back with messages (progress at most four times a second).
One import is one transaction, so stopping it (Esc) or a bad file leaves the
database exactly as it was.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.validation import ValidationResult, Validator
from textual.widgets import (
    Button,
    DataTable,
    DirectoryTree,
    Input,
    Label,
    OptionList,
    ProgressBar,
    Select,
    Static,
    Switch,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option

from rolodex.crm.errors import RolodexError
from rolodex.i18n import _
from rolodex.ui.base import Dialog
from rolodex.ui.base import connected as in_connection
from rolodex.ui.modals.common import ConfirmDialog
from rolodex.ui.text import cell
from rolodex.ui.text import shown as plain
from rolodex.ui.text import single_line as visible
from rolodex.ui.widgets.footer import KeyFooter
from rolodex.ui.widgets.inputs import SafeInput


def norm_header(header: str) -> str:
    """A header as mappings compare it (rolodex.io.headers.norm, imported when needed)."""
    from rolodex.io.headers import norm

    return norm(header)


SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
PROGRESS_EVERY = 0.25  # seconds between progress messages
COUNT_CHUNK = 1 << 20

KIND_NAMES = {
    "property": _("property"),
    "record_id": _("record id"),
    "assoc_ids": _("association"),
    "assoc_primary": _("association"),
    "assoc_names": _("association"),
    "assoc_by": _("association"),
    "assoc_labels": _("label"),
    "row_label": _("label"),
    "ignored": _("ignored"),
}
KIND_STYLES = {
    "ignored": "dim",
    "record_id": "bold",
    "assoc_labels": "italic",
    "row_label": "italic",
}


# ---------------------------------------------------------------- reading a file's mapping


@dataclass
class FilePreview:
    """How one file's columns were understood, or why it cannot be read."""

    path: str
    columns: list[tuple[str, str, str]] = field(default_factory=list)  # header, meaning, kind
    mapped: list[bool] = field(default_factory=list)  # per column: the user decided it
    mapping: list[Any] = field(default_factory=list)  # rolodex.io.headers.Column, per column
    targets: list[tuple[str, str]] = field(default_factory=list)  # what a column can become
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    estimate: int | None = None  # rows, estimated without parsing (for the progress bar)


def estimate_rows(path: str) -> int | None:
    """Data rows of a file, estimated cheaply: line breaks for text, the sheet size for .xlsx."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
            if head == b"PK\x03\x04":
                return _xlsx_rows(path)
            handle.seek(0)
            lines, last = 0, b""
            while chunk := handle.read(COUNT_CHUNK):
                lines += chunk.count(b"\n")
                last = chunk
            if last and not last.endswith(b"\n"):
                lines += 1
            return max(0, lines - 1)
    except OSError:
        return None


def _xlsx_rows(path: str) -> int | None:
    try:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        try:
            sheet = book.active
            rows = getattr(sheet, "max_row", None)
        finally:
            book.close()
        return max(0, rows - 1) if rows else None
    except Exception:
        return None


def read_preview(path: str, overrides: Any = None) -> FilePreview:
    """The mapping preview of one file (runs in a worker: header matching reads the objects).
    ``overrides``: what the user said columns are (rolodex.io.headers.Overrides)."""
    from rolodex.crm import objects
    from rolodex.io.importer import read_mapping

    result = FilePreview(path)
    try:
        mapping, notes = read_mapping(path, overrides)
    except RolodexError as exc:
        result.error = str(exc)
        return result
    result.columns = [(c.header, c.describe(), c.kind) for c in mapping.columns]
    result.mapped = [c.mapped for c in mapping.columns]
    result.mapping = list(mapping.columns)
    result.notes = notes
    infos = objects.all_types()
    ordered = sorted(infos, key=lambda info: info.key != mapping.main)
    result.targets = [
        (f"{info.key}.{prop.key}", prop.label) for info in ordered for prop in info.properties
    ]
    result.estimate = estimate_rows(path)
    return result


# ---------------------------------------------------------------- small widgets


class ImportTree(DirectoryTree):
    """A folder tree that shows folders and importable files; names are never markup."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        out = []
        for path in paths:
            if path.name.startswith("."):
                continue
            try:
                if path.is_dir() or path.suffix.lower() in SUFFIXES:
                    out.append(path)
            except OSError:
                continue
        return out

    def on_mount(self) -> None:
        # the root shows the folder's name ("." would say nothing)
        try:
            folder = Path(self.path).resolve()
        except OSError:
            return
        self.root.set_label(folder.name or str(folder))

    def process_label(self, label: str | Text) -> Text:  # type: ignore[override]
        text = Text(visible(label)) if isinstance(label, str) else label
        lines = text.split()
        return lines[0] if lines else text


class ExistingFile(Validator):
    """A path that names a readable file (the content decides whether it is a table)."""

    def validate(self, value: str) -> ValidationResult:
        text = value.strip()
        if not text:
            return self.failure(_("Type the path of a file to import"))
        path = Path(text).expanduser()
        if path.is_dir():
            return self.failure(_("{path} is a folder, not a file").format(path=text))
        if not path.exists():
            return self.failure(_("{path}: no such file").format(path=text))
        if not os.access(path, os.R_OK):
            return self.failure(_("{path}: permission denied").format(path=text))
        return self.success()


def lines_of(lines: Iterable[str]) -> Content:
    """Several lines of user text as one Content (each line verbatim, never markup)."""
    return Content("\n").join(plain(line) for line in lines)


def shown(path: str) -> str:
    """A path as the user reads it: relative to the current folder when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return path


def duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return _("{s} s").format(s=seconds)
    if seconds < 3600:
        return _("{m} min {s} s").format(m=seconds // 60, s=seconds % 60)
    return _("{h} h {m} min").format(h=seconds // 3600, m=(seconds % 3600) // 60)


class _Stopped(Exception):
    """Raised from the progress callback: the import's transaction rolls back."""


class MappingTable(DataTable):
    """The columns of a file and how they are understood; keys change that."""

    BINDINGS = [
        Binding("s", "skip_column", _("Skip column"), id="import.skip_column"),
        Binding("k", "keep_column", _("Keep column"), id="import.keep_column"),
    ]

    class Change(Message):
        """Import the column ``row`` of the table as ``target`` (None: ask for it)."""

        def __init__(self, table: MappingTable, row: int, target: str | None) -> None:
            super().__init__()
            self.table = table
            self.row = row
            self.target = target

        @property
        def control(self) -> MappingTable:
            return self.table

    def action_skip_column(self) -> None:
        if self.row_count:
            self.post_message(self.Change(self, self.cursor_row, "skip"))

    def action_keep_column(self) -> None:
        if self.row_count:
            self.post_message(self.Change(self, self.cursor_row, "keep"))


class ColumnTargetDialog(Dialog):
    """What to import one column as: typed, or picked from the list; returns the target."""

    def __init__(self, header: str, current: str, targets: list[tuple[str, str]]) -> None:
        super().__init__()
        self.header = header
        self.current = current
        self.targets = targets

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(
                plain(_("Import the column {column} as").format(column=self.header.strip())),
                classes="dialog-title",
            )
            yield Input(self.current, id="target", compact=True)
            yield Static(
                _(
                    "OBJECT.PROPERTY (created when the object lacks it), skip, keep "
                    "(a new property of the file's object), auto, or a column name"
                ),
                classes="dialog-message",
                markup=False,
            )
            choices = [
                Option(Content(_("skip: leave the column aside")), id="skip"),
                Option(Content(_("keep: a new property named after the column")), id="keep"),
                Option(Content(_("auto: as its name says")), id="auto"),
            ]
            choices += [
                Option(plain(f"{target}  ({label})"), id=target) for target, label in self.targets
            ]
            yield OptionList(*choices, id="targets")
            yield Label(_("Enter to choose · Esc to cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#target", Input).focus()

    @on(Input.Submitted, "#target")
    def typed(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        self.dismiss(value or None)

    @on(OptionList.OptionSelected, "#targets")
    def picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option_id)


# ---------------------------------------------------------------- the screen


class ImportScreen(Screen):
    DEFAULT_CSS = """
    ImportScreen #imp-pick { height: 1; }
    ImportScreen #imp-path { width: 1fr; }
    ImportScreen #imp-add { min-width: 7; margin-left: 1; }
    ImportScreen #imp-message { height: auto; padding: 0 1; color: $error; display: none; }
    ImportScreen #imp-message.-shown { display: block; }
    ImportScreen #imp-main { height: 1fr; }
    ImportScreen #imp-tree { width: 30%; min-width: 20; max-width: 40; border-right: vkey $panel; }
    ImportScreen #imp-tabs { width: 1fr; }
    ImportScreen #imp-tabs TabPane { padding: 0; height: 1fr; }
    ImportScreen #imp-files { height: auto; max-height: 5; border: none; padding: 0; }
    ImportScreen #imp-files:focus { background-tint: $foreground 5%; }
    ImportScreen #imp-file-title { height: 1; padding: 0 1; text-style: bold; color: $secondary; }
    ImportScreen #imp-mapping { height: 1fr; }
    ImportScreen #imp-notes { height: auto; max-height: 5; padding: 0 1; }
    ImportScreen #imp-notes.-error { color: $error; }
    ImportScreen #imp-result { height: 1fr; padding: 0 1; }
    ImportScreen #imp-summary { height: auto; }
    ImportScreen #imp-matches-note { height: auto; padding: 0 1; }
    ImportScreen #imp-matches { height: 1fr; }
    ImportScreen #imp-summary.-error { color: $error; }
    ImportScreen #imp-options, ImportScreen #imp-options2 { height: 1; }
    ImportScreen #imp-options2 Label { padding: 0 1; }
    ImportScreen #imp-mapfile { width: 1fr; }
    ImportScreen #imp-keep { border: none; height: 1; padding: 0; }
    ImportScreen #imp-keep:focus { background-tint: $foreground 15%; }
    ImportScreen #imp-options Label { padding: 0 1; }
    ImportScreen #imp-mode { width: 14; }
    ImportScreen #imp-labels { border: none; height: 1; padding: 0; }
    ImportScreen #imp-labels:focus { background-tint: $foreground 15%; }
    ImportScreen #imp-errors { width: 1fr; }
    ImportScreen #imp-actions { height: 1; }
    ImportScreen #imp-actions Button { margin-right: 1; min-width: 8; }
    ImportScreen #imp-status { width: 1fr; height: 1; padding: 0 1; }
    ImportScreen #imp-progress { height: 1; display: none; }
    ImportScreen #imp-progress.-shown { display: block; }
    ImportScreen #imp-bar { width: auto; padding: 0 1; }
    ImportScreen #imp-rate { width: 1fr; height: 1; }
    """

    BINDINGS = [
        Binding("escape", "back", _("Back"), id="import.back"),
        Binding("f5", "dry_run", _("Dry run"), id="import.dry_run"),
        Binding("f6", "apply", _("Import"), id="import.apply"),
        Binding("f7", "revert", _("Revert"), id="import.revert"),
        Binding("f8", "past_imports", _("Past imports"), id="import.past"),
        Binding("delete", "remove_file", _("Remove file"), id="import.remove_file"),
        Binding("ctrl+o", "focus_path", _("Path"), id="import.path", show=False),
        Binding("ctrl+s", "save_mapping", _("Save mapping"), id="import.save_mapping", show=False),
        Binding("ctrl+l", "load_mapping", _("Load mapping"), id="import.load_mapping", show=False),
    ]

    # ------------------------------------------------------------ messages from the worker

    class Progress(Message):
        def __init__(self, rows: int, elapsed: float, total: int | None = None) -> None:
            super().__init__()
            self.rows = rows
            self.elapsed = elapsed
            self.total = total  # a revert's: its steps

    class Done(Message):
        def __init__(
            self,
            kind: str,
            result: Any = None,
            *,
            error: str | None = None,
            stopped: bool = False,
            elapsed: float = 0.0,
        ) -> None:
            super().__init__()
            self.kind = kind
            self.result = result
            self.error = error
            self.stopped = stopped
            self.elapsed = elapsed

    # ------------------------------------------------------------ set-up

    def __init__(self, start_dir: str | Path | None = None) -> None:
        super().__init__()
        self.start_dir = Path(start_dir) if start_dir is not None else Path.cwd()
        self.files: list[FilePreview] = []
        self.running: str | None = None  # "dry", "import" or "revert"
        self.last_import: str | None = None  # the id of the import this screen applied
        self.changed = False  # something was written: the index is reloaded on leaving
        self._stop = threading.Event()
        self._exact_rows: tuple[tuple, int] | None = None
        self._total: int | None = None
        from rolodex.io.headers import Overrides

        self.overrides = Overrides()  # what the user said columns are
        self._shown_file: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(_("Import"), classes="screen-title")
        with Horizontal(id="imp-pick"):
            yield SafeInput(
                placeholder=_("Path of a .csv, .tsv, .txt or .xlsx file · Enter adds it"),
                validators=[ExistingFile()],
                validate_on=["submitted"],
                id="imp-path",
                compact=True,
            )
            yield Button(_("Add"), id="imp-add", compact=True)
        yield Static("", id="imp-message", markup=False)
        with Horizontal(id="imp-main"):
            yield ImportTree(self.start_dir, id="imp-tree")
            with TabbedContent(id="imp-tabs", initial="imp-tab-mapping"):
                with TabPane(_("Mapping"), id="imp-tab-mapping"), Vertical():
                    yield OptionList(id="imp-files")
                    yield Static("", id="imp-file-title", markup=False)
                    table: DataTable = MappingTable(
                        id="imp-mapping", cursor_type="row", zebra_stripes=True
                    )
                    table.add_column(_("Kind"), key="kind")
                    table.add_column(_("Column"), key="header")
                    table.add_column(_("Understood as"), key="meaning")
                    yield table
                    yield Static("", id="imp-notes", markup=False)
                with TabPane(_("Result"), id="imp-tab-result"), VerticalScroll(id="imp-result"):
                    yield Static(
                        _("Run a dry run (F5) to see what the import would do."),
                        id="imp-summary",
                        markup=False,
                    )
                with TabPane(_("Matches"), id="imp-tab-matches"), Vertical():
                    yield Static(
                        _("A dry run (F5) lists here every match, row by row."),
                        id="imp-matches-note",
                        markup=False,
                    )
                    matches: DataTable = DataTable(
                        id="imp-matches", cursor_type="row", zebra_stripes=True
                    )
                    for key, label in (
                        ("row", _("Row")),
                        ("what", _("What")),
                        ("outcome", _("Outcome")),
                        ("record", _("Record")),
                        ("name", _("Name")),
                        ("by", _("Matched by")),
                        ("key", _("Key")),
                        ("other", _("Other record")),
                        ("detail", _("Detail")),
                    ):
                        matches.add_column(label, key=key)
                    yield matches
        with Horizontal(id="imp-options"):
            yield Label(_("Mode"))
            yield Select(
                [(_("upsert"), "upsert"), (_("create"), "create"), (_("update"), "update")],
                value="upsert",
                allow_blank=False,
                id="imp-mode",
                compact=True,
            )
            yield Label(_("Create labels"))
            yield Switch(False, id="imp-labels")
            yield Label(_("Error file"))
            yield SafeInput(
                placeholder=_("(optional) rejected rows go here"), id="imp-errors", compact=True
            )
        with Horizontal(id="imp-options2"):
            yield Label(_("Keep unknown columns"))
            yield Switch(False, id="imp-keep")
            yield Label(_("Mapping file"))
            yield Input(
                placeholder=_("(optional) Ctrl+S saves the mapping here, Ctrl+L loads it"),
                id="imp-mapfile",
                compact=True,
            )
        with Horizontal(id="imp-actions"):
            yield Button(_("Dry run"), id="imp-dry", variant="primary", compact=True)
            yield Button(_("Import"), id="imp-apply", variant="warning", compact=True)
            yield Button(
                _("Revert this import"),
                id="imp-revert",
                variant="error",
                compact=True,
                disabled=True,
            )
            yield Static(_("Add files to import"), id="imp-status", markup=False)
        with Horizontal(id="imp-progress"):
            yield ProgressBar(total=None, show_eta=False, id="imp-bar")
            yield Static("", id="imp-rate", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#imp-path", Input).focus()
        self._refresh_controls()

    def on_unmount(self) -> None:
        self._stop.set()  # a running import rolls back rather than outliving the screen

    # ------------------------------------------------------------ picking files

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.files]

    def _say(self, message: str | None) -> None:
        line = self.query_one("#imp-message", Static)
        line.update(plain(message or ""))
        line.set_class(bool(message), "-shown")

    @on(Input.Submitted, "#imp-path")
    def path_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._add_from_input(event.validation_result)

    @on(Button.Pressed, "#imp-add")
    def add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        field_ = self.query_one("#imp-path", Input)
        self._add_from_input(field_.validate(field_.value))

    def _add_from_input(self, result: ValidationResult | None) -> None:
        field_ = self.query_one("#imp-path", Input)
        if result is not None and not result.is_valid:
            self._say(result.failure_descriptions[0] if result.failure_descriptions else None)
            return
        if self.add_file(str(Path(field_.value.strip()).expanduser())):
            field_.clear()

    @on(DirectoryTree.FileSelected, "#imp-tree")
    def tree_file(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.add_file(str(event.path))

    def add_file(self, path: str) -> bool:
        """Add a file to the list and read its mapping; False when it cannot be added now."""
        if self.running:
            self.notify(_("Wait until the current run ends"), severity="warning")
            return False
        key = os.path.realpath(path)
        for number, existing in enumerate(self.files):
            if os.path.realpath(existing.path) == key:
                self._say(_("{path} is already in the list").format(path=shown(path)))
                self._show_file(number)
                return False
        self._say(None)
        entry = FilePreview(path)
        self.files.append(entry)
        self._exact_rows = None
        self._fill_files(len(self.files) - 1)
        self._load_preview(entry, self._effective_overrides())
        return True

    # ------------------------------------------------------------ changing the mapping

    def _effective_overrides(self) -> Any:
        from rolodex.io.headers import Overrides

        keep = self.query_one("#imp-keep", Switch).value
        return self.overrides.merged(Overrides(keep_unknown=bool(keep)))

    def _reload_previews(self) -> None:
        """Read every file's mapping again (the user changed what columns are)."""
        self._exact_rows = None
        overrides = self._effective_overrides()
        for entry in self.files:
            self._load_preview(entry, overrides)

    def _current_file(self) -> FilePreview | None:
        number = self.query_one("#imp-files", OptionList).highlighted
        if number is None or not 0 <= number < len(self.files):
            return None
        return self.files[number]

    @on(MappingTable.Change, "#imp-mapping")
    def column_change(self, event: MappingTable.Change) -> None:
        event.stop()
        self._change_column(event.row, event.target)

    @on(DataTable.RowSelected, "#imp-mapping")
    def column_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._change_column(event.cursor_row, None)

    def _change_column(self, row: int, target: str | None) -> None:
        entry = self._current_file()
        if self.running or entry is None or not 0 <= row < len(entry.columns):
            return
        header = entry.columns[row][0]
        if target is not None:
            self._set_column(header, target)
            return
        column = entry.mapping[row] if row < len(entry.mapping) else None
        current = self.overrides.get(header) or (column.target() if column is not None else "")

        def chosen(value: str | None) -> None:
            if value:
                self._set_column(header, value)

        self.app.push_screen(ColumnTargetDialog(header, current, entry.targets), chosen)

    def _set_column(self, header: str, target: str) -> None:
        if target == "auto":
            self.overrides.targets.pop(norm_header(header), None)
        else:
            self.overrides.set(header, target)
        self._reload_previews()

    @on(Switch.Changed, "#imp-keep")
    def keep_changed(self, event: Switch.Changed) -> None:
        event.stop()
        self._reload_previews()

    def _mapping_path(self) -> str | None:
        text = self.query_one("#imp-mapfile", Input).value.strip()
        if not text:
            self._say(_("Type the path of a mapping file first"))
            self.query_one("#imp-mapfile", Input).focus()
            return None
        return str(Path(text).expanduser())

    def action_save_mapping(self) -> None:
        from rolodex.io import mapping_file

        path = self._mapping_path()
        if path is None or self.running:
            return
        columns = [c for entry in self.files for c in entry.mapping]
        try:
            mapping_file.save(path, columns, self._effective_overrides().keep_unknown)
        except RolodexError as exc:
            self._say(str(exc))
            return
        self._say(None)
        self._status(_("The mapping was saved to {file}").format(file=shown(path)))

    def action_load_mapping(self) -> None:
        from rolodex.io import mapping_file

        path = self._mapping_path()
        if path is None or self.running:
            return
        try:
            loaded = mapping_file.load(path)
        except RolodexError as exc:
            self._say(str(exc))
            return
        self._say(None)
        self.overrides = loaded
        self.query_one("#imp-keep", Switch).value = loaded.keep_unknown
        self._reload_previews()
        self._status(_("The mapping of {file} is used").format(file=shown(path)))

    @work(thread=True, group="import-preview", exit_on_error=False)
    def _load_preview(self, entry: FilePreview, overrides: Any) -> None:
        try:
            preview = in_connection(lambda: read_preview(entry.path, overrides))
        except Exception as exc:  # a database error while matching headers: one line
            preview = FilePreview(
                entry.path, error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            )
        self.app.call_from_thread(self._preview_loaded, entry, preview)

    def _preview_loaded(self, entry: FilePreview, preview: FilePreview) -> None:
        if entry not in self.files or not self.is_attached:
            return
        entry.columns, entry.notes = preview.columns, preview.notes
        entry.mapped, entry.mapping, entry.targets = (
            preview.mapped,
            preview.mapping,
            preview.targets,
        )
        entry.error, entry.estimate = preview.error, preview.estimate
        number = self.files.index(entry)
        self._fill_files(number)

    def _fill_files(self, highlight: int | None = None) -> None:
        options = self.query_one("#imp-files", OptionList)
        options.clear_options()
        for number, entry in enumerate(self.files):
            if entry.error is not None:
                mark = "✗ "
            elif entry.columns or entry.estimate is not None:
                mark = "✓ "
            else:
                mark = "… "
            options.add_option(Option(Content(mark) + plain(shown(entry.path)), id=f"f{number}"))
        if self.files:
            target = highlight if highlight is not None else (options.highlighted or 0)
            options.highlighted = min(max(target, 0), len(self.files) - 1)
            self._show_file(options.highlighted)
        else:
            self._show_file(None)
        self._refresh_controls()

    @on(OptionList.OptionHighlighted, "#imp-files")
    def file_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_file(event.option_index)

    def _show_file(self, number: int | None) -> None:
        table = self.query_one("#imp-mapping", DataTable)
        title = self.query_one("#imp-file-title", Static)
        notes = self.query_one("#imp-notes", Static)
        # The same file shown again (its mapping changed): the cursor stays on its column.
        keep_row = table.cursor_row if number == self._shown_file else 0
        self._shown_file = number
        table.clear()
        notes.remove_class("-error")
        if number is None or not 0 <= number < len(self.files):
            title.update(plain(_("No file yet: type a path above or pick one in the tree")))
            notes.update("")
            return
        entry = self.files[number]
        title.update(
            plain(
                _(
                    "How the columns of {file} are understood · Enter changes one, s skips, k keeps"
                ).format(file=shown(entry.path))
            )
        )
        for number_, (header, meaning, kind) in enumerate(entry.columns):
            style = KIND_STYLES.get(kind, "")
            mine = number_ < len(entry.mapped) and entry.mapped[number_]
            table.add_row(
                cell(KIND_NAMES.get(kind, kind), style),
                cell(header),
                cell(("✎ " if mine else "") + meaning, style),
            )
        if table.row_count:
            table.move_cursor(row=min(keep_row, table.row_count - 1))
        if entry.error is not None:
            notes.add_class("-error")
            notes.update(plain(entry.error))
        elif entry.notes:
            notes.update(lines_of("• " + note for note in entry.notes))
        elif entry.columns:
            estimate = (
                _("about {n} rows").format(n=entry.estimate) if entry.estimate is not None else ""
            )
            notes.update(plain(estimate))
        else:
            notes.update(plain(_("Reading…")))

    def action_remove_file(self) -> None:
        options = self.query_one("#imp-files", OptionList)
        number = options.highlighted
        if self.running or number is None or not 0 <= number < len(self.files):
            return
        del self.files[number]
        self._exact_rows = None
        self._fill_files(min(number, len(self.files) - 1))

    def action_focus_path(self) -> None:
        self.query_one("#imp-path", Input).focus()

    # ------------------------------------------------------------ state of the controls

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "remove_file":
            return isinstance(self.focused, OptionList) and bool(self.files) and not self.running
        if action in ("dry_run", "apply"):
            return None if (self.running or not self.files) else True
        if action == "revert":
            return None if (self.running or not self.last_import) else True
        if action == "past_imports":
            return None if self.running else True
        return True

    def _refresh_controls(self) -> None:
        idle = self.running is None
        self.query_one("#imp-dry", Button).disabled = not (idle and self.files)
        self.query_one("#imp-apply", Button).disabled = not (idle and self.files)
        self.query_one("#imp-revert", Button).disabled = not (idle and self.last_import)
        self.query_one("#imp-add", Button).disabled = not idle
        self.refresh_bindings()
        if idle and not self.files:
            self._status(_("Add files to import"))
        elif idle and self.last_import is None:
            self._status(
                _("{n} files · F5 dry run · F6 import").format(n=len(self.files))
                if len(self.files) != 1
                else _("1 file · F5 dry run · F6 import")
            )

    def _status(self, text: str) -> None:
        self.query_one("#imp-status", Static).update(plain(text))

    def _options(self) -> tuple[str, bool, str | None] | None:
        """Mode, create labels, error file; None (with a message) when the error file is unusable."""
        mode = self.query_one("#imp-mode", Select).value
        create_labels = self.query_one("#imp-labels", Switch).value
        errors = self.query_one("#imp-errors", Input).value.strip() or None
        if errors is not None:
            target = Path(errors).expanduser()
            inputs = {os.path.realpath(p) for p in self.paths}
            if target.is_dir():
                self._say(_("The error file {path} is a folder").format(path=errors))
                return None
            if not target.parent.is_dir():
                self._say(
                    _("The folder of the error file {path} does not exist").format(path=errors)
                )
                return None
            if os.path.realpath(target) in inputs:
                self._say(_("The error file must not be one of the files being imported"))
                return None
            errors = str(target)
        self._say(None)
        return (
            str(mode) if mode in ("create", "update", "upsert") else "upsert",
            bool(create_labels),
            errors,
        )

    # ------------------------------------------------------------ running

    @on(Button.Pressed, "#imp-dry")
    def dry_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_dry_run()

    @on(Button.Pressed, "#imp-apply")
    def apply_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_apply()

    @on(Button.Pressed, "#imp-revert")
    def revert_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_revert()

    def action_dry_run(self) -> None:
        self._start_import(dry_run=True)

    def action_apply(self) -> None:
        self._start_import(dry_run=False)

    def _start_import(self, *, dry_run: bool) -> None:
        if self.running or not self.files:
            return
        options = self._options()
        if options is None:
            return
        mode, create_labels, errors = options
        paths = list(self.paths)
        overrides = self._effective_overrides()
        key = (tuple(paths), mode, create_labels, repr(overrides))
        if self._exact_rows is not None and self._exact_rows[0] == key:
            self._total = self._exact_rows[1]
        elif all(f.estimate is not None for f in self.files):
            self._total = sum(f.estimate or 0 for f in self.files)
        else:
            self._total = None
        self._begin("dry" if dry_run else "import")
        started = time.monotonic()
        stop = self._stop
        stop.clear()
        last = [started]
        post = self.post_message

        def progress(rows: int) -> None:
            if stop.is_set():
                raise _Stopped
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY:
                last[0] = now
                post(ImportScreen.Progress(rows, now - started))

        def job() -> Any:
            from rolodex.io.importer import run_import

            return run_import(
                paths,
                mode=mode,
                create_labels=create_labels,
                dry_run=dry_run,
                errors=errors,
                progress=progress,
                overrides=overrides,
                collect_report=dry_run,
            )

        self._job("dry" if dry_run else "import", job, key)

    def _begin(self, kind: str) -> None:
        self.running = kind
        self._refresh_controls()
        bar = self.query_one("#imp-bar", ProgressBar)
        bar.update(total=self._total, progress=0)
        self.query_one("#imp-progress").add_class("-shown")
        self.query_one("#imp-rate", Static).update(plain(_("Starting…")))
        self._status(
            {
                "dry": _("Dry run… Esc stops it"),
                "import": _("Importing… Esc stops it (nothing is written)"),
                "revert": _("Reverting… Esc stops it (nothing is changed)"),
            }[kind]
        )

    @work(thread=True, exclusive=True, group="import-run", exit_on_error=False)
    def _job(self, kind: str, fn: Callable[[], Any], key: tuple | None = None) -> None:
        started = time.monotonic()
        try:
            result = in_connection(fn)
        except _Stopped:
            self.post_message(self.Done(kind, stopped=True))
        except RolodexError as exc:
            self.post_message(self.Done(kind, error=str(exc)))
        except Exception as exc:  # a database or driver error: one clear line, no traceback
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.post_message(
                self.Done(kind, error=_("Database error: {error}").format(error=text))
            )
        else:
            self.post_message(self.Done(kind, (result, key), elapsed=time.monotonic() - started))

    @on(Progress)
    def progressed(self, message: Progress) -> None:
        if self.running == "revert" and message.total:
            self.query_one("#imp-bar", ProgressBar).update(
                total=message.total, progress=message.rows
            )
            return
        if self.running not in ("dry", "import"):
            return
        bar = self.query_one("#imp-bar", ProgressBar)
        rows = message.rows
        if self._total is not None and rows > self._total:
            self._total = rows
        bar.update(total=self._total, progress=rows)
        self.query_one("#imp-rate", Static).update(
            plain(self._rate_text(rows, message.elapsed, finished=False))
        )

    def _rate_text(self, rows: int, elapsed: float, *, finished: bool) -> str:
        rate = rows / elapsed if elapsed > 0 else 0.0
        done = _("{n} rows").format(n=rows)
        if rate:
            done += " · " + _("{rate} rows/s").format(rate=int(rate))
        if finished:
            return done + " · " + _("took {time}").format(time=duration(elapsed))
        if self._total is not None and rate > 0:
            left = max(0, self._total - rows) / rate
            return done + " · " + _("about {time} left").format(time=duration(left))
        return done

    @on(Done)
    def finished(self, message: Done) -> None:
        kind = message.kind
        self.running = None
        bar = self.query_one("#imp-bar", ProgressBar)
        rate = self.query_one("#imp-rate", Static)
        summary_box = self.query_one("#imp-summary", Static)
        summary_box.remove_class("-error")
        if message.stopped:
            self.query_one("#imp-progress").remove_class("-shown")
            text = (
                _("Stopped: nothing was changed")
                if kind == "revert"
                else _("Stopped: nothing was written")
            )
            summary_box.update(plain(text))
            self._status(text)
        elif message.error is not None:
            self.query_one("#imp-progress").remove_class("-shown")
            nothing = (
                _("Nothing was reverted; the database is unchanged.")
                if kind == "revert"
                else _("Nothing was imported; the database is unchanged.")
            )
            summary_box.add_class("-error")
            summary_box.update(lines_of(["✗ " + message.error, nothing]))
            self._status(_("Failed: see the Result tab"))
            self.notify(message.error, title=_("Import"), severity="error", markup=False)
        elif kind == "revert":
            self.query_one("#imp-progress").remove_class("-shown")
            result, _key = message.result
            self.last_import = None
            self.changed = True
            summary_box.update(lines_of(result.lines()))
            self._status(_("Import {id} was reverted").format(id=result.import_id))
        else:
            summary, key = message.result
            rows = summary.rows
            bar.update(total=max(rows, 1), progress=max(rows, 1))
            rate.update(plain(self._rate_text(rows, message.elapsed, finished=True)))
            summary_box.update(lines_of(self._summary_lines(summary)))
            self._show_matches(summary)
            if kind == "dry":
                self._exact_rows = (key, rows)
                self._status(_("Dry run done: nothing was written · F6 imports"))
            else:
                self.last_import = summary.import_id
                self.changed = True
                self._exact_rows = None
                self._status(_("Imported as {id} · F7 reverts it").format(id=summary.import_id))
        self.query_one("#imp-tabs", TabbedContent).active = "imp-tab-result"
        self._refresh_controls()

    def _show_matches(self, summary: Any) -> None:
        """The dry run's match report as a table (its first lines, when there are many)."""
        report = getattr(summary, "report", None)
        if report is None:
            return
        table = self.query_one("#imp-matches", DataTable)
        table.clear()
        styles = {"rejected": "bold", "wait": "italic", "linked already": "dim"}
        multi = len(self.files) > 1
        for line in report.kept:
            style = styles.get(line.outcome, "")
            where = f"{Path(line.source).name}:{line.row}" if multi else str(line.row)
            table.add_row(
                cell(where),
                cell(line.what),
                cell(line.outcome, style),
                cell(line.record),
                cell(line.name),
                cell(line.matched_by),
                cell(line.key),
                cell(line.other),
                cell(line.detail),
            )
        note = self.query_one("#imp-matches-note", Static)
        if report.count > len(report.kept):
            note.update(
                plain(
                    _("The first {n} of {total} matches").format(
                        n=len(report.kept), total=report.count
                    )
                )
            )
        else:
            note.update(plain(_("{n} matches").format(n=report.count)))

    def _summary_lines(self, summary: Any) -> list[str]:
        lines = list(summary.lines())
        if summary.warnings:
            lines.append("")
            lines.append(_("Notes:"))
            lines.extend("  • " + warning for warning in summary.warnings)
        if summary.rejected:
            lines.append("")
            if summary.first_rejection:
                lines.append(
                    _("First rejected row: {message}").format(message=summary.first_rejection)
                )
            if summary.error_files:
                for written in summary.error_files:
                    lines.append(_("Rejected rows were written to {file}").format(file=written))
            else:
                lines.append(_("Give an error file to get every rejected row with its reason"))
        if summary.dry_run and summary.report is not None:
            lines.append("")
            lines.append(_("Every match, row by row, is in the Matches tab"))
        if not summary.dry_run:
            lines.append("")
            lines.append(_("Undo it with Revert this import (F7)"))
        return lines

    # ------------------------------------------------------------ revert

    def action_revert(self) -> None:
        import_id = self.last_import
        if self.running or not import_id:
            return

        def confirmed(yes: bool | None) -> None:
            if yes and self.last_import == import_id and not self.running:
                self._start_revert(import_id)

        self.app.push_screen(
            ConfirmDialog(
                _("Revert import {id}?").format(id=import_id),
                _(
                    "What it added goes (the records it created to the recycle bin) and "
                    "what it changed gets its earlier value back, except what was changed "
                    "since: that is kept and listed."
                ),
                _("Revert"),
            ),
            confirmed,
        )

    def _start_revert(self, import_id: str) -> None:
        from rolodex.io.revert import revert_import

        self._total = None
        self._begin("revert")
        started = time.monotonic()
        stop = self._stop
        stop.clear()
        last = [started]
        post = self.post_message

        def progress(done: int, total: int) -> None:
            if stop.is_set():
                raise _Stopped
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY:
                last[0] = now
                post(ImportScreen.Progress(done, now - started, total))

        self._job("revert", lambda: revert_import(import_id, progress=progress))

    def action_past_imports(self) -> None:
        """The list of past imports, any of which can be reverted."""
        if self.running:
            return
        from rolodex.ui.screens.imports import PastImportsScreen

        def back(_result: object) -> None:
            self.last_import = None  # it may have been reverted there
            self._refresh_controls()

        self.app.push_screen(PastImportsScreen(), back)

    # ------------------------------------------------------------ leaving

    def action_back(self) -> None:
        if self.running:
            self._stop.set()
            self._status(_("Stopping…"))
            return
        if self.changed:
            refresh = getattr(self.app, "refresh_index", None)
            if callable(refresh):
                refresh()
        self.app.pop_screen()


__all__ = ["ImportScreen", "read_preview"]
