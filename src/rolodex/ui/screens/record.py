"""The record view: properties (left), activity timeline (middle), association sidebar (right)."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from rolodex.crm import activities, associations, index, lifecycle, objects, records
from rolodex.crm import labels as labels_mod
from rolodex.crm.associations import Associated
from rolodex.crm.context import user
from rolodex.crm.errors import Conflict, NeedsNewPrimary, RolodexError
from rolodex.crm.objects import ObjectInfo
from rolodex.crm.records import RecordView
from rolodex.i18n import _
from rolodex.ui.db import run_db
from rolodex.ui.labelpick import label_choices
from rolodex.ui.modals.associate import AssociateDialog
from rolodex.ui.modals.common import ChoiceDialog, ConfirmDialog
from rolodex.ui.modals.record_dialogs import (
    ConflictDialog,
    EditLabelsDialog,
    LogActivityDialog,
    PickRecordDialog,
    merge_hint,
)
from rolodex.ui.text import plain, shorten, visible
from rolodex.ui.widgets.footer import Footer
from rolodex.ui.widgets.form import PropertyForm

CARD_PAGE = associations.PAGE
LOGGABLE = (("note", "n"), ("email", "e"), ("call", "c"))


@dataclass
class RecordData:
    record: RecordView
    info: ObjectInfo
    counts: dict[str, int]
    cards: dict[str, list[Associated]]
    timeline: list[RecordView]
    primary_company: str | None
    card_types: list[ObjectInfo] = field(default_factory=list)


def load_record(record_id: int) -> RecordData:
    record = records.get(record_id)
    info = objects.by_key(record.type)
    card_types = index.index_types()
    counts, cards = associations.sidebar(record.id, [t.key for t in card_types], limit=CARD_PAGE)
    primary = None
    if info.has_primary_company:
        company = associations.primary_company(record.id)
        if company is not None:
            primary = records.get(company, include_deleted=True).label
    return RecordData(
        record,
        info,
        counts,
        cards,
        activities.timeline(record.id),
        primary,
        card_types,
    )


def next_before(items: list[Associated]) -> int | None:
    """The keyset cursor after a card's items (the primary, shown first, may be out of order)."""
    ids = [i.association_id for i in items if not i.primary] or [i.association_id for i in items]
    return min(ids) if ids else None


def item_prompt(item: Associated) -> Content:
    name = shorten(item.other_name, 40) or item.other_ref
    badge = " " + _("Primary") + " " if item.primary else ""
    labels = ", ".join(visible(w) for w in item.labels)
    if labels:
        return Content.from_markup(
            "$name [reverse b]$badge[/]\n[dim]$labels[/dim]",
            name=name,
            badge=badge,
            labels=labels,
        )
    return Content.from_markup("$name [reverse b]$badge[/]", name=name, badge=badge)


def activity_prompt(activity: RecordView) -> Content:
    kind = objects.by_key(activity.type).shown_singular
    stamp = activity.properties.get("timestamp", "").replace("T", " ")[:16]
    subject = activity.properties.get("subject", "")
    body = activity.properties.get("body", "")
    return Content.from_markup(
        "[b]$kind[/b] [dim]$stamp[/dim]\n$subject",
        kind=kind,
        stamp=stamp,
        subject=shorten(subject or body or activity.ref, 200),
    )


class Card(Vertical):
    """One object's associations in the sidebar: title with count, Add, items, load more."""

    def __init__(self, info: ObjectInfo, count: int, items: list[Associated]) -> None:
        super().__init__(classes="card", id=f"card-{info.key}")
        self.info = info
        self.count = count
        self.items = list(items)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="card-head"):
            yield Label(self._title(), classes="card-title")
            yield Button(_("Add"), id=f"add-{self.info.key}", classes="card-add", compact=True)
        yield OptionList(*self._options(), id=f"items-{self.info.key}", classes="card-items")

    def _title(self) -> Content:
        return plain(f"{self.info.shown_plural} ({self.count})")

    def _options(self) -> list[Option]:
        options = [Option(item_prompt(item), id=f"a{item.other_id}") for item in self.items]
        if not self.items:
            options.append(
                Option(
                    plain(_("No {plural} yet").format(plural=self.info.shown_plural.lower())),
                    id="none",
                    disabled=True,
                )
            )
        elif len(self.items) < self.count:
            options.append(
                Option(
                    plain(_("Load more ({n} more)").format(n=self.count - len(self.items))),
                    id="more",
                )
            )
        return options

    def show(self, count: int, items: list[Associated]) -> None:
        """New contents in place: remounting a card costs far more than refilling it."""
        self.count = count
        self.items = list(items)
        self.query_one(".card-title", Label).update(self._title())
        self._refill()

    def extend(self, items: list[Associated]) -> None:
        known = {i.other_id for i in self.items}
        self.items += [i for i in items if i.other_id not in known]
        self._refill()

    def _refill(self) -> None:
        option_list = self.query_one(OptionList)
        highlighted = option_list.highlighted
        option_list.set_options(self._options())
        if highlighted is not None:
            option_list.highlighted = min(highlighted, option_list.option_count - 1)

    def item(self, other_id: int) -> Associated | None:
        return next((i for i in self.items if i.other_id == other_id), None)


class RecordScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", _("Back"), id="record.back"),
        Binding("a", "add_association", _("Associate"), id="record.associate"),
        Binding("h", "history", _("History"), id="record.history"),
        Binding("g", "neighbourhood", _("Neighbourhood"), id="record.neighbourhood"),
        Binding("n", "log('note')", _("Note"), id="record.log_note"),
        Binding("e", "log('email')", _("Email"), id="record.log_email", show=False),
        Binding("c", "log('call')", _("Call"), id="record.log_call", show=False),
        Binding("ctrl+s", "save", _("Save"), id="record.save"),
        Binding("y", "copy_ref", _("Copy REF"), id="record.copy_ref", show=False),
        Binding("m", "merge", _("Merge"), id="record.merge", show=False),
        Binding("ctrl+d", "delete", _("Delete"), id="record.delete", show=False),
        Binding("r", "reload", _("Reload"), id="record.reload", show=False),
    ]

    def __init__(self, data: RecordData) -> None:
        super().__init__()
        self.record_id = data.record.id
        self.data = data

    def compose(self) -> ComposeResult:
        # Built once, with the data already read (the app reads it before pushing
        # the screen): a reload refills these widgets in place.
        data = self.data
        yield Static(self._header(data), id="record-header")
        with Horizontal(id="record-body"):
            with VerticalScroll(id="properties", classes="column"):
                yield Label(_("Properties"), classes="column-title")
                with Vertical(id="form-holder"):
                    yield self._form(data)
                yield Button(_("Save"), id="save", variant="primary", compact=True)
            with Vertical(id="activity", classes="column"):
                yield Label(_("Activity"), classes="column-title")
                with Horizontal(classes="log-buttons"):
                    yield Button(_("Note"), id="log-note", compact=True)
                    yield Button(_("Email"), id="log-email", compact=True)
                    yield Button(_("Call"), id="log-call", compact=True)
                yield OptionList(*self._timeline_options(data), id="timeline")
            with VerticalScroll(id="sidebar", classes="column"):
                yield from self._cards(data)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.data.record.ref
        # OptionList highlights its first option when built with options; the
        # timeline shows no highlight until it is used.
        self.query_one("#timeline", OptionList).highlighted = None
        self._focus(f"items-{self._first_card()}")

    # ------------------------------------------------------------------ showing

    @staticmethod
    def _header(data: RecordData) -> Content:
        return Content.from_markup(
            "[b]$name[/b]  [dim]$type · $ref$primary[/dim]",
            name=visible(data.record.label),
            type=data.info.shown_singular,
            ref=data.record.ref,
            primary=(
                " · " + _("Primary company: {name}").format(name=visible(data.primary_company))
                if data.primary_company
                else ""
            ),
        )

    @staticmethod
    def _form(data: RecordData) -> PropertyForm:
        return PropertyForm(data.info, data.record.properties, id="record-form", placeholders=False)

    @staticmethod
    def _timeline_options(data: RecordData) -> list[Option]:
        if not data.timeline:
            return [Option(_("No activity yet: press n to log a note"), id="none", disabled=True)]
        return [Option(activity_prompt(a), id=f"t{a.id}") for a in data.timeline]

    @staticmethod
    def _cards(data: RecordData) -> list[Card]:
        return [
            Card(t, data.counts.get(t.key, 0), data.cards.get(t.key, [])) for t in data.card_types
        ]

    # ------------------------------------------------------------------ loading

    def refresh_from_database(self) -> None:
        """Someone committed a change: show it if it touches this record.

        Not under an open dialog, and never while the property form holds unsaved
        edits (they would be lost; saving then meets the version check). The watcher
        also reports this app's own writes, already shown: an unchanged record stays.
        """
        if self.app.screen is not self:
            return
        if self.query_one(PropertyForm).changes():
            return
        record_id, shown = self.record_id, self.data

        def show(data: RecordData) -> Awaitable[None] | None:
            if data == shown or self.data is not shown:
                return None
            return self._show(data, None)

        run_db(self, lambda: load_record(record_id), show, group="record-refresh", exclusive=True)

    def reload(self, focus: str | None = None) -> None:
        record_id = self.record_id
        run_db(
            self,
            lambda: load_record(record_id),
            lambda data: self._show(data, focus),
            self._load_failed,
            group="record-load",
            exclusive=True,
        )

    def _load_failed(self, error: RolodexError) -> None:
        self.app.notify(str(error), severity="error", markup=False)
        self.app.pop_screen()

    async def _show(self, data: RecordData, focus: str | None) -> None:
        """Refill the screen with newly read data, keeping focus where it was."""
        self.data = data
        self.record_id = data.record.id
        self.sub_title = data.record.ref
        self.query_one("#record-header", Static).update(self._header(data))
        form = self.query_one(PropertyForm)
        if form.info.key == data.info.key:
            form.reset(data.record.properties)
        else:
            await form.remove()
            await self.query_one("#form-holder").mount(self._form(data))
        timeline = self.query_one("#timeline", OptionList)
        highlighted = timeline.highlighted
        timeline.set_options(self._timeline_options(data))
        if highlighted is not None:
            timeline.highlighted = min(highlighted, timeline.option_count - 1)
        sidebar = self.query_one("#sidebar", VerticalScroll)
        cards = list(sidebar.query_children(Card))
        if [c.info.key for c in cards] == [t.key for t in data.card_types]:
            for card in cards:
                card.show(data.counts.get(card.info.key, 0), data.cards.get(card.info.key, []))
        else:  # an object was added or removed meanwhile
            if self.focused is not None and sidebar in self.focused.ancestors:
                self.set_focus(None)
            await sidebar.remove_children()
            await sidebar.mount_all(self._cards(data))
        if focus:
            self._focus(focus)

    def _first_card(self) -> str:
        for t in self.data.card_types:
            if self.data.counts.get(t.key):
                return t.key
        return self.data.card_types[0].key if self.data.card_types else "contact"

    def _focus(self, widget_id: str) -> None:
        found = self.query(f"#{widget_id}")
        if found:
            # No scrolling on focus: the cards stay where the person left them (and
            # screenshots do not depend on when the layout settled).
            self.set_focus(found.first(), scroll_visible=False)

    def action_reload(self) -> None:
        self.reload()

    # ------------------------------------------------------------------ properties

    def action_save(self) -> None:
        form = self.query_one(PropertyForm)
        changes = form.changes()
        if not changes:
            self.app.notify(_("Nothing to save"))
            return
        self._save(changes, self.data.record.version)

    def _save(self, changes: dict[str, str], version: int) -> None:
        record_id = self.record_id

        def save() -> RecordView:
            return records.update(record_id, changes, expected_version=version)

        def saved(view: RecordView) -> None:
            self.app.notify(plain(_("Saved {name}").format(name=view.label)).plain, markup=False)
            self.reload()

        def failed(error: RolodexError) -> None:
            if isinstance(error, Conflict):
                self._conflict(changes, error)
            else:
                self.app.notify(str(error), severity="error", markup=False)

        run_db(self, save, saved, failed)

    def _conflict(self, changes: dict[str, str], error: Conflict) -> None:
        labels = {p.key: p.label for p in self.data.info.properties}

        def chosen(choice: str | None) -> None:
            if choice == "mine":
                self._save(changes, error.current_version)
            elif choice == "theirs":
                self.reload()

        self.app.push_screen(ConflictDialog(labels, changes, error.current), chosen)

    @on(Button.Pressed, "#save")
    def save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    # ------------------------------------------------------------------ timeline

    @on(Button.Pressed, ".log-buttons Button")
    def log_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_log((event.button.id or "log-note").removeprefix("log-"))

    def action_log(self, activity: str) -> None:
        label = objects.by_key(activity).shown_singular
        record_id = self.record_id

        def logged(values: dict[str, str] | None) -> None:
            if not values:
                return
            clean = {k: v for k, v in values.items() if v.strip()}

            def save() -> RecordView:
                return activities.log(record_id, activity, clean, user())

            def done(view: RecordView) -> None:
                self.app.notify(_("Logged {activity}").format(activity=label.lower()))
                self.reload(focus="timeline")

            run_db(self, save, done)

        self.app.push_screen(LogActivityDialog(activity, label, self.data.record.label), logged)

    @on(OptionList.OptionSelected, "#timeline")
    def activity_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if not event.option_id or not event.option_id.startswith("t"):
            return
        activity_id = int(event.option_id[1:])
        activity = next((a for a in self.data.timeline if a.id == activity_id), None)
        if activity is None:
            return
        options = [
            ("associate", _("Associate this activity with…")),
            ("open", _("Open this activity")),
        ]

        def chosen(choice: str | None) -> None:
            if choice == "open":
                self.app.open_record(activity_id)  # type: ignore[attr-defined]
            elif choice == "associate":
                self._pick_object(activity)

        self.app.push_screen(ChoiceDialog(activity_prompt(activity), options), chosen)

    def _pick_object(self, source: RecordView) -> None:
        options = [(t.key, plain(t.shown_plural)) for t in self.data.card_types]

        def chosen(type_key: str | None) -> None:
            if type_key:
                self._associate(source, type_key)

        self.app.push_screen(
            ChoiceDialog(plain(_("Associate {name} with…").format(name=source.label)), options),
            chosen,
        )

    # ------------------------------------------------------------------ sidebar

    def action_add_association(self) -> None:
        focused = self.focused
        card = None
        while focused is not None:
            if isinstance(focused, Card):
                card = focused
                break
            focused = focused.parent  # type: ignore[assignment]
        if card is not None:
            self._associate(self.data.record, card.info.key)
        else:
            self._pick_object(self.data.record)

    @on(Button.Pressed, ".card-add")
    def add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id:
            self._associate(self.data.record, event.button.id.removeprefix("add-"))

    def _associate(self, source: RecordView, type_key: str) -> None:
        def closed(linked: int | None) -> None:
            if linked:
                self.reload(focus=f"items-{type_key}" if source.id == self.record_id else None)

        self.app.push_screen(AssociateDialog(source, type_key), closed)

    @on(OptionList.OptionSelected, ".card-items")
    def item_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        card = event.option_list.parent
        if not isinstance(card, Card) or not event.option_id:
            return
        if event.option_id == "more":
            self._load_more(card)
            return
        if not event.option_id.startswith("a"):
            return
        item = card.item(int(event.option_id[1:]))
        if item is not None:
            self._item_menu(item)

    def _load_more(self, card: Card) -> None:
        record_id, type_key = self.record_id, card.info.key
        before = next_before(card.items)

        def more() -> list[Associated]:
            return associations.page(record_id, type_key, limit=CARD_PAGE, before=before)

        run_db(self, more, card.extend)

    def _item_menu(self, item: Associated) -> None:
        record, info = self.data.record, self.data.info
        other_info = objects.by_key(item.other_type)
        name = visible(item.other_name) or item.other_ref
        options: list[tuple[str, str | Content]] = [
            ("open", plain(_("Open {name}").format(name=name)))
        ]
        if item.other_type == objects.COMPANY and info.has_primary_company:
            if item.primary:
                options.append(("unprimary", _("Remove as primary")))
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
                    plain(
                        _("Make {company} the primary company of {name}").format(
                            company=visible(record.label), name=name
                        )
                    ),
                )
            )
        options += [
            ("labels", _("Edit labels")),
            ("remove", _("Remove association")),
            ("history", _("Association history")),
        ]

        def chosen(choice: str | None) -> None:
            if choice == "open":
                self.app.open_record(item.other_id)  # type: ignore[attr-defined]
            elif choice == "primary":
                self._write(
                    lambda: associations.set_primary(record.id, item.other_id, user()),
                    _("Primary company set"),
                    item.other_type,
                )
            elif choice == "primary-of-other":
                self._write(
                    lambda: associations.set_primary(item.other_id, record.id, user()),
                    _("Primary company set"),
                    item.other_type,
                )
            elif choice == "unprimary":
                self._remove_primary(item)
            elif choice == "labels":
                self._edit_labels(item)
            elif choice == "remove":
                self._remove(item)
            elif choice == "history":
                from rolodex.ui.screens.history import PairHistoryDialog

                self.app.push_screen(PairHistoryDialog(record.id, item.other_id, name))

        self.app.push_screen(
            ChoiceDialog(
                item_prompt(item),
                options,
                message=plain(item.other_ref),
            ),
            chosen,
        )

    def _write(self, fn, message: str, type_key: str) -> None:  # type: ignore[no-untyped-def]
        def done(_result: object) -> None:
            self.app.notify(message)
            self.reload(focus=f"items-{type_key}")

        run_db(self, fn, done)

    def _choose_company(
        self,
        title: str,
        candidates: list[int],
        then,
        message: str | None = None,  # type: ignore[no-untyped-def]
    ) -> None:
        def names() -> dict[int, RecordView]:
            return records.get_many(candidates)

        def ask(views: dict[int, RecordView]) -> None:
            options = [
                (
                    str(cid),
                    plain(f"{views[cid].label} · {views[cid].ref}"),
                )
                for cid in candidates
                if cid in views
            ]
            self.app.push_screen(
                ChoiceDialog(plain(title), options, message=plain(message) if message else None),
                lambda choice: then(int(choice)) if choice else None,
            )

        run_db(self, names, ask)

    def _remove_primary(self, item: Associated) -> None:
        record_id = self.record_id

        def others() -> list[int]:
            return [
                a.other_id
                for a in associations.page(record_id, objects.COMPANY, limit=10_000)
                if a.other_id != item.other_id
            ]

        def ask(candidates: list[int]) -> None:
            if not candidates:
                self.app.notify(
                    _(
                        "This is the only company: associate another company first, "
                        "or remove the association"
                    ),
                    severity="warning",
                )
                return
            self._choose_company(
                _("Choose the new primary company"),
                candidates,
                lambda new: self._write(
                    lambda: associations.remove_primary(
                        record_id, item.other_id, user(), new_primary=new
                    ),
                    _("Primary company changed"),
                    objects.COMPANY,
                ),
            )

        run_db(self, others, ask)

    def _remove(self, item: Associated) -> None:
        name = visible(item.other_name) or item.other_ref

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._dissociate(item, None)

        self.app.push_screen(
            ConfirmDialog(
                _("Remove association"),
                plain(
                    _("Remove the association between {a} and {b}?").format(
                        a=visible(self.data.record.label), b=name
                    )
                ),
                _("Remove"),
            ),
            confirmed,
        )

    def _dissociate(self, item: Associated, new_primary: int | None) -> None:
        record_id = self.record_id

        def failed(error: RolodexError) -> None:
            if isinstance(error, NeedsNewPrimary):
                self._choose_company(
                    _("Choose the new primary company"),
                    error.candidates,
                    lambda new: self._dissociate(item, new),
                    message=str(error),
                )
            else:
                self.app.notify(str(error), severity="error", markup=False)

        def done(_result: object) -> None:
            self.app.notify(_("Association removed"))
            self.reload(focus=f"items-{item.other_type}")

        run_db(
            self,
            lambda: associations.dissociate(
                record_id, item.other_id, user(), new_primary=new_primary
            ),
            done,
            failed,
        )

    def _edit_labels(self, item: Associated) -> None:
        record = self.data.record

        def load() -> list:
            return label_choices(
                record.type, item.other_type, labels_mod.list_labels(record.type, item.other_type)
            )

        def ask(choices: list) -> None:
            def chosen(words: list[str] | None) -> None:
                if words is None:
                    return
                self._write(
                    lambda: associations.set_labels(record.id, item.other_id, user(), words),
                    _("Labels saved"),
                    item.other_type,
                )

            title = _("Labels of {name}").format(name=visible(item.other_name) or item.other_ref)
            self.app.push_screen(EditLabelsDialog(title, choices, item.labels), chosen)

        run_db(self, load, ask)

    # ------------------------------------------------------------------ other actions

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_history(self) -> None:
        from rolodex.ui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.data.record))

    def action_neighbourhood(self) -> None:
        from rolodex.ui.screens.neighbourhood import NeighbourhoodScreen

        self.app.push_screen(NeighbourhoodScreen(self.data.record))

    def action_copy_ref(self) -> None:
        self.app.copy_to_clipboard(self.data.record.ref)
        self.app.notify(_("Copied {ref}").format(ref=self.data.record.ref))

    def action_merge(self) -> None:
        record = self.data.record
        title = _("Merge another {object} into this one").format(
            object=self.data.info.shown_singular.lower()
        )

        def picked(other: int | None) -> None:
            if other is None:
                return
            self._write(
                lambda: lifecycle.merge(record.id, other, user()),
                _("Records merged"),
                record.type,
            )

        self.app.push_screen(
            PickRecordDialog(title, record.type, exclude=record.id, hint=merge_hint(record)),
            picked,
        )

    def action_delete(self) -> None:
        record = self.data.record

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return

            def done(_view: object) -> None:
                self.app.notify(
                    visible(_("{name} moved to the recycle bin").format(name=record.label)),
                    markup=False,
                )
                self.app.pop_screen()
                self.app.refresh_index()  # type: ignore[attr-defined]

            run_db(self, lambda: lifecycle.delete(record.id, user()), done)

        self.app.push_screen(
            ConfirmDialog(
                _("Delete record"),
                plain(
                    _(
                        "Move {name} to the recycle bin? Its associations are removed and come "
                        "back if you restore it within 90 days."
                    ).format(name=record.label)
                ),
                _("Delete"),
            ),
            confirmed,
        )
