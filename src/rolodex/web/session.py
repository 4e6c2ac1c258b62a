"""One browser session of `rolodex serve` (run by textual-serve for each WebSocket).

The database comes from ROLODEX_DB, which `serve` sets in the environment so that
no password shows on a command line. When the database cannot be opened, the
browser shows why instead of a splash screen that never goes away. Each browser
keeps its own view settings (theme, columns): ``--browser ID`` names the browser
(rolodex.web.browsers), and its settings live in a file of its own beside config.toml.

    python -m rolodex.web.session [--demo] [--browser ID]
"""

from __future__ import annotations

import os
import sqlite3
import sys

from peewee import PeeweeException

from rolodex.i18n import _
from rolodex.web.redact import redacted

DEMO_FLAG = "--demo"
BROWSER_FLAG = "--browser"


def browser_of(argv: list[str]) -> str | None:
    from rolodex.web.browsers import valid_browser_id

    if BROWSER_FLAG in argv:
        index = argv.index(BROWSER_FLAG)
        if index + 1 < len(argv) and valid_browser_id(argv[index + 1]):
            return argv[index + 1]
    return None


def _open(demo: bool) -> None:
    from rolodex.crm.session import open_session

    if demo:
        from rolodex.synth.demo import scratch_copy

        open_session(str(scratch_copy()))
    else:
        open_session(None)  # ROLODEX_DB


def main(argv: list[str]) -> int:
    from rolodex.i18n import set_language
    from rolodex.ui.config import read_language

    set_language(read_language() or None)  # before any screen's texts are imported
    from rolodex.crm.errors import RolodexError
    from rolodex.store.database import DatabaseOpenError

    try:
        _open(DEMO_FLAG in argv)
    except (
        DatabaseOpenError,
        RolodexError,
        RuntimeError,
        PeeweeException,
        sqlite3.Error,
        OSError,
    ) as exc:
        reason = redacted(
            " ".join(str(exc).split()) or type(exc).__name__, os.environ.get("ROLODEX_DB")
        )
        print(_("rolodex: error: {message}").format(message=reason), file=sys.stderr)
        from rolodex.web.failure import StartFailure

        StartFailure(reason).run()
        return 2
    try:
        from rolodex.ui.app import RolodexApp
        from rolodex.ui.config import browser_view_file, default_config_dir

        browser = browser_of(argv)
        view_file = browser_view_file(default_config_dir(), browser) if browser else None
        app = RolodexApp(view_file=view_file)
    except Exception as exc:  # the page shows why, not a splash screen that never goes
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
        print(_("rolodex: error: {message}").format(message=reason), file=sys.stderr)
        from rolodex.web.failure import StartFailure

        StartFailure(reason).run()
        return 2
    app.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
