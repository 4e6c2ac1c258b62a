"""A built wheel, installed into a fresh venv outside the checkout, works from any folder:
`rolodex --demo` shows the Contacts index in a real terminal, `rolodex serve --demo`
serves the app, every shipped theme is there, the catalogues and styles too."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
import venv
from pathlib import Path

import pytest

from tests.ui.test_e2e_tmux import Tmux

ROOT = Path(__file__).resolve().parents[2]
THEMES = sorted(p.stem for p in (ROOT / "themes").glob("*.toml"))

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _tracked_copy(target: Path) -> Path:
    """The repository's tracked files (as a fresh clone has them) in ``target``."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            destination = target / name.decode()
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """The bin/ folder of a fresh venv holding only the built wheel and its dependencies."""
    base = tmp_path_factory.mktemp("wheel")
    source = _tracked_copy(base / "source")
    wheels = base / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("rolodex-*.whl")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    return env_dir / "bin"


def _environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROLODEX_", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), TERM="xterm-256color")
    env.pop("PYTHONPATH", None)
    return env


def test_the_wheel_carries_the_demo_the_themes_the_catalogues_and_the_styles(installed, tmp_path):
    probe = (
        "import rolodex, rolodex.assets as a, rolodex.i18n as i;"
        "from rolodex.ui.themes import load_themes;"
        "print(rolodex.__file__); print(a.demo_database());"
        "print(sorted(t.theme.name for t in load_themes() if t.theme));"
        "print((i.LOCALE_DIR / 'sv/LC_MESSAGES/rolodex.mo').is_file())"
    )
    out = subprocess.run(
        [str(installed / "python"), "-c", probe],
        cwd=tmp_path,
        env=_environment(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    package, demo, themes, catalogue = out
    assert str(ROOT) not in package and "site-packages" in package  # not the checkout
    assert Path(demo).is_file() and "site-packages" in demo
    assert len(eval(themes)) == len(THEMES)  # every theme file of themes/
    assert catalogue == "True"
    styles = Path(package).parent / "ui" / "rolodex.tcss"
    assert styles.is_file()


def test_demo_from_any_folder_shows_the_contacts_index_and_every_theme(installed, tmp_path):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    tmux = Tmux(tmp_path)
    env = _environment(tmp_path)
    command = " ".join(
        [f"{k}='{v}'" for k, v in env.items() if k in ("HOME", "XDG_CONFIG_HOME", "PATH")]
        + [f"cd {folder} &&", str(installed / "rolodex"), "--demo"]
    )
    try:
        tmux.run("new-session", "-d", "-s", "e2e", "-x", "120", "-y", "40", command)
        screen = tmux.wait_for("Contacts", timeout=60)
        assert "Ana Lindqvist" in screen or "Aaron" in screen  # the demo's people
        tmux.keys("F4")
        picker = tmux.wait_for("Theme")
        for name in THEMES:
            assert name in picker, picker
        tmux.keys("Escape", "C-q")
    finally:
        tmux.run("kill-server")


def test_serve_demo_answers_from_any_folder(installed, tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(installed / "rolodex"), "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    assert server.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(server.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        url = None
        deadline = time.monotonic() + 90
        while url is None and time.monotonic() < deadline and server.poll() is None:
            found = re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", "".join(lines))
            url = found.group(0) if found else None
            time.sleep(0.1)
        assert url, "serve printed no URL: " + "".join(lines)
        with urllib.request.urlopen(url, timeout=60) as page:
            body = page.read().decode()
            assert page.status == 200
        assert "Rolodex" in body and f"ws://127.0.0.1:{port}/ws" in body
        token = url.rpartition("=")[2]
        text = asyncio.run(_session_screen(port, token))
        assert "Contacts" in text, "the browser session never showed the app"
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_readme_command_line_tour_runs_on_the_installed_wheel(installed, tmp_path):
    from tests.cli.test_cli_readme import _normal, _transcript

    steps = _transcript()
    env = _environment(tmp_path)
    env.update(ROLODEX_DB=str(tmp_path / "crm.db"), PATH=f"{installed}{os.pathsep}{env['PATH']}")
    for command, expected in steps:
        done = subprocess.run(
            ["bash", "-c", command],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        assert done.returncode == 0, (command, done.stderr)
        assert _normal(done.stdout + done.stderr) == _normal(expected), command


async def _session_screen(port: int, token: str) -> str:
    """What a browser tab of `serve --demo` receives: the app's first screen."""
    import aiohttp

    from tests.serve.conftest import screen_text

    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            f"ws://127.0.0.1:{port}/ws?width=160&height=40",
            origin=f"http://127.0.0.1:{port}",
            headers={"Cookie": f"rolodex-token-{port}={token}"},
        ) as ws,
    ):
        return await screen_text(ws, "Contacts")
