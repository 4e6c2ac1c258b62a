"""The Rolodex TUI: opens on the Contacts index; one key per object index.

The app owns what is shared: themes and keys, the watcher that learns of commits by
anyone (published to every view as the ``database_changed`` signal), opening records,
and the one place where errors of database work become a message on screen.
"""

from __future__ import annotations

import gc
import importlib
import io
import os
import pkgutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TextIO, cast

import platformdirs
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.signal import Signal
from textual.worker import Worker, get_current_worker

from rolodex.crm import activities, changes, index, session, views
from rolodex.crm.context import Context, new_batch, user
from rolodex.crm.errors import RolodexError
from rolodex.i18n import _, ngettext
from rolodex.textsafety import visible
from rolodex.ui.base import flow, in_thread, release_rendered_lines, report_failure
from rolodex.ui.commands import RecordsProvider, help_markup
from rolodex.ui.config import Settings, default_config_dir, load_settings
from rolodex.ui.messages import DataChanged, OpenRecord, ShowIndex
from rolodex.ui.modals.common import ChoiceDialog
from rolodex.ui.modals.help import HelpDialog
from rolodex.ui.screens.index import IndexScreen
from rolodex.ui.signals import end_on_signals, resume_only_after_a_stop
from rolodex.ui.textual_words import textual_words
from rolodex.ui.themes import (
    DEFAULT_THEME,
    FALLBACK,
    load_themes,
    resolve_name,
    shown_name,
)
from rolodex.ui.themes import themes_dir as shipped_themes_dir

if TYPE_CHECKING:
    from rolodex.crm.saved_views import SavedView

MAX_INDEX_KEYS = 9
SESSION_CHANGES = 200  # how many of this session's changes ctrl+z can go back through
# What F1 calls the focused area, by widget class.
AREAS = {
    "VirtualTable": _("the table"),
    "LineList": _("the list"),
    "CardList": _("the association cards"),
    "Input": _("the text box"),
    "TextArea": _("the text field"),
    "Tree": _("the tree"),
    "Button": _("the button"),
    "SelectionList": _("the pick list"),
    "OptionList": _("the list"),
    "DataTable": _("the table"),
    "Select": _("the choice"),
    "EmptyIndex": _("the empty index"),
}


def known_binding_ids() -> set[str]:
    """The id of every binding of every screen, dialog and widget of the app (each of
    its modules imported: run off the main thread)."""
    from textual.dom import DOMNode

    import rolodex.ui

    for module in pkgutil.walk_packages(rolodex.ui.__path__, "rolodex.ui."):
        importlib.import_module(module.name)
    found: set[str] = set()
    pending: list[type] = [DOMNode]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        for binding in cls.__dict__.get("BINDINGS", ()):
            binding_id = getattr(binding, "id", None)
            if binding_id:
                found.add(binding_id)
    return found


SETTLE_BEFORE_COLLECTING = 0.1  # seconds after a screen's first paint


class Palette(CommandPalette):
    """Textual's command palette, letting its rendered lines go when it closes."""

    def on_screen_suspend(self) -> None:
        release_rendered_lines(self)


class DatabaseChanged(Message):
    """Someone (another process, or this one) committed a change."""


class RolodexApp(App):
    CSS_PATH = "rolodex.tcss"
    TITLE = "Rolodex"
    COMMANDS = App.COMMANDS | {RecordsProvider}
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", _("Quit"), id="app.quit", priority=True),
        Binding("f1", "help", _("Help"), id="app.help"),
        Binding("ctrl+p", "command_palette", _("Commands"), id="app.palette", show=False),
        Binding("f2", "labels", _("Labels"), id="app.labels", show=False),
        Binding("f3", "recycle_bin", _("Recycle bin"), id="app.recycle_bin", show=False),
        Binding("f4", "pick_theme", _("Theme"), id="app.theme", show=False),
        Binding("f5", "import_files", _("Import"), id="app.import", show=False),
        Binding("f6", "export", _("Export"), id="app.export", show=False),
        Binding("ctrl+z", "undo_last", _("Undo last change"), id="app.undo", show=False),
    ]
    BINDINGS += [
        Binding(
            str(n),
            f"show_index({n})",
            _("Object {n}").format(n=n),
            id=f"app.index_{n}",
            show=False,
        )
        for n in range(1, MAX_INDEX_KEYS + 1)
    ]

    # Set when the database became unusable (a damaged file...): run_app prints it.
    fatal_message: str | None = None

    def __init__(
        self,
        *,
        config_dir: Path | None = None,
        themes_dir: Path | None = None,
        start_type: str = "contact",
        live_refresh: bool = True,
        theme: str | None = None,
        view_file: Path | None = None,
        before_leaving: Callable[[], None] = lambda: None,
    ) -> None:
        self.config_dir = config_dir or default_config_dir()
        self._before_leaving = before_leaving  # on a signal, if the end must be forced
        self.settings = load_settings(self.config_dir, view_file=view_file)
        if self.settings.activity_rules is not None:
            activities.use_default_rules(self.settings.activity_rules)
        # The shipped themes, then the user's own (beside config.toml), which win.
        self._theme_files = load_themes(
            themes_dir or shipped_themes_dir(), self.settings.themes_dir
        )
        self._wanted_theme = theme or self.settings.theme
        self._start_type = start_type
        self._live_refresh = live_refresh
        self._theme_ready = False
        super().__init__()
        # Every view subscribes: published when anyone commits (see _watch_database).
        self.database_changed: Signal[None] = Signal(self, "database-changed")
        # The batches of the association changes made in this session, oldest first:
        # ctrl+z undoes the newest (remember_change, action_undo_last).
        self.session_changes: list[str] = []

    # ------------------------------------------------------------------ start

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """Variables a theme file may leave out (Textual's own CSS needs them for ANSI themes)."""
        return {
            **super().get_theme_variable_defaults(),
            "ansi-background": "ansi_black",
            "ansi-foreground": "ansi_white",
        }

    def get_default_screen(self) -> Screen:
        return IndexScreen(self._start_type)

    def on_ready(self) -> None:
        # What start-up made (modules, Textual's styles, themes: ~70,000 objects) lives
        # as long as the app: out of the collector's full passes, which otherwise walk
        # it all each time (25-40 ms, now and then inside a keypress).
        gc.freeze()

    def on_mount(self) -> None:
        if self._live_refresh:
            self._watch_database()
        self._end_on_signals()
        self.register_theme(FALLBACK)
        for theme_file in self._theme_files:
            if theme_file.theme is not None:
                self.register_theme(theme_file.theme)
        wanted = self._wanted_theme
        chosen = resolve_name(wanted, self.theme_names()) if wanted else None
        self.theme = chosen or DEFAULT_THEME
        self._theme_ready = True
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        problems = [t.problem for t in self._theme_files if t.problem] + self.settings.problems
        if wanted and chosen is None:
            problems.append(
                _("Theme '{name}' is not available; using {fallback} (themes: {names})").format(
                    name=wanted,
                    fallback=shown_name(DEFAULT_THEME),
                    names=", ".join(shown_name(n) for n in self.theme_names()),
                )
            )
        for problem in problems:
            self.notify(problem, severity="warning", timeout=8)
        if self.settings.keymap:
            self._check_keymap(dict(self.settings.keymap))

    @work(thread=True, group="keymap", exit_on_error=False)
    def _check_keymap(self, keymap: dict[str, str]) -> None:
        """Report keymap entries that name no binding, once, after the first screen."""
        unknown = sorted(set(keymap) - known_binding_ids())
        if unknown:
            self.call_from_thread(
                self.notify,
                _("Keymap in {path}: no binding has the id {ids} (F1 lists the ids)").format(
                    path=self.settings.path, ids=", ".join(unknown)
                ),
                severity="warning",
                timeout=10,
            )

    def _end_on_signals(self) -> None:
        """A hang-up or SIGTERM ends the app as ctrl+q does, so everything that runs at
        exit runs (the demo's scratch copy goes); see ``rolodex.ui.signals``."""
        resume_only_after_a_stop()
        end_on_signals(lambda code: self.exit(return_code=code), self._before_leaving)

    def watch_theme(self, theme: str) -> None:
        if not getattr(self, "_theme_ready", False) or theme == self.settings.theme:
            return
        self.settings.theme = theme
        self.settings.overridden.pop("theme", None)  # chosen here: remembered
        problem = self.settings.save()
        if problem:
            self.notify(problem, severity="warning")

    # ------------------------------------------------------------------ text and errors

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification passes the TUI's text exit: never markup, never a raw
        control or bidi character, whatever it quotes."""
        super().notify(
            visible(str(message)),
            title=visible(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def report_error(self, error: BaseException) -> None:
        """The one place where a failed piece of database work becomes a message."""
        if isinstance(error, RolodexError):
            self.notify(str(error), severity="error")
        elif isinstance(error, session.DatabaseError):
            message = session.explain(error)
            if session.is_fatal(error):
                self.stop_on_fatal(message)
            else:
                self.notify(message, severity="error")
        else:
            self.log.error(f"unexpected error in a worker: {error!r}")
            self.notify(
                _("Unexpected error: {error}").format(error=f"{type(error).__name__}: {error}"),
                severity="error",
            )

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)

    def stop_on_fatal(self, message: str) -> None:
        """The database cannot be used any more: leave, and let run_app say why."""
        if self.fatal_message is None:
            self.fatal_message = message
            self.exit(return_code=2)

    # ------------------------------------------------------------------ live refresh

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def _watch_database(self) -> None:
        """Poll for commits by anyone (another person, another process); announce them."""
        from rolodex.crm.changes import POLL_INTERVAL, ChangeWatcher

        worker = get_current_worker()
        try:
            watcher = ChangeWatcher()
        except Exception:  # no watcher, no live refresh: views still reload after own writes
            return
        try:
            while not worker.is_cancelled:
                time.sleep(POLL_INTERVAL)
                try:
                    changed = watcher.poll()
                except Exception:  # a dropped connection: try again next round
                    continue
                if changed and not worker.is_cancelled:
                    self.post_message(DatabaseChanged())
        finally:
            watcher.close()

    @on(DatabaseChanged)
    @on(DataChanged)
    def database_was_changed(self) -> None:
        """Every cache is dropped (labels, objects created by a colleague appear) and every
        open view re-reads what it shows, keeping its cursor and scroll position."""
        changes.invalidate_caches()
        self.database_changed.publish(None)

    # ------------------------------------------------------------------ undo

    def remember_change(self, ctx: Context) -> Context:
        """A change about to be made here: it gets a batch of its own, kept for ctrl+z.
        (Batches, not history ids: a transaction retried or refused leaves no rows, and
        ids it took may be another writer's later.)"""
        batch = new_batch("ui")
        self.session_changes.append(batch)
        del self.session_changes[:-SESSION_CHANGES]
        return replace(ctx, batch=batch)

    @flow("undo")
    async def action_undo_last(self) -> None:
        """Undo the newest association change made in this session (all its rows); each
        press goes one change further back."""
        from rolodex.crm import undo

        while self.session_changes:
            batch = self.session_changes.pop()
            try:
                if not await in_thread(self, partial(undo.batch_rows, batch)):
                    continue  # it was refused, or changed nothing
                done = await in_thread(self, partial(undo.undo_batch, batch, user()))
            except RolodexError as exc:
                self.notify(str(exc), severity="error")
                return
            except session.DatabaseError as exc:
                self.report_error(exc)
                return
            if len(done) == 1:
                self.notify(
                    _("Undone: {a} and {b} are as they were before").format(
                        a=done[0].a_ref, b=done[0].b_ref
                    )
                )
            else:
                self.notify(
                    ngettext(
                        "Undone: {n} association is as it was before",
                        "Undone: {n} associations are as they were before",
                        len(done),
                    ).format(n=len(done))
                )
            self.post_message(DataChanged())
            return
        self.notify(_("Nothing to undo: no association change was made in this session"))

    # ------------------------------------------------------------------ navigation

    @property
    def index_screen(self) -> IndexScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, IndexScreen)
        return screen

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_index":
            if isinstance(self.screen, ModalScreen):
                return False
            types = self.index_screen.types
            number = int(str(parameters[0])) if parameters else 0
            return bool(types) and 1 <= number <= len(types)
        modal = isinstance(self.screen, ModalScreen)
        return not (
            modal
            and action
            in ("labels", "recycle_bin", "pick_theme", "import_files", "export", "undo_last")
        )

    def action_show_index(self, number: int) -> None:
        types = self.index_screen.types
        if 1 <= number <= len(types):
            self.go_to_type(types[number - 1].key)

    @on(ShowIndex)
    def show_index(self, message: ShowIndex) -> None:
        self.go_to_type(message.type_key)

    def go_to_view(self, view: SavedView) -> None:
        """A saved view of config.toml (``[views.NAME]``) from the palette."""
        from rolodex.crm.saved_views import object_of

        try:
            info = object_of(view)
        except RolodexError as exc:
            self.notify(str(exc), severity="error")
            return
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.index_screen.show_view(info.key, view.filter, view.sort)

    def go_to_type(self, type_key: str) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.index_screen.show_type(type_key)

    @on(OpenRecord)
    def open_record_message(self, message: OpenRecord) -> None:
        self.open_record(message.record_id)

    @flow("open-record")
    async def open_record(self, record_id: int) -> None:
        """Read the record in a worker, then push its screen built in one pass."""
        from rolodex.ui.screens.record import RecordScreen

        try:
            data = await in_thread(self, lambda: views.record_view(record_id))
        except RolodexError as exc:
            self.notify(str(exc), severity="error")
            return
        except session.DatabaseError as exc:
            self.report_error(exc)
            return
        self.collect_garbage_after_paint()
        await self.push_screen(RecordScreen(data))

    def collect_garbage_after_paint(self) -> None:
        """Hold Python's garbage collector until the screen is painted and settled.

        A collection in the middle of building a screen added about 100 ms to one
        keypress in three (Textual pauses the collector while scrolling for the same
        reason). Re-enabled at the first paint, the collection (~20 ms) ran at once and
        held back the frame after it (scrollbars, drawn once the layout knows the
        content overflows) in one open in two; a tenth of a second later it runs
        while the person reads.
        """
        if gc.isenabled():
            gc.disable()
            self.call_after_refresh(self.set_timer, SETTLE_BEFORE_COLLECTING, gc.enable)
            self.set_timer(1.0, gc.enable)  # whatever happens to that refresh

    def action_labels(self) -> None:
        from rolodex.ui.screens.admin import LabelsScreen

        self.push_screen(LabelsScreen())

    def action_recycle_bin(self) -> None:
        from rolodex.ui.screens.admin import RecycleBinScreen

        self.push_screen(RecycleBinScreen())

    def action_import_files(self) -> None:
        from rolodex.ui.screens.import_screen import ImportScreen

        def imported(_result: object) -> None:
            self.post_message(DataChanged())

        self.push_screen(ImportScreen(), imported)

    @flow("app-dialog")
    async def action_export(self) -> None:
        """The record on screen as a vCard, or the index's records (its filter and sort
        kept): contacts as vCards, other objects as CSV in the import shape."""
        from rolodex.ui.modals import export as export_plan
        from rolodex.ui.modals.export import ExportDialog
        from rolodex.ui.screens.record import RecordScreen

        screen = self.screen
        if isinstance(screen, RecordScreen):
            record = screen.data.record
            if record.type != "contact":
                self.notify(
                    _("A record exports as a vCard when it is a contact; export its index instead"),
                    severity="warning",
                )
                return
            plan = export_plan.record_export(record.id, record.label)
        elif isinstance(screen, IndexScreen):
            plan = export_plan.index_export(
                screen.type_key, screen.filter_text, screen.sort, screen.ticks
            )
        else:
            return
        count = await self.push_screen_wait(ExportDialog(plan.what, plan.suggested, plan.write))
        if count is not None:
            self.notify(
                ngettext(
                    "Exported {n} record to {file}", "Exported {n} records to {file}", count
                ).format(n=count, file=plan.written_to or plan.suggested)
            )

    def theme_names(self) -> list[str]:
        """Rolodex's themes: the built-in fallback and every theme file that loaded."""
        names = {FALLBACK.name} | {t.theme.name for t in self._theme_files if t.theme is not None}
        return sorted(names, key=lambda name: shown_name(name).casefold())

    @flow("app-dialog")
    async def action_pick_theme(self) -> None:
        options = [
            (name, ("● " if name == self.theme else "  ") + shown_name(name))
            for name in self.theme_names()
        ]
        name = await self.push_screen_wait(ChoiceDialog(_("Theme"), options, current=self.theme))
        if name:
            self.theme = name

    # ------------------------------------------------------------------ help and commands

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(Palette(id="--command-palette"))

    def action_help(self) -> None:
        if isinstance(self.screen, HelpDialog):
            return
        focused = self.screen.focused
        area_class = type(focused).__name__ if focused is not None else type(self.screen).__name__
        area = AREAS.get(area_class, _("this screen"))
        rows = []
        seen = set()
        words = textual_words()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.description or (binding.action, key) in seen:
                continue
            seen.add((binding.action, key))
            description = words.get(binding.description, binding.description)
            rows.append((self.get_key_display(binding), description, binding.id or ""))
        rows.sort(key=lambda row: not row[2])  # Rolodex's own (remappable) keys first
        self.push_screen(HelpDialog(area, rows, self.config_dir))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for info in self.index_screen.types or index.index_types():
            # Textual reads a command's title and help as markup: they are shown literally.
            yield SystemCommand(
                help_markup(_("Go to {plural}").format(plural=info.shown_plural)),
                help_markup(
                    _("Open the index of {plural}").format(plural=info.shown_plural.lower())
                ),
                lambda key=info.key: self.go_to_type(key),
            )
        for view in self.settings.views:
            yield SystemCommand(
                help_markup(_("View: {name}").format(name=view.name)),
                help_markup(
                    _("{object}: {filter} (a saved view of config.toml)").format(
                        object=view.object, filter=view.filter
                    )
                ),
                lambda view=view: self.go_to_view(view),
            )
        from rolodex.ui.screens.record import RecordScreen

        if isinstance(screen, RecordScreen):
            yield SystemCommand(
                _("Hierarchy of this record"),
                _("The company group or org chart around it, with counts (t)"),
                screen.action_tree,
            )
        yield SystemCommand(
            _("Undo the last change"),
            _("Your newest association change in this session (ctrl+z)"),
            self.action_undo_last,
        )
        yield SystemCommand(
            _("Labels & limits"), _("Create labels, set limits"), self.action_labels
        )
        yield SystemCommand(_("Recycle bin"), _("Restore deleted records"), self.action_recycle_bin)
        yield SystemCommand(
            _("Import CSV files"), _("Dry run, import, revert"), self.action_import_files
        )
        for name in self.theme_names():
            yield SystemCommand(
                _("Theme: {name}").format(name=shown_name(name)),
                _("Switch the colours (remembered)"),
                lambda name=name: setattr(self, "theme", name),
            )
        yield SystemCommand(_("Help"), _("Keys of the focused area"), self.action_help)
        yield SystemCommand(_("Quit"), _("Leave Rolodex"), self.exit)


class CrashLog(io.TextIOBase):
    """Where Textual writes the traceback of an unexpected error: a file made on the
    first write only, so a normal run leaves nothing behind."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._handle: io.TextIOBase | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("w", encoding="utf-8")  # type: ignore[assignment]
        assert self._handle is not None
        return self._handle.write(text)

    def flush(self) -> None:
        if self._handle is not None:
            self._handle.flush()

    @property
    def written(self) -> bool:
        return self._handle is not None


def crash_log_path() -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path(platformdirs.user_log_dir("rolodex")) / f"crash-{stamp}-{os.getpid()}.log"


def run_app(
    db_target: str | None,
    theme: str | None = None,
    *,
    before_leaving: Callable[[], None] = lambda: None,
) -> int:
    """Open the database and run the TUI; returns the exit code: 0, or 2 after one
    ``rolodex: error: ...`` line (a database that cannot be used, before or after the
    screen is up; an unexpected crash, whose traceback goes to a log file it names).
    ``before_leaving`` runs if a signal's end has to be forced (rolodex.ui.signals)."""
    from rich.console import Console

    from rolodex.crm.session import DatabaseOpenError, open_session

    def fail(message: str) -> int:
        print(_("rolodex: error: {message}").format(message=visible(message)), file=sys.stderr)
        return 2

    under_serve = bool(os.environ.get("TEXTUAL_DRIVER"))
    if not under_serve and not (sys.stdin.isatty() and sys.stdout.isatty()):
        return fail(
            _(
                "the app needs a terminal; to script Rolodex use its commands "
                "(rolodex --help lists them)"
            )
        )
    try:
        open_session(db_target)
    except DatabaseOpenError as exc:
        return fail(str(exc))
    app = RolodexApp(theme=theme, before_leaving=before_leaving)
    log = CrashLog(crash_log_path())
    app.error_console = Console(file=cast(TextIO, log), markup=False, highlight=False, width=120)
    app.run()
    if app.fatal_message:
        return fail(app.fatal_message)
    if app.return_code and app.return_code > 128:  # ended by a signal (rolodex.ui.signals)
        return app.return_code
    if app.return_code:
        log.flush()
        if log.written:
            return fail(
                _("the app stopped after an unexpected error; the details are in {path}").format(
                    path=log.path
                )
            )
        return fail(_("the app stopped after an unexpected error"))
    return 0


__all__ = ["RolodexApp", "Settings", "run_app"]
