"""Who may use `rolodex serve`: the holder of its start-up token, from its own origin.

The token arrives once in the printed URL (``?token=...``); the reply sets it as a
cookie (HttpOnly, SameSite=Strict) so the page's files and its WebSocket carry it.
Every other request gets an empty 403. The WebSocket handshake must also come from
the served origin: a browser always sends ``Origin`` there, so a missing one (a
non-browser client) is refused as well.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from rolodex.web.address import PublicAddress, admits_origin

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TOKEN_PARAMETER = "token"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def forbidden() -> web.Response:
    """403 with no content: nothing about the app leaks to a stranger."""
    return web.Response(status=403, body=b"", headers={"Cache-Control": "no-store"})


class Guard:
    """The aiohttp middleware that admits only requests carrying the token."""

    def __init__(self, token: str, address: PublicAddress, port: int) -> None:
        self.token = token
        self.address = address
        # One cookie per server port: two `rolodex serve` on one host keep apart.
        self.cookie_name = f"rolodex-token-{port}"

    def login_url(self) -> str:
        """The one URL to open: the page, with the token."""
        return f"{self.address.url}/?{TOKEN_PARAMETER}={self.token}"

    def _holds_token(self, offered: str | None) -> bool:
        # Compared in constant time, so timing tells nothing about the token.
        return offered is not None and secrets.compare_digest(
            offered.encode("utf-8", "surrogateescape"), self.token.encode("ascii")
        )

    def same_origin(self, handler: Handler) -> Handler:
        """`handler` (the WebSocket's) only for pages served from the public address."""

        async def checked(request: web.Request) -> web.StreamResponse:
            if not admits_origin(self.address, request.headers.get("Origin")):
                return forbidden()
            return await handler(request)

        return checked

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        from_query = self._holds_token(request.query.get(TOKEN_PARAMETER))
        if not from_query and not self._holds_token(request.cookies.get(self.cookie_name)):
            return forbidden()
        response = await handler(request)
        if from_query and not response.prepared:
            response.set_cookie(
                self.cookie_name,
                self.token,
                path="/",
                httponly=True,
                samesite="Strict",
                secure=self.address.secure,
            )
        if not response.prepared:
            # The page's address holds the token: never send it on as a Referer,
            # never keep the page in a cache, never let another site frame the app.
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
            if request.path == "/":
                response.headers["Cache-Control"] = "no-store"
        return response
