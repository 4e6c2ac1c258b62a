"""The command line's exit: everything it writes to standard output and error passes
through ``SafeStream``, so no text from the database, a file or an argument can drive
the terminal (the rule itself is rolodex.textsafety)."""

from __future__ import annotations

import io
from typing import TextIO

from rolodex.textsafety import visible


class SafeStream(io.TextIOBase):
    """A text stream that shows unsafe characters as visible stand-ins (a CR LF line end,
    as CSV writes, becomes a plain newline)."""

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self.target = target

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", None) or "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    def write(self, text: str) -> int:
        self.target.write(visible(text.replace("\r\n", "\n")))
        return len(text)

    def flush(self) -> None:
        self.target.flush()
