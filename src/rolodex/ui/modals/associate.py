"""The associate dialog: "Associate existing" and "Associate new", as in the article.

- Existing: search as you type; tick several records (Space); records already associated
  are listed apart and cannot be ticked; recommendations below, in the same list.
- New: a form; "Create" or "Create and add another".
- Both: a label picker (ctrl+n creates a label on the spot) and, for companies, which
  one becomes the record's primary company ("Set as X's primary company", replacing the
  current one).

Everything is written through crm/ in one transaction; the dialog returns how many
records it linked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static
from textual.worker import Worker

from rolodex.crm import associations, labels, objects, recommend, records, search
from rolodex.crm.context import user
from rolodex.crm.errors import RolodexError
from rolodex.crm.records import RecordView
from rolodex.crm.views import LabelChoice, label_choices
from rolodex.i18n import _, data_text, ngettext
from rolodex.ui.base import Dialog, connected, flow, in_thread, journaled
from rolodex.ui.modals.record_dialogs import choice_prompt, hit_lines
from rolodex.ui.text import shown, single_line
from rolodex.ui.widgets.footer import KeyFooter
from rolodex.ui.widgets.form import PropertyForm
from rolodex.ui.widgets.inputs import SafeInput
from rolodex.ui.widgets.linelist import Item
from rolodex.ui.widgets.picklist import PickList
from rolodex.ui.widgets.tabstrip import TabStrip

RESULTS = 30
ALREADY_SHOWN = 5  # records already associated that match, listed apart
NO_CHANGE = "keep"


@dataclass(frozen=True)
class Setup:
    labels: list[LabelChoice]
    recommendations: list[recommend.Recommendation]
    primary_name: str | None  # the source record's current primary company


class SearchDone(Message):
    def __init__(self, text: str, hits: list[search.Hit], associated: list[search.Hit]) -> None:
        super().__init__()
        self.text = text
        self.hits = hits
        self.associated = associated


def offers_primary(source: RecordView, target: objects.ObjectInfo) -> bool:
    """Only a company can become the record's primary company, of a record that has one."""
    return target.key == objects.COMPANY and objects.by_key(source.type).has_primary_company


def read_setup(source: RecordView, target: objects.ObjectInfo) -> Setup:
    choices = label_choices(source.type, target.key, labels.pair_labels(source.type, target.key))
    recs = recommend.recommend(source.id, target.key, limit=6)
    primary_name = None
    if offers_primary(source, target):
        current = associations.primary_company(source.id)
        if current is not None:
            primary_name = records.get(current, include_deleted=True).label
    return Setup(choices, recs, primary_name)


class Pane(VerticalScroll, can_focus=False):
    """A tab's scrolling body: not a focus stop of its own (Tab goes to its fields)."""


def _hit_prompt(hit: search.Hit | recommend.Recommendation, detail: str = "") -> Content:
    return hit_lines(hit.name, hit.ref, detail)[0]


def _note(key: str, text: str, style: str = "muted") -> Item:
    return Item(key, (shown(text),), selectable=False, style=style)


def result_items(
    hits: list[search.Hit],
    already: list[search.Hit],
    recommendations: list[recommend.Recommendation] | None,
) -> list[Item]:
    """The existing tab's one list: the matches, a note of those already associated,
    then the recommendations (None: not read yet)."""
    items = [Item(f"hit:{h.id}", (_hit_prompt(h, h.detail),), data=h.id) for h in hits]
    if already:
        names = ", ".join(single_line(h.name) or h.ref for h in already)
        items.append(
            _note(
                "already", _("Already associated (not listed above): {names}").format(names=names)
            )
        )
    if recommendations is None:
        return items
    items.append(_note("gap", ""))
    items.append(_note("recommended", _("Recommended"), style="heading"))
    items.extend(
        Item(
            f"rec:{r.id}",
            (_hit_prompt(r, ", ".join(data_text(reason) for reason in r.reasons)),),
            data=r.id,
        )
        for r in recommendations
    )
    if not recommendations:
        items.append(_note("no-recommendations", _("No recommendations")))
    return items


class AssociateDialog(Dialog[int]):
    """Associate ``source`` with records of ``target``; dismisses with how many were linked."""

    BINDINGS = [
        Binding("escape", "cancel", _("Close"), id="associate.close"),
        Binding("ctrl+s", "submit", _("Associate"), id="associate.submit"),
        Binding("ctrl+t", "switch_tab", _("Switch tab"), id="associate.tab"),
        Binding("ctrl+n", "new_label", _("New label"), id="associate.new_label"),
    ]

    def __init__(self, source: RecordView, target: str, *, start: str = "existing") -> None:
        super().__init__()
        self.source = source
        self.target = objects.by_key(target)
        self.start = start
        self.ticked: dict[int, str] = {}  # id -> name, in the order ticked
        self.names: dict[int, str] = {}  # id -> name of every record offered
        self.setup: Setup | None = None
        self.linked = 0
        # The keys the primary-company choice offers, per tab (the ticked companies...).
        self.primary_options: dict[str, list[str]] = {"existing": [NO_CHANGE], "new": [NO_CHANGE]}
        self.tabs_built: list[str] = ["existing"]
        self.found: tuple[list[search.Hit], list[search.Hit]] = ([], [])  # matches, linked
        self.may_offer_primary = offers_primary(source, self.target)  # else not even built
        # Read while the dialog is built: done by the time it mounts, it is shown in the
        # first frame (one layout, not a second one when it arrives).
        self.setup_read: Worker[Setup] = self.app.run_worker(
            partial(connected, partial(read_setup, source, self.target)),
            thread=True,
            group="associate-setup",
            exit_on_error=False,
        )

    def action_cancel(self) -> None:
        self.dismiss(self.linked)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        title = _("Associate {object} with {name}").format(
            object=self.target.shown_plural.lower(), name=self.source.label
        )
        with Vertical(classes="dialog-box wide"):
            yield Label(shown(title), classes="dialog-title")
            yield TabStrip(
                [("tab-existing", _("Associate existing")), ("tab-new", _("Associate new"))],
                f"tab-{self.start}",
                id="tabs",
            )
            with Pane(id="existing-pane", classes="tab-body"):
                yield SafeInput(placeholder=self._search_hint(), id="search", compact=True)
                yield PickList(id="results", classes="picklist results")
                yield Static("", id="ticked", classes="muted")
                yield from self._options("existing")
            # Built when first shown: half the dialog's widgets, which most uses of it
            # never show.
            with Pane(id="new-pane", classes="tab-body"):
                if self.start == "new":
                    self.tabs_built.append("new")
                    yield from self._new_tab()
            yield Static("", id="error", classes="error-line")
            with Horizontal(classes="dialog-buttons", id="buttons"):
                yield Button(_("Associate"), id="associate", variant="primary", compact=True)
                if self.start == "new":
                    yield from self._new_tab_buttons()
                yield Button(_("Cancel"), id="cancel", compact=True)
        yield KeyFooter()

    def _search_hint(self) -> str:
        plural = self.target.shown_plural.lower()
        if self.target.key == objects.CONTACT:
            return _("Search {object} by name or email").format(object=plural)
        if self.target.key == objects.COMPANY:
            return _("Search {object} by name or domain").format(object=plural)
        return _("Search {object} by name").format(object=plural)

    def _new_tab(self) -> ComposeResult:
        yield PropertyForm(self.target, id="new-form")
        yield from self._options("new")

    def _new_tab_buttons(self) -> ComposeResult:
        yield Button(_("Create"), id="create", variant="primary", compact=True)
        yield Button(_("Create and add another"), id="create-another", compact=True)

    async def _build_new_tab(self) -> None:
        if "new" in self.tabs_built:
            return
        self.tabs_built.append("new")
        await self.query_one("#new-pane").mount_compose(self._new_tab())
        await self.query_one("#buttons").mount(*self._new_tab_buttons(), before="#cancel")
        self._show_primary("new", self.setup is not None)
        if self.setup is not None:
            self._fill_labels("new", self.setup.labels)
        self._update_primary()

    def _options(self, tab: str) -> ComposeResult:
        yield Label(_("Association labels (ctrl+n: new label)"), classes="section-title")
        yield PickList(id=f"labels-{tab}", classes="picklist short")
        if not self.may_offer_primary:
            return
        yield Label(_("Primary company"), classes="section-title", id=f"primary-title-{tab}")
        yield Select[str](
            [(_("No primary change"), NO_CHANGE)],
            id=f"primary-{tab}",
            allow_blank=False,
            compact=True,
            classes="primary-pick",
        )

    def on_mount(self) -> None:
        for tab in self.tabs_built:
            self._show_primary(tab, False)
        self._show_tab()
        self._update_ticked()
        if self.setup_read.is_finished:
            self.show_setup(self.setup_read.result)
        else:
            self.wait_for_setup()

    @work(exclusive=True, group="associate-setup-wait", exit_on_error=False)
    async def wait_for_setup(self) -> None:
        self.show_setup(await self.setup_read.wait())

    def show_setup(self, setup: Setup | None) -> None:
        if setup is None:  # the read failed: the app reports it
            return
        self.setup = setup
        for tab in self.tabs_built:
            self._fill_labels(tab, setup.labels)
            self._show_primary(tab, True)
        self.names.update({r.id: r.name or r.ref for r in setup.recommendations})
        self._show_results()
        self._update_primary()
        self.mark_ready()

    def _fill_labels(
        self, tab: str, choices: list[LabelChoice], tick: frozenset[str] = frozenset()
    ) -> None:
        picker = self.query_one(f"#labels-{tab}", PickList)
        picker.ticked |= tick
        picker.set_items([Item(c.word, (choice_prompt(c),), data=c.word) for c in choices])

    # ------------------------------------------------------------------ tabs

    def _tab(self) -> str:
        return "new" if self.query_one(TabStrip).active == "tab-new" else "existing"

    async def action_switch_tab(self) -> None:
        await self._switch_to("existing" if self._tab() == "new" else "new")

    @on(TabStrip.Clicked)
    async def tab_clicked(self, event: TabStrip.Clicked) -> None:
        await self._switch_to(event.key.removeprefix("tab-"))

    async def _switch_to(self, tab: str) -> None:
        if tab == "new":
            await self._build_new_tab()
        self.query_one(TabStrip).active = f"tab-{tab}"
        self._show_tab()

    def _show_tab(self) -> None:
        """The active tab's body, buttons and focus; at once, into the visible tab."""
        new = self._tab() == "new"
        self.query_one("#existing-pane").display = not new
        self.query_one("#new-pane").display = new
        self.query_one("#associate").display = not new
        for button in self.query("#create, #create-another"):  # built with the new tab
            button.display = new
        if new:
            fields = list(self.query_one(PropertyForm).query("Input, TextArea"))
            if fields:
                self.set_focus(fields[0], scroll_visible=False)
                # The form from its top: the first field's label in view too.
                self.query_one("#new-pane").scroll_home(animate=False, immediate=True)
        else:
            self.set_focus(self.query_one("#search", Input))

    # ------------------------------------------------------------------ searching

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        self.find(event.value)

    @work(thread=True, exclusive=True, group="associate-search", exit_on_error=False)
    def find(self, text: str) -> None:
        source, target = self.source, self.target

        def read() -> tuple[list[search.Hit], list[search.Hit]]:
            # The first matches not associated yet, and a few that are (shown apart).
            fresh = search.search(
                text,
                [target.key],
                limit=RESULTS,
                exclude=[source.id],
                exclude_associated_with=source.id,
            )
            some = search.search(text, [target.key], limit=ALREADY_SHOWN * 4, exclude=[source.id])
            linked = associations.linked_among(source.id, [h.id for h in some])
            return fresh, [h for h in some if h.id in linked][:ALREADY_SHOWN]

        hits, already = connected(read)
        self.post_message(SearchDone(text, hits, already))

    @on(SearchDone)
    def search_done(self, message: SearchDone) -> None:
        self.names.update({h.id: h.name or h.ref for h in message.hits})
        self.found = (message.hits, message.associated)
        self._show_results()

    def _show_results(self) -> None:
        hits, already = self.found
        results = self.query_one("#results", PickList)
        results.ticked = set(self.ticked)
        recommendations = self.setup.recommendations if self.setup is not None else None
        results.set_items(result_items(hits, already, recommendations))

    @on(PickList.Toggled, "#results")
    def picked(self, event: PickList.Toggled) -> None:
        event.stop()
        record_id = event.item.data
        assert isinstance(record_id, int)
        if event.ticked:
            self.ticked[record_id] = self.names.get(record_id, str(record_id))
        else:
            self.ticked.pop(record_id, None)
        self._update_ticked()

    def _update_ticked(self) -> None:
        count = len(self.ticked)
        text = (
            ngettext("{n} selected", "{n} selected", count).format(n=count)
            if count
            else _("Tick records with Space or a click")
        )
        self.query_one("#ticked", Static).update(text)
        self._update_primary()

    def _update_primary(self) -> None:
        setup = self.setup
        if setup is None or not self.may_offer_primary:
            return
        current = setup.primary_name
        record = self.source.label
        keep = (
            _("Keep {company} as {name}'s primary company").format(company=current, name=record)
            if current
            else _("No primary change (the first company becomes primary)")
        )
        existing = [(shown(keep).plain, NO_CHANGE)] + [
            (
                (
                    _("Set {company} as {name}'s primary company (replaces {current})")
                    if current
                    else _("Set {company} as {name}'s primary company")
                ).format(company=single_line(name), name=record, current=current),
                str(rid),
            )
            for rid, name in self.ticked.items()
        ]
        new = [
            (shown(keep).plain, NO_CHANGE),
            (
                (
                    _("Set the new company as {name}'s primary company (replaces {current})")
                    if current
                    else _("Set the new company as {name}'s primary company")
                ).format(name=record, current=current),
                "new",
            ),
        ]
        for tab, options in (("existing", existing), ("new", new)):
            keys = [key for _text, key in options]
            self.primary_options[tab] = keys
            if tab not in self.tabs_built:
                continue
            select = self.query_one(f"#primary-{tab}", Select)
            value = select.value
            select.set_options([(single_line(text), key) for text, key in options])
            select.value = value if value in keys else NO_CHANGE
            select.mutate_reactive(Select.value)  # type: ignore[misc]  # the same value, new words

    # ------------------------------------------------------------------ labels

    @flow("associate-label")
    async def action_new_label(self) -> None:
        from rolodex.ui.screens.admin import NewLabelDialog

        source, target = self.source.type, self.target.key
        created = await self.app.push_screen_wait(NewLabelDialog(pair=(source, target)))
        if created is None:
            return
        choices = await in_thread(
            self, lambda: label_choices(source, target, labels.pair_labels(source, target))
        )
        if self.setup is not None:
            self.setup = replace(self.setup, labels=choices)
        fresh = {c.word for c in choices if c.label_id == created.id}
        for tab in self.tabs_built:
            self._fill_labels(tab, choices, frozenset(fresh) if tab == self._tab() else frozenset())

    # ------------------------------------------------------------------ saving

    def _labels(self, tab: str) -> list[str]:
        return [str(word) for word in self.query_one(f"#labels-{tab}", PickList).ticked_in_order]

    def _show_primary(self, tab: str, show: bool) -> None:
        for widget in self.query(f"#primary-{tab}, #primary-title-{tab}"):
            widget.display = show

    def _primary_choice(self, tab: str) -> str:
        if not self.may_offer_primary:
            return NO_CHANGE
        select = self.query_one(f"#primary-{tab}", Select)
        return str(select.value) if select.display else NO_CHANGE

    def _error(self, message: str) -> None:
        self.query_one("#error", Static).update(shown(message))

    def action_submit(self) -> None:
        if self._tab() == "new":
            self.create(another=False)
        else:
            self.associate_existing()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "cancel":
            self.dismiss(self.linked)
        elif event.button.id == "associate":
            self.associate_existing()
        elif event.button.id == "create":
            self.create(another=False)
        elif event.button.id == "create-another":
            self.create(another=True)

    @flow("associate-save")
    async def associate_existing(self) -> None:
        if not self.ticked:
            self._error(_("Tick at least one record to associate"))
            return
        ids = list(self.ticked)
        words = self._labels("existing")
        choice = self._primary_choice("existing")
        primary_id = int(choice) if choice.isdigit() else None
        source_id = self.source.id
        try:
            changes = await in_thread(
                self,
                lambda: associations.associate_many(
                    source_id, ids, journaled(self, user()), words, primary_id=primary_id
                ),
            )
        except RolodexError as exc:
            self._error(str(exc))
            return
        changed = sum(1 for c in changes if c.changed)
        self.linked += len(ids)
        self.notify(
            ngettext("Associated {n} record", "Associated {n} records", len(ids)).format(n=len(ids))
            if changed
            else _("Nothing changed")
        )
        self.dismiss(self.linked)

    @flow("associate-save")
    async def create(self, *, another: bool) -> None:
        form = self.query_one(PropertyForm)
        values = {k: v for k, v in form.values().items() if v.strip()}
        if not values:
            self._error(_("Fill in at least one property"))
            return
        words = self._labels("new")
        primary = self._primary_choice("new") == "new"
        source_id, target = self.source.id, self.target.key
        try:
            created = await in_thread(
                self,
                lambda: associations.create_and_associate(
                    source_id, target, values, user(), words, primary=primary
                ),
            )
        except RolodexError as exc:
            self._error(str(exc))
            return
        self.linked += 1
        self.notify(_("Created and associated {name}").format(name=created.label))
        if another:
            form.reset()
            form.focus_first()
            self._error("")
        else:
            self.dismiss(self.linked)
