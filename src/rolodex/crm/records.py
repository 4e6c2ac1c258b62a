"""Records: create, read, resolve a REF, update with optimistic concurrency."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from peewee import fn

from rolodex.crm import changes as change_feed
from rolodex.crm import objects
from rolodex.crm.errors import (
    AmbiguousReference,
    Conflict,
    Deleted,
    DuplicateRecord,
    InvalidReference,
    InvalidValue,
    NotFound,
)
from rolodex.crm.objects import ObjectInfo
from rolodex.i18n import _
from rolodex.store.models import Record, utcnow
from rolodex.store.transactions import writes

RECORD_COLUMNS = (
    Record.id,
    Record.object_type,
    Record.name,
    Record.properties,
    Record.version,
    Record.created_at,
    Record.updated_at,
    Record.deleted_at,
    Record.merged_into,
)


@dataclass(frozen=True)
class RecordView:
    id: int
    type: str
    name: str
    properties: dict[str, str]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted_at: dt.datetime | None = None
    merged_into: int | None = None

    @property
    def ref(self) -> str:
        return f"{self.type}:{self.id}"

    @property
    def label(self) -> str:
        """The name, or the REF when the record has no name yet."""
        return self.name or self.ref


def ref_of(type_key: str, record_id: int) -> str:
    return f"{type_key}:{record_id}"


def _view(row: tuple) -> RecordView:
    rid, type_id, name, props, version, created, updated, deleted, merged = row
    return RecordView(
        id=rid,
        type=objects.by_id(type_id).key,
        name=name,
        properties=json.loads(props or "{}"),
        version=version,
        created_at=created,
        updated_at=updated,
        deleted_at=deleted,
        merged_into=merged,
    )


def get(record_id: int, *, include_deleted: bool = False) -> RecordView:
    """A record by id, following merges to the survivor."""
    seen = set()
    while True:
        row = Record.select(*RECORD_COLUMNS).where(Record.id == record_id).tuples().first()
        if row is None:
            raise NotFound(_("no record with id {id}").format(id=record_id))
        view = _view(row)
        if view.merged_into is not None and view.merged_into not in seen:
            seen.add(view.id)
            record_id = view.merged_into
            continue
        if view.deleted_at is not None and not include_deleted:
            raise Deleted(_("{ref} is in the recycle bin").format(ref=view.ref))
        return view


def get_many(ids: list[int]) -> dict[int, RecordView]:
    if not ids:
        return {}
    rows = Record.select(*RECORD_COLUMNS).where(Record.id.in_(ids)).tuples()
    return {row[0]: _view(row) for row in rows}


def resolve(ref: str, *, include_deleted: bool = False) -> RecordView:
    """TYPE:ID, a contact's email, or a company's domain."""
    text = ref.strip()
    if ":" in text and not text.startswith(("http:", "https:")):
        type_key, _sep, id_text = text.partition(":")
        info = objects.by_key(type_key.strip().lower())
        try:
            record_id = int(id_text)
        except ValueError as exc:
            raise InvalidReference(
                _("'{ref}' is not a valid reference: the id must be a number").format(ref=ref)
            ) from exc
        view = get(record_id, include_deleted=include_deleted)
        if view.type != info.key:
            raise NotFound(
                _("{ref} does not exist (id {id} is a {type})").format(
                    ref=text, id=record_id, type=view.type
                )
            )
        return view
    if "@" in text:
        email = text.lower()
        query = Record.select(Record.id).where(
            (Record.email == email) & Record.merged_into.is_null()
        )
        if not include_deleted:
            query = query.where(Record.deleted_at.is_null())
        rows = list(query.order_by(Record.deleted_at.is_null(False), Record.id).tuples())
        if not rows:
            raise NotFound(_("no contact with email {email}").format(email=email))
        return get(rows[0][0], include_deleted=include_deleted)
    if "." in text:
        domain = objects.normalise_domain(text)
        query = Record.select(Record.id).where(
            (Record.domain == domain) & Record.merged_into.is_null()
        )
        if not include_deleted:
            query = query.where(Record.deleted_at.is_null())
        rows = list(query.order_by(Record.id).tuples())
        if not rows:
            raise NotFound(_("no company with domain {domain}").format(domain=domain))
        if len(rows) > 1:
            refs = ", ".join(ref_of("company", r[0]) for r in rows[:5])
            raise AmbiguousReference(
                _("several companies have the domain {domain}: {refs}; name one by TYPE:ID").format(
                    domain=domain, refs=refs
                )
            )
        return get(rows[0][0], include_deleted=include_deleted)
    raise InvalidReference(
        _("'{ref}' is not a reference: use TYPE:ID, an email or a domain").format(ref=ref)
    )


def _clean(info: ObjectInfo, values: dict[str, str]) -> dict[str, str]:
    return {key: objects.clean_value(info, key, str(value)) for key, value in values.items()}


def _columns(info: ObjectInfo, props: dict[str, str]) -> dict:
    name = objects.display_name(info, props)
    return {
        "name": name,
        "name_key": name.casefold(),
        "email": props.get("email") or None if info.key == objects.CONTACT else None,
        "domain": props.get("domain") or None if info.key == objects.COMPANY else None,
        "properties": json.dumps({k: v for k, v in props.items() if v != ""}, ensure_ascii=False),
    }


def _check_unique_email(
    info: ObjectInfo, props: dict[str, str], exclude: int | None = None
) -> None:
    email = props.get("email")
    if info.key != objects.CONTACT or not email:
        return
    query = Record.select(Record.id).where(
        (Record.email == email) & Record.deleted_at.is_null() & Record.merged_into.is_null()
    )
    if exclude is not None:
        query = query.where(Record.id != exclude)
    existing = query.scalar()
    if existing:
        raise DuplicateRecord(
            _("a contact with email {email} already exists: {ref}").format(
                email=email, ref=ref_of("contact", existing)
            )
        )


@writes
def create(type_key: str, values: dict[str, str], *, source_id: str | None = None) -> RecordView:
    """A new record. Runs in the serialised write transaction, so two people creating a
    contact with one email at the same moment cannot both succeed."""
    info = objects.by_key(type_key)
    props = _clean(info, values)
    _check_unique_email(info, props)
    record = Record.create(object_type=info.id, source_id=source_id, **_columns(info, props))
    change_feed.notify()
    return get(record.id)


@writes
def update(
    record_id: int, changes: dict[str, str], expected_version: int | None = None
) -> RecordView:
    """Apply ``changes`` (an empty value clears). A stale ``expected_version`` raises Conflict."""
    current = get(record_id)
    info = objects.by_key(current.type)
    cleaned = _clean(info, changes)
    if expected_version is not None and current.version != expected_version:
        raise Conflict(
            _("{ref} was changed by someone else (version {theirs}, you edited {mine})").format(
                ref=current.ref, theirs=current.version, mine=expected_version
            ),
            current.properties,
            current.version,
            mine=cleaned,
        )
    props = {**current.properties, **cleaned}
    _check_unique_email(info, props, exclude=current.id)
    updated = (
        Record.update(version=Record.version + 1, updated_at=utcnow(), **_columns(info, props))
        .where((Record.id == current.id) & (Record.version == current.version))
        .execute()
    )
    if not updated:  # another writer slipped in between our read and write
        latest = get(record_id)
        raise Conflict(
            _("{ref} was changed by someone else").format(ref=latest.ref),
            latest.properties,
            latest.version,
            mine=cleaned,
        )
    change_feed.notify()
    return get(record_id)


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """KEY=VALUE words from the command line."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidValue(_("'{pair}' is not KEY=VALUE").format(pair=pair))
        values[key.strip()] = value
    return values


def count(type_key: str) -> int:
    info = objects.by_key(type_key)
    return (
        Record.select(fn.COUNT(Record.id))
        .where(
            (Record.object_type == info.id)
            & Record.deleted_at.is_null()
            & Record.merged_into.is_null()
        )
        .scalar()
        or 0
    )
