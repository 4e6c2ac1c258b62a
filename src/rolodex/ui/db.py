"""Running database work off the UI thread.

Every call into crm/ that may take longer than a frame goes through ``run_db``:
a thread worker opens its own connection (peewee connections are per thread),
runs the function, and hands the result back to the UI thread.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from textual.dom import DOMNode
from textual.worker import Worker, get_current_worker

from rolodex.crm import session
from rolodex.crm.errors import RolodexError

T = TypeVar("T")


def in_connection(fn: Callable[[], T]) -> T:
    """Run ``fn`` with a pooled connection (given back afterwards, kept warm)."""
    with session.thread_connection():
        return fn()


def run_db(
    node: DOMNode,
    fn: Callable[[], T],
    done: Callable[[T], Any] | None = None,
    failed: Callable[[RolodexError], Any] | None = None,
    *,
    group: str = "db",
    exclusive: bool = False,
) -> Worker:
    """Run ``fn`` in a thread worker; call ``done(result)`` or ``failed(error)`` on the UI thread.

    A RolodexError without ``failed`` becomes one error notification; any other
    exception becomes a notification too (never a traceback on screen).
    """
    app = node.app

    async def deliver(callback: Callable[[Any], Any], value: Any) -> None:
        if getattr(node, "is_attached", True):
            result = callback(value)
            if inspect.isawaitable(result):
                await result

    def job() -> None:
        worker = get_current_worker()
        try:
            result = in_connection(fn)
        except RolodexError as exc:
            if worker.is_cancelled:
                return
            if failed is not None:
                app.call_from_thread(deliver, failed, exc)  # type: ignore[arg-type]
            else:
                app.call_from_thread(app.notify, str(exc), severity="error", markup=False)
            return
        except session.DatabaseError as exc:  # one clear line naming the real cause
            if worker.is_cancelled:
                return
            message = session.explain(exc)
            if session.is_fatal(exc):
                app.call_from_thread(app.stop_on_fatal, message)  # type: ignore[attr-defined]
            else:
                app.call_from_thread(app.notify, message, severity="error", markup=False)
            return
        except Exception as exc:  # a bug: said in one line, never a traceback on screen
            if worker.is_cancelled:
                return
            message = f"{type(exc).__name__}: {exc}"
            app.call_from_thread(app.notify, message, severity="error", markup=False)
            return
        if worker.is_cancelled or done is None:
            return
        app.call_from_thread(deliver, done, result)  # type: ignore[arg-type]

    return node.run_worker(job, thread=True, group=group, exclusive=exclusive, exit_on_error=False)
