"""The TUI benchmark measures what it says: the screen as the terminal shows it, the UI idle
only when its work is done (workers included), every figure over the runs asked for, beside
the framework's floor. Its figures are never asserted against a speed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rolodex import bench_tui
from rolodex.bench_tui import (
    InProcessTerminal,
    Subject,
    TerminalText,
    any_text,
    dialog_closed,
    dialog_opened,
    is_cursor_blink,
    listed,
)

ROLODEX = Path(sys.executable).parent / "rolodex"
WORK_MS = 200


# ------------------------------------------------------------------ the screen as a person sees it


def test_terminal_text_is_what_the_written_bytes_show() -> None:
    screen = TerminalText(20, 3)
    changed, restyled = screen.feed("\x1b[?2026h\x1b[1;1H\x1b[1mContacts (9)\x1b[0m\x1b[?2026l")
    assert screen.lines()[0] == "Contacts (9)"
    assert (changed, restyled) == (11, 1)  # the space was blank already: only its style is new
    # A later update writes only what changed, where it changed; links and titles are not text.
    screen.feed("\x1b[1;11H\x1b[38;2;1;2;3m8\x1b[0m\x1b]8;id=1;https://x\x1b\\\x1b[2;3H名前")
    assert screen.lines()[:2] == ["Contacts (8)", "  名前"]
    # Repainting the same characters in another style changes no text.
    assert screen.feed("\x1b[1;1H\x1b[7mC\x1b[0m") == (0, 1)
    assert screen.feed("\x1b[1;1H\x1b[7mContacts\x1b[0m") == (0, 7)
    assert screen.feed("\x1b[2J")[0] > 0 and screen.lines() == ["", "", ""]


def test_only_a_one_cell_restyle_is_a_cursor_blink() -> None:
    assert is_cursor_blink(0, 1)
    assert not is_cursor_blink(0, 0)  # a repaint of the same screen: the UI was rendering
    assert not is_cursor_blink(0, 40)  # a focus highlight moved
    assert not is_cursor_blink(1, 1)


def test_a_record_is_recognised_by_its_name_on_top_and_its_card_count() -> None:
    company = Subject("Copper Analytics", (("Contacts", 50_000),))
    record = [" Copper Analytics  Company · company:1", "", "│ Contacts (50,000)   Add │"]
    assert company.shown(record)
    assert company.shown([record[0], "", "Contacts (50 000)"])
    assert company.shown([record[0], "", "Contacts: 50000"])
    assert not company.shown([record[0], "", "Contacts (500,000)"])
    assert not company.shown([record[0], "", "Contacts (5,000)"])
    # The index with the name typed in its filter: the name on top, no card.
    index = [" 1 Contacts   2 Companies", " Contacts · 50,000 records  Copper Analytics", ""]
    assert not company.shown(index)
    # The name further down (a row of a list) is not the record's header.
    assert not company.shown(["", "", "", "", "Copper Analytics", "Contacts (50,000)"])


def test_the_associate_dialog_is_a_new_line_starting_with_associate() -> None:
    record = [" Ana  Contact", "│ Companies (2)  │", " esc Back  a Associate  h History"]
    opened = dialog_opened(record)
    assert not opened(record)
    assert not opened([*record[:2], " esc Cancel  a Associate", record[2]])
    dialog = [record[0], "│ Co█ Associate contacts with Ana      █", record[2]]
    assert opened(dialog)
    assert not dialog_closed(dialog) and dialog_closed(record)


def test_a_palette_hit_is_a_new_line_starting_with_the_name() -> None:
    before = [" Ruth Holm   ruth@copper.example   Copper Analytics", ""]
    typed = [before[0], "  🔎 Copper Analytics"]
    hit = listed("Copper Analytics", before)
    assert not hit(typed)
    assert hit([*typed, "  Copper Analytics  copper.example"])


# ------------------------------------------------------------------ idle means the work is done


def _test_app(worker_ms: int, then_show: str | None = None):  # type: ignore[no-untyped-def]
    """Enter pushes a screen that paints at once, then works ``worker_ms`` in a thread
    worker (and shows ``then_show`` afterwards, when given)."""
    from textual import work
    from textual.app import App, ComposeResult
    from textual.screen import Screen
    from textual.widgets import Static

    class Busy(Screen):
        def compose(self) -> ComposeResult:
            yield Static("Second screen", id="text")

        def on_mount(self) -> None:
            self.load()

        @work(thread=True)
        def load(self) -> None:
            time.sleep(worker_ms / 1000)
            if then_show:
                self.app.call_from_thread(self.query_one("#text", Static).update, then_show)

    class TestApp(App):
        BINDINGS = [("enter", "open", "Open"), ("escape", "app.pop_screen", "Back")]

        def compose(self) -> ComposeResult:
            yield Static("First screen")

        def action_open(self) -> None:
            self.push_screen(Busy())

    return TestApp()


@pytest.mark.parametrize("then_show", [None, "Loaded"])
async def test_idle_waits_for_the_work_after_the_first_paint(then_show: str | None) -> None:
    async with InProcessTerminal.running(_test_app(WORK_MS, then_show)) as term:
        await term.start(any_text("First screen"))
        timing = await term.measure("enter", any_text("Second screen"))
        assert timing is not None
        # Painted at once; idle only once the worker finished (its sleep is a lower bound).
        assert timing.painted > 0
        assert timing.done >= WORK_MS
        assert timing.done > timing.painted
        if then_show:
            assert any_text(then_show)(term.lines())


async def test_a_keypress_that_shows_nothing_new_is_not_counted_when_not_required() -> None:
    async with InProcessTerminal.running(_test_app(0)) as term:
        await term.start(any_text("First screen"))
        assert await term.measure("x", any_text("Second screen"), required=False) is None
        with pytest.raises(bench_tui.ScenarioError):
            await term.measure("x", any_text("Second screen"))


# ------------------------------------------------------------------ the whole benchmark


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench-tui") / "10k.db"
    subprocess.run(
        [sys.executable, "-m", "rolodex", "--db", str(path), "seed", "--size", "10k"],
        check=True,
        capture_output=True,
    )
    return path


def _by_name(results: list[dict], name: str) -> dict:
    found = [r for r in results if r["name"] == name]
    assert found, f"no figure {name!r} in {[r['name'] for r in results]}"
    return found[0]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_every_figure_is_measured_over_the_runs_asked_beside_the_floor(
    seeded: Path, tmp_path: Path
) -> None:
    out = tmp_path / "tui.json"
    runs = 2
    args = ["--db", str(seeded), "--runs", str(runs), "--warmups", "0", "--json", str(out)]
    assert bench_tui.main([*args, "--quiet"]) == 0
    report = json.loads(out.read_text())
    results = report["results"]
    assert report["load_start"].startswith("load average: ")
    assert report["load_end"].startswith("load average: ")

    floors = [r for r in results if r["scenario"] == "floor" and r["measure"] != "memory"]
    assert len(floors) == 5  # start, and a pushed screen painted / idle / in tmux / settled
    scenario_figures = [r for r in results if r["scenario"] in bench_tui.SCENARIOS]
    assert len(scenario_figures) == 4 * len(bench_tui.SCENARIOS)
    start = _by_name(results, "process start to the first index row (tmux)")
    for figure in [start, *floors, *scenario_figures]:
        assert figure["runs"] == figure["runs_asked"] == runs, figure
        assert 0 < figure["p50"] <= figure["p95"], figure
    for figure in [start, *scenario_figures]:
        assert figure["floor_p95"] > 0 and figure["ratio"] > 0, figure

    idle = _by_name(results, "Enter on a typical contact: painted and idle")
    assert idle["target"] == "p95 < 100 ms, <= 5x floor" and idle["met"] in (True, False)
    assert _by_name(results, "page-down 90% deep: painted")["target"] == "p95 < 30 ms"
    assert _by_name(results, "page-down 90% deep: settled (tmux)")["target"] == ""
    assert start["target"] == "p95 < 400 ms"
    company = [r for r in results if r["scenario"] == "company"]
    assert all("500-contact company" in r["name"] for r in company)  # the seed's biggest
    memory = _by_name(results, "Rolodex in tmux: memory peak (VmHWM)")
    assert memory["unit"] == "MB" and 10 < memory["p95"] < 8192


def test_the_table_names_every_column_and_marks_fewer_runs(capsys: pytest.CaptureFixture) -> None:
    figure = bench_tui.Figure(
        "a to the Associate dialog: painted and idle", "associate", "idle",
        [120.0, 80.0], runs_asked=3, notes=["Ana: 'a' never showed the expected screen"],
        floor_p95=10.0,
    )  # fmt: skip
    report = {"db": "x.db", "load_start": "load average: 1", "load_end": "load average: 2"}
    bench_tui.print_table({**report, "results": [figure.as_result()]})
    shown = capsys.readouterr().out
    for column in ("figure", "p50", "p95", "runs", "floor p95", "ratio", "target", "met"):
        assert column in shown
    assert "2!" in shown and "12.0" in shown and "NOT MET" in shown
    assert "never showed the expected screen" in shown and "load average: 2" in shown


async def test_the_floor_app_stands_alone(tmp_path: Path) -> None:
    """The floor is a script of its own: no Rolodex import inflates its start."""
    assert "rolodex" not in bench_tui.FLOOR_APP.lower()
    script = tmp_path / "floor_app.py"
    script.write_text(bench_tui.FLOOR_APP)
    found = await bench_tui.pilot_floor(script, runs=2, warmups=0)
    assert len(found["floor"].timings) == 2
    assert all(0 < t.painted <= t.done for t in found["floor"].timings)
