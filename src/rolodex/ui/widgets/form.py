"""A form of one object's properties: a label and a field per property.

A field shows the stored value safely (control and bidi characters as visible stand-ins,
never raw); a field left as it was shown is not a change, so saving a record whose
values hold such characters without touching them leaves the stored values exactly as
they were. A value with line breaks (a note's body) gets a multi-line field."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, TextArea

from rolodex.crm.objects import ObjectInfo, PropertyInfo
from rolodex.i18n import _, data_text
from rolodex.ui.text import single_line, visible
from rolodex.ui.widgets.inputs import SafeInput, SafeTextArea

PLACEHOLDERS = {
    "email": _("name@example.com"),
    "domain": _("example.com"),
    "number": _("a number"),
    "date": _("YYYY-MM-DD"),
    "datetime": _("YYYY-MM-DDTHH:MM"),
}
MULTI_LINE_KEYS = ("body", "description", "notes")


def is_multi_line(prop: PropertyInfo, value: str) -> bool:
    return prop.kind == "text" and (prop.key in MULTI_LINE_KEYS or "\n" in value)


def field_text(prop: PropertyInfo, value: str) -> str:
    """A stored value as its field shows it."""
    return visible(value) if is_multi_line(prop, value) else single_line(value)


class PropertyForm(Vertical):
    """Fields named ``prop-KEY``; ``values()`` returns what they hold."""

    DEFAULT_CSS = """
    PropertyForm { height: auto; }
    PropertyForm Label { margin-top: 0; color: $text-muted; }
    PropertyForm Input { margin-bottom: 0; width: 100%; }
    PropertyForm TextArea { height: auto; max-height: 10; min-height: 3; }
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

    def _props(self) -> list[PropertyInfo]:
        return [p for p in self.info.properties if p.key not in self.skip]

    def compose(self) -> ComposeResult:
        for prop in self._props():
            value = self.initial.get(prop.key, "")
            yield Label(data_text(prop.label), markup=False)
            if is_multi_line(prop, value):
                yield SafeTextArea(
                    field_text(prop, value),
                    id=f"prop-{prop.key}",
                    classes="prop-area",
                    soft_wrap=True,
                    compact=True,
                )
            else:
                yield SafeInput(
                    field_text(prop, value),
                    placeholder=PLACEHOLDERS.get(prop.kind, "") if self.placeholders else "",
                    id=f"prop-{prop.key}",
                    classes="prop-input",
                    compact=True,
                )

    def _field(self, key: str) -> Input | TextArea:
        widget = self.query_one(f"#prop-{key}")
        assert isinstance(widget, Input | TextArea)
        return widget

    def values(self) -> dict[str, str]:
        out = {}
        for prop in self._props():
            widget = self._field(prop.key)
            out[prop.key] = widget.value if isinstance(widget, Input) else widget.text
        return out

    def changes(self) -> dict[str, str]:
        """Only the fields that differ from what the form showed when opened."""
        out = {}
        for prop in self._props():
            now = self._value(prop.key)
            before = self.initial.get(prop.key, "")
            if now.strip() != field_text(prop, before).strip():
                out[prop.key] = now
        return out

    def _value(self, key: str) -> str:
        widget = self._field(key)
        return widget.value if isinstance(widget, Input) else widget.text

    def reset(self, values: dict[str, str] | None = None) -> None:
        self.initial = dict(values or {})
        for prop in self._props():
            widget = self._field(prop.key)
            text = field_text(prop, self.initial.get(prop.key, ""))
            if isinstance(widget, Input):
                widget.value = text
            else:
                widget.text = text

    def focus_first(self) -> None:
        fields = list(self.query("Input, TextArea"))
        if fields:
            fields[0].focus()
