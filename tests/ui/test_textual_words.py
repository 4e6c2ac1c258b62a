"""Every key description of a Textual widget the app uses has a translation in
textual_words (F1 and the footer show them: they must not stay English in Swedish)."""

from __future__ import annotations

import ast
from pathlib import Path

import textual.widgets
from textual.binding import Binding

from rolodex.ui.textual_words import textual_words

UI = Path(__file__).resolve().parents[2] / "src" / "rolodex" / "ui"


def widgets_used() -> set[str]:
    names = set()
    for path in UI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "textual.widgets":
                names.update(alias.name for alias in node.names)
    return names


def descriptions(cls: type) -> set[str]:
    found = set()
    for klass in cls.__mro__:
        for binding in vars(klass).get("BINDINGS", []):
            description = binding.description if isinstance(binding, Binding) else (
                binding[2] if len(binding) > 2 else ""
            )
            if description:
                found.add(description)
    return found


def test_every_textual_key_description_the_app_shows_is_translatable() -> None:
    words = textual_words()
    missing = {}
    for name in sorted(widgets_used()):
        cls = getattr(textual.widgets, name)
        if isinstance(cls, type):
            lacking = descriptions(cls) - set(words)
            if lacking:
                missing[name] = sorted(lacking)
    assert not missing, f"add these to ui/textual_words.py: {missing}"
