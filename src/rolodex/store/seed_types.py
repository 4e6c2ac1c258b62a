"""The standard objects and activity types every database starts with."""

from __future__ import annotations

from rolodex.store.models import ObjectType, Property

# key, singular, plural, kind, display property, [(property key, label, kind)]
STANDARD_TYPES: list[tuple[str, str, str, str, str, list[tuple[str, str, str]]]] = [
    (
        "contact",
        "Contact",
        "Contacts",
        "standard",
        "name",
        [
            ("first_name", "First name", "text"),
            ("last_name", "Last name", "text"),
            ("email", "Email", "email"),
            ("phone", "Phone", "phone"),
            ("job_title", "Job title", "text"),
        ],
    ),
    (
        "company",
        "Company",
        "Companies",
        "standard",
        "name",
        [
            ("name", "Name", "text"),
            ("domain", "Domain", "domain"),
            ("industry", "Industry", "text"),
            ("city", "City", "text"),
            ("country", "Country", "text"),
        ],
    ),
    (
        "deal",
        "Deal",
        "Deals",
        "standard",
        "name",
        [
            ("name", "Name", "text"),
            ("amount", "Amount", "number"),
            ("stage", "Stage", "text"),
            ("close_date", "Close date", "date"),
        ],
    ),
    (
        "ticket",
        "Ticket",
        "Tickets",
        "standard",
        "subject",
        [
            ("subject", "Subject", "text"),
            ("status", "Status", "text"),
            ("priority", "Priority", "text"),
        ],
    ),
]
ACTIVITY_TYPES = [
    ("note", "Note", "Notes"),
    ("email", "Email", "Emails"),
    ("call", "Call", "Calls"),
    ("meeting", "Meeting", "Meetings"),
    ("task", "Task", "Tasks"),
]
ACTIVITY_PROPERTIES = [
    ("subject", "Subject", "text"),
    ("body", "Body", "text"),
    ("timestamp", "Date", "datetime"),
]


def install_standard_types() -> None:
    position = 0
    for key, singular, plural, kind, display, props in STANDARD_TYPES:
        object_type = ObjectType.create(
            key=key,
            singular=singular,
            plural=plural,
            kind=kind,
            display_property=display,
            position=position,
        )
        position += 1
        for index, (pkey, label, pkind) in enumerate(props):
            Property.create(
                object_type=object_type, key=pkey, label=label, kind=pkind, position=index
            )
    for key, singular, plural in ACTIVITY_TYPES:
        object_type = ObjectType.create(
            key=key,
            singular=singular,
            plural=plural,
            kind="activity",
            display_property="subject",
            position=position,
        )
        position += 1
        for index, (pkey, label, pkind) in enumerate(ACTIVITY_PROPERTIES):
            Property.create(
                object_type=object_type, key=pkey, label=label, kind=pkind, position=index
            )
