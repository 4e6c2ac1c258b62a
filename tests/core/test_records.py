"""Records: creating with validated values, updating with optimistic concurrency, REFs."""

from __future__ import annotations

import pytest

from rolodex.crm import lifecycle, objects, records
from rolodex.crm.errors import (
    AmbiguousReference,
    Conflict,
    Deleted,
    DuplicateRecord,
    InvalidReference,
    InvalidValue,
    NotFound,
)
from rolodex.store.models import Record
from tests.conftest import HOSTILE_NAMES
from tests.core.helpers import company, contact


def test_create_contact_normalises_email_and_builds_name(db):
    ana = records.create(
        "contact", {"first_name": " Ana ", "last_name": "Lind", "email": " Ana@Acme.COM "}
    )
    assert ana.type == "contact"
    assert ana.name == "Ana Lind"
    assert ana.properties["email"] == "ana@acme.com"
    assert ana.ref == f"contact:{ana.id}"
    assert ana.version == 1
    assert records.get(ana.id) == ana


def test_contact_without_name_is_named_by_email(db):
    nameless = records.create("contact", {"email": "x@y.org"})
    assert nameless.name == "x@y.org"


def test_company_domain_is_normalised_from_a_url(db):
    acme = records.create("company", {"name": "Acme", "domain": "https://www.Acme.com/about?x=1"})
    assert acme.properties["domain"] == "acme.com"


@pytest.mark.parametrize(
    ("type_key", "values", "fragment"),
    [
        ("contact", {"email": "not-an-email"}, "not an email address"),
        ("contact", {"email": "a@b"}, "not an email address"),
        ("company", {"domain": "not a domain"}, "not a domain name"),
        ("company", {"domain": "-bad-.com"}, "not a domain name"),
        ("deal", {"amount": "lots"}, "not a number"),
        ("deal", {"amount": "NaN"}, "not a number"),
        ("deal", {"amount": "Infinity"}, "not a number"),
        ("deal", {"close_date": "2024-02-30"}, "not a date"),
        ("deal", {"close_date": "tomorrow"}, "not a date"),
        ("contact", {"shoe_size": "44"}, "has no property 'shoe_size'"),
        ("contact", {"first_name": "nul\x00byte"}, "NUL"),
    ],
)
def test_invalid_values_are_refused_with_one_line_and_nothing_written(
    db, type_key, values, fragment
):
    before = Record.select().count()
    with pytest.raises(InvalidValue) as err:
        records.create(type_key, values)
    message = str(err.value)
    assert fragment in message
    assert "\n" not in message
    assert Record.select().count() == before


def test_valid_numbers_and_dates_are_normalised(db):
    deal = records.create("deal", {"name": "Big", "amount": "1,250.50", "close_date": "2025-03-01"})
    assert deal.properties["amount"] == "1250.5"
    assert deal.properties["close_date"] == "2025-03-01"


def test_unknown_object_type_lists_the_known_ones(db):
    with pytest.raises(NotFound) as err:
        records.create("spaceship", {"name": "x"})
    assert "contact" in str(err.value) and "company" in str(err.value)


def test_contact_email_is_unique_case_insensitively(db):
    first = contact("Ana", "ana@acme.com")
    with pytest.raises(DuplicateRecord) as err:
        records.create("contact", {"first_name": "Other", "email": "ANA@acme.com"})
    assert first.ref in str(err.value)
    bob = contact("Bob", "bob@acme.com")
    with pytest.raises(DuplicateRecord):
        records.update(bob.id, {"email": "ana@acme.com"})
    assert records.get(bob.id).properties["email"] == "bob@acme.com"


def test_email_of_a_deleted_contact_can_be_reused(db, ctx):
    first = contact("Ana", "ana@acme.com")
    lifecycle.delete(first.id, ctx)
    second = contact("Ana 2", "ana@acme.com")
    assert records.resolve("ana@acme.com").id == second.id


def test_update_bumps_version_and_clears_with_empty_value(db):
    ana = contact("Ana", "ana@acme.com", last="Lind")
    updated = records.update(ana.id, {"job_title": "CTO", "last_name": ""}, ana.version)
    assert updated.version == ana.version + 1
    assert updated.properties.get("job_title") == "CTO"
    assert "last_name" not in updated.properties
    assert updated.name == "Ana"


def test_stale_version_raises_conflict_with_current_values_and_changes_nothing(db):
    ana = contact("Ana", "ana@acme.com")
    mine = ana.version
    theirs = records.update(ana.id, {"job_title": "CEO"}, mine)
    with pytest.raises(Conflict) as err:
        records.update(ana.id, {"job_title": "Intern"}, mine)
    assert err.value.current_version == theirs.version
    assert err.value.current["job_title"] == "CEO"
    assert ana.ref in str(err.value)
    assert records.get(ana.id).properties["job_title"] == "CEO"
    assert records.get(ana.id).version == theirs.version


def test_update_with_an_invalid_value_changes_nothing(db):
    deal = records.create("deal", {"name": "D", "amount": "10"})
    with pytest.raises(InvalidValue):
        records.update(deal.id, {"name": "Renamed", "amount": "ten"})
    assert records.get(deal.id).name == "D"
    assert records.get(deal.id).version == 1


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_stored_verbatim(db, name):
    acme = records.create("company", {"name": name})
    assert records.get(acme.id).name == name.strip()


def test_count_excludes_deleted(db, ctx):
    a, b = contact("A"), contact("B")
    lifecycle.delete(b.id, ctx)
    assert records.count("contact") == 1
    assert a.id != b.id


def test_parse_assignments(db):
    assert records.parse_assignments(["name=Acme", "domain = acme.com"]) == {
        "name": "Acme",
        "domain": " acme.com",
    }
    with pytest.raises(InvalidValue):
        records.parse_assignments(["oops"])


def test_custom_object_with_properties_and_display_name(db):
    info = objects.create_custom_object(
        "project", "Project", "Projects", [("title", "text"), ("budget", "number")], "title"
    )
    assert info.has_primary_company
    rec = records.create("project", {"title": "Apollo", "budget": "1000"})
    assert rec.name == "Apollo"
    with pytest.raises(InvalidValue):
        records.create("project", {"budget": "much"})
    with pytest.raises(InvalidValue):
        objects.create_custom_object("project", "P", "Ps", [("title", "text")])
    with pytest.raises(InvalidValue):
        objects.create_custom_object("Bad Key", "P", "Ps", [("title", "text")])
    with pytest.raises(InvalidValue):
        objects.create_custom_object("thing", "T", "Ts", [("title", "colour")])


# ------------------------------------------------------------------ REF resolution


def test_resolve_type_id_email_and_domain(db):
    ana = contact("Ana", "ana@acme.com")
    acme = company("Acme", "acme.com")
    assert records.resolve(f"contact:{ana.id}").id == ana.id
    assert records.resolve(f" Contact:{ana.id} ").id == ana.id
    assert records.resolve("ANA@acme.com").id == ana.id
    assert records.resolve("acme.com").id == acme.id
    assert records.resolve("www.acme.com").id == acme.id


def test_resolve_errors_are_specific(db):
    ana = contact("Ana", "ana@acme.com")
    with pytest.raises(InvalidReference):
        records.resolve("contact:abc")
    with pytest.raises(InvalidReference):
        records.resolve("just words")
    with pytest.raises(NotFound):
        records.resolve("contact:999999")
    with pytest.raises(NotFound) as err:
        records.resolve(f"company:{ana.id}")
    assert "contact" in str(err.value)
    with pytest.raises(NotFound):
        records.resolve("nobody@acme.com")
    with pytest.raises(NotFound):
        records.resolve("nowhere.example")
    with pytest.raises(NotFound):
        records.resolve(f"widget:{ana.id}")


def test_ambiguous_domain_names_the_candidates(db):
    one = company("Acme EU", "acme.com")
    two = company("Acme US", "acme.com")
    with pytest.raises(AmbiguousReference) as err:
        records.resolve("acme.com")
    assert one.ref in str(err.value) and two.ref in str(err.value)
    assert records.resolve(one.ref).id == one.id


def test_merged_id_resolves_to_survivor(db, ctx):
    keep = company("Acme", "acme.com")
    gone = company("Acme Inc")
    lifecycle.merge(keep.id, gone.id, ctx)
    assert records.resolve(f"company:{gone.id}").id == keep.id
    assert records.get(gone.id).id == keep.id


def test_deleted_record_is_an_error_unless_include_deleted(db, ctx):
    ana = contact("Ana", "ana@acme.com")
    acme = company("Acme", "acme.com")
    lifecycle.delete(ana.id, ctx)
    lifecycle.delete(acme.id, ctx)
    with pytest.raises(Deleted) as err:
        records.resolve(ana.ref)
    assert "recycle bin" in str(err.value)
    with pytest.raises(NotFound):
        records.resolve("ana@acme.com")
    with pytest.raises(NotFound):
        records.resolve("acme.com")
    assert records.resolve(ana.ref, include_deleted=True).deleted_at is not None
    assert records.resolve("ana@acme.com", include_deleted=True).id == ana.id
    assert records.resolve("acme.com", include_deleted=True).id == acme.id
