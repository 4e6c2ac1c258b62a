"""The aiohttp site of `rolodex serve`: textual-serve's page, files and WebSocket, guarded.

textual-serve's `Server` builds its own application without a way to add
middleware, so the same routes are assembled here from its public handlers.
"""

from __future__ import annotations

import logging

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from textual_serve.server import Server

from rolodex.web.browsers import Browsers
from rolodex.web.guard import Guard

log = logging.getLogger("rolodex.serve")


class PathOnlyAccessLogger(AbstractAccessLogger):
    """One line per request, without the query string, which may hold the token."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %s", request.remote, request.method, request.path, response.status
        )


def build_site(server: Server, guard: Guard, browsers: Browsers | None = None) -> web.Application:
    """The guarded site; with ``browsers``, each browser's sessions keep their own view
    settings (given only with a page the guard let through: never to a stranger)."""
    middlewares = ([browsers.middleware] if browsers else []) + [guard.middleware]
    app = web.Application(middlewares=middlewares)
    sessions = browsers.sessions(server, server.command) if browsers else server.handle_websocket
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(server.templates_path))
    app.add_routes(
        [
            web.get("/", server.handle_index, name="index"),
            web.get("/ws", guard.same_origin(sessions), name="websocket"),
            web.get("/download/{key}", server.handle_download, name="download"),
            web.static("/static", server.statics_path, name="static"),
        ]
    )
    return app


def run_site(app: web.Application, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM."""
    web.run_app(
        app,
        host=host,
        port=port,
        print=None,
        access_log=log,
        access_log_class=PathOnlyAccessLogger,
    )
