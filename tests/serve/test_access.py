"""Only the holder of the printed URL gets anything from `rolodex serve`, and the
WebSocket only from the served origin (no cross-site WebSocket hijacking)."""

from __future__ import annotations

import shlex
import socket

import aiohttp
import pytest

from rolodex.serve import app_command

from .conftest import Served, path_and_query, run_rolodex, screen_text

WEBSOCKET_HANDSHAKE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}


def test_without_the_token_nothing_is_served(demo_server: Served):
    wrong = "A" * len(demo_server.token)
    origin = {"Origin": demo_server.origin}
    for path, headers in (
        ("/", {}),
        ("/?token=", {}),
        (f"/?token={wrong}", {}),
        ("/", {"Cookie": f"rolodex-token-{demo_server.port}={wrong}"}),
        ("/static/js/textual.js", {}),
        ("/static/css/xterm.css", {}),
        ("/static/", {}),
        ("/download/anything", {}),
        ("/ws", {**WEBSOCKET_HANDSHAKE, **origin}),
        (f"/ws?token={wrong}", {**WEBSOCKET_HANDSHAKE, **origin}),
    ):
        response = demo_server.get(path, headers)
        assert (path, response.status, response.body) == (path, 403, b"")  # type: ignore[attr-defined]


def test_the_printed_url_opens_the_page_and_leaves_a_strict_cookie(demo_server: Served):
    assert demo_server.url.startswith(f"http://127.0.0.1:{demo_server.port}/?token=")
    assert len(demo_server.token) >= 40
    page = demo_server.get(path_and_query(demo_server.url))
    assert page.status == 200
    assert "Rolodex" in page.body.decode()  # type: ignore[attr-defined]
    assert f"ws://127.0.0.1:{demo_server.port}/ws" in page.body.decode()  # type: ignore[attr-defined]
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith(demo_server.cookie + ";")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    # The token in the page's address goes nowhere else.
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    # After that first visit the cookie is enough, for the page and its files.
    for path in ("/", "/static/js/textual.js", "/static/css/xterm.css"):
        assert demo_server.get(path, {"Cookie": demo_server.cookie}).status == 200


async def _handshake(server: Served, **kwargs: object) -> int:
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(server.websocket_url(), **kwargs) as ws:  # type: ignore[arg-type]
                await ws.close()
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


async def test_the_websocket_opens_only_from_the_served_origin(demo_server: Served):
    cookie = {"Cookie": demo_server.cookie}
    port = demo_server.port
    for foreign in (
        "http://evil.example",
        f"http://evil.example:{port}",
        f"http://localhost:{port}",  # another name: not the origin the page was served from
        f"https://127.0.0.1:{port}",
        f"http://127.0.0.1:{port + 1}",
        "null",
    ):
        assert (foreign, await _handshake(demo_server, origin=foreign, headers=cookie)) == (
            foreign,
            403,
        )
    # A client that sends no Origin is not a browser on our page: refused too.
    assert await _handshake(demo_server, headers=cookie) == 403
    # The right origin without the token is still nobody.
    assert await _handshake(demo_server, origin=demo_server.origin) == 403
    # The page's own origin with the cookie: the session streams the app.
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            demo_server.websocket_url(), origin=demo_server.origin, headers=cookie
        ) as ws,
    ):
        assert "Contacts" in await screen_text(ws, "Contacts")


def test_no_session_command_line_names_a_database():
    assert shlex.split(app_command(demo=False))[1:] == ["-m", "rolodex.web.session"]
    assert shlex.split(app_command(demo=True))[1:] == ["-m", "rolodex.web.session", "--demo"]


def test_serve_refuses_an_unusable_database_without_serving(tmp_path):
    missing = tmp_path / "no" / "such" / "folder" / "crm.db"
    result = run_rolodex("--db", str(missing), "serve", "--port", "1")
    assert result.returncode == 2
    assert result.stderr.startswith("rolodex: error: ") and "does not exist" in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_listening_everywhere_needs_the_address_browsers_use(host):
    result = run_rolodex("serve", "--demo", "--host", host, "--port", "1")
    assert result.returncode == 2
    assert result.stderr.startswith("rolodex: error: ") and "--public-url" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "url",
    [
        "crm.example:8000",
        "ftp://crm.example",
        "http://",
        "http://u:p@crm.example",
        "http://crm.example:x",
    ],
)
def test_a_public_url_that_is_no_web_address_is_refused(url):
    result = run_rolodex("serve", "--demo", "--public-url", url, "--port", "1")
    assert result.returncode == 2
    assert result.stderr.startswith("rolodex: error: --public-url must be")


def test_a_port_in_use_is_a_one_line_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_rolodex("serve", "--demo", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.startswith(f"rolodex: error: cannot listen on 127.0.0.1:{port}: ")
    assert "Traceback" not in result.stderr
