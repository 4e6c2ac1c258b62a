"""Tables of rolodex.io (kept in store, which creates every table): links waiting for
records not yet imported, the ids other systems gave records, and what each import did."""

from __future__ import annotations

from peewee import BigAutoField, BigIntegerField, BooleanField, CharField, IntegerField, TextField

from rolodex.store.models import BaseModel, utcnow  # noqa: F401  (utcnow re-exported for callers)


class PendingLink(BaseModel):
    """An association an import could not make yet: its other record has not been imported.

    ``record_id`` is the record the row described; the target is named by its object
    and a key: an id of another system (``kind`` "source", the key being
    :func:`rolodex.io.identity.source_pending_key` of the system and the id), a contact's
    email, a company's domain, or a name (case-folded).
    When a later import (or a later row) brings that record, the link is made:
    "the target is the record's LABELS", and with ``primary`` the target becomes the
    record's primary company.
    """

    id = BigAutoField()
    record_id = BigIntegerField()
    target_type_id = IntegerField()
    kind = CharField()  # "source" | "email" | "domain" | "name"
    key = TextField()
    labels = TextField(default="[]")  # JSON list of words
    primary = BooleanField(default=False)
    import_id = CharField()

    class Meta:
        indexes = (
            (("target_type_id", "kind", "key"), False),
            (("record_id",), False),
            (("import_id",), False),
        )


class SourceKey(BaseModel):
    """An id another system gave a record: any non-empty text, unique per system and object.

    ``system`` is "" for files whose system is not named (``--source``), and
    ``rolodex:DATABASE`` for a record imported from another Rolodex database's export
    (``key`` is then its id there). A record may have several. Rows are kept when the
    record goes to the recycle bin; lookups consider live records only.
    """

    id = BigAutoField()
    record_id = BigIntegerField()
    object_type_id = IntegerField()
    system = TextField(default="")
    key = TextField()
    import_id = CharField(null=True)  # the import that gave it

    class Meta:
        indexes = (
            (("object_type_id", "system", "key"), False),
            (("record_id",), False),
            (("import_id",), False),
        )


class ImportedRecord(BaseModel):
    """A record an import created or updated, with what it held before (for --revert)."""

    id = BigAutoField()
    import_id = CharField()
    record_id = BigIntegerField()
    action = CharField()  # "created" | "updated"
    before = TextField(null=True)  # JSON {"properties": {...}}

    class Meta:
        indexes = ((("import_id", "record_id"), False),)


IO_MODELS: list[type[BaseModel]] = [PendingLink, ImportedRecord, SourceKey]
