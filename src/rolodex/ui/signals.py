"""How the app meets the signals of a terminal that goes away.

A hang-up (the terminal or the SSH connection went away) or SIGTERM ends the app as
ctrl+q does. Two things Textual's Linux driver does on the way could keep the process
alive forever, on a shared host where nobody would notice:

- It resumes the terminal on every SIGCONT, and the kernel sends one with the hang-up
  of a closed terminal (anyone may send one, too). A resume that follows no suspend
  starts a second pair of input and output threads; the new output thread dies on the
  dead terminal, and the app then blocks for ever on that thread's full queue as it
  stops. Only a SIGCONT after a SIGTSTP is a resume here.
- Whatever else hangs on the way out, the end still comes: a few seconds after the
  signal the process does what it must before leaving (the command line removes the
  demo's scratch copy) and leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType

ENDING_SIGNALS = (signal.SIGHUP, signal.SIGTERM)
END_WITHIN_SECONDS = 5.0  # Textual's own stop takes well under a second when it works


def end_on_signals(end: Callable[[int], None], before_leaving: Callable[[], None]) -> None:
    """Call ``end(exit code)`` in the running loop on SIGHUP or SIGTERM; if the process
    is still there ``END_WITHIN_SECONDS`` later, call ``before_leaving()`` and leave."""
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop = asyncio.get_running_loop()
        for number in ENDING_SIGNALS:
            loop.add_signal_handler(number, _ending, end, before_leaving, 128 + number)


def _ending(end: Callable[[int], None], before_leaving: Callable[[], None], code: int) -> None:
    deadline = threading.Timer(END_WITHIN_SECONDS, _leave_now, (before_leaving, code))
    deadline.daemon = True  # a normal end does not wait for it
    deadline.start()
    end(code)


def _leave_now(before_leaving: Callable[[], None], code: int) -> None:
    try:
        before_leaving()
    finally:  # leave whatever the cleanup does
        os._exit(code)


def resume_only_after_a_stop() -> None:
    """Pass SIGCONT on to Textual's handler only when a SIGTSTP came before it."""
    with contextlib.suppress(ValueError, OSError):  # not the main thread: no signals
        on_stop = signal.getsignal(signal.SIGTSTP)
        on_continue = signal.getsignal(signal.SIGCONT)
        if not (callable(on_stop) and callable(on_continue)):
            return  # no driver handlers (the browser's driver): nothing to guard
        stopped = threading.Event()

        def stop(number: int, frame: FrameType | None) -> None:
            stopped.set()
            on_stop(number, frame)

        def resume(number: int, frame: FrameType | None) -> None:
            if stopped.is_set():
                stopped.clear()
                on_continue(number, frame)

        signal.signal(signal.SIGTSTP, stop)
        signal.signal(signal.SIGCONT, resume)
