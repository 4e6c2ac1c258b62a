"""The record view's association sidebar: every object's card in one Line-API list.

A card is a heading ("Contacts (3)  + Add"), its items (name, Primary badge, labels) and,
when the record has more, "Load more". The cursor moves over headings and items alike;
Enter on a heading adds, on an item opens its actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message

from rolodex.crm.associations import Associated
from rolodex.crm.objects import ObjectInfo
from rolodex.i18n import _, ngettext
from rolodex.ui.text import shown, single_line, value
from rolodex.ui.widgets.linelist import Item, LineList


def item_lines(item: Associated) -> tuple[Content, ...]:
    """An associated record as one or two lines: name, Primary badge, its labels."""
    name = single_line(item.other_name) or item.other_ref
    badge = " " + _("Primary") + " " if item.primary else ""
    first = Content.assemble(value(name), " ", value(badge, "reverse b"))
    if item.labels:
        return first, Content.assemble("  ", value(", ".join(item.labels), "dim"))
    return (first,)


@dataclass(frozen=True)
class CardRef:
    """What a sidebar line is about: a card's heading, one of its items, or "more"."""

    kind: str  # "head" | "item" | "more" | "none"
    type_key: str
    item: Associated | None = None


def card_items(
    card_types: list[ObjectInfo],
    counts: dict[str, int],
    cards: dict[str, list[Associated]],
    marks: set[int] | None = None,
) -> list[Item]:
    """The sidebar's lines. ``marks``: ids of records to mark (a company's view marks the
    contacts whose primary company it is)."""
    out = []
    for info in card_types:
        count = counts.get(info.key, 0)
        items = cards.get(info.key, [])
        head = Content.assemble(
            value(f"{info.shown_plural} ({count:,})", "b"), "  ", value("+ " + _("Add"), "dim")
        )
        out.append(
            Item(f"head:{info.key}", (head,), style="heading", data=CardRef("head", info.key))
        )
        for item in items:
            lines = item_lines(item)
            if item.primary_of_other:
                lines = (lines[0] + Content.styled("  ★", "dim"), *lines[1:])
            out.append(
                Item(
                    f"item:{info.key}:{item.other_id}",
                    lines,
                    data=CardRef("item", info.key, item),
                )
            )
        if any(item.primary_of_other for item in items):
            out.append(
                Item(
                    f"legend:{info.key}",
                    (shown(_("★ this record is their primary company"), "dim"),),
                    selectable=False,
                    style="muted",
                )
            )
        if not items:
            out.append(
                Item(
                    f"none:{info.key}",
                    (shown(_("No {plural} yet").format(plural=info.shown_plural.lower()), "dim"),),
                    selectable=False,
                    style="muted",
                    data=CardRef("none", info.key),
                )
            )
        elif len(items) < count:
            rest = count - len(items)
            out.append(
                Item(
                    f"more:{info.key}",
                    (
                        shown(
                            ngettext("Load more ({n} more)", "Load more ({n} more)", rest).format(
                                n=f"{rest:,}"
                            ),
                            "italic",
                        ),
                    ),
                    data=CardRef("more", info.key),
                )
            )
        out.append(Item(f"gap:{info.key}", (Content(""),), selectable=False))
    return out


class CardList(LineList):
    """The sidebar; its keys act on the item under the cursor (shown in the footer)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", _("Actions"), id="card.actions"),
        Binding("right", "card(1)", _("Next card"), id="card.next", show=False),
        Binding("left", "card(-1)", _("Previous card"), id="card.previous", show=False),
        Binding("o", "item('open')", _("Open"), id="card.open", show=False),
        Binding("p", "item('primary')", _("Primary"), id="card.primary"),
        Binding("l", "item('labels')", _("Labels"), id="card.labels", show=False),
        Binding("delete,x", "item('remove')", _("Remove"), id="card.remove", show=False),
    ]

    def current(self) -> CardRef | None:
        item = self.highlighted_item
        return item.data if item is not None and isinstance(item.data, CardRef) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "item":
            ref = self.current()
            return ref is not None and ref.kind == "item"
        return True

    def action_card(self, step: int) -> None:
        """To the heading of the next (or previous) card."""
        heads = [n for n, item in enumerate(self.items) if item.key.startswith("head:")]
        if not heads:
            return
        here = self.cursor if self.cursor is not None else -1
        current = max((h for h in heads if h <= here), default=heads[0])
        position = heads.index(current) + step
        if 0 <= position < len(heads):
            self.cursor = heads[position]

    def action_item(self, what: str) -> None:
        ref = self.current()
        if ref is not None and ref.item is not None:
            self.post_message(ItemAction(self, what, ref))


class ItemAction(Message):
    """A key on a card item: "open", "primary", "labels" or "remove"."""

    def __init__(self, cards: CardList, what: str, ref: CardRef) -> None:
        super().__init__()
        self.cards = cards
        self.what = what
        self.ref = ref

    @property
    def control(self) -> CardList:
        return self.cards
