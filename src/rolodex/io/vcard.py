"""vCard (.vcf) import and export of contacts, through vobject.

What a card carries and where it goes:

==========  ==========================================================
FN / N      first_name, last_name (N first; FN split when N is empty)
EMAIL       email: the preferred address (PREF or TYPE=pref), else the first
TEL         phone: the preferred number, else the first
TITLE       job_title
ORG         the contact's primary company: the company with that name, else the
            company that owns the email's domain, else a new company
NOTE        a note activity on the contact (not repeated on a second import)
UID         kept with the contact: the dedup key beside the email
==========  ==========================================================

Addresses and numbers past the first have no property to go in: the summary says
how many were left out. vCard 2.1 (Android, older Outlook), 3.0 (Apple, Google) and
4.0 (Thunderbird, CardDAV) are read, QUOTED-PRINTABLE and folded lines included.
An import is one transaction with the history source Import: every card or none,
and ``rolodex import --revert ID`` undoes it. Export writes vCard 4.0 (or 3.0).
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from rolodex.crm import associations, listing, objects, records
from rolodex.crm.context import IMPORT, Context, new_batch
from rolodex.crm.errors import InvalidValue, NotFound, RolodexError
from rolodex.i18n import _, ngettext
from rolodex.io.files import output_file
from rolodex.io.models import ImportedRecord
from rolodex.store.models import Association, Import, Record, utcnow
from rolodex.store.transactions import writes

SUFFIXES = (".vcf", ".vcard")
UID_PREFIX = "vcard:"  # a contact's source_id that holds a vCard UID
VERSIONS = ("4.0", "3.0")
NOTE_TYPE = "note"
BATCH = 500


class VcardError(RolodexError):
    code = "INVALID_FILE"


def is_vcard(path: str) -> bool:
    return path.lower().endswith(SUFFIXES)


# ---------------------------------------------------------------- reading cards


@dataclass
class Card:
    number: int  # 1-based position in its file
    file: str
    uid: str = ""
    first_name: str = ""
    last_name: str = ""
    full_name: str = ""
    emails: list[str] = field(default_factory=list)  # preferred first
    phones: list[str] = field(default_factory=list)  # preferred first
    title: str = ""
    org: str = ""
    note: str = ""

    @property
    def shown(self) -> str:
        return self.full_name or " ".join(p for p in (self.first_name, self.last_name) if p)

    def values(self) -> dict[str, str]:
        """The contact's properties from this card (empty ones left out)."""
        out = {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.emails[0] if self.emails else "",
            "phone": self.phones[0] if self.phones else "",
            "job_title": self.title,
        }
        return {k: v for k, v in out.items() if v}


def _join_soft_breaks(text: str) -> str:
    """vCard 2.1 QUOTED-PRINTABLE values continue on the next line after a trailing '='
    (not a vCard fold): join them so the parser sees one line."""
    out: list[str] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if "QUOTED-PRINTABLE" in line.split(":", 1)[0].upper():
            while line.endswith("=") and index + 1 < len(lines):
                index += 1
                line = line[:-1] + lines[index].lstrip(" \t")
        out.append(line)
        index += 1
    return "\r\n".join(out) + "\r\n"


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value if str(v).strip())
    return " ".join(str(value or "").split()) if "\n" not in str(value or "") else str(value)


def _preferred(lines: list[Any]) -> list[str]:
    """The values of EMAIL or TEL lines, the preferred one first."""

    def rank(line: Any) -> int:
        types = [t.lower() for t in line.params.get("TYPE", [])]
        singletons = [str(t).lower() for t in getattr(line, "singletonparams", [])]
        pref = line.params.get("PREF", [])
        if "pref" in types or "pref" in singletons or pref:
            try:
                return int(pref[0]) if pref else 1
            except ValueError:
                return 1
        return 1000

    values = []
    for line in sorted(lines, key=rank):  # a stable sort: the file's order otherwise
        value = str(line.value or "").strip()
        if value.lower().startswith(("mailto:", "tel:")):
            value = value.split(":", 1)[1]
        if value and value not in values:
            values.append(value)
    return values


def read_cards(path: str) -> list[Card]:
    """The cards of a .vcf file; raises VcardError naming the file and line."""
    import vobject
    from vobject.base import ParseError, VObjectError

    try:
        text = _decode(Path(path).read_bytes())
    except OSError as exc:
        raise VcardError(
            _("{file} cannot be read ({error})").format(file=path, error=exc.strerror or exc)
        ) from exc
    cards: list[Card] = []
    try:
        for number, component in enumerate(
            vobject.readComponents(_join_soft_breaks(text), ignoreUnreadable=False), start=1
        ):
            if component.name.upper() != "VCARD":
                continue
            cards.append(_card(component, number, path))
    except (ParseError, VObjectError, ValueError) as exc:
        raise VcardError(
            _("{file} is not a readable vCard file ({error})").format(
                file=path, error=" ".join(str(exc).split())
            )
        ) from exc
    if not cards:
        raise VcardError(_("{file} holds no vCard (BEGIN:VCARD)").format(file=path))
    return cards


def _card(component: Any, number: int, path: str) -> Card:
    contents = component.contents
    card = Card(number=number, file=path)
    if "uid" in contents:
        card.uid = _text(contents["uid"][0].value).strip()
    if "fn" in contents:
        card.full_name = _text(contents["fn"][0].value).strip()
    if "n" in contents:
        name = contents["n"][0].value
        given = getattr(name, "given", "")
        family = getattr(name, "family", "")
        card.first_name = _text(given).strip()
        card.last_name = _text(family).strip()
    if not (card.first_name or card.last_name) and card.full_name:
        first, _space, rest = card.full_name.partition(" ")
        card.first_name, card.last_name = first, rest.strip()
    card.emails = [e.lower() for e in _preferred(contents.get("email", []))]
    card.phones = _preferred(contents.get("tel", []))
    if "title" in contents:
        card.title = _text(contents["title"][0].value).strip()
    if "org" in contents:
        org = contents["org"][0].value
        card.org = (org[0] if isinstance(org, list) and org else _text(org)).strip()
    if "note" in contents:
        card.note = "\n".join(str(n.value or "").replace("\r\n", "\n") for n in contents["note"])
        card.note = card.note.strip()
    return card


# ---------------------------------------------------------------- importing


@dataclass
class VcardSummary:
    import_id: str
    dry_run: bool = False
    files: list[str] = field(default_factory=list)
    cards: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    companies_created: int = 0
    associations_created: int = 0
    notes_created: int = 0
    left_out: Counter[str] = field(default_factory=Counter)  # "email" / "phone" -> how many

    @property
    def warnings(self) -> list[str]:
        out = []
        if self.left_out["email"]:
            out.append(
                ngettext(
                    "{n} further email address had no property to go in and was left out",
                    "{n} further email addresses had no property to go in and were left out",
                    self.left_out["email"],
                ).format(n=self.left_out["email"])
            )
        if self.left_out["phone"]:
            out.append(
                ngettext(
                    "{n} further phone number had no property to go in and was left out",
                    "{n} further phone numbers had no property to go in and were left out",
                    self.left_out["phone"],
                ).format(n=self.left_out["phone"])
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "dry_run": self.dry_run,
            "files": list(self.files),
            "cards": self.cards,
            "created": {"contact": self.created, "company": self.companies_created},
            "updated": {"contact": self.updated},
            "unchanged": {"contact": self.unchanged},
            "associations_created": self.associations_created,
            "notes_created": self.notes_created,
            "left_out": dict(self.left_out),
            "warnings": self.warnings,
        }

    def lines(self) -> list[str]:
        head = (
            _("Dry run of import {id}: nothing was written").format(id=self.import_id)
            if self.dry_run
            else _("Import {id}").format(id=self.import_id)
        )
        return [
            head,
            _("  cards read: {n}").format(n=self.cards),
            _("  contacts created: {n}, updated: {u}, unchanged: {s}").format(
                n=self.created, u=self.updated, s=self.unchanged
            ),
            _("  companies created: {n}").format(n=self.companies_created),
            _("  associations created: {n}").format(n=self.associations_created),
            _("  notes created: {n}").format(n=self.notes_created),
        ]


class _DryRun(Exception):
    """Raised at the end of a dry run, so the transaction is rolled back."""


def import_vcards(paths: Iterable[str], *, dry_run: bool = False) -> VcardSummary:
    """Import every card of the files in one transaction (all of them, or none)."""
    files = [str(p) for p in paths]
    cards = [card for path in files for card in read_cards(path)]
    importer = _Importer(files, dry_run)
    with contextlib.suppress(_DryRun):  # a dry run ends by rolling back
        importer.run(cards)
    return importer.summary


class _Importer:
    def __init__(self, files: list[str], dry_run: bool) -> None:
        self.import_id = new_batch("import")
        self.ctx = Context(IMPORT, batch=self.import_id)
        self.summary = VcardSummary(self.import_id, dry_run=dry_run, files=files)
        self.dry_run = dry_run

    @writes
    def run(self, cards: list[Card]) -> None:
        # A retried transaction starts over: the counts too.
        self.summary = VcardSummary(self.import_id, dry_run=self.dry_run, files=self.summary.files)
        Import.create(
            id=self.import_id,
            actor=self.ctx.actor,
            files=json.dumps(self.summary.files, ensure_ascii=False),
        )
        for card in cards:
            try:
                self._card(card)
            except RolodexError as exc:
                raise VcardError(
                    _(
                        "{file}, card {n} ({name}): {error}; nothing was imported, "
                        "the database is unchanged"
                    ).format(file=card.file, n=card.number, name=card.shown or "-", error=exc)
                ) from exc
        Import.update(summary=json.dumps(self.summary.as_dict())).where(
            Import.id == self.import_id
        ).execute()
        if self.dry_run:
            raise _DryRun

    def _log(self, record_id: int, action: str, before: dict | None = None) -> None:
        ImportedRecord.create(
            import_id=self.import_id,
            record_id=record_id,
            action=action,
            before=json.dumps(before, ensure_ascii=False) if before is not None else None,
        )

    def _card(self, card: Card) -> None:
        self.summary.cards += 1
        self.summary.left_out["email"] += max(0, len(card.emails) - 1)
        self.summary.left_out["phone"] += max(0, len(card.phones) - 1)
        values = card.values()
        source_id = UID_PREFIX + card.uid if card.uid else None
        existing = _existing_contact(source_id, card.emails)
        if existing is None:
            contact = records.create(objects.CONTACT, values, source_id=source_id)
            self._log(contact.id, "created")
            self.summary.created += 1
        else:
            contact = existing
            changes = {k: v for k, v in values.items() if existing.properties.get(k, "") != v}
            stored_uid = _source_id(existing.id)
            if changes or (source_id and stored_uid != source_id):
                self._log(
                    existing.id,
                    "updated",
                    {"properties": existing.properties, "source_id": stored_uid},
                )
                if changes:
                    contact = records.update(existing.id, changes)
                if source_id and stored_uid != source_id:
                    Record.update(source_id=source_id).where(Record.id == existing.id).execute()
                self.summary.updated += 1
            else:
                self.summary.unchanged += 1
        if card.org:
            self._primary_company(contact.id, card)
        if card.note:
            self._note(contact.id, card.note)

    def _primary_company(self, contact_id: int, card: Card) -> None:
        company = _company_named(card.org)
        if company is None and card.emails:
            company = _company_with_domain(card.emails[0].rpartition("@")[2])
        if company is None:
            created = records.create(objects.COMPANY, {"name": card.org})
            self._log(created.id, "created")
            self.summary.companies_created += 1
            company = created.id
        current = associations.primary_company(contact_id)
        if current == company:
            return
        change = associations.associate(contact_id, company, self.ctx, primary=True)
        if change.created:
            self.summary.associations_created += 1

    def _note(self, contact_id: int, text: str) -> None:
        if text in _note_bodies([contact_id]).get(contact_id, []):
            return  # imported before: a card read twice adds no second note
        note = records.create(
            NOTE_TYPE,
            {
                "subject": _("Note from the address book"),
                "body": text,
                "timestamp": utcnow().isoformat(timespec="seconds"),
            },
        )
        self._log(note.id, "created")
        associations.associate(note.id, contact_id, self.ctx)
        self.summary.notes_created += 1
        self.summary.associations_created += 1


_LIVE_CONTACT = (Record.deleted_at.is_null()) & (Record.merged_into.is_null())


def _existing_contact(source_id: str | None, emails: list[str]) -> records.RecordView | None:
    """The contact a card describes: the one with its UID, else one with one of its emails."""
    contact_type = objects.by_key(objects.CONTACT).id
    if source_id:
        found = (
            Record.select(Record.id)
            .where(
                (Record.object_type == contact_type)
                & (Record.source_id == source_id)
                & _LIVE_CONTACT
            )
            .order_by(Record.id)
            .scalar()
        )
        if found:
            return records.get(found)
    for email in emails:
        try:
            return records.resolve(email)
        except NotFound:
            continue
    return None


def _source_id(record_id: int) -> str | None:
    return Record.select(Record.source_id).where(Record.id == record_id).scalar()


def _company_named(name: str) -> int | None:
    key = " ".join(name.split()).casefold()
    company_type = objects.by_key(objects.COMPANY).id
    return (
        Record.select(Record.id)
        .where((Record.object_type == company_type) & (Record.name_key == key) & _LIVE_CONTACT)
        .order_by(Record.id)
        .scalar()
    )


def _company_with_domain(domain: str) -> int | None:
    if not domain:
        return None
    company_type = objects.by_key(objects.COMPANY).id
    return (
        Record.select(Record.id)
        .where(
            (Record.object_type == company_type) & (Record.domain == domain.lower()) & _LIVE_CONTACT
        )
        .order_by(Record.id)
        .scalar()
    )


def _note_bodies(contact_ids: list[int]) -> dict[int, list[str]]:
    """The bodies of the note activities of each contact, oldest first."""
    if not contact_ids:
        return {}
    note_type = objects.by_key(NOTE_TYPE).id
    out: dict[int, list[tuple[int, str]]] = {}
    for holder_column, note_column in (
        (Association.a, Association.b),
        (Association.b, Association.a),
    ):
        query = (
            Association.select(holder_column, Record.id, Record.properties)
            .join(Record, on=(Record.id == note_column))
            .where(
                holder_column.in_(contact_ids)
                & (Record.object_type == note_type)
                & Record.deleted_at.is_null()
            )
            .tuples()
        )
        for holder, note_id, props in query:
            body = json.loads(props or "{}").get("body", "")
            if body:
                out.setdefault(holder, []).append((note_id, body))
    return {holder: [body for _id, body in sorted(notes)] for holder, notes in out.items()}


# ---------------------------------------------------------------- exporting


def _vcard(row: listing.ListRow, notes: list[str], version: str) -> str:
    import vobject

    props = row.properties
    card = vobject.vCard()
    card.add("version").value = version
    if row.properties.get("_uid"):
        card.add("uid").value = props["_uid"]
    card.add("fn").value = row.name or props.get("email", "") or row.ref
    card.add("n").value = vobject.vcard.Name(
        family=props.get("last_name", ""), given=props.get("first_name", "")
    )
    if props.get("email"):
        card.add("email").value = props["email"]
    if props.get("phone"):
        card.add("tel").value = props["phone"]
    if props.get("job_title"):
        card.add("title").value = props["job_title"]
    if row.primary_company:
        card.add("org").value = [row.primary_company[1]]
    if notes:
        card.add("note").value = "\n\n".join(notes)
    return str(card.serialize())


def _uids(ids: list[int]) -> dict[int, str]:
    found = Record.select(Record.id, Record.source_id).where(
        Record.id.in_(ids) & Record.source_id.startswith(UID_PREFIX)
    )
    return {rid: sid[len(UID_PREFIX) :] for rid, sid in found.tuples()}


def vcards(query: listing.Listing, version: str = "4.0") -> Iterator[str]:
    """One vCard per listed contact, read in batches (a million contacts stream)."""
    if query.info.key != objects.CONTACT:
        raise InvalidValue(
            _("vCard export is for contacts; {object} records have no vCard form").format(
                object=query.info.key
            )
        )
    if version not in VERSIONS:
        raise InvalidValue(
            _("vCard version must be one of {versions}").format(versions=", ".join(VERSIONS))
        )
    batch: list[listing.ListRow] = []
    for row in listing.rows(query):
        batch.append(row)
        if len(batch) >= BATCH:
            yield from _cards_of(batch, version)
            batch = []
    yield from _cards_of(batch, version)


def _cards_of(batch: list[listing.ListRow], version: str) -> Iterator[str]:
    if not batch:
        return
    ids = [row.id for row in batch]
    notes = _note_bodies(ids)
    uids = _uids(ids)
    for row in batch:
        if row.id in uids:
            row = listing.ListRow(
                row.id,
                row.type,
                row.name,
                {**row.properties, "_uid": uids[row.id]},
                row.primary_company,
                row.counts,
            )
        yield _vcard(row, notes.get(row.id, []), version)


def export_vcards(
    query: listing.Listing, output: str | None, stdout: IO[str], version: str = "4.0"
) -> int:
    """Write the cards to ``output`` (whole or not at all) or to stdout; returns how many."""
    cards = vcards(query, version)
    if not output or output == "-":
        return _write(stdout, cards)
    with output_file(output, encoding="utf-8", newline="") as handle:
        return _write(handle, cards)


def _write(handle: IO[str], cards: Iterator[str]) -> int:
    count = 0
    for text in cards:
        handle.write(text)
        count += 1
    return count
