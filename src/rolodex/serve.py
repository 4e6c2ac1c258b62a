"""`rolodex serve`: the TUI in a browser, through textual-serve.

Only the holder of the start-up token gets anything (rolodex.web.guard). Each
browser session runs its own ``python -m rolodex.web.session`` process, which
finds the database in ROLODEX_DB: a password never reaches a command line. With
``--demo`` each session makes its own scratch copy of demo.db.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from pathlib import Path

from rolodex.i18n import _

LOOPBACK = "127.0.0.1"
EXIT_ERROR = 2


def app_command(demo: bool) -> str:
    """The shell command textual-serve runs for each browser session: no database in it."""
    command = [sys.executable, "-m", "rolodex.web.session"]
    if demo:
        command.append("--demo")
    return shlex.join(command)


def session_target(db_target: str | None) -> str:
    """The database the sessions open: --db, ROLODEX_DB or the per-user file, made absolute."""
    from rolodex.store.database import is_url, resolve_target

    target = resolve_target(db_target)
    return target if is_url(target) else str(Path(target).expanduser().resolve())


def _fail(message: str) -> int:
    print(_("rolodex: error: {message}").format(message=message), file=sys.stderr, flush=True)
    return EXIT_ERROR


def serve(
    host: str = LOOPBACK,
    port: int = 8000,
    db_target: str | None = None,
    demo: bool = False,
    public_url: str | None = None,
) -> int:
    """Serve the TUI at the printed URL until interrupted; returns the exit status."""
    try:
        from textual_serve.server import Server
    except ImportError:
        return _fail(_("serve needs textual-serve: pip install textual-serve"))
    from rolodex.web.address import AddressError, is_loopback, public_address
    from rolodex.web.browsers import Browsers
    from rolodex.web.guard import Guard, new_token
    from rolodex.web.redact import masked, redacted
    from rolodex.web.site import build_site, run_site

    try:
        address = public_address(host, port, public_url)
    except AddressError as exc:
        return _fail(str(exc))
    target = None
    if not demo:
        from rolodex.store.database import DatabaseOpenError, open_database

        target = session_target(db_target)
        try:  # fail here, once, rather than in every browser session
            open_database(target).close()
        except DatabaseOpenError as exc:
            return _fail(redacted(" ".join(str(exc).split()), target))
        os.environ["ROLODEX_DB"] = target  # inherited by every session process
    if not is_loopback(host):
        print(
            _(
                "warning: serving on {host}: anyone who can reach this address can try to "
                "connect; only the URL below opens the CRM, so keep it secret, and put TLS in "
                "front (a reverse proxy) on a network you do not trust"
            ).format(host=host),
            file=sys.stderr,
        )
    with contextlib.suppress(AttributeError, ValueError):
        # Log lines (the sessions' errors among them) show at once, even through a pipe.
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    guard = Guard(new_token(), address, port)
    server = Server(
        app_command(demo), host=host, port=port, title="Rolodex", public_url=address.url
    )
    server.initialize_logging()
    site = build_site(server, guard, Browsers(port, address.secure))
    if target is not None:
        print(_("Database: {target}").format(target=masked(target)))
    print(_("Open Rolodex in your browser at this URL (it holds a secret token):"))
    print("    " + guard.login_url(), flush=True)
    try:
        run_site(site, host, port)
    except OSError as exc:
        return _fail(
            _("cannot listen on {host}:{port}: {error}").format(
                host=host, port=port, error=exc.strerror or exc
            )
        )
    return 0
