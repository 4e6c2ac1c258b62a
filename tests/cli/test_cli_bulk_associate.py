"""`rolodex associate FIRST OTHER...` and REFs on standard input: one transaction, each
record refused on its own and named, unknown REFs refusing everything."""

from __future__ import annotations

import io
import json

from tests.cli.conftest import snapshot


def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def _contacts_of(ok, ref: str) -> dict[str, list[str]]:
    shown = json.loads(ok("show", ref, "--format", "json").out)
    return {
        a["ref"]: a["labels"] for a in shown["associations"] if a["ref"].startswith("contact:")
    }


def test_refs_from_stdin_are_each_associated_with_the_first(ok, add, run, monkeypatch):
    deal = add("deal", "name=Renewal")
    people = [add("contact", f"email=p{i}@x.com") for i in range(4)]
    ok("labels", "create", "contact", "deal", "Decision maker")
    _stdin(monkeypatch, "\n".join(people[:3]) + "\n\n# a comment\n")
    result = run("associate", deal, "-", people[3], "--label", "Decision maker")
    assert result.code == 0, result.err
    assert "4 of 4" in result.out
    # the first is each other's LABEL, exactly as associate FIRST OTHER says it for two
    assert _contacts_of(ok, deal) == {p: ["Decision maker"] for p in people}
    again = run("associate", deal, *people)
    assert again.code == 0 and "0 of 4" in again.out and "4 already were" in again.out


def test_a_limit_refuses_the_records_past_it_and_names_them(ok, add, run):
    deal = add("deal", "name=Small")
    people = [add("contact", f"email=q{i}@x.com") for i in range(5)]
    ok("labels", "limit", "deal", "contact", "3")
    result = run("associate", deal, *people, "--format", "json")
    assert result.code == 1
    report = json.loads(result.out)
    assert report["associated"] == people[:3]
    assert [r["ref"] for r in report["refused"]] == people[3:]
    assert all("limit" in r["reason"] for r in report["refused"])
    assert result.err.count("refused: ") == 2 and people[4] in result.err
    assert set(_contacts_of(ok, deal)) == set(people[:3])
    history = json.loads(ok("history", deal, "--format", "json").out)
    assert sorted(row["ref"] for row in history) == sorted(people[:3])


def test_an_unknown_ref_changes_nothing(add, run):
    deal = add("deal", "name=Renewal")
    person = add("contact", "email=r@x.com")
    before = snapshot()
    result = run("associate", deal, person, "contact:999999", "nobody@nowhere.example")
    assert result.code == 2 and result.err.startswith("rolodex: error: ")
    assert "2 REFs are not records" in result.err and "contact:999999" in result.err
    assert result.err.count("\n") == 1
    assert snapshot() == before


def test_primary_with_several_makes_the_first_company_each_ones_primary(ok, add, run):
    company = add("company", "name=Acme", "domain=acme.example")
    other = add("company", "name=Other")
    people = [add("contact", f"email=s{i}@y.com") for i in range(3)]
    ok("associate", people[0], other, "--primary")
    result = run("associate", company, *people, "--primary")
    assert result.code == 0, result.err
    for person in people:
        shown = json.loads(ok("show", person, "--format", "json").out)
        primaries = [a["ref"] for a in shown["associations"] if a["primary"]]
        assert primaries == [company]
    refused = run("associate", people[0], company, other, "--primary")
    assert refused.code == 2 and "is not a company" in refused.err


def test_two_refs_keep_their_output(add, run):
    deal = add("deal", "name=Renewal")
    person = add("contact", "email=t@x.com")
    result = run("associate", person, deal)
    assert result.code == 0 and result.out == f"associated {person} with {deal}\n"
