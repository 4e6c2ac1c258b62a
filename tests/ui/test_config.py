"""One config.toml: theme, language, keymap, columns and activity rules; ROLODEX_*
overrides; --theme; your own themes beside it; problems reported once at start; every
binding has an id; earlier settings.json and keymap.toml moved in once; each browser
of `rolodex serve` keeps its own view settings."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.ui.conftest import settle

ROLODEX = Path(sys.executable).parent / "rolodex"


def _notes(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications]  # noqa: SLF001 - tests only


async def test_the_theme_comes_from_config_then_the_environment_then_the_option(
    db, make_app, config_dir, monkeypatch
):
    (config_dir / "config.toml").write_text('theme = "light"\n')
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "rolodex-light"  # the name the picker shows works too
    monkeypatch.setenv("ROLODEX_THEME", "ansi")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "rolodex-ansi"
    app = make_app(theme="high-contrast")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "rolodex-high-contrast"
        assert not _notes(app)
    assert tomllib.loads((config_dir / "config.toml").read_text())["theme"] == "light"


async def test_your_own_theme_beside_the_config_loads_by_its_own_name(db, make_app, config_dir):
    themes = config_dir / "themes"
    themes.mkdir()
    (themes / "solar.toml").write_text('name = "solarized"\nprimary = "#268bd2"\n')
    (config_dir / "config.toml").write_text('theme = "solarized"\n')
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "solarized"
        assert "solarized" in app.theme_names() and "rolodex-light" in app.theme_names()
        await pilot.press("f4")
        await settle(pilot)
        from tests.ui.conftest import screen_text

        assert "solarized" in screen_text(app)


async def test_a_change_in_the_app_keeps_your_comments(db, make_app, config_dir):
    path = config_dir / "config.toml"
    path.write_text('# my settings\ntheme = "dark"  # dark at night\n\n[keymap]\n# vim\n')
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.theme = "rolodex-light"
        await settle(pilot)
    text = path.read_text()
    assert "# my settings" in text and "# vim" in text
    assert tomllib.loads(text)["theme"] == "rolodex-light"


async def test_bad_values_and_unknown_binding_ids_are_reported_once(db, make_app, config_dir):
    (config_dir / "config.toml").write_text(
        'language = "klingon"\ncolour = "red"\n[keymap]\n"index.flter" = "f"\n'
        '"index.sort" = 3\n"table.cursor_down" = "down,j"\n'
    )
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for _ in range(40):  # the keymap is checked in a worker after the first screen
            await pilot.pause(0.05)
            if any("index.flter" in n for n in _notes(app)):
                break
        notes = _notes(app)
        assert sum("klingon" in n for n in notes) == 1
        assert sum("colour" in n for n in notes) == 1
        assert sum("index.sort" in n for n in notes) == 1
        assert sum("index.flter" in n for n in notes) == 1
        assert not any("table.cursor_down" in n for n in notes)


async def test_j_and_k_can_move_the_table_cursor(world, make_app, config_dir):
    (config_dir / "config.toml").write_text(
        '[keymap]\n"table.cursor_down" = "down,j"\n"table.cursor_up" = ["up", "k"]\n'
    )
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.table
        start = table.cursor_row
        await pilot.press("j", "j")
        await settle(pilot)
        assert table.cursor_row == start + 2
        await pilot.press("k")
        await settle(pilot)
        assert table.cursor_row == start + 1


def test_every_binding_of_the_app_has_an_id():
    from textual.binding import Binding

    from rolodex.ui.app import known_binding_ids

    known_binding_ids()  # imports every module of the app
    import rolodex.web.failure  # noqa: F401

    missing = []
    for name, module in list(sys.modules.items()):
        if not name.startswith(("rolodex.ui", "rolodex.web")):
            continue
        for _cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != name:
                continue
            for binding in cls.__dict__.get("BINDINGS", ()):
                if isinstance(binding, Binding) and not binding.id:
                    missing.append(f"{name}.{cls.__name__}: {binding.key}")
    assert missing == []
    assert {"table.cursor_down", "app.export", "export.submit"} <= known_binding_ids()


async def test_settings_json_and_keymap_toml_move_into_config_toml_once(
    world, make_app, config_dir
):
    (config_dir / "settings.json").write_text(
        json.dumps({"theme": "rolodex-light", "columns": {"contact": ["name", "prop:email"]}})
    )
    (config_dir / "keymap.toml").write_text('[keys]\n"app.index_2" = "x"\n')
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.theme == "rolodex-light"
        keys = [c.key for c in app.screen.table.columns]
        assert keys[-1] == "prop:email" and "primary_company" not in keys
        await pilot.press("x")
        await settle(pilot)
        assert app.screen.type_key == "company"
        assert sum("config.toml" in n for n in _notes(app)) == 1
    data = tomllib.loads((config_dir / "config.toml").read_text())
    assert data["keymap"] == {"app.index_2": "x"} and data["theme"] == "rolodex-light"
    assert not (config_dir / "settings.json").exists()
    assert (config_dir / "settings.json.migrated").exists()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not any("config.toml" in n for n in _notes(app))


async def test_each_browser_keeps_its_own_view_settings(db, make_app, config_dir):
    from rolodex.ui.config import browser_view_file

    (config_dir / "config.toml").write_text('theme = "dark"\n')
    first = browser_view_file(config_dir, "a" * 32)
    second = browser_view_file(config_dir, "b" * 32)
    app = make_app(view_file=first)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.theme = "rolodex-light"
        await settle(pilot)
    app = make_app(view_file=second)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "rolodex-dark"  # not the other browser's choice
    app = make_app(view_file=first)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "rolodex-light"
    assert tomllib.loads((config_dir / "config.toml").read_text())["theme"] == "dark"


async def test_serve_gives_each_browser_an_id_and_its_session_that_id():
    from aiohttp import web
    from aiohttp.test_utils import make_mocked_request

    from rolodex.web.browsers import Browsers, valid_browser_id

    browsers = Browsers(8000, secure=False)

    async def page(_request):  # type: ignore[no-untyped-def]
        return web.Response(text="page")

    response = await browsers.middleware(make_mocked_request("GET", "/"), page)
    cookie = response.cookies["rolodex-browser-8000"]
    assert valid_browser_id(cookie.value) and cookie["httponly"] and cookie["samesite"] == "Strict"

    async def refused(_request):  # type: ignore[no-untyped-def]
        return web.Response(status=403)

    stranger = await browsers.middleware(make_mocked_request("GET", "/"), refused)
    assert "rolodex-browser-8000" not in stranger.cookies

    class Server:
        command = "python -m rolodex.web.session"

        async def handle_websocket(self, _request):  # type: ignore[no-untyped-def]
            return web.Response(text=self.command)

    server = Server()
    handler = browsers.sessions(server, server.command)  # type: ignore[arg-type]
    request = make_mocked_request(
        "GET", "/ws", headers={"Cookie": f"rolodex-browser-8000={cookie.value}"}
    )
    answer = await handler(request)
    assert answer.text == f"python -m rolodex.web.session --browser {cookie.value}"
    assert server.command == "python -m rolodex.web.session"  # never changed for others


# ---------------------------------------------------------------- the command line


@pytest.fixture
def home(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("ROLODEX_CONFIG_DIR", raising=False)
    return tmp_path / "xdg" / "rolodex"


def test_config_path_show_and_set(home, capsys):
    from rolodex.cli import main

    assert main(["config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(home / "config.toml")
    assert main(["config", "path", "themes"]) == 0
    assert capsys.readouterr().out.strip() == str(home / "themes")
    home.mkdir(parents=True)
    (home / "config.toml").write_text("# mine\n")
    assert main(["config", "set", "theme", "light"]) == 0
    assert main(["config", "set", "keymap.table.cursor_down", "down,j"]) == 0
    assert main(["config", "set", "columns.contact", "name,prop:email"]) == 0
    assert main(["config", "set", "activity_rules.contact.call.open_deals", "3"]) == 0
    capsys.readouterr()
    text = (home / "config.toml").read_text()
    assert text.startswith("# mine\n")
    assert tomllib.loads(text) == {
        "theme": "light",
        "keymap": {"table.cursor_down": "down,j"},
        "columns": {"contact": ["name", "prop:email"]},
        "activity_rules": {"contact": {"call": {"open_deals": 3}}},
    }
    assert main(["config", "set", "language", "klingon"]) == 2
    assert "klingon" in capsys.readouterr().err
    assert main(["config", "show", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["settings"]["theme"] == "light" and shown["config_file"].endswith("config.toml")


def test_config_show_names_the_environment_override(home, capsys, monkeypatch):
    from rolodex.cli import main

    monkeypatch.setenv("ROLODEX_THEME", "ansi")
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert 'theme = "ansi"' in out and "ROLODEX_THEME" in out


def test_activity_rules_of_the_config_are_the_defaults(home, db, db_url, capsys):
    from rolodex.cli import main
    from rolodex.crm import activities

    home.mkdir(parents=True)
    (home / "config.toml").write_text('[activity_rules."*".note]\nopen_deals = 1\n')
    try:
        main(["--db", db_url, "add", "company", "name=Acme", "domain=acme.test"])
        main(["--db", db_url, "add", "contact", "email=ann@acme.test"])
        main(["--db", db_url, "domains"])
        capsys.readouterr()
        assert main(["--db", db_url, "log", "ann@acme.test", "note", "--format", "json"]) == 0
        logged = json.loads(capsys.readouterr().out)
        assert logged["also_associated"] == []  # the default would add Acme
    finally:
        activities.use_default_rules(activities.DEFAULT_RULES)


def test_the_command_line_speaks_swedish_when_the_config_says_so(tmp_path):
    if not ROLODEX.exists():
        pytest.skip("the rolodex command is not installed")
    folder = tmp_path / "rolodex"
    folder.mkdir()
    (folder / "config.toml").write_text('language = "sv"\n')
    env = {**os.environ, "ROLODEX_CONFIG_DIR": str(folder)}
    result = subprocess.run(
        [str(ROLODEX), "show", "contact:1", "--db", str(tmp_path / "none.db")],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert result.returncode == 2 and result.stderr.startswith("rolodex: fel: "), result.stderr
    help_text = subprocess.run(
        [str(ROLODEX), "--help"], capture_output=True, text=True, env=env, timeout=30
    ).stdout
    english = subprocess.run(
        [str(ROLODEX), "--help"],
        capture_output=True,
        text=True,
        env={**env, "ROLODEX_LANGUAGE": "en"},
        timeout=30,
    ).stdout
    assert help_text != english and "keyboard-driven" in english


def test_the_app_starts_in_swedish_when_the_config_says_so(tmp_path):
    from tests.ui.test_e2e_tmux import Tmux

    if not ROLODEX.exists():
        pytest.skip("the rolodex command is not installed")
    folder = tmp_path / "rolodex"
    folder.mkdir()
    (folder / "config.toml").write_text('language = "sv"\n')
    tmux = Tmux(tmp_path)
    try:
        tmux.run(
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            "120",
            "-y",
            "40",
            f"ROLODEX_CONFIG_DIR={folder} TMPDIR={tmp_path} {ROLODEX} --demo",
        )
        screen = tmux.wait_for("Kontakter", timeout=40)
        assert "Contacts" not in screen
        tmux.keys("C-q")
    finally:
        tmux.run("kill-server")


async def test_f6_exports_the_contact_on_screen_and_the_filtered_index(
    world, make_app, tmp_path, monkeypatch
):
    from textual.widgets import Input

    from rolodex.ui.modals.export import ExportDialog
    from tests.ui.test_flows import open_record

    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_record(pilot, world.ids["ana"])
        await pilot.press("f6")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        suggested = Path(dialog.query_one(Input).value)
        assert suggested.parent == tmp_path and suggested.suffix == ".vcf"
        await pilot.press("enter")
        for _ in range(40):
            await pilot.pause(0.05)
            if suggested.exists() and not isinstance(app.screen, ExportDialog):
                break
        card = suggested.read_text(encoding="utf-8")
        assert card.count("BEGIN:VCARD") == 1 and "Ana" in card
        await pilot.press("escape")
        await settle(pilot)
        app.screen.filter_text = "b"  # the index's filter: names containing b
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        app.screen.query_one(Input).value = str(tmp_path / "b.vcf")
        await pilot.press("enter")
        for _ in range(40):
            await pilot.pause(0.05)
            if (tmp_path / "b.vcf").exists():
                break
    names = [
        line for line in (tmp_path / "b.vcf").read_text().splitlines() if line.startswith("FN:")
    ]
    assert names and all("b" in line[3:].lower() for line in names)


async def test_f6_exports_only_the_ticked_rows_of_the_index(world, make_app, tmp_path, monkeypatch):
    """Companies ticked in the index: F6 writes those and no others (CSV, import shape)."""
    import csv

    from textual.widgets import Input

    from rolodex.ui.modals.export import ExportDialog

    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # the companies
        await settle(pilot)
        await pilot.press("space", "down", "down", "space")  # the first and the third
        await settle(pilot)
        ticked = set(app.screen.ticks.ids)
        assert len(ticked) == 2
        await pilot.press("f6")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        assert "ticked" in str(dialog.query_one("#export-what").render())
        target = tmp_path / "ticked.csv"
        dialog.query_one(Input).value = str(target)
        await pilot.press("enter")
        for _ in range(40):
            await pilot.pause(0.05)
            if target.exists() and not isinstance(app.screen, ExportDialog):
                break
    with target.open(encoding="utf-8-sig", newline="") as handle:
        refs = {row["Rolodex REF"] for row in csv.DictReader(handle)}
    assert refs == {f"company:{i}" for i in ticked}


async def test_f6_writes_the_format_the_file_name_asks_for(world, make_app, tmp_path, monkeypatch):
    """The contacts index to .xlsx and .csv (not only vCards); a .vcf of companies is refused
    in the dialog, which stays open."""
    from openpyxl import load_workbook
    from textual.widgets import Input, Static

    from rolodex.crm import records
    from rolodex.ui.modals.export import ExportDialog

    monkeypatch.chdir(tmp_path)
    app = make_app()

    async def export_to(target) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("f6")
        await settle(pilot)
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        for _ in range(40):
            await pilot.pause(0.05)
            if target.exists() and not isinstance(app.screen, ExportDialog):
                break

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await export_to(tmp_path / "people.xlsx")
        await export_to(tmp_path / "people.csv")
        await pilot.press("2")
        await settle(pilot)
        await export_to(tmp_path / "companies.vcf")
        assert isinstance(app.screen, ExportDialog)
        assert "Only contacts" in str(app.screen.query_one("#error", Static).render())
    sheet = load_workbook(tmp_path / "people.xlsx").active
    assert sheet.max_row - 1 == records.count("contact")
    lines = (tmp_path / "people.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Rolodex REF") and len(lines) - 1 == records.count("contact")
    assert not (tmp_path / "companies.vcf").exists()
