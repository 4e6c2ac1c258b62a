"""User text is never markup: every record name goes through these helpers."""

from __future__ import annotations

import datetime as dt
import unicodedata

from rich.text import Text
from textual.content import Content


def visible(text: str) -> str:
    """Control characters shown as their Unicode pictures (BEL -> ␇), so nothing reaches the terminal."""
    if not any(unicodedata.category(ch) == "Cc" for ch in text):
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if unicodedata.category(ch) == "Cc":
            out.append(chr(0x2400 + code) if code < 0x20 else ("␡" if code == 0x7F else "�"))
        else:
            out.append(ch)
    return "".join(out)


def plain(text: str) -> Content:
    """A Content for Textual widgets (Label, Static, OptionList, Button...)."""
    return Content(visible(text))


def cell(text: str, style: str = "") -> Text:
    """A rich Text for DataTable cells and Tree labels."""
    return Text(visible(text), style=style, no_wrap=True, overflow="ellipsis")


def when(moment: dt.datetime | None) -> str:
    """A stored (naive UTC) time as shown everywhere: 2026-03-01 14:05 UTC."""
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%d %H:%M") + " UTC"


def shorten(text: str, width: int) -> str:
    text = visible(text)
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
