"""`rolodex serve` started as a user starts it, and a client that speaks to it."""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp
import pytest

URL_LINE = re.compile(r"https?://\S+\?token=[\w-]+")
# Waiting for a process on a loaded machine, never a measure of speed.
PATIENCE = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    proc: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)
    url: str = ""

    @property
    def output(self) -> str:
        return "".join(self.lines)

    @property
    def token(self) -> str:
        return self.url.rsplit("=", 1)[1]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def cookie(self) -> str:
        return f"rolodex-token-{self.port}={self.token}"

    def wait_for_output(self, text: str) -> bool:
        deadline = time.monotonic() + PATIENCE
        while text not in self.output and time.monotonic() < deadline:
            time.sleep(0.1)
        return text in self.output

    def get(self, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        """One GET on the server's loopback address, whatever address it tells browsers."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        response.body = response.read()  # type: ignore[attr-defined]
        conn.close()
        return response

    def websocket_url(self, query: str = "") -> str:
        return f"ws://127.0.0.1:{self.port}/ws?width=160&height=40{query}"


def _read(proc: subprocess.Popen[str], lines: list[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)


def run_rolodex(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rolodex", *argv],
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        env=env,
    )


@contextlib.contextmanager
def served(*argv: str, port: int | None = None) -> Iterator[Served]:
    """`rolodex [GLOBAL...] serve --port P [...]` until the block ends; argv may hold
    global options before "serve" (e.g. "--db", URL, "serve")."""
    port = port or free_port()
    if "serve" not in argv:
        argv = ("serve", *argv)
    proc = subprocess.Popen(
        [sys.executable, "-m", "rolodex", *argv, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = Served(proc, port)
    reader = threading.Thread(target=_read, args=(proc, server.lines), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + PATIENCE
        while not (found := URL_LINE.search(server.output)):
            assert proc.poll() is None, f"serve ended early:\n{server.output}"
            assert time.monotonic() < deadline, f"no URL printed:\n{server.output}"
            time.sleep(0.1)
        server.url = found.group(0)
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                assert proc.poll() is None, f"serve ended early:\n{server.output}"
                assert time.monotonic() < deadline, f"never listened:\n{server.output}"
                time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        reader.join(timeout=10)


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def screen_text(
    ws: aiohttp.ClientWebSocketResponse, *needles: str, patience: float = PATIENCE
) -> str:
    """The terminal stream a session sends, read until every needle has shown."""
    seen = b""
    deadline = time.monotonic() + patience
    while not all(needle.encode() in seen for needle in needles):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            message = await ws.receive(timeout=left)
        except TimeoutError:
            break
        if message.type == aiohttp.WSMsgType.BINARY:
            seen += message.data
        elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            break
    return seen.decode("utf-8", "replace")


@pytest.fixture
def demo_server() -> Iterator[Served]:
    with served("--demo") as server:
        yield server
