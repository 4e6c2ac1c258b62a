"""Object types (standard, activity, custom), their properties, and value validation."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from rolodex.crm import changes
from rolodex.crm.errors import InvalidValue, NotFound
from rolodex.i18n import _, data_text
from rolodex.store.models import ObjectType, Property, database
from rolodex.store.transactions import writes

COMPANY = "company"
CONTACT = "contact"
PROPERTY_KINDS = ("text", "email", "domain", "number", "date", "datetime", "phone")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DOMAIN_PATTERN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$"
)


@dataclass(frozen=True)
class PropertyInfo:
    key: str
    label: str
    kind: str


@dataclass(frozen=True)
class ObjectInfo:
    id: int
    key: str
    singular: str
    plural: str
    kind: str
    display_property: str
    properties: tuple[PropertyInfo, ...]

    @property
    def shown_singular(self) -> str:
        """The singular as shown to people: translated when it is a built-in name."""
        return data_text(self.singular)

    @property
    def shown_plural(self) -> str:
        """The plural as shown to people: translated when it is a built-in name."""
        return data_text(self.plural)

    @property
    def is_activity(self) -> bool:
        return self.kind == "activity"

    @property
    def has_primary_company(self) -> bool:
        """Contacts, deals, tickets and custom objects have a primary company."""
        return self.kind in ("standard", "custom") and self.key != COMPANY

    def property(self, key: str) -> PropertyInfo | None:
        for prop in self.properties:
            if prop.key == key:
                return prop
        return None


class _Cache:
    """Object types change rarely: cache them per database, reload on a miss."""

    def __init__(self) -> None:
        self.owner: object = None
        self.by_id: dict[int, ObjectInfo] = {}
        self.by_key: dict[str, ObjectInfo] = {}

    def load(self) -> None:
        props: dict[int, list[PropertyInfo]] = {}
        for type_id, key, label, kind in (
            Property.select(Property.object_type, Property.key, Property.label, Property.kind)
            .order_by(Property.object_type, Property.position, Property.id)
            .tuples()
        ):
            props.setdefault(type_id, []).append(PropertyInfo(key, label, kind))
        by_id = {}
        for row in ObjectType.select().order_by(ObjectType.position, ObjectType.id).tuples():
            type_id, key, singular, plural, kind, display, _position = row
            by_id[type_id] = ObjectInfo(
                type_id, key, singular, plural, kind, display, tuple(props.get(type_id, ()))
            )
        self.by_id = by_id
        self.by_key = {info.key: info for info in by_id.values()}
        self.owner = database.obj

    def fresh(self) -> None:
        if self.owner is not database.obj:
            self.load()


_cache = _Cache()


def invalidate() -> None:
    _cache.owner = None


changes.register_cache(invalidate)


def all_types() -> list[ObjectInfo]:
    _cache.fresh()
    return list(_cache.by_id.values())


def by_key(key: str) -> ObjectInfo:
    _cache.fresh()
    info = _cache.by_key.get(key)
    if info is None:
        _cache.load()
        info = _cache.by_key.get(key)
    if info is None:
        known = ", ".join(sorted(_cache.by_key))
        raise NotFound(
            _("unknown object type '{key}' (known: {known})").format(key=key, known=known)
        )
    return info


def by_id(type_id: int) -> ObjectInfo:
    _cache.fresh()
    info = _cache.by_id.get(type_id)
    if info is None:
        _cache.load()
        info = _cache.by_id[type_id]
    return info


@writes
def create_custom_object(
    key: str,
    singular: str,
    plural: str,
    properties: list[tuple[str, str]],
    display: str | None = None,
) -> ObjectInfo:
    """A user-defined object: properties are (key, kind) pairs; ``display`` names the record."""
    if not KEY_PATTERN.match(key):
        raise InvalidValue(
            _(
                "object key '{key}' must be lower-case letters, digits and _ (starting with a letter)"
            ).format(key=key)
        )
    if not singular.strip() or not plural.strip():
        raise InvalidValue(_("singular and plural labels cannot be empty"))
    if ObjectType.get_or_none(ObjectType.key == key) is not None:
        raise InvalidValue(_("an object '{key}' already exists").format(key=key))
    if not properties:
        properties = [("name", "text")]
    seen = set()
    for pkey, kind in properties:
        if not KEY_PATTERN.match(pkey):
            raise InvalidValue(_("property key '{key}' is not valid").format(key=pkey))
        if kind not in PROPERTY_KINDS:
            raise InvalidValue(
                _("property kind '{kind}' is not one of {kinds}").format(
                    kind=kind, kinds=", ".join(PROPERTY_KINDS)
                )
            )
        if pkey in seen:
            raise InvalidValue(_("property '{key}' is given twice").format(key=pkey))
        seen.add(pkey)
    display = display or properties[0][0]
    if display not in seen:
        raise InvalidValue(
            _("display property '{key}' is not one of the properties").format(key=display)
        )
    position = (ObjectType.select().count() or 0) + 1
    object_type = ObjectType.create(
        key=key,
        singular=singular.strip(),
        plural=plural.strip(),
        kind="custom",
        display_property=display,
        position=position,
    )
    for index, (pkey, kind) in enumerate(properties):
        Property.create(
            object_type=object_type,
            key=pkey,
            label=pkey.replace("_", " ").capitalize(),
            kind=kind,
            position=index,
        )
    invalidate()
    changes.notify()
    return by_key(key)


@writes
def add_property(type_key: str, key: str, label: str, kind: str = "text") -> ObjectInfo:
    """A new property of an existing object (last in its order); returns the object."""
    info = by_key(type_key)
    if not KEY_PATTERN.match(key):
        raise InvalidValue(_("property key '{key}' is not valid").format(key=key))
    if kind not in PROPERTY_KINDS:
        raise InvalidValue(
            _("property kind '{kind}' is not one of {kinds}").format(
                kind=kind, kinds=", ".join(PROPERTY_KINDS)
            )
        )
    if info.property(key) is not None:
        raise InvalidValue(
            _("{object} already has a property '{key}'").format(object=info.key, key=key)
        )
    Property.create(
        object_type=info.id,
        key=key,
        label=label.strip() or key.replace("_", " ").capitalize(),
        kind=kind,
        position=len(info.properties),
    )
    invalidate()
    return by_key(type_key)


@writes
def remove_property(type_key: str, key: str) -> ObjectInfo:
    """Take a property off an object (the caller makes sure no record holds a value for it)."""
    info = by_key(type_key)
    if info.property(key) is None:
        raise NotFound(_("{object} has no property '{key}'").format(object=info.key, key=key))
    if key == info.display_property:
        raise InvalidValue(
            _("'{key}' names the records of {object}: it cannot be removed").format(
                key=key, object=info.key
            )
        )
    Property.delete().where((Property.object_type == info.id) & (Property.key == key)).execute()
    invalidate()
    return by_key(type_key)


def normalise_domain(value: str) -> str:
    value = value.strip().lower()
    value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value)
    value = value.split("/", 1)[0].split("?", 1)[0]
    if value.startswith("www."):
        value = value[4:]
    return value.rstrip(".")


def clean_value(info: ObjectInfo, key: str, value: str) -> str:
    """Validate and normalise one property value; raise InvalidValue with the reason."""
    prop = info.property(key)
    if prop is None:
        known = ", ".join(p.key for p in info.properties)
        raise InvalidValue(
            _("{object} has no property '{key}' (properties: {known})").format(
                object=info.key, key=key, known=known
            )
        )
    if "\x00" in value:
        raise InvalidValue(_("{key}: the value contains a NUL character").format(key=key))
    value = value.strip()
    if value == "":
        return ""
    if prop.kind == "email":
        value = value.lower()
        if not EMAIL_PATTERN.match(value):
            raise InvalidValue(
                _("{key}: '{value}' is not an email address").format(key=key, value=value)
            )
    elif prop.kind == "domain":
        value = normalise_domain(value)
        if not DOMAIN_PATTERN.match(value):
            raise InvalidValue(
                _("{key}: '{value}' is not a domain name").format(key=key, value=value)
            )
    elif prop.kind == "number":
        try:
            number = Decimal(value.replace(",", "").replace(" ", ""))
        except InvalidOperation as exc:
            raise InvalidValue(
                _("{key}: '{value}' is not a number").format(key=key, value=value)
            ) from exc
        if not number.is_finite():
            raise InvalidValue(_("{key}: '{value}' is not a number").format(key=key, value=value))
        value = format(number.normalize(), "f")
    elif prop.kind == "date":
        try:
            value = dt.date.fromisoformat(value).isoformat()
        except ValueError as exc:
            raise InvalidValue(
                _("{key}: '{value}' is not a date (YYYY-MM-DD)").format(key=key, value=value)
            ) from exc
    elif prop.kind == "datetime":
        try:
            value = dt.datetime.fromisoformat(value).isoformat()
        except ValueError as exc:
            raise InvalidValue(
                _("{key}: '{value}' is not a date and time (ISO 8601)").format(key=key, value=value)
            ) from exc
    return value


def display_name(info: ObjectInfo, properties: dict[str, str]) -> str:
    """The name a record is shown by."""
    if info.key == CONTACT:
        full = " ".join(
            p for p in (properties.get("first_name", ""), properties.get("last_name", "")) if p
        )
        return full or properties.get("email", "")
    if info.key == COMPANY:
        return properties.get("name") or properties.get("domain", "")
    name = properties.get(info.display_property, "")
    if not name and info.is_activity:
        body = properties.get("body", "")
        name = body.splitlines()[0][:80] if body else ""
    return name
