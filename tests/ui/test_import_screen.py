"""The Import screen: pick files, mapping preview, dry run, import, bad file, revert (Pilot and snapshots)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path

import pytest
from textual.widgets import DataTable, DirectoryTree, Input, OptionList, Static
from textual.worker import WorkerCancelled, WorkerFailed

from rolodex.crm import associations, records
from rolodex.crm.errors import NotFound
from rolodex.store.models import Import
from rolodex.ui.modals.common import ConfirmDialog
from rolodex.ui.screens.import_screen import ColumnTargetDialog, ImportScreen
from tests.io.conftest import fingerprint

CONTACTS = """Record ID,First Name,Last Name,Email,Associated Company IDs,[red]Notes[/]
101,Ana,Lind,ana@acme.com,501,hi
102,Bo,Berg,bo@globex.com,503,
104,Dee,Dahl,dee@example.com,{long_id},
""".format(long_id="9" * 300)  # ids are any text, but not this long
COMPANIES = """Record ID,Company name,Company Domain Name,Associated Contact IDs
501,Acme,acme.com,101
503,Globex,globex.com,102
"""
MARKUP_PATH = "[b]x[/b].csv"  # a folder "[b]x[" holding "b].csv"
UK_NAME = "ACME [UK] [@click=app.quit]x.csv"


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of import files (with markup in their names), made the current directory."""
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "contacts.csv").write_text(CONTACTS, encoding="utf-8")
    (folder / "companies.csv").write_text(COMPANIES, encoding="utf-8")
    (folder / "junk.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    (folder / "notes.md").write_text("not importable", encoding="utf-8")
    (folder / "[b]x[").mkdir()
    (folder / MARKUP_PATH).write_text(CONTACTS, encoding="utf-8")
    (folder / UK_NAME).write_text(COMPANIES, encoding="utf-8")
    monkeypatch.chdir(folder)
    return folder


async def settle(pilot, rounds: int = 60) -> None:  # type: ignore[no-untyped-def]
    """Wait until every worker ran and every posted message was handled.

    (tests/ui/conftest.settle waits for *all* workers, but DirectoryTree keeps a
    loader worker alive for as long as it is mounted.)"""
    app = pilot.app
    quiet = 0
    for _ in range(rounds):
        await pilot.pause()
        busy = [w for w in app.workers if w.group != "_loader" and w.is_running]
        loading = any(not tree._load_queue.empty() for tree in app.screen.query(DirectoryTree))
        if busy:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await app.workers.wait_for_complete(busy)
        if busy or loading:
            quiet = 0
            await pilot.pause(0.01)
            continue
        quiet += 1
        if quiet >= 2:
            return


def text_of(screen: ImportScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def open_import(pilot) -> ImportScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.app.push_screen(ImportScreen("."))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ImportScreen)
    return screen


async def add_path(pilot, screen: ImportScreen, path: str) -> None:  # type: ignore[no-untyped-def]
    screen.query_one("#imp-path", Input).focus()
    await pilot.press(*path)
    await pilot.press("enter")
    await settle(pilot)


# ---------------------------------------------------------------- Pilot tests


async def test_dry_run_shows_summary_and_writes_nothing(db, make_app, files):
    before = fingerprint()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_import(pilot)
        await add_path(pilot, screen, "contacts.csv")
        # the mapping preview: each header and how it was understood
        table = screen.query_one("#imp-mapping", DataTable)
        rows = {
            table.get_cell_at((r, 1)).plain: (
                table.get_cell_at((r, 2)).plain,
                table.get_cell_at((r, 0)).plain,
            )
            for r in range(table.row_count)
        }
        assert rows["Email"][1] == "property"
        assert rows["Associated Company IDs"][1] == "association"
        assert rows["Record ID"][1] == "record id"
        assert rows["[red]Notes[/]"][1] == "ignored"  # verbatim, not markup
        await pilot.press("f5")
        await settle(pilot)
        summary = text_of(screen, "#imp-summary")
        assert "Dry run of import" in summary and "nothing was written" in summary
        assert "records created: 2 (contact 2)" in summary
        assert "rows rejected: 1 (INVALID_IDENTIFIER 1)" in summary
        assert "\n  records created" in summary and "␊" not in summary  # one fact a line
        assert "associations waiting for records not imported yet: 2" in summary
        assert screen.query_one("#imp-tabs").active == "imp-tab-result"
        assert "Every match, row by row, is in the Matches tab" in summary
        matches = screen.query_one("#imp-matches", DataTable)
        got = [
            tuple(matches.get_cell_at((r, c)).plain for c in (0, 1, 2, 6))
            for r in range(matches.row_count)
        ]
        assert got == [
            ("2", "contact", "create", "101"),
            ("2", "association", "wait", "501"),
            ("3", "contact", "create", "102"),
            ("3", "association", "wait", "503"),
            ("4", "row", "rejected", ""),
        ]
        assert text_of(screen, "#imp-matches-note") == "5 matches"
        assert screen.last_import is None
        assert "3 rows" in text_of(screen, "#imp-rate")
        assert "rows/s" in text_of(screen, "#imp-rate")
    assert fingerprint() == before
    assert records.count("contact") == 0


async def test_import_from_tree_and_path_then_revert(db, make_app, files):
    before = fingerprint()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_import(pilot)
        # keyboard: pick companies.csv in the folder tree (folders first, then files A-Z)
        tree = screen.query_one("#imp-tree")
        tree.focus()
        labels = [node.label.plain for node in tree.root.children]  # type: ignore[attr-defined]
        assert labels == ["[b]x[", UK_NAME, "companies.csv", "contacts.csv", "junk.xlsx"]
        await pilot.press("down", "down", "down", "enter")
        await settle(pilot)
        await add_path(pilot, screen, "contacts.csv")
        files_list = screen.query_one("#imp-files", OptionList)
        assert [str(files_list.get_option_at_index(i).prompt) for i in range(2)] == [
            "✓ companies.csv",
            "✓ contacts.csv",
        ]
        await pilot.click("#imp-apply")  # the mouse works too
        await settle(pilot)
        summary = text_of(screen, "#imp-summary")
        assert "Import import-" in summary and "Dry run" not in summary
        assert "records created: 4 (company 2, contact 2)" in summary
        assert "INVALID_IDENTIFIER 1" in summary
        ana, acme = records.resolve("ana@acme.com").id, records.resolve("acme.com").id
        bo, globex = records.resolve("bo@globex.com").id, records.resolve("globex.com").id
        assert associations.primary_company(ana) == acme
        assert associations.primary_company(bo) == globex
        assert [a.other_id for a in associations.all_of(ana)] == [acme]
        import_id = screen.last_import
        assert import_id and import_id in summary

        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen
        assert "Reverted import" in text_of(screen, "#imp-summary")
        assert screen.last_import is None
        assert screen.query_one("#imp-revert").disabled
        for ref in ("ana@acme.com", "acme.com", "bo@globex.com"):
            with pytest.raises(NotFound):
                records.resolve(ref)
        assert Import.get_by_id(import_id).reverted_at is not None
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ImportScreen)
    assert fingerprint() != before  # the import and its revert are in the history


async def test_bad_file_shows_one_message_and_changes_nothing(db, make_app, files):
    before = fingerprint()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        await add_path(pilot, screen, "contacts.csv")
        await add_path(pilot, screen, "junk.xlsx")
        # the preview already says what is wrong with it
        assert "junk.xlsx" in text_of(screen, "#imp-notes")
        options = screen.query_one("#imp-files", OptionList)
        assert str(options.get_option_at_index(1).prompt).startswith("✗ junk.xlsx")
        await pilot.press("f6")
        await settle(pilot)
        summary = text_of(screen, "#imp-summary")
        assert summary.startswith("✗ junk.xlsx")
        assert "Nothing was imported; the database is unchanged." in summary
        assert "Traceback" not in summary
        assert screen.last_import is None and screen.running is None
        # a path that does not exist is refused at the input, not added
        await add_path(pilot, screen, "missing.csv")
        assert "missing.csv: no such file" in text_of(screen, "#imp-message")
        assert options.option_count == 2
        # Delete on the file list removes the bad file; then the import works
        options.focus()
        options.highlighted = 1
        await pilot.press("delete")
        await settle(pilot)
        assert options.option_count == 1
        assert fingerprint() == before
        await pilot.press("f6")
        await settle(pilot)
        assert records.count("contact") == 2


async def test_markup_in_file_names_is_shown_verbatim(db, make_app, files):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_import(pilot)
        await add_path(pilot, screen, MARKUP_PATH)
        await add_path(pilot, screen, UK_NAME)
        assert app.is_running
        options = screen.query_one("#imp-files", OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(2)]
        assert prompts == ["✓ " + MARKUP_PATH, "✓ " + UK_NAME]
        assert UK_NAME in text_of(screen, "#imp-file-title")
        await pilot.press("f6")
        await settle(pilot)
        assert app.is_running
        assert records.count("company") == 2


async def test_escape_stops_a_running_import_and_nothing_is_written(
    db, make_app, files, monkeypatch
):
    """Esc while importing: the transaction rolls back, the screen stays, the database is as before."""
    import rolodex.ui.screens.import_screen as module

    reached, gate = threading.Event(), threading.Event()

    class HeldProgress(ImportScreen.Progress):
        def __init__(self, rows: int, elapsed: float) -> None:
            super().__init__(rows, elapsed)
            if rows == 1:  # hold the worker after its first row until Esc was pressed
                reached.set()
                gate.wait(10)

    monkeypatch.setattr(module, "PROGRESS_EVERY", 0.0)
    monkeypatch.setattr(ImportScreen, "Progress", HeldProgress)
    before = fingerprint()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        await add_path(pilot, screen, "companies.csv")
        await pilot.press("f6")
        assert await asyncio.to_thread(reached.wait, 10)
        assert screen.running == "import"
        assert screen.query_one("#imp-apply").disabled
        await pilot.press("escape")
        assert isinstance(app.screen, ImportScreen)  # Esc stops the run; it does not leave
        gate.set()
        await settle(pilot)
        assert "Stopped: nothing was written" in text_of(screen, "#imp-summary")
        assert screen.running is None and screen.last_import is None
        assert not screen.query_one("#imp-apply").disabled
    assert fingerprint() == before


async def test_columns_are_remapped_in_the_preview_and_the_mapping_saved(
    db, make_app, files, tmp_path
):
    saved = tmp_path / "mapping.csv"
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_import(pilot)
        await add_path(pilot, screen, "contacts.csv")
        table = screen.query_one("#imp-mapping", DataTable)

        def meaning(header: str) -> str:
            for r in range(table.row_count):
                if table.get_cell_at((r, 1)).plain == header:
                    return table.get_cell_at((r, 2)).plain
            raise AssertionError(header)

        def row_of(header: str) -> int:
            return next(
                r for r in range(table.row_count) if table.get_cell_at((r, 1)).plain == header
            )

        assert meaning("[red]Notes[/]").startswith("ignored")
        table.focus()
        table.move_cursor(row=row_of("Last Name"))
        await pilot.press("s")  # skip it
        await settle(pilot)
        assert meaning("Last Name") == "✎ ignored (skipped)"
        assert table.cursor_row == row_of("Last Name")  # the cursor stayed on the column
        table.move_cursor(row=row_of("[red]Notes[/]"))
        await pilot.press("enter")  # say what it is
        await settle(pilot)
        assert isinstance(app.screen, ColumnTargetDialog)
        app.screen.query_one("#target", Input).value = "contact.job_title"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert meaning("[red]Notes[/]") == "✎ contact property job_title"
        screen.query_one("#imp-mapfile", Input).value = str(saved)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "The mapping was saved" in text_of(screen, "#imp-status")
        await pilot.press("f6")
        await settle(pilot)
        ana = records.resolve("ana@acme.com")
        assert ana.properties == {"first_name": "Ana", "email": "ana@acme.com", "job_title": "hi"}
    lines = saved.read_text(encoding="utf-8").splitlines()
    assert "Last Name,skip" in lines and "[red]Notes[/],contact.job_title" in lines


async def test_past_imports_are_listed_and_one_is_reverted_with_progress(
    db, make_app, files, monkeypatch
):
    from rolodex.io.importer import run_import
    from rolodex.ui.screens import imports as past_module
    from rolodex.ui.screens.imports import PastImportsScreen

    older = run_import([str(files / "companies.csv")]).import_id
    newer = run_import([str(files / "contacts.csv")]).import_id
    monkeypatch.setattr(past_module, "PROGRESS_EVERY", 0.0)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_import(pilot)
        await pilot.press("f8")
        await settle(pilot)
        past = app.screen
        assert isinstance(past, PastImportsScreen)
        table = past.query_one("#past-table", DataTable)
        assert [table.get_cell_at((r, 0)).plain for r in range(2)] == [newer, older]
        assert table.get_cell_at((0, 4)).plain == "2"  # contacts created
        table.move_cursor(row=1)  # the older import: its companies are linked since
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is past
        summary = text_of(past, "#past-summary")
        assert f"Reverted import {older}" in summary
        assert "it was associated with other records after the import" in summary
        assert table.get_cell_at((1, 8)).plain.endswith("UTC")  # reverted, when
        assert records.count("company") == 2  # both linked to the newer import's contacts
        await pilot.press("f7")  # reverted already: nothing happens
        await settle(pilot)
        assert app.screen is past
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


# ---------------------------------------------------------------- snapshots


def preview_loaded(*paths: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = await open_import(pilot)
        for path in paths:
            await add_path(pilot, screen, path)
        screen.query_one("#imp-files", OptionList).highlighted = 0
        screen.query_one("#imp-path", Input).cursor_blink = False
        screen.query_one("#imp-errors", Input).cursor_blink = False
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot_preview_with_markup_names(snap_compare, db, make_app, files, size):
    assert snap_compare(
        make_app(), terminal_size=size, run_before=preview_loaded(MARKUP_PATH, UK_NAME)
    )
