"""End to end: the real `rolodex` command in tmux; type keys, read the screen, check the database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PG_URL

ROLODEX = Path(sys.executable).parent / "rolodex"

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(not ROLODEX.exists(), reason="the rolodex command is not installed"),
    pytest.mark.skipif(bool(PG_URL), reason="runs against a SQLite file"),
]


class Tmux:
    def __init__(self, tmp_path: Path) -> None:
        self.socket = f"rolodex-e2e-{os.getpid()}-{tmp_path.name}"[:60]

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=20,
        )
        return result.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "e2e")

    def wait_for(self, text: str, timeout: float = 25.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")

    def keys(self, *keys: str) -> None:
        # One key per write, with a pause: a burst of bytes may be read as a paste.
        for key in keys:
            self.run("send-keys", "-t", "e2e", key)
            time.sleep(0.25)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", "e2e", "-l", text)
        time.sleep(0.25)

    def wait_until_gone(self, text: str, timeout: float = 25.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text not in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never went away; the screen was:\n{screen}")


@pytest.fixture
def tmux(tmp_path: Path):  # type: ignore[no-untyped-def]
    session = Tmux(tmp_path)
    yield session
    session.run("kill-server")  # our own private server (-L), nobody else's


def start(tmux: Tmux, tmp_path: Path, db_url: str, extra_env: str = "") -> None:
    env = f"env -u COLUMNS -u LINES XDG_CONFIG_HOME={tmp_path / 'cfg'} TEXTUAL_ANIMATIONS=none"
    tmux.run(
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        "120",
        "-y",
        "40",
        f"{env} {extra_env} {ROLODEX} --db {db_url}",
    )


def quit_app(tmux: Tmux) -> None:
    tmux.keys("C-q")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "e2e" in tmux.run("list-sessions"):
        time.sleep(0.2)


def open_ana(tmux: Tmux) -> str:
    tmux.wait_for("שלום עולם")
    time.sleep(1.0)  # let the terminal's start-up replies settle before typing
    tmux.keys("/")
    tmux.type("Ana")
    tmux.wait_for("Contacts · 1 record ·")
    tmux.keys("Enter")  # leave the filter for the table
    time.sleep(1.0)
    if "Properties" not in tmux.screen():
        tmux.keys("Enter")  # open the record
    return tmux.wait_for("Decision maker")


def test_rolodex_command_in_tmux(db_url, db, world, tmux, tmp_path):
    from rolodex.crm import activities, history

    ana = world.ids["ana"]
    start(tmux, tmp_path, db_url)
    screen = tmux.wait_for("שלום עולם")
    assert len(screen.splitlines()[0]) <= 120
    assert "[@click=app.quit]x[/]" in screen and "ACME [UK] Ltd" in screen
    screen = open_ana(tmux)
    assert "Primary company: Acme" in screen and "Employer" in screen
    tmux.keys("n")
    tmux.wait_for("Log note on Ana Andersson")
    tmux.type("Typed in tmux")
    tmux.keys("Enter")
    tmux.type("from the e2e test")
    tmux.keys("C-s")
    tmux.wait_until_gone("Log note on Ana Andersson")
    tmux.wait_for("Typed in tmux")
    tmux.keys("h")
    screen = tmux.wait_for("User (")
    assert "Association history of Ana Andersson" in screen and "Typed in tmux" in screen
    tmux.keys("Escape")
    tmux.keys("Escape")
    tmux.keys("2")
    tmux.wait_for("Companies ·")
    quit_app(tmux)
    note = next(
        a for a in activities.timeline(ana) if a.properties.get("subject") == "Typed in tmux"
    )
    assert note.properties["body"] == "from the e2e test"
    entry = history.pair_history(ana, note.id)[0]
    assert entry.source == "User"


def test_ctrl_e_writes_a_note_body_in_the_editor(db_url, db, world, tmux, tmp_path):
    from rolodex.crm import activities

    editor = tmp_path / "editor.sh"
    # Appends two lines to what the field held, as a person would in vi.
    editor.write_text("#!/bin/sh\nprintf 'Written in the editor\\nsecond line\\n' >> \"$1\"\n")
    editor.chmod(0o755)
    start(tmux, tmp_path, db_url, f"VISUAL= EDITOR={editor}")
    open_ana(tmux)
    tmux.keys("n")
    tmux.wait_for("Log note on Ana Andersson")
    tmux.type("From the editor")
    tmux.keys("Enter")  # to the body
    tmux.type("Typed first. ")
    tmux.keys("C-e")
    tmux.wait_for("second line")
    tmux.keys("C-s")
    tmux.wait_until_gone("Log note on Ana Andersson")
    quit_app(tmux)
    note = next(
        a
        for a in activities.timeline(world.ids["ana"])
        if a.properties.get("subject") == "From the editor"
    )
    assert note.properties["body"] == "Typed first. Written in the editor\nsecond line"
