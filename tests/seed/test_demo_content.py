"""The demo's content: the article's three examples, limits, labels and hostile names.

Built once per module (it takes seconds on PostgreSQL) and only read by these tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from peewee import Database

from rolodex.crm import associations, labels, limits, objects, search
from rolodex.store.database import open_database
from rolodex.synth import story
from rolodex.synth.generator import generate
from tests.conftest import PG_URL, _reset_postgres


@pytest.fixture(scope="module")
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    objects.invalidate()
    if PG_URL:
        database = _reset_postgres(request.getfixturevalue("pg_worker_url"))
    else:
        database = open_database(str(tmp_path_factory.mktemp("demo") / "demo.db"))
    objects.invalidate()
    generate("demo")
    yield database
    database.close()
    objects.invalidate()


@pytest.fixture
def db(demo: Database) -> Database:
    from rolodex.store.models import database

    database.initialize(demo)
    objects.invalidate()
    return demo


def _one(type_key: str, name: str) -> int:
    hits = [h for h in search.search(name, [type_key], limit=50) if h.name == name]
    assert len(hits) == 1, hits
    return hits[0].id


def _by_type(record_id: int) -> dict[str, list[associations.Associated]]:
    out: dict[str, list[associations.Associated]] = {}
    for item in associations.all_of(record_id):
        out.setdefault(item.other_type, []).append(item)
    return out


def test_demo_article_example_a_deal_with_three_contacts_and_their_company(db):
    deal = _one("deal", story.DEAL_A)
    linked = _by_type(deal)
    company = linked["company"][0]
    assert len(linked["company"]) == 1 and company.primary
    assert company.other_name == "Northwind Traders"
    contacts = linked["contact"]
    assert len(contacts) == 3
    for contact in contacts:
        assert associations.primary_company(contact.other_id) == company.other_id
    assert {c.labels for c in contacts} == {("Decision maker",), ("Champion",), ()}


def test_demo_article_example_b_ticket_contacts_on_a_deal(db):
    ticket = _one("ticket", story.TICKET_B)
    deal = _one("deal", story.DEAL_B)
    linked = _by_type(ticket)
    assert [d.other_id for d in linked["deal"]] == [deal]
    ticket_contacts = {c.other_id for c in linked["contact"]}
    assert len(ticket_contacts) == 2
    deal_contacts = {c.other_id for c in _by_type(deal)["contact"]}
    assert ticket_contacts <= deal_contacts


def test_demo_article_example_c_employee_of_one_advisor_of_another(db):
    maya = _one("contact", "Maya Patel")
    companies = {c.other_name: c for c in _by_type(maya)["company"]}
    helix, lumen = companies["Helix Therapeutics AB"], companies["Lumen Health GmbH"]
    assert helix.primary and not lumen.primary
    assert helix.labels == ("Employer",)  # Maya is Helix's Employee
    assert lumen.labels == ("Advisor",)
    from_helix = [c for c in _by_type(helix.other_id)["contact"] if c.other_id == maya]
    assert from_helix[0].labels == ("Employee",)


def test_demo_records_near_their_limits_and_labels(db):
    near = limits.usage_report()
    kinds = {(u.record_type, u.limit.to_type) for u in near}
    assert {("deal", "contact"), ("ticket", "contact"), ("contact", "company")} <= kinds
    assert all(not u.over for u in near)
    paired = {lab.name: lab for lab in labels.list_labels() if lab.paired}
    assert paired["Manager"].inverse == "Employee" and paired["Manager"].in_use > 0
    assert paired["Employee"].inverse == "Employer"


def test_demo_keeps_markup_hostile_names_verbatim(db):
    assert _one("company", "ACME [UK] Ltd")
    assert _one("deal", "[/x]")
    assert _one("contact", "Robin [/x]")
    assert _one("ticket", "Error: [@click=app.quit]x[/] in the log")
