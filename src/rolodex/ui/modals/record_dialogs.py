"""Dialogs of the record view: log an activity, edit labels (and create one), resolve a
save conflict, pick a record, preview a merge."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, SelectionList, Static, TextArea
from textual.widgets.selection_list import Selection

from rolodex.crm import associations, labels, objects, records, search
from rolodex.crm.errors import RolodexError
from rolodex.crm.records import RecordView
from rolodex.crm.views import LabelChoice, label_choices
from rolodex.i18n import _
from rolodex.ui.base import Dialog, connected, flow, in_thread
from rolodex.ui.modals.common import FormDialog
from rolodex.ui.text import shown, single_line, template
from rolodex.ui.widgets.footer import KeyFooter
from rolodex.ui.widgets.inputs import SafeInput, SafeTextArea
from rolodex.ui.widgets.linelist import Item, LineList


def choice_prompt(choice: LabelChoice) -> Content:
    if not choice.paired:
        return shown(choice.shown)
    return template(
        "$shown [dim]· $from_other[/dim]",
        shown=choice.shown,
        from_other=_("they see this record as {word}").format(word=choice.other_side),
    )


def hit_lines(name: str, ref: str, detail: str = "") -> tuple[Content, ...]:
    return (
        template(
            "$name [dim]$detail$ref[/dim]",
            name=single_line(name) or ref,
            detail=(single_line(detail) + " · ") if detail else "",
            ref=ref,
        ),
    )


class LogActivityDialog(FormDialog[dict[str, str]]):
    """Subject and body of a note, email or call; returns the values or None."""

    SAVE_BUTTON = "log"
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="log.cancel"),
        Binding("ctrl+s", "save", _("Log"), id="log.save"),
    ]

    def __init__(self, activity: str, activity_label: str, record_label: str) -> None:
        super().__init__()
        self.activity = activity
        self.activity_label = activity_label
        self.record_label = record_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(
                shown(
                    _("Log {activity} on {name}").format(
                        activity=self.activity_label.lower(), name=self.record_label
                    )
                ),
                classes="dialog-title",
            )
            yield Label(_("Subject"))
            yield SafeInput(id="subject")
            yield Label(_("Body (Enter adds a line; ctrl+e opens your editor; ctrl+s logs)"))
            yield SafeTextArea(id="body", soft_wrap=True, compact=True)
            yield Static(
                _("It is also associated with this record's primary company and open deals."),
                classes="muted",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Log"), id="log", variant="primary")
                yield Button(_("Cancel"), id="cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#subject", Input).focus()

    def action_save(self) -> None:
        subject = self.query_one("#subject", Input).value
        body = self.query_one("#body", TextArea).text
        if not subject.strip() and not body.strip():
            self.notify(_("Write a subject or a body"), severity="warning")
            return
        self.dismiss({"subject": subject, "body": body})

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.prevent_default()  # not FormDialog's: Enter in the subject goes to the body
        self.query_one("#body", TextArea).focus()


class EditLabelsDialog(FormDialog[list[str]]):
    """Tick the labels of one association, or create a new one on the spot; returns the
    crm words or None."""

    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="labels.cancel"),
        Binding("ctrl+s", "save", _("Save"), id="labels.save"),
        Binding("ctrl+n", "new_label", _("New label"), id="labels.new"),
    ]

    def __init__(
        self,
        title: str,
        src_type: str,
        dst_type: str,
        choices: list[LabelChoice],
        current: tuple[str, ...],
    ) -> None:
        super().__init__()
        self.title_text = title
        self.src_type = src_type
        self.dst_type = dst_type
        self.choices = choices
        self.current = {w.casefold() for w in current}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(shown(self.title_text), classes="dialog-title")
            yield SelectionList[str](
                *[
                    Selection(choice_prompt(c), c.word, c.shown.casefold() in self.current)
                    for c in self.choices
                ],
                id="labels",
            )
            yield Static(
                _("No labels are defined for these objects yet: ctrl+n creates one."),
                id="no-labels",
                classes="muted",
            )
            yield Static("", id="error", classes="error-line")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), id="save", variant="primary")
                yield Button(_("New label"), id="new-label")
                yield Button(_("Cancel"), id="cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#no-labels").display = not self.choices
        self.query_one(SelectionList).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        # Textual then calls FormDialog's handler too (save, cancel), unless prevented.
        if event.button.id == "new-label":
            event.stop()
            event.prevent_default()
            self.action_new_label()

    @flow("labels-new")
    async def action_new_label(self) -> None:
        from rolodex.ui.screens.admin import NewLabelDialog

        created = await self.app.push_screen_wait(
            NewLabelDialog(pair=(self.src_type, self.dst_type))
        )
        if created is None:
            return
        self.choices = await in_thread(
            self,
            lambda: label_choices(
                self.src_type, self.dst_type, labels.pair_labels(self.src_type, self.dst_type)
            ),
        )
        picker = self.query_one(SelectionList)
        ticked = set(picker.selected)
        picker.clear_options()
        for choice in self.choices:
            fresh = choice.label_id == created.id and choice.word in (created.name, created.inverse)
            picker.add_option(
                Selection(choice_prompt(choice), choice.word, choice.word in ticked or fresh)
            )
        self.query_one("#no-labels").display = not self.choices

    def action_save(self) -> None:
        self.dismiss(list(self.query_one("#labels", SelectionList).selected))


class ConflictDialog(Dialog[str | None]):
    """Someone saved first: show both values per field; returns "mine", "theirs" or None."""

    def __init__(self, labels: dict[str, str], mine: dict[str, str], theirs: dict[str, str]):
        super().__init__()
        self.labels = labels
        self.mine = mine
        self.theirs = theirs

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Label(_("Someone else saved this record first"), classes="dialog-title")
            yield Static(
                _("Choose which values to keep. Fields you did not change keep their new value."),
                classes="dialog-message",
            )
            rows = [
                Item(
                    "head",
                    (
                        template(
                            "[b]$f[/b] · $m · $t",
                            f=_("Field"),
                            m=_("Yours"),
                            t=_("Saved by the other person"),
                        ),
                    ),
                    selectable=False,
                    style="heading",
                )
            ]
            for key, value in self.mine.items():
                rows.append(
                    Item(
                        key,
                        (
                            template("[b]$field[/b]", field=self.labels.get(key, key)),
                            template("  $yours: $mine", yours=_("Yours"), mine=single_line(value)),
                            template(
                                "  $theirs_word: $theirs",
                                theirs_word=_("Theirs"),
                                theirs=single_line(self.theirs.get(key, "")),
                            ),
                        ),
                        selectable=False,
                    )
                )
            yield LineList(rows, id="conflict")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Keep mine"), id="mine", variant="primary")
                yield Button(_("Use theirs"), id="theirs")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#mine", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id)


class Found(Message):
    def __init__(self, hits: list[search.Hit]) -> None:
        super().__init__()
        self.hits = hits


class PickRecordDialog(Dialog[int | None]):
    """Search records of one object and pick one; returns its id or None (merge, jump).
    Enter or ↓ in the search box goes to the results, Enter there picks."""

    BINDINGS = [Binding("down", "to_results", _("Results"), show=False, id="pick.results")]

    def __init__(self, title: str, type_key: str, exclude: int | None = None, hint: str = ""):
        super().__init__()
        self.title_text = title
        self.type_key = type_key
        self.exclude = exclude
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(shown(self.title_text), classes="dialog-title")
            if self.hint:
                yield Static(shown(self.hint), classes="dialog-message")
            yield SafeInput(placeholder=_("Type a name, email or domain"), id="pick-search")
            yield LineList(id="pick-results")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#pick-search", Input).focus()

    @on(Input.Changed, "#pick-search")
    def changed(self, event: Input.Changed) -> None:
        self.find(event.value)

    @work(thread=True, exclusive=True, group="pick", exit_on_error=False)
    def find(self, text: str) -> None:
        type_key, exclude = self.type_key, self.exclude
        hits = connected(
            lambda: search.search(text, [type_key], limit=30, exclude=[exclude] if exclude else [])
        )
        self.post_message(Found(hits))

    @on(Found)
    def found(self, message: Found) -> None:
        results = self.query_one("#pick-results", LineList)
        results.set_items(
            [Item(str(h.id), hit_lines(h.name, h.ref, h.detail)) for h in message.hits]
        )

    @on(Input.Submitted, "#pick-search")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_to_results()

    def action_to_results(self) -> None:
        results = self.query_one("#pick-results", LineList)
        if results.items:
            results.focus()

    @on(LineList.Selected, "#pick-results")
    def chosen(self, event: LineList.Selected) -> None:
        event.stop()
        self.dismiss(int(event.item.key))


@dataclass(frozen=True)
class MergePreview:
    keep: RecordView
    other: RecordView
    filled: dict[str, str]  # properties the survivor gains
    moving: dict[str, int]  # associations the survivor gains, per object


def merge_preview(keep_id: int, other_id: int) -> MergePreview:
    keep, other = records.get(keep_id), records.get(other_id)
    filled = {k: v for k, v in other.properties.items() if v and not keep.properties.get(k)}
    if keep.type == "contact":
        filled.pop("email", None)
    mine = {a.other_id for a in associations.all_of(keep.id)}
    moving: dict[str, int] = {}
    for assoc in associations.all_of(other.id):
        if assoc.other_id not in mine and assoc.other_id != keep.id:
            moving[assoc.other_type] = moving.get(assoc.other_type, 0) + 1
    return MergePreview(keep, other, filled, moving)


def object_words(type_key: str, n: int) -> str:
    """An object as read beside a number: 1 contact, 2 contacts."""
    info = objects.by_key(type_key)
    return (info.shown_singular if n == 1 else info.shown_plural).lower()


class MergePreviewDialog(Dialog[bool]):
    """What a merge will do, before it is done; returns True to merge."""

    CANCEL_RESULT = False
    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="merge.cancel")]

    def __init__(self, keep: RecordView, other_id: int) -> None:
        super().__init__()
        self.keep = keep
        self.other_id = other_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(_("Merge records"), classes="dialog-title")
            yield Static(_("Reading both records…"), id="merge-preview", classes="dialog-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Merge"), id="merge", variant="error", disabled=True)
                yield Button(_("Cancel"), id="cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()
        self.preview()

    @flow("merge-preview")
    async def preview(self) -> None:
        keep_id, other_id = self.keep.id, self.other_id
        try:
            found = await in_thread(self, lambda: merge_preview(keep_id, other_id))
        except RolodexError as exc:
            self.query_one("#merge-preview", Static).update(shown(str(exc)))
            return
        lines = [
            _("{other} ({other_ref}) is merged into {keep} ({keep_ref}), which is kept.").format(
                other=found.other.label,
                other_ref=found.other.ref,
                keep=found.keep.label,
                keep_ref=found.keep.ref,
            ),
            _("{other_ref} keeps working and opens {keep_ref}.").format(
                other_ref=found.other.ref, keep_ref=found.keep.ref
            ),
        ]
        if found.moving:
            lines.append(
                _("Associations it gains: {counts}").format(
                    counts=", ".join(
                        f"{n} {object_words(key, n)}" for key, n in sorted(found.moving.items())
                    )
                )
            )
        if found.filled:
            lines.append(
                _("Empty properties it fills: {fields}").format(
                    fields=", ".join(f"{k}={single_line(v)}" for k, v in found.filled.items())
                )
            )
        lines.append(_("The history records the merge; the merged record cannot be restored."))
        self.query_one("#merge-preview", Static).update(shown("\n".join(lines)))
        self.query_one("#merge", Button).disabled = False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "merge")
