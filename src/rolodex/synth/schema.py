"""What every synthetic database defines before it has records: labels, the Projects object, limits."""

from __future__ import annotations

from rolodex.crm import labels, limits, objects

# (from type, to type, name, inverse): "the from record is the to record's NAME".
LABELS: list[tuple[str, str, str, str | None]] = [
    ("contact", "contact", "Manager", "Employee"),
    ("contact", "contact", "Colleague", None),
    ("contact", "company", "Employee", "Employer"),
    ("contact", "company", "Advisor", None),
    ("contact", "company", "Former employee", None),
    ("company", "company", "Parent company", "Subsidiary"),
    ("contact", "deal", "Decision maker", None),
    ("contact", "deal", "Champion", None),
    ("contact", "ticket", "Reporter", None),
    ("contact", "project", "Project lead", None),
]

PROJECT = "project"
PROJECT_PROPERTIES = [
    ("name", "text"),
    ("status", "text"),
    ("budget", "number"),
    ("due_date", "date"),
]

# (from type, to type, max, label word as seen from the from record)
LIMITS: list[tuple[str, str, int, str | None]] = [
    ("deal", "contact", 10, None),  # a deal has at most 10 contacts
    ("ticket", "contact", 5, None),  # a ticket has at most 5 contacts
    ("contact", "company", 2, "Employee"),  # a contact is an employee of at most 2 companies
]


def install() -> dict[tuple[str, str, str], int]:
    """Create the labels, the Projects object and the limits; returns label ids by (from, to, name)."""
    objects.create_custom_object(PROJECT, "Project", "Projects", PROJECT_PROPERTIES, display="name")
    ids = {}
    for from_type, to_type, name, inverse in LABELS:
        info = labels.create(from_type, to_type, name, inverse)
        ids[(from_type, to_type, name)] = info.id
    for from_type, to_type, max_count, word in LIMITS:
        limits.set_limit(from_type, to_type, max_count, word)
    return ids
