"""`rolodex list --filter EXPR` and `--view NAME` (views saved in config.toml)."""

from __future__ import annotations

import pytest

from rolodex.crm import saved_views
from rolodex.ui import config


@pytest.fixture
def crm(ok, add, monkeypatch, tmp_path):
    monkeypatch.setenv("ROLODEX_CONFIG_DIR", str(tmp_path / "cfg"))
    acme = add("company", "name=Acme AB", "domain=acme.se", "country=Sweden")
    add("company", "name=Lonely Ltd", "country=Sweden")
    fjord = add("company", "name=Fjord AS", "domain=fjord.no", "country=Norway")
    anna = add("contact", "first_name=Anna", "email=anna@acme.se", "job_title=CTO")
    bo = add("contact", "first_name=Bo", "email=bo@fjord.no", "job_title=CTO")
    ok("associate", anna, acme)
    ok("associate", bo, fjord)
    return tmp_path / "cfg"


def _config(folder, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(text, encoding="utf-8")


def test_filter_options_all_hold_with_where(ok, crm):
    refs = ok("list", "contact", "--filter", "primary.country = sweden", "--format", "refs")
    assert refs.out.split() == ["contact:4"]
    both = ok("list", "contact", "--filter", "job_title = cto", "--filter", "primary.name ~ fjord")
    assert "Bo" in both.out and "Anna" not in both.out
    none = ok("list", "contact", "--filter", "job_title = CTO", "--where", "first_name=Cia")
    assert "Anna" not in none.out and "Bo" not in none.out
    lonely = ok("list", "company", "--filter", "count(contacts) = 0", "--format", "json").json()
    assert [r["name"] for r in lonely] == ["Lonely Ltd"]


def test_a_bad_filter_is_one_line_and_exit_2(run, crm):
    result = run("list", "contact", "--filter", "job_title CTO")
    assert result.code == 2
    assert result.err.startswith("rolodex: error: filter 'job_title CTO': at character 11:")
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    unknown = run("list", "contact", "--filter", "count(widget) > 1")
    assert unknown.code == 2 and "unknown object 'widget'" in unknown.err


def test_a_saved_view_lists_its_records_in_its_sort(ok, run, crm):
    _config(
        crm,
        '[views."Swedish companies"]\nobject = "Companies"\nfilter = "country = Sweden"\n'
        'sort = "-created"\n'
        '[views."CTOs"]\nobject = "contact"\nfilter = "job_title = CTO"\n',
    )
    assert [v.name for v in config.saved_views(crm)] == ["Swedish companies", "CTOs"]
    listed = ok("list", "--view", "swedish companies", "--format", "refs")
    assert listed.out.split() == ["company:2", "company:1"]
    by_name = ok("list", "company", "--view", "Swedish companies", "--sort", "name")
    assert by_name.out.index("Acme AB") < by_name.out.index("Lonely Ltd")
    narrowed = ok("list", "--view", "CTOs", "--filter", "primary.country = Norway")
    assert "Bo" in narrowed.out and "Anna" not in narrowed.out
    wrong = run("list", "deal", "--view", "CTOs")
    assert wrong.code == 2 and "view 'CTOs' lists contact, not deal" in wrong.err
    missing = run("list", "--view", "Nope")
    assert missing.code == 2 and "no view 'Nope' (views: Swedish companies, CTOs)" in missing.err
    assert run("list").code == 2


def test_a_broken_view_is_named_in_its_message(run, crm):
    _config(
        crm,
        '[views.typo]\nobject = "contact"\nfilter = "job_title = "\n'
        '[views.widgets]\nobject = "widget"\nfilter = "name ~ a"\n'
        '[views.odd]\nobject = "contact"\nfilter = "name ~ a"\ncolour = "red"\n',
    )
    settings = config.load_settings(crm)
    assert [v.name for v in settings.views] == ["widgets"]
    assert any("view 'typo': filter 'job_title = '" in p for p in settings.problems)
    assert any("view 'odd': unknown setting 'colour'" in p for p in settings.problems)
    typo = run("list", "--view", "typo")
    assert typo.code == 2 and "view 'typo': filter" in typo.err
    widgets = run("list", "--view", "widgets")
    assert widgets.code == 2 and "view 'widgets': unknown object 'widget'" in widgets.err
    assert saved_views.problems(settings.views) == ["view 'widgets': unknown object 'widget'"]


def test_list_help_explains_every_new_option(run, crm):
    from rolodex.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")  # noqa: SLF001
    list_parser = sub.choices["list"]  # type: ignore[attr-defined]
    helps = {a.dest: a.help for a in list_parser._actions}  # noqa: SLF001
    assert helps["filter"] and helps["view"] and helps["type"]
