"""A hang-up (the terminal or the SSH connection went away) or SIGTERM ends a real
`rolodex --demo` as ctrl+q does: the app exits and its scratch copy of the demo is gone."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest

from rolodex.ui.signals import END_WITHIN_SECONDS
from tests.ui.test_e2e_tmux import ROLODEX, Tmux, pytestmark  # noqa: F401 - the same skips


def _start(tmux: Tmux, scratch_root: Path, command: str = f"{ROLODEX} --demo") -> int:
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
        f"TMPDIR={scratch_root} XDG_CONFIG_HOME={scratch_root}/config exec {command}",
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


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def _settled_threads(pid: int) -> int:
    """The process's thread count once it stays the same for a second (start-up workers
    come and go)."""
    count = _threads(pid)
    for _ in range(20):
        time.sleep(1.0)
        now = _threads(pid)
        if now == count:
            return count
        count = now
    return count


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="counts threads in /proc")
def test_a_stray_sigcont_does_not_start_the_terminal_a_second_time(tmp_path):
    """The kernel sends SIGCONT with every hang-up, and anyone may send one. Textual's
    driver took each for a resume and started a second input and output thread; on a
    hang-up the app then hung for ever on its way out (the cause of the test above
    failing now and then)."""
    root = tmp_path / "tmp"
    root.mkdir()
    tmux = Tmux(tmp_path)
    try:
        pid = _start(tmux, root)
        before = _settled_threads(pid)
        os.kill(pid, signal.SIGCONT)
        assert _settled_threads(pid) == before
        tmux.keys("/")  # and the app still answers keys
        tmux.type("Aaron Klein")
        tmux.wait_for("Contacts · 1 record ·")
    finally:
        tmux.run("kill-server")


def test_the_end_comes_even_when_the_app_hangs_on_its_way_out(tmp_path):
    """Whatever keeps Textual from stopping once the terminal is gone, a hang-up still
    ends the process within seconds, and its scratch copy goes with it."""
    root = tmp_path / "tmp"
    root.mkdir()
    script = (
        "import sys; from rolodex import cli; from rolodex.ui.app import RolodexApp; "
        "RolodexApp.exit = lambda self, *a, **k: None; "  # the way out never ends
        "sys.argv = ['rolodex', '--demo']; raise SystemExit(cli.main())"
    )
    tmux = Tmux(tmp_path)
    try:
        python = ROLODEX.parent / "python"
        pid = _start(tmux, root, f"{python} -c {shlex.quote(script)}")
        assert len(_scratch_copies(root)) == 1
        os.kill(pid, signal.SIGHUP)
        started = time.monotonic()
        assert _gone(pid), "rolodex kept running after the hang-up"
        assert time.monotonic() - started < END_WITHIN_SECONDS + 3
        assert _scratch_copies(root) == []
    finally:
        tmux.run("kill-server")
        with contextlib.suppress(ProcessLookupError, UnboundLocalError):
            os.kill(pid, signal.SIGKILL)  # failed: not left spinning on the dead terminal


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
