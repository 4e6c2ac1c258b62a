"""Hierarchies: the trees that hierarchical labels make (company groups, org charts).

A hierarchical label is paired and links records of one object; "A is B's NAME" makes
A the parent of B ("Parent company", "Manager"). Two rules hold on every path, checked
here inside the write transaction by the only writer of associations
(crm/associations.py, and the merge and restore of crm/lifecycle.py):

- a record has at most one parent under the label (the database refuses a second one
  too: store/hierarchy_guard.py);
- no record becomes its own ancestor: a change that would close a cycle is refused
  with the cycle named (A → B → C → A, "→" read as "is the parent of").

Trees are read with recursive queries on both engines (SQLite: one recursive SELECT per
side of the stored pair; PostgreSQL, which allows one reference to the recursive
table: a LATERAL join reading both sides), each step through the association indexes,
so a group at the top of a million records is read in a few statements.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rolodex.crm import labels as labels_mod
from rolodex.crm import objects, records
from rolodex.crm.errors import HierarchyConflict, InvalidValue
from rolodex.crm.labels import LabelInfo
from rolodex.i18n import _
from rolodex.store import raw
from rolodex.store.database import is_sqlite

# No real hierarchy is this deep; it bounds a walk over data that broke the rules.
MAX_DEPTH = 1000
# A tree is shown whole up to this many records; beyond, it is cut (and says so).
MAX_NODES = 5000

NO_ASSOCIATION = -1  # "exclude no association" in the statements below


def hierarchical_label(label_id: int) -> LabelInfo | None:
    info = labels_mod.cached(label_id)
    return info if info is not None and info.hierarchical else None


def labels_for(type_key: str) -> list[LabelInfo]:
    """The hierarchical labels between records of this object, oldest first."""
    return sorted(
        (
            info
            for info in labels_mod.all_by_id().values()
            if info.hierarchical and info.from_type == type_key and info.to_type == type_key
        ),
        key=lambda info: info.id,
    )


# ---------------------------------------------------------------- one step up or down

# The parent of ?: the record on the from side of a label row whose to side it is.
_PARENT_SQL = (
    "SELECT s.a_id FROM association s JOIN association_label l ON l.association_id = s.id "
    "AND l.label_id = ? AND l.forward WHERE s.b_id = ? AND s.a_type_id = ? AND s.id <> ? "
    "UNION ALL SELECT s.b_id FROM association s JOIN association_label l "
    "ON l.association_id = s.id AND l.label_id = ? AND NOT l.forward "
    "WHERE s.a_id = ? AND s.b_type_id = ? AND s.id <> ?"
)


def _type_id(label: LabelInfo) -> int:
    return objects.by_key(label.from_type).id


def parents_of(record_id: int, label: LabelInfo, excluding: int = NO_ASSOCIATION) -> list[int]:
    """The record's parents under the label (one at most, by the rules), leaving out the
    association ``excluding``."""
    t = _type_id(label)
    rows = raw.fetchall(
        _PARENT_SQL, (label.id, record_id, t, excluding, label.id, record_id, t, excluding)
    )
    return sorted(int(row[0]) for row in rows)


def _sqlite_walk(up: bool) -> str:
    """One recursive SELECT per side of the stored pair (SQLite 3.34+).

    With the statistics of a seeded database (a_id's skew: one company with 50,000
    contacts) SQLite chose plans that read every association or every label row at each
    step (an automatic index, a Bloom filter: 0.2-0.7 s at 1M records); each side names
    its index, and the label is an EXISTS, which gets neither."""
    near, far = ("b", "a") if up else ("a", "b")
    # Up: the record is the label's to side (b when forward); down: its from side.
    return (
        f"SELECT s.{far}_id, w.id, w.depth + 1 FROM walk w JOIN association s "
        f"INDEXED BY association_{near}_id_{far}_type_id_id "
        f"ON s.{near}_id = w.id AND s.{far}_type_id = ? WHERE w.depth < ? AND s.id <> ? "
        "AND EXISTS (SELECT 1 FROM association_label l WHERE l.association_id = s.id "
        "AND l.label_id = ? AND l.forward) "
        f"UNION ALL SELECT s.{near}_id, w.id, w.depth + 1 FROM walk w JOIN association s "
        f"INDEXED BY association_{far}_id_{near}_type_id_id "
        f"ON s.{far}_id = w.id AND s.{near}_type_id = ? WHERE w.depth < ? AND s.id <> ? "
        "AND EXISTS (SELECT 1 FROM association_label l WHERE l.association_id = s.id "
        "AND l.label_id = ? AND NOT l.forward)"
    )


def _pg_walk(up: bool) -> str:
    """PostgreSQL allows the recursive table once: both sides in a LATERAL join."""
    near, far = ("b", "a") if up else ("a", "b")
    return (
        "SELECT c.id, w.id, w.depth + 1 FROM walk w CROSS JOIN LATERAL ("
        f"SELECT s.{far}_id AS id FROM association s JOIN association_label l "
        "ON l.association_id = s.id AND l.label_id = ? AND l.forward "
        f"WHERE s.{near}_id = w.id AND s.{far}_type_id = ? AND s.id <> ? "
        f"UNION ALL SELECT s.{near}_id FROM association s JOIN association_label l "
        "ON l.association_id = s.id AND l.label_id = ? AND NOT l.forward "
        f"WHERE s.{far}_id = w.id AND s.{near}_type_id = ? AND s.id <> ?"
        ") c WHERE w.depth < ?"
    )


_WALK_HEAD = (
    "WITH RECURSIVE walk(id, parent, depth) AS ("
    "SELECT CAST(? AS BIGINT), CAST(NULL AS BIGINT), 0 UNION ALL "
)


def _walk(
    start: int,
    label: LabelInfo,
    *,
    up: bool,
    depth: int,
    excluding: int,
    select: str,
    limit: int = MAX_NODES + 1,
) -> tuple[str, list[object]]:
    """A recursive walk from ``start`` that stops after ``limit`` records, and the
    statement ``select`` over its rows (the table ``steps``: id, parent, depth)."""
    t = _type_id(label)
    params: list[object] = [start]
    if is_sqlite():  # a LIMIT inside the recursive query stops the recursion
        sql = f"{_WALK_HEAD}{_sqlite_walk(up)} LIMIT ?), steps AS (SELECT * FROM walk) {select}"
        params += [t, depth, excluding, label.id, t, depth, excluding, label.id, limit]
    else:  # PostgreSQL reads a recursive query as far as it is read: LIMIT it outside
        sql = f"{_WALK_HEAD}{_pg_walk(up)}), steps AS (SELECT * FROM walk LIMIT ?) {select}"
        params += [label.id, t, excluding, label.id, t, excluding, depth, limit]
    return sql, params


def ancestors(record_id: int, label: LabelInfo, excluding: int = NO_ASSOCIATION) -> list[int]:
    """The record's parent, its parent's parent... up to the top (nearest first)."""
    sql, params = _walk(
        record_id,
        label,
        up=True,
        depth=MAX_DEPTH,
        excluding=excluding,
        select="SELECT id FROM steps WHERE depth > 0 ORDER BY depth",
    )
    out: list[int] = []
    for (rid,) in raw.fetchall(sql, params):
        if rid in out or rid == record_id:  # data that broke the rules: stop at the repeat
            break
        out.append(int(rid))
    return out


# ---------------------------------------------------------------- the rules


def _named(record_id: int) -> str:
    view = records.get(record_id, include_deleted=True)
    return f"{view.label} ({view.ref})" if view.label and view.label != view.ref else view.ref


def check_new_links(
    assoc_id: int | None,
    a: int,
    b: int,
    new_pairs: Iterable[tuple[int, bool]],
    kept_pairs: Iterable[tuple[int, bool]] = (),
) -> None:
    """Before the association of ``a`` < ``b`` (``assoc_id``; None when it is new)
    gains ``new_pairs`` (stored labels: (label id, a is the from record)) while keeping
    ``kept_pairs``: refuse a second parent or a cycle under a hierarchical label."""
    new = set(new_pairs)
    present = new | set(kept_pairs)
    excluding = NO_ASSOCIATION if assoc_id is None else assoc_id
    for label_id, a_is_from in sorted(new):
        label = hierarchical_label(label_id)
        if label is None:
            continue
        parent, child = (a, b) if a_is_from else (b, a)
        others = [p for p in parents_of(child, label, excluding) if p != parent]
        if others:
            raise HierarchyConflict(
                _(
                    "{child} already has a {label}: {parent} (one at most: remove that label first)"
                ).format(child=_named(child), label=label.name, parent=_named(others[0]))
            )
        if (label_id, not a_is_from) in present:
            raise _cycle(label, [parent, child, parent])
        chain = ancestors(parent, label, excluding)
        if child in chain:
            # parent → child → ... → parent's parent → parent
            upper = list(reversed(chain[: chain.index(child)]))
            raise _cycle(label, [parent, child, *upper, parent])


def _cycle(label: LabelInfo, path: list[int]) -> HierarchyConflict:
    return HierarchyConflict(
        _("'{label}' would make a cycle: {cycle}").format(
            label=label.name, cycle=" → ".join(_named(rid) for rid in path)
        )
    )


# ---------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Counts:
    contacts: int = 0
    open_deals: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.contacts + other.contacts, self.open_deals + other.open_deals)


@dataclass
class Node:
    id: int
    type: str
    name: str
    depth: int  # below the root
    parent: int | None
    own: Counts  # associated with this record
    total: Counts = field(default_factory=Counts)  # this record's and all its descendants'
    descendants: int = 0
    children: list[Node] = field(default_factory=list)  # shown (within the depth asked)
    hidden: int = 0  # children not shown (below the depth asked)

    @property
    def ref(self) -> str:
        return records.ref_of(self.type, self.id)


def counts_text(node: Node) -> str:
    """A record's counts on one line: "contacts 12 (own 3) · open deals 1 · 4 below"."""
    parts = []
    for word, total, own in (
        (_("contacts"), node.total.contacts, node.own.contacts),
        (_("open deals"), node.total.open_deals, node.own.open_deals),
    ):
        if total != own:
            parts.append(_("{what} {n} (own {own})").format(what=word, n=total, own=own))
        else:
            parts.append(f"{word} {total}")
    if node.descendants:
        parts.append(_("{n} below").format(n=node.descendants))
    return " · ".join(parts)


@dataclass(frozen=True)
class Hierarchy:
    label: LabelInfo
    root: Node
    focus: int  # the record asked for
    truncated: bool  # more than MAX_NODES records: the tree and its sums are partial

    def nodes(self) -> list[Node]:
        """Shown nodes, depth first (each before its children)."""
        out: list[Node] = []
        stack = [self.root]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out


def _open_deal(alias: str) -> str:
    from rolodex.crm.activities import CLOSED_STAGES

    stage = (
        f"json_extract({alias}.properties, '$.stage')"
        if is_sqlite()
        else f"({alias}.properties::json ->> 'stage')"
    )
    closed = ", ".join("'" + word.replace("'", "''") + "'" for word in CLOSED_STAGES)
    return f"{alias}.deleted_at IS NULL AND lower(coalesce({stage}, '')) NOT IN ({closed})"


def _tree_select(contact_type: int, deal_type: int) -> tuple[str, list[object]]:
    """Each record of the walk with its name and own counts (associated contacts and open
    deals, from both stored sides, through the (a, b_type) and (b, a_type) indexes)."""
    sql = (
        "SELECT w.id, w.parent, w.depth, r.name, "
        "(SELECT count(*) FROM association x WHERE x.a_id = w.id AND x.b_type_id = ?) + "
        "(SELECT count(*) FROM association x WHERE x.b_id = w.id AND x.a_type_id = ?), "
        "(SELECT count(*) FROM association x JOIN record o ON o.id = x.b_id "
        f"WHERE x.a_id = w.id AND x.b_type_id = ? AND {_open_deal('o')}) + "
        "(SELECT count(*) FROM association x JOIN record o ON o.id = x.a_id "
        f"WHERE x.b_id = w.id AND x.a_type_id = ? AND {_open_deal('o')}) "
        "FROM steps w JOIN record r ON r.id = w.id ORDER BY w.depth, r.name_key, w.id"
    )
    return sql, [contact_type, contact_type, deal_type, deal_type]


def _choose_label(record_type: str, label_word: str | None, record_id: int) -> LabelInfo:
    if label_word:
        info, _record_is_from = labels_mod.resolve(record_type, record_type, label_word)
        if not info.hierarchical:
            raise InvalidValue(_("the label '{name}' is not hierarchical").format(name=label_word))
        return info
    candidates = labels_for(record_type)
    if not candidates:
        raise InvalidValue(
            _("no hierarchical label links {type} records (labels create … --hierarchical)").format(
                type=record_type
            )
        )
    for info in candidates:  # the first hierarchy the record is part of
        if parents_of(record_id, info) or _has_children(record_id, info):
            return info
    return candidates[0]


def _has_children(record_id: int, label: LabelInfo) -> bool:
    sql, params = _walk(
        record_id,
        label,
        up=False,
        depth=1,
        excluding=NO_ASSOCIATION,
        select="SELECT 1 FROM steps WHERE depth = 1 LIMIT 1",
        limit=2,
    )
    return bool(raw.fetchall(sql, params))


def tree(record_id: int, label_word: str | None = None, depth: int | None = None) -> Hierarchy:
    """The whole hierarchy around a record: from its topmost ancestor down, each record with
    its counts and their sums over its descendants (always the whole subtree's). ``depth``
    limits how many levels below the top are listed (the path to the record always is)."""
    record = records.get(record_id)
    label = _choose_label(record.type, label_word, record.id)
    if depth is not None and depth < 0:
        raise InvalidValue(_("--depth must be 0 or more"))
    path = ancestors(record.id, label)
    top = path[-1] if path else record.id
    select, more = _tree_select(objects.by_key(objects.CONTACT).id, objects.by_key("deal").id)
    sql, params = _walk(
        top, label, up=False, depth=MAX_DEPTH, excluding=NO_ASSOCIATION, select=select
    )
    rows = raw.fetchall(sql, params + more)
    truncated = len(rows) > MAX_NODES
    nodes: dict[int, Node] = {}
    for rid, parent, level, name, contacts, open_deals in rows[:MAX_NODES]:
        if rid in nodes:  # data that broke the rules (a second parent): shown once
            continue
        nodes[rid] = Node(
            id=int(rid),
            type=record.type,
            name=name or "",
            depth=int(level),
            parent=None if parent is None else int(parent),
            own=Counts(int(contacts), int(open_deals)),
        )
    kids: dict[int, list[Node]] = {}
    for node in nodes.values():
        if node.parent is not None and node.parent in nodes:
            kids.setdefault(node.parent, []).append(node)
    for node in sorted(nodes.values(), key=lambda n: n.depth, reverse=True):
        below = kids.get(node.id, [])
        node.total = node.own
        for child in below:
            node.total = node.total + child.total
            node.descendants += 1 + child.descendants
    on_path = {record.id, *path}
    for node in nodes.values():
        below = kids.get(node.id, [])
        shown = [c for c in below if depth is None or c.depth <= depth or c.id in on_path]
        node.children = shown
        node.hidden = len(below) - len(shown)
    return Hierarchy(label=label, root=nodes[top], focus=record.id, truncated=truncated)
