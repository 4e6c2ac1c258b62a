"""Undo of association changes: a new change naming the one it reverts, the association
back exactly as before (labels and primaries, by history replay), and a clear refusal
when a later change, a record gone, a limit or a hierarchy stands in the way."""

from __future__ import annotations

import contextlib

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from rolodex.crm import associations, check, history, labels, lifecycle, limits, undo
from rolodex.crm.context import Context, new_batch
from rolodex.crm.errors import UndoRefused
from rolodex.store.models import History
from tests.core.helpers import company, contact, deal


def op() -> Context:
    """A context of one operation, as the TUI and the command line make them."""
    return Context("API", actor="tester", batch=new_batch("test"))


def newest() -> int:
    return History.select(History.id).order_by(History.id.desc()).limit(1).scalar()


def state_at(history_id: int) -> dict:
    """Every association as history says it stood right after row ``history_id``."""
    current: dict = {}
    for row in (
        History.select(*history.HISTORY_COLUMNS)
        .where(History.id <= history_id)
        .order_by(History.id)
        .tuples()
    ):
        state = history._state_of(row)
        if row[6] == history.REMOVED:
            current.pop(state.key(), None)
        else:
            current[state.key()] = state.comparable()
    return current


def now() -> dict:
    return {key: state.comparable() for key, state in history.replay().items()}


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    labels.create("contact", "company", "Employee", "Employer")
    labels.create("contact", "company", "Advisor")
    ana = contact("Ana", "ana@x.org")
    acme, globex = company("Acme"), company("Globex")
    associations.associate(ana.id, acme.id, op(), ["Employee"])
    associations.associate(ana.id, globex.id, op())
    return ana, acme, globex


def test_undo_of_a_creation_removes_it_and_the_row_names_the_change(world):
    ana, acme, _globex = world
    big = deal("Big")
    before = newest()
    associations.associate(ana.id, big.id, op())
    created = newest()
    done = undo.undo(created, Context("API", actor="undoer"))
    assert done.before is None and done.after is not None
    assert now() == state_at(before)
    row = History.get_by_id(newest())
    assert (row.action, row.undoes, row.source, row.actor) == ("removed", created, "API", "undoer")
    assert check.run().ok


def test_undo_of_a_removal_brings_labels_and_primary_back(world):
    ana, acme, globex = world
    before = newest()
    associations.dissociate(ana.id, acme.id, op(), new_primary=globex.id)  # two rows
    assert associations.primary_company(ana.id) == globex.id
    removal = History.select().where(History.action == "removed").get().id
    undo.undo(removal, op())
    assert associations.primary_company(ana.id) == acme.id  # Globex demoted again
    assert associations.between(acme.id, ana.id).labels == ("Employee",)
    assert now() == state_at(before)


def test_undo_of_a_label_change_restores_the_labels(world):
    ana, acme, _globex = world
    before = newest()
    associations.set_labels(ana.id, acme.id, op(), ["Advisor"])
    undo.undo(newest(), op())
    assert associations.between(acme.id, ana.id).labels == ("Employee",)
    assert now() == state_at(before)


def test_undo_of_a_promotion_gives_back_the_primary_its_operation_demoted(world):
    ana, acme, globex = world
    before = newest()
    associations.set_primary(ana.id, globex.id, op())  # Acme demoted, then Globex promoted
    undo.undo(newest(), op())
    assert associations.primary_company(ana.id) == acme.id
    assert now() == state_at(before)
    # And undoing the demotion alone does the same.
    associations.set_primary(ana.id, globex.id, op())
    demotion = newest() - 1
    undo.undo(demotion, op())
    assert associations.primary_company(ana.id) == acme.id


def test_undo_batch_undoes_a_whole_operation(world):
    ana, acme, globex = world
    before = newest()
    ctx = op()
    associations.set_primary(ana.id, globex.id, ctx)
    done = undo.undo_batch(ctx.batch or "", op())
    assert len(done) == 2
    assert now() == state_at(before)
    assert check.run().ok


def test_refused_when_the_association_changed_again_since(world):
    ana, acme, _globex = world
    associations.set_labels(ana.id, acme.id, op(), ["Advisor"])
    first = newest()
    associations.set_labels(ana.id, acme.id, op(), ["Advisor", "Employee"])
    rows = History.select().count()
    with pytest.raises(
        UndoRefused, match=rf"#{first} cannot be undone: .* changed again since \(#{first + 1}\)"
    ):
        undo.undo(first, op())
    assert History.select().count() == rows
    undo.undo(first + 1, op())  # the latest one can be
    with pytest.raises(UndoRefused, match="changed again since"):
        undo.undo(first + 1, op())  # and only once


def test_refused_when_a_record_is_gone(world):
    ana, acme, _globex = world
    big = deal("Big")
    associations.associate(ana.id, big.id, op())
    change = newest()
    lifecycle.delete(big.id, op())
    with pytest.raises(UndoRefused, match=r"changed again since|is gone"):
        undo.undo(change, op())
    removal = newest()  # the deletion's own removal row
    with pytest.raises(UndoRefused, match=rf"deal:{big.id} is gone"):
        undo.undo(removal, op())


def test_refused_when_a_record_was_merged_away(world):
    ana, acme, _globex = world
    dup = company("Acme dup")
    associations.associate(ana.id, dup.id, op())
    associations.dissociate(ana.id, dup.id, op())
    removal = newest()
    lifecycle.merge(acme.id, dup.id, op())  # dup's id now resolves to Acme
    with pytest.raises(UndoRefused, match=rf"company:{dup.id} is gone"):
        undo.undo(removal, op())
    assert check.run().ok


def test_refused_when_a_limit_would_be_exceeded(world):
    ana, acme, globex = world
    initech = company("Initech")
    associations.dissociate(ana.id, globex.id, op())
    removal = newest()
    limits.set_limit("contact", "company", 2)
    associations.associate(ana.id, initech.id, op())
    with pytest.raises(UndoRefused, match=rf"#{removal} cannot be undone: limit"):
        undo.undo(removal, op())


def test_refused_when_a_hierarchy_would_break(db):
    group, rival, sub = company("Group"), company("Rival"), company("Sub")
    associations.associate(group.id, sub.id, op(), ["Parent company"])
    associations.dissociate(group.id, sub.id, op())
    removal = newest()
    associations.associate(rival.id, sub.id, op(), ["Parent company"])
    with pytest.raises(UndoRefused, match="already has a Parent company: Rival"):
        undo.undo(removal, op())


def test_refused_for_an_unknown_id_and_a_deleted_label(world):
    ana, acme, _globex = world
    with pytest.raises(UndoRefused, match="no history entry #999"):
        undo.undo(999, op())
    associations.associate(ana.id, company("Lumen").id, op(), ["Advisor"])
    lumen_link = newest()
    associations.set_labels(ana.id, History.get_by_id(lumen_link).b_id, op(), [])
    relabel = newest()
    labels.delete("contact", "company", "Advisor")
    with pytest.raises(UndoRefused, match="a label it removed was deleted"):
        undo.undo(relabel, op())


WORDS = ["Employee", "Advisor"]
steps = st.lists(
    st.tuples(
        st.sampled_from(["associate", "dissociate", "relabel", "primary"]),
        st.integers(0, 1),  # contact
        st.integers(0, 2),  # company
        st.lists(st.sampled_from(WORDS), max_size=2, unique=True),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_undoing_the_last_operation_gives_back_the_state_before_it(db, steps):
    """Random association changes; then the last one that wrote history is undone, whole
    (ctrl+z) or, when it wrote one row, by that row: the state equals the state before."""
    labels.invalidate()
    for word in WORDS:
        with contextlib.suppress(Exception):
            labels.create("contact", "company", word)
    people = [contact(f"P{i}") for i in range(2)]
    firms = [company(f"F{i}") for i in range(3)]
    last: tuple[int, Context] | None = None
    for kind, i, j, words in steps:
        person, firm = people[i].id, firms[j].id
        before, ctx = newest() or 0, op()
        try:
            if kind == "associate":
                associations.associate(person, firm, ctx, words)
            elif kind == "dissociate":
                associations.dissociate(person, firm, ctx)
            elif kind == "relabel":
                associations.set_labels(person, firm, ctx, words)
            else:
                associations.set_primary(person, firm, ctx)
        except Exception:
            continue
        if (newest() or 0) > before:
            last = (before, ctx)
    if last is None:
        return
    before, ctx = last
    rows = undo.batch_rows(ctx.batch or "")
    if len(rows) == 1:
        undo.undo(rows[0], op())
    else:
        undo.undo_batch(ctx.batch or "", op())
    assert now() == (state_at(before) if before else {})
    assert check.run().ok
