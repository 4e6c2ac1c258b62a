"""Code run in child processes (multiprocessing, spawn) by the stress and crash tests."""

from __future__ import annotations

import contextlib
import random
import time
import traceback
from dataclasses import dataclass, field

from rolodex.crm import associations, labels, limits, records
from rolodex.crm.context import API, Context
from rolodex.crm.errors import NeedsNewPrimary, RolodexError
from rolodex.store.transactions import writes

DEAL_COMPANY_LIMIT = 3
LOCK_WORDS = ("database is locked", "database table is locked", "sqlite_busy")


@dataclass
class Pool:
    contacts: list[int]
    companies: list[int]
    deals: list[int]


@dataclass
class OpResult:
    batch: str
    kind: str
    pair: tuple[int, int]  # the association the operation is about (smaller id first)
    ok: bool
    changed: bool
    error: str = ""


@dataclass
class WorkerReport:
    worker: int
    started: float = 0.0
    finished: float = 0.0
    results: list[OpResult] = field(default_factory=list)
    lock_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    retries: int = 0


def make_pool(n_contacts: int = 30, n_companies: int = 10, n_deals: int = 10) -> Pool:
    """Records, labels and a limit shared by all workers (run in the parent, database open)."""
    labels.create("contact", "company", "Billing contact")
    labels.create("contact", "contact", "Manager", inverse="Employee")
    labels.create("deal", "contact", "Decision maker")
    limits.set_limit("deal", "company", DEAL_COMPANY_LIMIT)
    contacts = [
        records.create("contact", {"first_name": f"C{i}", "email": f"c{i}@example.org"}).id
        for i in range(n_contacts)
    ]
    companies = [
        records.create("company", {"name": f"Co{i}", "domain": f"co{i}.example"}).id
        for i in range(n_companies)
    ]
    deals = [records.create("deal", {"name": f"Deal {i}"}).id for i in range(n_deals)]
    return Pool(contacts, companies, deals)


def _pick_pair(rng: random.Random, pool: Pool) -> tuple[int, int, list[str]]:
    """(src, dst, label words usable for "src is dst's WORD")."""
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(pool.contacts), rng.choice(pool.companies), ["Billing contact"]
    if roll < 0.65:
        a, b = rng.sample(pool.contacts, 2)
        return a, b, [rng.choice(["Manager", "Employee"])]
    if roll < 0.85:
        return rng.choice(pool.deals), rng.choice(pool.contacts), ["Decision maker"]
    return rng.choice(pool.deals), rng.choice(pool.companies), []


def _one(rng: random.Random, pool: Pool, ctx: Context) -> tuple[str, tuple[int, int], bool]:
    """One random association operation; returns (kind, pair, changed)."""
    src, dst, words = _pick_pair(rng, pool)
    pair = (min(src, dst), max(src, dst))
    company = dst in pool.companies
    roll = rng.random()
    if roll < 0.40:
        chosen = [w for w in words if rng.random() < 0.4]
        primary = company and rng.random() < 0.3
        change = associations.associate(src, dst, ctx, chosen, primary=primary)
        return "associate", pair, change.changed
    if roll < 0.65:
        new_primary = None
        for _attempt in range(5):
            try:
                change = associations.dissociate(src, dst, ctx, new_primary=new_primary)
                return "dissociate", pair, change.changed
            except NeedsNewPrimary as exc:
                new_primary = rng.choice(exc.candidates)
        raise RolodexError("no stable new primary after 5 tries")
    if roll < 0.80:
        if not company:
            src, dst = rng.choice(pool.contacts + pool.deals), rng.choice(pool.companies)
            pair = (min(src, dst), max(src, dst))
        change = associations.set_primary(src, dst, ctx)
        return "set_primary", pair, change.changed
    chosen = [w for w in words if rng.random() < 0.6]
    change = associations.set_labels(src, dst, ctx, chosen)
    return "relabel", pair, change.changed


def run_operations(target: str, worker: int, n_ops: int, pool: Pool, seed: int) -> WorkerReport:
    """Child process: ``n_ops`` random association operations, each with its own history batch."""
    from rolodex.store.database import open_database

    db = open_database(target)
    rng = random.Random(seed * 1000 + worker)
    report = WorkerReport(worker)
    report.started = time.time()
    for i in range(n_ops):
        batch = f"w{worker}-{i}"
        ctx = Context(API, batch=batch)
        try:
            kind, pair, changed = _one(rng, pool, ctx)
            report.results.append(OpResult(batch, kind, pair, True, changed))
        except RolodexError as exc:  # an expected refusal (not associated, limit, ...)
            report.results.append(OpResult(batch, "refused", (0, 0), False, False, str(exc)))
        except Exception as exc:  # noqa: BLE001 - every other failure is reported to the test
            text = f"{type(exc).__name__}: {exc}"
            report.results.append(OpResult(batch, "failed", (0, 0), False, False, text))
            if any(word in str(exc).lower() for word in LOCK_WORDS):
                report.lock_errors.append(text)
            else:
                report.unexpected.append(traceback.format_exc(limit=8))
    report.finished = time.time()
    from rolodex.store.transactions import stats

    report.retries = stats["retries"]
    db.close()
    return report


def associate_forever(
    target: str, src: int, dsts: list[int], ready_path: str, mid_path: str
) -> None:
    """Child process for the crash test: associate ``src`` with all ``dsts`` in one
    transaction, then remove them all in one transaction, over and over, until killed.

    Halfway through the first transaction it writes ``mid_path``, so the test can kill
    it when it is certainly in the middle of an association change.
    """
    from pathlib import Path

    from rolodex.store.database import open_database

    open_database(target)
    ctx = Context(API)
    real_add = associations._add
    calls = 0

    def counting_add(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == len(dsts) // 2:
            Path(mid_path).write_text("mid")
        return real_add(*args, **kwargs)

    associations._add = counting_add  # type: ignore[assignment]
    Path(ready_path).write_text("ready")
    while True:
        associations.associate_many(src, dsts, ctx, ["Billing contact"])
        _dissociate_all(src, dsts, ctx)


@writes
def _dissociate_all(src: int, dsts: list[int], ctx: Context) -> None:
    first = associations.primary_company(src)
    for dst in dsts:
        if dst != first:
            associations.dissociate(src, dst, ctx)
    if first is not None:
        associations.dissociate(src, first, ctx)


class _RolledBack(Exception):
    pass


def change_once(target: str, action: str, a: int, b: int, rollback: bool = False) -> float:
    """Child process: one committed (or rolled back) change; returns when it committed."""
    from rolodex.store.database import open_database

    db = open_database(target)
    ctx = Context(API)

    @writes
    def work() -> None:
        if action == "associate":
            associations.associate(a, b, ctx)
        elif action == "update":
            records.update(a, {"job_title": f"Title {b}"})
        elif action == "delete":
            from rolodex.crm import lifecycle

            lifecycle.delete(a, ctx)
        if rollback:
            raise _RolledBack

    with contextlib.suppress(_RolledBack):
        work()
    committed = time.time()
    db.close()
    return committed


def associate_all_at_once(target: str, pairs: list[tuple[int, int]], barrier, label: str) -> int:
    """Child process: wait for the others, then associate every pair (same order in all)."""
    from rolodex.store.database import open_database

    db = open_database(target)
    ctx = Context(API)
    created = 0
    barrier.wait(60)
    for a, b in pairs:
        change = associations.associate(a, b, ctx, [label])
        created += change.created
    db.close()
    return created


def _open(target: str):  # type: ignore[no-untyped-def]
    from rolodex.store.database import open_database

    return open_database(target)


def outcome(exc: BaseException | None) -> str:
    """How one attempt ended, as a word a test can count."""
    from rolodex.crm.errors import InvalidValue, LimitExceeded

    if exc is None:
        return "ok"
    if isinstance(exc, LimitExceeded):
        return "limit"
    if isinstance(exc, InvalidValue) and "already exists" in str(exc):
        return "exists"
    return f"{type(exc).__name__}: {exc}"


def link_under_a_limit(target: str, path: str, company: int, n: int, barrier) -> str:  # type: ignore[no-untyped-def]
    """Child process: wait for the others, then link a new contact to ``company`` through
    one of the product's writers (``path``); returns how it ended (see ``outcome``)."""
    import io as text_io

    db = _open(target)
    ctx = Context(API)
    values = {"first_name": f"New{n}", "email": f"new{n}@example.org"}
    barrier.wait(60)
    error: BaseException | None = None
    try:
        if path == "associate new":  # the app's "Associate new → Create"
            associations.create_and_associate(company, "contact", values, ctx)
        elif path == "associate":  # `rolodex associate`
            contact = records.create("contact", values)
            associations.associate(contact.id, company, ctx)
        elif path == "associate existing":  # the app's "Associate existing"
            contact = records.create("contact", values)
            associations.associate_many(company, [contact.id], ctx)
        elif path == "import":  # one file, a contact and its company on one row
            from rolodex.io.importer import run_import

            csv_path = f"{target}.{n}.csv" if "://" not in target else f"/tmp/race-{n}.csv"
            with open(csv_path, "w", encoding="utf-8") as handle:
                handle.write("First Name,Email,Company Domain Name\n")
                handle.write(f"New{n},new{n}@example.org,limited.example\n")
            summary = run_import([csv_path])
            if summary.rejected:
                reason = summary.first_rejection or ""
                error = LimitReport(reason) if "limit" in reason.lower() else RuntimeError(reason)
            del text_io
        else:
            raise AssertionError(path)
    except Exception as exc:  # reported to the parent, which counts the outcomes
        error = exc
    finally:
        db.close()
    if isinstance(error, LimitReport):
        return "limit"
    return outcome(error)


class LimitReport(Exception):
    """An import row rejected because of a limit (the import reports, not raises)."""


def create_label_at_once(target: str, word: str, barrier) -> str:  # type: ignore[no-untyped-def]
    """Child process: wait for the others, then create the label ``word``."""
    db = _open(target)
    barrier.wait(60)
    error: BaseException | None = None
    try:
        labels.create("contact", "company", word)
    except Exception as exc:  # counted by the parent
        error = exc
    finally:
        db.close()
    return outcome(error)
