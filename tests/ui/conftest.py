"""UI fixtures: deterministic data through crm/ in a tmp database, a frozen clock, an app."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import HOSTILE_NAMES

REPO = Path(__file__).resolve().parents[2]
THEMES = REPO / "themes"
START = dt.datetime(2026, 3, 2, 9, 0)


class Clock:
    """Each reading is one minute after the previous: stable, distinct timestamps."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.ticks = itertools.count()
        self.start = start

    def __call__(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=next(self.ticks))


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    import rolodex.crm.activities
    import rolodex.crm.history
    import rolodex.crm.lifecycle
    import rolodex.crm.records

    for module in (
        rolodex.crm.history,
        rolodex.crm.records,
        rolodex.crm.activities,
        rolodex.crm.lifecycle,
    ):
        monkeypatch.setattr(module, "utcnow", clock)
    return clock


@dataclass
class Data:
    ids: dict[str, int] = field(default_factory=dict)
    hostile_contacts: list[int] = field(default_factory=list)
    hostile_companies: list[int] = field(default_factory=list)


def build(ctx) -> Data:  # type: ignore[no-untyped-def]
    """A small world: Ana at Acme (primary) and Globex, colleagues, a deal, a ticket, hostile names."""
    from rolodex.crm import activities, associations, labels, records

    data = Data()

    def make(name: str, type_key: str, values: dict[str, str]) -> int:
        rid = records.create(type_key, values).id
        data.ids[name] = rid
        return rid

    acme = make("acme", "company", {"name": "Acme", "domain": "acme.com", "city": "Malmö"})
    globex = make("globex", "company", {"name": "Globex", "domain": "globex.com"})
    initech = make("initech", "company", {"name": "Initech", "domain": "initech.com"})
    ana = make(
        "ana",
        "contact",
        {
            "first_name": "Ana",
            "last_name": "Andersson",
            "email": "ana@acme.com",
            "job_title": "CTO",
        },
    )
    bo = make("bo", "contact", {"first_name": "Bo", "last_name": "Berg", "email": "bo@acme.com"})
    cy = make("cy", "contact", {"first_name": "Cy", "last_name": "Chen", "email": "cy@globex.com"})
    deal = make("deal", "deal", {"name": "Acme renewal", "amount": "12000", "stage": "proposal"})
    ticket = make("ticket", "ticket", {"subject": "Login fails", "status": "open"})
    labels.create("contact", "company", "Employee", "Employer")
    labels.create("contact", "contact", "Manager", "Report")
    labels.create("contact", "deal", "Decision maker")
    associations.associate(ana, acme, ctx, ["Employee"])
    associations.associate(ana, globex, ctx)
    associations.associate(bo, acme, ctx)
    associations.associate(cy, globex, ctx)
    associations.associate(ana, bo, ctx, ["Manager"])
    associations.associate(ana, deal, ctx, ["Decision maker"])
    associations.associate(deal, acme, ctx)
    associations.associate(ticket, ana, ctx)
    activities.log(
        ana,
        "note",
        {
            "subject": "Kick-off call",
            "body": "Discussed the renewal",
            "timestamp": "2026-03-02T10:00:00",
        },
        ctx,
    )
    for number, name in enumerate(HOSTILE_NAMES):
        contact = records.create(
            "contact", {"first_name": name, "email": f"hostile{number}@example.org"}
        ).id
        company = records.create("company", {"name": name}).id
        data.hostile_contacts.append(contact)
        data.hostile_companies.append(company)
        associations.associate(contact, initech, ctx)
        associations.associate(ana, company, ctx)
    return data


@pytest.fixture
def world(db, frozen) -> Data:  # type: ignore[no-untyped-def]
    from rolodex.crm.context import Context

    return build(Context("API", actor="tester"))


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    path = tmp_path / "config"
    path.mkdir()
    return path


@pytest.fixture
def make_app(config_dir: Path):  # type: ignore[no-untyped-def]
    from rolodex.ui.app import RolodexApp

    def factory(**kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("config_dir", config_dir)
        kwargs.setdefault("themes_dir", THEMES)
        # The live-refresh watcher runs for the app's lifetime, and settle() waits for
        # every worker: flows run without it; test_live_refresh.py turns it on.
        kwargs.setdefault("live_refresh", False)
        return RolodexApp(**kwargs)

    return factory


def busy(app) -> bool:  # type: ignore[no-untyped-def]
    """Work is in progress: a worker runs that is not a flow waiting on a person (a flow
    awaits its dialog as long as the dialog is open) nor the change watcher."""
    from rolodex.ui.base import FLOW

    return any(
        worker.is_running and worker.name != FLOW and worker.group != "watch"
        for worker in app.workers
    )


async def settle(pilot, rounds: int = 60) -> None:  # type: ignore[no-untyped-def]
    """Wait until no database work runs and every posted message was handled."""
    app = pilot.app
    quiet = 0
    for _ in range(rounds):
        await pilot.pause()
        if busy(app):
            quiet = 0
            await pilot.pause(0.01)
            continue
        quiet += 1
        if quiet >= 3:
            return


def tick(screen, selector: str, value: object) -> None:  # type: ignore[no-untyped-def]
    """Tick ``value`` in a PickList as Space does: the cursor on its item, then the key's
    action (which posts what a keypress posts)."""
    from rolodex.ui.widgets.picklist import PickList

    picks = screen.query_one(selector, PickList)
    picks.cursor = next(n for n, item in enumerate(picks.items) if item.data == value)
    picks.action_tick_highlighted()


def listed(screen, selector: str) -> list[object]:  # type: ignore[no-untyped-def]
    """The values a PickList offers to tick, in order."""
    from rolodex.ui.widgets.picklist import PickList

    return [item.data for item in screen.query_one(selector, PickList).items if item.selectable]


def table_names(screen) -> list[str]:  # type: ignore[no-untyped-def]
    """The names in an index's rows as held (every row of a small list)."""
    out = []
    for row in range(screen.table.row_count):
        found = screen.row_at(row)
        if found is None:
            break
        out.append(found.name or found.ref)
    return out


def cell_text(screen, row: int, key: str) -> str:  # type: ignore[no-untyped-def]
    """What an index cell shows, as plain text."""
    keys = ["name", *screen.columns]
    cells = screen.cells(row)
    assert cells is not None, f"row {row} is not read yet"
    return cells[keys.index(key)].plain


def screen_text(app) -> str:  # type: ignore[no-untyped-def]
    """The whole screen as a person sees it: the text of Textual's own screenshot, line by
    line (columns by the screenshot's character grid)."""
    import html
    import re

    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    pattern = r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>'
    for match in re.finditer(pattern, svg):
        x, y = float(match.group(1)), float(match.group(2))
        text = html.unescape(match.group(3)).replace("\xa0", " ")
        rows.setdefault(y, []).append((x, text))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            column = int(round(x / 12.2))
            line += " " * max(0, column - len(line)) + text
        lines.append(line.rstrip())
    return "\n".join(lines)
