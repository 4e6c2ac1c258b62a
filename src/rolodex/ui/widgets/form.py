"""A form of one object's properties: a label and an input per property."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label

from rolodex.crm.objects import ObjectInfo
from rolodex.i18n import _, data_text

PLACEHOLDERS = {
    "email": _("name@example.com"),
    "domain": _("example.com"),
    "number": _("a number"),
    "date": _("YYYY-MM-DD"),
    "datetime": _("YYYY-MM-DDTHH:MM"),
}


class PropertyForm(Vertical):
    """Inputs named ``prop-KEY``; ``values()`` returns what was typed."""

    DEFAULT_CSS = """
    PropertyForm { height: auto; }
    PropertyForm Label { margin-top: 0; color: $text-muted; }
    PropertyForm Input { margin-bottom: 0; width: 100%; }
    """

    def __init__(
        self,
        info: ObjectInfo,
        values: dict[str, str] | None = None,
        *,
        id: str | None = None,
        skip: tuple[str, ...] = (),
        placeholders: bool = True,
    ) -> None:
        super().__init__(id=id)
        self.placeholders = placeholders
        self.info = info
        self.initial = dict(values or {})
        self.skip = skip

    def compose(self) -> ComposeResult:
        for prop in self.info.properties:
            if prop.key in self.skip:
                continue
            yield Label(data_text(prop.label), markup=False)
            yield Input(
                self.initial.get(prop.key, ""),
                placeholder=PLACEHOLDERS.get(prop.kind, "") if self.placeholders else "",
                id=f"prop-{prop.key}",
                classes="prop-input",
                compact=True,
            )

    def values(self) -> dict[str, str]:
        out = {}
        for prop in self.info.properties:
            if prop.key in self.skip:
                continue
            out[prop.key] = self.query_one(f"#prop-{prop.key}", Input).value
        return out

    def changes(self) -> dict[str, str]:
        """Only the values that differ from what the form was opened with."""
        return {k: v for k, v in self.values().items() if v.strip() != self.initial.get(k, "")}

    def reset(self, values: dict[str, str] | None = None) -> None:
        self.initial = dict(values or {})
        for prop in self.info.properties:
            if prop.key in self.skip:
                continue
            self.query_one(f"#prop-{prop.key}", Input).value = self.initial.get(prop.key, "")

    def focus_first(self) -> None:
        inputs = list(self.query(Input))
        if inputs:
            inputs[0].focus()
