"""Every command of design section 4 and the extras, through `main()` in-process."""

from __future__ import annotations

import csv
import io
import re
import time

from rolodex.crm.context import os_account

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _refs(result) -> list[str]:
    return [a["ref"] for a in result.json()["associations"]]


# ---------------------------------------------------------------- add / show / update


def test_add_prints_the_ref_last_and_stores_clean_values(ok):
    result = ok("add", "contact", "first_name=Ana", "last_name=Lima", "email=ANA@Acme.COM")
    ref = result.last_word
    assert re.fullmatch(r"contact:\d+", ref)
    shown = ok("show", ref, "--format", "json").json()
    assert shown["properties"] == {
        "first_name": "Ana",
        "last_name": "Lima",
        "email": "ana@acme.com",
    }
    assert shown["name"] == "Ana Lima"


def test_add_without_a_name_prints_just_the_ref(ok):
    assert ok("add", "ticket", "status=open").out == "created ticket:1\n"
    assert ok("add", "ticket", "subject=Broken [b]", "status=open").out == (
        "created Broken [b] ticket:2\n"
    )


def test_show_json_has_exactly_the_specified_keys_and_types(ok, add):
    company = add("company", "name=Acme", "domain=acme.com")
    contact = add("contact", "email=ana@acme.com")
    ok("associate", contact, company)
    shown = ok("show", contact, "--format", "json").json()
    assert list(shown) == ["ref", "type", "id", "name", "properties", "associations"]
    assert shown["ref"] == contact and shown["type"] == "contact"
    assert isinstance(shown["id"], int) and f"contact:{shown['id']}" == contact
    assert shown["name"] == "ana@acme.com"  # no first/last name: the email names the contact
    (assoc,) = shown["associations"]
    assert list(assoc) == ["ref", "type", "id", "name", "labels", "primary"]
    assert assoc == {
        "ref": company,
        "type": "company",
        "id": int(company.split(":")[1]),
        "name": "Acme",
        "labels": [],
        "primary": True,
    }


def test_show_text_lists_properties_and_groups_associations_by_object(ok, add):
    deal = add("deal", "name=Renewal", "amount=1,500.50", "close_date=2027-01-31")
    add_contacts = [add("contact", f"first_name=P{i}") for i in range(2)]
    for ref in add_contacts:
        ok("associate", deal, ref)
    text = ok("show", deal).out
    lines = text.splitlines()
    assert lines[0] == f"{deal}  Renewal"
    assert "  amount      1500.5" in lines
    assert "  close_date  2027-01-31" in lines
    assert "Contacts (2)" in lines
    assert any(line.strip().startswith(add_contacts[0]) for line in lines)


def test_show_accepts_email_and_domain_and_prints_canonical_refs(ok, add):
    company = add("company", "name=Acme", "domain=acme.com")
    contact = add("contact", "email=ana@acme.com")
    assert ok("show", "ANA@acme.com", "--format", "json").json()["ref"] == contact
    assert ok("show", "https://www.acme.com/", "--format", "json").json()["ref"] == company


def test_show_text_escapes_control_characters_but_json_is_verbatim(ok, add):
    ref = add("company", "name=evil\x1b[31mred")
    assert "\x1b" not in ok("show", ref).out
    assert "evil␛[31mred" in ok("show", ref).out  # ESC shown as its control picture
    assert ok("show", ref, "--format", "json").json()["name"] == "evil\x1b[31mred"


def test_hostile_names_survive_the_round_trip(ok, add):
    from tests.conftest import HOSTILE_NAMES

    for name in HOSTILE_NAMES:
        ref = add("company", f"name={name}")
        assert ok("show", ref, "--format", "json").json()["name"] == name.strip()


def test_update_changes_properties_and_bumps_the_version(ok, add):
    ref = add("contact", "first_name=Ana", "email=ana@acme.com")
    assert "version 2" in ok("update", ref, "first_name=Anna", "job_title=CTO").out
    props = ok("show", ref, "--format", "json").json()["properties"]
    assert props["first_name"] == "Anna" and props["job_title"] == "CTO"
    ok("update", ref, "job_title=", "--version", "2")  # empty clears; version matches
    assert "job_title" not in ok("show", ref, "--format", "json").json()["properties"]


# ---------------------------------------------------------------- associations


def test_associate_with_several_labels_and_dissociate_one_label(ok, add):
    ok("labels", "create", "contact", "contact", "Colleague")
    ok("labels", "create", "contact", "contact", "Manager", "--inverse", "Report")
    ana, bo = add("contact", "first_name=Ana"), add("contact", "first_name=Bo")
    out = ok("associate", ana, bo, "--label", "Manager", "--label", "Colleague").out
    assert out.startswith(f"associated {ana} with {bo}")
    seen_from_bo = ok("show", bo, "--format", "json").json()["associations"][0]
    assert seen_from_bo["labels"] == ["Colleague", "Manager"]
    seen_from_ana = ok("show", ana, "--format", "json").json()["associations"][0]
    assert seen_from_ana["labels"] == ["Colleague", "Report"]

    ok("dissociate", ana, bo, "--label", "Manager")
    assert ok("show", bo, "--format", "json").json()["associations"][0]["labels"] == ["Colleague"]
    again = ok("associate", ana, bo)
    assert "already associated" in again.out
    ok("dissociate", ana, bo)
    assert ok("show", ana, "--format", "json").json()["associations"] == []
    actions = [h["action"] for h in ok("history", ana, "--format", "json").json()]
    assert actions == ["removed", "updated", "created"]


def test_primary_company_rules(ok, add, run):
    ana = add("contact", "first_name=Ana")
    acme, beta, gamma = (add("company", f"name={n}") for n in ("Acme", "Beta", "Gamma"))
    ok("associate", ana, acme)
    ok("associate", ana, beta)

    def primary() -> list[str]:
        return [
            a["ref"]
            for a in ok("show", ana, "--format", "json").json()["associations"]
            if a["primary"]
        ]

    assert primary() == [acme]  # the first company becomes primary
    assert f"{beta} is now the primary company of {ana}" in ok("set-primary", ana, beta).out
    assert primary() == [beta]
    assert "already" in ok("set-primary", ana, beta).out
    ok("associate", ana, gamma, "--primary")
    assert primary() == [gamma]
    assert set(_refs(ok("show", ana, "--format", "json"))) == {acme, beta, gamma}

    refused = run("dissociate", ana, gamma)
    assert refused.code == 2 and "choose the new primary" in refused.err
    ok("dissociate", ana, gamma, "--new-primary", acme)
    assert primary() == [acme]


def test_set_primary_requires_an_existing_association(run, add):
    ana, acme = add("contact", "first_name=Ana"), add("company", "name=Acme")
    result = run("set-primary", ana, acme)
    assert result.code == 2 and "not associated" in result.err


# ---------------------------------------------------------------- lifecycle


def test_delete_bin_restore_bring_associations_back_with_their_sources(ok, add, run):
    ana, acme = add("contact", "first_name=Ana"), add("company", "name=Acme")
    ok("associate", ana, acme)
    assert f"deleted {acme}" in ok("delete", acme).out
    assert ok("show", ana, "--format", "json").json()["associations"] == []
    assert run("show", acme).code == 2
    assert acme in ok("bin").out
    assert f"restored {acme}" in ok("restore", acme).out
    assert _refs(ok("show", ana, "--format", "json")) == [acme]
    assert "empty" in ok("bin").out
    sources = [h["source"] for h in ok("history", ana, "--format", "json").json()]
    assert sources == ["Object restore", "Object deleted", "API"]


def test_history_of_a_deleted_record_still_works(ok, add):
    ana, acme = add("contact", "first_name=Ana"), add("company", "name=Acme")
    ok("associate", ana, acme)
    ok("delete", ana)
    rows = ok("history", ana, "--format", "json").json()
    assert [r["action"] for r in rows] == ["removed", "created"]


def test_merge_keeps_both_sets_and_the_merged_ref_resolves_to_the_survivor(ok, add):
    keep = add("contact", "first_name=Ana", "email=ana@acme.com")
    other = add("contact", "first_name=Ana", "phone=123")
    acme, deal = add("company", "name=Acme"), add("deal", "name=D")
    ok("associate", keep, acme)
    ok("associate", other, deal)
    out = ok("merge", keep, other).out
    assert f"merged {other} into {keep}" in out
    shown = ok("show", other, "--format", "json").json()
    assert shown["ref"] == keep
    assert set(_refs(ok("show", keep, "--format", "json"))) == {acme, deal}
    assert shown["properties"]["phone"] == "123"
    assert "Object merge" in {h["source"] for h in ok("history", deal, "--format", "json").json()}


# ---------------------------------------------------------------- history formats


def test_history_json_shape_order_and_timestamps(ok, add):
    ana, acme, deal = (
        add("contact", "first_name=Ana"),
        add("company", "name=Acme"),
        add("deal", "name=D"),
    )
    ok("associate", ana, acme)
    ok("associate", deal, ana)
    rows = ok("history", ana, "--format", "json").json()
    assert [r["ref"] for r in rows] == [deal, acme]  # newest first
    for row in rows:
        assert list(row) == [
            "ref",
            "type",
            "id",
            "name",
            "action",
            "at",
            "source",
            "actor",
            "labels",
            "history_id",  # added keys: the change's own id, and what an undo reverted
            "undoes",
        ]
        assert ISO_UTC.match(row["at"])
        assert isinstance(row["id"], int) and isinstance(row["labels"], list)
        assert row["source"] == "API" and row["actor"] == os_account()
    assert rows[1] == {**rows[1], "type": "company", "name": "Acme", "action": "created"}
    only_deals = ok("history", ana, "--object", "deal", "--format", "json").json()
    assert [r["ref"] for r in only_deals] == [deal]


def test_history_table_and_csv(ok, add):
    ok("labels", "create", "contact", "company", "Employee", "--inverse", "Employer")
    ana, acme = add("contact", "first_name=Ana"), add("company", "name=Acme Ltd")
    ok("associate", ana, acme, "--label", "Employee")
    ok("dissociate", ana, acme)
    lines = ok("history", ana).out.splitlines()
    header = lines[0]
    assert header.split() == [
        "#",
        "Name",
        "REF",
        "Change",
        "Date",
        "and",
        "time",
        "(UTC)",
        "Source",
        "Actor",
        "Labels",
    ]
    # Aligned: every row's REF starts where the header's REF starts.
    column = header.index("REF")
    assert all(line[column:].startswith(acme) for line in lines[1:])
    assert "removed" in lines[1] and "created" in lines[2]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", lines[1])
    assert "Employer" in lines[2] and "API" in lines[2]

    rows = list(csv.reader(io.StringIO(ok("history", ana, "--format", "csv").out)))
    assert rows[0] == [
        "name",
        "ref",
        "action",
        "at",
        "source",
        "actor",
        "labels",
        "history_id",
        "undoes",
    ]
    assert rows[1][:3] == ["Acme Ltd", acme, "removed"] and rows[2][6] == "Employer"
    assert ISO_UTC.match(rows[1][3])


def test_user_source_is_shown_with_the_user_name(ok, add):
    from rolodex.crm import associations, records
    from rolodex.crm.context import user

    ana, acme = add("contact", "first_name=Ana"), add("company", "name=Acme")
    associations.associate(records.resolve(ana).id, records.resolve(acme).id, user())
    table = ok("history", ana).out
    assert f"User ({os_account()})" in table
    assert ok("history", ana, "--format", "json").json()[0]["source"] == "User"


def test_show_as_of_rebuilds_past_associations(ok, add):
    ana, acme, beta = (
        add("contact", "first_name=Ana"),
        add("company", "name=Acme"),
        add("company", "name=Beta"),
    )
    ok("associate", ana, acme)
    moment = ok("history", ana, "--format", "json").json()[0]["at"]
    time.sleep(1.1)
    ok("associate", ana, beta, "--primary")
    ok("dissociate", ana, acme)
    past = ok("show", ana, "--as-of", moment, "--format", "json").json()
    assert list(past) == ["ref", "type", "id", "name", "properties", "associations"]
    assert past["associations"] == [
        {
            "ref": acme,
            "type": "company",
            "id": int(acme.split(":")[1]),
            "name": "Acme",
            "labels": [],
            "primary": True,
        }
    ]
    assert _refs(ok("show", ana, "--format", "json")) == [beta]
    assert (
        ok("show", ana, "--as-of", "2000-01-01T00:00:00Z", "--format", "json").json()[
            "associations"
        ]
        == []
    )
    assert "as of" in ok("show", ana, "--as-of", moment).out


# ---------------------------------------------------------------- finding, activities, domains


def test_search_text_and_json(ok, add):
    ref = add("contact", "first_name=Zebulon", "email=zeb@zoo.org")
    add("company", "name=Zebulon Zoo", "domain=zoo.org")
    hits = ok("search", "zebu", "--type", "contact", "--format", "json").json()
    assert hits == [
        {
            "ref": ref,
            "type": "contact",
            "id": int(ref.split(":")[1]),
            "name": "Zebulon",
            "detail": "zeb@zoo.org",
        }
    ]
    assert len(ok("search", "zebu", "--format", "json").json()) == 2
    assert "No records match" in ok("search", "nothing-like-this").out


def test_log_associates_the_activity_with_the_primary_company(ok, add):
    ana, acme = add("contact", "first_name=Ana"), add("company", "name=Acme")
    ok("associate", ana, acme)
    out = ok("log", ana, "note", "subject=Call back", "body=Tuesday").out
    note = re.search(r"note:\d+", out).group(0)
    assert f"logged {note} on {ana}" in out and acme in out
    assert set(_refs(ok("show", note, "--format", "json"))) == {ana, acme}


def test_domains_for_one_contact_and_for_all(ok, add):
    acme = add("company", "name=Acme", "domain=acme.com")
    ana = add("contact", "email=ana@acme.com")
    add("contact", "email=bo@acme.com")
    add("contact", "email=cy@gmail.com")
    assert f"associated {ana} with {acme}" in ok("domains", ana).out
    assert ok("history", ana, "--format", "json").json()[0]["source"] == (
        "Automatic association by domain"
    )
    assert ok("domains").out.startswith("1 contacts")
    assert len(_refs(ok("show", acme, "--format", "json"))) == 2


def test_recommend_lists_same_domain_companies(ok, add):
    acme = add("company", "name=Acme", "domain=acme.com")
    ana = add("contact", "email=ana@acme.com")
    out = ok("recommend", ana, "company").out
    assert acme in out and "same domain" in out


# ---------------------------------------------------------------- labels, limits, objects, check


def test_labels_create_list_delete(ok, run):
    ok("labels", "create", "contact", "company", "Employee", "--inverse", "Employer")
    ok("labels", "create", "deal", "contact", "Decision maker")
    listing = ok("labels", "list", "--format", "json").json()
    assert {
        (lab["from_type"], lab["to_type"], lab["name"], lab["inverse"], lab["in_use"])
        for lab in listing["labels"]
    } == {
        ("contact", "company", "Employee", "Employer", 0),
        ("deal", "contact", "Decision maker", None, 0),
        ("company", "company", "Parent company", "Child company", 0),  # built in
    }
    pair = ok("labels", "list", "company", "contact").out
    assert "Employee" in pair and "Decision maker" not in pair
    ok("labels", "delete", "contact", "company", "Employee")
    assert "Employee" not in ok("labels", "list").out
    assert run("labels", "list", "contact").code == 2


def test_label_in_use_cannot_be_deleted(ok, add, run):
    ok("labels", "create", "contact", "company", "Advisor")
    ana, acme = add("contact", "first_name=Ana"), add("company", "name=Acme")
    ok("associate", ana, acme, "--label", "Advisor")
    result = run("labels", "delete", "contact", "company", "Advisor")
    assert result.code == 2 and "remove it from them first" in result.err
    assert "Advisor" in ok("labels", "list").out


def test_limits_enforced_reported_and_not_retroactive(ok, add, run):
    deal = add("deal", "name=D")
    people = [add("contact", f"first_name=P{i}") for i in range(5)]
    for ref in people[:4]:
        ok("associate", deal, ref)
    ok("labels", "limit", "deal", "contact", "3")
    assert "3" in ok("labels", "list").out.splitlines()[-1]
    refused = run("associate", deal, people[4])
    assert refused.code == 2 and "limit reached" in refused.err
    usage = ok("labels", "usage", "--format", "json").json()
    assert usage == [
        {
            "ref": deal,
            "name": "D",
            "to_type": "contact",
            "label": None,
            "used": 4,
            "max": 3,
            "over": True,
        }
    ]
    assert deal in ok("labels", "usage").out
    check = run("check")
    assert check.code == 0 and "warning:" in check.out and deal in check.out
    ok("labels", "limit", "deal", "contact", "many")
    ok("associate", deal, people[4])
    assert "No record" in ok("labels", "usage").out


def test_per_label_limit(ok, add, run):
    ok("labels", "create", "deal", "contact", "Decision maker")
    ok("labels", "limit", "deal", "contact", "one", "--label", "Decision maker")
    deal, ana, bo = (
        add("deal", "name=D"),
        add("contact", "first_name=Ana"),
        add("contact", "first_name=Bo"),
    )
    ok("associate", ana, deal, "--label", "Decision maker")
    refused = run("associate", bo, deal, "--label", "Decision maker")
    assert refused.code == 2 and "limit reached" in refused.err
    ok("associate", bo, deal)  # without the label it is fine


def test_objects_create_list_and_use(ok):
    ok(
        "objects",
        "create",
        "project",
        "--singular",
        "Project",
        "--plural",
        "Projects",
        "--property",
        "title:text",
        "--property",
        "budget:number",
        "--display",
        "title",
    )
    listing = {o["key"]: o for o in ok("objects", "list", "--format", "json").json()}
    assert listing["project"]["properties"] == [
        {"key": "title", "kind": "text"},
        {"key": "budget", "kind": "number"},
    ]
    assert listing["project"]["display"] == "title"
    assert "project" in ok("objects", "list").out
    ref = ok("add", "project", "title=Moonshot", "budget=10").last_word
    assert ref.startswith("project:")
    assert ok("show", ref, "--format", "json").json()["name"] == "Moonshot"


def test_check_passes_and_fails_with_exit_1(ok, add, run):
    ana, acme = add("contact", "first_name=Ana"), add("company", "name=Acme")
    ok("associate", ana, acme)
    good = ok("check", "--format", "json").json()
    assert good == {"ok": True, "checked_associations": 1, "violations": [], "over_limit": []}
    assert ok("check").out.startswith("ok:")

    from rolodex.store.history_guard import rewriting_history
    from rolodex.store.models import History, database

    with database.atomic(), rewriting_history(database.obj):  # the one way past the guard
        History.delete().execute()  # history no longer replays to the stored associations
    bad = run("check")
    assert bad.code == 1 and "violation:" in bad.out
    assert "history never created it" in bad.out
    assert run("check", "--format", "json").json()["ok"] is False


def test_history_of_one_association_and_limit(ok, add, run):
    ok("labels", "create", "contact", "company", "Advisor")
    ana, acme, beta = (
        add("contact", "first_name=Ana"),
        add("company", "name=Acme"),
        add("company", "name=Beta"),
    )
    ok("associate", ana, acme)
    ok("associate", ana, beta)
    ok("associate", ana, acme, "--label", "Advisor")
    ok("dissociate", ana, acme, "--new-primary", beta)
    pair = ok("history", ana, "--with", acme, "--format", "json").json()
    assert [(r["ref"], r["action"]) for r in pair] == [
        (acme, "removed"),
        (acme, "updated"),
        (acme, "created"),
    ]
    seen_from_acme = ok("history", acme, "--with", ana, "--format", "json").json()
    assert {r["ref"] for r in seen_from_acme} == {ana}
    newest = ok("history", ana, "--limit", "2", "--format", "json").json()
    full = ok("history", ana, "--format", "json").json()
    assert newest == full[:2] and len(full) > 2
    assert run("history", ana, "--limit", "0").code == 2


def test_labels_list_for_a_pair_shows_only_its_limits(ok):
    ok("labels", "limit", "deal", "contact", "5")
    ok("labels", "limit", "contact", "company", "2")
    limits = ok("labels", "list", "contact", "deal", "--format", "json").json()["limits"]
    assert limits == [{"from_type": "deal", "to_type": "contact", "label": None, "max": 5}]
    assert len(ok("labels", "list", "--format", "json").json()["limits"]) == 2
