"""Understanding a file's header: which column is a property, an association, a label.

The file's own object comes first: the object its name says (``contacts.csv``,
Salesforce's ``accountData.csv``), else the one its columns describe best. A column
whose name says no object ("City", "Phone Number") is a property of that object, an
existing one or a HubSpot standard property it gets; only a column that names another
object ("Company name", "Deal Stage") puts a second record on each row, and then only
when the file has no association columns for that object (in a HubSpot contacts export
"Company Name" is the contact's own text). Other columns are reported and skipped, or
kept as new properties of the file's object. A user's ``Overrides`` (``--map``,
``--skip``, a mapping file, the preview) win over all of this.

Matching ignores case, spacing, underscores and Unicode normal form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rolodex.crm import objects
from rolodex.crm.objects import KEY_PATTERN, ObjectInfo
from rolodex.i18n import _
from rolodex.io import header_names, parents
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
PARENT_ID = "parent_id"  # Parent Company ID: the company's parent (its id, or its REF)
IGNORED = "ignored"
ASSOCIATION_KINDS = (
    ASSOC_IDS,
    ASSOC_PRIMARY,
    ASSOC_REFS,
    ASSOC_REFS_PRIMARY,
    ASSOC_NAMES,
    ASSOC_BY,
    ASSOC_LABELS,
)

# Targets of a mapping (--map HEADER=TARGET, a mapping file, the preview)
SKIP = "skip"  # leave the column aside
KEEP = "keep"  # a new property of the file's object, named after the column
AUTO = "auto"  # as the header says

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
ASSOC_REFS_RE = re.compile(r"^associated (.+?) refs?(?: \(primary\))?$")
ASSOC_IDS_RE = re.compile(r"^associated (.+?) ids?(?: \(primary\))?$")
ASSOC_LABELS_RE = re.compile(r"^associated (.+?) labels?$")
ASSOC_BY_RE = re.compile(r"^associated (.+?) \[(.+)\]$")
ASSOC_NAMES_RE = re.compile(r"^associated (.+?)$")
BY_KEYS = {"email": "email", "domain": "domain", "record id": "source", "id": "source"}
MAX_NOTED = 12  # unknown columns named one by one in a note


def norm(header: str) -> str:
    """Compare headers ignoring case, spacing, underscores and Unicode normal form."""
    text = unicodedata.normalize("NFKC", header).replace("\ufeff", "").replace("_", " ")
    text = re.sub(r"\s+", " ", text).strip().casefold()
    return unicodedata.normalize("NFKC", text)


def _compact(text: str) -> str:
    """Also without spaces: Salesforce's FirstName, BILLINGCITY."""
    return norm(text).replace(" ", "")


def property_key(header: str) -> str:
    """A property key made from a column name: "Lead Status" -> lead_status."""
    text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")[:40].rstrip("_")
    if not text or not text[0].isalpha():
        text = ("p_" + text)[:40].rstrip("_")
    return text if KEY_PATTERN.match(text) else "column"


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    kind: str
    object: str | None = None  # owning object (properties, ids) or target (associations)
    prop: str | None = None  # property key; for ASSOC_BY the lookup key
    note: str = ""
    new: bool = False  # a property the import creates (of ``object``, key ``prop``)
    new_kind: str = "text"
    new_label: str = ""  # the new property's label (else the column's name)
    mapped: bool = False  # decided by the user, not by the header
    unknown: bool = False  # a column nobody knows (skipped, or kept when asked)

    def describe(self) -> str:
        """How the column was understood, for the mapping preview."""
        if self.kind == PROPERTY:
            text = _("{object} property {prop}").format(object=self.object, prop=self.prop)
            return text + " " + _("(new)") if self.new else text
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
        if self.kind == PARENT_ID:
            return _("parent company (its Record ID or REF)")
        return _("ignored") + (f" ({self.note})" if self.note else "")

    def target(self) -> str:
        """The column's meaning as a mapping target (what a mapping file says of it)."""
        if self.kind == PROPERTY:
            return f"{self.object}.{self.prop}"
        if self.kind == IGNORED:
            return SKIP
        return AUTO


@dataclass
class Overrides:
    """What the user says columns are: normalised header -> target (``skip``, ``keep``,
    ``OBJECT.PROPERTY``, ``auto`` or another header to read it as); and whether columns
    nobody knows are kept as new properties."""

    targets: dict[str, str] = field(default_factory=dict)
    keep_unknown: bool = False

    def set(self, header: str, target: str) -> None:
        self.targets[norm(header)] = target.strip()

    def get(self, header: str) -> str | None:
        return self.targets.get(norm(header))

    def merged(self, other: Overrides) -> Overrides:
        """These overrides with ``other``'s on top."""
        return Overrides({**self.targets, **other.targets}, self.keep_unknown or other.keep_unknown)


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

    @property
    def new_properties(self) -> list[Column]:
        return [c for c in self.columns if c.kind == PROPERTY and c.new]


@dataclass(frozen=True)
class _Candidate:
    object: str
    prop: str
    qualified: bool  # the name says its object
    catalogue: str | None = None  # a HubSpot standard property: the kind it is created with


def _object_names() -> dict[str, str]:
    """Normalised singular, plural and key of every object -> its key."""
    names: dict[str, str] = {}
    for info in objects.all_types():
        for word in (info.key, info.singular, info.plural):
            names.setdefault(norm(word), info.key)
    return names


class _Names:
    """Every name a column can have, to what it may refer."""

    def __init__(self, types: list[ObjectInfo]) -> None:
        self.exact: dict[str, list[_Candidate]] = {}
        self.compact: dict[str, list[_Candidate]] = {}
        known = {info.key: info for info in types}
        for info in types:
            words = {norm(info.singular), norm(info.key)}
            for prop in info.properties:
                self._add(prop.key, _Candidate(info.key, prop.key, False))
                self._add(prop.label, _Candidate(info.key, prop.key, False))
                for text in (
                    f"{info.singular} {prop.label}",
                    f"{info.singular} {prop.key}",
                    f"{info.key} {prop.key}",
                    f"{info.key}.{prop.key}",
                ):
                    self._add(text, _Candidate(info.key, prop.key, True))
            for (type_key, prop_key), text in EXPORT_HEADERS.items():
                if type_key == info.key and info.property(prop_key) is not None:
                    qualified = norm(text).split(" ")[0] in words
                    self._add(text, _Candidate(type_key, prop_key, qualified))
        for (type_key, prop_key), named in header_names.STANDARD.items():
            if type_key in known and known[type_key].property(prop_key) is not None:
                for text, qualified in named:
                    self._add(text, _Candidate(type_key, prop_key, qualified))
        for type_key, entries in header_names.CATALOGUE.items():
            if type_key not in known:
                continue
            for prop_key, kind, texts in entries:
                for name in texts:
                    self._add(name, _Candidate(type_key, prop_key, False, kind))

    def _add(self, text: str, candidate: _Candidate) -> None:
        for table, key in ((self.exact, norm(text)), (self.compact, _compact(text))):
            items = table.setdefault(key, [])
            if candidate not in items:
                items.append(candidate)

    def of(self, header: str) -> list[_Candidate]:
        return self.exact.get(norm(header)) or self.compact.get(_compact(header)) or []


def hint_from_name(name: str) -> str | None:
    """The object a file's name says it holds: contacts.csv, accountData.csv, kontakter.csv."""
    stem = Path(name).stem
    stem = re.sub(r"([a-z])([A-Z])", r"\1 \2", stem)  # accountData -> account Data
    words = {norm(w) for w in re.split(r"[^\w]+|_", stem) if w}
    hits = set()
    for info in objects.all_types():
        own = {norm(info.key), norm(info.singular), norm(info.plural)}
        extra = {norm(w) for w in header_names.FILE_WORDS.get(info.key, [])}
        if words & (own | extra):
            hits.add(info.key)
    return hits.pop() if len(hits) == 1 else None


def _without_object(header: str, info: ObjectInfo) -> str | None:
    """The rest of a column name that starts with the object's name ("Contact Lead
    Status" -> "Lead Status"), else None."""
    text = header.strip()
    for word in (info.singular, info.key):
        if text.casefold().startswith(word.casefold() + " ") and len(text) > len(word) + 1:
            return text[len(word) + 1 :].strip()
    return None


def _id_object(text: str, names: dict[str, str]) -> str | None:
    """'contact id' / 'company record id' -> that object's Record ID column."""
    for suffix in (" record id", " id"):
        if text.endswith(suffix):
            return names.get(text[: -len(suffix)])
    return None


def _structural(index: int, header: str, key: str, names: dict[str, str]) -> Column | None:
    """What a column is when its header is one of the import's own (ids, REFs,
    associations, labels), else None."""
    if not key:
        return Column(index, header, IGNORED, note=_("no header"))
    if key in ERROR_FILE_HEADERS:
        return Column(index, header, IGNORED, note=_("from an error file"))
    if key in {norm(h) for h in header_names.RECORD_ID}:
        return Column(index, header, RECORD_ID, None)
    if key == norm(REF_HEADER):
        return Column(index, header, RECORD_REF, None)
    if key == norm(DATABASE_HEADER):
        return Column(index, header, DATABASE, None)
    if key in ROW_LABEL_HEADERS:
        return Column(index, header, ROW_LABEL)
    if key in {norm(h) for h in parents.HEADERS}:
        return Column(index, header, PARENT_ID, objects.COMPANY)
    owner = _id_object(key, names)
    if owner is not None:
        return Column(index, header, RECORD_ID, owner)
    if m := ASSOC_BY_RE.match(key):
        target = names.get(m.group(1))
        word = m.group(2).strip()
        by = BY_KEYS.get(word, "name" if word == "name" else None)
        if target and by:
            return Column(index, header, ASSOC_BY, target, by)
    if (m := ASSOC_LABELS_RE.match(key)) and (target := names.get(m.group(1))):
        return Column(index, header, ASSOC_LABELS, target)
    if (m := ASSOC_REFS_RE.match(key)) and (target := names.get(m.group(1))):
        primary = key.endswith("(primary)")
        return Column(index, header, ASSOC_REFS_PRIMARY if primary else ASSOC_REFS, target)
    if (m := ASSOC_IDS_RE.match(key)) and (target := names.get(m.group(1))):
        return Column(
            index, header, ASSOC_PRIMARY if key.endswith("(primary)") else ASSOC_IDS, target
        )
    if (m := ASSOC_NAMES_RE.match(key)) and (target := names.get(m.group(1))):
        return Column(index, header, ASSOC_NAMES, target)
    return None


def _main_object(
    headers: list[str], path: str, table: _Names, names: dict[str, str], hint: str | None
) -> str | None:
    found = hint_from_name(path) or hint
    if found is not None:
        return found
    order = [info.key for info in objects.all_types()]
    scores: dict[str, float] = {}
    first: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = norm(header)
        column = _structural(index, header, key, names)
        if column is not None:
            if column.kind in (RECORD_ID, PARENT_ID) and column.object:
                scores[column.object] = scores.get(column.object, 0) + 2
                first.setdefault(column.object, index)
            continue
        weights: dict[str, float] = {}
        for candidate in table.of(header):
            weight = 0.5 if candidate.catalogue else (2.0 if candidate.qualified else 1.0)
            weights[candidate.object] = max(weights.get(candidate.object, 0), weight)
        for type_key, weight in weights.items():
            scores[type_key] = scores.get(type_key, 0) + weight
            first.setdefault(type_key, index)
    if not scores:
        return None
    return max(scores, key=lambda k: (scores[k], -first[k], -order.index(k)))


def _parse_target(target: str, path: str, header: str) -> tuple[str, str] | None:
    """``OBJECT.PROPERTY`` as (object, property); None when the target is another form."""
    match = re.fullmatch(r"\s*([a-z][a-z0-9_]*)\s*\.\s*([a-z][a-z0-9_]*)\s*", target)
    if match is None:
        return None
    type_key, prop = match.group(1), match.group(2)
    known = {info.key for info in objects.all_types()}
    if type_key not in known:
        raise file_error(
            path,
            _("the column '{header}' is mapped to {target}, but there is no object '{key}'").format(
                header=header.strip(), target=target.strip(), key=type_key
            ),
            1,
        )
    return type_key, prop


def map_headers(
    headers: list[str],
    path: str,
    overrides: Overrides | None = None,
    *,
    hint: str | None = None,
) -> Mapping:
    """Understand every column, or raise ImportFileError when the header cannot work.
    ``hint``: the object the file's content says it holds (its first REF, say)."""
    overrides = overrides or Overrides()
    types = objects.all_types()
    names = _object_names()
    table = _Names(types)
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

    # Read each column as its override says (another header, say) for what follows.
    as_read = []
    for index, header in enumerate(headers):
        target = overrides.get(header)
        if (
            target
            and target not in (SKIP, KEEP, AUTO)
            and _parse_target(target, path, header) is None
        ):
            if _structural(index, target, norm(target), names) is None and not table.of(target):
                raise file_error(
                    path,
                    _(
                        "the column '{header}' is mapped to '{target}': use OBJECT.PROPERTY, "
                        "skip, keep, auto or a column name Rolodex knows"
                    ).format(header=header.strip(), target=target),
                    1,
                )
            as_read.append(target)
        else:
            as_read.append(header)
    main = _main_object(as_read, path, table, names, hint)
    if main is None:
        raise file_error(
            path,
            _(
                "cannot tell which object this file holds: no column is a known property "
                "(name the file after the object, e.g. contacts.csv)"
            ),
            1,
        )
    info_of = {info.key: info for info in types}
    structural = [_structural(i, h, norm(h), names) for i, h in enumerate(as_read)]
    associated = _listed_by_id(structural, as_read, table, main)
    groups = [main]
    columns: list[Column] = []
    unknown: list[str] = []
    new_keys: dict[tuple[str, str], str] = {}  # (object, key) of new properties -> header

    def new_property(
        index: int, header: str, type_key: str, prop: str, kind: str, mapped: bool
    ) -> Column:
        exists = info_of[type_key].property(prop) is not None
        new_keys.setdefault((type_key, prop), header)
        return Column(
            index, header, PROPERTY, type_key, prop, new=not exists, new_kind=kind, mapped=mapped
        )

    def keep(index: int, header: str, mapped: bool) -> Column:
        prop = property_key(header)
        base, number = prop, 2
        while (main, prop) in new_keys and new_keys[(main, prop)] != header:
            prop = f"{base[:36]}_{number}"
            number += 1
        return new_property(index, header, main, prop, "text", mapped)

    for index, header in enumerate(headers):
        target = overrides.get(header)
        text = as_read[index]
        column: Column | None = None
        if target == SKIP:
            column = Column(index, header, IGNORED, note=_("skipped"), mapped=True)
        elif target == KEEP:
            column = keep(index, header, True)
        elif target and target != AUTO and (pair := _parse_target(target, path, header)):
            type_key, prop = pair
            if type_key not in groups and type_key != main:
                groups.append(type_key)
            column = new_property(index, header, type_key, prop, "text", True)
        else:
            mapped = bool(target and target != AUTO)
            column = structural[index]
            if column is not None and mapped:
                column = Column(
                    column.index,
                    header,
                    column.kind,
                    column.object,
                    column.prop,
                    column.note,
                    mapped=True,
                )
            if column is not None and column.kind == PARENT_ID and main != objects.COMPANY:
                column = Column(
                    index, header, IGNORED, note=_("a parent company belongs in a companies file")
                )
            if column is None:
                candidates = table.of(text)
                bare = _without_object(text, info_of[main])
                if bare and not any(c.object == main for c in candidates):
                    # "Contact Mobile Phone Number": what export writes for a property
                    # of this object it has and another database may not have yet
                    candidates = [c for c in table.of(bare) if c.object == main] or candidates
                own = [c for c in candidates if c.object == main and not c.catalogue]
                other = [
                    c
                    for c in candidates
                    if c.qualified
                    and not c.catalogue
                    and c.object != main
                    and c.object not in associated
                ]
                catalogue = [c for c in candidates if c.object == main and c.catalogue]
                if own:
                    column = Column(index, header, PROPERTY, main, own[0].prop, mapped=mapped)
                elif other:
                    if other[0].object not in groups:
                        groups.append(other[0].object)
                    column = Column(
                        index, header, PROPERTY, other[0].object, other[0].prop, mapped=mapped
                    )
                elif catalogue:
                    first = catalogue[0]
                    column = new_property(
                        index, header, main, first.prop, first.catalogue or "text", mapped
                    )
                    column = replace(column, new_label=header_names.label_of(main, first.prop))
                elif overrides.keep_unknown:
                    column = keep(index, header, False)
                    if bare:  # named like the export names a property: keep its key
                        column = replace(column, prop=property_key(bare), new_label=bare)
                else:
                    column = Column(index, header, IGNORED, note=_("unknown column"), unknown=True)
                    unknown.append(header.strip())
        columns.append(column)

    resolved = _owners(columns, groups, path)
    _check_duplicates(resolved, path)
    notes = _notes(path, unknown, [c for c in resolved if c.kind == PROPERTY and c.new])
    return Mapping(groups=groups, columns=resolved, notes=notes)


IDENTIFYING = {("contact", "email"), ("company", "domain")}


def _listed_by_id(
    structural: list[Column | None], headers: list[str], table: _Names, main: str
) -> set[str]:
    """Objects whose records the file lists in id columns (``Associated Company IDs``) and
    whose own columns cannot identify a record (no domain, no email, no id): there, a
    column like "Company Name" is the main record's own text (HubSpot's contact property),
    not a second record on the row."""
    listed = {
        c.object
        for c in structural
        if c is not None
        and c.kind in (ASSOC_IDS, ASSOC_PRIMARY, ASSOC_REFS, ASSOC_REFS_PRIMARY, ASSOC_LABELS)
    }
    identified = {c.object for c in structural if c is not None and c.kind == RECORD_ID}
    for header, column in zip(headers, structural, strict=True):
        if column is None:
            for candidate in table.of(header):
                if candidate.qualified and (candidate.object, candidate.prop) in IDENTIFYING:
                    identified.add(candidate.object)
    return {o for o in listed if o is not None and o not in identified and o != main}


def _owners(columns: list[Column], groups: list[str], path: str) -> list[Column]:
    """Record IDs and REFs without an object belong to the main record; one of each per object."""
    resolved = []
    ids_seen: dict[str, int] = {}
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
            column = Column(
                column.index, column.header, RECORD_REF, groups[0], mapped=column.mapped
            )
        elif column.kind == RECORD_ID:
            owner = column.object or groups[0]
            if owner not in groups:
                groups.append(owner)
            if owner in ids_seen:
                raise file_error(
                    path,
                    _("columns {a} and {b} are both the Record ID of {object}").format(
                        a=ids_seen[owner] + 1, b=column.index + 1, object=owner
                    ),
                    1,
                )
            ids_seen[owner] = column.index
            column = Column(column.index, column.header, RECORD_ID, owner, mapped=column.mapped)
        resolved.append(column)
    return resolved


def _check_duplicates(columns: list[Column], path: str) -> None:
    seen: dict[tuple[str, str], Column] = {}
    for column in columns:
        if column.kind != PROPERTY:
            continue
        pair = (column.object or "", column.prop or "")
        if pair in seen:
            raise file_error(
                path,
                _(
                    "columns {a} and {b} are both {object} {prop}: skip one "
                    "(--skip '{header}') or map it elsewhere (--map '{header}=OBJECT.PROPERTY')"
                ).format(
                    a=seen[pair].index + 1,
                    b=column.index + 1,
                    object=pair[0],
                    prop=pair[1],
                    header=column.header.strip(),
                ),
                1,
            )
        seen[pair] = column


def _notes(path: str, unknown: list[str], new: list[Column]) -> list[str]:
    notes = []
    if unknown:
        shown = ", ".join(f"'{h}'" for h in unknown[:MAX_NOTED])
        if len(unknown) > MAX_NOTED:
            shown += ", …"
        notes.append(
            _(
                "{file}: {n} columns are not known properties and were skipped: {columns} "
                "(keep them as new properties with --keep-unknown, or map one with "
                "--map 'COLUMN=OBJECT.PROPERTY')"
            ).format(file=path, n=len(unknown), columns=shown)
        )
    if new:
        listed = ", ".join(f"{c.object}.{c.prop} ('{c.header.strip()}')" for c in new[:MAX_NOTED])
        if len(new) > MAX_NOTED:
            listed += ", …"
        notes.append(
            _("{file}: new properties are created for {n} columns: {columns}").format(
                file=path, n=len(new), columns=listed
            )
        )
    return notes


def content_hint(headers: list[str], cells: list[str] | None) -> str | None:
    """The object a file's first row says it holds: its REF's object, or for an error
    file the object its source file was named after."""
    if not cells:
        return None
    for index, header in enumerate(headers):
        key = norm(header)
        value = cells[index].strip() if index < len(cells) else ""
        if not value:
            continue
        if key == norm(REF_HEADER):
            match = re.match(r"^\s*([a-z][a-z0-9_]*)\s*:", value)
            if match and match.group(1) in {i.key for i in objects.all_types()}:
                return match.group(1)
        if key == "source file":
            found = hint_from_name(value)
            if found:
                return found
    return None


def parse_assignment(text: str) -> tuple[str, str]:
    """``--map 'HEADER=TARGET'`` as (header, target): split at the last '='."""
    header, sep, target = text.rpartition("=")
    if not sep or not header.strip() or not target.strip():
        raise ImportFileError(
            _("--map needs HEADER=OBJECT.PROPERTY (or HEADER=skip), not '{text}'").format(text=text)
        )
    return header.strip(), target.strip()


def overrides_from(
    maps: Sequence[str] = (), skips: Sequence[str] = (), keep_unknown: bool = False
) -> Overrides:
    found = Overrides(keep_unknown=keep_unknown)
    for text in maps:
        header, target = parse_assignment(text)
        found.set(header, target)
    for header in skips:
        found.set(header, SKIP)
    return found


__all__ = ["Column", "ImportFileError", "Mapping", "Overrides", "map_headers", "norm"]
