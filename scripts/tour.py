"""Take the README's "five-minute tour" screenshots from the real app.

    python scripts/tour.py [OUT_DIR]      (default: docs/tour)

It opens a scratch copy of demo.db (the committed file is never changed),
drives the Rolodex TUI with Textual's Pilot, pressing the keys the README tells
a reader to press, and saves one SVG per step. Fixed terminal size, fixed theme,
fixed clock and actor: running it twice gives the same pictures.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import html
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:  # runnable from a fresh clone without installing
    sys.path.insert(0, str(REPO / "src"))

SIZE = (120, 36)
THEME = "rolodex-dark"
# The demo's story is moved to end at this moment, and writes made during the tour happen at it.
NOW = dt.datetime(2026, 3, 2, 9, 30)
TITLE = "Rolodex"
CHAR_WIDTH = 12.2  # of one cell in Textual's SVG export
ACTOR = "you"  # the operating-system account shown in "User (...)"

# (file name, names the picture must show): the test checks these.
STEPS: list[tuple[str, tuple[str, ...]]] = [
    ("01-contacts.svg", ("Contacts", "Ana Lindqvist")),
    ("02-palette.svg", ("Enterprise", "Northwind Traders")),
    ("03-deal.svg", ("Northwind Traders", "Ana Lindqvist", "Björn Berg", "Carla Reyes")),
    ("04-neighbourhood.svg", ("Tracking map does not load", "Lars Olsen", "Ingrid Dahl")),
    ("05-maya.svg", ("Maya Patel", "Helix Therapeutics AB", "Lumen Health GmbH")),
    ("06-associate.svg", ("Maya Patel", "Northwind Traders", "Advisor")),
    ("07-history.svg", ("Maya Patel", "Northwind Traders", f"User ({ACTOR})")),
]


class TourError(RuntimeError):
    """A step did not reach the screen it expected: the app changed, update the tour."""


def screen_text(svg: str) -> str:
    """The characters of an exported screenshot, line by line (to check what a picture shows)."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for match in re.finditer(r'<text[^>]*?x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        x, y, text = float(match[1]), float(match[2]), html.unescape(match[3])
        rows.setdefault(y, []).append((x, text.replace("\xa0", " ")))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            line = line.ljust(round(x / CHAR_WIDTH)) + text
        lines.append(line.rstrip())
    return "\n".join(lines)


def _prepare_database() -> Any:
    """Open a copy of demo.db; returns the database (the caller closes it)."""
    from rolodex.crm import objects
    from rolodex.crm.session import open_session
    from rolodex.synth import demo

    # Like demo.scratch_copy(), but the story is moved to end at NOW (not the real clock) in a
    # single shift, so every date in the pictures is the same on every run.
    folder = Path(tempfile.mkdtemp(prefix="rolodex-tour-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / demo.DEMO_NAME
    if not demo.demo_path().is_file():
        demo.scratch_copy()  # raises the one-line "demo database is missing" error
    shutil.copyfile(demo.demo_path(), path)
    demo._shift_to_now(path, now=NOW)
    objects.invalidate()
    db = open_session(str(path))
    objects.invalidate()
    return db


def _freeze() -> Callable[[], None]:
    """Fix the clock and the actor of writes made during the tour; returns an undo."""
    import rolodex.crm.activities
    import rolodex.crm.history
    import rolodex.crm.lifecycle
    import rolodex.crm.records
    import rolodex.ui.modals.associate
    import rolodex.ui.screens.record
    from rolodex.crm.context import USER, Context

    patches: list[tuple[Any, str, Any]] = []

    def patch(module: Any, name: str, value: Any) -> None:
        if hasattr(module, name):
            patches.append((module, name, getattr(module, name)))
            setattr(module, name, value)

    for module in (
        rolodex.crm.history,
        rolodex.crm.records,
        rolodex.crm.activities,
        rolodex.crm.lifecycle,
    ):
        patch(module, "utcnow", lambda: NOW)
    for module in (rolodex.ui.modals.associate, rolodex.ui.screens.record):
        patch(module, "user", lambda: Context(USER, actor=ACTOR))

    def undo() -> None:
        for module, name, value in reversed(patches):
            setattr(module, name, value)

    return undo


async def _settle(pilot: Any, rounds: int = 60) -> None:
    """Wait until no database work runs and every posted message was handled (a flow
    that waits for a dialog the person has open is not work in progress)."""
    from rolodex.ui.base import FLOW

    app = pilot.app
    quiet = 0
    for _ in range(rounds):
        await pilot.pause()
        if any(w.is_running and w.name != FLOW and w.group != "watch" for w in app.workers):
            quiet = 0
            await pilot.pause(0.01)
            continue
        quiet += 1
        if quiet >= 3:
            return


async def _until(pilot: Any, what: str, check: Callable[[], bool], timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise TourError(f"tour step did not happen: {what}")
        await _settle(pilot, rounds=2)
        await pilot.pause(0.05)


async def run_tour(out_dir: Path) -> list[tuple[Path, str]]:
    from textual.widgets import Input

    from rolodex.ui.app import RolodexApp
    from rolodex.ui.modals.associate import AssociateDialog
    from rolodex.ui.screens.history import HistoryScreen
    from rolodex.ui.screens.index import IndexScreen
    from rolodex.ui.screens.neighbourhood import NeighbourhoodScreen
    from rolodex.ui.screens.record import RecordScreen

    out_dir.mkdir(parents=True, exist_ok=True)
    db = _prepare_database()
    undo = _freeze()
    saved: list[Path] = []
    pressed: list[str] = []
    keys: list[str] = []  # the keys pressed before each picture, printed for the README
    names = iter(name for name, _ in STEPS)
    try:
        with tempfile.TemporaryDirectory(prefix="rolodex-tour-") as config:
            app = RolodexApp(
                config_dir=Path(config), themes_dir=REPO / "themes", live_refresh=False
            )
            async with app.run_test(size=SIZE) as pilot:
                real_press = pilot.press

                async def press(*keys: str) -> None:
                    pressed.extend(keys)
                    await real_press(*keys)

                pilot.press = press  # type: ignore[method-assign]

                async def shot() -> None:
                    await _settle(pilot)
                    for widget in app.screen.query(Input):  # no blinking cursor in a picture
                        widget.cursor_blink = False
                    await pilot.pause()
                    name = next(names)
                    svg = app.export_screenshot(title=TITLE, simplify=True)
                    (out_dir / name).write_text(svg, encoding="utf-8")
                    saved.append(out_dir / name)
                    keys.append(" ".join(pressed))
                    pressed.clear()

                async def on(screen: type, what: str) -> Any:
                    await _until(pilot, what, lambda: isinstance(app.screen, screen))
                    return app.screen

                async def palette(text: str, expect: str) -> None:
                    """ctrl+p, type ``text``, arrow down to the hit ``expect`` (Enter opens it)."""
                    await pilot.press("ctrl+p")
                    await _until(pilot, "command palette", lambda: app.screen.id != "_default")
                    await pilot.press(*text)
                    await _until(pilot, f"palette finds {expect}", lambda: _shows(app, expect))
                    for _ in range(10):
                        if expect in _highlighted(app):
                            return
                        await pilot.press("down")
                        await pilot.pause()
                    raise TourError(f"tour step did not happen: highlight {expect} in the palette")

                app.theme = THEME
                await _settle(pilot)

                # 1. The Contacts index.
                await on(IndexScreen, "Contacts index")
                await shot()

                # 2. ctrl+p, type a name: the command palette finds the deal of example (a).
                await palette("Enterprise", "Northwind Traders – Enterprise licence")
                await shot()
                await pilot.press("enter")

                # 3. The deal and its association sidebar.
                record = await on(RecordScreen, "deal record")
                await _until(pilot, "deal loaded", lambda: record.data is not None)
                await shot()

                # 4. Example (b): the ticket, then g for its neighbourhood; expand the deal.
                await palette("Tracking map", "Tracking map does not load")
                await pilot.press("enter")
                await _until(
                    pilot,
                    "ticket record",
                    lambda: (
                        isinstance(app.screen, RecordScreen)
                        and app.screen.data is not None
                        and app.screen.data.record.type == "ticket"
                    ),
                )
                await pilot.press("g")
                await on(NeighbourhoodScreen, "neighbourhood")
                await _settle(pilot)
                await _expand_deal(pilot, app)
                await shot()
                await pilot.press("escape", "escape")

                # 5. Example (c): Maya Patel and her two companies.
                await palette("Maya Patel", "Maya Patel")
                await pilot.press("enter")
                await _until(
                    pilot,
                    "Maya Patel's record",
                    lambda: (
                        isinstance(app.screen, RecordScreen)
                        and app.screen.data is not None
                        and app.screen.data.record.label == "Maya Patel"
                    ),
                )
                await shot()

                # 6. → to her Companies card, a, search, Space to tick, pick Advisor.
                await _card_to(pilot, app, "company")
                await pilot.press("a")
                dialog = await on(AssociateDialog, "associate dialog")
                await _until(pilot, "labels loaded", lambda: dialog.setup is not None)
                await pilot.press(*"Northwind")
                await _until(
                    pilot,
                    "search result",
                    lambda: _only_hit(dialog) is not None,
                )
                await pilot.press("tab")  # to the results: the cursor on the first
                await pilot.press("space")  # tick Northwind Traders
                await _until(pilot, "Northwind ticked", lambda: bool(dialog.ticked))
                await _tab_to(pilot, app, "labels-existing")
                await _highlight_label(pilot, app, "Advisor")
                await pilot.press("space")
                await _until(pilot, "Advisor ticked", lambda: "Advisor" in _selected(app))
                await shot()
                await pilot.press("ctrl+s")
                record = await on(RecordScreen, "back on Maya Patel")
                await _until(
                    pilot,
                    "Northwind in the sidebar",
                    lambda: record.data is not None and record.data.counts.get("company") == 3,
                )

                # 7. h: the history shows the new association, made by "User (you)".
                await pilot.press("h")
                await on(HistoryScreen, "history")
                await _until(pilot, "history rows", lambda: bool(app.screen.entries))
                await shot()
    finally:
        undo()
        db.close()
        from rolodex.crm import objects

        objects.invalidate()
    return list(zip(saved, keys, strict=True))


def _highlighted(app: Any) -> str:
    from textual.command import CommandList

    lists = app.screen.query(CommandList)
    if not lists or lists.first().highlighted is None:
        return ""
    found = lists.first()
    return str(found.get_option_at_index(found.highlighted).prompt)


def _shows(app: Any, text: str) -> bool:
    from textual.command import CommandList

    lists = app.screen.query(CommandList)
    if not lists:
        return False
    found = lists.first()
    return any(text in str(found.get_option_at_index(i).prompt) for i in range(found.option_count))


async def _card_to(pilot: Any, app: Any, type_key: str, limit: int = 12) -> None:
    """→ in the sidebar until the cursor is on the card of ``type_key``."""
    from rolodex.ui.widgets.cards import CardList

    cards = app.screen.query_one(CardList)
    for _ in range(limit):
        item = cards.highlighted_item
        if item is not None and item.key == f"head:{type_key}":
            return
        await pilot.press("right")
        await _settle(pilot, rounds=2)
    raise TourError(f"tour step did not happen: the {type_key} card")


async def _tab_to(pilot: Any, app: Any, widget_id: str, limit: int = 30) -> None:
    for _ in range(limit):
        if app.screen.focused is not None and app.screen.focused.id == widget_id:
            return
        await pilot.press("tab")
    raise TourError(f"tour step did not happen: focus #{widget_id} with Tab")


async def _highlight_label(pilot: Any, app: Any, word: str) -> None:
    picker = app.screen.query_one("#labels-existing")
    for _ in range(len(picker.items) + 1):
        item = picker.highlighted_item
        if item is not None and item.data == word:
            return
        await pilot.press("down")
    raise TourError(f"tour step did not happen: label {word} in the associate dialog")


def _selected(app: Any) -> list[str]:
    return list(app.screen.query_one("#labels-existing").ticked)


def _only_hit(dialog: Any) -> object:
    """The record of the search's one match (None while there is not exactly one)."""
    hits = [i.data for i in dialog.query_one("#results").items if i.key.startswith("hit:")]
    return hits[0] if len(hits) == 1 else None


def _has_children(node: Any) -> Callable[[], bool]:
    return lambda: bool(node.children)


async def _expand_deal(pilot: Any, app: Any) -> None:
    """Arrow down to the deal under the ticket and press Enter to expand it."""
    from textual.widgets import Tree

    tree = app.screen.query_one(Tree)
    for _ in range(12):
        node = tree.cursor_node
        if node is not None and node.data is not None and node.data.type == "deal":
            await pilot.press("enter")
            await _until(pilot, "deal expanded", _has_children(node))
            return
        await pilot.press("down")
    raise TourError("tour step did not happen: the deal in the neighbourhood tree")


def main(argv: list[str] | None = None) -> int:
    from rolodex.crm.errors import RolodexError

    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else REPO / "docs" / "tour"
    try:
        saved = asyncio.run(run_tour(out_dir))
    except (TourError, RolodexError) as exc:
        print(f"tour.py: {exc}", file=sys.stderr)
        return 1
    for path, _keys in saved:
        text = screen_text(path.read_text(encoding="utf-8"))
        missing = [name for file, names in STEPS if file == path.name for name in names]
        missing = [name for name in missing if name not in text]
        if missing:
            print(f"tour.py: {path.name} does not show {', '.join(missing)}", file=sys.stderr)
            return 1
    for path, pressed in saved:
        print(f"{path} ({path.stat().st_size // 1024} KB) after: {pressed or '(start)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
