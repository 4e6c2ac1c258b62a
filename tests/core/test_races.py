"""Races between processes on one database, on SQLite and PostgreSQL: every writer of
the product takes the write lock, so a limit holds and one word is one label."""

from __future__ import annotations

import multiprocessing

import pytest

from rolodex.crm import associations, check, labels, limits, records
from rolodex.store.models import Label
from tests.stress import workers

SPAWN = multiprocessing.get_context("spawn")
WRITERS = ["associate new", "associate", "associate existing", "import"]
PROCESSES = 8
LIMIT = 3


@pytest.mark.parametrize("path", WRITERS)
def test_a_limit_holds_when_eight_processes_link_at_once(db, db_url, path):
    company = records.create("company", {"name": "Limited", "domain": "limited.example"}).id
    limits.set_limit("company", "contact", LIMIT)
    with SPAWN.Manager() as manager, SPAWN.Pool(PROCESSES) as pool:
        barrier = manager.Barrier(PROCESSES)
        outcomes = pool.starmap(
            workers.link_under_a_limit,
            [(db_url, path, company, n, barrier) for n in range(PROCESSES)],
        )
    assert sorted(outcomes) == ["limit"] * (PROCESSES - LIMIT) + ["ok"] * LIMIT, outcomes
    assert associations.counts(company).get("contact", 0) == LIMIT
    if path == "associate new":  # all or nothing: a refused link creates no contact
        assert records.count("contact") == LIMIT
    report = check.run()
    assert report.ok and not report.over_limit, report


def test_four_case_variants_of_a_label_created_at_once_make_one_label(db, db_url):
    words = ["Mentor", "mentor", "MENTOR", "MeNtOr"]
    with SPAWN.Manager() as manager, SPAWN.Pool(len(words)) as pool:
        barrier = manager.Barrier(len(words))
        outcomes = pool.starmap(
            workers.create_label_at_once, [(db_url, word, barrier) for word in words]
        )
    assert sorted(outcomes) == ["exists"] * 3 + ["ok"], outcomes
    assert Label.select().where(Label.name_key == "mentor").count() == 1
    assert len(labels.list_labels("contact", "company")) == 1


@pytest.mark.parametrize("variant", ["mentor", "MENTOR", "Mentor ", "Ｍｅｎｔｏｒ", "men\u200btor"])
def test_a_variant_of_an_existing_label_is_refused_by_the_database_itself(db, variant):
    """The unique index decides, not only the check in code: a row written past the code
    (as a racing writer would) is refused too. Full-width letters are the same word after
    NFKC; a zero-width space makes another word."""
    labels.create("contact", "company", "Mentor")
    from peewee import IntegrityError

    from rolodex.crm.objects import by_key
    from rolodex.store.models import label_key

    same = label_key(variant) == label_key("Mentor")
    assert same == (variant != "men\u200btor")
    if not same:
        labels.create("contact", "company", variant)
        return
    with pytest.raises(IntegrityError):
        Label.create(
            from_type=by_key("contact").id,
            to_type=by_key("company").id,
            name=variant,
            name_key=label_key(variant),
        )
