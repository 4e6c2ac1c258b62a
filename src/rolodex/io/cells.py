"""Cell-level helpers shared by import and export: lists, label entries, formula neutralising."""

from __future__ import annotations

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
