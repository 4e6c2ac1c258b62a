"""Label choices as a person sees them from one record's sidebar."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content

from rolodex.crm.labels import LabelInfo
from rolodex.i18n import _


@dataclass(frozen=True)
class LabelChoice:
    label_id: int
    word: str  # for crm: "src is dst's WORD"
    shown: str  # the word the other record carries, seen from src (as in the sidebar)
    other_side: str  # the word src carries, seen from the other record
    paired: bool

    @property
    def key(self) -> str:
        return f"{self.label_id}:{self.word}"

    def prompt(self) -> Content:
        if not self.paired:
            return Content(self.shown)
        return Content.from_markup(
            "$shown [dim]· $from_other[/dim]",
            shown=self.shown,
            from_other=_("they see this record as {word}").format(word=self.other_side),
        )


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
