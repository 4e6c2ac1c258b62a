"""A record and its associations two hops out, as a tree navigable with the keyboard."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from rolodex.crm import associations, objects
from rolodex.crm.associations import Associated
from rolodex.crm.records import RecordView
from rolodex.i18n import _
from rolodex.ui.db import run_db
from rolodex.ui.text import cell, visible
from rolodex.ui.widgets.footer import Footer

PER_OBJECT = 10


@dataclass(frozen=True)
class Node:
    record_id: int
    type: str
    depth: int


def neighbours(record_id: int) -> list[tuple[str, int, list[Associated]]]:
    """(object key, total, first items) per associated object."""
    keys = [info.key for info in objects.all_types()]
    counts, cards = associations.sidebar(record_id, keys, limit=PER_OBJECT)
    return [(key, counts[key], cards[key]) for key in keys if key in cards]


def node_label(item: Associated):
    text = cell(visible(item.other_name) or item.other_ref)
    extra = []
    if item.primary:
        extra.append(_("Primary"))
    extra += list(item.labels)
    if extra:
        text.append(" · " + ", ".join(visible(w) for w in extra), style="dim")
    text.append(f"  {item.other_ref}", style="dim")
    return text


class NeighbourhoodScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", _("Back"), id="neighbourhood.back"),
        Binding("o", "open", _("Open record"), id="neighbourhood.open"),
    ]

    def __init__(self, record: RecordView) -> None:
        super().__init__()
        self.record = record

    def compose(self) -> ComposeResult:
        yield Static(
            _("Neighbourhood: arrows move, Enter expands, o opens the record"), id="nb-help"
        )
        tree: Tree[Node] = Tree(
            cell(visible(self.record.label) + f"  {self.record.ref}", "bold"),
            data=Node(self.record.id, self.record.type, 0),
            id="nb-tree",
        )
        tree.guide_depth = 3
        yield tree
        yield Footer()

    def on_mount(self) -> None:
        tree = self.query_one(Tree)
        tree.focus()
        self._fill(tree.root)

    def _fill(self, node: TreeNode[Node]) -> None:
        data = node.data
        if data is None:
            return
        exclude = node.parent.data.record_id if node.parent and node.parent.data else None

        def show(groups: list[tuple[str, int, list[Associated]]]) -> None:
            node.remove_children()
            for type_key, total, items in groups:
                info = objects.by_key(type_key)
                group = node.add(cell(f"{info.shown_plural} ({total})", "italic"), expand=True)
                for item in items:
                    if item.other_id == exclude:
                        continue
                    child = group.add(
                        node_label(item),
                        data=Node(item.other_id, item.other_type, data.depth + 1),
                        allow_expand=data.depth + 1 < 2,
                    )
                    if data.depth + 1 >= 2:
                        child.allow_expand = False
                if total > len(items):
                    group.add_leaf(cell(_("… {n} more").format(n=total - len(items)), "dim"))
            node.expand()

        run_db(self, lambda: neighbours(data.record_id), show)

    @on(Tree.NodeExpanded)
    def expanded(self, event: Tree.NodeExpanded[Node]) -> None:
        node = event.node
        if node.data is not None and node.data.depth == 1 and not node.children:
            self._fill(node)

    def action_open(self) -> None:
        node = self.query_one(Tree).cursor_node
        if node is not None and node.data is not None:
            self.app.open_record(node.data.record_id)  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.app.pop_screen()
