"""A database password never shows: not in the banner, the log, an error, nor on the
command line (`ps`) of the processes that run the browser sessions."""

from __future__ import annotations

import os
import secrets
import string
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolodex.web.redact import MASK, masked, redacted

from .conftest import run_rolodex, screen_text, served

PG_URL = os.environ.get("ROLODEX_TEST_PG_URL")


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, of in parents.items() if of == parent]
        found += children
        frontier += children
    return found


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # the process has just ended
        return b""


@pytest.fixture
def pg_url_with_password() -> Iterator[tuple[str, str]]:
    """A role with a password unlike any other word, owning its own database."""
    if not PG_URL:
        pytest.skip("needs ROLODEX_TEST_PG_URL (a PostgreSQL server)")
    import psycopg2

    name = f"serve_{uuid.uuid4().hex[:10]}"
    password = "Pw-" + secrets.token_hex(12)
    admin = psycopg2.connect(PG_URL)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE ROLE {name} LOGIN PASSWORD %s", (password,))
        cur.execute(f"CREATE DATABASE {name} OWNER {name}")
    server = urlsplit(PG_URL)
    try:
        yield (
            f"postgresql://{name}:{password}@{server.hostname}:{server.port or 5432}/{name}",
            password,
        )
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            cur.execute(f"DROP ROLE IF EXISTS {name}")
        admin.close()


async def test_a_postgresql_password_stays_out_of_banner_log_and_command_lines(
    pg_url_with_password,
):
    url, password = pg_url_with_password
    with served("--db", url, "serve") as server:
        assert password not in server.output
        assert url.replace(password, MASK) in server.output  # the banner names it, masked
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(
                server.websocket_url(), origin=server.origin, headers={"Cookie": server.cookie}
            ) as ws,
        ):
            # The session runs the app on that database...
            assert "Contacts" in await screen_text(ws, "Contacts")
            processes = _descendants(server.proc.pid)
            assert processes
            command_lines = [_read(Path(f"/proc/{pid}/cmdline")) for pid in processes]
            assert any(b"rolodex.web.session" in line for line in command_lines)
            # ...which it found in its environment, readable only by its user,
            assert any(
                f"ROLODEX_DB={url}".encode() in _read(Path(f"/proc/{pid}/environ"))
                for pid in processes
            )
            # ...never on a command line that `ps` shows to everyone.
            for line in command_lines:
                assert password.encode() not in line
        server.proc.terminate()
        server.proc.wait(timeout=30)
    assert password not in server.output


def test_an_unusable_database_url_is_reported_without_its_password():
    result = run_rolodex("--db", "mysql://crm:Hunter2-Secret@db.example/crm", "serve")
    assert result.returncode == 2
    assert result.stderr.startswith("rolodex: error: unsupported database URL")
    assert (
        "Hunter2-Secret" not in result.stderr and "mysql://crm:****@db.example/crm" in result.stderr
    )


def test_an_unreachable_server_is_reported_without_its_password():
    result = run_rolodex("--db", "postgresql://crm:Hunter2-Secret@127.0.0.1:9/crm", "serve")
    assert result.returncode == 2 and result.stderr.startswith("rolodex: error: ")
    assert "Hunter2-Secret" not in result.stderr + result.stdout


PASSWORDS = st.text(alphabet=string.printable.strip(), min_size=1, max_size=30)


@given(password=PASSWORDS, user=st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8))
def test_a_url_shown_masked_keeps_everything_but_its_password(password, user):
    url = f"postgresql://{user}:{quote(password, safe='')}@db.example:5433/crm?sslmode=require"
    shown = masked(url)
    assert shown == f"postgresql://{user}:{MASK}@db.example:5433/crm?sslmode=require"
    message = f"cannot open {url}: bad password {password}"
    assert quote(password, safe="") not in redacted(message, url).replace(MASK, "")
    assert password not in redacted(message, url).replace(MASK, "")


def test_paths_and_urls_without_a_password_are_shown_as_given():
    for target in ("/srv/crm/rolodex.db", "postgresql://crm@db.example/crm", "sqlite:///x.db"):
        assert masked(target) == target
        assert redacted(f"error on {target}", target) == f"error on {target}"
