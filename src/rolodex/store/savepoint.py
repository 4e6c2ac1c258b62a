"""Undoing part of a write transaction: what a block wrote goes when it raises."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rolodex.store.models import database


@contextlib.contextmanager
def savepoint() -> Iterator[None]:
    """Inside a write transaction (``@writes``): when the block raises, what it wrote is
    rolled back and the exception goes on; the transaction goes on too."""
    if not database.in_transaction():
        raise RuntimeError("savepoint() needs a write transaction (@writes)")
    with database.atomic():  # nested in a transaction: a SAVEPOINT
        yield
