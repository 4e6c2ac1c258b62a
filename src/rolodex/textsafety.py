"""The one rule for text that leaves the program: what a terminal must never receive raw.

Stored values stay exactly as stored; only their display is made safe. At each exit
(the TUI's widgets, the command line's standard output and error) every character this
module calls unsafe is replaced by a visible stand-in:

- C0 controls other than tab and newline, and DEL: their Unicode control pictures
  (ESC -> ␛, CR -> ␍, NUL -> ␀, DEL -> ␡);
- C1 controls (U+0080-U+009F; U+009B is a one-byte CSI), the line and paragraph
  separators, bidi embeddings, overrides, isolates and marks, and lone surrogates
  (an argument that was not UTF-8): ``\\u202e``-style escapes.

No Textual here: the TUI styles the stand-ins (ui/text.py), the command line prints
them as they are (cli_output.py), JSON escapes the same characters (``json_text``).
"""

from __future__ import annotations

import re

# Bidi: LRE RLE PDF LRO RLO, LRI RLI FSI PDI, LRM RLM, ALM.
_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029{_BIDI}\ud800-\udfff]")
# What JSON must escape beyond what json.dumps escapes itself (C0 and quotes).
_JSON_EXTRA = re.compile(f"[\x7f-\x9f\u2028\u2029{_BIDI}]")


def stand_in(ch: str) -> str:
    """The visible stand-in of one unsafe character."""
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"\\u{code:04x}"


def is_unsafe(text: str) -> bool:
    return UNSAFE.search(text) is not None


def visible(text: str) -> str:
    """``text`` with every unsafe character replaced by its visible stand-in."""
    if UNSAFE.search(text) is None:
        return text
    return UNSAFE.sub(lambda m: stand_in(m.group(0)), text)


def split_unsafe(text: str) -> list[tuple[str, bool]]:
    """``text`` in runs: (stand-in text, True) for unsafe characters, (text, False) else;
    for an exit that marks the stand-ins in a style of their own."""
    out: list[tuple[str, bool]] = []
    position = 0
    for match in UNSAFE.finditer(text):
        if match.start() > position:
            out.append((text[position : match.start()], False))
        out.append((stand_in(match.group(0)), True))
        position = match.end()
    if position < len(text):
        out.append((text[position:], False))
    return out


def json_text(dumped: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with C1, DEL, U+2028,
    U+2029 and bidi controls escaped as ``\\uXXXX`` too: still the same JSON values,
    and nothing in it can drive a terminal. (These characters occur only inside
    strings, where the escape means the same character.)"""
    return _JSON_EXTRA.sub(lambda m: f"\\u{ord(m.group(0)):04x}", dumped)
