"""Cell-level helpers shared by import and export: lists, label entries, formula neutralising."""

from __future__ import annotations

import re

# A spreadsheet treats a cell starting with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Prefix ' to a cell a spreadsheet would run as a formula (and to one already so prefixed,
    so that :func:`unneutralise` gives back exactly the original)."""
    if value and value.lstrip("'").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def split_list(value: str, sep: str = ";") -> list[str]:
    """Split on ``sep`` not preceded by a backslash, keeping escapes (see :func:`unescape`).

    Items are stripped, empties dropped."""
    items: list[str] = []
    current: list[str] = []
    escaped = False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == sep:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def split_first(value: str, sep: str, *, keep_escapes: bool = False) -> tuple[str, str] | None:
    """Split at the first unescaped ``sep``; unescape both halves (unless ``keep_escapes``)."""
    escaped = False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == sep:
            left, right = value[:index].strip(), value[index + 1 :].strip()
            if keep_escapes:
                return left, right
            return unescape(left).strip(), unescape(right).strip()
    return None


def unescape(value: str) -> str:
    if "\\" not in value:
        return value
    out: list[str] = []
    escaped = False
    for char in value:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    if escaped:
        out.append("\\")
    return "".join(out)


def escape(value: str, specials: str = ";:\\") -> str:
    return "".join("\\" + c if c in specials else c for c in value)


def join_list(values: list[str], sep: str = ";") -> str:
    return f"{sep} ".join(values) if sep != ";" else ";".join(values)


# A label seen from the record it points to is marked, so that import defines the label
# the way round it was defined here: "the other record is this one's WORD (inverse of NAME)".
LABEL_SPECIALS = ";:/\\()"
INVERSE_OF = "(inverse of "
INVERSE = "(inverse)"


def label_entry(name: str, inverse: str | None, other_is_from: bool, symmetric: bool) -> str:
    """One label in an ``Associated X Labels`` cell, seen from a record towards another.

    ``NAME`` or ``NAME / INVERSE`` when the other record is the label's from record (it
    carries the name); ``INVERSE (inverse of NAME)``, or ``NAME (inverse)`` for a single
    label, when it is the label's to record. A single label between two records of one
    object reads the same both ways: just its name."""
    word = escape(name, LABEL_SPECIALS)
    if symmetric:
        return word
    if other_is_from:
        return f"{word} / {escape(inverse, LABEL_SPECIALS)}" if inverse else word
    if not inverse:
        return f"{word} {INVERSE}"
    return f"{escape(inverse, LABEL_SPECIALS)} {INVERSE_OF}{word})"


def parse_label_entry(text: str) -> tuple[str, str | None, bool]:
    """(word the other record carries, the label's other word, the carried word is the
    label's name) from a label entry (escapes kept in ``text``)."""
    body = text.strip()
    start = _unescaped_find(body, INVERSE)
    if start is not None and start + len(INVERSE) == len(body):
        word = unescape(body[:start]).strip()
        return word, word, False
    start = _unescaped_find(body, INVERSE_OF)
    if start is not None and _unescaped_find(body, ")", start) == len(body) - 1:
        word = unescape(body[:start]).strip()
        name = unescape(body[start + len(INVERSE_OF) : -1]).strip()
        return word, name or None, not name
    pair = split_first(body, "/")
    if pair is not None:
        return pair[0], pair[1] or None, True
    return unescape(body).strip(), None, True


def _unescaped_find(text: str, needle: str, start: int = 0) -> int | None:
    """The first position at or after ``start`` where ``needle`` begins, not escaped."""
    escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif index >= start and text.startswith(needle, index):
            return index
    return None


# OOXML cannot hold most C0 control characters; it writes them as _xHHHH_ (and a literal
# "_xHHHH_" with its underscore as _x005F_), which Excel reads back. openpyxl does
# neither, so a name holding an ESC would make the whole .xlsx export fail.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]|_(?=x[0-9A-Fa-f]{4}_)")
_XLSX_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def xlsx_escape(value: str) -> str:
    """A cell's text as an .xlsx holds it (control characters as _xHHHH_)."""
    if "_" not in value and value.isprintable():
        return value
    return _XLSX_ILLEGAL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", value)


def xlsx_unescape(value: str) -> str:
    """The text an .xlsx cell stands for (``xlsx_escape`` undone, as Excel reads it)."""
    if "_x" not in value:
        return value
    return _XLSX_ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value)
