"""The demo database: a few hundred records built entirely through the crm rules.

Everything goes through crm/ exactly as the TUI, the command line and import
would do it, so the demo is consistent by construction and its history has
every source. The story's named records are what the README's tour explores:

(a) the deal "Northwind Traders – Enterprise licence" with three contacts and
    their company;
(b) the ticket "Tracking map does not load" with two contacts who are also on
    the deal "Fjord Logistics – Fleet tracking pilot", and that deal;
(c) Maya Patel, Employee of Helix Therapeutics (primary) and Advisor of
    Lumen Health.
"""

from __future__ import annotations

import datetime as dt
import random

from rolodex.crm import activities, associations, domains, lifecycle, records
from rolodex.crm.context import API, IMPORT, MIGRATION, UNKNOWN, USER, Context
from rolodex.synth import names, people
from rolodex.synth.people import Namer
from rolodex.synth.schema import PROJECT

USERS = ("maria", "johan", "priya")
MIGRATION_CTX = Context(MIGRATION, actor="migration", batch="migration-legacy-crm")
IMPORT_CTX = Context(IMPORT, actor="maria", batch="import-nordic-trade-fair")
WEBFORM_CTX = Context(API, actor="webform")
PORTAL_CTX = Context(API, actor="support-portal")
UNKNOWN_CTX = Context(UNKNOWN, actor="")
DOMAIN_CTX = Context(API, actor="rolodex")  # associate_by_domain turns it into its own source

# The tour's records (names a newcomer types into the search).
DEAL_A = "Northwind Traders – Enterprise licence"
DEAL_B = "Fjord Logistics – Fleet tracking pilot"
TICKET_B = "Tracking map does not load"
CONTACT_C = ("Maya", "Patel")

STORY_COMPANIES = [
    # name, domain, industry, city, country
    ("Northwind Traders", "northwindtraders.com", "Retail", "London", "United Kingdom"),
    ("Fjord Logistics AS", "fjordlogistics.no", "Logistics", "Oslo", "Norway"),
    ("Helix Therapeutics AB", "helixtherapeutics.se", "Biotechnology", "Stockholm", "Sweden"),
    ("Lumen Health GmbH", "lumenhealth.de", "Healthcare", "Berlin", "Germany"),
    ("ACME [UK] Ltd", "acme-uk.co.uk", "Manufacturing", "Manchester", "United Kingdom"),
    ("Atlas Group", "atlasgroup.com", "Construction", "Chicago", "United States"),
]
STORY_PEOPLE = {
    "Northwind Traders": [
        ("Ana", "Lindqvist", "Head of Procurement"),
        ("Björn", "Berg", "IT Director"),
        ("Carla", "Reyes", "CFO"),
        ("Tom", "Hughes", "Office Manager"),
    ],
    "Fjord Logistics AS": [
        ("Lars", "Olsen", "Operations Manager"),
        ("Ingrid", "Dahl", "Fleet Manager"),
        ("Nils", "Hansen", "CEO"),
    ],
    "Helix Therapeutics AB": [
        ("Maya", "Patel", "Chief Scientific Officer"),
        ("Erik", "Holm", "CEO"),
    ],
    "Lumen Health GmbH": [("Lena", "Fischer", "CEO"), ("Jonas", "Weber", "Head of Product")],
    "ACME [UK] Ltd": [("Robin", "[/x]", "Buyer"), ("Priya", "Kaur", "Managing Director")],
}


class Story:
    def __init__(self, seed: int, now: dt.datetime) -> None:
        self.rng = random.Random(seed)
        self.namer = Namer(self.rng)
        self.now = now
        self.company: dict[str, int] = {}  # story company name -> id
        self.person: dict[tuple[str, str], int] = {}
        self.domain_of: dict[int, str] = {}
        self.country_of: dict[int, str] = {}
        self.staff: dict[int, list[int]] = {}  # company id -> employee contact ids
        self.companies: list[int] = []
        self.loose_contacts: list[int] = []  # contacts without a company
        self.deals: list[int] = []
        self.tickets: list[int] = []
        for _name, domain, *_rest in STORY_COMPANIES:
            self.namer.reserve_domain(domain, _name)
        for staff in STORY_PEOPLE.values():
            for first, last, _title in staff:
                self.namer.full_names.add((first, last))

    # ------------------------------------------------------------ helpers

    def user(self) -> Context:
        return Context(USER, actor=self.rng.choice(USERS))

    def when(self, days_ago: float) -> str:
        moment = self.now - dt.timedelta(days=days_ago)
        return moment.replace(microsecond=0, second=0).isoformat()

    def new_company(self, values: dict[str, str]) -> int:
        rid = records.create("company", values).id
        self.companies.append(rid)
        self.domain_of[rid] = values["domain"]
        self.country_of[rid] = values.get("country", "Sweden")
        self.staff[rid] = []
        return rid

    def new_contact(self, company_id: int | None, ctx: Context, label: str = "Employee") -> int:
        domain = self.domain_of[company_id] if company_id else None
        country = self.country_of.get(company_id or 0, "Sweden")
        values = people.person(self.rng, self.namer, domain, country)
        rid = records.create("contact", values).id
        if company_id:
            associations.associate(rid, company_id, ctx, [label] if label else [])
            self.staff[company_id].append(rid)
        else:
            self.loose_contacts.append(rid)
        return rid

    def story_contact(
        self, company_id: int, first: str, last: str, title: str, ctx: Context
    ) -> int:
        domain = self.domain_of[company_id]
        email = self.namer.email(first, last, domain)
        values = {"first_name": first, "last_name": last, "email": email, "job_title": title}
        values["phone"] = people.phone(self.rng, self.country_of[company_id])
        rid = records.create("contact", values).id
        associations.associate(rid, company_id, ctx, ["Employee"])
        self.staff[company_id].append(rid)
        self.person[(first, last)] = rid
        return rid

    def deal(
        self,
        name: str,
        company_id: int,
        contacts: list[tuple[int, list[str]]],
        ctx: Context,
        stage: str | None = None,
    ) -> int:
        stage = stage or people.deal_stage(self.rng)
        close = (self.now + dt.timedelta(days=self.rng.randint(-120, 120))).date().isoformat()
        values = {"name": name, "amount": people.amount(self.rng), "stage": stage}
        values["close_date"] = close
        rid = records.create("deal", values).id
        associations.associate(rid, company_id, ctx)
        for contact_id, words in contacts:
            associations.associate(contact_id, rid, ctx, words)
        self.deals.append(rid)
        return rid

    # ------------------------------------------------------------ chapters

    def migration(self) -> None:
        """Six months ago the team moved in from a legacy CRM."""
        rng = self.rng
        for name, domain, industry, city, country in STORY_COMPANIES:
            self.company[name] = self.new_company(
                {
                    "name": name,
                    "domain": domain,
                    "industry": industry,
                    "city": city,
                    "country": country,
                }
            )
        for _ in range(30):
            self.new_company(people.company(rng, self.namer))
        for company_name, members in STORY_PEOPLE.items():
            cid = self.company[company_name]
            for first, last, title in members:
                self.story_contact(cid, first, last, title, MIGRATION_CTX)
        for cid in self.companies:
            if cid == self.company["Atlas Group"]:
                count = 9
            elif cid in self.company.values():
                count = 1
            else:
                count = rng.randint(2, 5)
            for _ in range(count):
                self.new_contact(cid, MIGRATION_CTX, "Employee" if rng.random() < 0.8 else "")
        # Reporting lines: the first person of a company manages some of the others.
        for cid in self.companies:
            staff = self.staff[cid]
            for report in staff[1:]:
                if rng.random() < 0.5:
                    associations.associate(staff[0], report, MIGRATION_CTX, ["Manager"])
        for _ in range(14):
            self.new_contact(None, MIGRATION_CTX)
        # Group structures recorded before anyone kept track of where they came from.
        atlas = self.company["Atlas Group"]
        for sub in self.companies[6:8]:
            associations.associate(atlas, sub, UNKNOWN_CTX, ["Parent company"])
        associations.associate(
            self.company["Northwind Traders"], self.companies[8], UNKNOWN_CTX, ["Parent company"]
        )

    def trade_fair_import(self) -> None:
        """A list of leads from a trade fair, imported into existing companies."""
        rng = self.rng
        for _ in range(16):
            cid = rng.choice(self.companies[6:])
            self.new_contact(cid, IMPORT_CTX, "Employee")
        for _ in range(4):
            self.new_contact(None, IMPORT_CTX)

    def domain_matching(self) -> None:
        """Contacts added with a work email get their company by its domain."""
        rng = self.rng
        for _ in range(8):
            cid = rng.choice(self.companies[6:])
            values = people.person(rng, self.namer, self.domain_of[cid], self.country_of[cid])
            rid = records.create("contact", values).id
            if domains.associate_by_domain(rid, DOMAIN_CTX) == cid:
                self.staff[cid].append(rid)

    def the_three_examples(self) -> None:
        """The article's examples, ready to explore."""
        p, c = self.person, self.company
        maria = Context(USER, actor="maria")
        # (a) a deal with three contacts and their company
        self.deal(
            DEAL_A,
            c["Northwind Traders"],
            [
                (p[("Ana", "Lindqvist")], ["Decision maker"]),
                (p[("Björn", "Berg")], ["Champion"]),
                (p[("Carla", "Reyes")], []),
            ],
            maria,
            stage="Contract sent",
        )
        # (b) a ticket with two contacts who are also on a deal, and that deal
        lars, ingrid = p[("Lars", "Olsen")], p[("Ingrid", "Dahl")]
        deal_b = self.deal(
            DEAL_B,
            c["Fjord Logistics AS"],
            [(lars, ["Decision maker"]), (ingrid, [])],
            Context(USER, actor="johan"),
            stage="Presentation scheduled",
        )
        ticket = records.create(
            "ticket", {"subject": TICKET_B, "status": "Waiting on us", "priority": "High"}
        ).id
        associations.associate(lars, ticket, PORTAL_CTX, ["Reporter"])
        associations.associate(ingrid, ticket, PORTAL_CTX)
        associations.associate(ticket, deal_b, Context(USER, actor="johan"))
        self.tickets.append(ticket)
        # (c) Employee of one company (primary) and Advisor of another
        maya = p[CONTACT_C]
        associations.associate(
            maya, c["Lumen Health GmbH"], Context(USER, actor="priya"), ["Advisor"]
        )

    def sales(self) -> None:
        rng = self.rng
        atlas = self.company["Atlas Group"]
        # Near its limit: 8 of at most 10 contacts.
        self.deal(
            "Atlas Group – Platform upgrade",
            atlas,
            [
                (cid, ["Decision maker"] if i == 0 else [])
                for i, cid in enumerate(self.staff[atlas][:8])
            ],
            Context(USER, actor="johan"),
            stage="Decision maker bought-in",
        )
        acme = self.company["ACME [UK] Ltd"]
        self.deal("[/x]", acme, [(self.person[("Robin", "[/x]")], ["Champion"])], self.user())
        candidates = [cid for cid in self.companies[6:] if self.staff[cid]]
        for i in range(24):
            cid = candidates[(i * 7) % len(candidates)]
            company = records.get(cid)
            product = rng.choice(names.DEAL_PRODUCTS)
            staff = self.staff[cid]
            chosen = rng.sample(staff, min(len(staff), rng.randint(1, 3)))
            roles = [
                (contact, [rng.choice(["Decision maker", "Champion"])] if j == 0 else [])
                for j, contact in enumerate(chosen)
            ]
            ctx = WEBFORM_CTX if i % 5 == 0 else self.user()
            self.deal(f"{people.short_company(company.name)} – {product}", cid, roles, ctx)

    def support(self) -> None:
        rng = self.rng
        atlas = self.company["Atlas Group"]
        # Near its limit: 4 of at most 5 contacts.
        ticket = records.create(
            "ticket",
            {
                "subject": "Invoice shows the wrong VAT number",
                "status": "New",
                "priority": "Medium",
            },
        ).id
        for i, contact in enumerate(self.staff[atlas][:4]):
            associations.associate(contact, ticket, PORTAL_CTX, ["Reporter"] if i == 0 else [])
        self.tickets.append(ticket)
        hostile = records.create(
            "ticket",
            {
                "subject": "Error: [@click=app.quit]x[/] in the log",
                "status": "New",
                "priority": "Low",
            },
        ).id
        associations.associate(self.person[("Robin", "[/x]")], hostile, PORTAL_CTX, ["Reporter"])
        self.tickets.append(hostile)
        with_staff = [cid for cid in self.companies[6:] if self.staff[cid]]
        for _ in range(16):
            cid = rng.choice(with_staff)
            values = {
                "subject": rng.choice(names.TICKET_SUBJECTS),
                "status": rng.choice(names.TICKET_STATUSES),
                "priority": rng.choice(names.TICKET_PRIORITIES),
            }
            tid = records.create("ticket", values).id
            ctx = PORTAL_CTX if rng.random() < 0.6 else self.user()
            for j, contact in enumerate(rng.sample(self.staff[cid], min(2, len(self.staff[cid])))):
                associations.associate(contact, tid, ctx, ["Reporter"] if j == 0 else [])
            self.tickets.append(tid)

    def projects(self) -> None:
        rng = self.rng
        with_staff = [cid for cid in self.companies if len(self.staff[cid]) >= 2]
        for i, name in enumerate(names.PROJECT_NAMES[:8]):
            cid = with_staff[(i * 5) % len(with_staff)]
            due = (self.now + dt.timedelta(days=rng.randint(10, 200))).date().isoformat()
            values = {
                "name": name,
                "status": rng.choice(names.PROJECT_STATUSES),
                "budget": str(rng.randint(2, 40) * 5000),
                "due_date": due,
            }
            pid = records.create(PROJECT, values).id
            ctx = self.user()
            associations.associate(pid, cid, ctx)
            team = rng.sample(self.staff[cid], min(len(self.staff[cid]), rng.randint(2, 4)))
            for j, contact in enumerate(team):
                associations.associate(contact, pid, ctx, ["Project lead"] if j == 0 else [])
            if i % 3 == 0 and self.deals:
                associations.associate(pid, self.deals[i % len(self.deals)], ctx)

    def daily_work(self) -> None:
        """People log activities; the rules associate them with companies and open deals (Job)."""
        rng = self.rng
        p = self.person
        logged = [
            (p[("Ana", "Lindqvist")], "meeting", "Contract negotiation"),
            (p[("Ana", "Lindqvist")], "email", "Re: proposal and pricing"),
            (p[("Björn", "Berg")], "call", "Security questions answered"),
            (p[("Lars", "Olsen")], "call", "Escalation call"),
            (p[CONTACT_C], "meeting", "Advisory board"),
            (p[("Robin", "[/x]")], "note", "[b]bold[/b] [red]red"),
        ]
        staffed = [cid for cid in self.companies if self.staff[cid]]
        for _ in range(48):
            cid = rng.choice(staffed)
            kind = rng.choice(activities.ACTIVITY_TYPES)
            target = rng.choice(self.staff[cid]) if rng.random() < 0.8 else cid
            logged.append((target, kind, rng.choice(names.ACTIVITY_SUBJECTS[kind])))
        for day, (target, kind, subject) in enumerate(logged):
            values = {
                "subject": subject,
                "body": rng.choice(names.ACTIVITY_BODIES),
                "timestamp": self.when(90 - day),
            }
            activities.log(target, kind, values, self.user())

    def housekeeping(self) -> None:
        """Primaries changed, labels edited, associations removed, a limit reached."""
        rng = self.rng
        maria, johan = Context(USER, actor="maria"), Context(USER, actor="johan")
        # A consultant employed by two companies: at the limit of 2 "Employee" companies.
        consultant = self.staff[self.companies[10]][0]
        associations.associate(consultant, self.companies[11], maria, ["Employee"])
        associations.set_primary(consultant, self.companies[11], maria)
        # Someone moved on: still associated, now a former employee.
        mover = self.staff[self.companies[12]][-1]
        associations.set_labels(mover, self.companies[12], johan, ["Former employee"])
        # API: a web form adds contacts to companies it already knows.
        for cid in self.companies[13:17]:
            if self.loose_contacts:
                contact = self.loose_contacts.pop(0)
                associations.associate(contact, cid, WEBFORM_CTX)
                self.staff[cid].append(contact)
        # A wrong association removed by hand.
        deal = self.deals[-1]
        others = [a for a in associations.all_of(deal) if a.other_type == "contact"]
        if len(others) > 1:
            associations.dissociate(others[-1].other_id, deal, johan)
        # Colleagues across teams.
        for cid in self.companies[6:12]:
            staff = self.staff[cid]
            if len(staff) >= 3 and rng.random() < 0.9:
                associations.associate(staff[1], staff[2], maria, ["Colleague"])

    def lifecycle(self) -> None:
        """A duplicate merged, a company deleted and restored, a contact left in the recycle bin."""
        maria, priya = Context(USER, actor="maria"), Context(USER, actor="priya")
        cid = self.companies[14]
        first, last = "Jon", "Smith"
        self.namer.full_names.add((first, last))
        dup = records.create(
            "contact",
            {"first_name": first, "last_name": last, "email": self.namer.email(first, last, None)},
        ).id
        associations.associate(dup, self.tickets[-1], PORTAL_CTX, ["Reporter"])
        associations.associate(dup, cid, IMPORT_CTX)
        keep = records.create(
            "contact",
            {
                "first_name": "Jonathan",
                "last_name": last,
                "email": self.namer.email("Jonathan", last, self.domain_of[cid]),
                "job_title": "Consultant",
            },
        ).id
        associations.associate(keep, cid, maria, ["Employee"])
        lifecycle.merge(keep, dup, maria)
        # Deleted by mistake and restored the same afternoon.
        restored = self.companies[15]
        lifecycle.delete(restored, priya)
        lifecycle.restore(restored, priya)
        # In the recycle bin.
        gone_company = self.companies[16]
        gone = self.staff[gone_company][0] if self.staff[gone_company] else self.loose_contacts[0]
        lifecycle.delete(gone, Context(USER, actor="johan"))

    def hierarchies(self) -> None:
        """A three-level company group and an org chart to explore with `t` (rolodex tree).

        Atlas Group already owns two subsidiaries; they get subsidiaries of their own.
        Atlas Group's first employee heads it; two of the people reporting to them lead
        the others who had no manager yet. Made after the rest of the story (and stamped
        at its last moment: generator.py), so the tour's records and clock are as before.
        """
        priya = Context(USER, actor="priya")
        atlas = self.company["Atlas Group"]
        first, second = self.companies[6:8]
        for parent, child in ((first, self.companies[18]), (first, self.companies[19])):
            associations.associate(parent, child, priya, ["Parent company"])
        associations.associate(second, self.companies[20], priya, ["Parent company"])
        staff = self.staff[atlas]
        head = staff[0]
        # Seen from their manager, a report carries the inverse word "Employee".
        reports = [rid for rid in staff[1:] if "Employee" in _labels_seen(head, rid)]
        leads = reports[:2]
        for i, member in enumerate(m for m in staff[1:] if m not in reports):
            managed = any(
                "Manager" in view.labels
                for view in associations.all_of(member)
                if view.other_type == "contact"
            )
            if not managed and leads:
                associations.associate(leads[i % len(leads)], member, priya, ["Manager"])


def _labels_seen(viewer: int, other: int) -> tuple[str, ...]:
    view = associations.between(viewer, other)
    return view.labels if view is not None else ()


def build(seed: int, now: dt.datetime) -> Story:
    story = Story(seed, now)
    story.migration()
    story.trade_fair_import()
    story.domain_matching()
    story.the_three_examples()
    story.sales()
    story.support()
    story.projects()
    story.daily_work()
    story.housekeeping()
    story.lifecycle()
    return story
