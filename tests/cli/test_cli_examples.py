"""The three examples of the help article, scripted with the command line (issue 2, "Done when")."""

from __future__ import annotations

from rolodex.crm.context import os_account


def _assocs(result) -> dict[str, dict]:
    return {a["ref"]: a for a in result.json()["associations"]}


def test_deal_with_three_contacts_and_their_company(ok, add):
    acme = add("company", "name=Acme AB", "domain=acme.se")
    people = [
        add("contact", f"first_name={first}", "last_name=Berg", f"email={first.lower()}@acme.se")
        for first in ("Anna", "Bo", "Cecilia")
    ]
    deal = add("deal", "name=Acme renewal", "amount=120000", "stage=proposal")
    for person in people:
        ok("associate", person, acme)
        ok("associate", deal, person)
    ok("associate", deal, acme)

    shown = ok("show", deal, "--format", "json")
    assocs = _assocs(shown)
    assert set(assocs) == {*people, acme}
    assert assocs[acme]["primary"] is True  # the deal's first company is its primary
    assert all(assocs[p]["primary"] is False for p in people)

    # Both sides: every contact and the company list the deal.
    for ref in (*people, acme):
        other_side = _assocs(ok("show", ref, "--format", "json"))
        assert deal in other_side
    assert {r for r in _assocs(ok("show", acme, "--format", "json"))} == {*people, deal}

    text = ok("show", deal).out
    assert "Contacts (3)" in text and "Companies (1)" in text
    assert "Anna Berg" in text and "(primary)" in text

    history = ok("history", deal, "--format", "json").json()
    assert [h["ref"] for h in history] == [acme, *reversed(people)]
    assert {h["source"] for h in history} == {"API"}
    assert {h["actor"] for h in history} == {os_account()}
    assert {h["action"] for h in history} == {"created"}


def test_ticket_with_two_contacts_on_a_deal_and_that_deal(ok, add):
    ana = add("contact", "first_name=Ana", "email=ana@example.org")
    ben = add("contact", "first_name=Ben", "email=ben@example.org")
    deal = add("deal", "name=Pilot")
    ticket = add("ticket", "subject=Login fails", "status=open", "priority=high")
    ok("associate", deal, ana)
    ok("associate", deal, ben)
    ok("associate", ticket, "ana@example.org")
    ok("associate", ticket, "ben@example.org")
    ok("associate", ticket, deal)

    assert set(_assocs(ok("show", ticket, "--format", "json"))) == {ana, ben, deal}
    assert set(_assocs(ok("show", deal, "--format", "json"))) == {ana, ben, ticket}
    for person in (ana, ben):
        assert set(_assocs(ok("show", person, "--format", "json"))) == {deal, ticket}

    text = ok("show", ticket).out
    assert "Contacts (2)" in text and "Deals (1)" in text and "Pilot" in text

    rows = ok("history", ticket, "--object", "contact", "--format", "json").json()
    assert [r["ref"] for r in rows] == [ben, ana]
    assert all(r["source"] == "API" and r["actor"] == os_account() for r in rows)


def test_employee_of_one_company_primary_and_advisor_of_another(ok, add):
    ok("labels", "create", "contact", "company", "Employee", "--inverse", "Employer")
    ok("labels", "create", "contact", "company", "Advisor")
    acme = add("company", "name=Acme", "domain=acme.com")
    beta = add("company", "name=Beta Labs", "domain=beta.io")
    ana = add("contact", "first_name=Ana", "last_name=Lima", "email=ana@acme.com")

    ok("associate", "ana@acme.com", "acme.com", "--label", "Employee", "--primary")
    ok("associate", "ana@acme.com", "beta.io", "--label", "Advisor")

    mine = ok("show", ana, "--format", "json").json()
    assert mine["associations"] == [
        {
            "ref": acme,
            "type": "company",
            "id": int(acme.split(":")[1]),
            "name": "Acme",
            "labels": ["Employer"],
            "primary": True,
        },
        {
            "ref": beta,
            "type": "company",
            "id": int(beta.split(":")[1]),
            "name": "Beta Labs",
            "labels": ["Advisor"],
            "primary": False,
        },
    ]
    acme_side = _assocs(ok("show", acme, "--format", "json"))
    assert acme_side[ana]["labels"] == ["Employee"]
    assert acme_side[ana]["primary"] is False  # a company has no primary contact
    assert _assocs(ok("show", beta, "--format", "json"))[ana]["labels"] == ["Advisor"]

    text = ok("show", ana).out
    acme_line = next(line for line in text.splitlines() if acme in line)
    assert "Employer" in acme_line and "(primary)" in acme_line
    beta_line = next(line for line in text.splitlines() if beta in line)
    assert "Advisor" in beta_line and "primary" not in beta_line

    history = ok("history", ana, "--format", "json").json()
    assert [(h["ref"], h["action"], h["labels"]) for h in history] == [
        (beta, "created", ["Advisor"]),
        (acme, "created", ["Employer"]),
    ]
    assert all(h["source"] == "API" and h["actor"] == os_account() for h in history)
    table = ok("history", ana).out.splitlines()
    assert table[0].split()[:4] == ["#", "Name", "REF", "Change"]
    assert "API" in table[1] and os_account() in table[1] and "Advisor" in table[1]
