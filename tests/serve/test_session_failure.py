"""A browser session whose app cannot start shows why, instead of a splash forever."""

from __future__ import annotations

import tempfile
from pathlib import Path

import aiohttp

from rolodex.store.database import open_database

from .conftest import screen_text, served


async def test_a_session_whose_database_broke_since_start_shows_the_reason():
    # A short path, so the message fits on one line of the terminal and reads whole.
    with tempfile.TemporaryDirectory(prefix="rx-", dir="/tmp") as folder:
        await _broken_database_session(Path(folder))


async def _broken_database_session(folder: Path) -> None:
    target = folder / "crm.db"
    open_database(str(target)).close()
    with served("--db", str(target), "serve") as server:
        for companion in folder.glob("crm.db-*"):
            companion.unlink()
        target.write_bytes(b"this is no database at all" * 100)
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(
                server.websocket_url(),
                origin=server.origin,
                headers={"Cookie": server.cookie},
            ) as ws,
        ):
            text = await screen_text(ws, "Rolodex cannot start", "is not a Rolodex database")
            assert "Rolodex cannot start" in text and "is not a Rolodex database" in text
            # Enter ends the session: the page then offers to restart it.
            await ws.send_json(["stdin", "\r"])
            await screen_text(ws, "never shown")
            assert ws.closed
        # The operator sees it too, in the server's log.
        assert server.wait_for_output("rolodex: error: ")
        assert "is not a Rolodex database" in server.output
