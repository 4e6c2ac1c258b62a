"""What every screen and dialog of the app shares: database work in thread workers,
one handler for their errors, and live refresh that cannot die.

- Database work runs in ``@work(thread=True)`` methods (or ``in_thread`` from a flow),
  each with a pooled connection (``connected``); results come back as messages.
- A worker that fails reaches ``on_worker_state_changed`` once: a RolodexError is shown
  as one notification, a fatal database fault stops the app with one line.
- Views subscribe to the app's "database changed" signal; a refresh that fails is
  logged and tried again on the next change, and a view still being built is refreshed
  once it is ready.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from textual import events, log, on, work
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerFailed, WorkerState

from rolodex.crm import session
from rolodex.crm.context import Context
from rolodex.i18n import _

T = TypeVar("T")
AWAITED = "awaited"  # workers whose errors their caller handles (see in_thread)
FLOW = "flow"  # async workers that read top to bottom, awaiting dialogs and database work


def flow(group: str) -> Any:
    """``@work`` for a multi-step flow: one at a time per group; it awaits its dialogs
    (``push_screen_wait``) and its database work (``in_thread``)."""
    return work(exclusive=True, group=group, name=FLOW, exit_on_error=False)


def connected(fn: Callable[[], T]) -> T:
    """Run ``fn`` with a pooled connection, given back (warm) afterwards."""
    with session.thread_connection():
        return fn()


async def in_thread(node: DOMNode, fn: Callable[[], T], *, group: str = "db") -> T:
    """Run ``fn`` in a thread worker and wait for it (for a flow that reads top to bottom);
    its exception, if any, is raised here for the flow to handle."""
    worker: Worker[T] = node.run_worker(
        lambda: connected(fn), thread=True, group=group, name=AWAITED, exit_on_error=False
    )
    try:
        return await worker.wait()
    except WorkerFailed as failed:
        raise failed.error from None


def ask(app: App, dialog: ModalScreen[T]) -> asyncio.Future[T]:
    """Push ``dialog`` now, from the key's own handler, and return its answer to await.

    Pushed at once, the dialog is the screen the next key goes to: a person who types
    "a" and goes straight on typing the search types into the dialog, not into the
    screen underneath (a flow's own push_screen_wait comes a moment later)."""
    answer: asyncio.Future[T] = asyncio.get_running_loop().create_future()

    def done(result: T | None) -> None:
        if not answer.done():
            answer.set_result(result)  # type: ignore[arg-type]

    app.push_screen(dialog, callback=done)
    return answer


def journaled(node: DOMNode, ctx: Context) -> Context:
    """``ctx`` as one change this app session makes: a batch of its own, remembered by
    the app so ctrl+z can undo it (crm/undo.py; a change that failed left no rows)."""
    remember = getattr(node.app, "remember_change", None)
    return remember(ctx) if remember is not None else ctx


def report_failure(node: DOMNode, event: Worker.StateChanged) -> None:
    worker = event.worker
    if event.state != WorkerState.ERROR or worker.name == AWAITED or worker.error is None:
        return
    report = getattr(node.app, "report_error", None)
    if report is not None:
        report(worker.error)


class LiveView:
    """A screen that shows data and refreshes when anyone commits (mixin)."""

    ready: bool = False  # set once the view shows its first data
    _refresh_pending: bool = False

    def subscribe_to_changes(self) -> None:
        signal = getattr(self.app, "database_changed", None)  # type: ignore[attr-defined]
        if signal is not None:
            signal.subscribe(self, self._database_changed)

    def unsubscribe_from_changes(self) -> None:
        """Textual's Signal drops a closed view only at its next publish; until then its
        callback keeps the whole screen (and every record it showed) alive."""
        signal = getattr(self.app, "database_changed", None)  # type: ignore[attr-defined]
        if signal is not None:
            signal.unsubscribe(self)

    def _database_changed(self, _payload: object = None) -> None:
        if not self.ready:
            self._refresh_pending = True
            return
        try:
            self._refresh_pending = False
            self.refresh_from_database()
        except Exception as exc:  # one view's failure never stops the others
            log.error(f"refresh of {self!r} failed; tried again on the next change: {exc!r}")
            self._refresh_pending = True

    def mark_ready(self) -> None:
        """Call when the view shows data: a change that came while it was being built is
        shown now."""
        self.ready = True
        if self._refresh_pending:
            self._database_changed()

    def refresh_from_database(self) -> None:
        """Re-read what the view shows (in a worker), keeping cursor and scroll."""


def release_rendered_lines(screen: Screen[Any]) -> None:
    """Let a closed screen's rendered lines go.

    Textual 8.2.8 keeps up to 1,024 widgets' line caches alive after their widgets are
    gone (an ``lru_cache`` on a method of its styles cache: Textualize/textual#6665):
    every closed record screen left ~1,500 lines behind, memory grew by ~5 MB per record
    opened and the garbage collector's full passes, walking them, grew to 150 ms and
    more. A widget's ``refresh()`` empties its cache; what stays pinned is then empty."""
    if screen in screen.app.screen_stack:
        return  # covered, not closed: its lines are shown again on return
    for widget in screen.walk_children(with_self=True):
        widget.refresh()


class RolodexScreen(LiveView, Screen):
    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)

    def on_screen_suspend(self) -> None:
        release_rendered_lines(self)

    # Textual calls the on_mount/on_unmount of every class in the MRO: subclasses
    # define their own without calling these.
    def on_mount(self) -> None:
        self.subscribe_to_changes()

    def on_unmount(self) -> None:
        self.unsubscribe_from_changes()


ResultT = TypeVar("ResultT")


class Dialog(LiveView, ModalScreen[ResultT], Generic[ResultT]):
    """A dialog: Escape closes it with None (or ``CANCEL_RESULT``)."""

    DEFAULT_CLASSES = "dialog"
    CANCEL_RESULT: Any = None
    BINDINGS = [
        Binding("escape", "cancel", _("Close"), id="dialog.close"),
        # App keys are not active under a modal screen: help is the dialog's own.
        Binding("f1", "app.help", _("Help"), id="dialog.help"),
    ]

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)

    # Laid out once when shown. Textual lays out a screen shown at a new size, then
    # sends it a Resize to that same size, and the screen's handler laid it out again
    # with every screen under it: for a dialog over a record, two more layouts and full
    # frames. That echo is skipped; every other Resize goes through (the screen under a
    # dialog still needs the terminal's for its breakpoints). Full screens keep it: there
    # its layout is the one that settles new scrollbars.
    _echo_of: Size | None = None  # the size of the layout whose echo is to come

    def on_screen_resume(self) -> None:  # runs before Screen's own, which lays out
        if self.outer_size != self.app.size:
            self._echo_of = self.app.size

    def on_resize(self, event: events.Resize) -> None:
        if self._echo_of is not None and event.size == self._echo_of:
            event.prevent_default()
        self._echo_of = None

    def on_screen_suspend(self) -> None:
        release_rendered_lines(self)

    def action_cancel(self) -> None:
        self.dismiss(self.CANCEL_RESULT)
