"""Bulk synthetic data: records, associations, labels and history rows written straight
through the driver, consistent with what the crm rules would have written.

Invariants kept by construction (``rolodex check`` proves them afterwards):
each association stored once with a < b; every association has one 'created'
history row carrying its final state (labels, primaries); a record with
companies has exactly one primary company; limits are respected; the search
index matches the record table.
"""

from __future__ import annotations

import datetime as dt
import json
import random

from peewee import OperationalError

from rolodex.crm import hierarchy, labels, lifecycle, objects
from rolodex.crm.context import (
    API,
    DOMAIN,
    IMPORT,
    JOB,
    MIGRATION,
    UNKNOWN,
    USER,
    Context,
)
from rolodex.store.database import is_postgres, is_sqlite
from rolodex.store.models import database
from rolodex.store.transactions import run_write
from rolodex.synth import names, people
from rolodex.synth.people import Namer
from rolodex.synth.schema import PROJECT

CHUNK = 50_000
BULK_TABLES = ("record", "association", "association_label", "history")
# Share of the records per object.
SHARES = {
    "company": 0.08,
    "contact": 0.50,
    "deal": 0.10,
    "ticket": 0.06,
    PROJECT: 0.02,
    "activity": 0.24,
}
ACTIVITY_KINDS = ("note", "email", "call", "meeting", "task")
USERS = ("maria", "johan", "priya", "ahmed", "lena")
# (source, actor, batch) of bulk history rows
SRC_MIGRATION = (MIGRATION, "migration", "migration-legacy-crm")
SRC_IMPORT = (IMPORT, "maria", "import-synthetic-1")
SRC_API = (API, "integration", None)
SRC_UNKNOWN = (UNKNOWN, "", None)
SRC_DOMAIN = (DOMAIN, "rolodex", None)
SRC_JOB = (JOB, "rolodex", None)
SRC_USERS = [(USER, name, None) for name in USERS]

RECORD_SQL = (
    "INSERT INTO record (id, object_type_id, name, name_key, email, domain, properties, "
    "version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)"
)
ASSOC_SQL = (
    "INSERT INTO association (id, a_id, b_id, a_type_id, b_type_id, a_primary_b, b_primary_a, "
    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
LABEL_SQL = "INSERT INTO association_label (association_id, label_id, forward) VALUES (?, ?, ?)"
HISTORY_SQL = (
    "INSERT INTO history (at, a_id, b_id, a_type_id, b_type_id, action, labels, a_primary_b, "
    "b_primary_a, source, actor, batch) VALUES (?, ?, ?, ?, ?, 'created', ?, ?, ?, ?, ?, ?)"
)


class Writer:
    """Writes rows in chunks through the DB-API cursor (execute_values on PostgreSQL)."""

    def __init__(self) -> None:
        self.db = database.obj
        self.sqlite = is_sqlite(self.db)
        self.cursor = self.db.cursor()
        self.records: list[tuple] = []

    def write(self, sql: str, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.sqlite:
            self.cursor.executemany(sql, rows)
        else:
            from psycopg2.extras import execute_values

            head, _values, tail = sql.partition(" VALUES (")
            template = "(" + tail.replace("?", "%s")
            execute_values(
                self.cursor, head + " VALUES %s", rows, template=template, page_size=5000
            )

    def add_record(self, row: tuple) -> None:
        self.records.append(row)
        if len(self.records) >= CHUNK:
            self.flush_records()

    def flush_records(self) -> None:
        self.write(RECORD_SQL, self.records)
        self.records = []


class Builder:
    def __init__(
        self, n: int, seed: int, label_ids: dict[tuple[str, str, str], int], now: dt.datetime
    ) -> None:
        self.n = n
        self.rng = random.Random(seed)
        self.namer = Namer(self.rng)
        self.labels = label_ids
        self.writer = Writer()
        self.type_id = {info.key: info.id for info in objects.all_types()}
        self.now = now
        self.t0 = now - dt.timedelta(days=730)
        self.next_record = 1 + (
            database.obj.execute_sql("SELECT MAX(id) FROM record").fetchone()[0] or 0
        )
        self.next_assoc = 1 + (
            database.obj.execute_sql("SELECT MAX(id) FROM association").fetchone()[0] or 0
        )
        self.assoc_count = 0
        self.assoc_rows: list[tuple] = []
        self.label_rows: list[tuple] = []
        self.history_rows: list[tuple] = []
        self.label_json = {
            (lid, forward): json.dumps([[lid, forward]])
            for lid in label_ids.values()
            for forward in (True, False)
        }
        self.stamp_bucket = -1
        self.stamp: object = None
        self.history_span = 1.0  # set once the expected association count is known
        self.expected_assocs = max(1, int(n * 3.2))
        # plan
        counts = {key: int(n * share) for key, share in SHARES.items()}
        counts["contact"] += n - sum(counts.values())
        self.counts = counts
        self.companies: list[int] = []
        self.others: list[int] = []  # every company but the giant one
        self.company_domain: dict[int, str] = {}
        self.company_country: dict[int, str] = {}
        self.company_name: dict[int, str] = {}
        self.staff: dict[int, list[int]] = {}
        self.contacts: list[int] = []
        self.primary_of: dict[int, int] = {}  # contact -> primary company
        self.deals_of: dict[int, list[int]] = {}
        self.contact_pairs: set[tuple[int, int]] = set()
        self.work_email: set[int] = set()  # contacts whose email is at their company's domain

    # ------------------------------------------------------------ rows

    def record(
        self,
        type_key: str,
        name: str,
        props: dict[str, str],
        email: str | None = None,
        domain: str | None = None,
    ) -> int:
        rid = self.next_record
        self.next_record += 1
        created = self.t0 + dt.timedelta(seconds=rid * 86400 // max(self.n, 1))
        stamp = created if not self.writer.sqlite else str(created)
        self.writer.add_record(
            (
                rid,
                self.type_id[type_key],
                name,
                name.casefold(),
                email,
                domain,
                json.dumps(props, ensure_ascii=False),
                stamp,
                stamp,
            ),
        )
        return rid

    def associate(
        self,
        x: int,
        y: int,
        x_type: str,
        y_type: str,
        source: tuple[str, str, str | None],
        *,
        x_primary_y: bool = False,
        label: str | None = None,
        label_from_x: bool = True,
    ) -> None:
        """One association, its labels and its 'created' history row.

        ``label`` is the label's name for the pair (x_type, y_type) when x is its
        from record (``label_from_x``), else for (y_type, x_type).
        """
        assoc_id = self.next_assoc
        self.next_assoc = count = assoc_id + 1
        self.assoc_count += 1
        type_id = self.type_id
        if x < y:
            a, b, at, bt, apb, bpa = x, y, type_id[x_type], type_id[y_type], x_primary_y, False
        else:
            a, b, at, bt, apb, bpa = y, x, type_id[y_type], type_id[x_type], False, x_primary_y
        if count >> 6 != self.stamp_bucket:  # rows written together share a timestamp
            self.stamp_bucket = count >> 6
            seconds = min(86400 + int(self.assoc_count * self.history_span), self.last_second)
            moment = self.t0 + dt.timedelta(seconds=seconds)
            self.stamp = moment if not self.writer.sqlite else str(moment)
        stamp = self.stamp
        labels_json = "[]"
        if label is not None:
            key = (x_type, y_type, label) if label_from_x else (y_type, x_type, label)
            lid = self.labels[key]
            forward = a == (x if label_from_x else y)
            self.label_rows.append((assoc_id, lid, forward))
            labels_json = self.label_json[(lid, forward)]
        self.assoc_rows.append((assoc_id, a, b, at, bt, apb, bpa, stamp))
        self.history_rows.append((stamp, a, b, at, bt, labels_json, apb, bpa, *source))
        if len(self.assoc_rows) >= CHUNK:
            self.flush_links()

    def flush_links(self) -> None:
        """Write the buffered associations, then their labels and history rows."""
        write = self.writer.write
        write(ASSOC_SQL, self.assoc_rows)
        write(LABEL_SQL, self.label_rows)
        write(HISTORY_SQL, self.history_rows)
        self.assoc_rows, self.label_rows, self.history_rows = [], [], []

    def pick_source(
        self, weights: tuple[int, ...] = (35, 30, 10, 15, 5)
    ) -> tuple[str, str, str | None]:
        roll = self.rng.random() * sum(weights)
        for source, weight in zip(
            (SRC_MIGRATION, SRC_IMPORT, SRC_API, None, SRC_UNKNOWN), weights, strict=True
        ):
            if roll < weight:
                return source if source is not None else self.rng.choice(SRC_USERS)
            roll -= weight
        return SRC_MIGRATION

    def skewed(self, items: list[int]) -> int:
        """Bigger companies get more of everything: earlier items are picked more often."""
        return items[int(len(items) * self.rng.random() ** 2)]

    # ------------------------------------------------------------ objects

    def build_companies(self) -> None:
        rng = self.rng
        for _ in range(self.counts["company"]):
            values = people.company(rng, self.namer)
            rid = self.record("company", values["name"], values, domain=values["domain"])
            self.companies.append(rid)
            self.company_domain[rid] = values["domain"]
            self.company_country[rid] = values["country"]
            self.company_name[rid] = values["name"]
            self.staff[rid] = []
            self.deals_of[rid] = []

    def build_contacts(self) -> None:
        rng = self.rng
        big = self.companies[0]
        big_count = self.n // 20  # exactly 50,000 contacts at 1m: no one else joins it
        self.others = self.companies[1:]
        for i in range(self.counts["contact"]):
            if i < big_count:
                company: int | None = big
            elif rng.random() < 0.05:
                company = None  # a private person, no company
            else:
                company = self.skewed(self.others)
            free_mail = company is None or rng.random() < 0.12
            domain = None if free_mail or company is None else self.company_domain[company]
            country = self.company_country.get(company or 0, "Sweden")
            values = people.person(rng, self.namer, domain, country)
            name = f"{values['first_name']} {values['last_name']}"
            rid = self.record("contact", name, values, email=values["email"])
            self.contacts.append(rid)
            if domain is not None:
                self.work_email.add(rid)
            if company is not None:
                self.staff[company].append(rid)
                self.primary_of[rid] = company

    def build_deals(self) -> None:
        rng = self.rng
        for _ in range(self.counts["deal"]):
            company = self.skewed(self.companies)
            product = rng.choice(names.DEAL_PRODUCTS)
            stage = people.deal_stage(rng)
            close = (self.now + dt.timedelta(days=rng.randint(-400, 200))).date().isoformat()
            name = f"{people.short_company(self.company_name[company])} – {product}"
            props = {
                "name": name,
                "amount": people.amount(rng),
                "stage": stage,
                "close_date": close,
            }
            rid = self.record("deal", name, props)
            self.deals_of[company].append(rid)

    def build_tickets(self) -> list[int]:
        rng = self.rng
        ids = []
        for _ in range(self.counts["ticket"]):
            subject = rng.choice(names.TICKET_SUBJECTS)
            props = {
                "subject": subject,
                "status": rng.choice(names.TICKET_STATUSES),
                "priority": rng.choice(names.TICKET_PRIORITIES),
            }
            ids.append(self.record("ticket", subject, props))
        return ids

    def build_projects(self) -> list[int]:
        rng = self.rng
        ids = []
        for i in range(self.counts[PROJECT]):
            name = f"{rng.choice(names.PROJECT_NAMES)} {2024 + i % 3}"
            due = (self.now + dt.timedelta(days=rng.randint(-100, 300))).date().isoformat()
            props = {
                "name": name,
                "status": rng.choice(names.PROJECT_STATUSES),
                "budget": str(rng.randint(2, 40) * 5000),
                "due_date": due,
            }
            ids.append(self.record(PROJECT, name, props))
        return ids

    def build_activities(self) -> list[tuple[int, str]]:
        rng = self.rng
        out = []
        for _ in range(self.counts["activity"]):
            kind = rng.choice(ACTIVITY_KINDS)
            subject = rng.choice(names.ACTIVITY_SUBJECTS[kind])
            when = self.t0 + dt.timedelta(minutes=rng.randint(0, 730 * 24 * 60))
            props = {"subject": subject, "timestamp": when.replace(second=0).isoformat()}
            body = rng.choice(names.ACTIVITY_BODIES)
            if body:
                props["body"] = body
            out.append((self.record(kind, subject, props), kind))
        return out

    # ------------------------------------------------------------ associations

    def team(self, company: int, k: int) -> list[int]:
        staff = self.staff.get(company) or []
        if not staff:
            return self.rng.sample(self.contacts, min(k, len(self.contacts)))
        if len(staff) <= k:
            return list(staff)
        return self.rng.sample(staff, k)

    def contact_company(self) -> None:
        rng = self.rng
        for contact in self.contacts:
            company = self.primary_of.get(contact)
            if company is None:
                continue
            source: tuple[str, str, str | None]
            if contact in self.work_email and rng.random() < 0.15:
                source, label = SRC_DOMAIN, None  # the domain rule adds no label
            else:
                source = self.pick_source()
                label = "Employee" if rng.random() < 0.75 else None
            self.associate(
                contact, company, "contact", "company", source, x_primary_y=True, label=label
            )
            if rng.random() < 0.2:
                other = self.skewed(self.others)
                if other != company:
                    word = rng.choice(("Advisor", "Former employee", "Employee"))
                    self.associate(
                        contact, other, "contact", "company", self.pick_source(), label=word
                    )

    def contact_contact(self) -> None:
        rng = self.rng
        pairs = self.contact_pairs
        for company in self.companies:
            staff = self.staff[company]
            if len(staff) < 2:
                continue
            managers = staff[: max(1, len(staff) // 8)]
            for report in staff[len(managers) :]:
                if rng.random() < 0.85:
                    boss = managers[rng.randrange(len(managers))]
                    key = (min(boss, report), max(boss, report))
                    if key not in pairs:
                        pairs.add(key)
                        self.associate(
                            boss, report, "contact", "contact", self.pick_source(), label="Manager"
                        )
                if rng.random() < 0.35:
                    mate = staff[rng.randrange(len(staff))]
                    key = (min(mate, report), max(mate, report))
                    if mate != report and key not in pairs:
                        pairs.add(key)
                        self.associate(
                            mate,
                            report,
                            "contact",
                            "contact",
                            self.pick_source(),
                            label="Colleague",
                        )

    def company_company(self) -> None:
        rng = self.rng
        for i, company in enumerate(self.companies[1:], start=1):
            if rng.random() < 0.05:
                parent = self.companies[rng.randrange(i)]
                self.associate(
                    parent,
                    company,
                    "company",
                    "company",
                    self.pick_source(),
                    label="Parent company",
                )

    def deal_links(self) -> None:
        rng = self.rng
        for company in self.companies:
            for deal in self.deals_of[company]:
                source = self.pick_source((20, 20, 20, 40, 0))
                self.associate(deal, company, "deal", "company", source, x_primary_y=True)
                roll = rng.random()
                k = (
                    rng.randint(8, 10) if roll < 0.03 else rng.randint(1, 7)
                )  # some near the limit of 10
                for j, contact in enumerate(self.team(company, k)):
                    word = (
                        "Decision maker"
                        if j == 0 and rng.random() < 0.6
                        else ("Champion" if j == 1 and rng.random() < 0.4 else None)
                    )
                    self.associate(contact, deal, "contact", "deal", source, label=word)

    def ticket_links(self, tickets: list[int]) -> None:
        rng = self.rng
        for ticket in tickets:
            company = self.skewed(self.companies)
            source = self.pick_source((10, 20, 50, 20, 0))
            self.associate(ticket, company, "ticket", "company", source, x_primary_y=True)
            k = (
                rng.randint(4, 5) if rng.random() < 0.03 else rng.randint(1, 3)
            )  # some near the limit of 5
            for j, contact in enumerate(self.team(company, k)):
                self.associate(
                    contact,
                    ticket,
                    "contact",
                    "ticket",
                    source,
                    label="Reporter" if j == 0 else None,
                )
            deals = self.deals_of[company]
            if deals and rng.random() < 0.3:
                self.associate(ticket, deals[rng.randrange(len(deals))], "ticket", "deal", source)

    def project_links(self, projects: list[int]) -> None:
        rng = self.rng
        for project in projects:
            company = self.skewed(self.companies)
            source = rng.choice(SRC_USERS)
            self.associate(project, company, PROJECT, "company", source, x_primary_y=True)
            for j, contact in enumerate(self.team(company, rng.randint(2, 6))):
                self.associate(
                    contact,
                    project,
                    "contact",
                    PROJECT,
                    source,
                    label="Project lead" if j == 0 else None,
                )
            deals = self.deals_of[company]
            if deals and rng.random() < 0.5:
                self.associate(project, deals[rng.randrange(len(deals))], PROJECT, "deal", source)

    def activity_links(self, acts: list[tuple[int, str]]) -> None:
        rng = self.rng
        with_staff = [c for c in self.companies if self.staff[c]]
        for activity, kind in acts:
            company = self.skewed(with_staff)
            staff = self.staff[company]
            contact = staff[rng.randrange(len(staff))]
            source = rng.choice(SRC_USERS) if rng.random() < 0.8 else SRC_API
            self.associate(activity, contact, kind, "contact", source)
            # What the activity rules add (history source Job): the primary company, an open deal.
            self.associate(activity, company, kind, "company", SRC_JOB)
            deals = self.deals_of[company]
            if deals and rng.random() < 0.8:
                self.associate(activity, deals[rng.randrange(len(deals))], kind, "deal", SRC_JOB)
            if len(staff) > 1:
                extra = (
                    rng.randint(2, 5) if kind in ("meeting", "email", "call") else rng.randint(0, 2)
                )
                for other in rng.sample(staff, min(extra + 1, len(staff))):
                    if other != contact:
                        self.associate(activity, other, kind, "contact", source)

    # ------------------------------------------------------------ run

    def run(self) -> None:
        span = (730 - 2) * 86400
        self.history_span = span / self.expected_assocs
        self.last_second = 730 * 86400 - 3600
        self.build_companies()
        self.build_contacts()
        self.build_deals()
        tickets = self.build_tickets()
        projects = self.build_projects()
        acts = self.build_activities()
        self.writer.flush_records()
        self.contact_company()
        self.company_company()
        self.contact_contact()
        self.deal_links()
        self.ticket_links(tickets)
        self.project_links(projects)
        self.activity_links(acts)
        self.flush_links()


def _schema_objects(db) -> tuple[list[str], list[tuple[str, str]]]:
    """The CREATE statements of the bulk tables' indexes and triggers (SQLite)."""
    marks = ",".join("?" * len(BULK_TABLES))
    rows = db.execute_sql(
        f"SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ({marks}) "
        "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name",
        BULK_TABLES,
    ).fetchall()
    return [sql for _t, _n, sql in rows], [(t, n) for t, n, _sql in rows]


def load(n: int, seed: int, now: dt.datetime) -> None:
    """Define the labels and objects, write about ``n`` records and 3n associations, then
    run the finishing crm operations: all in one transaction, so a failure leaves nothing."""
    from rolodex.synth import schema

    db = database.obj
    sqlite = is_sqlite(db)
    wal = False
    if sqlite:
        db.execute_sql("PRAGMA foreign_keys = OFF")
        db.execute_sql("PRAGMA cache_size = -262144")
        # A rollback journal writes the new pages once; WAL would write them twice
        # (log, then checkpoint). Only possible while no one else has the file open.
        mode = db.execute_sql("PRAGMA journal_mode").fetchone()[0]
        if mode == "wal":
            try:
                wal = db.execute_sql("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
            except OperationalError:  # another connection has it open: stay in WAL
                wal = False

    def fill() -> None:
        recreate: list[str] = []
        if sqlite:
            # Indexes and the search triggers are rebuilt once at the end: far faster
            # than maintaining them row by row.
            recreate, dropped = _schema_objects(db)
            for kind, name in dropped:
                db.execute_sql(f'DROP {kind.upper()} "{name}"')
        label_ids = schema.install()
        Builder(n, seed, label_ids, now).run()
        for sql in recreate:
            db.execute_sql(sql)
        if sqlite:
            db.execute_sql("INSERT INTO record_search(record_search) VALUES ('rebuild')")
        elif is_postgres(db):
            for table in ("record", "association"):
                db.execute_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )
        finish(seed)

    try:
        run_write(fill)
    finally:
        if sqlite:
            db.execute_sql("PRAGMA cache_size = -64000")
            db.execute_sql("PRAGMA foreign_keys = ON")
            if wal:
                db.execute_sql("PRAGMA journal_mode = WAL")
        if is_postgres(db):
            db.execute_sql("ANALYZE")
    if sqlite:
        db.execute_sql("PRAGMA analysis_limit = 1000")  # approximate statistics, quickly
        db.execute_sql("ANALYZE")


def finish(seed: int) -> None:
    """A few real crm operations on top: a merge, a delete and restore, a record in the bin.

    They write their history with the sources only the crm rules produce
    (Object merge, Object deleted, Object restore).
    """
    from rolodex.store.models import Association, AssociationLabel, Record

    rng = random.Random(seed + 1)
    contact_type = objects.by_key("contact").id
    deal_type = objects.by_key("deal").id
    company_type = objects.by_key("company").id
    maria, johan = Context(USER, actor="maria"), Context(USER, actor="johan")

    def small_record(type_id: int) -> int:
        """A live record of the type with a handful of associations (never the giant company)."""
        total = Record.select().where(Record.object_type == type_id).count()
        candidates = [
            rid
            for (rid,) in Record.select(Record.id)
            .where((Record.object_type == type_id) & Record.deleted_at.is_null())
            .order_by(Record.id)
            .offset(total // 4 + rng.randrange(max(1, total // 2)))
            .limit(50)
            .tuples()
        ]
        for rid in candidates:
            n = Association.select().where((Association.a == rid) | (Association.b == rid)).count()
            if 1 <= n <= 20:
                return rid
        return candidates[0]

    employee = labels.resolve("contact", "company", "Employee")[0].id

    def employers(rid: int) -> set[int]:
        return {
            a if b == rid else b
            for a, b in Association.select(Association.a, Association.b)
            .join(AssociationLabel)
            .where(
                ((Association.a == rid) | (Association.b == rid))
                & (AssociationLabel.label == employee)
            )
            .tuples()
        }

    # Duplicates to merge: the survivor keeps both sets of associations, so pick a pair
    # that stays within the "Employee of at most 2 companies" limit.
    # Nor would the survivor have two managers (an org chart is a tree).
    manager = hierarchy.labels_for("contact")

    def managed(rid: int) -> bool:
        return any(hierarchy.parents_of(rid, label) for label in manager)

    keep = small_record(contact_type)
    other = small_record(contact_type)
    while (
        other == keep
        or len(employers(keep) | employers(other)) > 2
        or (managed(keep) and managed(other))
    ):
        other = small_record(contact_type)
    lifecycle.merge(keep, other, maria)
    deal = small_record(deal_type)
    lifecycle.delete(deal, johan)
    lifecycle.restore(deal, johan)
    lifecycle.delete(small_record(contact_type), johan)
    lifecycle.delete(small_record(company_type), maria)
