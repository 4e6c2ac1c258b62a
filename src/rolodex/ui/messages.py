"""Messages that go up to the app ("attributes down, messages up")."""

from __future__ import annotations

from textual.message import Message


class OpenRecord(Message):
    """Show this record's screen (read first, then pushed)."""

    def __init__(self, record_id: int) -> None:
        super().__init__()
        self.record_id = record_id


class DataChanged(Message):
    """This app wrote something: every open view re-reads (as when another process did)."""


class ShowIndex(Message):
    """Go back to the index of this object."""

    def __init__(self, type_key: str) -> None:
        super().__init__()
        self.type_key = type_key
