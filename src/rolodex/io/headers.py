"""Understanding a file's header: which column is a property, an association, a label.

Matching ignores case, spacing, underscores and Unicode normal form.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from rolodex.crm import objects
from rolodex.crm.objects import ObjectInfo
from rolodex.i18n import _
from rolodex.io.sniff import ImportFileError, file_error

# Column kinds
RECORD_REF = "record_ref"  # Rolodex REF: contact:42
DATABASE = "database"  # Rolodex database: the database the REFs of the row live in
RECORD_ID = "record_id"
PROPERTY = "property"
ASSOC_IDS = "assoc_ids"  # Associated Company IDs
ASSOC_PRIMARY = "assoc_primary"  # Associated Company IDs (Primary)
ASSOC_REFS = "assoc_refs"  # Associated Company REFs: company:5;company:9
ASSOC_REFS_PRIMARY = "assoc_refs_primary"  # Associated Company REFs (Primary)
ASSOC_NAMES = "assoc_names"  # Associated Company: "Name (domain)"; ...
ASSOC_BY = "assoc_by"  # Associated contact [email]
ASSOC_LABELS = "assoc_labels"  # Associated Company Labels: "12: Manager; 15: Employee"
ROW_LABEL = "row_label"  # Association label (multi-object rows)
IGNORED = "ignored"

# Names other CRMs use for our standard properties (normalised form).
ALIASES: dict[str, tuple[str, str]] = {
    "phone number": ("contact", "phone"),
    "mobile phone number": ("contact", "phone"),
    "email address": ("contact", "email"),
    "e-mail": ("contact", "email"),
    "e-mail address": ("contact", "email"),
    "company name": ("company", "name"),
    "company domain name": ("company", "domain"),
    "company domain": ("company", "domain"),
    "website domain": ("company", "domain"),
    "country/region": ("company", "country"),
    "deal name": ("deal", "name"),
    "deal stage": ("deal", "stage"),
    "deal amount": ("deal", "amount"),
    "ticket name": ("ticket", "subject"),
    "ticket subject": ("ticket", "subject"),
    "ticket status": ("ticket", "status"),
    "ticket priority": ("ticket", "priority"),
}
# The header export writes for each standard property: unambiguous, and what other CRMs use.
EXPORT_HEADERS: dict[tuple[str, str], str] = {
    ("contact", "first_name"): "First Name",
    ("contact", "last_name"): "Last Name",
    ("contact", "email"): "Email",
    ("contact", "phone"): "Phone Number",
    ("contact", "job_title"): "Job Title",
    ("company", "name"): "Company name",
    ("company", "domain"): "Company Domain Name",
    ("company", "industry"): "Industry",
    ("company", "city"): "City",
    ("company", "country"): "Country/Region",
    ("deal", "name"): "Deal Name",
    ("deal", "amount"): "Amount",
    ("deal", "stage"): "Deal Stage",
    ("deal", "close_date"): "Close Date",
    ("ticket", "subject"): "Ticket name",
    ("ticket", "status"): "Ticket status",
    ("ticket", "priority"): "Priority",
}
REF_HEADER = "Rolodex REF"
DATABASE_HEADER = "Rolodex database"
RECORD_ID_HEADER = "Record ID"
ROW_LABEL_HEADERS = {"association label", "association labels"}
# The columns an error file adds (rolodex.io.errorfile): known, and left aside.
ERROR_FILE_HEADERS = {"source file", "source row", "error code", "error message"}
RECORD_ID_HEADERS = {"record id", "id", "object id"}
ASSOC_REFS_RE = re.compile(r"^associated (.+?) refs?(?: \(primary\))?$")
ASSOC_IDS_RE = re.compile(r"^associated (.+?) ids?(?: \(primary\))?$")
ASSOC_LABELS_RE = re.compile(r"^associated (.+?) labels?$")
ASSOC_BY_RE = re.compile(r"^associated (.+?) \[(.+)\]$")
ASSOC_NAMES_RE = re.compile(r"^associated (.+?)$")
BY_KEYS = {"email": "email", "domain": "domain", "record id": "source", "id": "source"}


def norm(header: str) -> str:
    """Compare headers ignoring case, spacing, underscores and Unicode normal form."""
    text = unicodedata.normalize("NFKC", header).replace("\ufeff", "").replace("_", " ")
    text = re.sub(r"\s+", " ", text).strip().casefold()
    return unicodedata.normalize("NFKC", text)


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    kind: str
    object: str | None = None  # owning object (properties, ids) or target (associations)
    prop: str | None = None  # property key; for ASSOC_BY the lookup key
    note: str = ""

    def describe(self) -> str:
        """How the column was understood, for the mapping preview."""
        if self.kind == PROPERTY:
            return _("{object} property {prop}").format(object=self.object, prop=self.prop)
        if self.kind == RECORD_REF:
            return _("{object} REF").format(object=self.object)
        if self.kind == DATABASE:
            return _("the database of the REFs")
        if self.kind == RECORD_ID:
            return _("{object} Record ID").format(object=self.object)
        if self.kind == ASSOC_IDS:
            return _("association ids -> {object}").format(object=self.object)
        if self.kind == ASSOC_PRIMARY:
            return _("primary {object} id").format(object=self.object)
        if self.kind == ASSOC_REFS:
            return _("association REFs -> {object}").format(object=self.object)
        if self.kind == ASSOC_REFS_PRIMARY:
            return _("primary {object} REF").format(object=self.object)
        if self.kind == ASSOC_NAMES:
            return _("association names -> {object}").format(object=self.object)
        if self.kind == ASSOC_BY:
            return _("association -> {object} by {key}").format(object=self.object, key=self.prop)
        if self.kind == ASSOC_LABELS:
            return _("association labels -> {object}").format(object=self.object)
        if self.kind == ROW_LABEL:
            return _("association label")
        return _("ignored") + (f" ({self.note})" if self.note else "")


@dataclass
class Mapping:
    """A file's columns, the objects each row holds (the first is the row's main record)."""

    groups: list[str]
    columns: list[Column]
    notes: list[str] = field(default_factory=list)

    @property
    def main(self) -> str:
        return self.groups[0]

    def of_kind(self, kind: str) -> list[Column]:
        return [c for c in self.columns if c.kind == kind]


def _object_names() -> dict[str, str]:
    """Normalised singular, plural and key of every object -> its key."""
    names: dict[str, str] = {}
    for info in objects.all_types():
        for word in (info.key, info.singular, info.plural):
            names.setdefault(norm(word), info.key)
    return names


def _property_candidates(types: list[ObjectInfo]) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}

    def add(text: str, pair: tuple[str, str]) -> None:
        items = found.setdefault(norm(text), [])
        if pair not in items:
            items.append(pair)

    for header, pair in ALIASES.items():
        add(header, pair)
    for (type_key, prop_key), header in EXPORT_HEADERS.items():
        add(header, (type_key, prop_key))
    for info in types:
        for prop_info in info.properties:
            pair = (info.key, prop_info.key)
            for text in (
                prop_info.key,
                prop_info.label,
                f"{info.singular} {prop_info.label}",
                f"{info.singular} {prop_info.key}",
                f"{info.key} {prop_info.key}",
                f"{info.key}.{prop_info.key}",
            ):
                add(text, pair)
    return found


def _filename_hint(path: str, types: list[ObjectInfo]) -> str | None:
    words = set(re.split(r"[^a-z0-9]+", Path(path).stem.casefold()))
    hits = {
        info.key
        for info in types
        for word in (info.key, info.singular, info.plural)
        if norm(word) in words
    }
    return hits.pop() if len(hits) == 1 else None


def _id_object(text: str, names: dict[str, str]) -> str | None:
    """'contact id' / 'company record id' -> that object's Record ID column."""
    for suffix in (" record id", " id"):
        if text.endswith(suffix):
            return names.get(text[: -len(suffix)])
    return None


def map_headers(headers: list[str], path: str) -> Mapping:
    """Understand every column, or raise ImportFileError when the header cannot work."""
    types = objects.all_types()
    names = _object_names()
    candidates = _property_candidates(types)
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = norm(header)
        if not key:
            continue
        if key in seen:
            raise file_error(
                path,
                _("columns {a} and {b} have the same name '{header}'").format(
                    a=seen[key] + 1, b=index + 1, header=header.strip()
                ),
                1,
            )
        seen[key] = index

    hint = _filename_hint(path, types)
    groups: list[str] = []
    # First pass: unambiguous property columns decide which objects a row holds.
    for header in headers:
        options = candidates.get(norm(header), [])
        owners = list(dict.fromkeys(o for o, _p in options))
        if len(owners) == 1 and owners[0] not in groups:
            groups.append(owners[0])
    if hint:
        if hint in groups:
            groups.remove(hint)
        groups.insert(0, hint)

    columns: list[Column] = []
    notes: list[str] = []
    record_id_seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = norm(header)
        column: Column | None = None
        if not key:
            column = Column(index, header, IGNORED, note=_("no header"))
        elif key in ERROR_FILE_HEADERS:
            column = Column(index, header, IGNORED, note=_("from an error file"))
        elif key in RECORD_ID_HEADERS:
            column = Column(index, header, RECORD_ID, None)
        elif key == norm(REF_HEADER):
            column = Column(index, header, RECORD_REF, None)
        elif key == norm(DATABASE_HEADER):
            column = Column(index, header, DATABASE, None)
        elif key in ROW_LABEL_HEADERS:
            column = Column(index, header, ROW_LABEL)
        elif (owner := _id_object(key, names)) is not None:
            column = Column(index, header, RECORD_ID, owner)
        elif key in candidates:
            options = candidates[key]
            chosen = None
            for group in groups:
                for type_key, prop in options:
                    if type_key == group:
                        chosen = (type_key, prop)
                        break
                if chosen:
                    break
            if chosen is None:
                chosen = options[0]
                groups.append(chosen[0])
            column = Column(index, header, PROPERTY, chosen[0], chosen[1])
        elif m := ASSOC_BY_RE.match(key):
            target = names.get(m.group(1))
            by = BY_KEYS.get(m.group(2).strip(), "name" if m.group(2).strip() == "name" else None)
            if target and by:
                column = Column(index, header, ASSOC_BY, target, by)
        elif m := ASSOC_LABELS_RE.match(key):
            target = names.get(m.group(1))
            if target:
                column = Column(index, header, ASSOC_LABELS, target)
        if column is None and (m := ASSOC_REFS_RE.match(key)):
            target = names.get(m.group(1))
            if target:
                kind = ASSOC_REFS_PRIMARY if key.endswith("(primary)") else ASSOC_REFS
                column = Column(index, header, kind, target)
        if column is None and (m := ASSOC_IDS_RE.match(key)):
            target = names.get(m.group(1))
            if target:
                kind = ASSOC_PRIMARY if key.endswith("(primary)") else ASSOC_IDS
                column = Column(index, header, kind, target)
        if column is None and (m := ASSOC_NAMES_RE.match(key)):
            target = names.get(m.group(1))
            if target:
                column = Column(index, header, ASSOC_NAMES, target)
        if column is None:
            column = Column(index, header, IGNORED, note=_("unknown column"))
            notes.append(
                _("{file}: column '{header}' is not a known property; ignored").format(
                    file=path, header=header.strip()
                )
            )
        columns.append(column)

    if not groups:
        for candidate in columns:
            if candidate.kind == RECORD_ID and candidate.object:
                groups.append(candidate.object)
                break
    if not groups:
        raise file_error(
            path,
            _(
                "cannot tell which object this file holds: no column is a known property "
                "(name the file after the object, e.g. contacts.csv)"
            ),
            1,
        )
    # Record ID and REF without an object belong to the main record.
    resolved = []
    ref_seen: int | None = None
    for column in columns:
        if column.kind == RECORD_REF:
            if ref_seen is not None:
                raise file_error(
                    path,
                    _("columns {a} and {b} are both a Rolodex REF").format(
                        a=ref_seen + 1, b=column.index + 1
                    ),
                    1,
                )
            ref_seen = column.index
            column = Column(column.index, column.header, RECORD_REF, groups[0])
        if column.kind == RECORD_ID:
            owner = column.object or groups[0]
            if owner not in groups:
                groups.append(owner)
            if owner in record_id_seen:
                raise file_error(
                    path,
                    _("columns {a} and {b} are both the Record ID of {object}").format(
                        a=record_id_seen[owner] + 1, b=column.index + 1, object=owner
                    ),
                    1,
                )
            record_id_seen[owner] = column.index
            column = Column(column.index, column.header, RECORD_ID, owner)
        resolved.append(column)
    props_seen: dict[tuple[str, str], int] = {}
    for column in resolved:
        if column.kind == PROPERTY:
            pair = (column.object or "", column.prop or "")
            if pair in props_seen:
                raise file_error(
                    path,
                    _("columns {a} and {b} are both {object} {prop}").format(
                        a=props_seen[pair] + 1, b=column.index + 1, object=pair[0], prop=pair[1]
                    ),
                    1,
                )
            props_seen[pair] = column.index
    return Mapping(groups=groups, columns=resolved, notes=notes)


__all__ = ["Column", "ImportFileError", "Mapping", "map_headers", "norm"]
