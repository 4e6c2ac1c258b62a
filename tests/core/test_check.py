"""`check` proves the invariants and catches a deliberately corrupted database."""

from __future__ import annotations

import pytest

from rolodex.crm import associations, check, labels
from rolodex.store.models import Association, database
from tests.core.helpers import company, contact, deal


@pytest.fixture
def world(db, ctx):
    labels.create("contact", "company", "Advisor")
    labels.create("contact", "deal", "Champion")
    ana, acme, globex, big = contact("Ana"), company("Acme"), company("Globex"), deal("Big")
    associations.associate(ana.id, acme.id, ctx)
    associations.associate(ana.id, globex.id, ctx, ["Advisor"])
    associations.associate(ana.id, big.id, ctx, ["Champion"])
    associations.associate(big.id, acme.id, ctx)
    report = check.run()
    assert report.ok, report.violations
    assert report.checked_associations == 4
    return {"ana": ana, "acme": acme, "globex": globex, "big": big}


def pair_row(x: int, y: int) -> Association:
    a, b = sorted((x, y))
    return Association.get((Association.a == a) & (Association.b == b))


def sql(text: str) -> None:
    with database.atomic():
        database.execute_sql(text)


def violations() -> list[str]:
    report = check.run()
    assert not report.ok
    return report.violations


def test_deleted_history_row_is_detected(world):
    sql("DELETE FROM history WHERE id = (SELECT max(id) FROM history)")
    assert any("history does not replay" in v for v in violations())


def test_edited_history_labels_are_detected(world):
    sql("UPDATE history SET labels = '[]' WHERE labels <> '[]'")
    assert any("history does not replay" in v for v in violations())


def test_flipped_primary_flag_is_detected(world):
    ana, acme = world["ana"], world["acme"]
    row = pair_row(ana.id, acme.id)
    flag = "a_primary_b" if row.a_id == ana.id else "b_primary_a"
    sql(f"UPDATE association SET {flag} = FALSE WHERE id = {row.id}")
    found = violations()
    assert any("no primary company" in v and str(ana.id) in v for v in found)
    assert any("history does not replay" in v for v in found)


def test_primary_pointing_at_a_deal_is_detected(world):
    ana, big = world["ana"], world["big"]
    row = pair_row(ana.id, big.id)
    flag = "a_primary_b" if row.a_id == ana.id else "b_primary_a"
    sql(f"UPDATE association SET {flag} = TRUE WHERE id = {row.id}")
    assert any("not a company" in v for v in violations())


def test_association_with_a_deleted_record_is_detected(world):
    sql(f"UPDATE record SET deleted_at = created_at WHERE id = {world['globex'].id}")
    assert any("deleted or merged" in v for v in violations())


def test_label_of_another_pair_is_detected(world):
    ana, globex = world["ana"], world["globex"]
    row = pair_row(ana.id, globex.id)
    champion = labels.resolve("contact", "deal", "Champion")[0]
    sql(f"UPDATE association_label SET label_id = {champion.id} WHERE association_id = {row.id}")
    assert any("defined for another pair" in v for v in violations())


def test_wrong_object_type_is_detected(world):
    ana, big = world["ana"], world["big"]
    row = pair_row(ana.id, big.id)
    company_type = database.execute_sql(
        "SELECT id FROM object_type WHERE key = 'company'"
    ).fetchone()[0]
    column = "b_type_id" if row.a_id == ana.id else "a_type_id"
    sql(f"UPDATE association SET {column} = {company_type} WHERE id = {row.id}")
    assert any("wrong object" in v for v in violations())


def test_untracked_association_is_detected(world, ctx):
    ana = world["ana"]
    other = contact("Stray")
    sql(
        "INSERT INTO association (a_id, b_id, a_type_id, b_type_id, a_primary_b, b_primary_a, "
        f"created_at) SELECT {ana.id}, {other.id}, object_type_id, object_type_id, FALSE, FALSE, "
        f"created_at FROM record WHERE id = {ana.id}"
    )
    assert any("history does not replay" in v for v in violations())


def test_check_reports_counts(world):
    counts = check.counts()
    assert counts["associations"] == 4 and counts["records"] == 4
