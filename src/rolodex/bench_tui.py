"""TUI benchmark: what a person waits for, from process start and from a keypress.

    python -m rolodex.bench_tui --db /tmp/tui-1m.db [--runs 30] [--json FILE]

Scenarios, driven by keys as a person would: Enter on a typical contact in the
Contacts index (after ``/`` and its name; a different contact each run), Enter in
the palette (``ctrl+p`` and the name) on the company with the most contacts, ``a``
on a record to the Associate dialog, page-down at the top of the index and about
90% deep (``end``, then page-ups). Each is measured twice:

- in-process, with Pilot: keypress to the screen **painted** (the terminal bytes
  the app writes, rendered as the real driver renders them, show the expected
  text) and to **painted and idle**: no worker started since the key still runs,
  the message queues are drained (``pilot.pause()``) and the app wrote nothing for
  two pauses; the idle moment is its last write or the last worker's end (a write
  that only restyles one cell is a cursor blinking, not work);
- from outside, in tmux (120x40, the pane read every 10 ms through one control-mode
  client): keypress (``send-keys``) to the text on screen (painted), and to the
  last change before 300 ms without one (settled).

Process start to the first index row is measured in tmux for the whole process
(``python -m rolodex --db ...``). The framework's floor is measured in the same run
the same ways: a minimal Textual app (``FLOOR_APP``) whose Enter pushes a screen
with one Static; every Rolodex figure is printed beside the floor's figure measured
the same way (painted, idle, in tmux, settled, process start) and as a ratio.

Screens are recognised only by what a person sees (text on the terminal) and
public Textual API (``App.workers``, Pilot, a ``Driver`` subclass), never by the
app's widget classes or ids: a record shows its name in the top lines and its
cards' counts ("Contacts (50,000)", separators optional); the Associate dialog a
new line starting with "Associate". The test records are found through crm.

The data reads behind the screens (record, index pages) are measured beside raw
SQL by ``python -m rolodex.bench``; this benchmark measures the app.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rolodex.i18n import _

if TYPE_CHECKING:
    from textual.app import App
    from textual.pilot import Pilot
    from textual.worker import Worker

Result = dict[str, Any]
Lines = list[str]
Shown = Callable[[Lines], bool]

SIZE = (120, 40)
RUNS = 30
WARMUPS = 3
HEADER_LINES = 4  # a record's name is shown within the screen's top lines
TIMEOUT = 30.0  # seconds for one keypress to paint and settle
QUIET_PAUSES = 2  # in-process: pauses without a change before the UI counts as idle
POLL = 0.010  # tmux: how often the pane is read
SETTLED = 0.300  # tmux: no change for this long means settled
DEPTH = 0.9
MAX_FAILURES = 3  # consecutive failed runs before a scenario is given up
LONG_LIVED = 2.0  # a worker running this long after start is a watcher, not work

SCENARIOS = {
    "contact": "Enter on a typical contact",
    "company": "Enter on the biggest company (palette)",
    "associate": "a to the Associate dialog",
    "page_top": "page-down at the top",
    "page_deep": "page-down 90% deep",
}
FLOOR = "floor"
START = "start"
# The targets: (figure, measure) -> (p95 below, ms; within this many floors).
TARGETS: dict[tuple[str, str], tuple[float, float | None]] = {
    ("contact", "idle"): (100.0, 5.0),
    ("company", "idle"): (150.0, 5.0),
    ("associate", "idle"): (100.0, 5.0),
    ("page_top", "painted"): (30.0, None),
    ("page_deep", "painted"): (30.0, None),
    (START, "tmux"): (400.0, None),
}
MEMORY_TARGET_MB = 200.0

FLOOR_FIRST = "Floor app: first screen"
FLOOR_SECOND = "Floor app: pushed screen"
FLOOR_APP = f'''"""The framework's floor: Enter pushes a screen with one widget, Escape pops it."""

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static


class PushedScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def compose(self) -> ComposeResult:
        yield Static({FLOOR_SECOND!r})


class FloorApp(App):
    BINDINGS = [Binding("enter", "push", "Push")]

    def compose(self) -> ComposeResult:
        yield Static({FLOOR_FIRST!r})

    def action_push(self) -> None:
        self.push_screen(PushedScreen())


if __name__ == "__main__":
    FloorApp().run()
'''


class ScenarioError(Exception):
    """One run could not be measured (the expected screen never came)."""


# ------------------------------------------------------------------ small helpers


def percentile(values: list[float], q: float) -> float:
    """Nearest rank, as ``rolodex.bench`` computes it."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def load_text() -> str:
    """The machine load now, as uptime prints it."""
    try:
        one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
        return f"load average: {one}, {five}, {fifteen} ({os.cpu_count()} cpus)"
    except OSError:
        return "load average: unknown"


def rss_mb(pid: int | str = "self", field_name: str = "VmRSS") -> float | None:
    """A process's resident memory in MB from /proc (VmRSS now, or VmHWM: its peak)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def app_environment(config_dir: Path) -> dict[str, str]:
    """The environment every measured app gets: a fresh config, a true-colour terminal."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TEXTUAL_THEME")}
    env.update(XDG_CONFIG_HOME=str(config_dir), COLORTERM="truecolor", TERM="xterm-256color")
    return env


# ------------------------------------------------------------------ what a person sees


_TOKEN = re.compile(
    r"\x1b\[([0-?]*)[ -/]*([@-~])"  # CSI: cursor moves, styles, modes
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: hyperlinks, titles
    r"|\x1b[@-Z\\-_]"
    r"|[\r\n]"
    r"|[^\x1b\r\n]+"
)


class TerminalText:
    """What a terminal of ``width`` x ``height`` shows after the bytes an app wrote: each
    cell's character and its style (the SGR sequences in force when it was written)."""

    def __init__(self, width: int = SIZE[0], height: int = SIZE[1]) -> None:
        from rich.cells import get_character_cell_size

        self.width, self.height = width, height
        self.cells = [[" "] * width for _row in range(height)]
        self.styles = [[""] * width for _row in range(height)]
        self.x = self.y = 0
        self.style = ""
        self._cell_size = get_character_cell_size

    def feed(self, data: str) -> tuple[int, int]:
        """Apply written bytes; (cells whose character changed, cells only restyled)."""
        text_changes = style_changes = 0
        for match in _TOKEN.finditer(data):
            token = match.group(0)
            if token[0] == "\x1b":
                params, final = match.group(1) or "", match.group(2) or ""
                if final == "m":
                    self.style = "" if params in ("", "0") else self.style + ";" + params
                elif final in ("H", "f"):
                    parts = params.split(";")
                    self.y = (int(parts[0]) if parts[0].isdigit() else 1) - 1
                    self.x = (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 1) - 1
                elif final == "J" and params == "2":
                    text_changes += self._clear(range(self.height), 0)
                elif final == "K" and 0 <= self.y < self.height:
                    text_changes += self._clear([self.y], self.x)
            elif token == "\r":
                self.x = 0
            elif token == "\n":
                self.y += 1
            else:
                changed, restyled = self._put(token)
                text_changes += changed
                style_changes += restyled
        return text_changes, style_changes

    def _clear(self, rows: Iterable[int], start: int) -> int:
        changed = 0
        for y in rows:
            for x in range(start, self.width):
                changed += self.cells[y][x] != " "
                self.cells[y][x], self.styles[y][x] = " ", ""
        return changed

    def _put(self, text: str) -> tuple[int, int]:
        if not 0 <= self.y < self.height:
            return 0, 0
        row, styles, style = self.cells[self.y], self.styles[self.y], self.style
        changed = restyled = 0
        for char in text:
            size = self._cell_size(char)
            if size == 0:  # a combining mark joins the previous cell
                if 0 < self.x <= self.width:
                    row[self.x - 1] += char
                    changed += 1
                continue
            for n, cell in enumerate([char] + [""] * (size - 1)):
                x = self.x + n
                if 0 <= x < self.width:
                    if row[x] != cell:
                        row[x], styles[x] = cell, style
                        changed += 1
                    elif styles[x] != style:
                        styles[x] = style
                        restyled += 1
            self.x += size
        return changed, restyled

    def lines(self) -> Lines:
        return ["".join(row).rstrip() for row in self.cells]


def is_cursor_blink(text_changes: int, style_changes: int) -> bool:
    """A write that only restyles one cell is a cursor blinking, not the UI at work;
    any other write is (even one repainting what was there: the UI was rendering)."""
    return text_changes == 0 and style_changes == 1


def number_pattern(n: int) -> str:
    """``n`` with or without thousands separators (1,234 / 1 234 / 1.234 / 1234)."""
    separator = "[,.'\u00a0\u202f ]?"
    return r"(?<![\d,.])" + separator.join(str(n)) + r"(?![\d])"


def card_pattern(label: str, count: int) -> str:
    """A card's title with its count: "Contacts (50,000)", "Contacts: 50 000", "Deals [3]"
    (not "Contacts · 3 records", an index's title)."""
    return re.escape(label) + r"\s*[(\[:]\s*" + number_pattern(count)


@dataclass(frozen=True)
class Subject:
    """A record as a person recognises it on screen: its name and its cards' counts."""

    name: str
    cards: tuple[tuple[str, int], ...]

    def shown(self, lines: Lines) -> bool:
        if not any(self.name in line for line in lines[:HEADER_LINES]):
            return False
        text = "\n".join(lines)
        return all(re.search(card_pattern(label, n), text, re.I) for label, n in self.cards)

    def gone(self, lines: Lines) -> bool:
        return not self.shown(lines)


def any_text(*texts: str) -> Shown:
    return lambda lines: any(t in line for line in lines for t in texts)


def no_text(text: str) -> Shown:
    return lambda lines: not any(text in line for line in lines)


_DIALOG_TITLE = re.compile(r"(?:^|[^\w\s])\s*Associate")


def dialog_opened(before: Lines) -> Shown:
    """A line that was not on screen before, where "Associate" starts the text after the
    line's start or a border (the footer's "a Associate" does not count)."""
    old = set(before)
    return lambda lines: any(_DIALOG_TITLE.search(line) for line in lines if line not in old)


def dialog_closed(lines: Lines) -> bool:
    return not any(_DIALOG_TITLE.search(line) for line in lines)


def changed_from(before: Lines) -> Shown:
    return lambda lines: lines != before


def listed(name: str, before: Lines) -> Shown:
    """A new line that starts with ``name``: a hit in a list (not the line typed into)."""
    old = set(before)
    return lambda lines: any(
        line.lstrip(" │┃▏▕|").startswith(name) for line in lines if line not in old
    )


# ------------------------------------------------------------------ the test records


@dataclass
class Subjects:
    first_rows: list[str]  # the Contacts index's first names, in its default order
    contacts: list[Subject]  # typical contacts of distinct names
    company: Subject  # the company with the most contacts
    company_contacts: int
    total_contacts: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Subjects:
        def subject(d: dict[str, Any]) -> Subject:
            return Subject(d["name"], tuple((label, n) for label, n in d["cards"]))

        return cls(
            first_rows=data["first_rows"],
            contacts=[subject(c) for c in data["contacts"]],
            company=subject(data["company"]),
            company_contacts=data["company_contacts"],
            total_contacts=data["total_contacts"],
        )


def biggest_company() -> tuple[int, str, int]:
    """(id, name, contact count) of the live company with the most associated contacts."""
    from rolodex.crm import associations, objects, records
    from rolodex.store import raw

    company = objects.by_key(objects.COMPANY).id
    contact = objects.by_key("contact").id
    best: tuple[int, int] | None = None
    for sql in (
        "SELECT b_id, count(*) FROM association WHERE b_type_id = ? AND a_type_id = ? "
        "GROUP BY b_id ORDER BY count(*) DESC LIMIT 1",
        "SELECT a_id, count(*) FROM association WHERE a_type_id = ? AND b_type_id = ? "
        "GROUP BY a_id ORDER BY count(*) DESC LIMIT 1",
    ):
        row = raw.fetchone(sql, (company, contact))
        if row and (best is None or row[1] > best[1]):
            best = (int(row[0]), int(row[1]))
    if best is None:
        raise LookupError(_("no company has contacts"))
    view = records.get(best[0])
    return view.id, view.name, associations.counts(view.id).get("contact", 0)


_PLAIN_NAME = re.compile(r"[^\W\d_]+(?:[ .-][^\W\d_]+)*")


def _subject(record_id: int, name: str) -> Subject:
    from rolodex.crm import associations, objects

    counts = associations.counts(record_id)
    cards = sorted(
        ((info.shown_plural, counts[info.key]) for info in objects.all_types()
         if not info.is_activity and counts.get(info.key)),
        key=lambda card: -card[1],
    )  # fmt: skip
    # The biggest card: the others may be below the fold (a long sidebar scrolls).
    return Subject(name, tuple(cards[:1]))


def typical_contacts(count: int) -> list[Subject]:
    """``count`` contacts of distinct names spread over the id range, each the first row
    the index shows for its name (the one Enter opens after typing the name in the
    filter): a plain name of at most 30 characters, 1 to 20 associated records."""
    from rolodex.crm import index, objects
    from rolodex.store import raw
    from rolodex.textsafety import visible

    type_id = objects.by_key("contact").id
    live = "object_type_id = ? AND deleted_at IS NULL AND merged_into_id IS NULL"
    bounds = raw.fetchone(f"SELECT min(id), max(id) FROM record WHERE {live}", (type_id,))
    if bounds is None or bounds[0] is None:
        return []
    low, high = int(bounds[0]), int(bounds[1])
    found: list[Subject] = []
    names: set[str] = set()
    probes = count * 8
    for n in range(probes):
        row = raw.fetchone(
            f"SELECT name FROM record WHERE {live} AND id >= ? ORDER BY id LIMIT 1",
            (type_id, low + (high - low) * n // probes),
        )
        name = str(row[0]) if row else ""
        if not name or name in names or len(name) > 30 or visible(name) != name:
            continue
        if not _PLAIN_NAME.fullmatch(name):
            continue
        first = index.page("contact", filter_text=name, limit=1).rows
        if not first or first[0].name != name:
            continue
        subject = _subject(first[0].id, name)
        if not subject.cards or not 1 <= subject.cards[0][1] <= 20:
            continue
        found.append(subject)
        names.add(name)
        if len(found) == count:
            break
    return found


def find_subjects(db_target: str, contacts: int) -> Subjects:
    """The records the scenarios open, found through crm."""
    from rolodex.crm import index
    from rolodex.crm.session import open_session
    from rolodex.textsafety import visible

    open_session(db_target)
    company_id, company_name, company_contacts = biggest_company()
    return Subjects(
        first_rows=[visible(r.name).strip() for r in index.page("contact", limit=3).rows],
        contacts=typical_contacts(contacts),
        company=_subject(company_id, visible(company_name)),
        company_contacts=company_contacts,
        total_contacts=index.total("contact"),
    )


# ------------------------------------------------------------------ a terminal to drive


@dataclass
class Timing:
    painted: float  # ms from the key to the expected text on screen
    done: float  # ms to idle (in-process) or settled (tmux)


class Terminal(Protocol):
    """A running app and a way to press keys and read its screen."""

    def lines(self) -> Lines: ...

    async def press(self, key: str, times: int = 1) -> None: ...

    async def type(self, text: str) -> None: ...

    async def advance(self, key: str, times: int) -> int:
        """Press ``key`` up to ``times`` times, each once the previous one has shown;
        returns how many changed the screen (it stops at the first that did not)."""
        ...

    async def settle(self) -> None: ...

    async def wait_for(self, shown: Shown, timeout: float = TIMEOUT) -> None: ...

    async def start(self, shown: Shown) -> None:
        """Wait for the app's first screen and for it to settle."""
        ...

    async def measure(self, key: str, shown: Shown, *, required: bool = True) -> Timing | None:
        """Press ``key``; None (when not required) if the UI settled without showing it."""
        ...


def _terminal_driver(sink: list[tuple[float, str]]) -> type:
    """A Textual driver for a terminal of ``SIZE`` that keeps every write, timed.

    The app renders each screen update to terminal bytes exactly as for the real
    driver (``Driver`` is public API; only ``is_headless`` false makes it render)."""
    from textual import events
    from textual.driver import Driver
    from textual.geometry import Size

    class TerminalDriver(Driver):
        def __init__(self, app: App, **kwargs: Any) -> None:
            super().__init__(app, **kwargs)
            self.bench_app = app
            self.bench_size = Size(*(kwargs.get("size") or SIZE))

        def write(self, data: str) -> None:
            sink.append((time.perf_counter(), data))

        def start_application_mode(self) -> None:
            self.bench_app.post_message(events.Resize(self.bench_size, self.bench_size))

        def disable_input(self) -> None:
            pass

        def stop_application_mode(self) -> None:
            pass

    return TerminalDriver


class InProcessTerminal:
    """An app under Pilot whose writes are rendered to text as a terminal would show them."""

    def __init__(self, app: App, pilot: Pilot, written: list[tuple[float, str]]) -> None:
        self.app = app
        self.pilot = pilot
        self.written = written
        self.text = TerminalText()
        # Weak: a worker holds its screen and its result, and the benchmark must not keep
        # every closed screen alive (the app's memory and its collector's pauses would
        # grow with the run, as they do not for a person).
        self.worker_ends: list[tuple[float, weakref.ref[Worker]]] = []
        self.first_seen: weakref.WeakKeyDictionary[Worker, float] = weakref.WeakKeyDictionary()
        self.watchers: weakref.WeakSet[Worker] = weakref.WeakSet()
        self._last_change = 0.0
        self._read = 0

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, app: App) -> AsyncIterator[InProcessTerminal]:
        from textual.worker import Worker, WorkerState

        written: list[tuple[float, str]] = []
        ends: list[tuple[float, weakref.ref[Worker]]] = []
        finished = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)

        def on_message(message: object) -> None:
            if isinstance(message, Worker.StateChanged) and message.state in finished:
                ends.append((time.perf_counter(), weakref.ref(message.worker)))

        app.driver_class = _terminal_driver(written)
        async with app.run_test(headless=False, size=SIZE, message_hook=on_message) as pilot:
            term = cls(app, pilot, written)
            term.worker_ends = ends
            yield term

    # reading the screen

    def _consume(self, shown: Shown | None = None) -> tuple[bool, float | None]:
        """Apply new writes; (the UI wrote something other than a cursor blink, when
        ``shown`` first held)."""
        active, at_shown = False, None
        while self._read < len(self.written):
            at, data = self.written[self._read]
            self._read += 1
            text_changes, style_changes = self.text.feed(data)
            if is_cursor_blink(text_changes, style_changes):
                continue
            active = True
            self._last_change = at
            if text_changes and shown and at_shown is None and shown(self.text.lines()):
                at_shown = at
        return active, at_shown

    def lines(self) -> Lines:
        self._consume()
        return self.text.lines()

    def _busy(self) -> list[Worker]:
        """Workers still pending or running, other than the app's long-lived watchers and
        flows (a flow waits for the person at a dialog; its database work runs in workers
        of its own, which count)."""
        from rolodex.ui.base import FLOW

        now = time.perf_counter()
        busy = []
        for worker in self.app.workers:
            if worker.is_finished or worker in self.watchers:
                continue
            if worker.name == FLOW or worker.group == "watch":
                continue
            self.first_seen.setdefault(worker, now)
            busy.append(worker)
        return busy

    # keys

    async def press(self, key: str, times: int = 1) -> None:
        """Press (a burst, as a held key repeats, when ``times`` > 1) and settle."""
        if times == 1:
            await self.pilot.press(key)
        else:
            for _n in range(times):
                self.app.simulate_key(key)
        await self.settle()

    async def type(self, text: str) -> None:
        await self.pilot.press(*text)

    async def advance(self, key: str, times: int) -> int:
        for n in range(times):
            before = self.lines()
            self.app.simulate_key(key)
            painted, _idle = await self._quiet(changed_from(before), time.perf_counter(), TIMEOUT)
            if math.isnan(painted):
                return n
        return times

    # waiting

    async def _quiet(
        self, shown: Shown | None, since: float, timeout: float
    ) -> tuple[float, float]:
        """Pause until idle; (when ``shown`` first held or nan, when the UI went idle)."""
        at_shown = math.nan
        quiet = 0
        deadline = time.perf_counter() + timeout
        ends_seen = len(self.worker_ends)
        while True:
            changed, hit = self._consume(shown)
            if hit is not None and math.isnan(at_shown):
                at_shown = hit
            busy = self._busy()
            ended = len(self.worker_ends) != ends_seen
            ends_seen = len(self.worker_ends)
            quiet = 0 if changed or ended or busy else quiet + 1
            if quiet >= QUIET_PAUSES:
                break
            if time.perf_counter() > deadline:
                names = ", ".join(w.name for w in busy) or "none"
                raise ScenarioError(f"the UI never went idle (workers running: {names})")
            await self.pilot.pause()
        ends = [at for at, w in self.worker_ends if at >= since and w() not in self.watchers]
        idle = max([self._last_change, since, *ends])
        return at_shown, idle

    async def settle(self) -> None:
        await self._quiet(None, time.perf_counter(), TIMEOUT)

    async def wait_for(self, shown: Shown, timeout: float = TIMEOUT) -> None:
        deadline = time.perf_counter() + timeout
        while not shown(self.lines()):
            if time.perf_counter() > deadline:
                raise ScenarioError("the expected screen never came:\n" + "\n".join(self.lines()))
            await self.pilot.pause()
        await self.settle()

    async def start(self, shown: Shown) -> None:
        """Wait for the first screen; workers that still run once everything else has
        finished (a database watcher) are the app's background, not work a key waits for."""
        deadline = time.perf_counter() + TIMEOUT
        while not shown(self.lines()):
            if time.perf_counter() > deadline:
                raise ScenarioError("the first screen never came:\n" + "\n".join(self.lines()))
            await self.pilot.pause()
        while True:
            await self.pilot.pause()
            now = time.perf_counter()
            busy = self._busy()
            if all(now - self.first_seen[w] > LONG_LIVED for w in busy):
                self.watchers = weakref.WeakSet(busy)
                break
            if now > deadline:
                raise ScenarioError("workers never finished after start")
        await self.settle()

    async def measure(self, key: str, shown: Shown, *, required: bool = True) -> Timing | None:
        before = self.lines()
        if shown(before):
            raise ScenarioError(f"the screen already showed the result before {key!r}")
        pressed = time.perf_counter()
        await self.pilot.press(key)
        painted, idle = await self._quiet(shown, pressed, TIMEOUT)
        if math.isnan(painted):
            if not required:
                return None
            top = " | ".join(line.strip() for line in self.lines()[:HEADER_LINES])
            raise ScenarioError(f"{key!r} never showed the expected screen; it shows: {top}")
        return Timing((painted - pressed) * 1000, (max(idle, painted) - pressed) * 1000)


class TmuxControl:
    """One tmux control-mode client on a private server: commands without a process each."""

    def __init__(self, socket: str, env: dict[str, str]) -> None:
        self.base = ["tmux", "-L", socket, "-f", "/dev/null"]
        self.session = "bench"
        self.app_running = False
        subprocess.run(
            [*self.base, "new-session", "-d", "-s", self.session, "-x", str(SIZE[0]),
             "-y", str(SIZE[1]), "sleep 86400"],
            check=True, env=env, capture_output=True, timeout=30,
        )  # fmt: skip
        self.proc = subprocess.Popen(
            [*self.base, "-C", "attach-session", "-t", self.session],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, encoding="utf-8", errors="replace", env=env,
        )  # fmt: skip
        self._block()  # the attach's own reply
        for command in (
            "refresh-client -f no-output",
            f"set-option -t {self.session} window-size manual",
            f"set-option -w -t {self.session} remain-on-exit on",
            "set-option -g default-shell /bin/sh",
        ):
            self.command(command)

    def _block(self) -> Lines:
        assert self.proc.stdout is not None
        number: str | None = None
        out: Lines = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise ScenarioError("tmux went away")
            line = line.rstrip("\n")
            if number is None:
                begin = re.fullmatch(r"%begin \d+ (\d+) \d+", line)
                number = begin.group(1) if begin else None
                continue
            end = re.fullmatch(r"%(end|error) \d+ (\d+) \d+", line)
            if end and end.group(2) == number:
                if end.group(1) == "error":
                    raise ScenarioError("tmux: " + " ".join(out))
                return out
            out.append(line)

    def command(self, line: str) -> Lines:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self._block()

    def capture(self) -> Lines:
        return self.command(f"capture-pane -p -t {self.session}")

    def pane(self) -> tuple[bool, int]:
        """(the pane's process has ended, its pid)."""
        reply = self.command(f"display-message -p -t {self.session} '#{{pane_dead}} #{{pane_pid}}'")
        dead, pid = reply[0].split()
        return dead == "1", int(pid)

    def respawn(self, script: Path) -> None:
        """Run ``script`` in the pane (exec: the pane's process is the app)."""
        self.command(f"respawn-pane -k -t {self.session} 'exec {script}'")
        self.app_running = True

    def close(self) -> None:
        """Stop the private server and remove its socket (tmux leaves the file)."""
        socket = ""
        with contextlib.suppress(Exception):
            socket = self.command("display-message -p '#{socket_path}'")[0]
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        subprocess.run([*self.base, "kill-server"], capture_output=True, timeout=30)
        if socket:
            Path(socket).unlink(missing_ok=True)


TMUX_KEYS = {
    "enter": "Enter",
    "escape": "Escape",
    "pagedown": "NPage",
    "pageup": "PPage",
    "end": "End",
    "home": "Home",
    "backspace": "BSpace",
    "ctrl+p": "C-p",
    "ctrl+q": "C-q",
    "slash": "/",
}


class TmuxTerminal:
    """An app in the tmux pane: keys with send-keys, the screen with capture-pane."""

    def __init__(self, control: TmuxControl) -> None:
        self.control = control

    def lines(self) -> Lines:
        return self.control.capture()

    def send(self, key: str, times: int = 1) -> None:
        """Send a key (Textual's name for it) without waiting."""
        repeat = f"-N {times} " if times > 1 else ""
        self.control.command(
            f"send-keys -t {self.control.session} {repeat}{TMUX_KEYS.get(key, key)}"
        )

    async def press(self, key: str, times: int = 1) -> None:
        self.send(key, times)
        await self.settle()

    async def advance(self, key: str, times: int) -> int:
        for n in range(times):
            before = self.lines()
            sent = time.perf_counter()
            self.send(key)
            last, last_change = before, sent
            while True:  # until changed, then 30 ms without a change
                await asyncio.sleep(POLL)
                now, lines = time.perf_counter(), self.lines()
                if lines != last:
                    last, last_change = lines, now
                if last != before and now - last_change >= 0.03:
                    break
                if last == before and now - sent > 2.0:
                    return n
        return times

    async def type(self, text: str) -> None:
        if "'" in text:
            raise ScenarioError(f"cannot type {text!r}")
        self.control.command(f"send-keys -t {self.control.session} -l '{text}'")

    async def _watch(
        self, shown: Shown | None, since: float, give_up: float
    ) -> tuple[float, float]:
        """Read the pane until it has not changed for ``SETTLED`` after ``shown`` held (or
        for ``give_up`` seconds without it); (when ``shown`` first held or nan, last change)."""
        at_shown = math.nan
        last = earlier = self.lines()
        last_change = since
        deadline = since + TIMEOUT
        while True:
            await asyncio.sleep(POLL)
            now = time.perf_counter()
            lines = self.lines()
            if lines != last:
                earlier, last, last_change = last, lines, now
            if shown is not None and math.isnan(at_shown) and shown(lines):
                at_shown = now
            if shown is None or not math.isnan(at_shown):
                if now - last_change >= SETTLED:
                    return at_shown, last_change
            elif now - last_change >= give_up:
                return at_shown, last_change
            if now > deadline:
                if shown is not None and math.isnan(at_shown):
                    return at_shown, last_change
                changed = [f"{a!r} -> {b!r}" for a, b in zip(earlier, last, strict=False) if a != b]
                raise ScenarioError("the pane never settled: " + "; ".join(changed[:2]))

    async def settle(self) -> None:
        await self._watch(None, time.perf_counter(), SETTLED)

    async def wait_for(self, shown: Shown, timeout: float = TIMEOUT) -> None:
        deadline = time.perf_counter() + timeout
        while not shown(self.lines()):
            if time.perf_counter() > deadline:
                raise ScenarioError("the expected screen never came:\n" + "\n".join(self.lines()))
            await asyncio.sleep(POLL)
        await self.settle()

    async def start(self, shown: Shown) -> None:
        await self.wait_for(shown)

    async def measure(self, key: str, shown: Shown, *, required: bool = True) -> Timing | None:
        if shown(self.lines()):
            raise ScenarioError(f"the screen already showed the result before {key!r}")
        pressed = time.perf_counter()
        self.send(key)
        # Not required: a second without a change and without it means it is not coming.
        painted, settled = await self._watch(shown, pressed, TIMEOUT if required else 1.0)
        if math.isnan(painted):
            if not required:
                return None
            top = " | ".join(line.strip() for line in self.lines()[:HEADER_LINES])
            raise ScenarioError(f"{key!r} never showed the expected screen; it shows: {top}")
        return Timing((painted - pressed) * 1000, (max(settled, painted) - pressed) * 1000)


# ------------------------------------------------------------------ the scenarios


@dataclass
class Runs:
    """The timings of one figure, and why it has fewer than asked for."""

    timings: list[Timing] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


Collected = dict[str, Runs]


async def _attempt(
    runs: Runs, failures: list[int], label: str, step: Callable[[], Awaitable[Timing | None]]
) -> bool:
    """One measured step; False when the scenario should stop (too many failures)."""
    try:
        timing = await step()
    except ScenarioError as exc:
        failures[0] += 1
        runs.notes.append(f"{label}: {str(exc).splitlines()[0]}")
        return failures[0] < MAX_FAILURES
    failures[0] = 0
    if timing is not None:
        runs.timings.append(timing)
    return True


async def page_downs(term: Terminal, runs: int, warmups: int, room: int) -> Runs:
    """Page-downs one after another (pages not read before included); alternating with
    page-up when the list has fewer than ``room`` pages left."""
    out = Runs()
    alternate = room < runs + warmups + 2
    if alternate:
        out.notes.append("alternating with page-up: the list is too short for consecutive pages")
    failures = [0]

    async def step() -> Timing | None:
        timing = await term.measure("pagedown", changed_from(term.lines()))
        if alternate:
            await term.press("pageup")
        return timing

    for n in range(runs + warmups):
        if not await _attempt(out if n >= warmups else Runs(), failures, "page-down", step):
            break
    return out


async def page_rows(term: Terminal) -> int:
    """How many rows one page-up moves: the lines it changed."""
    before = term.lines()
    await term.press("pageup")
    after = term.lines()
    return max(1, sum(1 for a, b in zip(before, after, strict=False) if a != b))


async def rolodex_scenarios(
    term: Terminal, subjects: Subjects, runs: int, warmups: int
) -> Collected:
    """Every scenario, from the Contacts index just after start. A stage that breaks
    (its screen never came) is noted and the next one runs."""
    found: Collected = {key: Runs() for key in SCENARIOS}
    stages: list[tuple[tuple[str, ...], Callable[[], Awaitable[None]]]] = [
        (("page_top", "page_deep"), lambda: _pages(term, subjects, runs, warmups, found)),
        (("contact", "associate"), lambda: _contacts(term, subjects, runs, warmups, found)),
        (("company",), lambda: _company(term, subjects, runs, warmups, found)),
    ]
    for keys, stage in stages:
        try:
            await stage()
        except ScenarioError as exc:
            for key in keys:
                found[key].notes.append("stopped: " + str(exc).splitlines()[0])
    return found


async def _pages(
    term: Terminal, subjects: Subjects, runs: int, warmups: int, found: Collected
) -> None:
    total = subjects.total_contacts
    per_page = SIZE[1]  # an upper bound until measured
    found["page_top"] = await page_downs(term, runs, warmups, total // per_page)
    await term.press("end")
    per_page = await page_rows(term)
    # One key at a time, each after the previous one showed: a burst of keys, as a held
    # key repeats, may move fewer pages than keys while pages load.
    ups = await term.advance("pageup", max(0, math.ceil((1 - DEPTH) * total / per_page) - 1))
    found["page_deep"] = await page_downs(term, runs, warmups, ups)
    found["page_deep"].notes.append(
        f"position: {ups + 1} page-ups of ~{per_page} rows from the end of {total:,} contacts"
    )


async def _contacts(
    term: Terminal, subjects: Subjects, runs: int, warmups: int, found: Collected
) -> None:
    """``/``, the name, Enter (twice if the first only moves to the list); ``a``; back."""
    contacts = subjects.contacts[: warmups + runs]
    if len(contacts) < warmups + runs:
        note = f"only {len(contacts)} contacts fit (a plain name, 1 to 20 associated records)"
        found["contact"].notes.append(note)
        found["associate"].notes.append(note)
    previous = ""
    failures = [0]
    for n, contact in enumerate(contacts):
        keep = n >= warmups
        await term.press("slash")
        await term.press("backspace", len(previous) + 1)
        await term.type(contact.name)
        await term.settle()
        previous = contact.name

        async def open_contact(contact: Subject = contact) -> Timing | None:
            first = await term.measure("enter", contact.shown, required=False)
            return first or await term.measure("enter", contact.shown)

        async def associate() -> Timing | None:
            timing = await term.measure("a", dialog_opened(term.lines()))
            await term.press("escape")
            await term.wait_for(dialog_closed)
            return timing

        if not await _attempt(
            found["contact"] if keep else Runs(), failures, contact.name, open_contact
        ):
            break
        if contact.shown(term.lines()):
            await _attempt(found["associate"] if keep else Runs(), [0], contact.name, associate)
            await term.press("escape")
            await term.wait_for(contact.gone)


async def _company(
    term: Terminal, subjects: Subjects, runs: int, warmups: int, found: Collected
) -> None:
    """``ctrl+p``, the company's name, Enter; back."""
    company = subjects.company

    async def open_company() -> Timing | None:
        return await term.measure("enter", company.shown)

    failures = [0]
    for n in range(warmups + runs):
        await term.press("ctrl+p")
        before = term.lines()
        await term.type(company.name)
        # From outside, a pause in the search's output is not its end: wait for the hit.
        with contextlib.suppress(ScenarioError):
            await term.wait_for(listed(company.name, before), timeout=10)
        await term.settle()
        if not await _attempt(
            found["company"] if n >= warmups else Runs(), failures, company.name, open_company
        ):
            break
        await term.press("escape")
        if company.shown(term.lines()):
            await term.press("escape")
        await term.wait_for(company.gone)


async def floor_scenario(term: Terminal, runs: int, warmups: int) -> Collected:
    """The floor app: Enter pushes a screen with one Static, Escape pops it."""
    out = Runs()
    failures = [0]
    for n in range(warmups + runs):

        async def push() -> Timing | None:
            timing = await term.measure("enter", any_text(FLOOR_SECOND))
            await term.press("escape")
            await term.wait_for(no_text(FLOOR_SECOND))
            return timing

        if not await _attempt(out if n >= warmups else Runs(), failures, "floor", push):
            break
    return {FLOOR: out}


# ------------------------------------------------------------------ in-process runs


def _load_floor_app(path: Path) -> type:
    spec = importlib.util.spec_from_file_location("rolodex_bench_floor_app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app_class: type = module.FloorApp
    return app_class


async def pilot_floor(floor_path: Path, runs: int, warmups: int) -> Collected:
    app = _load_floor_app(floor_path)()
    async with InProcessTerminal.running(app) as term:
        await term.start(any_text(FLOOR_FIRST))
        return await floor_scenario(term, runs, warmups)


async def pilot_rolodex(db_target: str, subjects: Subjects, runs: int, warmups: int) -> Collected:
    from rolodex.crm.session import open_session
    from rolodex.ui.app import RolodexApp

    open_session(db_target)
    app = RolodexApp()
    async with InProcessTerminal.running(app) as term:
        await term.start(any_text(*subjects.first_rows))
        return await rolodex_scenarios(term, subjects, runs, warmups)


def _collected_json(found: Collected) -> dict[str, Any]:
    return {
        key: {"timings": [asdict(t) for t in r.timings], "notes": r.notes}
        for key, r in found.items()
    }


def _collected_from(data: dict[str, Any]) -> Collected:
    return {
        key: Runs([Timing(**t) for t in value["timings"]], list(value["notes"]))
        for key, value in data.items()
    }


def run_part_in_child(args: list[str], env: dict[str, str]) -> tuple[Collected, str | None]:
    """One in-process part in a fresh interpreter (its memory and caches are its own)."""
    with tempfile.TemporaryDirectory(prefix="rolodex-bench-tui-") as tmp:
        out = Path(tmp) / "part.json"
        done = subprocess.run(
            [sys.executable, "-m", "rolodex.bench_tui", *args, "--part-json", str(out)],
            capture_output=True, text=True, env=env,
        )  # fmt: skip
        if done.returncode == 0 and out.exists():
            return _collected_from(json.loads(out.read_text())), None
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return {}, tail[0]


# ------------------------------------------------------------------ tmux runs


def _script(directory: Path, name: str, command: list[str]) -> Path:
    import shlex

    path = directory / f"{name}.sh"
    path.write_text("#!/bin/sh\nexec " + " ".join(shlex.quote(c) for c in command) + "\n")
    path.chmod(0o755)
    return path


async def _stop_pane(control: TmuxControl, term: TmuxTerminal) -> None:
    """Quit the app (ctrl+q), wait until its process is gone, leave an empty pane."""
    if control.app_running and not control.pane()[0]:
        term.send("ctrl+q")
        deadline = time.perf_counter() + 10
        while not control.pane()[0] and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
    control.command(f"respawn-pane -k -t {control.session} 'sleep 86400'")
    control.command(f"clear-history -t {control.session}")
    control.app_running = False


async def process_starts(
    control: TmuxControl, scripts: dict[str, tuple[Path, Shown]], runs: int, warmups: int
) -> Collected:
    """Process start to the first screen, alternating between the apps run by run."""
    term = TmuxTerminal(control)
    found: Collected = {name: Runs() for name in scripts}
    for n in range(warmups + runs):
        for name, (script, shown) in scripts.items():
            await _stop_pane(control, term)
            if shown(term.lines()):
                found[name].notes.append("the pane still showed the app before its start")
                continue
            started = time.perf_counter()
            control.respawn(script)
            deadline = started + TIMEOUT
            at = math.nan
            while time.perf_counter() < deadline:
                if shown(term.lines()):
                    at = time.perf_counter()
                    break
                await asyncio.sleep(POLL)
            if math.isnan(at):
                found[name].notes.append(
                    "the first screen never came: " + " | ".join(term.lines()[:3])
                )
            elif n >= warmups:
                found[name].timings.append(Timing((at - started) * 1000, (at - started) * 1000))
    await _stop_pane(control, term)
    return found


async def tmux_part(
    db_target: str, subjects: Subjects, floor_path: Path, runs: int, warmups: int, tmp: Path
) -> tuple[Collected, dict[str, float | None], list[str]]:
    """Starts and scenarios in tmux; (timings, peak memory in MB by app, notes)."""
    config = tmp / "config"
    config.mkdir(exist_ok=True)
    env = app_environment(config)
    rolodex = _script(tmp, "rolodex", [sys.executable, "-m", "rolodex", "--db", db_target])
    floor = _script(tmp, "floor", [sys.executable, str(floor_path)])
    control = TmuxControl(f"rolodex-bench-tui-{os.getpid()}", env)
    term = TmuxTerminal(control)
    memory: dict[str, float | None] = {}
    notes: list[str] = []
    try:
        starts = await process_starts(
            control,
            {
                START: (rolodex, any_text(*subjects.first_rows)),
                FLOOR: (floor, any_text(FLOOR_FIRST)),
            },
            runs,
            warmups,
        )
        found: Collected = {"start_" + k: v for k, v in starts.items()}
        for name, script, first, scenario in (
            (FLOOR, floor, any_text(FLOOR_FIRST), lambda: floor_scenario(term, runs, warmups)),
            (START, rolodex, any_text(*subjects.first_rows),
             lambda: rolodex_scenarios(term, subjects, runs, warmups)),
        ):  # fmt: skip
            await _stop_pane(control, term)
            control.respawn(script)
            try:
                await term.start(first)
                found.update(await scenario())
            except ScenarioError as exc:
                notes.append(f"tmux {name}: {str(exc).splitlines()[0]}")
            _dead, pid = control.pane()
            memory[name] = rss_mb(pid, "VmHWM")
        await _stop_pane(control, term)
    finally:
        control.close()
    return found, memory, notes


# ------------------------------------------------------------------ figures and the table


@dataclass
class Figure:
    name: str
    key: str  # scenario key, FLOOR or START
    measure: str  # painted, idle, tmux, settled, memory
    values: list[float]
    runs_asked: int
    notes: list[str] = field(default_factory=list)
    floor_p95: float | None = None
    unit: str = "ms"

    @property
    def p50(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    @property
    def p95(self) -> float | None:
        return percentile(self.values, 0.95) if self.values else None

    @property
    def ratio(self) -> float | None:
        if self.p95 is None or not self.floor_p95:
            return None
        return self.p95 / self.floor_p95

    @property
    def target(self) -> tuple[float, float | None] | None:
        if self.measure == "memory":
            return (MEMORY_TARGET_MB, None)
        return TARGETS.get((self.key, self.measure))

    @property
    def target_text(self) -> str:
        if self.target is None:
            return ""
        below, floors = self.target
        unit = "MB" if self.measure == "memory" else "ms"
        text = f"p95 < {below:g} {unit}"
        return text + (f", <= {floors:g}x floor" if floors else "")

    @property
    def met(self) -> bool | None:
        if self.target is None or self.p95 is None:
            return None
        below, floors = self.target
        if self.p95 >= below:
            return False
        return not (floors and (self.ratio is None or self.ratio > floors))

    def as_result(self) -> Result:
        return {
            "name": self.name,
            "scenario": self.key,
            "measure": self.measure,
            "p50": self.p50,
            "p95": self.p95,
            "value": self.p95,
            "unit": self.unit if self.measure == "memory" else "ms p95",
            "runs": len(self.values),
            "runs_asked": self.runs_asked,
            "floor_p95": self.floor_p95,
            "ratio": self.ratio,
            "target": self.target_text,
            "met": self.met,
            "notes": self.notes,
        }


def figures(
    pilot: Collected,
    pilot_floor: Collected,
    tmux: Collected,
    memory: dict[str, float | None],
    subjects: Subjects,
    runs: int,
) -> list[Figure]:
    """Every figure, each beside the floor measured the same way."""
    out: list[Figure] = []

    def label(key: str) -> str:
        if key == "company":
            return f"Enter on the {subjects.company_contacts:,}-contact company (palette)"
        return SCENARIOS.get(key, key)

    start = tmux.get("start_" + START, Runs())
    start_floor = tmux.get("start_" + FLOOR, Runs())
    floor_start = Figure(
        "floor: process start to first paint (tmux)", FLOOR, "tmux",
        [t.painted for t in start_floor.timings], runs, start_floor.notes,
    )  # fmt: skip
    out.append(
        Figure(
            "process start to the first index row (tmux)",
            START,
            "tmux",
            [t.painted for t in start.timings],
            runs,
            start.notes,
            floor_start.p95,
        )  # fmt: skip
    )
    sources = (
        ("painted", "painted", pilot, pilot_floor, lambda t: t.painted),
        ("idle", "painted and idle", pilot, pilot_floor, lambda t: t.done),
        ("tmux", "painted (tmux)", tmux, tmux, lambda t: t.painted),
        ("settled", "settled (tmux)", tmux, tmux, lambda t: t.done),
    )
    floors: list[Figure] = [floor_start]
    for measure, suffix, found, floor_found, pick in sources:
        floor_runs = floor_found.get(FLOOR, Runs())
        floor = Figure(
            f"floor: Enter to a pushed screen: {suffix}", FLOOR, measure,
            [pick(t) for t in floor_runs.timings], runs, floor_runs.notes,
        )  # fmt: skip
        floors.append(floor)
        for key in SCENARIOS:
            got = found.get(key, Runs())
            out.append(
                Figure(
                    f"{label(key)}: {suffix}",
                    key,
                    measure,
                    [pick(t) for t in got.timings],
                    runs,
                    got.notes,
                    floor.p95,
                )  # fmt: skip
            )
    for name, mb in memory.items():
        who = "Rolodex" if name == START else "floor app"
        out.append(
            Figure(
                f"{who} in tmux: memory peak (VmHWM)",
                name,
                "memory",
                [mb] if mb is not None else [],
                1,
                unit="MB",
            )  # fmt: skip
        )
    return out + floors


def print_table(report: dict[str, Any], out: Any = None) -> None:
    out = out or sys.stdout
    print(f"{report['db']}: {report['load_start']} at start", file=out)
    header = f"{'figure':78} {'p50':>8} {'p95':>8} {'runs':>5} {'floor p95':>9} {'ratio':>6}  {'target':28} met"
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in report["results"]:

        def num(v: float | None, width: int, digits: int = 1) -> str:
            return f"{v:{width},.{digits}f}" if v is not None else f"{'-':>{width}}"

        met = {True: "met", False: "NOT MET", None: ""}[r["met"]]
        runs = f"{r['runs']}" + ("" if r["runs"] >= r["runs_asked"] else "!")
        print(
            f"{r['name'][:78]:78} {num(r['p50'], 8)} {num(r['p95'], 8)} {runs:>5} "
            f"{num(r['floor_p95'], 9)} {num(r['ratio'], 6)}  {r['target']:28} {met}",
            file=out,
        )
    notes = [(r["name"], n) for r in report["results"] for n in r["notes"]]
    notes += [("", n) for n in report.get("notes", [])]
    if notes:
        print("\nnotes (! marks fewer runs than asked):", file=out)
        for name, note in notes:
            print(f"  {name + ': ' if name else ''}{note}", file=out)
    print(f"\n{report['load_end']} at end", file=out)


# ------------------------------------------------------------------ entry points


def measure(
    db_path: str | Path,
    runs: int = RUNS,
    warmups: int = WARMUPS,
    tmux: bool = True,
    progress: Callable[[str], None] | None = None,
) -> list[Result]:
    """Every TUI figure for ``db_path``; ``run`` has them with the load and notes."""
    results: list[Result] = run(str(db_path), runs, warmups, tmux, progress)["results"]
    return results


def run(
    db_target: str,
    runs: int = RUNS,
    warmups: int = WARMUPS,
    tmux: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    say = progress or (lambda _text: None)
    report: dict[str, Any] = {"db": db_target, "load_start": load_text(), "notes": []}
    with tempfile.TemporaryDirectory(prefix="rolodex-bench-tui-") as name:
        tmp = Path(name)
        floor_path = tmp / "floor_app.py"
        floor_path.write_text(FLOOR_APP)
        config = tmp / "pilot-config"
        config.mkdir()
        env = app_environment(config)
        say("finding the test records")
        subjects = find_subjects(db_target, warmups + runs)
        subjects_path = tmp / "subjects.json"
        subjects_path.write_text(json.dumps(asdict(subjects)))
        common = ["--runs", str(runs), "--warmups", str(warmups)]
        say("in-process: the floor app")
        floor_found, error = run_part_in_child(
            ["--part", "pilot-floor", "--floor-app", str(floor_path), *common], env
        )
        if error:
            report["notes"].append("in-process floor failed: " + error)
        say("in-process: Rolodex")
        pilot_found, error = run_part_in_child(
            ["--part", "pilot", "--db", db_target, "--subjects", str(subjects_path), *common], env
        )
        if error:
            report["notes"].append("in-process Rolodex failed: " + error)
        tmux_found: Collected = {}
        memory: dict[str, float | None] = {}
        if not tmux:
            report["notes"].append("tmux part skipped")
        elif shutil.which("tmux") is None:
            report["notes"].append("tmux part skipped: tmux is not installed")
        else:
            say("tmux: process starts and scenarios")
            tmux_found, memory, notes = asyncio.run(
                tmux_part(db_target, subjects, floor_path, runs, warmups, tmp)
            )
            report["notes"] += notes
    found = figures(pilot_found, floor_found, tmux_found, memory, subjects, runs)
    report["results"] = [f.as_result() for f in found]
    report["load_end"] = load_text()
    return report


def _run_part(args: argparse.Namespace) -> int:
    """A part run in a child process: write its timings to ``--part-json``."""
    if args.part == "pilot-floor":
        found = asyncio.run(pilot_floor(Path(args.floor_app), args.runs, args.warmups))
    else:
        subjects = Subjects.from_json(json.loads(Path(args.subjects).read_text()))
        found = asyncio.run(pilot_rolodex(args.db, subjects, args.runs, args.warmups))
    Path(args.part_json).write_text(json.dumps(_collected_json(found)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rolodex.bench_tui",
        description=_("TUI speed and memory on a database, with the real app"),
    )
    parser.add_argument("--db", help=_("the database (path or URL) to measure"))
    parser.add_argument("--json", help=_("write the figures to this file"))
    parser.add_argument("--runs", type=int, default=RUNS, help=_("keypress runs per figure"))
    parser.add_argument("--warmups", type=int, default=WARMUPS, help=argparse.SUPPRESS)
    parser.add_argument("--no-tmux", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quiet", action="store_true", help=_("print no table"))
    # A part run in a child process (see run_part_in_child).
    parser.add_argument("--part", choices=("pilot", "pilot-floor"), help=argparse.SUPPRESS)
    parser.add_argument("--part-json", help=argparse.SUPPRESS)
    parser.add_argument("--subjects", help=argparse.SUPPRESS)
    parser.add_argument("--floor-app", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmups < 0:
        parser.error("--runs must be at least 1")
    if args.part:
        return _run_part(args)
    if not args.db:
        parser.error("--db is required")
    progress = (
        None if args.quiet else (lambda text: print(f"... {text}", file=sys.stderr, flush=True))
    )
    report = run(args.db, args.runs, args.warmups, not args.no_tmux, progress)
    if not args.quiet:
        print_table(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
