"""Text from the database never drives the terminal: every screen and dialog is walked
with a database whose every field holds hostile text (escape sequences ended by ST and
by BEL, C1 controls, bidi overrides, line breaks, markup, very long and wide text), and
the bytes the app writes to the terminal are checked, not only the widget tree."""

from __future__ import annotations

import re

import pytest
from textual.drivers.headless_driver import HeadlessDriver

from rolodex.crm import activities, associations, labels, lifecycle, limits, objects, records
from rolodex.crm.context import Context
from tests.conftest import PG_URL
from tests.ui.conftest import settle

# Each fragment would do something to a terminal if written raw.
PAYLOADS = [
    "clip\x1b]52;c;ZWNobyBQV05FRA==\x1b\\board",  # OSC 52 ended by ST: writes the clipboard
    "title\x1b]2;owned\x1b\\bar",  # OSC 2: renames the terminal
    "bel\x1b]2;owned\x07end",  # OSC ended by BEL
    "clear\x1b[2Jscreen",  # CSI: clears the screen
    "colour\x1b[31;5;7mred",
    "one\x9bbyte\x9b2Jcsi",  # C1 CSI
    "c1\x85\x90\x9d\x9fcontrols",
    "bidi\u202eesrever\u202c",  # RLO ... PDF: the name displays reversed
    "iso\u2066late\u2069",
    "mark\u200fs\u200e",
    "line\r\nbreaks\nand\rreturns",
    "para\u2028graph\u2029sep",
    "del\x7fete",
    "tab\tand\vvertical\x0cfeed",
    "[@click=app.quit]x[/]",
    "[/x]W",
    "emoji 👩‍💻 zwj e\u0301 combining 漢字",
    "\u202eshopping\u202d",
]
LONG = "L" * 10_000
# What must never be in the terminal stream: the raw forms of what the payloads hold.
# (A newline is Textual's own line end between screen lines.)
FORBIDDEN = re.compile(
    "[\x00-\x06\x08\x09\x0b-\x1a\x1c-\x1f\x7f-\x9f\u2028\u2029"
    "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]"
)
# The escape sequences Textual itself writes: colours, cursor moves, the pointer shape.
TEXTUAL_ESCAPE = re.compile(r"\x1b\[[0-9;]*[mH]|\x1b\]22;[a-z-]+\x07")

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="the terminal, not the engine, is tested")


class CaptureDriver(HeadlessDriver):
    """Headless, but what the app would write to the terminal is kept."""

    written: list[str] = []

    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        CaptureDriver.written.append(data)


def stream_problems(text: str) -> list[str]:
    problems = []
    rest = TEXTUAL_ESCAPE.sub("", text)
    for match in re.finditer("\x1b", rest):
        problems.append("raw ESC: " + repr(rest[max(0, match.start() - 20) : match.start() + 20]))
    bell_free = rest.replace("\x07", "")  # BEL only ends Textual's pointer-shape sequence
    for match in FORBIDDEN.finditer(bell_free):
        around = bell_free[max(0, match.start() - 20) : match.start() + 20]
        problems.append(
            f"raw {match.group(0)!r}: {around!r} [{bell_free[max(0, match.start() - 300) : match.start()]!r}]"
        )
    if "\x07" in rest:
        problems.append("a raw BEL outside Textual's own sequences")
    return problems[:40]


@pytest.fixture
def hostile(db):  # type: ignore[no-untyped-def]
    """A database where every field of every record holds hostile text."""
    ctx = Context("API", actor="tester")
    values = iter(PAYLOADS * 20)
    made: dict[str, list[int]] = {}

    def fill(type_key: str, count: int, **fixed: str) -> list[int]:
        info = objects.by_key(type_key)
        ids = []
        for n in range(count):
            props = {}
            for prop in info.properties:
                if prop.key in fixed:
                    props[prop.key] = fixed[prop.key].format(n=n)
                elif prop.kind in ("email", "domain", "number", "date", "datetime"):
                    continue
                else:
                    props[prop.key] = next(values)
            ids.append(records.create(type_key, props).id)
        made[type_key] = ids
        return ids

    companies = fill("company", 4, domain="evil{n}.example")
    contacts = fill("contact", 6, email="p{n}@evil0.example")
    deals = fill("deal", 2)
    tickets = fill("ticket", 2)
    objects.create_custom_object(
        "spooky", PAYLOADS[0], PAYLOADS[1], [("name", "text"), ("notes", "text")]
    )
    spooky = fill("spooky", 2)
    long_one = records.create("company", {"name": LONG, "domain": "long.example"}).id
    for word, inverse in ((PAYLOADS[0], PAYLOADS[7]), (PAYLOADS[3], None), (PAYLOADS[14], None)):
        labels.create("contact", "company", word, inverse)
    label_words = [lab.name for lab in labels.list_labels("contact", "company")]
    for n, contact in enumerate(contacts):
        associations.associate(contact, companies[n % 4], ctx, [label_words[n % 3]])
        associations.associate(contact, companies[(n + 1) % 4], ctx)
        associations.associate(deals[n % 2], contact, ctx)
        associations.associate(tickets[n % 2], contact, ctx)
        associations.associate(spooky[n % 2], contact, ctx)
    associations.associate(contacts[0], contacts[1], ctx)
    # Hierarchies: a company group, and an org chart under a hostile label.
    associations.associate(companies[0], companies[1], ctx, ["Parent company"])
    associations.associate(companies[1], companies[2], ctx, ["Parent company"])
    labels.create("contact", "contact", PAYLOADS[2], PAYLOADS[4], hierarchical=True)
    associations.associate(contacts[0], contacts[1], ctx, [PAYLOADS[2]])
    associations.associate(contacts[0], long_one, ctx)
    for payload in PAYLOADS[:6]:
        activities.log(
            contacts[0], "note", {"subject": payload, "body": payload + "\n" + LONG}, ctx
        )
    limits.set_limit("contact", "company", 1)  # every contact is over: the usage report lists them
    lifecycle.delete(contacts[5], ctx)  # the recycle bin has one
    return made


async def walk(pilot, made) -> set[str]:  # type: ignore[no-untyped-def]
    """Every screen and dialog, by keys and by the app's own calls; returns the names of
    the screens and dialogs it saw."""
    app = pilot.app
    seen: set[str] = set()

    async def press(*keys: str) -> None:
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
            seen.add(type(app.screen).__name__)

    async def back_to_index() -> None:
        for _ in range(6):
            if len(app.screen_stack) == 1:
                return
            await press("escape")

    await settle(pilot)
    for number in "123456":  # every index, the custom object's too
        await press(number)
        await press("end", "home")
    await press("1", "c")  # edit columns
    await press("escape", "n")  # new record
    await press("escape", "slash", *"clip", "enter")  # a filter
    app.screen.query_one("#filter").value = ""
    await settle(pilot)
    screen = app.screen
    screen.table.focus()
    screen.table.move_to(0, [c.key for c in screen.table.columns].index("assoc:company"))
    await press("enter")  # the records behind a count
    await press("escape")
    # a save conflict: someone else saved the record first
    app.open_record(made["contact"][1])
    await settle(pilot)
    records.update(made["contact"][1], {"phone": PAYLOADS[2]})
    app.screen.query_one("#prop-job_title").value = "typed " + PAYLOADS[5]
    await press("ctrl+s")
    await press("escape", "escape")
    # a merge preview of two hostile records
    app.open_record(made["contact"][0])
    await settle(pilot)
    await press("m", *"p1@", "enter", "enter")
    await press("escape", "escape")
    await press("1", "f6", "escape")  # export the index
    for type_key in ("contact", "company", "deal", "ticket", "spooky"):
        app.open_record(made[type_key][0])
        await settle(pilot)
        await press("f6")  # export the record (a contact's vCard)
        if len(app.screen_stack) > 1 and type(app.screen).__name__ == "ExportDialog":
            await press("escape")
        await press("enter")  # the actions of the first card item
        await press("escape")
        await press("a")  # associate: existing, a search, then new
        await press(*"clip")
        await press("ctrl+t", "ctrl+n")  # a new label
        await press("escape", "escape")
        await press("l")  # edit labels
        await press("escape", "n")  # log a note
        await press("escape", "h")  # history
        await press("enter")  # one association's history
        await press("escape", "t", *"2030-01-01", "enter")  # as of
        await press("escape", "escape", "g")  # neighbourhood
        await press("down", "down", "space", "down")
        await press("escape", "t", "down", "space")  # the hierarchy
        await press("escape", "m", *"clip")  # merge: pick
        await press("escape", "f1")  # help
        await press("escape")
        await back_to_index()
    await press("f2")  # labels & limits
    await press("n")
    await press("escape", "l")
    await press("escape", "x")
    await press("escape", "escape", "f3")  # recycle bin
    await press("escape", "f4")  # themes
    await press("escape", "ctrl+p", *"clip")  # the palette with hostile hits
    await press("escape")
    app.notify(PAYLOADS[0] + PAYLOADS[5] + PAYLOADS[7], title=PAYLOADS[1], severity="error")
    await settle(pilot)
    return seen


async def test_no_raw_control_escape_or_bidi_character_reaches_the_terminal(hostile, make_app):
    CaptureDriver.written = []
    app = make_app()
    app.driver_class = CaptureDriver
    async with app.run_test(size=(120, 40), headless=False) as pilot:
        seen = await walk(pilot, hostile)
        assert app.is_running
    assert {
        "IndexScreen",
        "EditColumnsDialog",
        "NewRecordDialog",
        "RecordScreen",
        "ChoiceDialog",
        "AssociateDialog",
        "NewLabelDialog",
        "EditLabelsDialog",
        "LogActivityDialog",
        "HistoryScreen",
        "PairHistoryDialog",
        "AsOfDialog",
        "NeighbourhoodScreen",
        "TreeScreen",
        "PickRecordDialog",
        "MergePreviewDialog",
        "ConflictDialog",
        "AssociatedListDialog",
        "HelpDialog",
        "LabelsScreen",
        "SetLimitDialog",
        "ExcludeDomainDialog",
        "RecycleBinScreen",
        "Palette",
        "ExportDialog",
    } <= seen, seen
    stream = "".join(CaptureDriver.written)
    assert len(stream) > 100_000, "the walk drew little: it did not reach the screens"
    assert stream_problems(stream) == []
    # and what was hostile is there, as visible stand-ins
    assert "clip␛]52;c;ZWNobyBQV05FRA==␛\\board" in stream
    assert "bidi\\u202eesrever\\u202c" in stream


def test_the_stream_check_finds_each_kind_of_raw_character():
    for raw in ("\x1b]52;c;eA==\x1b\\", "\x1b]2;x\x07", "\x9b2J", "a\u202eb", "x\x00y", "\x7f"):
        assert stream_problems("\x1b[1;1H\x1b[97mok " + raw + "\x1b[0m"), raw
    assert stream_problems("\x1b[1;1H\x1b[97;40mfine\x1b[0m\x1b]22;default\x07") == []
