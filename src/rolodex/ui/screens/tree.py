"""The hierarchy around a record (a company group, an org chart) as a tree: every level,
each record with its contacts and open deals summed over everything below it; Enter
(or o) opens the record under the cursor."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from rolodex.crm import hierarchy
from rolodex.crm.errors import RolodexError
from rolodex.crm.hierarchy import Hierarchy, Node
from rolodex.crm.records import RecordView
from rolodex.i18n import _, ngettext
from rolodex.ui.base import RolodexScreen, connected
from rolodex.ui.messages import OpenRecord
from rolodex.ui.text import shown, single_line
from rolodex.ui.widgets.footer import KeyFooter


class TreeRead(Message):
    def __init__(self, found: Hierarchy | None, problem: str | None = None) -> None:
        super().__init__()
        self.found = found
        self.problem = problem


def node_label(node: Node, focus: bool) -> Text:
    text = Text(single_line(node.name) or node.ref, style="bold" if focus else "", no_wrap=True)
    text.append(f"  {node.ref}", style="dim")
    text.append("  " + single_line(hierarchy.counts_text(node)), style="italic")
    if focus:
        text.append("  ◀", style="bold")
    return text


class TreeScreen(RolodexScreen):
    BINDINGS = [
        Binding("escape", "back", _("Back"), id="tree.back"),
        Binding("o", "open", _("Open record"), id="tree.open"),
    ]

    def __init__(self, record: RecordView) -> None:
        super().__init__()
        self.record = record
        self.found: Hierarchy | None = None

    def compose(self) -> ComposeResult:
        yield Static(
            shown(
                _("Hierarchy around {name}: Enter opens a record, space folds").format(
                    name=self.record.label
                ),
                one_line=True,
            ),
            id="tree-help",
        )
        tree: Tree[int] = Tree(Text(_("Reading…"), style="dim"), id="hierarchy-tree")
        tree.auto_expand = False  # Enter opens; space folds
        tree.guide_depth = 3
        yield tree
        yield Static("", id="tree-status", classes="muted")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(Tree).focus()
        self._read()

    def refresh_from_database(self) -> None:
        self._read()

    @work(thread=True, exclusive=True, group="tree", exit_on_error=False)
    def _read(self) -> None:
        record_id = self.record.id
        try:
            found = connected(lambda: hierarchy.tree(record_id))
        except RolodexError as exc:  # no hierarchical label, the record deleted meanwhile
            self.post_message(TreeRead(None, str(exc)))
            return
        self.post_message(TreeRead(found))

    @on(TreeRead)
    def tree_read(self, message: TreeRead) -> None:
        tree: Tree[int] = self.query_one(Tree)
        status = self.query_one("#tree-status", Static)
        found = message.found
        if found is None:
            tree.root.set_label(Text(single_line(message.problem or ""), style="italic"))
            tree.clear()
            status.update("")
            self.mark_ready()
            return
        keep = tree.cursor_node.data if tree.cursor_node is not None else None
        self.found = found
        tree.clear()
        tree.root.set_label(node_label(found.root, found.root.id == found.focus))
        tree.root.data = found.root.id
        wanted = keep if keep is not None else found.focus
        target: TreeNode[int] | None = tree.root if found.root.id == wanted else None
        stack: list[tuple[TreeNode[int], Node]] = [(tree.root, found.root)]
        while stack:
            branch, node = stack.pop()
            for child in node.children:
                item = branch.add(
                    node_label(child, child.id == found.focus),
                    data=child.id,
                    expand=True,
                    allow_expand=bool(child.children or child.hidden),
                )
                if child.id == wanted:
                    target = item
                stack.append((item, child))
            if node.hidden:
                branch.add_leaf(Text(_("… {n} more below").format(n=node.hidden), style="dim"))
        tree.root.expand()
        if target is not None:  # once the tree has laid out its new lines
            self.call_after_refresh(tree.move_cursor, target)
        shown_count = len(found.nodes())
        line = ngettext(
            "{label}: {n} record · counts include everything below",
            "{label}: {n} records · counts include everything below",
            shown_count,
        ).format(label=found.label.name, n=shown_count)
        if found.truncated:
            line += " · " + _("only the first {n} are shown").format(n=shown_count)
        status.update(shown(line, one_line=True))
        self.mark_ready()

    @on(Tree.NodeSelected)
    def selected(self, event: Tree.NodeSelected[int]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(OpenRecord(event.node.data))

    def action_open(self) -> None:
        node = self.query_one(Tree).cursor_node
        if node is not None and node.data is not None:
            self.post_message(OpenRecord(node.data))

    def action_back(self) -> None:
        self.app.pop_screen()
