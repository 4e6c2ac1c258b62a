"""Write transactions that are safe to retry when another writer got there first."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from peewee import IntegrityError, OperationalError

from rolodex.store.models import database

P = ParamSpec("P")
T = TypeVar("T")
ATTEMPTS = 6
RETRYABLE_TEXT = (
    "database is locked",
    "could not serialize",
    "deadlock detected",
    "restart transaction",
)


def _retryable(exc: Exception) -> bool:
    text = str(exc).lower()
    if isinstance(exc, IntegrityError):
        # A concurrent writer inserted the same unique row: re-reading sees it.
        return "unique" in text or "duplicate key" in text
    return any(word in text for word in RETRYABLE_TEXT)


def writes(func: Callable[P, T]) -> Callable[P, T]:
    """Run ``func`` in one transaction (IMMEDIATE on SQLite); retry it whole on a lost race.

    Nested calls join the outer transaction and are not retried on their own.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        if database.obj is not None and database.in_transaction():
            return func(*args, **kwargs)
        for attempt in range(ATTEMPTS):
            try:
                with database.atomic():
                    return func(*args, **kwargs)
            except (IntegrityError, OperationalError) as exc:
                if attempt == ATTEMPTS - 1 or not _retryable(exc):
                    raise
                time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")

    return wrapper
