"""Automatic association by email domain; activities and their auto-association rules."""

from __future__ import annotations

import pytest

from rolodex.crm import activities, associations, check, domains, history, lifecycle, records
from rolodex.crm.errors import InvalidValue
from tests.core.helpers import company, contact, deal, others

# ------------------------------------------------------------------ domains


def test_contact_is_associated_with_the_company_of_its_domain(db, ctx):
    acme = company("Acme", "acme.com")
    ana = contact("Ana", "ana@ACME.com")
    assert domains.associate_by_domain(ana.id, ctx) == acme.id
    assert associations.primary_company(ana.id) == acme.id
    (entry,) = history.record_history(ana.id)
    assert entry.source == "Automatic association by domain"
    assert entry.actor == ctx.actor


def test_free_mail_domains_are_skipped(db, ctx):
    company("Gmail", "gmail.com")
    ana = contact("Ana", "ana@gmail.com")
    assert domains.associate_by_domain(ana.id, ctx) is None
    assert others(ana.id) == set()


def test_exclusion_list_is_skipped(db, ctx):
    company("Partner", "partner.io")
    ana = contact("Ana", "ana@partner.io")
    domains.set_exclusions({"https://www.Partner.io/"})
    assert domains.exclusions() == {"partner.io"}
    assert domains.associate_by_domain(ana.id, ctx) is None
    domains.set_exclusions(set())
    assert domains.associate_by_domain(ana.id, ctx) is not None


def test_an_existing_company_association_is_never_overridden(db, ctx):
    company("Acme", "acme.com")
    other = company("Consultancy")
    ana = contact("Ana", "ana@acme.com")
    associations.associate(ana.id, other.id, ctx)
    assert domains.associate_by_domain(ana.id, ctx) is None
    assert others(ana.id) == {other.id}
    assert associations.primary_company(ana.id) == other.id


def test_ambiguous_domain_is_skipped(db, ctx):
    company("Acme EU", "acme.com")
    company("Acme US", "acme.com")
    ana = contact("Ana", "ana@acme.com")
    assert domains.match_company(ana.id) is None
    assert domains.associate_by_domain(ana.id, ctx) is None
    assert others(ana.id) == set()


def test_deleted_company_does_not_match(db, ctx):
    acme = company("Acme", "acme.com")
    lifecycle.delete(acme.id, ctx)
    ana = contact("Ana", "ana@acme.com")
    assert domains.associate_by_domain(ana.id, ctx) is None


def test_run_for_all_contacts(db, ctx):
    acme = company("Acme", "acme.com")
    initech = company("Initech", "initech.com")
    ana, bob = contact("Ana", "ana@acme.com"), contact("Bob", "bob@initech.com")
    contact("Free", "free@gmail.com")
    contact("Nomail")
    assert domains.associate_all_by_domain(ctx) == 2
    assert others(ana.id) == {acme.id} and others(bob.id) == {initech.id}
    assert domains.associate_all_by_domain(ctx) == 0  # idempotent
    assert check.run().ok


# ------------------------------------------------------------------ activities


def test_activity_is_associated_with_primary_company_and_five_newest_open_deals(db, ctx):
    ana = contact("Ana")
    acme, globex = company("Acme"), company("Globex")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(ana.id, globex.id, ctx)
    open_deals = [deal(f"Open {i}") for i in range(6)]
    closed = [deal("Won", "closedwon"), deal("Lost", "Closed Lost")]
    for d in open_deals + closed:
        associations.associate(ana.id, d.id, ctx)
    note = activities.log(ana.id, "note", {"subject": "Met", "body": "notes"}, ctx)
    linked = others(note.id)
    assert ana.id in linked and acme.id in linked
    assert globex.id not in linked  # only the primary company
    assert {d.id for d in open_deals[1:]} <= linked  # the five most recent open deals
    assert open_deals[0].id not in linked
    assert not {d.id for d in closed} & linked
    by_source = {e.other_id: e.source for e in history.record_history(note.id)}
    assert by_source[ana.id] == "API"
    assert by_source[acme.id] == "Job" and by_source[open_deals[5].id] == "Job"
    assert activities.timeline(ana.id)[0].id == note.id
    assert activities.timeline(acme.id)[0].id == note.id
    assert associations.primary_company(note.id) is None
    assert check.run().ok


def test_activity_rules_are_configurable_per_object_and_type(db, ctx):
    ana, acme, big = contact("Ana"), company("Acme"), deal("Big")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(ana.id, big.id, ctx)
    activities.set_rule("contact", "call", {"open_deals": 5})
    activities.set_rule("deal", "*", {})
    call = activities.log(ana.id, "call", {"subject": "Rang"}, ctx)
    assert others(call.id) == {ana.id, big.id}
    note = activities.log(ana.id, "note", {"subject": "Default"}, ctx)  # default rule
    assert others(note.id) == {ana.id, acme.id, big.id}
    on_deal = activities.log(big.id, "meeting", {"subject": "Kickoff"}, ctx)
    assert others(on_deal.id) == {big.id}
    activities.set_rule("company", "email", {"contacts": 10})
    mail = activities.log(acme.id, "email", {"subject": "Newsletter"}, ctx)
    assert others(mail.id) == {acme.id, ana.id}
    with pytest.raises(InvalidValue):
        activities.set_rule("contact", "note", {"everything": 1})


def test_logging_an_activity_of_a_non_activity_type_is_refused(db, ctx):
    ana = contact("Ana")
    with pytest.raises(InvalidValue):
        activities.log(ana.id, "deal", {"name": "x"}, ctx)
    assert records.count("deal") == 0


def test_activity_can_be_associated_with_more_records(db, ctx):
    ana, bob = contact("Ana"), contact("Bob")
    task = activities.log(ana.id, "task", {"subject": "Follow up"}, ctx)
    associations.associate(task.id, bob.id, ctx)
    assert activities.timeline(bob.id)[0].id == task.id
    assert task.properties.get("timestamp")


def test_domain_run_skips_a_contact_that_would_break_a_limit(db, ctx):
    from rolodex.crm import limits

    limits.set_limit("company", "contact", 1)
    acme = company("Acme", "acme.com")
    ana, bob = contact("Ana", "ana@acme.com"), contact("Bob", "bob@acme.com")
    carol = contact("Carol", "carol@initech.com")
    initech = company("Initech", "initech.com")
    assert domains.associate_all_by_domain(ctx) == 2
    assert others(acme.id) in ({ana.id}, {bob.id})
    assert others(carol.id) == {initech.id}  # the run went on past the refused one
    assert check.run().ok


def test_logging_on_a_deleted_record_changes_nothing(db, ctx):
    from rolodex.crm.errors import Deleted

    ana = contact("Ana")
    lifecycle.delete(ana.id, ctx)
    with pytest.raises(Deleted):
        activities.log(ana.id, "note", {"subject": "Hello"}, ctx)
    assert records.count("note") == 0


def test_timeline_is_newest_first_by_the_activity_date_and_cut_to_the_limit(db, ctx):
    acme = records.create("company", {"name": "Acme", "domain": "acme.com"})
    # Logged out of date order: the timeline follows the activity's date, not its id.
    dates = [
        "2026-03-01T10:00:00",
        "2026-01-15T09:00:00",
        "2026-05-20T08:30:00",
        "2025-12-24T12:00:00",
    ]
    logged = {
        date: activities.log(
            acme.id, "note", {"body": f"note of {date}", "timestamp": date}, ctx
        ).id
        for date in dates
    }
    deleted = activities.log(
        acme.id, "call", {"subject": "gone", "timestamp": "2026-06-01T00:00:00"}, ctx
    )
    lifecycle.delete(deleted.id, ctx)

    shown = [view.id for view in activities.timeline(acme.id)]
    assert shown == [logged[d] for d in sorted(dates, reverse=True)]
    assert [view.id for view in activities.timeline(acme.id, limit=2)] == shown[:2]


def test_a_rule_set_on_one_database_does_not_leak_into_the_next(db, ctx, tmp_path):
    from rolodex.store.database import open_database
    from rolodex.store.models import database

    activities.set_rule("contact", "note", {"companies": 3})
    assert activities.rules()["contact"]["note"] == {"companies": 3}
    first = database.obj
    other = open_database(str(tmp_path / "other.db"))
    try:
        assert "contact" not in activities.rules()
        assert activities.rules() == activities.DEFAULT_RULES
    finally:
        other.close()
        database.initialize(first)
