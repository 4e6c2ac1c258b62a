"""TUI benchmark: the real app, driven by Pilot, on a (1,000,000-record) database.

    python -m rolodex.bench_tui --db /tmp/tui-1m.db [--json FILE] [--runs 15]

Figures (design section 6):
- first screen: from app start (database opened, app built) until the Contacts
  index's first row is painted; in-process with Pilot, and in a real terminal
  (tmux, the installed ``rolodex`` command, from process start);
- keypress-to-painted for opening the company with the most associations: from
  pressing Enter on its index row until its sidebar's contacts card, with the
  count, is painted;
- the data part of opening that record (the TUI's ``load_record``) beside raw SQL;
- index pages as the TUI reads them (100 rows, counts, primary company) at the
  top and 90% deep, beside raw SQL, and the index's record count;
- resident memory (VmRSS, sampled) while browsing: page down deep, open records,
  open the big company, go back.

"Painted" means: the screen update that Textual hands to the terminal contains
the text. The headless Pilot driver writes nothing, so the benchmark's app
renders every update to the terminal byte string exactly as the real driver
does (that cost is included) and looks for the text in it.

``measure(db)`` runs the Pilot part in a fresh process (so its memory figure is
the app's own), the data part in-process and the tmux part when tmux is
installed. Results are dicts like ``rolodex.bench``'s (ours/raw p50/p95) where a
raw baseline makes sense, else ``{"name", "value", "unit", "target"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from rolodex.bench import Result, percentile, raw_index_page, timings
from rolodex.bench import measure as beside_raw
from rolodex.i18n import _

SIZE = (120, 40)
TIMEOUT = 60.0
_ESCAPES = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")


# ------------------------------------------------------------------ small helpers


def _figure(name: str, value: float | None, unit: str, target: str = "") -> Result:
    return {"name": name, "value": value, "unit": unit, "target": target}


def _spread(name: str, values: list[float], target: str = "") -> Result:
    """p50/p95 of a figure without a raw baseline."""
    return {
        "name": name,
        "value": percentile(values, 0.95) if values else None,
        "unit": "ms p95",
        "target": target,
        "p50": statistics.median(values) if values else None,
        "p95": percentile(values, 0.95) if values else None,
        "runs": len(values),
    }


def load_text() -> str:
    """The machine load now, as uptime prints it."""
    try:
        one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
        return f"load average: {one}, {five}, {fifteen} ({os.cpu_count()} cpus)"
    except OSError:
        return "load average: unknown"


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float | None:
    """A process's resident memory in MB from /proc (VmRSS now, or VmHWM: its peak)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


class RssSampler:
    """Samples this process's VmRSS on a thread; ``peak`` is the highest sample."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> float:
        value = rss_mb() or 0.0
        self.peak = max(self.peak, value)
        return value

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def _is_sqlite(target: str) -> bool:
    return "://" not in target or target.startswith("sqlite")


def _sqlite_path(target: str) -> str:
    return target.split("://", 1)[1] if target.startswith("sqlite://") else target


# ------------------------------------------------------------------ finding the big company


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


# ------------------------------------------------------------------ the Pilot part


class PaintProbe:
    """Watches every screen update for a condition; records when it was first painted."""

    def __init__(self) -> None:
        self.predicate: Callable[[str], bool] | None = None
        self.at: float | None = None
        self.event = asyncio.Event()
        self.updates = 0

    def arm(self, predicate: Callable[[str], bool]) -> None:
        self.predicate = predicate
        self.at = None
        self.event.clear()

    def painted(self, terminal_text: str) -> None:
        self.updates += 1
        if self.predicate is None:
            return
        text = _ESCAPES.sub("", terminal_text)
        try:
            hit = self.predicate(text)
        except Exception:  # a widget not mounted yet, or already gone
            hit = False
        if hit:
            self.at = time.perf_counter()
            self.predicate = None
            self.event.set()

    async def wait(self, timeout: float = TIMEOUT) -> float | None:
        try:
            await asyncio.wait_for(self.event.wait(), timeout)
        except TimeoutError:
            self.predicate = None
            return None
        return self.at


def _bench_app_class() -> type:
    from textual._compositor import CompositorUpdate

    from rolodex.ui import app as app_module
    from rolodex.ui.app import RolodexApp

    class BenchApp(RolodexApp):
        """The real app; each update is also rendered as the terminal driver would."""

        # A relative CSS_PATH resolves beside the defining module: keep the app's own.
        CSS_PATH = str(Path(app_module.__file__).parent / RolodexApp.CSS_PATH)  # type: ignore[operator]

        def __init__(self, probe: PaintProbe, **kwargs: Any) -> None:
            self.probe = probe
            super().__init__(**kwargs)

        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            if renderable is None or self._batch_count or not self.is_headless:
                return
            if isinstance(renderable, CompositorUpdate):
                self.probe.painted(renderable.render_segments(self.console))

    return BenchApp


def _first_row_painted(app: Any, text: str) -> bool:
    from textual.widgets import DataTable

    from rolodex.ui.screens.index import IndexScreen

    screen = app.screen
    if not isinstance(screen, IndexScreen) or screen.type_key != "contact":
        return False
    table = screen.query_one(DataTable)
    if table.row_count == 0:
        return False
    needle = table.get_row_at(0)[0].plain.strip()[:12]
    return bool(needle) and needle in text


def _card_painted(app: Any, record_id: int, type_key: str, count: int, text: str) -> bool:
    from textual.widgets import Label

    from rolodex.ui.screens.record import RecordScreen

    screen = app.screen
    if not isinstance(screen, RecordScreen) or screen.data is None:
        return False
    if screen.data.record.id != record_id:
        return False
    found = screen.query(f"#card-{type_key} .card-title")
    if not found:
        return False
    title = str(found.first(Label).render()).strip()
    digits = re.sub(r"\D", "", title)
    return str(count) in digits and title in text


async def _settle(pilot: Any, rounds: int = 200) -> None:
    """Until no worker runs and posted callbacks ran."""
    app = pilot.app
    for _i in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            return


async def _drive(
    db_target: str, runs: int, pagedowns: int, config_dir: Path, sampler: RssSampler
) -> list[Result]:
    from textual.widgets import DataTable, Input

    from rolodex.store.database import open_database
    from rolodex.ui.db import in_connection

    probe = PaintProbe()
    results: list[Result] = []
    started = time.perf_counter()
    open_database(db_target)
    app = _bench_app_class()(probe, config_dir=config_dir, live_refresh=False)
    probe.arm(partial(_first_row_painted, app))
    async with app.run_test(size=SIZE) as pilot:
        at = await probe.wait()
        first = (at - started) * 1000 if at is not None else None
        results.append(
            _figure(
                "TUI first screen (Pilot, app start to first row painted)", first, "ms", "< 1000"
            )
        )
        results.append(_figure("TUI RSS at first screen", sampler.sample(), "MB", "< 200"))
        await _settle(pilot)

        # Browse: page down deep in the Contacts index, opening a few records on the way.
        table = app.index_screen.query_one(DataTable)
        table.focus()
        presses: list[float] = []
        opens: list[float] = []
        for n in range(pagedowns):
            pressed = time.perf_counter()
            await pilot.press("pagedown")
            if any(worker.is_running for worker in app.workers):
                await app.workers.wait_for_complete()
                await pilot.pause()
            presses.append((time.perf_counter() - pressed) * 1000)
            if n and n % max(1, pagedowns // 5) == 0:
                pressed = time.perf_counter()
                await pilot.press("enter")
                await _settle(pilot)
                opens.append((time.perf_counter() - pressed) * 1000)
                await pilot.press("escape")
                await _settle(pilot)
                table.focus()
        await _settle(pilot)
        results.append(
            _figure(
                f"TUI deep scroll: rows loaded after {pagedowns} page-downs",
                table.row_count,
                "rows",
            )
        )
        results.append(
            _spread("TUI deep scroll: page-down, press until idle (page loads included)", presses)
        )
        if opens:
            results.append(
                _spread(
                    f"TUI open a contact deep in the index: press until idle ({len(opens)} records)",
                    opens,
                )
            )
        results.append(_figure("TUI RSS after deep scroll", sampler.sample(), "MB", "< 200"))

        # The big company: Enter on its row in the Companies index, until its contacts card is painted.
        # In a thread with its own connection, closed afterwards: its full scan must not
        # leave a page cache in the UI thread's connection (that memory is not the app's).
        big_id, big_name, big_count = await asyncio.to_thread(in_connection, biggest_company)
        app.go_to_type("company")
        await _settle(pilot)
        screen = app.index_screen
        filter_input = screen.query_one("#filter", Input)
        filter_input.value = big_name
        await _settle(pilot)
        table = screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(str(big_id)), column=0)
        table.focus()
        await _settle(pilot)
        timings: list[float] = []
        for _i in range(runs + 1):
            probe.arm(partial(_card_painted, app, big_id, "contact", big_count))
            pressed = time.perf_counter()
            await pilot.press("enter")
            at = await probe.wait()
            if at is not None:
                timings.append((at - pressed) * 1000)
            await _settle(pilot)
            await pilot.press("escape")
            await _settle(pilot)
            table.focus()
        timings = timings[1:] if len(timings) > 1 else timings  # the first warms caches
        results.append(
            _spread(
                f"TUI open biggest company ({big_count} contacts): keypress to painted",
                timings,
                "data part p95 < 20 ms",
            )
        )
        app.go_to_type("contact")
        await _settle(pilot)
        results.append(_figure("TUI RSS after browsing (now)", sampler.sample(), "MB", "< 200"))
    return results


def pilot_figures(db_target: str, runs: int = 15, pagedowns: int = 150) -> list[Result]:
    """First screen, big-company keypress-to-painted and memory, with the real app under Pilot."""
    with tempfile.TemporaryDirectory(prefix="rolodex-bench-tui-") as tmp, RssSampler() as sampler:
        results = asyncio.run(_drive(db_target, runs, pagedowns, Path(tmp), sampler))
    results.append(
        _figure("TUI RSS peak while browsing (sampled VmRSS)", sampler.peak, "MB", "< 200")
    )
    results.append(
        _figure("TUI RSS peak of the process (VmHWM)", rss_mb(field="VmHWM"), "MB", "< 200")
    )
    return results


# ------------------------------------------------------------------ the data part


def _raw_load_record(conn: sqlite3.Connection, record_id: int) -> list:
    """What the record screen reads, by hand: the record, its sidebar, primary company, timeline."""
    from rolodex import bench
    from rolodex.crm import objects

    record = conn.execute("SELECT * FROM record WHERE id = ?", (record_id,)).fetchone()
    cards = bench.raw_sidebar(conn, record_id)
    company = objects.by_key(objects.COMPANY).id
    primary = conn.execute(
        "SELECT r.name FROM association s JOIN record r ON r.id = s.b_id "
        "WHERE s.a_id = ? AND s.b_type_id = ? AND s.a_primary_b UNION ALL "
        "SELECT r.name FROM association s JOIN record r ON r.id = s.a_id "
        "WHERE s.b_id = ? AND s.a_type_id = ? AND s.b_primary_a",
        (record_id, company, record_id, company),
    ).fetchall()
    kinds = [t.id for t in objects.all_types() if t.is_activity]
    marks = ",".join("?" * len(kinds))
    timeline = conn.execute(
        f"SELECT r.* FROM record r WHERE r.deleted_at IS NULL AND r.id IN ("
        f"SELECT a_id FROM association WHERE b_id = ? AND a_type_id IN ({marks}) UNION ALL "
        f"SELECT b_id FROM association WHERE a_id = ? AND b_type_id IN ({marks})) "
        "ORDER BY json_extract(r.properties, '$.timestamp') DESC, r.id DESC LIMIT 50",
        (record_id, *kinds, record_id, *kinds),
    ).fetchall()
    return [record, cards, primary, timeline]


def data_figures(db_target: str, runs: int = 100) -> list[Result]:
    """The reads behind the TUI's screens, beside hand-written SQL (SQLite) or alone."""
    from rolodex.crm import index, objects
    from rolodex.crm.views import record_view as load_record
    from rolodex.store.database import open_database
    from rolodex.ui.screens.index import DEFAULT_COLUMNS

    open_database(db_target)
    results: list[Result] = []
    big_id, _name, big_count = biggest_company()
    columns = DEFAULT_COLUMNS["contact"]
    assoc = tuple(c.removeprefix("assoc:") for c in columns if c.startswith("assoc:"))
    wants_primary = "primary" in columns
    read_page = partial(
        index.page,
        "contact",
        limit=index.PAGE_SIZE,
        associated=assoc,
        primary_company=wants_primary,
    )
    if not _is_sqlite(db_target):
        results.append(
            _spread(
                f"record open data (load_record), biggest company ({big_count} contacts)",
                timings(lambda: load_record(big_id), runs),
                "< 20",
            )
        )
        results.append(
            _spread("index page as the TUI reads it: top", timings(read_page, runs), "< 30")
        )
        results.append(
            _spread("index count (the title's total)", timings(lambda: index.total("contact"), 10))
        )
        return results
    conn = sqlite3.connect(_sqlite_path(db_target))
    try:
        results.append(
            beside_raw(
                f"record open data (load_record), biggest company ({big_count} contacts)",
                lambda: load_record(big_id),
                partial(_raw_load_record, conn, big_id),
                runs,
            )
        )
        contact_type = objects.by_key("contact").id
        total = conn.execute(
            "SELECT count(*) FROM record WHERE object_type_id = ?", (contact_type,)
        ).fetchone()[0]
        deep = conn.execute(
            "SELECT name_key, id FROM record WHERE object_type_id = ? AND deleted_at IS NULL "
            "AND merged_into_id IS NULL ORDER BY name_key, id LIMIT 1 OFFSET ?",
            (contact_type, max(0, int(total * 0.9))),
        ).fetchone()
        counted = [objects.by_key(k).id for k in assoc]
        company = objects.by_key(objects.COMPANY).id
        for label, after in (("top", None), ("90% deep", deep)):
            results.append(
                beside_raw(
                    f"index page as the TUI reads it ({index.PAGE_SIZE} rows, counts, primary): {label}",
                    partial(read_page, after=tuple(after) if after else None),
                    partial(
                        raw_index_page,
                        conn,
                        contact_type,
                        after,
                        counted,
                        company,
                        limit=index.PAGE_SIZE,
                    ),
                    runs,
                )
            )
        results.append(
            beside_raw(
                "index count (the title's total)",
                lambda: index.total("contact"),
                lambda: conn.execute(
                    "SELECT count(*) FROM record WHERE object_type_id = ? AND deleted_at IS NULL "
                    "AND merged_into_id IS NULL",
                    (contact_type,),
                ).fetchone(),
                10,
            )
        )
    finally:
        conn.close()
    return results


# ------------------------------------------------------------------ a real terminal


def _tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", *args], check=True, capture_output=True, text=True, timeout=30
    ).stdout


def _poll_pane(session: str, needle: str, timeout: float = TIMEOUT) -> float | None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if needle in _tmux("capture-pane", "-p", "-t", session):
            return time.perf_counter()
        time.sleep(0.005)
    return None


def _app_pid(session: str) -> int | None:
    """The rolodex process in the pane (the pane's process, or one of its children)."""
    pane = int(_tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip())
    candidates = [pane]
    children = Path(f"/proc/{pane}/task/{pane}/children")
    if children.exists():
        candidates += [int(p) for p in children.read_text().split()]
    for pid in candidates:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if (
            b"rolodex" in cmdline
            and b"python" in cmdline.lower() + Path(f"/proc/{pid}/exe").resolve().name.encode()
        ):
            return pid
    return pane


def tmux_figures(db_target: str, pagedowns: int = 150) -> list[Result]:
    """First screen (process start to a contact row on screen) and memory, in tmux."""
    from rolodex.crm import index
    from rolodex.store.database import open_database

    command = Path(sys.executable).parent / "rolodex"
    if shutil.which("tmux") is None or not command.exists():
        return [_figure("TUI in tmux: skipped (tmux or the rolodex command is missing)", None, "")]
    open_database(db_target)
    first_rows = index.page("contact", limit=1).rows
    if not first_rows:
        return [_figure("TUI in tmux: skipped (no contacts)", None, "")]
    from rolodex.ui.text import visible

    needle = visible(first_rows[0].name).strip()[:12]
    session = f"rolodex-bench-tui-{os.getpid()}"
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="rolodex-bench-tmux-") as tmp:
        shell = f"exec {shlex.quote(str(command))} --db {shlex.quote(db_target)}"
        started = time.perf_counter()
        _tmux(
            "new-session", "-d", "-s", session, "-x", str(SIZE[0]), "-y", str(SIZE[1]),
            "-e", f"XDG_CONFIG_HOME={tmp}", "-e", "TERM=xterm-256color", shell,
        )  # fmt: skip
        try:
            at = _poll_pane(session, needle)
            first = (at - started) * 1000 if at is not None else None
            results.append(
                _figure(
                    "TUI first screen in tmux (process start to first row)", first, "ms", "< 1000"
                )
            )
            pid = _app_pid(session)
            results.append(
                _figure("TUI in tmux: RSS at first screen", rss_mb(pid or 0), "MB", "< 200")
            )
            peak = 0.0
            for n in range(pagedowns):
                _tmux("send-keys", "-t", session, "PageDown")
                time.sleep(0.03)
                peak = max(peak, rss_mb(pid or 0) or 0.0)
                if n and n % max(1, pagedowns // 5) == 0:
                    _tmux("send-keys", "-t", session, "Enter")
                    time.sleep(0.5)
                    peak = max(peak, rss_mb(pid or 0) or 0.0)
                    _tmux("send-keys", "-t", session, "Escape")
                    time.sleep(0.3)
            time.sleep(1.0)
            peak = max(peak, rss_mb(pid or 0) or 0.0)
            results.append(
                _figure(
                    f"TUI in tmux: RSS peak (VmHWM) after {pagedowns} page-downs and 5 records",
                    rss_mb(pid or 0, "VmHWM") or peak,
                    "MB",
                    "< 200",
                )
            )
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    return results


# ------------------------------------------------------------------ entry points


def measure(db_path: str | Path, runs: int = 15, tmux: bool = True) -> list[Result]:
    """Every TUI figure for ``db_path`` (a path or URL). The Pilot part runs in a fresh process."""
    target = str(db_path)
    results: list[Result] = [_figure("machine load at start: " + load_text(), None, "")]
    with tempfile.TemporaryDirectory(prefix="rolodex-bench-tui-") as tmp:
        out = Path(tmp) / "pilot.json"
        done = subprocess.run(
            [sys.executable, "-m", "rolodex.bench_tui", "--db", target, "--runs", str(runs),
             "--only", "pilot", "--json", str(out), "--quiet"],
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode == 0 and out.exists():
            results += [
                r
                for r in json.loads(out.read_text())["results"]
                if not r["name"].startswith("machine load")
            ]
        else:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
            results.append(_figure("TUI Pilot run failed: " + tail[0], None, ""))
    results += data_figures(target)
    if tmux:
        results += tmux_figures(target)
    results.append(_figure("machine load at end: " + load_text(), None, ""))
    return results


def print_table(results: list[Result], out: Any = sys.stdout) -> None:
    for r in results:
        if "ours_p95" in r:
            print(
                f"{r['name']:72} ours {r['ours_p50']:8.2f} / {r['ours_p95']:8.2f} ms   "
                f"raw {r['raw_p50']:7.2f} / {r['raw_p95']:7.2f} ms   ratio {r['ratio_p95']:5.1f}",
                file=out,
            )
        elif "p95" in r:
            p50, p95 = r["p50"], r["p95"]
            shown = f"p50 {p50:8.1f}  p95 {p95:8.1f} ms" if p95 is not None else "n/a"
            print(f"{r['name']:72} {shown}   target {r['target']}", file=out)
        elif r["value"] is None:
            print(r["name"], file=out)
        else:
            value = r["value"]
            shown = f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
            target = f"   target {r['target']}" if r["target"] else ""
            print(f"{r['name']:72} {shown:>10} {r['unit']}{target}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rolodex.bench_tui",
        description=_("TUI speed and memory on a database, with the real app"),
    )
    parser.add_argument("--db", required=True, help=_("the database (path or URL) to measure"))
    parser.add_argument("--json", help=_("write the figures to this file"))
    parser.add_argument("--runs", type=int, default=15, help=_("keypress runs per figure"))
    parser.add_argument(
        "--only",
        action="append",
        choices=("pilot", "data", "tmux"),
        help=_("run only these parts (repeatable); default all"),
    )
    parser.add_argument(
        "--pagedowns", type=int, default=150, help=_("page-downs in the browsing run")
    )
    parser.add_argument("--quiet", action="store_true", help=_("print no table"))
    args = parser.parse_args(argv)
    parts = args.only or ["pilot", "data", "tmux"]
    results: list[Result] = [_figure("machine load at start: " + load_text(), None, "")]
    if "pilot" in parts:  # first, while the process is fresh: its memory is the app's own
        results += pilot_figures(args.db, runs=args.runs, pagedowns=args.pagedowns)
    if "data" in parts:
        results += data_figures(args.db)
    if "tmux" in parts:
        results += tmux_figures(args.db, pagedowns=args.pagedowns)
    results.append(_figure("machine load at end: " + load_text(), None, ""))
    if not args.quiet:
        print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps({"db": args.db, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
