"""Read models: what a screen of the app shows, read in one call. The TUI, the command
line and the benchmark read the same thing (nothing here knows about widgets)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rolodex.crm import activities, associations, index, objects, records
from rolodex.crm.associations import Associated
from rolodex.crm.labels import LabelInfo
from rolodex.crm.objects import ObjectInfo
from rolodex.crm.records import RecordView

CARD_PAGE = associations.PAGE
NEIGHBOURS_PER_OBJECT = 10


@dataclass
class RecordData:
    """A record's screen: its properties, timeline and association cards."""

    record: RecordView
    info: ObjectInfo
    counts: dict[str, int]
    cards: dict[str, list[Associated]]
    timeline: list[RecordView]
    primary_company: str | None
    card_types: list[ObjectInfo] = field(default_factory=list)


def record_view(record_id: int) -> RecordData:
    """Everything the record screen shows, as the app reads it (one sidebar statement on
    PostgreSQL, counts and a page per card on SQLite)."""
    record = records.get(record_id)
    info = objects.by_key(record.type)
    card_types = index.index_types()
    counts, cards = associations.sidebar(record.id, [t.key for t in card_types], limit=CARD_PAGE)
    primary = None
    if info.has_primary_company:
        company = next((a for a in cards.get(objects.COMPANY, []) if a.primary), None)
        if company is not None:
            primary = company.other_name or company.other_ref
    return RecordData(
        record, info, counts, cards, activities.timeline(record.id), primary, card_types
    )


def next_before(items: list[Associated]) -> int | None:
    """The keyset cursor after a card's items (the primary, shown first, may be out of order)."""
    ids = [i.association_id for i in items if not i.primary] or [i.association_id for i in items]
    return min(ids) if ids else None


@dataclass(frozen=True)
class NeighbourGroup:
    type_key: str
    total: int  # how many the record has, the centre left out
    items: list[Associated]


def neighbours(
    record_id: int, centre: int | None = None, limit: int = NEIGHBOURS_PER_OBJECT
) -> list[NeighbourGroup]:
    """A record's associations per object, for the neighbourhood: at the second hop the
    record the view is centred on is left out (it is the root already)."""
    keys = [info.key for info in objects.all_types()]
    counts, cards = associations.sidebar(record_id, keys, limit=limit + 1)
    out = []
    for key in keys:
        if key not in cards:
            continue
        items = [a for a in cards[key] if a.other_id != centre]
        total = counts[key] - (len(cards[key]) - len(items))
        if total:
            out.append(NeighbourGroup(key, total, items[:limit]))
    return out


@dataclass(frozen=True)
class LabelChoice:
    """A label as a person picks it from one record's sidebar."""

    label_id: int
    word: str  # for crm: "src is dst's WORD"
    shown: str  # the word the other record carries, seen from src (as in the sidebar)
    other_side: str  # the word src carries, seen from the other record
    paired: bool

    @property
    def key(self) -> str:
        return f"{self.label_id}:{self.word}"


def label_choices(src_type: str, dst_type: str, labels: list[LabelInfo]) -> list[LabelChoice]:
    out: dict[str, LabelChoice] = {}
    for label in labels:
        if label.from_type == src_type and label.to_type == dst_type:
            choice = LabelChoice(
                label.id, label.name, label.seen_from(True), label.name, label.paired
            )
            out.setdefault(choice.key, choice)
        if label.to_type == src_type and label.from_type == dst_type:
            word = label.inverse or label.name
            choice = LabelChoice(label.id, word, label.name, word, label.paired)
            out.setdefault(choice.key, choice)
    return sorted(out.values(), key=lambda c: (c.shown.casefold(), c.word.casefold()))
