"""`--host 0.0.0.0 --public-url URL`: a browser on another machine is sent to URL,
never to 0.0.0.0, and still needs the token."""

from __future__ import annotations

import aiohttp

from .conftest import free_port, path_and_query, screen_text, served


async def test_a_remote_browser_is_sent_to_the_public_url():
    port = free_port()
    public = f"http://example.test:{port}"
    with served("--demo", "--host", "0.0.0.0", "--public-url", public, port=port) as server:
        assert server.url.startswith(f"{public}/?token=")
        assert "warning: serving on 0.0.0.0" in server.output
        assert server.get("/").status == 403  # whatever the host, no token, nothing
        page = server.get(path_and_query(server.url))
        assert page.status == 200
        body = page.body.decode()  # type: ignore[attr-defined]
        assert f"ws://example.test:{port}/ws" in body
        assert f"{public}/static/js/textual.js" in body
        assert "0.0.0.0" not in body and "127.0.0.1" not in body
        cookie = {"Cookie": server.cookie}
        async with aiohttp.ClientSession() as session:
            try:
                await session.ws_connect(
                    server.websocket_url(), origin=server.origin, headers=cookie
                )
                raise AssertionError("the listening address is not the page's origin")
            except aiohttp.WSServerHandshakeError as exc:
                assert exc.status == 403
            async with session.ws_connect(
                server.websocket_url(), origin=public, headers=cookie
            ) as ws:
                assert "Contacts" in await screen_text(ws, "Contacts")


def test_behind_a_tls_proxy_the_page_uses_wss_and_a_secure_cookie():
    with served("--demo", "--public-url", "https://crm.example.test/") as server:
        assert server.url.startswith("https://crm.example.test/?token=")
        assert "warning" not in server.output  # it listens on loopback only
        page = server.get(path_and_query(server.url))
        body = page.body.decode()  # type: ignore[attr-defined]
        assert "wss://crm.example.test/ws" in body
        assert "https://crm.example.test/static/js/textual.js" in body
        assert "Secure" in page.headers["Set-Cookie"]
