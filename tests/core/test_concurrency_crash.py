"""A writer killed with SIGKILL in the middle of an association change leaves the
database intact, ``check`` passing, and the change all there or not at all."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time
from pathlib import Path

from rolodex.crm import associations, check, labels, records
from rolodex.crm.context import api
from rolodex.store.database import is_sqlite
from rolodex.store.models import Association, History
from tests.stress import workers

COMPANIES = 120
ROUNDS = 4


def _wait_for(path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"the writer never reached {path.name}"
        time.sleep(0.002)


def _associated(contact: int) -> int:
    return (
        Association.select().where((Association.a == contact) | (Association.b == contact)).count()
    )


def test_writer_killed_mid_association_change_leaves_all_or_nothing(db, db_url, tmp_path):
    labels.create("contact", "company", "Billing contact")
    contact = records.create("contact", {"first_name": "Ana", "email": "ana@example.org"}).id
    companies = [
        records.create("company", {"name": f"Co {i}", "domain": f"co{i}.example"}).id
        for i in range(COMPANIES)
    ]
    spawn = multiprocessing.get_context("spawn")
    rng = random.Random(11)
    for round_no in range(ROUNDS):
        ready, mid = tmp_path / f"ready{round_no}", tmp_path / f"mid{round_no}"
        writer = spawn.Process(
            target=workers.associate_forever,
            args=(db_url, contact, companies, str(ready), str(mid)),
        )
        writer.start()
        try:
            if round_no == 0:
                # Certainly mid-transaction: half of the companies added, none committed.
                _wait_for(mid)
            else:
                _wait_for(ready)
                time.sleep(rng.uniform(0.2, 1.5))
        finally:
            assert writer.pid is not None
            os.kill(writer.pid, signal.SIGKILL)
            writer.join(30)
        assert writer.exitcode == -signal.SIGKILL

        if is_sqlite(db):
            raw = sqlite3.connect(db.database)
            try:
                assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            finally:
                raw.close()
        report = check.run()
        assert report.violations == []
        count = _associated(contact)
        if round_no == 0:
            assert count == 0
            assert History.select().count() == 0
        else:
            assert count in (0, COMPANIES)
        # All there means all of it: every company, with its label, one primary.
        if count == COMPANIES:
            assert len(associations.all_of(contact)) == COMPANIES
            assert associations.primary_company(contact) in companies
    # The database is still writable by a normal process afterwards.
    associations.associate(contact, companies[0], api())
    assert check.run().ok
