"""The index's small page cache: which pages of the list are held, and how to read a
missing one (no Textual here: it is plain bookkeeping, tested on its own).

Page ``p`` holds rows ``p * size`` to ``(p + 1) * size - 1``. A page next to a held one
is read by keyset from that neighbour's edge (the same cost at any depth); a page with
no held neighbour (a jump: End, a drag of the scrollbar) is read by offset.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class Keyed(Protocol):
    def cursor(self, sort: str) -> tuple: ...


RowT = TypeVar("RowT", bound=Keyed)


@dataclass(frozen=True)
class Read:
    """How to read one page: keyset ``after`` / ``before`` a cursor, or an ``offset``."""

    page: int
    after: tuple | None = None
    before: tuple | None = None
    offset: int = 0


class PageCache(Generic[RowT]):
    def __init__(self, size: int, keep: int = 12) -> None:
        self.size = size
        self.keep = keep  # pages held at most: memory stays the same however deep
        self.pages: OrderedDict[int, list[RowT]] = OrderedDict()
        self.generation = 0  # bumped by clear(): answers to older reads are dropped

    def clear(self) -> None:
        self.pages.clear()
        self.generation += 1

    def row(self, index: int) -> RowT | None:
        page = self.pages.get(index // self.size)
        if page is None:
            return None
        offset = index % self.size
        return page[offset] if offset < len(page) else None

    def has(self, page: int) -> bool:
        return page in self.pages

    def plan(self, page: int, sort: str) -> Read:
        before_page = self.pages.get(page - 1)
        if page == 0:
            return Read(0)
        if before_page is not None and len(before_page) == self.size:
            return Read(page, after=before_page[-1].cursor(sort))
        after_page = self.pages.get(page + 1)
        if after_page:
            return Read(page, before=after_page[0].cursor(sort))
        return Read(page, offset=page * self.size)

    def store(self, page: int, rows: list[RowT]) -> None:
        self.pages[page] = rows
        self.pages.move_to_end(page)
        while len(self.pages) > self.keep:
            self.pages.popitem(last=False)

    def touch(self, page: int) -> None:
        if page in self.pages:
            self.pages.move_to_end(page)

    def rows(self) -> list[RowT]:
        return [row for _page, rows in sorted(self.pages.items()) for row in rows]
