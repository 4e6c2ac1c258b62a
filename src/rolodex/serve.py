"""`rolodex serve`: the TUI in a browser, through textual-serve.

Each browser session runs its own ``python -m rolodex`` process; with
``--demo`` each of those makes its own scratch copy of demo.db.
"""

from __future__ import annotations

import ipaddress
import shlex
import sys
from pathlib import Path

from rolodex.i18n import _

LOOPBACK = "127.0.0.1"


def app_command(db_target: str | None, demo: bool) -> str:
    """The shell command textual-serve runs for each browser session."""
    command = [sys.executable, "-m", "rolodex"]
    if demo:
        command.append("--demo")
    elif db_target:
        target = db_target if "://" in db_target else str(Path(db_target).expanduser().resolve())
        command += ["--db", target]
    return shlex.join(command)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: str = LOOPBACK, port: int = 8000, db_target: str | None = None, demo: bool = False
) -> int:
    """Serve the TUI at http://HOST:PORT until interrupted; returns the exit status."""
    try:
        from textual_serve.server import Server
    except ImportError:
        print(_("serve needs textual-serve: pip install textual-serve"), file=sys.stderr)
        return 1
    if not demo:
        from rolodex.store.database import DatabaseOpenError, open_database, resolve_target

        try:  # fail here, once, rather than in every browser session
            open_database(resolve_target(db_target)).close()
        except DatabaseOpenError as exc:
            print(_("error: {message}").format(message=exc), file=sys.stderr)
            return 1
    if not _is_loopback(host):
        print(
            _(
                "warning: serving on {host}: anyone who can reach this address can use the CRM"
            ).format(host=host),
            file=sys.stderr,
        )
    server = Server(app_command(db_target, demo), host=host, port=port, title="Rolodex")
    print(_("Rolodex is served at http://{host}:{port}").format(host=host, port=port), flush=True)
    server.serve()
    return 0
