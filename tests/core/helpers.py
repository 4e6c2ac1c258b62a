"""Small builders shared by the core tests."""

from __future__ import annotations

from rolodex.crm import associations, records
from rolodex.crm.records import RecordView
from rolodex.store.models import History


def contact(first: str, email: str | None = None, last: str = "") -> RecordView:
    values = {"first_name": first}
    if last:
        values["last_name"] = last
    if email:
        values["email"] = email
    return records.create("contact", values)


def company(name: str, domain: str | None = None) -> RecordView:
    values = {"name": name}
    if domain:
        values["domain"] = domain
    return records.create("company", values)


def deal(name: str, stage: str = "appointmentscheduled") -> RecordView:
    return records.create("deal", {"name": name, "stage": stage})


def ticket(subject: str) -> RecordView:
    return records.create("ticket", {"subject": subject})


def seen(viewer: int) -> dict[int, tuple[tuple[str, ...], bool]]:
    """What a record's sidebar shows: other id -> (labels as seen from viewer, is primary)."""
    return {a.other_id: (a.labels, a.primary) for a in associations.all_of(viewer)}


def others(viewer: int) -> set[int]:
    return {a.other_id for a in associations.all_of(viewer)}


def history_count() -> int:
    return History.select().count()
