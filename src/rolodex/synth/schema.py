"""What every synthetic database defines before it has records: labels, the Projects object, limits."""

from __future__ import annotations

from rolodex.crm import labels, limits, objects

# (from type, to type, name, inverse): "the from record is the to record's NAME".
# Company groups use the built-in hierarchy "Parent company" / "Child company".
LABELS: list[tuple[str, str, str, str | None]] = [
    ("contact", "contact", "Manager", "Employee"),
    ("contact", "contact", "Colleague", None),
    ("contact", "company", "Employee", "Employer"),
    ("contact", "company", "Advisor", None),
    ("contact", "company", "Former employee", None),
    ("contact", "deal", "Decision maker", None),
    ("contact", "deal", "Champion", None),
    ("contact", "ticket", "Reporter", None),
    ("contact", "project", "Project lead", None),
]
# Labels whose records form trees (an org chart): see rolodex tree.
HIERARCHICAL = {("contact", "contact", "Manager")}

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
        key = (from_type, to_type, name)
        info = labels.create(from_type, to_type, name, inverse, hierarchical=key in HIERARCHICAL)
        ids[key] = info.id
    for info in labels.list_labels("company", "company"):
        if info.hierarchical:  # built in (store/migrations.py)
            ids[("company", "company", info.name)] = info.id
    for from_type, to_type, max_count, word in LIMITS:
        limits.set_limit(from_type, to_type, max_count, word)
    return ids
