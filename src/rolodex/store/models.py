"""Peewee models. Every table is bound to ``database`` (a proxy set by ``open_database``)."""

from __future__ import annotations

import datetime as dt
import unicodedata

from peewee import (
    SQL,
    BigAutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

database = DatabaseProxy()


def utcnow() -> dt.datetime:
    """Naive UTC timestamps: stored the same way on SQLite and PostgreSQL."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def label_key(word: str) -> str:
    """What makes two label words the same: Unicode-normalised (NFKC), case-folded,
    spaces collapsed ("MeNtOr" and "mentor" are one label)."""
    return " ".join(unicodedata.normalize("NFKC", word).casefold().split())


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Meta(BaseModel):
    """Key/value settings: schema version, free-mail exclusions, activity rules."""

    key = CharField(primary_key=True)
    value = TextField()


class ObjectType(BaseModel):
    """contact, company, deal, ticket, the activity types, and custom objects."""

    key = CharField(unique=True)
    singular = CharField()
    plural = CharField()
    kind = CharField()  # "standard" | "activity" | "custom"
    display_property = CharField()
    position = IntegerField(default=0)


class Property(BaseModel):
    object_type = ForeignKeyField(ObjectType, backref="properties", on_delete="CASCADE")
    key = CharField()
    label = CharField()
    kind = CharField(default="text")  # text | email | domain | number | date | phone
    position = IntegerField(default=0)

    class Meta:
        indexes = ((("object_type", "key"), True),)


class Record(BaseModel):
    id = BigAutoField()
    object_type = ForeignKeyField(ObjectType, index=False)
    name = TextField(default="")
    # Case-folded name: the sort and prefix-search key of index pages.
    name_key = TextField(default="")
    email = TextField(null=True)  # contacts, lower-cased
    domain = TextField(null=True)  # companies, lower-cased
    properties = TextField(default="{}")  # JSON object of property key -> string
    version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    deleted_at = DateTimeField(null=True)
    merged_into = ForeignKeyField("self", null=True, index=False, on_delete="SET NULL")
    # The id this record had in the system it was imported from ("Record ID").
    source_id = TextField(null=True)

    class Meta:
        indexes = (
            (("object_type", "name_key", "id"), False),
            (("email",), False),
            (("domain",), False),
            (("object_type", "source_id"), False),
        )  # more in migrations: (name_key, id) and a partial index on deleted_at


class Label(BaseModel):
    """A label for the pair (from_type, to_type): "the from record is the to record's NAME".

    Seen from the to record, the from record carries ``name``; seen from the
    from record, the to record carries ``inverse`` (or ``name`` again when the
    label is single).
    """

    from_type = ForeignKeyField(ObjectType, index=False, on_delete="CASCADE")
    to_type = ForeignKeyField(ObjectType, index=False, on_delete="CASCADE")
    name = CharField()
    inverse = CharField(null=True)
    # label_key(name): unique per pair, so no two writers can create "Mentor" and
    # "mentor" for one pair.
    name_key = CharField(default="")
    # A paired label between records of one object that forms a tree: the from record
    # is the parent ("Parent company", "Manager"); a record has at most one parent under
    # it (a database trigger, store/hierarchy_guard.py) and no record is its own ancestor.
    hierarchical = BooleanField(default=False)

    class Meta:
        indexes = (
            (("from_type", "to_type", "name"), True),
            (("from_type", "to_type", "name_key"), True),
        )


class AssociationLimit(BaseModel):
    """How many TO records one FROM record may have (with ``label``: carrying that label)."""

    from_type = ForeignKeyField(ObjectType, index=False, on_delete="CASCADE")
    to_type = ForeignKeyField(ObjectType, index=False, on_delete="CASCADE")
    label = ForeignKeyField(Label, null=True, index=False, on_delete="CASCADE")
    # For same-object pairs: the label word as seen from the FROM record.
    label_side = CharField(null=True)
    max_count = IntegerField(null=True)  # None means "many"

    class Meta:
        indexes = ((("from_type", "to_type"), False),)


class Association(BaseModel):
    """One row per linked pair, stored once with a_id < b_id."""

    id = BigAutoField()
    a = ForeignKeyField(Record, index=False, on_delete="CASCADE")
    b = ForeignKeyField(Record, index=False, on_delete="CASCADE")
    a_type = ForeignKeyField(ObjectType, index=False)
    b_type = ForeignKeyField(ObjectType, index=False)
    a_primary_b = BooleanField(default=False)  # b is a's primary of b's object
    b_primary_a = BooleanField(default=False)  # a is b's primary of a's object
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("a", "b"), True),
            (("a", "b_type", "id"), False),
            (("b", "a_type", "id"), False),
        )


# At most one primary per (record, object), enforced by the database itself.
Association.add_index(
    Association.index(Association.a, Association.b_type, unique=True, where=SQL("a_primary_b"))
)
Association.add_index(
    Association.index(Association.b, Association.a_type, unique=True, where=SQL("b_primary_a"))
)


class AssociationLabel(BaseModel):
    association = ForeignKeyField(Association, index=False, on_delete="CASCADE")
    label = ForeignKeyField(Label, on_delete="RESTRICT")
    # True when the association's ``a`` record is the label's "from" record.
    forward = BooleanField()

    class Meta:
        indexes = ((("association", "label", "forward"), True),)


class History(BaseModel):
    """Append-only log of association changes; the state after each change (before, for removals)."""

    id = BigAutoField()
    at = DateTimeField(default=utcnow)
    a_id = BigIntegerField()
    b_id = BigIntegerField()
    a_type_id = IntegerField()
    b_type_id = IntegerField()
    action = CharField()  # created | updated | removed
    labels = TextField(default="[]")  # JSON list of [label_id, forward]
    a_primary_b = BooleanField(default=False)
    b_primary_a = BooleanField(default=False)
    source = CharField()
    actor = TextField(default="")
    batch = TextField(null=True)  # import id, or the operation that grouped rows
    # The id of the history row this change reverts (an undo), else None.
    undoes = BigIntegerField(null=True)

    class Meta:
        indexes = (
            (("a_id", "id"), False),
            (("b_id", "id"), False),
            (("batch",), False),
        )


class Import(BaseModel):
    """One import run: what it touched is found through History.batch."""

    id = CharField(primary_key=True)
    started_at = DateTimeField(default=utcnow)
    actor = TextField(default="")
    files = TextField(default="[]")
    summary = TextField(default="{}")
    reverted_at = DateTimeField(null=True)


MODELS: list[type[BaseModel]] = [
    Meta,
    ObjectType,
    Property,
    Record,
    Label,
    AssociationLimit,
    Association,
    AssociationLabel,
    History,
    Import,
]
