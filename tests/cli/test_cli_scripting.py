"""The command line as scripts and shells use it: --version, completion, options in any
place, help on every option, JSON from every command that prints data and for errors,
`rolodex list`, and `rolodex` without a terminal."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rolodex.cli import build_parser

ROLODEX = Path(sys.executable).parent / "rolodex"


def test_version(capsys):
    from rolodex.cli import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("rolodex 0.")


def _every_parser(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:  # noqa: SLF001 - argparse keeps them here only
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for sub in action.choices.values():
                yield from _every_parser(sub)


def test_every_option_and_argument_has_help_text():
    missing = [
        f"{p.prog} {action.option_strings or action.dest}"
        for p in _every_parser(build_parser())
        for action in p._actions  # noqa: SLF001
        if not isinstance(action, argparse._SubParsersAction) and not action.help  # noqa: SLF001
    ]
    assert missing == []


def test_global_options_work_after_the_command(ok, db_url):
    ref = ok("add", "contact", "email=late@example.com").last_word
    from rolodex.cli import main

    assert main(["show", ref, "--db", db_url, "--format", "json"]) == 0
    assert main(["labels", "list", f"--db={db_url}"]) == 0


def test_add_help_lists_every_type_and_its_properties_custom_objects_too(ok, run):
    ok(
        "objects",
        "create",
        "project",
        "--singular",
        "Project",
        "--plural",
        "Projects",
        "--property",
        "budget:number",
    )
    result = run("add", "--help")
    assert result.code == 0
    assert "contact: first_name (text)" in result.out
    assert "project [custom object]: budget (number)" in result.out


def test_add_help_says_so_when_there_is_no_database(capsys, tmp_path):
    from rolodex.cli import main

    assert main(["--db", str(tmp_path / "none.db"), "add", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "cannot be opened now" in out and "contact (first_name" in out


@pytest.mark.parametrize(
    ("args", "keys"),
    [
        (("add", "company", "name=Acme", "domain=acme.test"), {"ref", "properties"}),
        (("update", "acme.test", "city=Oslo"), {"ref", "version"}),
        (("associate", "pia@acme.test", "acme.test", "--primary"), {"created", "association"}),
        (("set-primary", "pia@acme.test", "acme.test"), {"primary", "changed"}),
        (("labels", "create", "contact", "company", "Owner"), {"name", "inverse"}),
        (("labels", "limit", "contact", "company", "5"), {"max"}),
        (("log", "pia@acme.test", "note", "subject=Hi"), {"ref", "also_associated"}),
        (("domains",), {"associated"}),
        (("domains", "exclude", "spam.test"), {"excluded"}),
        (("recommend", "pia@acme.test", "company"), None),
        (("dissociate", "pia@acme.test", "acme.test"), {"removed"}),
        (("labels", "delete", "contact", "company", "Owner"), {"deleted"}),
        (("delete", "pia@acme.test"), {"deleted"}),
        (("bin",), None),
        (("objects", "create", "project", "--singular", "P", "--plural", "Ps"), {"key"}),
        (("list", "company"), None),
        (("check",), {"ok"}),
    ],
)
def test_commands_print_json_when_asked(ok, args, keys):
    ok("add", "contact", "first_name=Pia", "email=pia@acme.test")
    if args[0] in ("update", "associate", "set-primary", "recommend", "dissociate", "list"):
        ok("add", "company", "name=Acme", "domain=acme.test")
    if args[0] in ("set-primary", "dissociate"):
        ok("associate", "pia@acme.test", "acme.test")
    if args[:2] == ("labels", "delete"):
        ok("labels", "create", "contact", "company", "Owner")
    value = ok(*args, "--format", "json").json()
    if keys is None:
        assert isinstance(value, list)
    else:
        assert keys <= set(value), value


def test_restore_and_merge_print_json(ok):
    a = ok("add", "contact", "email=a@x.test").last_word
    b = ok("add", "contact", "email=b@x.test").last_word
    ok("delete", b)
    assert ok("restore", b, "--format", "json").json() == {"ref": b, "restored": True}
    assert ok("merge", a, b, "--format", "json").json() == {"kept": a, "merged": b}


def test_errors_are_a_json_object_on_stderr_when_json_is_asked(run):
    result = run("show", "contact:999", "--format", "json")
    assert result.code == 2 and result.out == ""
    error = json.loads(result.err)["error"]
    assert error["code"] == "RECORD_NOT_FOUND" and "999" in error["message"]
    usage = run("list", "contact", "--format", "json", "--bogus")
    assert usage.code == 2 and json.loads(usage.err)["error"]["code"] == "USAGE"
    plain = run("show", "contact:999")
    assert plain.err.startswith("rolodex: error: ") and plain.err.count("\n") == 1


# ---------------------------------------------------------------- list


@pytest.fixture
def crm(ok):
    """Two companies, four contacts, a deal."""
    add = lambda *a: ok("add", *a).last_word  # noqa: E731
    acme = add("company", "name=Acme", "domain=acme.test")
    add("company", "name=Globex", "domain=globex.test")
    people = [
        add("contact", "first_name=Cleo", "last_name=Ek", "email=cleo@acme.test", "job_title=CTO"),
        add(
            "contact", "first_name=Alva", "last_name=Berg", "email=alva@acme.test", "job_title=CEO"
        ),
        add("contact", "first_name=Bo", "last_name=Dahl", "email=bo@globex.test", "job_title=CTO"),
        add("contact", "first_name=Dan", "last_name=Ahl", "email=dan@free.test"),
    ]
    ok("domains")
    deal = add("deal", "name=Renewal")
    ok("associate", deal, people[0])
    ok("associate", deal, acme)
    return {"acme": acme, "people": people, "deal": deal}


def test_list_streams_records_with_their_primary_company_and_counts(ok, crm):
    rows = ok("list", "contact", "--format", "json").json()
    assert [r["name"] for r in rows] == ["Alva Berg", "Bo Dahl", "Cleo Ek", "Dan Ahl"]
    cleo = rows[2]
    assert cleo["ref"] == crm["people"][0]
    assert cleo["primary_company"]["name"] == "Acme"
    assert cleo["associations"]["deal"] == 1 and cleo["associations"]["company"] == 1
    assert rows[3]["primary_company"] is None


def test_list_filters_sorts_and_limits(ok, crm):
    refs = ok("list", "contact", "--where", "job_title=CTO", "--format", "refs").out.split()
    assert refs == [crm["people"][2], crm["people"][0]]  # Bo Dahl, Cleo Ek
    both = ok(
        "list",
        "contact",
        "--where",
        "job_title=CTO",
        "--associated-with",
        "acme.test",
        "--format",
        "refs",
    ).out.split()
    assert both == [crm["people"][0]]
    deals = ok("list", "contact", "--associated-with", crm["deal"], "--format", "refs")
    assert deals.out.split() == [crm["people"][0]]
    by_last = ok("list", "contact", "--sort", "last_name", "--format", "refs").out.split()
    assert by_last[0] == crm["people"][3]  # Ahl
    newest = ok("list", "contact", "--sort=-created", "--limit", "2", "--format", "refs")
    assert newest.out.split() == [crm["people"][3], crm["people"][2]]
    email = ok("list", "contact", "--where", "email=CLEO@acme.test", "--format", "refs")
    assert email.out.split() == [crm["people"][0]]


def test_list_table_and_csv(ok, crm):
    table = ok("list", "contact").out.splitlines()
    assert table[0].split()[:3] == ["REF", "Name", "Primary"]
    assert "Acme" in table[3] and "Cleo Ek" in table[3]
    lines = ok("list", "company", "--format", "csv").out.splitlines()
    assert lines[0].startswith("ref,id,name,domain")
    assert lines[1].startswith(f"{crm['acme']},")


def test_list_reports_a_bad_filter_before_any_output(run, crm):
    result = run("list", "contact", "--where", "shoe_size=42", "--format", "json")
    assert result.code == 2 and result.out == ""
    assert "shoe_size" in json.loads(result.err)["error"]["message"]
    empty = run("list", "contact", "--where", "job_title=Nobody", "--format", "json")
    assert empty.code == 0 and json.loads(empty.out) == []


# ---------------------------------------------------------------- a real shell


def _installed() -> None:
    if not ROLODEX.exists():
        pytest.skip("the rolodex command is not installed")


def test_rolodex_without_a_terminal_says_so_in_one_line_and_exits_2(tmp_path):
    _installed()
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("TEXTUAL_DRIVER", None)
    for args in ([], ["--demo"]):
        result = subprocess.run(
            [str(ROLODEX), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
        )
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and "needs a terminal" in result.stderr
        assert "rolodex --help" in result.stderr
    assert not list(tmp_path.glob("rolodex-demo-*"))  # no scratch copy left behind


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_for_each_shell(capsys, shell):
    from rolodex.cli import main

    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert "rolodex" in script and "_ARGCOMPLETE" in script


def test_completion_answers_the_shell():
    """What the bash completion function does: ask `rolodex` itself, with the line so far
    (the answer comes on file descriptor 8)."""
    _installed()
    line = "rolodex lis"
    env = {
        **os.environ,
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_SHELL": "bash",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
    }
    result = subprocess.run(
        ["bash", "-c", f"'{ROLODEX}' 8>&1 9>/dev/null 1>/dev/null 2>/dev/null"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "list" in result.stdout.split()
