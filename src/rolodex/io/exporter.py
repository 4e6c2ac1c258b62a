"""Export one object's records in the import shape: REF, properties, associations, labels.

Each record is named by its REF (``contact:42``) and the database it lives in
(``Rolodex database``); ``Record ID`` holds the id another system gave it, when one did.
Associations name the other records by REF too, so a file is never read as another
system's ids: imported into this database it changes records in place, imported into
another it recreates them (see ``identity``).

Cells a spreadsheet would run as formulas are neutralised (a leading '), and import
undoes that, so export then import round-trips exactly.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from typing import IO, Any

from rolodex.crm import labels as labels_mod
from rolodex.crm import objects
from rolodex.crm.errors import InvalidValue
from rolodex.crm.objects import ObjectInfo
from rolodex.i18n import _
from rolodex.io import identity, parents
from rolodex.io.cells import label_entry, neutralise, xlsx_escape
from rolodex.io.files import output_file
from rolodex.io.headers import DATABASE_HEADER, EXPORT_HEADERS, RECORD_ID_HEADER, REF_HEADER
from rolodex.io.models import SourceKey
from rolodex.store.models import Association, AssociationLabel, Record

CHUNK = 500
FORMATS = ("csv", "xlsx")


# What an export reads of each association (both directions use the same columns).
LINK_COLUMNS = (
    Association.id,
    Association.a,
    Association.b,
    Association.a_type,
    Association.b_type,
    Association.a_primary_b,
    Association.b_primary_a,
)


def property_header(info: ObjectInfo, key: str, label: str) -> str:
    known = EXPORT_HEADERS.get((info.key, key))
    if known:
        return known
    return f"{info.singular} {label}"


def _other_types(info: ObjectInfo) -> list[ObjectInfo]:
    """The four standard objects always, plus any other object these records are linked to."""
    used: set[int] = set()
    for (type_id,) in (
        Association.select(Association.b_type)
        .where(Association.a_type == info.id)
        .distinct()
        .tuples()
    ):
        used.add(type_id)
    for (type_id,) in (
        Association.select(Association.a_type)
        .where(Association.b_type == info.id)
        .distinct()
        .tuples()
    ):
        used.add(type_id)
    out = []
    for other in objects.all_types():
        if other.kind == "standard" or other.id in used:
            out.append(other)
    return out


def _label_entry(info: labels_mod.LabelInfo, viewer_is_from: bool) -> str:
    symmetric = info.inverse is None and info.from_type == info.to_type
    return label_entry(info.name, info.inverse, not viewer_is_from, symmetric)


def _has_source_ids(info: ObjectInfo) -> bool:
    """Whether any record of the object came from another system (a ``Record ID`` column)."""
    return (
        SourceKey.select()
        .where(
            (SourceKey.object_type_id == info.id)
            & ~SourceKey.system.startswith(identity.ROLODEX_PREFIX)
        )
        .exists()
    )


def _source_ids(ids: list[int]) -> dict[int, str]:
    """Each record's first id from another system (not another Rolodex database)."""
    found: dict[int, str] = {}
    for record_id, key in (
        SourceKey.select(SourceKey.record_id, SourceKey.key)
        .where(SourceKey.record_id.in_(ids) & ~SourceKey.system.startswith(identity.ROLODEX_PREFIX))
        .order_by(SourceKey.id)
        .tuples()
    ):
        found.setdefault(record_id, key)
    return found


def _parent_label(info: ObjectInfo) -> int | None:
    """The label whose parent a companies export names in its own column."""
    if info.key != objects.COMPANY:
        return None
    label = parents.company_label()
    return label.id if label is not None else None


def header_row(
    info: ObjectInfo,
    others: list[ObjectInfo],
    with_source: bool = False,
    with_parent: bool = False,
) -> list[str]:
    row = [REF_HEADER, DATABASE_HEADER] + ([RECORD_ID_HEADER] if with_source else [])
    row += [property_header(info, p.key, p.label) for p in info.properties]
    if with_parent:
        row.append(parents.HEADER)
    for other in others:
        row.append(f"Associated {other.singular} REFs")
        if other.key == objects.COMPANY and info.has_primary_company:
            row.append("Associated Company REFs (Primary)")
        row.append(f"Associated {other.singular} Labels")
    return row


def _rows(
    info: ObjectInfo,
    others: list[ObjectInfo],
    database: str,
    with_source: bool,
    parent_label: int | None = None,
    only: Sequence[int] | None = None,
) -> Iterator[list[str]]:
    import json

    names = labels_mod.all_by_id()
    last = 0
    selected = sorted(set(only)) if only is not None else None  # a selection, in id order
    while True:
        live = (
            (Record.object_type == info.id)
            & Record.deleted_at.is_null()
            & Record.merged_into.is_null()
        )
        if selected is None:
            where = live & (Record.id > last)
        else:
            batch = selected[:CHUNK]
            selected = selected[CHUNK:]
            if not batch:
                return
            where = live & Record.id.in_(batch)
        chunk = list(
            Record.select(Record.id, Record.properties)
            .where(where)
            .order_by(Record.id)
            .limit(CHUNK)
            .tuples()
        )
        if not chunk:
            if selected is None:
                return
            continue
        last = chunk[-1][0]
        ids = [r[0] for r in chunk]
        # record id -> other type id -> [(other id, primary, [words])]
        links: dict[int, dict[int, list[tuple[int, bool, list[str]]]]] = {}
        assoc_rows = list(
            Association.select(*LINK_COLUMNS)
            .join(Record, on=(Record.id == Association.b))
            .where(Association.a.in_(ids) & Record.deleted_at.is_null())
            .tuples()
        ) + list(
            Association.select(*LINK_COLUMNS)
            .join(Record, on=(Record.id == Association.a))
            .where(Association.b.in_(ids) & Record.deleted_at.is_null())
            .tuples()
        )
        label_rows: dict[int, list[tuple[int, bool]]] = {}
        assoc_ids = list({r[0] for r in assoc_rows})
        for start in range(0, len(assoc_ids), 900):
            part = assoc_ids[start : start + 900]
            for assoc_id, lid, fwd in (
                AssociationLabel.select(
                    AssociationLabel.association, AssociationLabel.label, AssociationLabel.forward
                )
                .where(AssociationLabel.association.in_(part))
                .tuples()
            ):
                label_rows.setdefault(assoc_id, []).append((lid, bool(fwd)))
        wanted = set(ids)
        seen: set[tuple[int, int]] = set()
        parent_of: dict[int, int] = {}  # the parent's REF, by the hierarchy's label
        for assoc_id, a, b, a_type, b_type, apb, bpa in assoc_rows:
            for viewer, other, other_type, primary, viewer_is_a in (
                (a, b, b_type, apb, True),
                (b, a, a_type, bpa, False),
            ):
                if viewer not in wanted or (viewer, other) in seen:
                    continue
                seen.add((viewer, other))
                if any(
                    lid == parent_label and viewer_is_a != fwd
                    for lid, fwd in label_rows.get(assoc_id, [])
                ):
                    parent_of[viewer] = other  # the other record is the label's from record
                # "WORD" (the other record is this one's WORD) or, for a paired
                # label, "WORD / INVERSE" (this record is the other's INVERSE).
                words = sorted(
                    _label_entry(names[lid], viewer_is_a == fwd)
                    for lid, fwd in label_rows.get(assoc_id, [])
                    if lid in names
                )
                links.setdefault(viewer, {}).setdefault(other_type, []).append(
                    (other, bool(primary), words)
                )
        sources = _source_ids(ids) if with_source else {}
        for record_id, props_text in chunk:
            props = json.loads(props_text or "{}")
            row = [f"{info.key}:{record_id}", database]
            if with_source:
                row.append(sources.get(record_id, ""))
            row += [str(props.get(p.key, "")) for p in info.properties]
            if parent_label is not None:
                found = parent_of.get(record_id)
                row.append(f"{objects.COMPANY}:{found}" if found is not None else "")
            mine = links.get(record_id, {})
            for other in others:
                items = sorted(mine.get(other.id, []))
                ref = other.key + ":{}"
                row.append(";".join(ref.format(o) for o, _p, _w in items))
                if other.key == objects.COMPANY and info.has_primary_company:
                    row.append(";".join(ref.format(o) for o, p, _w in items if p))
                row.append(
                    "; ".join(
                        f"{ref.format(o)}: {word}" for o, _p, words in items for word in words
                    )
                )
            yield row


def export_rows(
    type_key: str, only: Sequence[int] | None = None
) -> tuple[list[str], Iterator[list[str]]]:
    """The header and a stream of rows (not yet neutralised); ``only``: these records."""
    info = objects.by_key(type_key)
    others = _other_types(info)
    database = identity.ensure_database_id()
    with_source = _has_source_ids(info)
    parent_label = _parent_label(info)
    return (
        header_row(info, others, with_source, parent_label is not None),
        _rows(info, others, database, with_source, parent_label, only),
    )


def _write_csv(handle: IO[str], header: list[str], rows: Iterator[list[str]]) -> int:
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
        count += 1
    return count


def _write_xlsx(handle: IO[bytes], header: list[str], rows: Iterator[list[str]]) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet: Any = workbook.create_sheet("Export")
    sheet.append([xlsx_escape(h) for h in header])
    count = 0
    for row in rows:
        sheet.append([xlsx_escape(neutralise(c)) for c in row])
        count += 1
    workbook.save(handle)
    return count


def export(
    type_key: str,
    output: str | None,
    fmt: str,
    stdout: IO[str],
    only: Sequence[int] | None = None,
) -> int:
    """Write the export (``only``: of these records); returns the number of records. A
    file is written whole or not at all, and never replaced through a symbolic link or
    over a device (``rolodex.io.files``)."""
    if fmt not in FORMATS:
        raise InvalidValue(
            _("--format must be one of {formats}").format(formats=", ".join(FORMATS))
        )
    if output and output != "-" and fmt == "csv" and output.lower().endswith(".xlsx"):
        fmt = "xlsx"
    header, rows = export_rows(type_key, only)
    if not output or output == "-":
        if fmt == "xlsx":
            raise InvalidValue(_("an .xlsx export needs a file: use -o FILE.xlsx"))
        return _write_csv(stdout, header, rows)
    if fmt == "xlsx":
        with output_file(output, binary=True) as handle:
            return _write_xlsx(handle, header, rows)
    with output_file(output, encoding="utf-8-sig") as handle:
        return _write_csv(handle, header, rows)
