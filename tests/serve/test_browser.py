"""The printed URL in a real browser: headless Chromium (Debian's chromium and
chromium-driver packages) driven by selenium. The browser's own WebSocket frames
show what its terminal draws (xterm paints on a canvas, so the DOM has no text)."""

from __future__ import annotations

import base64
import json
import shutil
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .conftest import PATIENCE, Served, free_port

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver packages (apt-get install chromium chromium-driver)",
)
# The machine has no network: nothing may try to reach out.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class Browser:
    def __init__(self, user_data: Path) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service

        options = Options()
        assert CHROMIUM is not None and CHROMEDRIVER is not None
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={user_data}")
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.received = b""

    def _collect(self) -> None:
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.webSocketFrameReceived":
                frame = message["params"]["response"]
                payload = frame["payloadData"]
                self.received += (
                    base64.b64decode(payload) if frame["opcode"] == 2 else payload.encode()
                )

    def body_classes(self) -> set[str]:
        return set(self.driver.execute_script("return document.body.className").split())

    def wait_for_terminal(self, text: str) -> bool:
        """Until the terminal has drawn `text` and the splash screen is gone."""
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            self._collect()
            if text.encode() in self.received and "-first-byte" in self.body_classes():
                return True
            time.sleep(0.2)
        return False

    def splash_shown(self) -> bool:
        return bool(
            self.driver.execute_script(
                "const s = document.querySelector('.intro-dialog');"
                "return s !== null && getComputedStyle(s).display !== 'none';"
            )
        )

    def wait_for_title(self, *titles: str) -> str:
        deadline = time.monotonic() + PATIENCE
        while self.driver.title not in titles and time.monotonic() < deadline:
            time.sleep(0.2)
        return str(self.driver.title)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    browser = Browser(tmp_path / "chromium-profile")
    try:
        yield browser
    finally:
        browser.driver.quit()


def test_the_printed_url_opens_the_app_in_a_real_browser(demo_server: Served, browser: Browser):
    browser.driver.get(demo_server.url)
    assert browser.wait_for_terminal("Contacts"), "the page stayed on its splash screen"
    assert not browser.splash_shown() and "-closed" not in browser.body_classes()
    # The cookie of that first visit lets the bare address work in the same browser.
    browser.received = b""
    browser.driver.get(f"http://127.0.0.1:{demo_server.port}/")
    assert browser.wait_for_terminal("Contacts")


def test_without_the_token_a_real_browser_gets_nothing(demo_server: Served, browser: Browser):
    browser.driver.get(f"http://127.0.0.1:{demo_server.port}/")
    assert "403" in browser.driver.page_source  # Chromium's own error page: we sent nothing
    assert "Rolodex" not in browser.driver.page_source
    assert "textual" not in browser.driver.page_source


EVIL_PAGE = """<!doctype html><title>waiting</title><script>
const ws = new WebSocket("ws://127.0.0.1:%d/ws");
ws.onopen = () => { document.title = "hijacked"; };
ws.onerror = () => { document.title = "refused"; };
</script>"""


def test_another_site_in_the_same_browser_cannot_open_the_websocket(
    demo_server: Served, browser: Browser, tmp_path: Path
):
    """Cross-site WebSocket hijacking: the user has the app open (so the browser holds
    its cookie, which a page on another port of 127.0.0.1 counts as same-site); a page
    of another origin tries the WebSocket and is refused on its Origin."""
    browser.driver.get(demo_server.url)
    assert browser.wait_for_terminal("Contacts")
    site = tmp_path / "evil"
    site.mkdir()
    (site / "index.html").write_text(EVIL_PAGE % demo_server.port)
    handler = partial(SimpleHTTPRequestHandler, directory=str(site))
    evil = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        browser.driver.get(f"http://127.0.0.1:{evil.server_address[1]}/index.html")
        assert browser.wait_for_title("hijacked", "refused") == "refused"
    finally:
        evil.shutdown()
        evil.server_close()
