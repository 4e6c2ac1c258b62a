"""`check` proves the invariants and catches a deliberately corrupted database."""

from __future__ import annotations

import pytest

from rolodex.crm import associations, check, labels
from rolodex.store.history_guard import rewriting_history
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


def rewrite_history(text: str) -> None:
    """Corrupt history on purpose, the one way the database allows (the guard is lifted
    for this statement only): what someone who dropped the triggers could do."""
    with database.atomic(), rewriting_history(database.obj):
        database.execute_sql(text)


def violations() -> list[str]:
    report = check.run()
    assert not report.ok
    return report.violations


def test_deleted_history_row_is_detected(world):
    big, acme = world["big"], world["acme"]
    a, b = sorted((big.id, acme.id))
    rewrite_history("DELETE FROM history WHERE id = (SELECT max(id) FROM history)")
    assert violations() == [f"association {a}-{b} is stored, but history never created it"]


def test_edited_history_labels_are_detected(world):
    rewrite_history("UPDATE history SET labels = '[]' WHERE labels <> '[]'")
    found = violations()
    pairs = [sorted((world["ana"].id, world[k].id)) for k in ("globex", "big")]
    assert found == [
        f"history does not replay to the association {a}-{b} as stored: labels differ"
        for a, b in sorted(pairs)
    ]


def test_history_of_an_association_that_is_not_stored_is_detected(world):
    ana, acme = world["ana"], world["acme"]
    row = pair_row(ana.id, acme.id)
    sql(f"DELETE FROM association WHERE id = {row.id}")
    found = violations()
    assert f"history says the association {row.a_id}-{row.b_id} exists, but it is not stored" in (
        found
    )


def _forge(a: int, b: int, action: str) -> int:
    """Append a history row (allowed: history is append-only, not write-protected)."""
    x, y = sorted((a, b))
    types = dict(database.execute_sql("SELECT id, object_type_id FROM record").fetchall())
    sql(
        "INSERT INTO history (at, a_id, b_id, a_type_id, b_type_id, action, labels, "
        f"a_primary_b, b_primary_a, source, actor) VALUES ('2026-01-01 00:00:00', {x}, {y}, "
        f"{types[x]}, {types[y]}, '{action}', '[]', FALSE, FALSE, 'User', 'mallory')"
    )
    return database.execute_sql("SELECT max(id) FROM history").fetchone()[0]


def test_forged_rows_that_contradict_the_earlier_ones_are_detected(world):
    """The final state replays fine, yet each forged row contradicts the pair's history."""
    ana, globex, acme = world["ana"], world["globex"], world["acme"]
    stray = contact("Stray")
    x, y = sorted((stray.id, acme.id))
    ghost = _forge(stray.id, acme.id, "updated")  # a pair that never existed...
    _forge(stray.id, acme.id, "removed")  # ...and is gone again: replays to nothing
    a, b = sorted((ana.id, globex.id))
    created_again = _forge(ana.id, globex.id, "created")  # ana-globex already existed
    _forge(ana.id, globex.id, "removed")
    row = pair_row(a, b)  # removed in storage too, so the replay agrees
    sql(f"DELETE FROM association_label WHERE association_id = {row.id}")
    sql(f"DELETE FROM association WHERE id = {row.id}")
    assert violations() == [
        f"history row {created_again} creates the association {a}-{b}, which already existed",
        f"history row {ghost} changes the association {x}-{y}, which did not exist",
    ]


def test_an_unknown_action_in_history_is_detected(world):
    ana, acme = world["ana"], world["acme"]
    row = _forge(ana.id, acme.id, "teleported")
    a, b = sorted((ana.id, acme.id))
    assert (
        f"history row {row} of the association {a}-{b} has an unknown action 'teleported'"
        in violations()
    )


def test_more_contradictions_than_shown_are_counted(world, monkeypatch):
    monkeypatch.setattr(check, "SHOWN_PER_RULE", 1)
    rewrite_history("DELETE FROM history")
    found = violations()
    replay = [v for v in found if "history never created it" in v]
    assert len(replay) == 1
    assert "and 3 more associations whose history does not replay to them" in found


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
    a, b = sorted((ana.id, other.id))
    assert violations() == [f"association {a}-{b} is stored, but history never created it"]


def test_check_reports_counts(world):
    counts = check.counts()
    assert counts["associations"] == 4 and counts["records"] == 4
