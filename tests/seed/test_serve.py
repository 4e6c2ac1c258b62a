"""`rolodex serve`: the TUI's web page on loopback, one process per browser session."""

from __future__ import annotations

import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from rolodex.serve import app_command, serve


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fetch(url: str, deadline: float) -> tuple[int, str]:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_serve_answers_on_loopback_with_the_app_page():
    port = _free_port()
    code = (
        f"from rolodex.serve import serve; raise SystemExit(serve('127.0.0.1', {port}, None, True))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        status, body = _fetch(f"http://127.0.0.1:{port}/", time.monotonic() + 30)
        assert status == 200
        assert "Rolodex" in body
        assert f"ws://127.0.0.1:{port}/ws" in body  # the browser talks back to this server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def test_each_session_runs_the_app_on_the_demo_or_the_given_database(tmp_path):
    demo = shlex.split(app_command(None, demo=True))
    assert demo[1:] == ["-m", "rolodex", "--demo"]
    target = tmp_path / "team db.sqlite"
    words = shlex.split(app_command(str(target), demo=False))
    assert words[1:] == ["-m", "rolodex", "--db", str(target)]
    url = "postgresql://u@localhost/crm"
    assert shlex.split(app_command(url, demo=False))[-1] == url
    assert shlex.split(app_command("rel.db", demo=False))[-1] == str(Path("rel.db").resolve())


def test_serve_refuses_an_unusable_database_without_serving(tmp_path, capsys):
    missing = tmp_path / "no" / "such" / "folder" / "crm.db"
    assert serve("127.0.0.1", _free_port(), str(missing), False) == 1
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err
