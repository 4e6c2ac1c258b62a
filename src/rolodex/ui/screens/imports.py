"""Past imports: each with what it did; any can be reverted (Enter or F7), with progress.

The revert (``rolodex.io.revert``) runs in a thread worker with its own connection, in
one transaction: Esc while it runs stops it and nothing changes. What later work
touched is kept; the result lists it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, ProgressBar, Static

from rolodex.crm.errors import RolodexError
from rolodex.i18n import _
from rolodex.ui.base import connected as in_connection
from rolodex.ui.modals.common import ConfirmDialog
from rolodex.ui.text import cell, when
from rolodex.ui.text import shown as plain
from rolodex.ui.widgets.footer import KeyFooter

PROGRESS_EVERY = 0.25  # seconds between progress messages
SHOWN_KEPT = 200  # lines of "kept" shown; the count says how many there are


class _Stopped(Exception):
    """Raised from the progress callback: the revert's transaction rolls back."""


class PastImportsScreen(Screen):
    DEFAULT_CSS = """
    PastImportsScreen #past-table { height: 1fr; }
    PastImportsScreen #past-result { height: auto; max-height: 40%; padding: 0 1; }
    PastImportsScreen #past-result.-error { color: $error; }
    PastImportsScreen #past-progress { height: 1; display: none; }
    PastImportsScreen #past-progress.-shown { display: block; }
    PastImportsScreen #past-bar { width: auto; padding: 0 1; }
    PastImportsScreen #past-status { width: 1fr; height: 1; }
    """

    BINDINGS = [
        Binding("escape", "back", _("Back"), id="imports.back"),
        Binding("f7", "revert", _("Revert"), id="imports.revert"),
        Binding("ctrl+r", "reload", _("Reload"), id="imports.reload", show=False),
    ]

    class Loaded(Message):
        def __init__(self, imports: list[Any]) -> None:
            super().__init__()
            self.imports = imports

    class Progress(Message):
        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

    class Done(Message):
        def __init__(
            self, result: Any = None, *, error: str | None = None, stopped: bool = False
        ) -> None:
            super().__init__()
            self.result = result
            self.error = error
            self.stopped = stopped

    def __init__(self) -> None:
        super().__init__()
        self.imports: list[Any] = []
        self.running: str | None = None  # the id of the import being reverted
        self.changed = False
        self._stop = threading.Event()

    def compose(self) -> ComposeResult:
        yield Static(_("Past imports"), classes="screen-title")
        table: DataTable = DataTable(id="past-table", cursor_type="row", zebra_stripes=True)
        for key, label in (
            ("id", _("Import")),
            ("started", _("Started")),
            ("by", _("By")),
            ("rows", _("Rows")),
            ("created", _("Created")),
            ("updated", _("Updated")),
            ("links", _("Associations")),
            ("rejected", _("Rejected")),
            ("reverted", _("Reverted")),
            ("files", _("Files")),
        ):
            table.add_column(label, key=key)
        yield table
        with VerticalScroll(id="past-result"):
            yield Static(
                _("Enter or F7 reverts the highlighted import"), id="past-summary", markup=False
            )
        with Horizontal(id="past-progress"):
            yield ProgressBar(total=None, show_eta=False, id="past-bar")
            yield Static("", id="past-status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#past-table", DataTable).focus()
        self.action_reload()

    def on_unmount(self) -> None:
        self._stop.set()  # a running revert rolls back rather than outliving the screen

    # ------------------------------------------------------------ the list

    def action_reload(self) -> None:
        if not self.running:
            self._load()

    @work(thread=True, exclusive=True, group="past-load", exit_on_error=False)
    def _load(self) -> None:
        from rolodex.io.revert import list_imports

        try:
            found = in_connection(list_imports)
        except Exception as exc:  # a database error: one line
            self.post_message(self.Done(error=str(exc).splitlines()[0] if str(exc) else ""))
            return
        self.post_message(self.Loaded(found))

    @on(Loaded)
    def loaded(self, message: Loaded) -> None:
        self.imports = message.imports
        table = self.query_one("#past-table", DataTable)
        keep = table.cursor_row
        table.clear()
        for item in self.imports:
            counts = item.counts()
            files = ", ".join(item.files)
            table.add_row(
                cell(item.id),
                cell(when(item.started_at)),
                cell(item.actor),
                cell(str(counts["rows"])),
                cell(str(counts["created"])),
                cell(str(counts["updated"])),
                cell(str(counts["associations"])),
                cell(str(counts["rejected"])),
                cell(when(item.reverted_at) if item.reverted_at else ""),
                cell(files),
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        else:
            self.query_one("#past-summary", Static).update(plain(_("No imports yet")))
        self.refresh_bindings()

    def _highlighted(self) -> Any:
        table = self.query_one("#past-table", DataTable)
        if not self.imports or not 0 <= table.cursor_row < len(self.imports):
            return None
        return self.imports[table.cursor_row]

    # ------------------------------------------------------------ reverting

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "revert":
            item = self._highlighted()
            return None if (self.running or item is None or item.reverted_at) else True
        return True

    @on(DataTable.RowSelected, "#past-table")
    def selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_revert()

    def action_revert(self) -> None:
        item = self._highlighted()
        if self.running or item is None:
            return
        if item.reverted_at:
            self.notify(_("This import was reverted already"), severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes and not self.running:
                self._start(item.id)

        self.app.push_screen(
            ConfirmDialog(
                _("Revert import {id}?").format(id=item.id),
                _(
                    "What it added goes (the records it created to the recycle bin) and "
                    "what it changed gets its earlier value back, except what was changed "
                    "since: that is kept and listed."
                ),
                _("Revert"),
            ),
            confirmed,
        )

    def _start(self, import_id: str) -> None:
        self.running = import_id
        self._stop.clear()
        self.query_one("#past-progress").add_class("-shown")
        self.query_one("#past-bar", ProgressBar).update(total=None, progress=0)
        self.query_one("#past-status", Static).update(
            plain(_("Reverting {id}… Esc stops it (nothing is changed)").format(id=import_id))
        )
        self.refresh_bindings()
        self._revert(import_id)

    @work(thread=True, exclusive=True, group="past-revert", exit_on_error=False)
    def _revert(self, import_id: str) -> None:
        from rolodex.io.revert import revert_import

        stop = self._stop
        last = [0.0]
        post = self.post_message

        def progress(done: int, total: int) -> None:
            if stop.is_set():
                raise _Stopped
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY or done >= total:
                last[0] = now
                post(PastImportsScreen.Progress(done, total))

        try:
            result = in_connection(lambda: revert_import(import_id, progress=progress))
        except _Stopped:
            self.post_message(self.Done(stopped=True))
        except RolodexError as exc:
            self.post_message(self.Done(error=str(exc)))
        except Exception as exc:  # a database or driver error: one clear line, no traceback
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.post_message(self.Done(error=_("Database error: {error}").format(error=text)))
        else:
            self.post_message(self.Done(result))

    @on(Progress)
    def progressed(self, message: Progress) -> None:
        if self.running:
            self.query_one("#past-bar", ProgressBar).update(
                total=max(message.total, 1), progress=message.done
            )

    @on(Done)
    def finished(self, message: Done) -> None:
        self.running = None
        self.query_one("#past-progress").remove_class("-shown")
        summary = self.query_one("#past-summary", Static)
        summary.remove_class("-error")
        if message.stopped:
            summary.update(plain(_("Stopped: nothing was changed")))
        elif message.error is not None:
            summary.add_class("-error")
            summary.update(plain("✗ " + message.error))
        else:
            self.changed = True
            lines = message.result.lines()
            head = len(lines) - len(message.result.kept)
            if len(message.result.kept) > SHOWN_KEPT:
                lines = lines[: head + SHOWN_KEPT] + [
                    _("    … and {n} more").format(n=len(message.result.kept) - SHOWN_KEPT)
                ]
            summary.update(Content("\n").join(plain(line) for line in lines))
        self.refresh_bindings()
        self._load()

    def action_back(self) -> None:
        if self.running:
            self._stop.set()
            return
        if self.changed:
            refresh = getattr(self.app, "refresh_index", None)
            if callable(refresh):
                refresh()
        self.app.pop_screen()


__all__ = ["PastImportsScreen"]
