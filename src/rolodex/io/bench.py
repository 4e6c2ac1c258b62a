"""Import benchmark: ``python -m rolodex.io.bench --rows N [--shape NAME]...``.

For each import shape of design section 5 it writes a contacts file of N rows (and the
companies it names), imports it through the real importer, and beside it loads the same
rows with a hand-written raw ``sqlite3`` ``executemany`` baseline that writes exactly
the rows the import writes (records, the ids other systems gave them, associations with
their primary flags and labels, history, the import's log of created records), into a
database with the same schema, indexes and triggers, in the same run; the two databases
are compared table by table. Then it reverts the import and times that too.

Shapes (each contact row links to one company; companies are one per ten contacts):

- ``ids``: Record ID, names, email, ``Associated Company IDs``;
- ``primary``: the same with ``Associated Company IDs (Primary)``;
- ``labels``: ``Associated Company IDs`` and ``Associated Company Labels`` (``ID: Employee``);
- ``names``: the company named in ``Associated Company``;
- ``multi``: the company's columns beside the contact's (``Company name``, ``Company
  Domain Name``): the first row of a company creates it, the others find it by domain;
- ``same-object``: ``Associated contact [email]``: each contact names the one before it;
- ``rolodex``: Rolodex's own export of another database (``Rolodex REF``, ``Associated
  Company REFs (Primary)``), into a fresh one.

Prints rows/s for both (each the best of ``--repeat`` alternating runs), the share of
the baseline, how much resident memory grew, and the revert's time beside the import's.
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rolodex.store.database import CACHE_KIB

COMPANY_EVERY = 10  # one company per ten contacts
COMPANY_ID = 900_000_000  # Record IDs of the companies
LABEL = "Employee"
SOURCE_DB = "0123456789abcdef0123456789abcdef"  # the "other" database of the rolodex shape
TABLES = ("record", "source_key", "association", "association_label", "history", "imported_record")


@dataclass(frozen=True)
class Shape:
    name: str
    header: list[str]
    row: Callable[[int, int], list[str]]  # (contact number, companies) -> cells
    companies_first: bool = True  # a companies file is imported before the contacts
    by: str = "id"  # how a row names its company: id | name | domain | ref
    primary: bool = False  # an explicit primary column
    labelled: bool = False
    previous: bool = False  # also links to the contact of the row before
    contact_ids: bool = True  # the contacts have a Record ID (a source_key row each)
    ref: bool = False  # Rolodex export of another database


def _company(i: int, companies: int) -> int:
    return i % companies


def _person(i: int) -> list[str]:
    return [f"First{i}", f"Last{i}", f"p{i}@mail{i % 997}.example.org"]


SHAPES: dict[str, Shape] = {
    shape.name: shape
    for shape in (
        Shape(
            "ids",
            ["Record ID", "First Name", "Last Name", "Email", "Associated Company IDs"],
            lambda i, n: [str(i + 1), *_person(i), str(COMPANY_ID + _company(i, n))],
        ),
        Shape(
            "primary",
            [
                "Record ID",
                "First Name",
                "Last Name",
                "Email",
                "Associated Company IDs (Primary)",
            ],
            lambda i, n: [str(i + 1), *_person(i), str(COMPANY_ID + _company(i, n))],
            primary=True,
        ),
        Shape(
            "labels",
            [
                "Record ID",
                "First Name",
                "Last Name",
                "Email",
                "Associated Company IDs",
                "Associated Company Labels",
            ],
            lambda i, n: [
                str(i + 1),
                *_person(i),
                str(COMPANY_ID + _company(i, n)),
                f"{COMPANY_ID + _company(i, n)}: {LABEL}",
            ],
            labelled=True,
        ),
        Shape(
            "names",
            ["Record ID", "First Name", "Last Name", "Email", "Associated Company"],
            lambda i, n: [str(i + 1), *_person(i), f"Company {_company(i, n)}"],
            by="name",
        ),
        Shape(
            "multi",
            ["First Name", "Last Name", "Email", "Company name", "Company Domain Name"],
            lambda i, n: [
                *_person(i),
                f"Company {_company(i, n)}",
                f"company{_company(i, n)}.example.com",
            ],
            companies_first=False,
            by="domain",
            contact_ids=False,
        ),
        Shape(
            "same-object",
            [
                "Record ID",
                "First Name",
                "Last Name",
                "Email",
                "Associated Company IDs",
                "Associated contact [email]",
            ],
            lambda i, n: [
                str(i + 1),
                *_person(i),
                str(COMPANY_ID + _company(i, n)),
                _person(i - 1)[2] if i else "",
            ],
            previous=True,
        ),
        Shape(
            "rolodex",
            [
                "Rolodex REF",
                "Rolodex database",
                "First Name",
                "Last Name",
                "Email",
                "Associated Company REFs",
                "Associated Company REFs (Primary)",
            ],
            lambda i, n: [
                f"contact:{n + 1 + i}",
                SOURCE_DB,
                *_person(i),
                f"company:{1 + _company(i, n)}",
                f"company:{1 + _company(i, n)}",
            ],
            by="ref",
            primary=True,
            contact_ids=False,
            ref=True,
        ),
    )
}


def _rss_mb() -> float:
    """Current resident memory in MB (Linux), else the peak."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def write_files(folder: Path, shape: Shape, rows: int) -> tuple[Path, Path]:
    companies = folder / f"companies-{shape.name}.csv"
    contacts = folder / f"contacts-{shape.name}.csv"
    n_companies = max(1, rows // COMPANY_EVERY)
    with open(companies, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if shape.ref:
            writer.writerow(
                ["Rolodex REF", "Rolodex database", "Company name", "Company Domain Name"]
            )
            for i in range(n_companies):
                writer.writerow(
                    [f"company:{1 + i}", SOURCE_DB, f"Company {i}", f"company{i}.example.com"]
                )
        else:
            writer.writerow(["Record ID", "Company name", "Company Domain Name"])
            for i in range(n_companies):
                writer.writerow([COMPANY_ID + i, f"Company {i}", f"company{i}.example.com"])
    with open(contacts, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(shape.header)
        for i in range(rows):
            writer.writerow(shape.row(i, n_companies))
    return companies, contacts


def _prepare(db_path: Path, shape: Shape) -> None:
    """The database both sides start from: migrated; the label of the labels shape."""
    from rolodex.crm import labels, objects
    from rolodex.store.database import open_database

    objects.invalidate()
    labels.invalidate()
    db = open_database(str(db_path))
    if shape.labelled:
        labels.create("contact", "company", LABEL)
    db.close()
    objects.invalidate()
    labels.invalidate()


def run_importer(
    db_path: Path, shape: Shape, companies: Path, contacts: Path, rows: int
) -> tuple[float, float, float, dict[str, int], float]:
    """(rows/s, MB the memory grew, seconds the revert took, rows per table after the
    import, seconds the import took)."""
    from rolodex.crm import labels, objects
    from rolodex.io.importer import run_import
    from rolodex.io.revert import revert_import
    from rolodex.store.database import open_database

    _prepare(db_path, shape)
    db = open_database(str(db_path))
    if shape.companies_first:
        run_import([str(companies)])
    start_rss = _rss_mb()
    peak = [start_rss]

    def progress(n: int) -> None:
        if n % 5000 == 0:
            peak[0] = max(peak[0], _rss_mb())
            print(f"\r  {shape.name}: {n}/{rows} rows", end="", file=sys.stderr, flush=True)

    started = time.perf_counter()
    summary = run_import([str(contacts)], progress=progress)
    elapsed = time.perf_counter() - started
    print(file=sys.stderr)
    links = rows * (2 if shape.previous else 1) - (1 if shape.previous else 0)
    if summary.rejected or summary.associations_created != links:
        raise SystemExit(f"benchmark import of {shape.name} went wrong: {summary.as_dict()}")
    db.close()
    counts = _counts(db_path)
    db = open_database(str(db_path))
    started = time.perf_counter()
    revert_import(summary.import_id)
    reverted = time.perf_counter() - started
    db.close()
    objects.invalidate()
    labels.invalidate()
    return rows / elapsed, peak[0] - start_rss, reverted, counts, elapsed


def _counts(db_path: Path) -> dict[str, int]:
    conn = sqlite3.connect(str(db_path))
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


class _Baseline:
    """Raw sqlite3: what the import writes, computed in Python, written with executemany."""

    def __init__(self, db_path: Path, shape: Shape, rows: int) -> None:
        from rolodex.crm import objects
        from rolodex.store.database import open_database

        _prepare(db_path, shape)
        objects.invalidate()
        db = open_database(str(db_path))
        self.contact_type = objects.by_key("contact").id
        self.company_type = objects.by_key("company").id
        db.close()
        objects.invalidate()
        self.shape = shape
        self.rows = rows
        self.conn = sqlite3.connect(str(db_path), isolation_level=None)
        for pragma in (
            "journal_mode=wal",
            "synchronous=normal",
            "foreign_keys=1",
            f"cache_size=-{CACHE_KIB}",
            "temp_store=memory",
        ):
            self.conn.execute(f"PRAGMA {pragma}")
        self.now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(" ")
        self.system = "rolodex:" + SOURCE_DB if shape.ref else ""
        self.label_id = None
        if shape.labelled:
            self.label_id = self.conn.execute(
                "SELECT id FROM label WHERE name = ?", (LABEL,)
            ).fetchone()[0]
        self.companies: dict[str, int] = {}  # the company key a row uses -> record id

    def load_companies(self, n_companies: int) -> None:
        """The companies file, imported before the timing (as the importer's run does)."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO record (object_type_id, name, name_key, domain, properties, version,"
            " created_at, updated_at) VALUES (?,?,?,?,?,1,?,?)",
            [
                (
                    self.company_type,
                    f"Company {i}",
                    f"company {i}",
                    f"company{i}.example.com",
                    json.dumps({"name": f"Company {i}", "domain": f"company{i}.example.com"}),
                    self.now,
                    self.now,
                )
                for i in range(n_companies)
            ],
        )
        first = conn.execute(
            "SELECT MIN(id) FROM record WHERE object_type_id = ?", (self.company_type,)
        ).fetchone()[0]
        keys = [
            (
                first + i,
                self.company_type,
                self.system,
                str((1 + i) if self.shape.ref else COMPANY_ID + i),
            )
            for i in range(n_companies)
        ]
        conn.executemany(
            "INSERT INTO source_key (record_id, object_type_id, system, key) VALUES (?,?,?,?)",
            keys,
        )
        conn.executemany(
            "INSERT INTO imported_record (import_id, record_id, action) VALUES (?,?,?)",
            [("bench-companies", first + i, "created") for i in range(n_companies)],
        )
        conn.execute("COMMIT")
        for i in range(n_companies):
            if self.shape.by == "name":
                self.companies[f"Company {i}"] = first + i
            elif self.shape.by == "ref":
                self.companies[f"company:{1 + i}"] = first + i
            else:
                self.companies[str(COMPANY_ID + i)] = first + i

    def run(self, contacts: Path) -> float:
        conn = self.conn
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        next_id = conn.execute("SELECT COALESCE(MAX(id), 0) FROM record").fetchone()[0] + 1
        batch: list[list[str]] = []
        emails: dict[str, int] = {}
        self.next_id = next_id
        with open(contacts, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            columns = {h: i for i, h in enumerate(next(reader))}
            for row in reader:
                batch.append(row)
                if len(batch) >= 2000:
                    self._flush(batch, columns, emails)
                    batch = []
        if batch:
            self._flush(batch, columns, emails)
        conn.execute("COMMIT")
        return self.rows / (time.perf_counter() - started)

    def _flush(
        self, batch: list[list[str]], columns: dict[str, int], emails: dict[str, int]
    ) -> None:
        shape, now, conn = self.shape, self.now, self.conn
        records: list[tuple] = []
        keys: list[tuple] = []
        log: list[tuple] = []
        assoc: list[tuple] = []
        labels: list[tuple] = []
        hist: list[tuple] = []
        first_name, last_name, email = columns["First Name"], columns["Last Name"], columns["Email"]
        for row in batch:
            if shape.by == "domain":
                domain = row[columns["Company Domain Name"]]
                company = self.companies.get(domain)
                if company is None:
                    company = self.companies[domain] = self.next_id
                    self.next_id += 1
                    name = row[columns["Company name"]]
                    records.append(
                        (
                            company,
                            self.company_type,
                            name,
                            name.casefold(),
                            None,
                            domain,
                            json.dumps({"name": name, "domain": domain}),
                            now,
                            now,
                        )
                    )
                    log.append(("bench", company, "created"))
            elif shape.by == "name":
                company = self.companies[row[columns["Associated Company"]]]
            elif shape.by == "ref":
                company = self.companies[row[columns["Associated Company REFs"]]]
            else:
                key = (
                    "Associated Company IDs (Primary)"
                    if shape.primary
                    else "Associated Company IDs"
                )
                company = self.companies[row[columns[key]]]
            rid = self.next_id
            self.next_id += 1
            fn, ln, mail = row[first_name], row[last_name], row[email]
            name = f"{fn} {ln}"
            records.append(
                (
                    rid,
                    self.contact_type,
                    name,
                    name.casefold(),
                    mail,
                    None,
                    json.dumps(
                        {"first_name": fn, "last_name": ln, "email": mail}, ensure_ascii=False
                    ),
                    now,
                    now,
                )
            )
            emails[mail] = rid
            log.append(("bench", rid, "created"))
            if shape.contact_ids:
                keys.append((rid, self.contact_type, "", row[columns["Record ID"]], "bench"))
            if shape.ref:
                ref_id = row[columns["Rolodex REF"]].split(":")[1]
                keys.append((rid, self.contact_type, self.system, ref_id, "bench"))
            links = [(rid, self.contact_type, company, self.company_type, True)]
            if shape.previous and row[columns["Associated contact [email]"]]:
                other = emails[row[columns["Associated contact [email]"]]]
                links.append((rid, self.contact_type, other, self.contact_type, False))
            for x, x_type, y, y_type, primary in links:
                a, b = (x, y) if x < y else (y, x)
                a_type, b_type = (x_type, y_type) if x < y else (y_type, x_type)
                apb = primary and a == x
                bpa = primary and b == x
                assoc.append((a, b, a_type, b_type, apb, bpa, now))
                words = "[]"
                if shape.labelled and y_type == self.company_type:
                    forward = a == x  # the contact is the label's from record
                    labels.append((a, b, self.label_id, forward))
                    words = json.dumps([[self.label_id, forward]])
                hist.append(
                    (
                        now,
                        a,
                        b,
                        a_type,
                        b_type,
                        "created",
                        words,
                        apb,
                        bpa,
                        "Import",
                        "bench",
                        "bench",
                    )
                )
        conn.executemany(
            "INSERT INTO record (id, object_type_id, name, name_key, email, domain, properties,"
            " version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,1,?,?)",
            records,
        )
        conn.executemany(
            "INSERT INTO source_key (record_id, object_type_id, system, key, import_id)"
            " VALUES (?,?,?,?,?)",
            keys,
        )
        conn.executemany(
            "INSERT INTO imported_record (import_id, record_id, action) VALUES (?,?,?)", log
        )
        conn.executemany(
            "INSERT INTO association (a_id, b_id, a_type_id, b_type_id, a_primary_b,"
            " b_primary_a, created_at) VALUES (?,?,?,?,?,?,?)",
            assoc,
        )
        if labels:
            conn.executemany(
                "INSERT INTO association_label (association_id, label_id, forward)"
                " SELECT id, ?, ? FROM association WHERE a_id = ? AND b_id = ?",
                [(lid, fwd, a, b) for a, b, lid, fwd in labels],
            )
        conn.executemany(
            "INSERT INTO history (at, a_id, b_id, a_type_id, b_type_id, action, labels,"
            " a_primary_b, b_primary_a, source, actor, batch) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            hist,
        )

    def close(self) -> None:
        self.conn.close()


def run_baseline(db_path: Path, shape: Shape, contacts: Path, rows: int) -> tuple[float, dict]:
    baseline = _Baseline(db_path, shape, rows)
    if shape.companies_first:
        baseline.load_companies(max(1, rows // COMPANY_EVERY))
    rate = baseline.run(contacts)
    baseline.close()
    return rate, _counts(db_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rolodex.io.bench")
    parser.add_argument("--rows", type=int, default=100_000, help="contact rows per shape")
    parser.add_argument(
        "--shape",
        action="append",
        choices=sorted(SHAPES),
        help="the shapes to measure (repeatable; all by default)",
    )
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best counts")
    args = parser.parse_args(argv)
    folder = Path(args.keep or tempfile.mkdtemp(prefix="rolodex-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    names = args.shape or list(SHAPES)
    print(
        f"{args.rows} contact rows per shape, {max(1, args.rows // COMPANY_EVERY)} companies; "
        "rows/s, best of each side's runs"
    )
    results = []
    for name in names:
        shape = SHAPES[name]
        companies, contacts = write_files(folder, shape, args.rows)
        base_rate, rate, memory, revert, took = 0.0, 0.0, 0.0, 0.0, 0.0
        # Alternate the two and keep each one's best run: the machine may be shared.
        for attempt in range(args.repeat):
            for db_name in ("baseline.db", "import.db"):
                for suffix in ("", "-wal", "-shm"):
                    (folder / (db_name + suffix)).unlink(missing_ok=True)
            base, base_counts = run_baseline(folder / "baseline.db", shape, contacts, args.rows)
            base_rate = max(base_rate, base)
            got, grew, reverted, counts, elapsed = run_importer(
                folder / "import.db", shape, companies, contacts, args.rows
            )
            if counts != base_counts:
                raise SystemExit(
                    f"{name}: the baseline wrote other rows than the import: "
                    f"{base_counts} != {counts}"
                )
            if got > rate:
                rate, memory, revert, took = got, grew, reverted, elapsed
            print(
                f"  {name} run {attempt + 1}: baseline {base:,.0f} rows/s, import {got:,.0f}"
                f" rows/s ({got / base:.1%}), revert {reverted:.1f} s for an import of"
                f" {elapsed:.1f} s, memory grew {grew:.1f} MB",
                file=sys.stderr,
            )
        results.append((name, base_rate, rate, memory, revert, took))
    print(
        f"{'shape':<12} {'raw executemany':>16} {'rolodex import':>15} {'share':>7}"
        f" {'revert s':>9} {'import s':>9} {'memory MB':>10}"
    )
    for name, base_rate, rate, memory, revert, took in results:
        print(
            f"{name:<12} {base_rate:>12,.0f} r/s {rate:>11,.0f} r/s {rate / base_rate:>6.0%}"
            f" {revert:>9.1f} {took:>9.1f} {memory:>10.1f}"
        )
    print("share: the import's rows/s as a share of the raw sqlite3 executemany baseline's")
    if not args.keep:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
