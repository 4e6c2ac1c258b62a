"""Automatic association of contacts with companies by email domain."""

from __future__ import annotations

import json

from rolodex.crm import associations, changes, objects, records
from rolodex.crm.context import DOMAIN, Context
from rolodex.crm.errors import InvalidValue, LimitExceeded
from rolodex.i18n import _
from rolodex.store.models import Association, Meta, Record
from rolodex.store.transactions import writes

FREE_MAIL = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.se",
        "hotmail.com",
        "hotmail.se",
        "hotmail.co.uk",
        "outlook.com",
        "live.com",
        "live.se",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.ru",
        "yandex.com",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "telia.com",
        "spray.se",
        "bredband.net",
        "comhem.se",
        "qq.com",
        "163.com",
        "126.com",
    ]
)
EXCLUSIONS_KEY = "domain_exclusions"


def exclusions() -> set[str]:
    row = Meta.get_or_none(Meta.key == EXCLUSIONS_KEY)
    return set(json.loads(row.value)) if row else set()


@writes
def set_exclusions(domains: set[str]) -> None:
    value = json.dumps(sorted(objects.normalise_domain(d) for d in domains if d.strip()))
    Meta.insert(key=EXCLUSIONS_KEY, value=value).on_conflict(
        conflict_target=[Meta.key], update={Meta.value: value}
    ).execute()
    changes.notify()


def _domain(text: str) -> str:
    domain = objects.normalise_domain(text)
    if not objects.DOMAIN_PATTERN.match(domain):
        raise InvalidValue(_("'{text}' is not a domain name").format(text=text))
    return domain


@writes
def add_exclusions(names: list[str]) -> list[str]:
    """Never match contacts to companies by these domains; returns the ones added."""
    wanted = [_domain(name) for name in names]
    current = exclusions()
    added = [d for d in dict.fromkeys(wanted) if d not in current]
    set_exclusions(current | set(added))
    return added


@writes
def remove_exclusions(names: list[str]) -> list[str]:
    """Take domains off the exclusion list; returns the ones that were on it."""
    wanted = [objects.normalise_domain(name) for name in names]
    current = exclusions()
    removed = [d for d in dict.fromkeys(wanted) if d in current]
    set_exclusions(current - set(removed))
    return removed


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower() or None


def _has_company(contact_id: int) -> bool:
    company = objects.by_key(objects.COMPANY).id
    return (
        Association.select()
        .where(
            ((Association.a == contact_id) & (Association.b_type == company))
            | ((Association.b == contact_id) & (Association.a_type == company))
        )
        .exists()
    )


def match_company(contact_id: int) -> int | None:
    """The company a contact would be associated with by its email domain, if exactly one matches."""
    contact = records.get(contact_id)
    domain = email_domain(contact.properties.get("email"))
    if not domain or domain in FREE_MAIL or domain in exclusions():
        return None
    rows = list(
        Record.select(Record.id)
        .where(
            (Record.domain == domain) & Record.deleted_at.is_null() & Record.merged_into.is_null()
        )
        .limit(2)
        .tuples()
    )
    return rows[0][0] if len(rows) == 1 else None


@writes
def associate_by_domain(contact_id: int, ctx: Context) -> int | None:
    """Associate one contact with the company owning its email domain; never overrides a
    contact that already has a company. Returns the company id when it associated."""
    if _has_company(contact_id):
        return None
    company = match_company(contact_id)
    if company is None:
        return None
    associations.associate(contact_id, company, ctx.derived(DOMAIN))
    return company


def associate_all_by_domain(ctx: Context) -> int:
    """Run the domain rule over every contact; returns how many were associated."""
    contact_type = objects.by_key(objects.CONTACT).id
    ids = [
        rid
        for (rid,) in Record.select(Record.id)
        .where(
            (Record.object_type == contact_type)
            & Record.email.is_null(False)
            & Record.deleted_at.is_null()
            & Record.merged_into.is_null()
        )
        .tuples()
    ]
    done = 0
    for rid in ids:
        try:
            if associate_by_domain(rid, ctx) is not None:
                done += 1
        except LimitExceeded:
            continue  # the company is full: this contact is skipped, the run goes on
    return done
