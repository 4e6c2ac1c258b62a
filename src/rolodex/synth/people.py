"""Deterministic makers of realistic property values (people, companies, deals, ...)."""

from __future__ import annotations

import functools
import random
import re
import unicodedata

from rolodex.synth import names

COUNTRY_CODES = {
    "Sweden": "46",
    "Norway": "47",
    "Denmark": "45",
    "Finland": "358",
    "Germany": "49",
    "United Kingdom": "44",
    "Ireland": "353",
    "France": "33",
    "Netherlands": "31",
    "Belgium": "32",
    "Spain": "34",
    "Portugal": "351",
    "Italy": "39",
    "Switzerland": "41",
    "Austria": "43",
    "Poland": "48",
    "Czech Republic": "420",
    "United States": "1",
    "Canada": "1",
    "Brazil": "55",
    "Mexico": "52",
    "Japan": "81",
    "Singapore": "65",
    "Australia": "61",
    "India": "91",
}


@functools.lru_cache(maxsize=8192)
def ascii_slug(text: str) -> str:
    """'Zoë O'Brien' -> 'zoeobrien': what an email local part or a domain label looks like."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", folded.lower())


class Namer:
    """Hands out unique emails, domains and company names, in a fixed order for a given seed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.emails: set[str] = set()
        self.domains: set[str] = set()
        self.company_names: set[str] = set()
        self.full_names: set[tuple[str, str]] = set()  # people of the story: not drawn at random

    def reserve_email(self, email: str) -> None:
        self.emails.add(email.lower())

    def reserve_domain(self, domain: str, name: str | None = None) -> None:
        self.domains.add(domain.lower())
        if name:
            self.company_names.add(name)

    def email(self, first: str, last: str, domain: str | None) -> str:
        """first.last@domain, or at a free-mail provider when ``domain`` is None; unique."""
        rng = self.rng
        f, last_slug = ascii_slug(first) or "x", ascii_slug(last) or "y"
        host = domain or rng.choice(names.FREE_MAIL)
        styles = (
            f"{f}.{last_slug}",
            f"{f[0]}{last_slug}",
            f"{f}{last_slug[0]}",
            f"{f}_{last_slug}",
        )
        local = styles[rng.randrange(len(styles))] if domain is None else styles[0]
        candidate = f"{local}@{host}"
        n = 2
        while candidate in self.emails:
            candidate = f"{local}{n}@{host}"
            n += 1
        self.emails.add(candidate)
        return candidate

    def company(self) -> tuple[str, str]:
        """(name, domain), both unique."""
        rng = self.rng
        while True:
            first = rng.choice(names.COMPANY_FIRST)
            second = rng.choice(names.COMPANY_SECOND)
            suffix = rng.choice(names.COMPANY_SUFFIX)
            tld = rng.choice(names.TLDS)
            base = f"{first} {second}"
            name = f"{base} {suffix}".strip()
            domain = f"{ascii_slug(first)}{ascii_slug(second)}.{tld}"
            n = 2
            while name in self.company_names or domain in self.domains:
                name = f"{base} {n} {suffix}".strip()
                domain = f"{ascii_slug(first)}{ascii_slug(second)}{n}.{tld}"
                n += 1
            self.company_names.add(name)
            self.domains.add(domain)
            return name, domain


def phone(rng: random.Random, country: str) -> str:
    code = COUNTRY_CODES.get(country, "46")
    return f"+{code} {rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"


def person(
    rng: random.Random, namer: Namer, domain: str | None, country: str = "Sweden"
) -> dict[str, str]:
    first = rng.choice(names.FIRST_NAMES)
    last = rng.choice(names.LAST_NAMES)
    while (first, last) in namer.full_names:
        first = rng.choice(names.FIRST_NAMES)
        last = rng.choice(names.LAST_NAMES)
    values = {
        "first_name": first,
        "last_name": last,
        "email": namer.email(first, last, domain),
        "job_title": rng.choice(names.JOB_TITLES),
    }
    if rng.random() < 0.7:
        values["phone"] = phone(rng, country)
    return values


def company(rng: random.Random, namer: Namer) -> dict[str, str]:
    name, domain = namer.company()
    city, country = rng.choice(names.CITIES)
    return {
        "name": name,
        "domain": domain,
        "industry": rng.choice(names.INDUSTRIES),
        "city": city,
        "country": country,
    }


def amount(rng: random.Random) -> str:
    return str(
        rng.choice((5, 8, 12, 15, 20, 25, 40, 60, 75, 120, 250)) * 1000 + rng.randint(0, 9) * 100
    )


def deal_stage(rng: random.Random) -> str:
    return rng.choices(names.DEAL_STAGES, weights=(14, 14, 12, 10, 10, 25, 15))[0]


def short_company(name: str) -> str:
    """'Helix Therapeutics AB' -> 'Helix Therapeutics': how deal names mention a company."""
    parts = name.split()
    if len(parts) > 2 and parts[-1] in names.COMPANY_SUFFIX:
        parts = parts[:-1]
    return " ".join(parts)
