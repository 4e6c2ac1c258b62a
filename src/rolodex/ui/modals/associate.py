"""The associate dialog: "Associate new" and "Associate existing" tabs.

Everything it writes goes through crm/ in one transaction: nothing is half-saved.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    SelectionList,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.selection_list import Selection

from rolodex.crm import associations, objects, recommend, records, search
from rolodex.crm import labels as labels_mod
from rolodex.crm.context import user
from rolodex.crm.errors import RolodexError
from rolodex.crm.records import RecordView
from rolodex.i18n import _, data_text
from rolodex.ui.db import run_db
from rolodex.ui.labelpick import LabelChoice, label_choices
from rolodex.ui.modals.common import Dialog
from rolodex.ui.text import plain, visible
from rolodex.ui.widgets.form import PropertyForm


@dataclass(frozen=True)
class Setup:
    labels: list[LabelChoice]
    recommendations: list[recommend.Recommendation]
    primary_name: str | None  # the source record's current primary company
    offers_primary: bool


def hit_prompt(name: str, ref: str, detail: str = "") -> Content:
    return Content.from_markup(
        "$name [dim]$detail$ref[/dim]",
        name=visible(name) or ref,
        detail=(visible(detail) + " · ") if detail else "",
        ref=ref,
    )


class AssociateDialog(Dialog):
    """Associate ``source`` with records of ``target``; dismisses with how many were linked."""

    BINDINGS = [
        Binding("escape", "cancel", _("Close"), id="associate.close"),
        Binding("ctrl+s", "submit", _("Associate"), id="associate.submit"),
        Binding("ctrl+t", "switch_tab", _("Switch tab"), id="associate.tab"),
    ]

    def __init__(self, source: RecordView, target: str, *, start: str = "existing") -> None:
        super().__init__()
        self.source = source
        self.target = objects.by_key(target)
        self.start = start
        self.ticked: dict[int, str] = {}  # id -> name, in the order ticked
        self.setup: Setup | None = None
        self.linked = 0

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        title = _("Associate {object} with {name}").format(
            object=self.target.shown_plural.lower(), name=visible(self.source.label)
        )
        with Vertical(classes="dialog-box wide"):
            yield Label(plain(title), classes="dialog-title")
            with TabbedContent(initial=f"tab-{self.start}", id="tabs"):
                with TabPane(_("Associate existing"), id="tab-existing"):
                    with VerticalScroll():
                        yield Input(
                            placeholder=_("Search {object} by name, email or domain").format(
                                object=self.target.shown_plural.lower()
                            ),
                            id="search",
                            compact=True,
                        )
                        yield SelectionList[int](id="results", classes="picklist")
                        yield Label(_("Recommended"), classes="section-title")
                        yield SelectionList[int](id="recommended", classes="picklist short")
                        yield Static(
                            _("No recommendations"), id="no-recommendations", classes="muted"
                        )
                        yield Static("", id="ticked", classes="muted")
                        yield from self._options("existing")
                    with Horizontal(classes="dialog-buttons"):
                        yield Button(
                            _("Associate"), id="associate", variant="primary", compact=True
                        )
                        yield Button(_("Cancel"), id="cancel", compact=True)
                with TabPane(_("Associate new"), id="tab-new"):
                    with VerticalScroll():
                        yield PropertyForm(self.target, id="new-form")
                        yield from self._options("new")
                    with Horizontal(classes="dialog-buttons"):
                        yield Button(_("Create"), id="create", variant="primary", compact=True)
                        yield Button(_("Create and add another"), id="create-another", compact=True)
                        yield Button(_("Cancel"), id="cancel-new", compact=True)
            yield Static("", id="error", classes="error-line")

    def _options(self, tab: str) -> ComposeResult:
        yield Label(_("Association labels"), classes="section-title", id=f"labels-title-{tab}")
        yield SelectionList[str](id=f"labels-{tab}", classes="picklist short")
        yield Checkbox(
            _("Set as primary"), id=f"primary-{tab}", classes="primary-box", compact=True
        )

    def on_mount(self) -> None:
        self.query_one("#no-recommendations").display = False
        for tab in ("existing", "new"):
            self.query_one(f"#primary-{tab}", Checkbox).display = False
            self.query_one(f"#labels-{tab}").display = False
            self.query_one(f"#labels-title-{tab}").display = False
        if self.start == "new":
            self.query_one(PropertyForm).focus_first()
        else:
            self.query_one("#search", Input).focus()
        source, target = self.source, self.target

        def load() -> Setup:
            choices = label_choices(
                source.type, target.key, labels_mod.list_labels(source.type, target.key)
            )
            recs = recommend.recommend(source.id, target.key, limit=6)
            offers = (
                target.key == objects.COMPANY and objects.by_key(source.type).has_primary_company
            )
            primary_name = None
            if offers:
                current = associations.primary_company(source.id)
                if current is not None:
                    primary_name = records.get(current, include_deleted=True).label
            return Setup(choices, recs, primary_name, offers)

        run_db(self, load, self._set_up)
        self._update_ticked()

    def _set_up(self, setup: Setup) -> None:
        self.setup = setup
        for tab in ("existing", "new"):
            picker = self.query_one(f"#labels-{tab}", SelectionList)
            picker.add_options([Selection(c.prompt(), c.word) for c in setup.labels])
            picker.display = bool(setup.labels)
            self.query_one(f"#labels-title-{tab}").display = bool(setup.labels)
            self.query_one(f"#primary-{tab}", Checkbox).display = setup.offers_primary
        recommended = self.query_one("#recommended", SelectionList)
        recommended.add_options(
            [
                Selection(
                    hit_prompt(r.name, r.ref, ", ".join(data_text(reason) for reason in r.reasons)),
                    r.id,
                    r.id in self.ticked,
                )
                for r in setup.recommendations
            ]
        )
        recommended.display = bool(setup.recommendations)
        self.query_one("#no-recommendations").display = not setup.recommendations
        self._update_primary_labels()

    # ------------------------------------------------------------------ searching

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        text = event.value
        source, target = self.source, self.target

        def find() -> list[search.Hit]:
            return search.search(text, [target.key], limit=30, exclude=[source.id])

        run_db(self, find, self._show_results, group="associate-search", exclusive=True)

    def _show_results(self, hits: list[search.Hit]) -> None:
        results = self.query_one("#results", SelectionList)
        results.clear_options()
        results.add_options(
            [
                Selection(hit_prompt(h.name, h.ref, h.detail), h.id, h.id in self.ticked)
                for h in hits
            ]
        )

    @on(SelectionList.SelectedChanged, "#results, #recommended")
    def picked(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        picklist = event.selection_list
        shown = {picklist.get_option_at_index(i).value for i in range(picklist.option_count)}
        selected = set(picklist.selected)
        for option_index in range(picklist.option_count):
            option = picklist.get_option_at_index(option_index)
            value = option.value
            if value in selected and value not in self.ticked and value != -1:
                self.ticked[value] = str(option.prompt)
        for value in list(self.ticked):
            if value in shown and value not in selected:
                del self.ticked[value]
        # keep the other list in step
        other_id = "#recommended" if picklist.id == "results" else "#results"
        other = self.query_one(other_id, SelectionList)
        with other.prevent(SelectionList.SelectedChanged):
            for option_index in range(other.option_count):
                value = other.get_option_at_index(option_index).value
                if value in self.ticked:
                    other.select(value)
                elif value != -1:
                    other.deselect(value)
        self._update_ticked()

    def _update_ticked(self) -> None:
        count = len(self.ticked)
        text = (
            _("{n} selected").format(n=count) if count else _("Tick records with Space or a click")
        )
        self.query_one("#ticked", Static).update(text)
        self._update_primary_labels()

    def _update_primary_labels(self) -> None:
        current = self.setup.primary_name if self.setup else None
        first = next(iter(self.ticked.values()), None)
        for tab in ("existing", "new"):
            box = self.query_one(f"#primary-{tab}", Checkbox)
            if current:
                text = _("Replace {company} as primary").format(company=visible(current))
            else:
                text = _("Set as primary")
            if tab == "existing" and first and len(self.ticked) > 1:
                text += " " + _("(with {name})").format(name=visible(first))
            box.label = plain(text)

    # ------------------------------------------------------------------ saving

    def _labels(self, tab: str) -> list[str]:
        return list(self.query_one(f"#labels-{tab}", SelectionList).selected)

    def _primary(self, tab: str) -> bool:
        box = self.query_one(f"#primary-{tab}", Checkbox)
        return box.display and box.value

    def _error(self, message: str) -> None:
        self.query_one("#error", Static).update(plain(message))

    def action_switch_tab(self) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = "tab-new" if tabs.active == "tab-existing" else "tab-existing"

    def action_submit(self) -> None:
        if self.query_one(TabbedContent).active == "tab-new":
            self._create(another=False)
        else:
            self._associate_existing()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id in ("cancel", "cancel-new"):
            self.dismiss(self.linked)
        elif event.button.id == "associate":
            self._associate_existing()
        elif event.button.id == "create":
            self._create(another=False)
        elif event.button.id == "create-another":
            self._create(another=True)

    def action_cancel(self) -> None:
        self.dismiss(self.linked)

    def _associate_existing(self) -> None:
        if not self.ticked:
            self._error(_("Tick at least one record to associate"))
            return
        ids = list(self.ticked)
        words = self._labels("existing")
        primary_id = ids[0] if self._primary("existing") else None
        source_id = self.source.id

        def save() -> int:
            changes = associations.associate_many(
                source_id, ids, user(), words, primary_id=primary_id
            )
            return sum(1 for c in changes if c.changed)

        def saved(n: int) -> None:
            self.linked += len(ids)
            self.app.notify(
                _("Associated {n} records").format(n=len(ids)) if n else _("Nothing changed")
            )
            self.dismiss(self.linked)

        run_db(self, save, saved, self._failed)

    def _create(self, *, another: bool) -> None:
        form = self.query_one(PropertyForm)
        values = {k: v for k, v in form.values().items() if v.strip()}
        if not values:
            self._error(_("Fill in at least one property"))
            return
        words = self._labels("new")
        primary = self._primary("new")
        source_id, target = self.source.id, self.target.key

        def save() -> RecordView:
            return associations.create_and_associate(
                source_id, target, values, user(), words, primary=primary
            )

        def saved(created: RecordView) -> None:
            self.linked += 1
            self.app.notify(
                visible(_("Created and associated {name}").format(name=created.label)),
                markup=False,
            )
            if another:
                form.reset()
                form.focus_first()
                self._error("")
            else:
                self.dismiss(self.linked)

        run_db(self, save, saved, self._failed)

    def _failed(self, error: RolodexError) -> None:
        self._error(str(error))
