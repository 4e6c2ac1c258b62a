"""A hang-up (the terminal or the SSH connection went away) or SIGTERM ends a real
`rolodex --demo` as ctrl+q does: the app exits and its scratch copy of the demo is gone."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.ui.test_e2e_tmux import ROLODEX, Tmux, pytestmark  # noqa: F401 - the same skips


def _start(tmux: Tmux, scratch_root: Path) -> int:
    """`rolodex --demo` in tmux with its temporary files in ``scratch_root``; its pid."""
    tmux.run(
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        "120",
        "-y",
        "40",
        f"TMPDIR={scratch_root} XDG_CONFIG_HOME={scratch_root}/config exec {ROLODEX} --demo",
    )
    tmux.wait_for("Contacts", timeout=40)
    return int(tmux.run("display-message", "-p", "-t", "e2e", "#{pane_pid}").strip())


def _scratch_copies(root: Path) -> list[Path]:
    return sorted(root.glob("rolodex-demo-*"))


def _gone(pid: int, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("number", [signal.SIGHUP, signal.SIGTERM])
def test_a_signal_ends_the_demo_and_removes_its_scratch_copy(tmp_path, number):
    root = tmp_path / "tmp"
    root.mkdir()
    tmux = Tmux(tmp_path)
    try:
        pid = _start(tmux, root)
        assert len(_scratch_copies(root)) == 1  # the copy the app works on
        os.kill(pid, number)
        assert _gone(pid), "rolodex kept running after the signal"
        assert _scratch_copies(root) == []
    finally:
        tmux.run("kill-server")


def test_closing_the_terminal_removes_the_scratch_copy(tmp_path):
    root = tmp_path / "tmp"
    root.mkdir()
    tmux = Tmux(tmp_path)
    try:
        pid = _start(tmux, root)
        tmux.run("kill-session", "-t", "e2e")  # the terminal goes: the app gets SIGHUP
        assert _gone(pid), "rolodex kept running after its terminal closed"
        assert _scratch_copies(root) == []
    finally:
        tmux.run("kill-server")


def test_a_command_ended_by_sigterm_removes_its_scratch_copy(tmp_path):
    """Not only the app: `rolodex --demo COMMAND` cleans up when terminated too."""
    root = tmp_path / "tmp"
    root.mkdir()
    script = (
        "import sys, time; from rolodex import cli; from rolodex.synth.demo import scratch_copy; "
        "cli._dispatch = lambda *a: (scratch_copy(), print('ready', flush=True), time.sleep(60)); "
        "sys.argv = ['rolodex', '--demo', 'check']; raise SystemExit(cli.main())"
    )
    env = {**os.environ, "TMPDIR": str(root)}
    process = subprocess.Popen(
        [str(ROLODEX.parent / "python"), "-c", script], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        assert len(_scratch_copies(root)) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 128 + signal.SIGTERM
    assert _scratch_copies(root) == []


@pytest.mark.parametrize("delay", [0.1, 0.3, 0.6])
def test_the_terminal_closing_while_the_app_quits_still_ends_it(tmp_path, delay):
    """ctrl+q, and the terminal goes while the app is still stopping (a tmux killed as
    the user quits): the app used to stay behind forever, spinning on the dead terminal."""
    root = tmp_path / "tmp"
    root.mkdir()
    tmux = Tmux(tmp_path)
    try:
        pid = _start(tmux, root)
        tmux.keys("C-q")
        time.sleep(delay)
        tmux.run("kill-server")
        assert _gone(pid), "rolodex kept running after its terminal closed"
        assert _scratch_copies(root) == []
    finally:
        with contextlib.suppress(Exception):
            tmux.run("kill-server")
        with contextlib.suppress(ProcessLookupError, UnboundLocalError):
            os.kill(pid, signal.SIGKILL)
