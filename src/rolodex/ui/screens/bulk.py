"""Ticked rows of an index and the actions on them: associate them all with a record,
add or remove labels on their association with one, set their primary company, delete.
Each action is one crm call (one transaction, each record refused on its own) and ends
with a report of what changed and what was refused, by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.content import Content

from rolodex.crm import bulk_actions as bulk
from rolodex.crm import index, labels, objects, records
from rolodex.crm.bulk_actions import BulkResult
from rolodex.crm.context import user
from rolodex.crm.views import label_choices
from rolodex.i18n import _, ngettext
from rolodex.ui.base import in_thread
from rolodex.ui.modals.common import ChoiceDialog, ConfirmDialog, MessageDialog
from rolodex.ui.modals.record_dialogs import EditLabelsDialog, PickRecordDialog
from rolodex.ui.text import shown

if TYPE_CHECKING:
    from rolodex.ui.screens.index import IndexScreen

REPORTED = 20  # refusals listed by name in the report; the rest are counted


@dataclass
class Ticks:
    """Ticked records: ids, or every record matching the filter but the unticked ones
    (a million-row "tick all" holds no million ids)."""

    ids: set[int] = field(default_factory=set)
    all: bool = False
    unticked: set[int] = field(default_factory=set)

    def has(self, record_id: int) -> bool:
        return record_id not in self.unticked if self.all else record_id in self.ids

    def set(self, record_id: int, ticked: bool) -> None:
        if self.all:
            (self.unticked.discard if ticked else self.unticked.add)(record_id)
        else:
            (self.ids.add if ticked else self.ids.discard)(record_id)

    def count(self, total: int) -> int:
        return total - len(self.unticked) if self.all else len(self.ids)

    def resolve(self, type_key: str, filter_text: str) -> list[int]:
        """The ticked ids (reads the matching ones for "all"); in a worker."""
        if not self.all:
            return sorted(self.ids)
        matching = index.matching_ids(type_key, filter_text)
        return sorted(set(matching) - self.unticked)


def actions(info: objects.ObjectInfo) -> list[tuple[str, str]]:
    out = [
        ("associate", _("Associate them with a record…")),
        ("add-labels", _("Add labels to their association with a record…")),
        ("remove-labels", _("Remove labels from their association with a record…")),
    ]
    if info.has_primary_company:
        out.append(("primary", _("Set their primary company…")))
    out.append(("delete", _("Delete them…")))
    return out


async def run(screen: IndexScreen) -> bool:
    """The whole flow from the action menu to the report; True when something changed."""
    app = screen.app
    info = screen.info
    type_key, filter_text, ticks = info.key, screen.filter_text, screen.ticks
    n = ticks.count(screen.total or 0)
    ticked = ngettext("{n} ticked {object}", "{n} ticked {objects}", n).format(
        n=f"{n:,}", object=info.shown_singular.lower(), objects=info.shown_plural.lower()
    )
    action = await app.push_screen_wait(ChoiceDialog(shown(ticked), actions(info)))
    if action is None:
        return False
    ids = await in_thread(screen, lambda: ticks.resolve(type_key, filter_text))
    ctx = user()
    result: BulkResult
    if action == "delete":
        question = ngettext(
            "Move {n} {object} to the recycle bin?", "Move {n} {objects} to the recycle bin?", n
        ).format(n=f"{n:,}", object=info.shown_singular.lower(), objects=info.shown_plural.lower())
        if not await app.push_screen_wait(ConfirmDialog(_("Delete"), question, _("Delete"))):
            return False
        result = await in_thread(screen, lambda: bulk.delete_each(ids, ctx))
        return await _report(screen, result, _("Deleted"))
    if action == "primary":
        company = await app.push_screen_wait(
            PickRecordDialog(_("Their primary company"), objects.COMPANY)
        )
        if company is None:
            return False
        result = await in_thread(screen, lambda: bulk.set_primary_each(ids, company, ctx))
        return await _report(screen, result, _("Primary company set"))
    target = await _pick_target(screen, action)
    if target is None:
        return False
    target_id, target_type = target
    words = await _pick_labels(screen, type_key, target_type, target_id, action)
    if words is None:
        return False
    if action == "associate":
        primary = False
        if target_type == objects.COMPANY and info.has_primary_company:
            answer = await app.push_screen_wait(
                ChoiceDialog(
                    _("Their primary company"),
                    [
                        ("keep", _("Keep their primary companies")),
                        ("primary", _("Make it their primary company")),
                    ],
                )
            )
            if answer is None:
                return False
            primary = answer == "primary"
        result = await in_thread(
            screen, lambda: bulk.associate_each(ids, target_id, ctx, words, primary=primary)
        )
        return await _report(screen, result, _("Associated"))
    change = bulk.add_labels if action == "add-labels" else bulk.remove_labels
    result = await in_thread(screen, lambda: change(ids, target_id, ctx, words))
    return await _report(screen, result, _("Labels changed"))


async def _pick_target(screen: IndexScreen, action: str) -> tuple[int, str] | None:
    app = screen.app
    types = [(t.key, shown(t.shown_singular)) for t in objects.all_types()]
    type_key = await app.push_screen_wait(ChoiceDialog(_("A record of which object?"), types))
    if type_key is None:
        return None
    title = {
        "associate": _("Associate them with"),
        "add-labels": _("Add labels to their association with"),
        "remove-labels": _("Remove labels from their association with"),
    }[action]
    record_id = await app.push_screen_wait(PickRecordDialog(title, type_key))
    return None if record_id is None else (record_id, type_key)


async def _pick_labels(
    screen: IndexScreen, type_key: str, target_type: str, target_id: int, action: str
) -> list[str] | None:
    """Words of "each ticked record is the target's WORD"; none is fine to associate."""
    choices = await in_thread(
        screen,
        lambda: label_choices(type_key, target_type, labels.pair_labels(type_key, target_type)),
    )
    target_name = await in_thread(screen, lambda: records.get(target_id).label)
    if not choices and action == "associate":
        return []
    title = _("Labels of their association with {name}").format(name=target_name)
    words = await screen.app.push_screen_wait(
        EditLabelsDialog(title, type_key, target_type, choices, ())
    )
    if words is not None and not words and action != "associate":
        screen.notify(_("Tick at least one label"), severity="warning")
        return None
    return words


async def _report(screen: IndexScreen, result: BulkResult, title: str) -> bool:
    refused = result.refused
    names = await in_thread(
        screen,
        lambda: {
            rid: records.get(rid, include_deleted=True).label for rid, _w in refused[:REPORTED]
        },
    )
    lines = [
        ngettext("{n} changed", "{n} changed", len(result.done)).format(n=len(result.done)),
    ]
    if result.unchanged:
        lines.append(
            ngettext("{n} already so", "{n} already so", len(result.unchanged)).format(
                n=len(result.unchanged)
            )
        )
    if refused:
        lines.append(ngettext("{n} refused:", "{n} refused:", len(refused)).format(n=len(refused)))
        lines += [f"  {names.get(rid, str(rid))}: {why}" for rid, why in refused[:REPORTED]]
        if len(refused) > REPORTED:
            lines.append(_("  … and {n} more").format(n=len(refused) - REPORTED))
    await screen.app.push_screen_wait(
        MessageDialog(title, Content("\n").join(shown(line) for line in lines))
    )
    return bool(result.done)
