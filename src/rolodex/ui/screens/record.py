"""The record view: properties (left), activity timeline (middle), association sidebar (right).

Built once, from data read before the screen is pushed (crm.views.record_view), from
few widgets: the timeline and every sidebar card are two Line-API lists. Flows that
take several steps (remove a primary company, merge, log a note) are worker methods
that read top to bottom, awaiting their dialogs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Label, Static

from rolodex.crm import activities, associations, labels, lifecycle, objects, records, views
from rolodex.crm.associations import Associated
from rolodex.crm.context import user
from rolodex.crm.errors import Conflict, Deleted, NeedsNewPrimary, NotFound, RolodexError
from rolodex.crm.records import RecordView
from rolodex.crm.views import RecordData
from rolodex.i18n import _
from rolodex.ui.base import FLOW, RolodexScreen, ask, connected, flow, in_thread, journaled
from rolodex.ui.messages import DataChanged, OpenRecord
from rolodex.ui.modals.common import ChoiceDialog, ConfirmDialog
from rolodex.ui.text import shorten, shown, single_line, template, value
from rolodex.ui.widgets.cards import CardList, CardRef, ItemAction, card_items, item_lines
from rolodex.ui.widgets.footer import KeyFooter
from rolodex.ui.widgets.form import PropertyForm
from rolodex.ui.widgets.linelist import Item, LineList

LOGGABLE = (("note", "n"), ("email", "e"), ("call", "c"))


def activity_lines(activity: RecordView) -> tuple[Content, ...]:
    kind = objects.by_key(activity.type).shown_singular
    stamp = activity.properties.get("timestamp", "").replace("T", " ")[:16]
    subject = activity.properties.get("subject", "")
    body = activity.properties.get("body", "")
    return (
        Content.assemble(value(kind, "b"), " ", value(stamp, "dim")),
        shown(shorten(subject or body or activity.ref, 200)),
    )


def timeline_items(data: RecordData) -> list[Item]:
    if not data.timeline:
        return [
            Item(
                "none",
                (shown(_("No activity yet: press n to log a note"), "dim"),),
                selectable=False,
                style="muted",
            )
        ]
    return [Item(str(a.id), activity_lines(a), data=a) for a in data.timeline]


class RecordLoaded(Message):
    def __init__(self, data: RecordData, focus: str | None = None) -> None:
        super().__init__()
        self.data = data
        self.focus = focus


class RecordGone(Message):
    """The record was deleted (or cannot be read) since the screen showed it."""

    def __init__(self, error: RolodexError) -> None:
        super().__init__()
        self.error = error


class MoreLoaded(Message):
    def __init__(self, type_key: str, items: list[Associated]) -> None:
        super().__init__()
        self.type_key = type_key
        self.items = items


class RecordScreen(RolodexScreen):
    WIDE = 100  # columns from which the three columns stand side by side
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE, "-wide")]
    AUTO_FOCUS = "#sidebar"  # focused once, when mounted: each focus change restyles
    BINDINGS = [
        Binding("escape", "back", _("Back"), id="record.back"),
        Binding("a", "add_association", _("Associate"), id="record.associate"),
        Binding("h", "history", _("History"), id="record.history"),
        Binding("g", "neighbourhood", _("Neighbourhood"), id="record.neighbourhood"),
        Binding("t", "tree", _("Hierarchy"), id="record.tree", show=False),
        Binding("n", "log('note')", _("Note"), id="record.log_note"),
        Binding("e", "log('email')", _("Email"), id="record.log_email", show=False),
        Binding("c", "log('call')", _("Call"), id="record.log_call", show=False),
        Binding("ctrl+s", "save", _("Save"), id="record.save"),
        Binding("y", "copy_ref", _("Copy REF"), id="record.copy_ref", show=False),
        Binding("m", "merge", _("Merge"), id="record.merge"),
        Binding("ctrl+d", "delete", _("Delete"), id="record.delete"),
        Binding("r", "reload", _("Reload"), id="record.reload", show=False),
    ]

    def __init__(self, data: RecordData) -> None:
        # Built with the breakpoint class Textual would give it on its first resize: the
        # class changing then would restyle every widget once more.
        super().__init__(classes="-wide" if self.app.size.width >= self.WIDE else "-narrow")
        self.record_id = data.record.id
        self.data = data
        self.gone: RolodexError | None = None

    def compose(self) -> ComposeResult:
        data = self.data
        yield Static(self._header(data), id="record-header")
        yield Static("", id="record-banner")
        with Horizontal(id="record-body"):
            # Side by side on a wide terminal, one above the other on a narrow one (CSS).
            with Horizontal(id="record-main"):
                with VerticalScroll(id="properties", classes="column"):
                    yield Label(_("Properties"), classes="column-title")
                    yield self._form(data)
                    yield Button(_("Save"), id="save", variant="primary", compact=True)
                with Vertical(id="activity", classes="column"):
                    yield Label(_("Activity"), classes="column-title")
                    with Horizontal(classes="log-buttons"):
                        yield Button(_("Note"), id="log-note", compact=True)
                        yield Button(_("Email"), id="log-email", compact=True)
                        yield Button(_("Call"), id="log-call", compact=True)
                    yield LineList(timeline_items(data), id="timeline", highlight_first=False)
            yield CardList(self._card_items(data), id="sidebar", classes="column")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = self.data.record.ref
        self._focus_card(self._first_card())
        self.mark_ready()

    # ------------------------------------------------------------------ showing

    @staticmethod
    def _header(data: RecordData) -> Content:
        return template(
            "[b]$name[/b]  [dim]$type · $ref$primary[/dim]",
            name=single_line(data.record.label),
            type=data.info.shown_singular,
            ref=data.record.ref,
            primary=(
                " · " + _("Primary company: {name}").format(name=data.primary_company)
                if data.primary_company
                else ""
            ),
        )

    @staticmethod
    def _form(data: RecordData) -> PropertyForm:
        return PropertyForm(data.info, data.record.properties, id="record-form", placeholders=False)

    @staticmethod
    def _card_items(data: RecordData) -> list[Item]:
        return card_items(data.card_types, data.counts, data.cards)

    def _first_card(self) -> str:
        for t in self.data.card_types:
            if self.data.counts.get(t.key):
                return t.key
        return self.data.card_types[0].key if self.data.card_types else "contact"

    def _focus_card(self, type_key: str) -> None:
        cards = self.query_one(CardList)
        keys = [i.key for i in cards.items]
        for key in (f"item:{type_key}:", f"head:{type_key}"):
            index = next((n for n, k in enumerate(keys) if k.startswith(key)), None)
            if index is not None:
                cards.cursor = index
                return

    # ------------------------------------------------------------------ loading

    @work(thread=True, exclusive=True, group="record-load", exit_on_error=False)
    def reload(self, focus: str | None = None) -> None:
        record_id = self.record_id
        try:
            data = connected(lambda: views.record_view(record_id))
        except (NotFound, Deleted) as exc:
            self.post_message(RecordGone(exc))
            return
        self.post_message(RecordLoaded(data, focus))

    def refresh_from_database(self) -> None:
        """Someone committed a change: show it. Never while the form holds unsaved edits
        (they would be lost; saving then meets the version check)."""
        if self.query_one(PropertyForm).changes():
            return
        self.reload()

    def action_reload(self) -> None:
        self.reload()

    @on(RecordLoaded)
    async def record_loaded(self, message: RecordLoaded) -> None:
        data = message.data
        self._show_gone(None)
        if data == self.data and message.focus is None:
            return
        merged = data.record.id != self.record_id
        self.data = data
        self.record_id = data.record.id
        self.sub_title = data.record.ref
        self.query_one("#record-header", Static).update(self._header(data))
        form = self.query_one(PropertyForm)
        if form.info.key == data.info.key and not merged:
            form.reset(data.record.properties)
        else:
            await form.remove()
            await self.query_one("#properties").mount(self._form(data), before="#save")
        self.query_one("#timeline", LineList).set_items(timeline_items(data))
        self.query_one(CardList).set_items(self._card_items(data))
        if message.focus:
            self._focus_card(message.focus)
        if merged:
            self.notify(
                shown(_("This record was merged into {ref}").format(ref=data.record.ref)).plain
            )

    @on(RecordGone)
    def record_gone(self, message: RecordGone) -> None:
        self._show_gone(message.error)

    def _show_gone(self, error: RolodexError | None) -> None:
        self.gone = error
        banner = self.query_one("#record-banner", Static)
        banner.display = error is not None
        if error is not None:
            banner.update(
                shown(
                    _(
                        "Someone else deleted this record ({reason}). It is in the recycle bin "
                        "(F3) for 90 days; Esc goes back."
                    ).format(reason=str(error))
                )
            )

    # ------------------------------------------------------------------ properties

    def action_save(self) -> None:
        changes = self.query_one(PropertyForm).changes()
        if not changes:
            self.notify(_("Nothing to save"))
            return
        self.save(changes, self.data.record.version)

    @on(Button.Pressed, "#save")
    def save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @flow("record-save")
    async def save(self, changes: dict[str, str], version: int) -> None:
        record_id = self.record_id
        while True:
            try:
                view = await in_thread(
                    self, partial(records.update, record_id, changes, expected_version=version)
                )
            except Conflict as conflict:
                from rolodex.ui.modals.record_dialogs import ConflictDialog

                fields = {p.key: p.label for p in self.data.info.properties}
                choice = await self.app.push_screen_wait(
                    ConflictDialog(fields, changes, conflict.current)
                )
                if choice == "mine":
                    version = conflict.current_version
                    continue
                if choice == "theirs":
                    self.reload()
                return
            except RolodexError as exc:
                self.notify(str(exc), severity="error")
                return
            self.notify(_("Saved {name}").format(name=view.label))
            self._written()
            return

    def _written(self, focus: str | None = None) -> None:
        self.post_message(DataChanged())
        self.reload(focus)

    # ------------------------------------------------------------------ timeline

    @on(Button.Pressed, ".log-buttons Button")
    def log_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_log((event.button.id or "log-note").removeprefix("log-"))

    def action_log(self, activity: str) -> None:
        from rolodex.ui.modals.record_dialogs import LogActivityDialog

        label = objects.by_key(activity).shown_singular
        answer = ask(self.app, LogActivityDialog(activity, label, self.data.record.label))
        self._log(activity, label, answer)

    @flow("record-flow")
    async def _log(self, activity: str, label: str, answer: Awaitable[dict | None]) -> None:
        values = await answer
        if not values:
            return
        clean = {k: v for k, v in values.items() if v.strip()}
        record_id = self.record_id
        if await self._attempt(lambda: activities.log(record_id, activity, clean, user())):
            self.notify(_("Logged {activity}").format(activity=label.lower()))
            self._written()
            self.query_one("#timeline", LineList).focus()

    @on(LineList.Selected, "#timeline")
    def activity_selected(self, event: LineList.Selected) -> None:
        event.stop()
        activity = event.item.data
        if isinstance(activity, RecordView):
            self.activity_menu(activity)

    @flow("record-flow")
    async def activity_menu(self, activity: RecordView) -> None:
        options = [
            ("associate", _("Associate this activity with…")),
            ("open", _("Open this activity")),
        ]
        choice = await self.app.push_screen_wait(
            ChoiceDialog(Content("\n").join(activity_lines(activity)), options)
        )
        if choice == "open":
            self.post_message(OpenRecord(activity.id))
        elif choice == "associate":
            type_key = await self._pick_object(
                _("Associate {name} with…").format(name=activity.label)
            )
            if type_key:
                await self._associate(activity, type_key)

    async def _pick_object(self, title: str) -> str | None:
        options = [(t.key, shown(t.shown_plural)) for t in self.data.card_types]
        return await self.app.push_screen_wait(ChoiceDialog(title, options))

    # ------------------------------------------------------------------ sidebar

    def action_add_association(self) -> None:
        cards = self.query_one(CardList)
        ref = cards.current() if self.focused is cards else None
        if ref is None:
            self._pick_and_associate()
        else:
            self._after_associate(
                self.data.record, ref.type_key, self._open_associate(ref.type_key)
            )

    def _open_associate(
        self, type_key: str, source: RecordView | None = None
    ) -> Awaitable[int | None]:
        from rolodex.ui.modals.associate import AssociateDialog

        return ask(self.app, AssociateDialog(source or self.data.record, type_key))

    @flow("record-flow")
    async def _pick_and_associate(self) -> None:
        type_key = await self._pick_object(
            _("Associate {name} with…").format(name=self.data.record.label)
        )
        if type_key:
            await self._associate(self.data.record, type_key)

    @flow("record-flow")
    async def _after_associate(
        self, source: RecordView, type_key: str, answer: Awaitable[int | None]
    ) -> None:
        if await answer:
            self._written(focus=type_key if source.id == self.record_id else None)

    async def _associate(self, source: RecordView, type_key: str) -> None:
        if await self._open_associate(type_key, source):
            self._written(focus=type_key if source.id == self.record_id else None)

    @on(LineList.Selected, "#sidebar")
    def card_selected(self, event: LineList.Selected) -> None:
        event.stop()
        ref = event.item.data
        if not isinstance(ref, CardRef):
            return
        if ref.kind == "head":
            self._after_associate(
                self.data.record, ref.type_key, self._open_associate(ref.type_key)
            )
        elif ref.kind == "more":
            self._load_more(ref.type_key, views.next_before(self.data.cards.get(ref.type_key, [])))
        elif ref.kind == "item" and ref.item is not None:
            self._item_chosen(ref.item, ask(self.app, self._item_menu_dialog(ref.item)))

    @on(ItemAction)
    def item_key(self, event: ItemAction) -> None:
        event.stop()
        item = event.ref.item
        if item is None:
            return
        if event.what == "open":
            self.post_message(OpenRecord(item.other_id))
        elif event.what == "primary":
            self.run_worker(
                self._toggle_primary(item), group="record-flow", exclusive=True, name=FLOW
            )
        elif event.what == "labels":
            self.run_worker(self._edit_labels(item), group="record-flow", exclusive=True, name=FLOW)
        elif event.what == "remove":
            self.run_worker(self._remove(item), group="record-flow", exclusive=True, name=FLOW)

    @work(thread=True, group="record-more", exit_on_error=False)
    def _load_more(self, type_key: str, before: int | None) -> None:
        record_id = self.record_id
        items = connected(
            lambda: associations.page(record_id, type_key, limit=views.CARD_PAGE, before=before)
        )
        self.post_message(MoreLoaded(type_key, items))

    @on(MoreLoaded)
    def more_loaded(self, message: MoreLoaded) -> None:
        shown_items = self.data.cards.setdefault(message.type_key, [])
        known = {i.other_id for i in shown_items}
        shown_items += [i for i in message.items if i.other_id not in known]
        self.query_one(CardList).set_items(self._card_items(self.data))

    def _item_menu_dialog(self, item: Associated) -> ChoiceDialog:
        record, info = self.data.record, self.data.info
        other_info = objects.by_key(item.other_type)
        name = single_line(item.other_name) or item.other_ref
        options: list[tuple[str, str | Content]] = [("open", _("Open {name}").format(name=name))]
        if item.other_type == objects.COMPANY and info.has_primary_company:
            if item.primary:
                options.append(("primary", _("Remove as primary")))
            else:
                options.append(("primary", _("Set as primary")))
        elif (
            info.key == objects.COMPANY
            and other_info.has_primary_company
            and not item.primary_of_other
        ):
            options.append(
                (
                    "primary-of-other",
                    _("Make {company} the primary company of {name}").format(
                        company=record.label, name=name
                    ),
                )
            )
        options += [
            ("labels", _("Edit labels")),
            ("remove", _("Remove association")),
            ("history", _("Association history")),
        ]
        return ChoiceDialog(Content("\n").join(item_lines(item)), options, message=item.other_ref)

    @flow("record-flow")
    async def _item_chosen(self, item: Associated, answer: Awaitable[str | None]) -> None:
        record = self.data.record
        name = single_line(item.other_name) or item.other_ref
        choice = await answer
        if choice == "open":
            self.post_message(OpenRecord(item.other_id))
        elif choice == "primary":
            await self._toggle_primary(item)
        elif choice == "primary-of-other":
            if await self._attempt(
                lambda: associations.set_primary(item.other_id, record.id, journaled(self, user()))
            ):
                self.notify(_("Primary company set"))
                self._written(item.other_type)
        elif choice == "labels":
            await self._edit_labels(item)
        elif choice == "remove":
            await self._remove(item)
        elif choice == "history":
            from rolodex.ui.screens.history import PairHistoryDialog

            await self.app.push_screen_wait(PairHistoryDialog(record.id, item.other_id, name))

    async def _attempt(self, write: Callable[[], Any]) -> bool:
        """Run a write; a refusal is shown and False returned."""
        try:
            await in_thread(self, write)
        except RolodexError as exc:
            self.notify(str(exc), severity="error")
            return False
        return True

    async def _toggle_primary(self, item: Associated) -> None:
        record_id = self.record_id
        if item.other_type != objects.COMPANY or not self.data.info.has_primary_company:
            self.notify(_("Only a company can be a primary"), severity="warning")
            return
        if not item.primary:
            if await self._attempt(
                lambda: associations.set_primary(record_id, item.other_id, journaled(self, user()))
            ):
                self.notify(_("Primary company set"))
                self._written(objects.COMPANY)
            return
        others = await in_thread(
            self,
            lambda: [
                a.other_id
                for a in associations.page(record_id, objects.COMPANY, limit=10_000)
                if a.other_id != item.other_id
            ],
        )
        if not others:
            self.notify(
                _(
                    "This is the only company: associate another company first, "
                    "or remove the association"
                ),
                severity="warning",
            )
            return
        new = await self._choose_company(_("Choose the new primary company"), others)
        if new is not None and await self._attempt(
            lambda: associations.remove_primary(
                record_id, item.other_id, journaled(self, user()), new_primary=new
            )
        ):
            self.notify(_("Primary company changed"))
            self._written(objects.COMPANY)

    async def _choose_company(
        self, title: str, candidates: list[int], message: str | None = None
    ) -> int | None:
        found = await in_thread(self, lambda: records.get_many(candidates))
        options = [
            (str(cid), f"{found[cid].label} · {found[cid].ref}")
            for cid in candidates
            if cid in found
        ]
        choice = await self.app.push_screen_wait(ChoiceDialog(title, options, message=message))
        return int(choice) if choice else None

    async def _remove(self, item: Associated) -> None:
        name = item.other_name or item.other_ref
        confirmed = await self.app.push_screen_wait(
            ConfirmDialog(
                _("Remove association"),
                _("Remove the association between {a} and {b}?").format(
                    a=self.data.record.label, b=name
                ),
                _("Remove"),
            )
        )
        if not confirmed:
            return
        record_id = self.record_id
        new_primary: int | None = None
        while True:
            try:
                await in_thread(
                    self,
                    partial(
                        associations.dissociate,
                        record_id,
                        item.other_id,
                        journaled(self, user()),
                        new_primary=new_primary,
                    ),
                )
            except NeedsNewPrimary as needs:
                new_primary = await self._choose_company(
                    _("Choose the new primary company"), needs.candidates, message=str(needs)
                )
                if new_primary is None:
                    return
                continue
            except RolodexError as exc:
                self.notify(str(exc), severity="error")
                return
            break
        self.notify(_("Association removed"))
        self._written(item.other_type)

    async def _edit_labels(self, item: Associated) -> None:
        from rolodex.ui.modals.record_dialogs import EditLabelsDialog

        record = self.data.record
        choices = await in_thread(
            self,
            lambda: views.label_choices(
                record.type, item.other_type, labels.pair_labels(record.type, item.other_type)
            ),
        )
        title = _("Labels of {name}").format(name=item.other_name or item.other_ref)
        words = await self.app.push_screen_wait(
            EditLabelsDialog(title, record.type, item.other_type, choices, item.labels)
        )
        if words is None:
            return
        if await self._attempt(
            lambda: associations.set_labels(
                record.id, item.other_id, journaled(self, user()), words
            )
        ):
            self.notify(_("Labels saved"))
            self._written(item.other_type)

    # ------------------------------------------------------------------ other actions

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_history(self) -> None:
        from rolodex.ui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.data.record))

    def action_neighbourhood(self) -> None:
        from rolodex.ui.screens.neighbourhood import NeighbourhoodScreen

        self.app.push_screen(NeighbourhoodScreen(self.data.record))

    def action_tree(self) -> None:
        from rolodex.ui.screens.tree import TreeScreen

        self.app.push_screen(TreeScreen(self.data.record))

    def action_copy_ref(self) -> None:
        self.app.copy_to_clipboard(self.data.record.ref)
        self.notify(_("Copied {ref}").format(ref=self.data.record.ref))

    def action_merge(self) -> None:
        from rolodex.ui.modals.record_dialogs import PickRecordDialog

        record = self.data.record
        title = _("Merge another {object} into this one").format(
            object=self.data.info.shown_singular.lower()
        )
        self._merge(ask(self.app, PickRecordDialog(title, record.type, exclude=record.id)))

    @flow("record-flow")
    async def _merge(self, picked: Awaitable[int | None]) -> None:
        from rolodex.ui.modals.record_dialogs import MergePreviewDialog

        record = self.data.record
        other = await picked
        if other is None:
            return
        confirmed = await self.app.push_screen_wait(MergePreviewDialog(record, other))
        if not confirmed:
            return
        if await self._attempt(lambda: lifecycle.merge(record.id, other, user())):
            self.notify(_("Records merged"))
            self._written(record.type)

    def action_delete(self) -> None:
        record = self.data.record
        dialog = ConfirmDialog(
            _("Delete record"),
            _(
                "Move {name} to the recycle bin? Its associations are removed and come "
                "back if you restore it within 90 days."
            ).format(name=record.label),
            _("Delete"),
        )
        self._delete(ask(self.app, dialog))

    @flow("record-flow")
    async def _delete(self, answer: Awaitable[bool | None]) -> None:
        record = self.data.record
        confirmed = await answer
        if not confirmed:
            return
        if await self._attempt(lambda: lifecycle.delete(record.id, user())):
            self.notify(_("{name} moved to the recycle bin").format(name=record.label))
            self.post_message(DataChanged())
            self.app.pop_screen()
