"""Index pages: one object's records in a keyset-paged table."""

from __future__ import annotations

from textual import events, on
from textual._two_way_dict import TwoWayDict
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Input,
    Label,
    OptionList,
    SelectionList,
    Static,
)
from textual.widgets.data_table import CellKey, RowKey
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from rolodex.crm import associations, index, objects, records
from rolodex.crm.associations import Associated
from rolodex.crm.objects import ObjectInfo
from rolodex.crm.records import RecordView
from rolodex.i18n import _, data_text
from rolodex.ui.db import run_db
from rolodex.ui.modals.common import Dialog, FormDialog
from rolodex.ui.text import cell, plain, visible
from rolodex.ui.widgets.form import PropertyForm

SORT_LABELS = {
    "name": _("name A–Z"),
    "-name": _("name Z–A"),
    "-created": _("newest first"),
    "created": _("oldest first"),
}
SORT_CYCLE = ["name", "-name", "-created", "created"]
DEFAULT_COLUMNS = {
    "contact": ["prop:email", "primary", "assoc:company", "assoc:deal"],
    "company": ["prop:domain", "prop:city", "assoc:contact", "assoc:deal"],
    "deal": ["prop:stage", "prop:amount", "assoc:contact", "assoc:company"],
    "ticket": ["prop:status", "prop:priority", "assoc:contact"],
}
LOAD_AHEAD = 30  # rows from the window's edge at which the next page is read
WINDOW = 5 * index.PAGE_SIZE  # rows the table holds at most


def default_columns(info: ObjectInfo) -> list[str]:
    if info.key in DEFAULT_COLUMNS:
        return list(DEFAULT_COLUMNS[info.key])
    props = [f"prop:{p.key}" for p in info.properties if p.key != info.display_property][:2]
    return props + ["assoc:contact", "assoc:company"]


def column_choices(info: ObjectInfo, types: list[ObjectInfo]) -> list[tuple[str, str]]:
    """(column key, title) of every column an index of ``info`` can show."""
    out = [(f"prop:{p.key}", data_text(p.label)) for p in info.properties]
    if info.has_primary_company:
        out.append(("primary", _("Primary company")))
    out += [
        (f"assoc:{t.key}", _("Associated {object}").format(object=t.shown_plural.lower()))
        for t in types
    ]
    return out


class IndexTable(DataTable):
    """The index's table, holding a window of the list: Home/End and ctrl+Home/ctrl+End
    go to the first/last record of the whole list, loading it when it is not held."""

    def _edge(self, last: bool) -> None:
        screen = self.parent  # the table is a child of its screen
        if isinstance(screen, IndexScreen):
            screen.go_to_edge(last=last)
        elif last:
            super().action_scroll_bottom()
        else:
            super().action_scroll_top()

    def remove_rows(self, keys: list[str]) -> None:
        """``remove_row`` for many rows at once.

        DataTable.remove_row renumbers every row left, so dropping a page of a
        500-row window one row at a time cost ~200 ms; this renumbers once. It does
        what remove_row does, on DataTable's internals (textual is pinned exactly).
        """
        gone = {RowKey(key) for key in keys}
        if not gone:
            return
        self._require_update_dimensions = True
        self.check_idle()
        kept = [row.key for row in self.ordered_rows if row.key not in gone]
        self._row_locations = TwoWayDict({key: n for n, key in enumerate(kept)})
        for key in gone:
            for column_key in self._data.get(key, {}):
                self._updated_cells.discard(CellKey(key, column_key))
            self.rows.pop(key, None)
            self._data.pop(key, None)
        self.cursor_coordinate = self.cursor_coordinate
        self.hover_coordinate = self.hover_coordinate
        self._update_count += 1
        self.refresh(layout=True)

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        super().watch_cursor_coordinate(old, new)
        screen = self.parent
        # The position in the title changes in the same frame as the cursor: a title
        # updated later, from the CellHighlighted message, cost a second frame per key.
        if old.row != new.row and isinstance(screen, IndexScreen) and screen.window_start:
            screen._show_title(moved=True)

    def action_scroll_top(self) -> None:
        self._edge(last=False)

    def action_scroll_home(self) -> None:
        self._edge(last=False)

    def action_scroll_bottom(self) -> None:
        self._edge(last=True)

    def action_scroll_end(self) -> None:
        self._edge(last=True)


class IndexScreen(Screen):
    """One object's records. The table holds a sliding window of at most ``WINDOW`` rows
    (keyset pages): moving past its bottom reads the next page and drops rows from the
    top, moving past its top reads the previous page and drops rows from the bottom, so
    memory stays the same however deep the person browses."""

    BINDINGS = [
        Binding("slash", "focus_filter", _("Filter"), id="index.filter"),
        Binding("s", "cycle_sort", _("Sort"), id="index.sort"),
        Binding("c", "edit_columns", _("Edit columns"), id="index.columns"),
        Binding("n", "new_record", _("New"), id="index.new"),
        Binding("r", "refresh", _("Refresh"), id="index.refresh", show=False),
    ]

    def __init__(self, type_key: str = "contact") -> None:
        super().__init__()
        self.type_key = type_key
        self.sort = "name"
        self.filter_text = ""
        self.more = False  # rows follow the window's last row
        self.more_before = False  # rows (may) precede the window's first row
        self.reading = False
        # The window, in display order: record id (as the row key) -> row.
        self.rows: dict[str, index.IndexRow] = {}
        self.columns: list[str] = []
        self.total: int | None = None  # None while counting
        # How many records precede the window's first row; None when not known.
        self.window_start: int | None = 0
        self.types: list[ObjectInfo] = []
        self.generation = 0  # bumped by every fresh read; late answers of older ones are dropped

    def compose(self) -> ComposeResult:
        yield Static("", id="index-tabs")
        with Horizontal(id="index-bar"):
            yield Static("", id="index-title")
            yield Input(placeholder=_("Filter: names starting with…"), id="filter", compact=True)
        yield IndexTable(id="index-table", cursor_type="cell", zebra_stripes=True)
        yield Static("", id="empty")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#empty").display = False
        # At once: a deferred focus() could land after a key the person already typed.
        self.set_focus(self.query_one(DataTable))
        self.show_type(self.type_key)

    # ------------------------------------------------------------------ state

    @property
    def info(self) -> ObjectInfo:
        return objects.by_key(self.type_key)

    @property
    def after(self) -> tuple | None:
        """The cursor after the window's last row, when more rows follow."""
        if not self.more or not self.rows:
            return None
        return next(reversed(self.rows.values())).cursor(self.sort)

    def show_type(self, type_key: str) -> None:
        self.type_key = type_key
        self.filter_text = ""
        filter_input = self.query_one("#filter", Input)
        with filter_input.prevent(Input.Changed):
            filter_input.value = ""
        self.load(reset=True)

    def _settings_columns(self) -> list[str]:
        settings = getattr(self.app, "settings", None)
        saved = settings.columns.get(self.type_key) if settings is not None else None
        return list(saved) if saved is not None else default_columns(self.info)

    def _reader(self, columns: list[str]):  # type: ignore[no-untyped-def]
        """index.page for this screen's object, sort, filter and columns (for a worker)."""
        type_key, sort, text = self.type_key, self.sort, self.filter_text
        assoc = [c.removeprefix("assoc:") for c in columns if c.startswith("assoc:")]
        wants_primary = "primary" in columns

        def read(**where) -> index.IndexPage:  # type: ignore[no-untyped-def]
            return index.page(
                type_key,
                sort=sort,
                filter_text=text,
                associated=assoc,
                primary_company=wants_primary,
                **where,
            )

        return read

    def load(self, *, reset: bool) -> None:
        """``reset``: read the list afresh from its first page (and count it); otherwise
        read the page after the window."""
        if reset:
            self._load_edge(last=False, fresh=True)
        else:
            self._load_next()

    def _load_edge(self, *, last: bool, fresh: bool) -> None:
        """Fill the table with the first (or last) page of the list.

        ``fresh``: the object, sort, filter or columns changed: take the columns from
        the settings and count the records in a second worker, so the first rows are
        painted without waiting for the count.
        """
        self.generation += 1
        generation = self.generation
        self.reading = True
        columns = self._settings_columns() if fresh else self.columns
        read = self._reader(columns)

        def first() -> tuple[index.IndexPage, list[ObjectInfo]]:
            return read(last=last), index.index_types()

        async def show(result: tuple[index.IndexPage, list[ObjectInfo]]) -> None:
            if generation != self.generation:
                return
            page, types = result
            self.types = types
            self.reading = False
            table = self.query_one(DataTable)
            column = table.cursor_column
            if fresh:
                self.columns = columns
                table.clear(columns=True)
                self._add_columns(table)
                self._show_tabs()
            else:
                table.clear()
            self.rows = {}
            self._add_rows(table, page.rows)
            # Measure the rows now, so they are first painted with their column widths.
            await table._on_idle(events.Idle())
            self.more = page.after is not None
            self.more_before = page.before is not None
            self.window_start = 0 if not last else self._offset_from_end()
            if last and self.rows:
                table.move_cursor(row=table.row_count - 1, column=column)
            elif not fresh and self.rows:
                table.move_cursor(row=0, column=column)
            self._show_title()
            empty = fresh and not page.rows and not self.filter_text
            self.query_one("#empty").display = empty
            table.display = not empty
            if empty:
                self._show_empty()

        run_db(self, first, show, group="index", exclusive=True)
        if not fresh:
            return
        self.total = None
        type_key, text = self.type_key, self.filter_text

        def counted(total: int) -> None:
            if generation != self.generation:
                return
            self.total = total
            if self.window_start is None and not self.more:
                self.window_start = self._offset_from_end()
            self._show_title()

        run_db(
            self, lambda: index.total(type_key, text), counted, group="index-total", exclusive=True
        )

    def _offset_from_end(self) -> int | None:
        return None if self.total is None else max(self.total - len(self.rows), 0)

    def go_to_edge(self, *, last: bool) -> None:
        """Home/End: the first/last record of the whole list, keeping the cursor's column."""
        table = self.query_one(DataTable)
        held = not self.more if last else not self.more_before
        if held:  # the edge is in the table already
            if table.row_count:
                table.move_cursor(row=table.row_count - 1 if last else 0)
            return
        if self.columns:
            self._load_edge(last=last, fresh=False)

    def _load_next(self) -> None:
        if self.reading or not self.more or not self.rows:
            return
        self._load_window(after=next(reversed(self.rows.values())).cursor(self.sort))

    def _load_previous(self) -> None:
        if self.reading or not self.more_before or not self.rows:
            return
        self._load_window(before=next(iter(self.rows.values())).cursor(self.sort))

    def _load_window(self, *, after: tuple | None = None, before: tuple | None = None) -> None:
        self.reading = True
        generation = self.generation
        read = self._reader(self.columns)

        async def show(page: index.IndexPage) -> None:
            if generation != self.generation:
                return
            self.reading = False
            if after is not None:
                self._append(page)
            else:
                await self._prepend(page)
            self._show_title()

        run_db(
            self,
            lambda: read(after=after) if after is not None else read(before=before),
            show,
            group="index",
            exclusive=True,
        )

    def _add_rows(self, table: DataTable, rows: list[index.IndexRow]) -> list[index.IndexRow]:
        added = []
        for row in rows:
            key = str(row.id)
            if key in self.rows:
                continue  # moved while paging (renamed meanwhile): shown once
            self.rows[key] = row
            table.add_row(*self._cells(row), key=key)
            added.append(row)
        return added

    def _remove_rows(self, table: DataTable, keys: list[str]) -> None:
        for key in keys:
            del self.rows[key]
        if isinstance(table, IndexTable):
            table.remove_rows(keys)
        else:
            for key in keys:
                table.remove_row(key)

    def _append(self, page: index.IndexPage) -> None:
        """The next page at the bottom; rows beyond the window leave from the top."""
        table = self.query_one(DataTable)
        self._add_rows(table, page.rows)
        self.more = page.after is not None
        excess = len(self.rows) - WINDOW
        if excess <= 0:
            return
        row, column = table.cursor_coordinate
        scroll_y = table.scroll_y
        dropped = list(self.rows)[:excess]
        self._remove_rows(table, dropped)
        self.more_before = True
        if self.window_start is not None:
            self.window_start += excess
        # The same record under the cursor, and the same rows on screen.
        table.move_cursor(row=max(row - excess, 0), column=column, scroll=False)
        table.scroll_to(y=max(scroll_y - excess, 0), animate=False, immediate=True)

    async def _prepend(self, page: index.IndexPage) -> None:
        """The previous page at the top; rows beyond the window leave from the bottom."""
        table = self.query_one(DataTable)
        self.more_before = page.before is not None
        row, column = table.cursor_coordinate
        scroll_y = table.scroll_y
        added = self._add_rows(table, page.rows)  # appended to the table...
        if not added:
            if not self.more_before:
                self.window_start = 0
            return
        held = self.rows
        self.rows = {str(r.id): r for r in added}
        self.rows.update((key, r) for key, r in held.items() if key not in self.rows)
        # ...then moved to the top: each row's name cell is its own object.
        rank = {id(table.get_cell(key, "name")): n for n, key in enumerate(self.rows)}
        table.sort("name", key=lambda name_cell: rank[id(name_cell)])
        excess = len(self.rows) - WINDOW
        if excess > 0:
            self._remove_rows(table, list(self.rows)[-excess:])
            self.more = True
        if not self.more_before:
            self.window_start = 0
        elif self.window_start is not None:
            self.window_start = max(self.window_start - len(added), 0)
        # The new rows' heights count before scrolling down past them (textual is pinned:
        # DataTable measures new rows on idle, and a scroll beyond the old height is clamped).
        await table._on_idle(events.Idle())
        table.move_cursor(row=row + len(added), column=column, scroll=False)
        table.scroll_to(y=scroll_y + len(added), animate=False, immediate=True)

    def refresh_from_database(self) -> None:
        """Someone committed a change: re-read the window's rows, keeping cursor and scroll."""
        if self.reading or not self.columns:
            return
        generation = self.generation
        type_key, text = self.type_key, self.filter_text
        count = max(len(self.rows), index.PAGE_SIZE)
        head = next(iter(self.rows.values()), None)
        start = index.start_at(head, self.sort) if head is not None and self.more_before else None
        read = self._reader(self.columns)
        window = list(self.rows)

        def reread() -> tuple[index.IndexPage, int]:
            return read(after=start, limit=count), index.total(type_key, text)

        def show(result: tuple[index.IndexPage, int]) -> None:
            if generation != self.generation or self.reading or list(self.rows) != window:
                return  # the person moved on meanwhile
            page, total = result
            table = self.query_one(DataTable)
            row, column = table.cursor_coordinate
            keys = list(self.rows)
            current = keys[row] if 0 <= row < len(keys) else None
            scroll_x, scroll_y = table.scroll_x, table.scroll_y
            table.clear()
            self.rows = {}
            self._add_rows(table, page.rows)
            keys = list(self.rows)
            if keys:
                target = keys.index(current) if current in self.rows else min(row, len(keys) - 1)
                table.move_cursor(row=target, column=column, scroll=False)
            table.scroll_to(scroll_x, scroll_y, animate=False, immediate=True)
            if self.window_start and total != self.total:
                self.window_start = None  # records came or went: the position is no longer known
            self.more, self.total = page.after is not None, total
            self._show_title()

        run_db(self, reread, show, group="index-refresh", exclusive=True)

    def _column_title(self, key: str) -> str:
        choices = dict(column_choices(self.info, self.types or index.index_types()))
        return choices.get(key, key)

    def _add_columns(self, table: DataTable) -> None:
        table.add_column(_("Name"), key="name", width=28)
        for key in self.columns:
            table.add_column(cell(self._column_title(key)), key=key)

    def _cells(self, row: index.IndexRow) -> list:
        out = [cell(row.name or row.ref)]
        for key in self.columns:
            if key.startswith("prop:"):
                out.append(cell(row.properties.get(key[5:], "")))
            elif key.startswith("assoc:"):
                n = row.counts.get(key[6:], 0)
                out.append(cell(str(n), "underline" if n else "dim"))
            elif key == "primary":
                out.append(cell(row.primary_company[1] if row.primary_company else ""))
            else:
                out.append(cell(""))
        return out

    def _show_tabs(self) -> None:
        parts = []
        for number, info in enumerate(self.types[:9], start=1):
            style = "reverse b" if info.key == self.type_key else "dim"
            parts.append(
                Content.from_markup(
                    f"[{style}] $n $name [/] ", n=str(number), name=info.shown_plural
                )
            )
        self.query_one("#index-tabs", Static).update(Content("").join(parts))

    def _show_title(self, *, moved: bool = False) -> None:
        """``moved``: only the cursor moved; the title's box (1fr wide, one line) stays
        the same size, so no layout pass on every key press."""
        if self.total is None:
            count = _("counting…")
        elif self.window_start and self.rows:
            # Once the window left the top, the scrollbar spans only the rows held:
            # say where the cursor is in the whole list.
            row = self.window_start + self.query_one(DataTable).cursor_row + 1
            count = _("row {row} of {n}").format(row=f"{row:,}", n=f"{self.total:,}")
        else:
            count = _("{n} records").format(n=f"{self.total:,}")
        title = Content.from_markup(
            "[b]$plural[/b] [dim]· $count · $sort[/dim]",
            plural=self.info.shown_plural,
            count=count,
            sort=_("sorted by {sort}").format(sort=SORT_LABELS[self.sort]),
        )
        self.query_one("#index-title", Static).update(title, layout=not moved)
        self.sub_title = self.info.shown_plural

    def _show_empty(self) -> None:
        plural = self.info.shown_plural.lower()
        text = Content.from_markup(
            "[b]$headline[/b]\n\n$add\n$import_\n$demo\n\n$more",
            headline=_("No {plural} yet").format(plural=plural),
            add=_("• Press n to add one here."),
            import_=_("• Import CSV files: press F5 (or run rolodex import FILE.csv)."),
            demo=_("• Explore the demo data: rolodex --demo"),
            more=_("Press 1–9 to switch objects, ctrl+p for commands, F1 for help."),
        )
        self.query_one("#empty", Static).update(text)

    # ------------------------------------------------------------------ events

    @on(DataTable.CellHighlighted)
    def near_edge(self, event: DataTable.CellHighlighted) -> None:
        table = event.data_table
        row = table.cursor_row  # now, not when the event was posted: rows may have moved
        if self.more and row >= table.row_count - LOAD_AHEAD:
            self._load_next()
        elif self.more_before and row < LOAD_AHEAD:
            self._load_previous()

    @on(DataTable.CellSelected)
    def cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        row = self.rows.get(event.cell_key.row_key.value or "")
        if row is None:
            return
        column = str(event.cell_key.column_key.value)
        if column.startswith("assoc:"):
            type_key = column[6:]
            self.app.push_screen(
                AssociatedListDialog(row.id, row.name or row.ref, type_key),
                lambda chosen: self.app.open_record(chosen) if chosen else None,  # type: ignore[attr-defined]
            )
        elif column == "primary" and row.primary_company:
            self.app.open_record(row.primary_company[0])  # type: ignore[attr-defined]
        else:
            self.app.open_record(row.id)  # type: ignore[attr-defined]

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self.load(reset=True)

    @on(Input.Submitted, "#filter")
    def filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        # Move to the table only after this Enter is fully handled, so the same key
        # press does not also open the row under the cursor.
        self.set_timer(0.05, self.query_one(DataTable).focus)

    def action_focus_filter(self) -> None:
        # At once, not via focus() (deferred): keys typed right after "/" belong to the filter.
        self.set_focus(self.query_one("#filter", Input))

    def action_cycle_sort(self) -> None:
        self.sort = SORT_CYCLE[(SORT_CYCLE.index(self.sort) + 1) % len(SORT_CYCLE)]
        self.load(reset=True)

    def action_refresh(self) -> None:
        self.load(reset=True)

    def action_edit_columns(self) -> None:
        info = self.info
        choices = column_choices(info, self.types or index.index_types())

        def chosen(columns: list[str] | None) -> None:
            if columns is None:
                return
            settings = getattr(self.app, "settings", None)
            if settings is not None:
                settings.columns[self.type_key] = columns
                problem = settings.save()
                if problem:
                    self.app.notify(problem, severity="warning", markup=False)
            self.load(reset=True)

        self.app.push_screen(EditColumnsDialog(info, choices, self.columns), chosen)

    def action_new_record(self) -> None:
        def created(view: RecordView | None) -> None:
            if view is not None:
                self.load(reset=True)
                self.app.open_record(view.id)  # type: ignore[attr-defined]

        self.app.push_screen(NewRecordDialog(self.info), created)


class EditColumnsDialog(FormDialog):
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="columns.cancel"),
        Binding("ctrl+s", "save", _("Save"), id="columns.save"),
    ]

    def __init__(self, info: ObjectInfo, choices: list[tuple[str, str]], current: list[str]):
        super().__init__()
        self.info = info
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(
                plain(
                    _("Columns of the {plural} index").format(plural=self.info.shown_plural.lower())
                ),
                classes="dialog-title",
            )
            yield SelectionList[str](
                *[Selection(plain(title), key, key in self.current) for key, title in self.choices],
                id="columns",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), id="save", variant="primary")
                yield Button(_("Cancel"), id="cancel")

    def action_save(self) -> None:
        selected = set(self.query_one(SelectionList).selected)
        # Columns already shown keep their place; new ones follow in the list's order.
        ordered = [c for c in self.current if c in selected]
        ordered += [key for key, _title in self.choices if key in selected and key not in ordered]
        self.dismiss(ordered)


class NewRecordDialog(FormDialog):
    SAVE_BUTTON = "create"
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="new.cancel"),
        Binding("ctrl+s", "save", _("Create"), id="new.save"),
    ]

    def __init__(self, info: ObjectInfo) -> None:
        super().__init__()
        self.info = info

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(
                plain(_("New {object}").format(object=self.info.shown_singular.lower())),
                classes="dialog-title",
            )
            yield PropertyForm(self.info, id="new-form")
            yield Static("", id="error", classes="error-line")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Create"), id="create", variant="primary")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one(PropertyForm).focus_first()

    def action_save(self) -> None:
        values = {k: v for k, v in self.query_one(PropertyForm).values().items() if v.strip()}
        if not values:
            self.query_one("#error", Static).update(_("Fill in at least one property"))
            return
        type_key = self.info.key
        self.save_in_worker(lambda: records.create(type_key, values))


class AssociatedListDialog(Dialog):
    """The records of one object associated with a record; returns the one opened."""

    def __init__(self, record_id: int, record_name: str, type_key: str) -> None:
        super().__init__()
        self.record_id = record_id
        self.record_name = record_name
        self.type_key = type_key
        self.items: list[Associated] = []
        self.total = 0

    def compose(self) -> ComposeResult:
        info = objects.by_key(self.type_key)
        with Vertical(classes="dialog-box"):
            yield Label(
                plain(
                    _("{plural} associated with {name}").format(
                        plural=info.shown_plural, name=visible(self.record_name)
                    )
                ),
                classes="dialog-title",
            )
            yield OptionList(id="associated")
            yield Label(_("Enter to open · Esc to close"), classes="dialog-hint")

    def on_mount(self) -> None:
        record_id, type_key = self.record_id, self.type_key

        def first() -> tuple[int, list[Associated]]:
            return (
                associations.counts(record_id).get(type_key, 0),
                associations.page(record_id, type_key),
            )

        def show(result: tuple[int, list[Associated]]) -> None:
            self.total, items = result
            self._extend(items)
            self.query_one(OptionList).focus()

        run_db(self, first, show)

    def _extend(self, items: list[Associated]) -> None:
        from rolodex.ui.screens.record import item_prompt

        known = {i.other_id for i in self.items}
        self.items += [i for i in items if i.other_id not in known]
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        option_list.add_options([Option(item_prompt(i), id=str(i.other_id)) for i in self.items])
        if len(self.items) < self.total:
            option_list.add_option(
                Option(
                    plain(_("Load more ({n} more)").format(n=self.total - len(self.items))),
                    id="more",
                )
            )
        if not self.items:
            option_list.add_option(Option(_("None"), id="none", disabled=True))

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id == "more":
            record_id, type_key = self.record_id, self.type_key
            from rolodex.ui.screens.record import next_before

            before = next_before(self.items)
            run_db(
                self,
                lambda: associations.page(record_id, type_key, before=before),
                self._extend,
            )
        elif event.option_id and event.option_id.isdigit():
            self.dismiss(int(event.option_id))
