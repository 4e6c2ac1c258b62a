"""Import benchmark: ``python -m rolodex.io.bench --rows N``.

Imports N association rows (a contacts export: Record ID, names, email and
``Associated Company IDs`` pointing at companies imported beforehand) through
the real importer, and beside it a raw ``sqlite3`` ``executemany`` baseline that
loads the same rows (records, associations with the primary flag, history) into
a database with the same schema and indexes, in the same run. Prints rows/s for
both (each the best of ``--repeat`` alternating runs) and how much the resident
memory grew during the import.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

COMPANY_EVERY = 10  # one company per ten contacts


def _rss_mb() -> float:
    """Current resident memory in MB (Linux), else the peak."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def write_files(folder: Path, rows: int) -> tuple[Path, Path]:
    companies = folder / "companies.csv"
    contacts = folder / "contacts.csv"
    n_companies = max(1, rows // COMPANY_EVERY)
    with open(companies, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Record ID", "Company name", "Company Domain Name"])
        for i in range(n_companies):
            writer.writerow([900_000_000 + i, f"Company {i}", f"company{i}.example.com"])
    with open(contacts, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Record ID", "First Name", "Last Name", "Email", "Associated Company IDs"])
        for i in range(rows):
            writer.writerow(
                [
                    i + 1,
                    f"First{i}",
                    f"Last{i}",
                    f"p{i}@mail{i % 997}.example.org",
                    900_000_000 + (i % n_companies),
                ]
            )
    return companies, contacts


def run_importer(db_path: Path, companies: Path, contacts: Path, rows: int) -> tuple[float, float]:
    from rolodex.crm import objects
    from rolodex.io.importer import run_import
    from rolodex.store.database import open_database

    objects.invalidate()
    db = open_database(str(db_path))
    run_import([str(companies)])
    start_rss = _rss_mb()
    peak = [start_rss]

    def progress(n: int) -> None:
        if n % 5000 == 0:
            peak[0] = max(peak[0], _rss_mb())
            print(f"\r  importer: {n}/{rows} rows", end="", file=sys.stderr, flush=True)

    started = time.perf_counter()
    summary = run_import([str(contacts)], progress=progress)
    elapsed = time.perf_counter() - started
    print(file=sys.stderr)
    if summary.rejected or summary.associations_created != rows:
        raise SystemExit(f"benchmark import went wrong: {summary.as_dict()}")
    db.close()
    return rows / elapsed, peak[0] - start_rss


def run_baseline(db_path: Path, contacts: Path, rows: int) -> float:
    """Raw sqlite3: the same records, associations and history rows, with executemany."""
    from rolodex.crm import objects
    from rolodex.store.database import open_database

    objects.invalidate()
    db = open_database(str(db_path))
    contact_type = objects.by_key("contact").id
    company_type = objects.by_key("company").id
    db.close()
    conn = sqlite3.connect(str(db_path), isolation_level=None)
    for pragma in (
        "journal_mode=wal",
        "synchronous=normal",
        "foreign_keys=1",
        "cache_size=-64000",
        "temp_store=memory",
    ):
        conn.execute(f"PRAGMA {pragma}")
    n_companies = max(1, rows // COMPANY_EVERY)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(" ")
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO record (object_type_id, name, name_key, domain, properties, version,"
        " created_at, updated_at, source_id) VALUES (?,?,?,?,?,1,?,?,?)",
        [
            (
                company_type,
                f"Company {i}",
                f"company {i}",
                f"company{i}.example.com",
                json.dumps({"name": f"Company {i}", "domain": f"company{i}.example.com"}),
                now,
                now,
                str(900_000_000 + i),
            )
            for i in range(n_companies)
        ],
    )
    conn.execute("COMMIT")
    company_ids = dict(
        conn.execute(
            "SELECT source_id, id FROM record WHERE object_type_id = ?", (company_type,)
        ).fetchall()
    )
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    batch: list[tuple] = []
    parsed: list[tuple[str, str, str, str, str]] = []

    def flush() -> None:
        first = conn.execute("SELECT COALESCE(MAX(id), 0) FROM record").fetchone()[0] + 1
        conn.executemany(
            "INSERT INTO record (id, object_type_id, name, name_key, email, properties, version,"
            " created_at, updated_at, source_id) VALUES (?,?,?,?,?,?,1,?,?,?)",
            [
                (
                    first + k,
                    contact_type,
                    f"{fn} {ln}",
                    f"{fn} {ln}".casefold(),
                    email,
                    json.dumps({"first_name": fn, "last_name": ln, "email": email}),
                    now,
                    now,
                    sid,
                )
                for k, (sid, fn, ln, email, _c) in enumerate(parsed)
            ],
        )
        assoc = []
        hist = []
        for k, (_sid, _fn, _ln, _email, company) in enumerate(parsed):
            rid = first + k
            cid = company_ids[company]
            a, b = sorted((rid, cid))
            a_type, b_type = (
                (contact_type, company_type) if a == rid else (company_type, contact_type)
            )
            apb, bpa = (True, False) if a == rid else (False, True)
            assoc.append((a, b, a_type, b_type, apb, bpa, now))
            hist.append(
                (now, a, b, a_type, b_type, "created", "[]", apb, bpa, "Import", "bench", "bench")
            )
        conn.executemany(
            "INSERT INTO association (a_id, b_id, a_type_id, b_type_id, a_primary_b,"
            " b_primary_a, created_at) VALUES (?,?,?,?,?,?,?)",
            assoc,
        )
        conn.executemany(
            "INSERT INTO history (at, a_id, b_id, a_type_id, b_type_id, action, labels,"
            " a_primary_b, b_primary_a, source, actor, batch) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            hist,
        )
        parsed.clear()

    with open(contacts, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for row in reader:
            parsed.append((row[0], row[1], row[2], row[3], row[4]))
            if len(parsed) >= 5000:
                flush()
    if parsed:
        flush()
    del batch
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    count = conn.execute("SELECT COUNT(*) FROM association").fetchone()[0]
    conn.close()
    if count != rows:
        raise SystemExit(f"baseline loaded {count} associations, expected {rows}")
    return rows / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rolodex.io.bench")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best counts")
    args = parser.parse_args(argv)
    folder = Path(args.keep or tempfile.mkdtemp(prefix="rolodex-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    companies, contacts = write_files(folder, args.rows)
    size_mb = contacts.stat().st_size / 1e6
    print(
        f"{args.rows} association rows ({size_mb:.1f} MB CSV), "
        f"{max(1, args.rows // COMPANY_EVERY)} companies imported first"
    )
    base_rate, rate, memory = 0.0, 0.0, 0.0
    # Alternate the two and keep each one's best run: the machine may be shared.
    for attempt in range(args.repeat):
        for name in ("baseline.db", "import.db"):
            for suffix in ("", "-wal", "-shm"):
                (folder / (name + suffix)).unlink(missing_ok=True)
        base = run_baseline(folder / "baseline.db", contacts, args.rows)
        base_rate = max(base_rate, base)
        got, grew = run_importer(folder / "import.db", companies, contacts, args.rows)
        if got > rate:
            rate, memory = got, grew
        print(
            f"  run {attempt + 1}: baseline {base:,.0f} rows/s, import {got:,.0f} rows/s"
            f" ({got / base:.1%}), memory grew {grew:.1f} MB",
            file=sys.stderr,
        )
    print(f"raw sqlite3 executemany baseline: {base_rate:,.0f} rows/s")
    print(
        f"rolodex import:                   {rate:,.0f} rows/s "
        f"({rate / base_rate:.1%} of the baseline); memory grew {memory:.1f} MB during the import"
    )
    if not args.keep:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
