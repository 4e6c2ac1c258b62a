"""Bulk writers that take changes back (an import's revert), in few round trips, with the
rules ``associations`` and ``lifecycle`` apply one record at a time:

- :func:`unlink` removes associations with their labels, one "removed" history row each;
- :func:`set_states` gives existing associations back the labels and primary flags they
  had, one "updated" history row each; a primary is not given back to a record that has
  another primary of that object now (someone chose it since);
- :func:`ensure_primaries`: a record that has companies but no primary company gets its
  oldest one, as ``associations`` does after a removal;
- :func:`to_recycle_bin` moves records to the recycle bin as ``lifecycle.delete`` does
  (their remaining associations go first, with the caller's source).

History rows are only ever added. Callers run these inside their write transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rolodex.crm import changes, objects
from rolodex.crm.bulk import CHUNK, execute, insert_many, rows_for_keys, stamp
from rolodex.crm.context import Context
from rolodex.crm.state import AssociationState
from rolodex.store import raw

HISTORY_INSERT = (
    "INSERT INTO history (at, a_id, b_id, a_type_id, b_type_id, action, labels,"
    " a_primary_b, b_primary_a, source, actor, batch)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
ASSOCIATION_COLUMNS = ("a_id", "b_id", "id", "a_type_id", "b_type_id", "a_primary_b", "b_primary_a")


def _marks(values: Sequence[object]) -> str:
    return ", ".join(["?"] * len(values))


def associations_of(pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], AssociationState]:
    """The current state of each of these pairs (a < b) that is associated."""
    states, _ids = _current(pairs)
    return states


def _current(
    pairs: Sequence[tuple[int, int]],
) -> tuple[dict[tuple[int, int], AssociationState], dict[tuple[int, int], int]]:
    states: dict[tuple[int, int], AssociationState] = {}
    ids: dict[tuple[int, int], int] = {}
    for start in range(0, len(pairs), CHUNK):
        part = pairs[start : start + CHUNK]
        rows = rows_for_keys(
            "association", ASSOCIATION_COLUMNS, ("a_id", "b_id"), ("bigint", "bigint"), part
        )
        labels = _labels([int(r[2]) for r in rows])
        for a, b, assoc_id, a_type, b_type, apb, bpa in rows:
            key = (int(a), int(b))
            ids[key] = int(assoc_id)
            states[key] = AssociationState(
                a=int(a),
                b=int(b),
                a_type=int(a_type),
                b_type=int(b_type),
                labels=frozenset(labels.get(int(assoc_id), ())),
                a_primary_b=bool(apb),
                b_primary_a=bool(bpa),
            )
    return states, ids


def _labels(assoc_ids: Sequence[int]) -> dict[int, set[tuple[int, bool]]]:
    found: dict[int, set[tuple[int, bool]]] = {}
    for start in range(0, len(assoc_ids), CHUNK):
        part = list(assoc_ids[start : start + CHUNK])
        if not part:
            continue
        for assoc_id, label_id, forward in raw.fetchall(
            "SELECT association_id, label_id, forward FROM association_label"
            f" WHERE association_id IN ({_marks(part)})",
            part,
        ):
            found.setdefault(int(assoc_id), set()).add((int(label_id), bool(forward)))
    return found


def _history_row(state: AssociationState, action: str, ctx: Context, now: object) -> tuple:
    return (
        now,
        state.a,
        state.b,
        state.a_type,
        state.b_type,
        action,
        state.labels_json(),
        state.a_primary_b,
        state.b_primary_a,
        ctx.source,
        ctx.actor,
        ctx.batch,
    )


def unlink(pairs: Sequence[tuple[int, int]], ctx: Context) -> set[int]:
    """Remove these associations (pairs a < b; those not associated are passed over).
    Returns the records that lost their primary company with them."""
    lost: set[int] = set()
    company = objects.by_key(objects.COMPANY).id
    for start in range(0, len(pairs), CHUNK):
        states, ids = _current(pairs[start : start + CHUNK])
        if not states:
            continue
        now = stamp()
        doomed = [ids[key] for key in states]
        execute(f"DELETE FROM association_label WHERE association_id IN ({_marks(doomed)})", doomed)
        execute(f"DELETE FROM association WHERE id IN ({_marks(doomed)})", doomed)
        insert_many(HISTORY_INSERT, [_history_row(s, "removed", ctx, now) for s in states.values()])
        for state in states.values():
            if state.a_primary_b and state.b_type == company:
                lost.add(state.a)
            if state.b_primary_a and state.a_type == company:
                lost.add(state.b)
    if lost or pairs:
        changes.notify()
    return lost


def _primaries(holders: Sequence[int], company: int, besides: Sequence[int] = ()) -> set[int]:
    """Which of these records have a primary company (on an association other than ``besides``)."""
    found: set[int] = set()
    for start in range(0, len(holders), CHUNK):
        part = list(holders[start : start + CHUNK])
        if not part:
            continue
        skip = list(besides) or [0]
        for (rid,) in raw.fetchall(
            f"SELECT a_id FROM association WHERE a_id IN ({_marks(part)}) AND b_type_id = ?"
            f" AND a_primary_b AND id NOT IN ({_marks(skip)})"
            f" UNION SELECT b_id FROM association WHERE b_id IN ({_marks(part)})"
            f" AND a_type_id = ? AND b_primary_a AND id NOT IN ({_marks(skip)})",
            [*part, company, *skip, *part, company, *skip],
        ):
            found.add(int(rid))
    return found


def set_states(wanted: Sequence[AssociationState], ctx: Context) -> list[AssociationState]:
    """Give existing associations these labels and primary flags. Returns the states that
    were given without a primary flag because that record has another primary now."""
    refused: list[AssociationState] = []
    company = objects.by_key(objects.COMPANY).id
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        states, ids = _current([(w.a, w.b) for w in part])
        now = stamp()
        label_deletes: list[tuple] = []
        label_inserts: list[tuple] = []
        clears: list[tuple[str, int]] = []
        sets: list[tuple[str, int, int]] = []  # (flag column, association id, holder)
        changed: dict[tuple[int, int], AssociationState] = {}
        for target in part:
            key = (target.a, target.b)
            current = states.get(key)
            if current is None:
                continue  # gone since: nothing to give back
            assoc_id = ids[key]
            for lid, fwd in current.labels - target.labels:
                label_deletes.append((assoc_id, lid, fwd))
            for lid, fwd in target.labels - current.labels:
                label_inserts.append((assoc_id, lid, fwd))
            for flag, has, wants, holder, other_type in (
                ("a_primary_b", current.a_primary_b, target.a_primary_b, target.a, target.b_type),
                ("b_primary_a", current.b_primary_a, target.b_primary_a, target.b, target.a_type),
            ):
                if has and not wants:
                    clears.append((flag, assoc_id))
                elif wants and not has and other_type == company:
                    sets.append((flag, assoc_id, holder))
            changed[key] = target
        for flag, assoc_id in clears:
            execute(f"UPDATE association SET {flag} = ? WHERE id = ?", (False, assoc_id))
        taken = _primaries([h for _f, _i, h in sets], company, [i for _f, i, _h in sets])
        for flag, assoc_id, holder in sets:
            if holder in taken:
                key = next(k for k, i in ids.items() if i == assoc_id)
                target = changed[key]
                refused.append(target)
                changed[key] = AssociationState(
                    target.a,
                    target.b,
                    target.a_type,
                    target.b_type,
                    target.labels,
                    target.a_primary_b and flag != "a_primary_b",
                    target.b_primary_a and flag != "b_primary_a",
                )
                continue
            execute(f"UPDATE association SET {flag} = ? WHERE id = ?", (True, assoc_id))
            taken.add(holder)
        for assoc_id, lid, fwd in label_deletes:
            execute(
                "DELETE FROM association_label WHERE association_id = ? AND label_id = ?"
                " AND forward = ?",
                (assoc_id, lid, fwd),
            )
        insert_many(
            "INSERT INTO association_label (association_id, label_id, forward) VALUES (?, ?, ?)",
            label_inserts,
        )
        rows = [
            _history_row(target, "updated", ctx, now)
            for key, target in changed.items()
            if target.comparable() != states[key].comparable()
        ]
        insert_many(HISTORY_INSERT, rows)
        if rows:
            changes.notify()
    return refused


def ensure_primaries(record_ids: Iterable[int], ctx: Context) -> int:
    """Records (live, of an object with a primary company) that have companies but no
    primary get their oldest company as primary. Returns how many did."""
    company = objects.by_key(objects.COMPANY).id
    holders_types = [info.id for info in objects.all_types() if info.has_primary_company]
    ids = sorted(set(record_ids))
    promoted = 0
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        live = [
            int(rid)
            for rid, type_id in raw.fetchall(
                f"SELECT id, object_type_id FROM record WHERE id IN ({_marks(part)})"
                " AND deleted_at IS NULL AND merged_into_id IS NULL",
                part,
            )
            if int(type_id) in holders_types
        ]
        if not live:
            continue
        have = _primaries(live, company)
        lacking = [rid for rid in live if rid not in have]
        if not lacking:
            continue
        oldest: dict[int, int] = {}
        for rid, assoc_id in raw.fetchall(
            f"SELECT a_id, id FROM association WHERE a_id IN ({_marks(lacking)}) AND b_type_id = ?"
            f" UNION ALL SELECT b_id, id FROM association WHERE b_id IN ({_marks(lacking)})"
            " AND a_type_id = ?",
            [*lacking, company, *lacking, company],
        ):
            rid, assoc_id = int(rid), int(assoc_id)
            if rid not in oldest or assoc_id < oldest[rid]:
                oldest[rid] = assoc_id
        if not oldest:
            continue
        chosen = sorted(oldest.values())
        rows = raw.fetchall(
            "SELECT a_id, b_id, id, a_type_id, b_type_id, a_primary_b, b_primary_a"
            f" FROM association WHERE id IN ({_marks(chosen)})",
            chosen,
        )
        labels = _labels(chosen)
        now = stamp()
        history = []
        for a, b, assoc_id, a_type, b_type, apb, bpa in rows:
            holder = next(h for h, i in oldest.items() if i == assoc_id)
            flag = "a_primary_b" if int(a) == holder else "b_primary_a"
            execute(f"UPDATE association SET {flag} = ? WHERE id = ?", (True, assoc_id))
            state = AssociationState(
                int(a),
                int(b),
                int(a_type),
                int(b_type),
                frozenset(labels.get(int(assoc_id), ())),
                bool(apb) or flag == "a_primary_b",
                bool(bpa) or flag == "b_primary_a",
            )
            history.append(_history_row(state, "updated", ctx, now))
            promoted += 1
        insert_many(HISTORY_INSERT, history)
        changes.notify()
    return promoted


def to_recycle_bin(record_ids: Sequence[int], ctx: Context) -> set[int]:
    """Move these records to the recycle bin, their associations removed with ``ctx``'s
    source. Returns the other records that lost their primary company with them."""
    lost: set[int] = set()
    for start in range(0, len(record_ids), CHUNK):
        part = list(record_ids[start : start + CHUNK])
        pairs = [
            (int(a), int(b))
            for a, b in raw.fetchall(
                f"SELECT a_id, b_id FROM association WHERE a_id IN ({_marks(part)})"
                f" UNION SELECT a_id, b_id FROM association WHERE b_id IN ({_marks(part)})",
                [*part, *part],
            )
        ]
        if pairs:
            lost |= unlink(pairs, ctx)
        execute(
            f"UPDATE record SET deleted_at = ?, version = version + 1 WHERE id IN ({_marks(part)})"
            " AND deleted_at IS NULL",
            [stamp(), *part],
        )
        changes.notify()
    return lost - set(record_ids)
