"""Wiring to the other parts (TUI, import/export, seed, serve, shared init), the database
choice (--db, ROLODEX_DB), and the installed `rolodex` console script end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from rolodex.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".venv" / "bin" / "rolodex"
PG = bool(os.environ.get("ROLODEX_TEST_PG_URL"))


def _fake(monkeypatch, name: str, **functions) -> list:
    calls: list = []
    module = types.ModuleType(name)
    for fname, result in functions.items():

        def func(*args, _fname=fname, _result=result, **_keywords):
            calls.append((_fname, args))
            return _result(*args) if callable(_result) else _result

        setattr(module, fname, func)
    monkeypatch.setitem(sys.modules, name, module)
    return calls


@pytest.fixture
def terminal(monkeypatch):
    """The command runs in a terminal (pytest's output is captured: it has none)."""
    monkeypatch.setattr("rolodex.cli._has_terminal", lambda: True)


def test_no_command_opens_the_tui_with_the_chosen_database(monkeypatch, db_url, terminal):
    calls = _fake(monkeypatch, "rolodex.ui.app", run_app=0)
    assert main(["--db", db_url]) == 0
    assert main([]) == 0
    assert main(["--theme", "light"]) == 0
    assert calls == [
        ("run_app", (db_url, None)),
        ("run_app", (None, None)),
        ("run_app", (None, "light")),
    ]


def test_demo_opens_the_tui_on_a_scratch_copy(monkeypatch, tmp_path, terminal):
    scratch = tmp_path / "scratch.db"
    _fake(monkeypatch, "rolodex.synth.demo", scratch_copy=scratch)
    calls = _fake(monkeypatch, "rolodex.ui.app", run_app=0)
    assert main(["--demo"]) == 0
    assert calls == [("run_app", (str(scratch), None))]


def test_missing_parts_say_not_available(monkeypatch, capsys, terminal):
    for name in (
        "rolodex.ui.app",
        "rolodex.serve",
        "rolodex.io.commands",
        "rolodex.synth.commands",
        "rolodex.synth.demo",
        "rolodex.store.shared",
    ):
        monkeypatch.setitem(sys.modules, name, None)
    for argv in ([], ["--demo"], ["serve"], ["init", "x.db", "--shared", "crm"]):
        capsys.readouterr()
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "not available in this build" in err


def test_missing_parts_that_need_the_database(monkeypatch, run):
    for name in ("rolodex.io.commands", "rolodex.synth.commands"):
        monkeypatch.setitem(sys.modules, name, None)
    for argv in (["import", "a.csv"], ["export", "contact"], ["seed", "--size", "demo"]):
        result = run(*argv)
        assert result.code == 2 and "not available in this build" in result.err


def test_import_and_export_receive_their_options_with_the_database_open(monkeypatch, run, add):
    ref = add("contact", "email=ana@acme.com")
    seen = {}

    def import_command(args, out, err):
        from rolodex.crm import records

        seen["import"] = vars(args).copy()
        seen["ref"] = records.resolve("ana@acme.com").ref  # the database is open
        out.write("imported\n")
        return 0

    def export_command(args, out, err):
        seen["export"] = (args.type, args.output, args.format)
        return 3

    _fake(
        monkeypatch,
        "rolodex.io.commands",
        import_command=import_command,
        export_command=export_command,
    )
    result = run(
        "import",
        "a.csv",
        "b.csv",
        "--dry-run",
        "--errors",
        "rejected.csv",
        "--mode",
        "create",
        "--create-labels",
    )
    assert result.code == 0 and result.out == "imported\n"
    assert seen["ref"] == ref
    opts = seen["import"]
    assert (
        opts["files"],
        opts["dry_run"],
        opts["errors"],
        opts["mode"],
        opts["create_labels"],
        opts["revert"],
    ) == (["a.csv", "b.csv"], True, "rejected.csv", "create", True, None)
    # --list and --revert are the command line's own (rolodex.cli_imports), not the hook's
    seen.pop("import")
    assert run("import", "--list").code == 0 and "import" not in seen
    # the import options that are the hook's to check reach it as given
    run("import", "c.csv", "--map", "A=contact.x", "--skip", "B", "--keep-unknown")
    assert (seen["import"]["map"], seen["import"]["skip"], seen["import"]["keep_unknown"]) == (
        ["A=contact.x"],
        ["B"],
        True,
    )
    assert run("export", "contact", "-o", "out.xlsx", "--format", "xlsx").code == 3
    assert seen["export"] == ("contact", "out.xlsx", "xlsx")


def test_seed_serve_and_init_shared(monkeypatch, run, db_url, tmp_path, capsys):
    seeded = _fake(monkeypatch, "rolodex.synth.commands", seed_command=0)
    assert run("seed", "--size", "10k", "--seed", "7").code == 0
    assert seeded[0][1][:2] == ("10k", 7)
    assert run("seed", "--size", "huge").code == 2
    # Without --seed, the generator's own default: the one the committed demo.db was built with.
    import inspect

    from rolodex.synth.generator import generate

    assert run("seed", "--size", "demo").code == 0
    assert seeded[-1][1][:2] == ("demo", inspect.signature(generate).parameters["seed"].default)

    served = _fake(monkeypatch, "rolodex.serve", serve=0)
    assert main(["--db", db_url, "serve", "--port", "9001"]) == 0
    assert main(["serve", "--demo", "--host", "0.0.0.0"]) == 0
    assert main(["--demo", "serve"]) == 0
    assert main(["serve", "--host", "0.0.0.0", "--public-url", "http://crm.example:8000"]) == 0
    assert [c[1] for c in served] == [
        ("127.0.0.1", 9001, db_url, False, None),
        ("0.0.0.0", 8000, None, True, None),
        ("127.0.0.1", 8000, None, True, None),
        ("0.0.0.0", 8000, None, False, "http://crm.example:8000"),
    ]

    shared = _fake(monkeypatch, "rolodex.store.shared", init_shared=None)
    target = tmp_path / "team.db"
    assert main(["init", str(target), "--shared", "sales"]) == 0
    assert shared == [("init_shared", ("sales", target))]
    capsys.readouterr()


@pytest.mark.skipif(PG, reason="file databases are SQLite")
def test_init_creates_a_usable_database(tmp_path, capsys):
    target = tmp_path / "new.db"
    assert main(["init", str(target)]) == 0
    assert main(["--db", str(target), "add", "company", "name=Acme"]) == 0
    assert capsys.readouterr().out.split()[-1] == "company:1"


def test_rolodex_db_environment_variable_and_db_precedence(
    monkeypatch, run, db_url, tmp_path, capsys
):
    ref = run("add", "company", "name=Env").last_word
    monkeypatch.setenv("ROLODEX_DB", db_url)
    capsys.readouterr()
    assert main(["show", ref, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "Env"
    if not PG:
        other = tmp_path / "other.db"
        assert main(["--db", str(other), "show", ref]) == 2  # --db wins: not in the other one
        assert "does not exist" in capsys.readouterr().err  # a read never creates a database


def test_help_exits_zero(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("associate", "history", "labels", "check", "--db"):
        assert word in out
    assert main(["labels", "--help"]) == 0
    assert "limit" in capsys.readouterr().out


def _script(args: list[str], env_db: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ROLODEX_DB"}
    if env_db:
        env["ROLODEX_DB"] = env_db
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.skipif(not SCRIPT.exists(), reason="the console script is not installed")
def test_installed_console_script_end_to_end(db, db_url, tmp_path):
    db.close()

    def rolodex(*args: str) -> str:
        done = _script(["--db", db_url, *args])
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        return done.stdout

    acme = rolodex("add", "company", "name=Acme", "domain=acme.com").split()[-1]
    ana = rolodex("add", "contact", "first_name=Ana", "email=ana@acme.com").split()[-1]
    rolodex("labels", "create", "contact", "company", "Employee", "--inverse", "Employer")
    rolodex("associate", "ana@acme.com", "acme.com", "--label", "Employee", "--primary")
    shown = json.loads(rolodex("show", ana, "--format", "json"))
    assert shown["associations"][0]["ref"] == acme
    assert shown["associations"][0]["labels"] == ["Employer"]
    history = json.loads(rolodex("history", acme, "--format", "json"))
    assert history[0]["source"] == "API" and history[0]["labels"] == ["Employee"]
    assert "ok:" in rolodex("check")

    # ROLODEX_DB instead of --db.
    via_env = _script(["show", acme, "--format", "json"], env_db=db_url)
    assert via_env.returncode == 0 and json.loads(via_env.stdout)["ref"] == acme

    # An error: one line, exit 2, no traceback.
    bad = _script(["--db", db_url, "associate", ana, ana])
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.splitlines() == [
        f"rolodex: error: a record cannot be associated with itself ({ana})"
    ]

    garbage = tmp_path / "garbage.db"
    garbage.write_text("hello\n")
    bad = _script(["--db", str(garbage), "check"])
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1
    assert "Traceback" not in bad.stderr


def test_python_dash_m_rolodex():
    done = subprocess.run(
        [sys.executable, "-m", "rolodex", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "associate" in done.stdout


@pytest.mark.skipif(PG, reason="the demo database is a SQLite file")
def test_demo_with_a_command_works_on_the_scratch_copy(monkeypatch, tmp_path, capsys):
    scratch = tmp_path / "scratch.db"
    assert main(["--db", str(scratch), "add", "company", "name=Demo Co"]) == 0
    _fake(monkeypatch, "rolodex.synth.demo", scratch_copy=scratch)
    capsys.readouterr()
    assert main(["--demo", "show", "company:1", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "Demo Co"


@pytest.mark.skipif(not SCRIPT.exists(), reason="the console script is not installed")
def test_a_pipe_that_cannot_encode_names_gets_escapes_not_a_crash(db, db_url):
    db.close()
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    env.pop("ROLODEX_DB", None)
    name = "שלום Åsa 🦆"
    run = [str(SCRIPT), "--db", db_url]
    added = subprocess.run(
        [*run, "add", "company", f"name={name}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert added.returncode == 0 and added.stdout.split()[-1] == "company:1"
    shown = subprocess.run(
        [*run, "show", "company:1", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["name"] == name
