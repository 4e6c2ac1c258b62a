"""The TUI's exit for text: everything from the database, a file or a person reaches the
screen through these functions, so it is never markup and never a raw control or bidi
character (the rule is rolodex.textsafety; here the stand-ins get a style of their own).
"""

from __future__ import annotations

import datetime as dt
import re

from rich.text import Text
from textual.content import Content

from rolodex.textsafety import split_unsafe, visible

__all__ = [
    "visible",
    "single_line",
    "shown",
    "template",
    "when",
    "shorten",
    "cell",
    "CONTROL_STYLE",
]

# How a stand-in for a control or bidi character looks: not like the text around it.
CONTROL_STYLE = "reverse"


def single_line(text: str) -> str:
    """``visible`` for one line (an Input, a table cell): a newline shown as ␊, a tab as
    a space."""
    return visible(text).replace("\n", "\u240a").replace("\t", " ")


def cell(text: str, style: str = "") -> Text:
    """A DataTable cell: one line, never markup, unsafe characters as stand-ins."""
    return Text(single_line(text), style=style, no_wrap=True, overflow="ellipsis")


def shown(text: str, style: str = "", *, one_line: bool = False) -> Content:
    """User text as Content: never parsed as markup; unsafe characters as styled stand-ins."""
    if one_line:
        text = text.replace("\r\n", "\n").replace("\n", "\u240a").replace("\t", " ")
    parts = split_unsafe(text)
    if not parts:
        return Content("")
    if len(parts) == 1 and not parts[0][1]:
        content = Content(parts[0][0])
    else:
        content = Content.assemble(
            *[(piece, CONTROL_STYLE) if unsafe else piece for piece, unsafe in parts]
        )
    return content.stylize(style) if style else content


_STAND_IN = re.compile(r"[\u2400-\u2421]|\\u[0-9a-f]{4}")


def _mark_stand_ins(content: Content) -> Content:
    for match in _STAND_IN.finditer(content.plain):
        content = content.stylize(CONTROL_STYLE, match.start(), match.end())
    return content


def value(text: str, style: str = "") -> Content:
    """One value as ``template`` shows it, without parsing markup: for lines built per
    item (a sidebar of hundreds), where parsing a template each time cost ~60 us a line."""
    content = _mark_stand_ins(Content(visible(text)))
    return content.stylize(style) if style else content


def template(markup: str, **values: str | Content) -> Content:
    """``Content.from_markup`` with every value shown safely (values are never markup, and
    their unsafe characters become styled stand-ins)."""
    safe = {
        key: value.plain if isinstance(value, Content) else visible(value)
        for key, value in values.items()
    }
    content = Content.from_markup(markup, **safe)
    if any(_STAND_IN.search(value) for value in safe.values()):
        content = _mark_stand_ins(content)
    return content


def when(moment: dt.datetime | None) -> str:
    """A stored (naive UTC) time as shown everywhere: 2026-03-01 14:05 UTC."""
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%d %H:%M") + " UTC"


def shorten(text: str, width: int) -> str:
    text = single_line(text)
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
