"""Telling browsers apart under `rolodex serve`, so each keeps its own view settings.

The page's reply gives a browser a random id in a cookie (HttpOnly, SameSite=Strict)
the first time; its WebSocket carries the cookie, and the session started for it is
told the id (``--browser ID``). The id only names a settings file: it grants nothing,
the start-up token does that (rolodex.web.guard).
"""

from __future__ import annotations

import copy
import re
import secrets

from aiohttp import web
from textual_serve.server import Server

from rolodex.web.guard import Handler

BROWSER_ID = re.compile(r"^[0-9a-f]{32}$")
YEAR = 365 * 24 * 3600


def valid_browser_id(text: str | None) -> bool:
    return bool(text) and BROWSER_ID.match(text or "") is not None


class Browsers:
    def __init__(self, port: int, secure: bool) -> None:
        self.cookie_name = f"rolodex-browser-{port}"
        self.secure = secure

    def of(self, request: web.Request) -> str | None:
        offered = request.cookies.get(self.cookie_name)
        return offered if valid_browser_id(offered) else None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        admitted = response.status == 200  # the guard let the request through
        if admitted and request.path == "/" and self.of(request) is None and not response.prepared:
            response.set_cookie(
                self.cookie_name,
                secrets.token_hex(16),
                path="/",
                max_age=YEAR,
                httponly=True,
                samesite="Strict",
                secure=self.secure,
            )
        return response

    def sessions(self, server: Server, command: str) -> Handler:
        """The WebSocket handler: textual-serve's, running the session command with this
        browser's id (a copy of the server per connection, so connections never share it)."""

        async def handle(request: web.Request) -> web.StreamResponse:
            browser = self.of(request)
            per_browser = copy.copy(server)
            if browser is not None:
                per_browser.command = f"{command} --browser {browser}"
            return await per_browser.handle_websocket(request)

        return handle
