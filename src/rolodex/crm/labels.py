"""Association labels: single or paired, defined per object pair."""

from __future__ import annotations

from dataclasses import dataclass

from peewee import IntegrityError, fn

from rolodex.crm import changes, objects
from rolodex.crm.errors import InvalidValue, LabelInUse, LabelNotFound
from rolodex.i18n import _
from rolodex.store.models import AssociationLabel, Label, database, label_key
from rolodex.store.transactions import writes


@dataclass(frozen=True)
class LabelInfo:
    id: int
    from_type: str
    to_type: str
    name: str
    inverse: str | None
    in_use: int = 0
    # A tree: the from record is the parent, at most one per record (crm/hierarchy.py).
    hierarchical: bool = False

    @property
    def paired(self) -> bool:
        return self.inverse is not None

    def seen_from(self, viewer_is_from: bool) -> str:
        """The word shown on the other record, seen from the viewer.

        "The from record is the to record's NAME": seen from the to record the
        other carries NAME; seen from the from record it carries the inverse.
        """
        if viewer_is_from and self.inverse:
            return self.inverse
        return self.name


def _info(label: Label, in_use: int = 0) -> LabelInfo:
    return LabelInfo(
        id=label.id,
        from_type=objects.by_id(label.from_type_id).key,
        to_type=objects.by_id(label.to_type_id).key,
        name=label.name,
        inverse=label.inverse,
        in_use=in_use,
        hierarchical=bool(label.hierarchical),
    )


def get(label_id: int) -> LabelInfo:
    return _info(Label.get_by_id(label_id))


class _Cache:
    """Label definitions, cached per database; reloaded on a miss or when invalidated."""

    owner: object = None
    by_id: dict[int, LabelInfo] = {}


def invalidate() -> None:
    _Cache.owner = None


changes.register_cache(invalidate)


name_key = label_key  # one rule for "the same word", kept by a unique index


def all_by_id() -> dict[int, LabelInfo]:
    if _Cache.owner is not database.obj:
        _Cache.by_id = {label.id: _info(label) for label in Label.select()}
        _Cache.owner = database.obj
    return _Cache.by_id


def cached(label_id: int) -> LabelInfo | None:
    found = all_by_id().get(label_id)
    if found is None:
        invalidate()
        found = all_by_id().get(label_id)
    return found


def pair_labels(type_a: str, type_b: str) -> list[LabelInfo]:
    """The labels of a pair in either direction, as pickers offer them: from the cached
    definitions, without use counts (counting reads the labels of every association
    carrying them: 50 ms at 1M records, for a dialog that shows no counts)."""
    directions = ((type_a, type_b), (type_b, type_a))
    found = [
        label for label in all_by_id().values() if (label.from_type, label.to_type) in directions
    ]
    return sorted(found, key=lambda label: (_order(label), label.name))


def _order(label: LabelInfo) -> tuple[int, int]:
    return objects.by_key(label.from_type).id, objects.by_key(label.to_type).id


def list_labels(type_a: str | None = None, type_b: str | None = None) -> list[LabelInfo]:
    """Labels for a pair in either direction (all labels without a pair), with use counts."""
    query = Label.select().order_by(Label.from_type, Label.to_type, Label.name)
    if type_a and type_b:
        a, b = objects.by_key(type_a).id, objects.by_key(type_b).id
        query = query.where(
            ((Label.from_type == a) & (Label.to_type == b))
            | ((Label.from_type == b) & (Label.to_type == a))
        )
    found = list(query)
    usage = dict(
        AssociationLabel.select(AssociationLabel.label, fn.COUNT(AssociationLabel.id))
        .where(AssociationLabel.label.in_([label.id for label in found]))
        .group_by(AssociationLabel.label)
        .tuples()
    )
    return [_info(label, usage.get(label.id, 0)) for label in found]


@writes
def create(
    from_type: str,
    to_type: str,
    name: str,
    inverse: str | None = None,
    *,
    hierarchical: bool = False,
) -> LabelInfo:
    """A label "FROM is TO's NAME". ``hierarchical``: NAME is the upper record's role
    (Manager / Employee): the records form trees, each with one parent at most."""
    source, target = objects.by_key(from_type), objects.by_key(to_type)
    name = name.strip()
    inverse = inverse.strip() if inverse else None
    if not name:
        raise InvalidValue(_("a label needs a name"))
    if inverse is not None and name_key(inverse) == name_key(name):
        inverse = None
    if hierarchical and (source.id != target.id or inverse is None):
        raise InvalidValue(
            _(
                "a hierarchical label links records of one object and is paired: "
                "give the same type twice and --inverse (Manager / Employee)"
            )
        )
    if name_key(name) == "primary" or name_key(inverse or "") == "primary":
        raise InvalidValue(_("'Primary' is built in: use --primary or set-primary"))
    for word in filter(None, (name, inverse)):
        try:
            resolve(from_type, to_type, word)
        except LabelNotFound:
            continue
        raise _exists(word, from_type, to_type)
    try:
        label = Label.create(
            from_type=source.id,
            to_type=target.id,
            name=name,
            inverse=inverse,
            name_key=name_key(name),
            hierarchical=hierarchical,
        )
    except IntegrityError as exc:  # the unique (pair, name_key) index: never two "Mentor"s
        raise _exists(name, from_type, to_type) from exc
    invalidate()
    changes.notify()
    return _info(label)


def _exists(word: str, from_type: str, to_type: str) -> InvalidValue:
    return InvalidValue(
        _("a label '{name}' already exists for {a} and {b}").format(
            name=word, a=from_type, b=to_type
        )
    )


def resolve(type_a: str, type_b: str, word: str) -> tuple[LabelInfo, bool]:
    """The label ``word`` for "A is B's WORD": returns the label and whether A is its from record."""
    a, b = objects.by_key(type_a), objects.by_key(type_b)
    wanted = name_key(word)
    candidates = Label.select().where(
        ((Label.from_type == a.id) & (Label.to_type == b.id))
        | ((Label.from_type == b.id) & (Label.to_type == a.id))
    )
    for label in candidates:
        info = _info(label)
        # "A is B's NAME" with A the label's from record.
        if (
            label.from_type_id == a.id
            and label.to_type_id == b.id
            and name_key(label.name) == wanted
        ):
            return info, True
        # "A is B's INVERSE" means B is A's NAME: B is the from record.
        if (
            label.from_type_id == b.id
            and label.to_type_id == a.id
            and name_key(label.inverse or label.name) == wanted
        ):
            return info, False
    available = sorted(
        {name for lab in candidates for name in filter(None, (lab.name, lab.inverse))}
    )
    hint = ", ".join(available) if available else _("none defined")
    raise LabelNotFound(
        _("no label '{word}' for {a} and {b} (labels: {hint})").format(
            word=word, a=type_a, b=type_b, hint=hint
        )
    )


@writes
def delete(from_type: str, to_type: str, name: str) -> None:
    label, _forward = resolve(from_type, to_type, name)
    in_use = AssociationLabel.select().where(AssociationLabel.label == label.id).count()
    if in_use:
        raise LabelInUse(
            _("label '{name}' is used by {n} associations; remove it from them first").format(
                name=name, n=in_use
            )
        )
    Label.delete().where(Label.id == label.id).execute()
    invalidate()
    changes.notify()


@writes
def rename(label_id: int, name: str, inverse: str | None) -> LabelInfo:
    name = name.strip()
    if not name:
        raise InvalidValue(_("a label needs a name"))
    current = get(label_id)
    if current.hierarchical and (not inverse or name_key(inverse) == name_key(name)):
        raise InvalidValue(_("a hierarchical label keeps its inverse (the lower record's word)"))
    for word in filter(None, (name, inverse)):
        try:
            found, _forward = resolve(current.from_type, current.to_type, word)
        except LabelNotFound:
            continue
        if found.id != label_id:
            raise _exists(word, current.from_type, current.to_type)
    try:
        Label.update(
            name=name,
            inverse=(inverse or None) if inverse != name else None,
            name_key=name_key(name),
        ).where(Label.id == label_id).execute()
    except IntegrityError as exc:
        raise _exists(name, current.from_type, current.to_type) from exc
    invalidate()
    changes.notify()
    return get(label_id)
