"""The append-only history: sources, actor, filters, one pair's history, the past rebuilt."""

from __future__ import annotations

import datetime as dt
import os
import pwd
import time

from rolodex.crm import associations, check, context, history, labels, lifecycle
from rolodex.crm.context import Context
from rolodex.store.models import History, utcnow
from tests.core.helpers import company, contact, deal, ticket


def moment() -> dt.datetime:
    """A point in time strictly between two changes."""
    time.sleep(0.005)
    now = utcnow()
    time.sleep(0.005)
    return now


def test_every_change_has_a_row_with_source_and_os_actor(db, monkeypatch):
    monkeypatch.setenv("USER", "mallory")
    monkeypatch.setenv("LOGNAME", "mallory")
    account = pwd.getpwuid(os.geteuid()).pw_name
    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, context.user())
    entries = history.record_history(ana.id)
    assert len(entries) == 1
    entry = entries[0]
    assert entry.action == "created"
    assert entry.source == "User"
    assert entry.actor == account != "mallory"
    assert entry.source_display == f"User ({account})"
    assert entry.other_id == acme.id and entry.other_ref == acme.ref
    assert entry.other_name == "Acme"
    assert entry.primary is True
    assert isinstance(entry.at, dt.datetime)


def test_sources_of_each_path(db, ctx):
    ana = contact("Ana", "ana@acme.com")
    acme = company("Acme", "acme.com")
    big = deal("Big")
    from rolodex.crm import activities, domains

    domains.associate_by_domain(ana.id, ctx)
    associations.associate(ana.id, big.id, Context(context.IMPORT, batch="imp-1"))
    activities.log(ana.id, "note", {"subject": "Hello"}, context.user())
    lifecycle.delete(big.id, ctx)
    lifecycle.restore(big.id, ctx)
    dup = contact("Ana dup")
    associations.associate(dup.id, ticket("T").id, ctx)
    lifecycle.merge(ana.id, dup.id, ctx)
    sources = {row.source for row in History.select()}
    assert sources >= {
        "Automatic association by domain",
        "Import",
        "User",
        "Job",
        "Object deleted",
        "Object restore",
        "Object merge",
        "API",
    }
    assert sources <= set(context.SOURCES)
    imported = History.get(History.source == "Import")
    assert imported.batch == "imp-1"
    assert acme.id in {e.other_id for e in history.record_history(ana.id, "company")}


def test_filter_by_object_and_activity_type(db, ctx):
    ana = contact("Ana")
    acme, big = company("Acme"), deal("Big")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(ana.id, big.id, ctx)
    from rolodex.crm import activities

    note = activities.log(ana.id, "note", {"subject": "Hi"}, ctx)
    assert {e.other_id for e in history.record_history(ana.id, "deal")} == {big.id}
    assert {e.other_id for e in history.record_history(ana.id, "company")} == {acme.id}
    assert {e.other_id for e in history.record_history(ana.id, "note")} == {note.id}
    assert history.record_history(ana.id, "call") == []
    everything = history.record_history(ana.id)
    assert [e.id for e in everything] == sorted((e.id for e in everything), reverse=True)
    assert len(history.record_history(ana.id, limit=2)) == 2
    older = history.record_history(ana.id, before_id=everything[0].id)
    assert [e.id for e in older] == [e.id for e in everything[1:]]


def test_pair_history_newest_first_with_labels_seen_from_the_viewer(db, ctx):
    labels.create("contact", "company", "Employee", inverse="Employer")
    ana, acme, globex = contact("Ana"), company("Acme"), company("Globex")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(ana.id, globex.id, ctx)
    associations.set_labels(ana.id, acme.id, ctx, ["Employee"])
    associations.set_primary(ana.id, globex.id, ctx)
    associations.dissociate(ana.id, acme.id, ctx)
    pair = history.pair_history(ana.id, acme.id)
    assert [e.action for e in pair] == ["removed", "updated", "updated", "created"]
    assert [e.primary for e in pair] == [False, False, True, True]
    assert pair[2].labels == ("Employer",)
    from_company = history.pair_history(acme.id, ana.id)
    assert from_company[2].labels == ("Employee",)
    assert from_company[0].other_id == ana.id


def test_as_of_rebuilds_the_past_at_several_moments(db, ctx):
    labels.create("contact", "company", "Advisor")
    ana, acme, globex, big = contact("Ana"), company("Acme"), company("Globex"), deal("Big")
    t0 = moment()
    associations.associate(ana.id, acme.id, ctx)
    t1 = moment()
    associations.associate(ana.id, globex.id, ctx, ["Advisor"])
    associations.associate(ana.id, big.id, ctx)
    t2 = moment()
    associations.set_primary(ana.id, globex.id, ctx)
    associations.dissociate(ana.id, acme.id, ctx)
    t3 = moment()
    lifecycle.delete(globex.id, ctx)
    t4 = moment()

    def state(at):
        return {(p.other_ref, p.labels, p.primary) for p in history.as_of(ana.id, at)}

    assert state(t0) == set()
    assert state(t1) == {(acme.ref, (), True)}
    assert state(t2) == {
        (acme.ref, (), True),
        (globex.ref, ("Advisor",), False),
        (big.ref, (), False),
    }
    assert state(t3) == {(globex.ref, ("Advisor",), True), (big.ref, (), False)}
    assert state(t4) == {(big.ref, (), False)}
    now = {(a.other_ref, a.labels, a.primary) for a in associations.all_of(ana.id)}
    assert state(utcnow() + dt.timedelta(seconds=1)) == now
    # the past of the other side agrees
    assert {p.other_id for p in history.as_of(globex.id, t3)} == {ana.id}


def test_history_is_append_only(db, ctx):
    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, ctx)
    first = [(r.id, r.action, r.at) for r in History.select().order_by(History.id)]
    associations.dissociate(ana.id, acme.id, ctx)
    lifecycle.delete(acme.id, ctx)
    after = [(r.id, r.action, r.at) for r in History.select().order_by(History.id)]
    assert after[: len(first)] == first
    assert [a for _i, a, _t in after] == ["created", "removed"]


def test_replay_equals_current_associations(db, ctx):
    ana, acme, big = contact("Ana"), company("Acme"), deal("Big")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(big.id, acme.id, ctx)
    associations.associate(big.id, ana.id, ctx)
    associations.dissociate(big.id, ana.id, ctx)
    replayed = history.replay()
    assert set(replayed) == {tuple(sorted((ana.id, acme.id))), tuple(sorted((big.id, acme.id)))}
    assert check.run().ok


def test_an_update_says_what_it_changed_from_each_side(db, ctx):
    labels.create("contact", "company", "Employee", inverse="Employer")
    labels.create("contact", "company", "Advisor")
    ana = contact("Ana")
    acme, beta = company("Acme"), company("Beta")
    associations.associate(ana.id, acme.id, ctx, labels=["Employee"])  # Acme becomes primary
    associations.associate(ana.id, beta.id, ctx)
    associations.set_labels(ana.id, acme.id, ctx, ["Advisor"])
    associations.set_primary(ana.id, beta.id, ctx)
    seen_by_ana = [(e.other_name, e.action, e.changed) for e in history.record_history(ana.id)]
    assert seen_by_ana[:3] == [
        ("Beta", "updated", ("now the primary",)),
        ("Acme", "updated", ("no longer the primary",)),
        ("Acme", "updated", ("+Advisor", "−Employer")),
    ]
    seen_by_acme = [e.changed for e in history.record_history(acme.id)]
    assert seen_by_acme[:2] == [("no longer has this as primary",), ("+Advisor", "−Employee")]
    assert history.action_words(history.record_history(acme.id)[1]) == (
        "updated: +Advisor, −Employee"
    )


def test_an_update_found_on_a_later_page_still_knows_its_earlier_state(db, ctx):
    labels.create("contact", "company", "Employee", inverse="Employer")
    labels.create("contact", "company", "Advisor")
    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, ctx, labels=["Employee"])
    associations.set_labels(ana.id, acme.id, ctx, ["Employee", "Advisor"])
    newest = history.record_history(ana.id, limit=1)
    assert newest[0].changed == ("+Advisor",)
    created = history.record_history(ana.id, before_id=newest[0].id)
    assert created[0].action == "created" and created[0].changed == ()
