"""Index pages: one object's records in a virtual table, read page by page as you scroll.

The table is as tall as the list (the count), and holds a few pages of it in a cache:
a page next to a held one is read by keyset, a jump (End, the scrollbar) by offset, so
a page costs the same a million rows deep and memory stays flat.
"""

from __future__ import annotations

from array import array
from collections.abc import Awaitable, Sequence

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static

from rolodex.crm import filter_expr, index, index_sorts, objects
from rolodex.crm.errors import InvalidValue, RolodexError
from rolodex.crm.objects import ObjectInfo
from rolodex.crm.records import RecordView
from rolodex.i18n import _, data_text, ngettext
from rolodex.ui.base import RolodexScreen, ask, connected, flow
from rolodex.ui.messages import OpenRecord
from rolodex.ui.screens.bulk import Ticks
from rolodex.ui.text import shown, single_line, template
from rolodex.ui.widgets.footer import KeyFooter
from rolodex.ui.widgets.inputs import SafeInput
from rolodex.ui.widgets.pages import PageCache, Read
from rolodex.ui.widgets.vtable import Column, VirtualTable

ORDER_LABELS = {
    "name": _("Name A–Z"),
    "-name": _("Name Z–A"),
    "-created": _("Newest first"),
    "created": _("Oldest first"),
}
DEFAULT_COLUMNS = {
    "contact": ["prop:email", "primary", "assoc:company", "assoc:deal"],
    "company": ["prop:domain", "prop:city", "assoc:contact", "assoc:deal"],
    "deal": ["prop:stage", "prop:amount", "assoc:contact", "assoc:company"],
    "ticket": ["prop:status", "prop:priority", "assoc:contact"],
}
PAGE = index.PAGE_SIZE
# Column widths: fitted to the titles and the rows read, then to the terminal's width.
NATURAL_MAX = {"name": 60, "primary": 40}
CELL_MAX = 48
SHRINK_MIN = {"name": 14}  # no column is squeezed below these (others: 8)


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


def cell_text(row: index.IndexRow, key: str) -> str:
    if key == "name":
        return row.name or row.ref
    if key.startswith("prop:"):
        return row.properties.get(key[5:], "")
    if key.startswith("assoc:"):
        return str(row.counts.get(key[6:], 0))
    if key == "primary":
        return row.primary_company[1] if row.primary_company else ""
    return ""


def sort_label(sort: str, title: str, kind: str) -> str:
    """How a sort reads in the sort dialog and the index's title."""
    if sort in ORDER_LABELS:
        return ORDER_LABELS[sort]
    descending = sort.startswith("-")
    if sort.lstrip("-").startswith("assoc:"):
        words = _("{column}, most first") if descending else _("{column}, fewest first")
    elif kind == "number":
        words = _("{column}, highest first") if descending else _("{column}, lowest first")
    else:
        words = _("{column} Z–A") if descending else _("{column} A–Z")
    return words.format(column=title)


def row_cells(row: index.IndexRow, keys: Sequence[str]) -> list[Content]:
    out = []
    for key in keys:
        text = cell_text(row, key)
        if key.startswith("assoc:"):
            out.append(Content.styled(text, "underline" if text != "0" else "dim"))
        else:
            out.append(shown(text, one_line=True))
    return out


def cell_width(text: str) -> int:
    return len(text) if text.isascii() else Content(single_line(text)).cell_length


def fit(natural: list[int], keys: list[str], available: int) -> list[int]:
    """Column widths that fit ``available`` cells (with the gaps between columns): the
    widest text columns are narrowed first, never below their minimum; counts keep theirs."""
    from rolodex.ui.widgets.vtable import GAP

    widths = list(natural)
    room = available - GAP * (len(widths) - 1)
    minimum = [
        w if k.startswith("assoc:") else min(w, SHRINK_MIN.get(k, 8))
        for w, k in zip(widths, keys, strict=True)
    ]
    while sum(widths) > room:
        candidates = [i for i, w in enumerate(widths) if w > minimum[i]]
        if not candidates:
            break  # even at their minimum they do not fit: the table scrolls sideways
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


class OrderRead(Message):
    """The ids of a column sort, in order; ``refresh`` when re-read after a commit."""

    def __init__(
        self, generation: int, ids: array[int], types: list[ObjectInfo], refresh: bool
    ) -> None:
        super().__init__()
        self.generation = generation
        self.ids = ids
        self.types = types
        self.refresh = refresh


def by_ids(type_key: str, ids: list[int], args: dict) -> index.IndexPage:
    """A page of a column sort: its records read by id."""
    rows = index.rows_of(
        type_key, ids, associated=args["associated"], primary_company=args["primary_company"]
    )
    return index.IndexPage(rows, None, None)


class PageRead(Message):
    def __init__(self, generation: int, page: int, result: index.IndexPage) -> None:
        super().__init__()
        self.generation = generation
        self.page = page
        self.result = result


class Counted(Message):
    def __init__(self, generation: int, total: int, types: list[ObjectInfo]) -> None:
        super().__init__()
        self.generation = generation
        self.total = total
        self.types = types


class FilterRefused(Message):
    """The filter cannot be used (an unknown property, object or label): said under it."""

    def __init__(self, generation: int, problem: str) -> None:
        super().__init__()
        self.generation = generation
        self.problem = problem


class IndexScreen(RolodexScreen):
    """One object's records; ``type_key``, ``sort`` and ``filter_text`` are the view."""

    BINDINGS = [
        Binding("slash", "focus_filter", _("Filter"), id="index.filter"),
        Binding("s", "sort", _("Sort"), id="index.sort"),
        Binding("c", "edit_columns", _("Edit columns"), id="index.columns"),
        Binding("n", "new_record", _("New"), id="index.new"),
        Binding("r", "refresh", _("Refresh"), id="index.refresh", show=False),
        Binding("space", "toggle_selected", _("Tick"), id="index.tick"),
        Binding("shift+down", "tick_on(1)", _("Tick down"), id="index.tick_down", show=False),
        Binding("shift+up", "tick_on(-1)", _("Tick up"), id="index.tick_up", show=False),
        Binding("ctrl+a", "tick_all", _("Tick all matching"), id="index.tick_all", show=False),
        Binding("b", "bulk", _("Act on ticked"), id="index.bulk"),
        Binding("escape", "untick_all", _("Untick all"), id="index.untick_all"),
    ]

    type_key: reactive[str] = reactive("contact", init=False)
    sort: reactive[str] = reactive("name", init=False)
    filter_text: reactive[str] = reactive("", init=False)

    def __init__(self, type_key: str = "contact") -> None:
        super().__init__()
        self.set_reactive(IndexScreen.type_key, type_key)
        self.cache: PageCache[index.IndexRow] = PageCache(PAGE)
        self.columns: list[str] = []
        self.total: int | None = None  # None while counting
        self.types: list[ObjectInfo] = []
        self.reading: set[int] = set()  # pages being read
        # A column sort reads the whole order's ids once, then each page by its ids.
        self.order: array[int] | None = None
        self.table = VirtualTable(self, id="index-table")
        self.ticks = Ticks()

    def compose(self) -> ComposeResult:
        yield Static("", id="index-tabs")
        with Horizontal(id="index-bar"):
            yield Static("", id="index-title")
            yield SafeInput(
                placeholder=_("Filter: a name, or country = Sweden, count(deal) > 2…"),
                id="filter",
                compact=True,
            )
        yield Static("", id="filter-problem")
        yield self.table
        yield EmptyIndex(id="empty")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(EmptyIndex).display = False
        self.query_one("#filter-problem").display = False
        # At once: a deferred focus() could land after a key the person already typed.
        self.set_focus(self.table)
        self.load()

    # ------------------------------------------------------------------ the view

    @property
    def info(self) -> ObjectInfo:
        return objects.by_key(self.type_key)

    def watch_type_key(self) -> None:
        filter_input = self.query_one("#filter", Input)
        with filter_input.prevent(Input.Changed):
            filter_input.value = ""
        self.set_reactive(IndexScreen.filter_text, "")
        self.ticks = Ticks()
        if index_sorts.is_column_sort(self.sort):  # another object has other columns
            self.set_reactive(IndexScreen.sort, "name")
        self.load()

    def watch_sort(self) -> None:
        self.load()

    def watch_filter_text(self) -> None:
        self.ticks.all = False  # "all matching" meant the old filter; ticked rows stay
        self.ticks.unticked.clear()
        self.load()

    def show_type(self, type_key: str) -> None:
        if type_key == self.type_key:
            self.load()
        else:
            self.type_key = type_key

    def show_view(self, type_key: str, filter_text: str, sort: str) -> None:
        """A saved view: the object's index with the view's filter in the filter box."""
        self.show_type(type_key)
        if sort:
            descending = sort.startswith("-")
            key = sort.lstrip("-")
            if key not in ("name", "created") and not index_sorts.is_column_sort(key):
                key = "prop:" + key
            self.sort = ("-" if descending else "") + key
        self.query_one("#filter", Input).value = filter_text  # filter_changed applies it

    def _settings_columns(self) -> list[str]:
        settings = getattr(self.app, "settings", None)
        saved = settings.columns.get(self.type_key) if settings is not None else None
        return list(saved) if saved is not None else default_columns(self.info)

    # ------------------------------------------------------------------ reading

    def load(self) -> None:
        """Read the list afresh: the first page and, in another worker, the count."""
        self.cache.clear()
        self.reading.clear()
        self.columns = self._settings_columns()
        self.total = None
        self.order = None
        self.table.set_shape(self._columns([]), 0)
        self.table.move_to(0, 0)
        if index_sorts.is_column_sort(self.sort):
            self._read_order(self.cache.generation, refresh=False)
            self._show_title()
            return
        self._count(self.cache.generation)
        self._read(self.cache.generation, Read(0))

    def _reader_args(self) -> dict:
        return {
            "sort": self.sort,
            "filter_text": self.filter_text,
            "associated": [
                c.removeprefix("assoc:") for c in self.columns if c.startswith("assoc:")
            ],
            "primary_company": "primary" in self.columns,
        }

    @work(thread=True, group="index-count", exclusive=True, exit_on_error=False)
    def _count(self, generation: int) -> None:
        type_key, text = self.type_key, self.filter_text
        try:
            total, types = connected(lambda: (index.total(type_key, text), index.index_types()))
        except InvalidValue as exc:
            self.post_message(FilterRefused(generation, str(exc)))
            return
        self.post_message(Counted(generation, total, types))

    @work(thread=True, group="index-order", exclusive=True, exit_on_error=False)
    def _read_order(self, generation: int, *, refresh: bool) -> None:
        type_key, sort, text = self.type_key, self.sort, self.filter_text
        try:
            ids, types = connected(
                lambda: (index.sorted_ids(type_key, sort, text), index.index_types())
            )
        except InvalidValue as exc:
            self.post_message(FilterRefused(generation, str(exc)))
            return
        self.post_message(OrderRead(generation, ids, types, refresh))

    @on(OrderRead)
    def order_read(self, message: OrderRead) -> None:
        if message.generation != self.cache.generation:
            return
        self.order = message.ids
        self.counted(Counted(message.generation, len(message.ids), message.types))
        if message.refresh:
            self._refresh_pages(message.generation)
        else:
            self._read(message.generation, Read(0))

    def _page_ids(self, page: int) -> list[int] | None:
        if self.order is None:
            return None
        return list(self.order[page * PAGE : (page + 1) * PAGE])

    def _read(self, generation: int, plan: Read) -> None:
        if plan.page in self.reading:
            return
        if index_sorts.is_column_sort(self.sort) and self.order is None:
            return  # the order is being read; its arrival reads the first page
        self.reading.add(plan.page)
        self._read_page(
            generation, plan, self.type_key, self._reader_args(), self._page_ids(plan.page)
        )

    @work(thread=True, group="index-page", exit_on_error=False)
    def _read_page(
        self, generation: int, plan: Read, type_key: str, args: dict, ids: list[int] | None
    ) -> None:
        try:
            if ids is not None:
                result = connected(lambda: by_ids(type_key, ids, args))
            else:
                result = connected(
                    lambda: index.page(
                        type_key,
                        after=plan.after,
                        before=plan.before,
                        offset=plan.offset,
                        limit=PAGE,
                        **args,
                    )
                )
        except InvalidValue as exc:
            self.post_message(FilterRefused(generation, str(exc)))
            return
        self.post_message(PageRead(generation, plan.page, result))

    @on(PageRead)
    def page_read(self, message: PageRead) -> None:
        if message.generation != self.cache.generation:
            return  # the view changed meanwhile
        self.reading.discard(message.page)
        rows = message.result.rows
        first_page = message.page == 0 and not self.cache.pages
        self.cache.store(message.page, rows)
        if first_page:
            self.table.set_shape(self._columns(rows), self._row_count())
            self._show_empty(not rows and not self.filter_text and self.total in (None, 0))
            self.mark_ready()
        elif self.total is None:
            self.table.set_row_count(self._row_count())
        self.table.rows_arrived()
        self._show_title()

    @on(Counted)
    def counted(self, message: Counted) -> None:
        if message.generation != self.cache.generation:
            return
        self.total = message.total
        if message.types != self.types:
            self.types = message.types
            self._show_tabs()
        self.table.set_row_count(self._row_count())
        self._show_title()
        if self.cache.has(0):
            self._show_empty(not message.total and not self.filter_text)

    def _row_count(self) -> int:
        if self.total is not None:
            return self.total
        held = self.cache.rows()
        return len(held) + (1 if len(held) % PAGE == 0 and held else 0)

    @on(VirtualTable.RowsWanted)
    def rows_wanted(self, message: VirtualTable.RowsWanted) -> None:
        for page in range(message.first // PAGE, message.last // PAGE + 1):
            if self.cache.has(page):
                self.cache.touch(page)
            else:
                self._read(self.cache.generation, self.cache.plan(page, self.sort))

    # TableSource: the table asks for the cells of each row it draws.
    def cells(self, row: int) -> list[Content] | None:
        found = self.cache.row(row)
        if found is None:
            return None
        return row_cells(found, ["name", *self.columns])

    def is_selected(self, row: int) -> bool:
        found = self.cache.row(row)
        return found is not None and self.ticks.has(found.id)

    def row_at(self, row: int) -> index.IndexRow | None:
        return self.cache.row(row)

    # ------------------------------------------------------------------ live refresh

    def refresh_from_database(self) -> None:
        """Someone committed a change: re-read the pages in view and the count, keeping the
        cursor on its record."""
        generation = self.cache.generation
        if index_sorts.is_column_sort(self.sort):
            if self.order is not None:  # else the first read is still under way
                self._read_order(generation, refresh=True)
            return
        self._count(generation)
        self._refresh_pages(generation)

    def _refresh_pages(self, generation: int) -> None:
        rows = self.table.visible_rows()
        pages = sorted({r // PAGE for r in (rows.start, max(rows.stop - 1, rows.start))})
        for page in pages:
            self._refresh_page(
                generation, page, self.type_key, self._reader_args(), self._page_ids(page)
            )

    @work(thread=True, group="index-refresh", exit_on_error=False)
    def _refresh_page(
        self, generation: int, page: int, type_key: str, args: dict, ids: list[int] | None
    ) -> None:
        if ids is not None:
            result = connected(lambda: by_ids(type_key, ids, args))
        else:
            result = connected(lambda: index.page(type_key, offset=page * PAGE, limit=PAGE, **args))
        self.post_message(Refreshed(generation, page, result))

    def on_refreshed(self, message: Refreshed) -> None:
        if message.generation != self.cache.generation:
            return
        current = self.cache.row(self.table.cursor_row)
        held = {p: rows for p, rows in self.cache.pages.items() if p == message.page}
        self.cache.pages.clear()  # positions may have moved: keep only what was re-read
        self.cache.pages.update(held)
        self.cache.store(message.page, message.result.rows)
        if current is not None:
            for offset, row in enumerate(message.result.rows):
                if row.id == current.id:
                    self.table.move_to(message.page * PAGE + offset)
                    break
        self.table.rows_arrived()
        self._show_title()

    # ------------------------------------------------------------------ showing

    def _column_title(self, key: str) -> str:
        if key == "name":
            return _("Name")
        if key.startswith("assoc:"):  # short: the count's object (Edit columns says more)
            try:
                return objects.by_key(key[6:]).shown_plural
            except RolodexError:
                return key[6:]
        choices = dict(column_choices(self.info, self.types or index.index_types()))
        return choices.get(key, key)

    def _columns(self, rows: list[index.IndexRow]) -> list[Column]:
        """Columns sized to their title and the rows read so far, then fitted to the width:
        wide text columns give way first, and every column keeps a useful minimum."""
        keys = ["name", *self.columns]
        titles = [self._column_title(key) for key in keys]
        sorted_column = self.sort.lstrip("-")
        if sorted_column in keys:
            at = keys.index(sorted_column)
            titles[at] += " ↓" if self.sort.startswith("-") else " ↑"
        natural = []
        for key, title in zip(keys, titles, strict=True):
            widest = max([cell_width(cell_text(r, key)) for r in rows] or [0])
            cap = NATURAL_MAX.get(key, 12 if key.startswith("assoc:") else CELL_MAX)
            natural.append(max(cell_width(title), min(widest, cap), 4))
        widths = fit(natural, keys, self._available_width())
        return [
            Column(key, shown(title), width, "right" if key.startswith("assoc:") else "left")
            for key, title, width in zip(keys, titles, widths, strict=True)
        ]

    def _available_width(self) -> int:
        width = self.table.scrollable_content_region.width or self.app.size.width
        return max(width - 2, 20)  # the table's margin and a scrollbar's room

    def on_resize(self) -> None:
        if self.cache.pages:
            self.table.set_shape(self._columns(self.cache.rows()[:PAGE]), self.table.row_count)

    def _show_tabs(self) -> None:
        parts = []
        for number, info in enumerate(self.types[:9], start=1):
            style = "reverse b" if info.key == self.type_key else "dim"
            parts.append(
                template(f"[{style}] $n $name [/] ", n=str(number), name=info.shown_plural)
            )
        self.query_one("#index-tabs", Static).update(Content("").join(parts))

    def _show_title(self) -> None:
        if self.total is None and index_sorts.is_column_sort(self.sort):
            count = _("sorting…")
        elif self.total is None:
            count = _("counting…")
        elif self.table.cursor_row >= self.table.page_height and self.total:
            count = _("row {row} of {n}").format(
                row=f"{self.table.cursor_row + 1:,}", n=f"{self.total:,}"
            )
        else:
            count = ngettext("{n} record", "{n} records", self.total).format(n=f"{self.total:,}")
        ticked = self.ticks.count(self.total or 0)
        if ticked:
            count += " · " + ngettext("{n} ticked", "{n} ticked", ticked).format(n=f"{ticked:,}")
        title = template(
            "[b]$plural[/b] [dim]· $count · $sort[/dim]",
            plural=self.info.shown_plural,
            count=count,
            sort=self._sort_label(self.sort).lower(),
        )
        self.query_one("#index-title", Static).update(title)
        self.sub_title = self.info.shown_plural

    def _show_empty(self, empty: bool) -> None:
        panel = self.query_one(EmptyIndex)
        panel.display = empty
        self.table.display = not empty
        if empty:
            panel.show(self.info)
            if self.focused is None or self.focused is self.table:
                self.set_focus(panel)
        elif self.focused is panel:
            self.set_focus(self.table)

    # ------------------------------------------------------------------ events

    @on(VirtualTable.CursorMoved)
    def cursor_moved(self, message: VirtualTable.CursorMoved) -> None:
        self._show_title()

    @on(VirtualTable.CellSelected)
    def cell_selected(self, message: VirtualTable.CellSelected) -> None:
        message.stop()
        row = self.cache.row(message.row)
        if row is None:
            return
        if message.column.startswith("assoc:"):
            self.open_associated(row, message.column[6:])
        elif message.column == "primary" and row.primary_company:
            self.post_message(OpenRecord(row.primary_company[0]))
        else:
            self.post_message(OpenRecord(row.id))

    def open_associated(self, row: index.IndexRow, type_key: str) -> None:
        from rolodex.ui.modals.records import AssociatedListDialog

        self._open_chosen(
            ask(self.app, AssociatedListDialog(row.id, row.name or row.ref, type_key))
        )

    @flow("index-dialog")
    async def _open_chosen(self, answer: Awaitable[int | None]) -> None:
        chosen = await answer
        if chosen is not None:
            self.post_message(OpenRecord(chosen))

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        text = event.value
        if filter_expr.looks_like_expression(text):
            try:
                filter_expr.parse(text)  # the syntax, here; names are checked as it is read
            except InvalidValue as exc:
                self._show_filter_problem(str(exc))  # half typed: the last good filter stays
                return
        self._show_filter_problem("")
        self.filter_text = text

    def _show_filter_problem(self, problem: str) -> None:
        line = self.query_one("#filter-problem", Static)
        line.update(shown(problem, one_line=True))
        line.display = bool(problem)

    @on(FilterRefused)
    def filter_refused(self, message: FilterRefused) -> None:
        if message.generation == self.cache.generation:
            self._show_filter_problem(message.problem)

    @on(Input.Submitted, "#filter")
    def filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.set_focus(self.table)

    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        # Esc leaves the filter for the table (the filter stays).
        if event.key == "escape" and self.focused is self.query_one("#filter", Input):
            event.stop()
            self.set_focus(self.table)

    def action_focus_filter(self) -> None:
        # At once, not via focus() (deferred): keys typed right after "/" belong to the filter.
        self.set_focus(self.query_one("#filter", Input))

    def _sort_label(self, sort: str) -> str:
        column = sort.lstrip("-")
        prop = next((p for p in self.info.properties if f"prop:{p.key}" == column), None)
        title = self._column_title(column) if column not in ("name", "created") else ""
        if column.startswith("assoc:"):
            title = _("Associated {object}").format(object=title.lower())
        return sort_label(sort, title, prop.kind if prop else "")

    def sort_choices(self) -> list[tuple[str, str]]:
        """Both directions of the name, every shown column, and the creation date."""
        columns = ["name", *self.columns, "created"]
        sorts = [s for c in columns for s in (("-" + c, c) if c == "created" else (c, "-" + c))]
        return [(sort, self._sort_label(sort)) for sort in sorts]

    def action_sort(self) -> None:
        from rolodex.ui.modals.common import ChoiceDialog

        dialog = ChoiceDialog(
            _("Sort the {plural} by").format(plural=self.info.shown_plural.lower()),
            [(sort, shown(label)) for sort, label in self.sort_choices()],
            current=self.sort,
        )
        self._sort_chosen(ask(self.app, dialog))

    @flow("index-dialog")
    async def _sort_chosen(self, answer: Awaitable[str | None]) -> None:
        sort = await answer
        if sort is not None:
            self.sort = sort

    # ------------------------------------------------------------------ ticks

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("bulk", "untick_all"):
            return bool(self.ticks.count(self.total or 0))  # hidden until a row is ticked
        return True

    def _tick(self, row: int, ticked: bool | None = None) -> None:
        found = self.cache.row(row)
        if found is None:
            return
        self.ticks.set(found.id, not self.ticks.has(found.id) if ticked is None else ticked)
        self._ticks_changed()

    def _ticks_changed(self) -> None:
        self.table.refresh()
        self._show_title()
        self.refresh_bindings()

    def action_toggle_selected(self) -> None:
        self._tick(self.table.cursor_row)
        self.table.move_to(self.table.cursor_row + 1)

    def action_tick_on(self, step: int) -> None:
        """shift+↑/↓: tick the row and the one the cursor moves to."""
        self._tick(self.table.cursor_row, True)
        self.table.move_to(self.table.cursor_row + step)
        self._tick(self.table.cursor_row, True)

    def action_tick_all(self) -> None:
        self.ticks = Ticks(all=True)
        self._ticks_changed()

    def action_untick_all(self) -> None:
        self.ticks = Ticks()
        self._ticks_changed()

    def action_bulk(self) -> None:
        self._bulk()

    @flow("index-dialog")
    async def _bulk(self) -> None:
        from rolodex.ui.screens import bulk

        if await bulk.run(self):
            self.ticks = Ticks()
            self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_edit_columns(self) -> None:
        from rolodex.ui.modals.records import EditColumnsDialog

        choices = column_choices(self.info, self.types or index.index_types())
        self._columns_chosen(ask(self.app, EditColumnsDialog(self.info, choices, self.columns)))

    @flow("index-dialog")
    async def _columns_chosen(self, answer: Awaitable[list[str] | None]) -> None:
        columns = await answer
        if columns is None:
            return
        settings = getattr(self.app, "settings", None)
        if settings is not None:
            settings.columns[self.type_key] = columns
            problem = settings.save()
            if problem:
                self.notify(problem, severity="warning")
        self.load()

    def action_new_record(self) -> None:
        from rolodex.ui.modals.records import NewRecordDialog

        self._created(ask(self.app, NewRecordDialog(self.info)))

    @flow("index-dialog")
    async def _created(self, answer: Awaitable[RecordView | None]) -> None:
        view = await answer
        if view is not None:
            self.load()
            self.post_message(OpenRecord(view.id))


class Refreshed(Message):
    """A page re-read after someone committed a change."""

    def __init__(self, generation: int, page: int, result: index.IndexPage) -> None:
        super().__init__()
        self.generation = generation
        self.page = page
        self.result = result


class EmptyIndex(Static, can_focus=True):
    """What to do when an object has no records yet; Enter adds one."""

    BINDINGS = [Binding("enter", "new", _("New"), id="empty.new")]

    def show(self, info: ObjectInfo) -> None:
        plural = info.shown_plural.lower()
        self.update(
            template(
                "[b]$headline[/b]\n\n$add\n$import_\n$demo\n\n$more",
                headline=_("No {plural} yet").format(plural=plural),
                add=_("• Press n (or Enter) to add one here."),
                import_=_("• Import CSV files: press F5 (or run rolodex import FILE.csv)."),
                demo=_("• Explore the demo data: rolodex --demo"),
                more=_("Press 1–9 to switch objects, ctrl+p for commands, F1 for help."),
            )
        )

    def action_new(self) -> None:
        screen = self.screen
        if isinstance(screen, IndexScreen):
            screen.action_new_record()
