"""Output of the command line: aligned tables, CSV, and the JSON shapes of design section 4.

No Textual here: plain text for a terminal or a pipe. Everything written passes
the command line's exit (cli_output.SafeStream), which shows control and bidi
characters as visible stand-ins; JSON escapes them instead.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from rich.cells import cell_len

from rolodex.i18n import _
from rolodex.textsafety import json_text

if TYPE_CHECKING:  # the command line starts without the database layer: imported on use
    from rolodex.crm.associations import Associated
    from rolodex.crm.hierarchy import Hierarchy
    from rolodex.crm.hierarchy import Node as TreeNode
    from rolodex.crm.history import HistoryEntry, PastAssociation
    from rolodex.crm.listing import Listing, ListRow
    from rolodex.crm.records import RecordView


def _objects():  # type: ignore[no-untyped-def]
    from rolodex.crm import objects

    return objects


def one_line(text: str) -> str:
    """A value on one line of a table: a newline shown as ␊, a tab as a space. (Every
    other unsafe character is shown by the exit itself, cli_output.SafeStream.)"""
    if text.isprintable():  # nearly every value: nothing to do
        return text
    return text.replace("\r\n", "\n").replace("\n", "\u240a").replace("\t", " ")


def iso_utc(moment: dt.datetime | str | None) -> str:
    """ISO 8601 in UTC to the second: ``2026-11-29T21:50:59Z``."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def human_utc(moment: dt.datetime | str | None) -> str:
    """``2026-11-29 21:50:59`` (UTC) for tables."""
    text = iso_utc(moment)
    return text.replace("T", " ").rstrip("Z")


def _width(cell: str) -> int:
    # Most cells are ASCII: their width is their length (rich's cell_len is ~20x slower).
    return len(cell) if cell.isascii() else cell_len(cell)


def table(out: TextIO, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Aligned columns (by terminal cells, so wide characters line up), two spaces apart."""
    body = [[one_line(str(cell)) for cell in row] for row in rows]
    head = list(headers)
    columns = max([len(head)] + [len(row) for row in body])
    widths = [0] * columns
    sized = [[(cell, _width(cell)) for cell in row] for row in ([head] if head else []) + body]
    for row in sized:
        for index, (_cell, width) in enumerate(row):
            if width > widths[index]:
                widths[index] = width
    lines = []
    for row in sized:
        parts = [cell + " " * (widths[index] - width) for index, (cell, width) in enumerate(row)]
        if parts:
            parts[-1] = row[-1][0]
        lines.append("  ".join(parts).rstrip())
    if lines:
        out.write("\n".join(lines) + "\n")


def write_json(out: TextIO, value: Any) -> None:
    """Indented JSON with every unsafe character escaped (rolodex.textsafety.json_text);
    escaped to ASCII when the output cannot encode a character."""
    text = json_text(json.dumps(value, ensure_ascii=False, indent=2))
    try:
        text.encode(getattr(out, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        text = json.dumps(value, ensure_ascii=True, indent=2)
    out.write(text + "\n")


# ---------------------------------------------------------------- show


def association_json(view: Associated | PastAssociation) -> dict[str, Any]:
    return {
        "ref": view.other_ref,
        "type": view.other_type,
        "id": view.other_id,
        "name": view.other_name,
        "labels": list(view.labels),
        "primary": bool(view.primary),
    }


def record_json(
    record: RecordView, associated: Sequence[Associated | PastAssociation]
) -> dict[str, Any]:
    return {
        "ref": record.ref,
        "type": record.type,
        "id": record.id,
        "name": record.name,
        "properties": dict(record.properties),
        "associations": [association_json(view) for view in associated],
    }


def _ordered_properties(record: RecordView) -> list[tuple[str, str]]:
    info = _objects().by_key(record.type)
    known = [p.key for p in info.properties]
    keys = [k for k in known if k in record.properties]
    keys += sorted(k for k in record.properties if k not in known)
    return [(k, record.properties[k]) for k in keys]


def show_text(
    out: TextIO,
    record: RecordView,
    associated: Sequence[Associated | PastAssociation],
    as_of: dt.datetime | None = None,
) -> None:
    info = _objects().by_key(record.type)
    out.write(
        "{ref}  {name}\n".format(ref=record.ref, name=one_line(record.name) or _("(no name)"))
    )
    out.write(
        "  "
        + _("{object}, version {version}, created {created} UTC").format(
            object=info.shown_singular, version=record.version, created=human_utc(record.created_at)
        )
        + "\n"
    )
    if record.deleted_at is not None:
        out.write(
            "  "
            + _("in the recycle bin since {when} UTC").format(when=human_utc(record.deleted_at))
            + "\n"
        )
    props = _ordered_properties(record)
    if props:
        out.write("\n" + _("Properties") + "\n")
        width = max(cell_len(k) for k, _v in props)
        for key, value in props:
            out.write(f"  {key.ljust(width)}  {one_line(value)}\n")
    out.write("\n")
    if as_of is not None:
        out.write(_("Associations as of {when} UTC").format(when=human_utc(as_of)) + "\n")
    if not associated:
        out.write(_("No associations.") + "\n")
        return
    groups: dict[str, list[Associated | PastAssociation]] = {}
    for view in associated:
        groups.setdefault(view.other_type, []).append(view)
    first = True
    for type_key, views in groups.items():
        if not first:
            out.write("\n")
        first = False
        plural = _objects().by_key(type_key).shown_plural
        out.write(f"{plural} ({len(views)})\n")
        _association_lines(out, views)


def _association_lines(out: TextIO, views: Sequence[Associated | PastAssociation]) -> None:
    """One card's lines: REF, name and labels in aligned columns (a company's 50,000
    contacts in a fraction of a second: no per-cell function calls on the common path)."""
    marker = "(" + _("primary") + ")"
    refs = [f"{view.other_type}:{view.other_id}" for view in views]
    names = [one_line(view.other_name or "") for view in views]
    ref_width = max(len(ref) for ref in refs)
    widths = [len(name) if name.isascii() else cell_len(name) for name in names]
    name_width = max(widths)
    lines = []
    for view, ref, name, width in zip(views, refs, names, widths, strict=True):
        details = ", ".join(view.labels) if view.labels else ""
        if view.primary:
            details = details + "  " + marker if details else marker
        if details:
            lines.append(f"  {ref:<{ref_width}}  {name}{' ' * (name_width - width)}  {details}")
        else:
            lines.append(f"  {ref:<{ref_width}}  {name}".rstrip())
    out.write("\n".join(lines) + "\n")


def sort_past(views: list[PastAssociation]) -> list[PastAssociation]:
    """Past associations in the order of ``show``: by object, primary first, then by name."""
    order = {info.key: i for i, info in enumerate(_objects().all_types())}
    return sorted(
        views,
        key=lambda v: (
            order.get(v.other_type, 99),
            not v.primary,
            v.other_name.casefold(),
            v.other_id,
        ),
    )


# ---------------------------------------------------------------- history


def history_json(entries: Sequence[HistoryEntry]) -> list[dict[str, Any]]:
    return [
        {
            "ref": entry.other_ref,
            "type": entry.other_type,
            "id": entry.other_id,
            "name": entry.other_name,
            "action": entry.action,
            "at": iso_utc(entry.at),
            "source": entry.source,
            "actor": entry.actor,
            "labels": list(entry.labels),
            # The change's own id (for `rolodex undo`), and the change an undo reverted;
            # "id" names the other record, as in every REF-shaped object.
            "history_id": entry.id,
            "undoes": entry.undoes,
        }
        for entry in entries
    ]


def change_text(entry: HistoryEntry) -> str:
    """What happened, and for an undo which change it reverted: "created (undo of #12)"."""
    from rolodex.crm.history import action_words

    word = action_words(entry)
    if entry.undoes is None:
        return word
    return _("{action} (undo of #{id})").format(action=word, id=entry.undoes)


def _labels_cell(entry: HistoryEntry) -> str:
    words = list(entry.labels)
    if entry.primary:
        words.append(_("primary"))
    return ", ".join(words)


HISTORY_HEADERS = (
    "name",
    "ref",
    "action",
    "at",
    "source",
    "actor",
    "labels",
    "history_id",
    "undoes",
)


def history_table(out: TextIO, entries: Sequence[HistoryEntry]) -> None:

    if not entries:
        out.write(_("No association history.") + "\n")
        return
    headers = [
        "#",
        _("Name"),
        _("REF"),
        _("Change"),
        _("Date and time (UTC)"),
        _("Source"),
        _("Actor"),
        _("Labels"),
    ]
    rows = [
        [
            str(entry.id),
            entry.other_name,
            entry.other_ref,
            change_text(entry),
            human_utc(entry.at),
            entry.source_display,
            entry.actor,
            _labels_cell(entry),
        ]
        for entry in entries
    ]
    table(out, headers, rows)


def history_csv(out: TextIO, entries: Sequence[HistoryEntry]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HISTORY_HEADERS)
    for entry in entries:
        writer.writerow(
            [
                entry.other_name,
                entry.other_ref,
                entry.action,
                iso_utc(entry.at),
                entry.source,
                entry.actor,
                "; ".join(entry.labels),
                entry.id,
                "" if entry.undoes is None else entry.undoes,
            ]
        )


# ---------------------------------------------------------------- list

# A streamed table is aligned by its first rows (a million rows are never held).
TABLE_SAMPLE = 1000


def write_json_stream(out: TextIO, items: Iterable[Any], batch: int = 200) -> None:
    """A JSON list written as it comes, one item a line (compact: the C encoder, several
    times faster than an indented dump, and a line per record suits grep and jq)."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    parts: list[str] = []
    wrote = False
    for item in items:
        parts.append((",\n  " if wrote else "[\n  ") + encode(item))
        if len(parts) >= batch or not wrote:  # the first record at once, then in batches
            out.write(json_text("".join(parts)))
            parts = []
        wrote = True
    out.write(json_text("".join(parts)) + ("\n]\n" if wrote else "[]\n"))


def stream_table(
    out: TextIO,
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    sample: int = TABLE_SAMPLE,
) -> None:
    """``table`` for a stream: the first ``sample`` rows set the column widths, later
    rows are padded to them (a longer cell pushes its row's next columns along)."""
    head = [str(h) for h in headers]
    first: list[list[str]] = []
    source = iter(rows)
    for row in source:
        first.append([one_line(str(cell)) for cell in row])
        if len(first) >= sample:
            break
    widths = [_width(h) for h in head]
    for row in first:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], _width(cell))

    def line(cells: Sequence[str]) -> str:
        parts = [cell + " " * max(0, widths[i] - _width(cell)) for i, cell in enumerate(cells)]
        parts[-1] = cells[-1]
        return "  ".join(parts).rstrip() + "\n"

    lines = [line(head)] + [line(row) for row in first]
    for row in source:
        lines.append(line([one_line(str(cell)) for cell in row]))
        if len(lines) >= sample:
            out.write("".join(lines))
            lines = []
    out.write("".join(lines))


def listing_json(row: ListRow) -> dict[str, Any]:
    primary = row.primary_company
    return {
        "ref": row.ref,
        "type": row.type,
        "id": row.id,
        "name": row.name,
        "properties": dict(row.properties),
        "primary_company": (
            {"ref": f"company:{primary[0]}", "id": primary[0], "name": primary[1]}
            if primary
            else None
        ),
        "associations": dict(row.counts),
    }


def write_listing(out: TextIO, listing: Listing, rows: Iterable[ListRow], fmt: str) -> None:
    """`rolodex list` in one of its formats, written as the rows arrive."""
    info = listing.info
    counted = listing.counted
    with_primary = info.has_primary_company
    if fmt == "refs":
        refs: list[str] = []
        for row in rows:
            refs.append(row.ref + "\n")
            if len(refs) >= TABLE_SAMPLE:
                out.write("".join(refs))
                refs = []
        out.write("".join(refs))
        return
    if fmt == "json":
        write_json_stream(out, (listing_json(row) for row in rows))
        return
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        # A property called "name" (a company's) is the record's name: one column, not two.
        keys = [p.key for p in info.properties if p.key != "name"]
        header = ["ref", "id", "name", *keys]
        if with_primary:
            header += ["primary_company_ref", "primary_company"]
        header += [f"associated_{other.key}" for other in counted]
        writer.writerow(header)
        for row in rows:
            line = [row.ref, str(row.id), row.name, *(row.properties.get(k, "") for k in keys)]
            if with_primary:
                primary = row.primary_company
                line += [f"company:{primary[0]}", primary[1]] if primary else ["", ""]
            line += [str(row.counts.get(other.key, 0)) for other in counted]
            writer.writerow(line)
        return
    headers = [_("REF"), _("Name")]
    if with_primary:
        headers.append(_("Primary company"))
    headers += [other.shown_plural for other in counted]

    def cells(row: ListRow) -> list[str]:
        out_cells = [row.ref, row.name]
        if with_primary:
            out_cells.append(row.primary_company[1] if row.primary_company else "")
        return out_cells + [str(row.counts.get(other.key, 0)) for other in counted]

    stream_table(out, headers, (cells(row) for row in rows))


# ---------------------------------------------------------------- tree


def tree_text(out: TextIO, found: Hierarchy) -> None:
    """The hierarchy drawn with guides; the record asked for is marked."""
    from rolodex.crm.hierarchy import counts_text

    label = found.label
    out.write(
        _("{label} / {inverse} hierarchy").format(label=label.name, inverse=label.inverse or "")
        + "\n"
    )
    lines: list[str] = []

    def walk(node: TreeNode, prefix: str, last: bool, top: bool) -> None:
        guide = "" if top else ("└── " if last else "├── ")
        mark = "  ◀" if node.id == found.focus else ""
        name = one_line(node.name) or _("(no name)")
        lines.append(f"{prefix}{guide}{name}  {node.ref}  {counts_text(node)}{mark}")
        below = prefix + ("" if top else ("    " if last else "│   "))
        for index, child in enumerate(node.children):
            walk(child, below, index == len(node.children) - 1 and not node.hidden, False)
        if node.hidden:
            lines.append(
                below + "└── " + _("… {n} more below (raise --depth)").format(n=node.hidden)
            )

    walk(found.root, "", True, True)
    out.write("\n".join(lines) + "\n")
    if found.truncated:
        out.write(
            _("(only the first {n} records are shown and counted)").format(n=len(found.nodes()))
            + "\n"
        )


def tree_json(found: Hierarchy) -> dict[str, Any]:
    def node_json(node: TreeNode) -> dict[str, Any]:
        return {
            "ref": node.ref,
            "type": node.type,
            "id": node.id,
            "name": node.name,
            "depth": node.depth,
            "contacts": node.total.contacts,
            "open_deals": node.total.open_deals,
            "own": {"contacts": node.own.contacts, "open_deals": node.own.open_deals},
            "descendants": node.descendants,
            "hidden_children": node.hidden,
            "children": [node_json(child) for child in node.children],
        }

    return {
        "label": found.label.name,
        "inverse": found.label.inverse,
        "focus": f"{found.root.type}:{found.focus}",
        "truncated": found.truncated,
        "root": node_json(found.root),
    }
