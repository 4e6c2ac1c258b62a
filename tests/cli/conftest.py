"""Fixtures for the command-line tests: run `rolodex` in-process against the test database."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def last_word(self) -> str:
        return self.out.split()[-1]


Run = Callable[..., Result]


@pytest.fixture
def run(db, db_url: str, capsys: pytest.CaptureFixture[str]) -> Run:
    """``run("show", "contact:1")`` -> Result(code, out, err), with --db set to the test database."""
    from rolodex.cli import main

    capsys.readouterr()

    def _run(*args: str, db_target: str | None = None) -> Result:
        code = main(["--db", db_target or db_url, *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _run


@pytest.fixture
def ok(run: Run) -> Callable[..., Result]:
    """Like ``run`` but asserts success (exit 0, nothing on stderr)."""

    def _ok(*args: str) -> Result:
        result = run(*args)
        assert result.code == 0, (args, result.err)
        assert result.err == ""
        return result

    return _ok


@pytest.fixture
def add(ok) -> Callable[..., str]:
    """``add("contact", "email=a@b.com")`` -> the new REF (the last word printed)."""

    def _add(type_key: str, *values: str) -> str:
        return ok("add", type_key, *values).last_word

    return _add


def snapshot() -> dict[str, Any]:
    """Every table's rows: compared before and after a failed command."""
    from rolodex.store.models import MODELS

    return {
        model.__name__: sorted(
            (tuple(str(v) for v in row) for row in model.select().tuples()), key=repr
        )
        for model in MODELS
    }
