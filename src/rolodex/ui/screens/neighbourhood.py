"""A record and its associations two hops out, as a tree navigable with the keyboard."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from rolodex.crm import objects, views
from rolodex.crm.associations import Associated
from rolodex.crm.records import RecordView
from rolodex.crm.views import NeighbourGroup
from rolodex.i18n import _
from rolodex.ui.base import RolodexScreen, connected
from rolodex.ui.messages import OpenRecord
from rolodex.ui.text import single_line
from rolodex.ui.widgets.footer import KeyFooter

DEPTH = 2


@dataclass(frozen=True)
class Node:
    record_id: int
    type: str
    depth: int


def node_label(item: Associated) -> Text:
    text = Text(single_line(item.other_name) or item.other_ref, no_wrap=True)
    extra = []
    if item.primary:
        extra.append(_("Primary"))
    extra += list(item.labels)
    if extra:
        text.append(" · " + single_line(", ".join(extra)), style="dim")
    text.append(f"  {item.other_ref}", style="dim")
    return text


class NeighboursRead(Message):
    def __init__(self, node: TreeNode[Node], groups: list[NeighbourGroup]) -> None:
        super().__init__()
        self.node = node
        self.groups = groups


class NeighbourhoodScreen(RolodexScreen):
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
        root = Text(single_line(self.record.label), style="bold")
        root.append(f"  {self.record.ref}", style="dim")
        tree: Tree[Node] = Tree(root, data=Node(self.record.id, self.record.type, 0), id="nb-tree")
        tree.guide_depth = 3
        yield tree
        yield KeyFooter()

    def on_mount(self) -> None:
        tree = self.query_one(Tree)
        tree.focus()
        self._read(tree.root)

    @work(thread=True, exit_on_error=False)
    def _read(self, node: TreeNode[Node]) -> None:
        data = node.data
        if data is None:
            return
        centre = self.record.id if data.depth else None
        groups = connected(lambda: views.neighbours(data.record_id, centre=centre))
        self.post_message(NeighboursRead(node, groups))

    @on(NeighboursRead)
    def neighbours_read(self, message: NeighboursRead) -> None:
        node, data = message.node, message.node.data
        assert data is not None
        node.remove_children()
        for group in message.groups:
            info = objects.by_key(group.type_key)
            heading = Text(f"{single_line(info.shown_plural)} ({group.total:,})", style="italic")
            branch = node.add(heading, expand=True)
            for item in group.items:
                branch.add(
                    node_label(item),
                    data=Node(item.other_id, item.other_type, data.depth + 1),
                    allow_expand=data.depth + 1 < DEPTH,
                )
            if group.total > len(group.items):
                more = Text(
                    _("… {n} more").format(n=f"{group.total - len(group.items):,}"), style="dim"
                )
                branch.add_leaf(more)
        node.expand()
        self.mark_ready()

    @on(Tree.NodeExpanded)
    def expanded(self, event: Tree.NodeExpanded[Node]) -> None:
        node = event.node
        if node.data is not None and node.data.depth == 1 and not node.children:
            self._read(node)

    def action_open(self) -> None:
        node = self.query_one(Tree).cursor_node
        if node is not None and node.data is not None:
            self.post_message(OpenRecord(node.data.record_id))

    def action_back(self) -> None:
        self.app.pop_screen()
