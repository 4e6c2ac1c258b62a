"""One meaning for a moment typed by a person, on the command line and in the app.

- a date and time with an offset (``2026-11-29T21:50:59+01:00``, ``...Z``) means that instant;
- a date and time without one (``2026-11-29 21:50``, or ``... UTC`` as times are shown) is UTC;
  without seconds or fractions, the whole minute or second is meant, so a time copied
  from the history includes the change made then;
- a bare date (``2026-11-29``) means the end of that day in the person's time zone.
"""

from __future__ import annotations

import datetime as dt
import re

from rolodex.crm.errors import InvalidValue
from rolodex.i18n import _

_BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NO_SECONDS = re.compile(r"[T ]\d{2}:\d{2}$")


def help_text() -> str:
    """What a person may type, for --help and the app's prompt."""
    return _(
        "a date (the end of that day, your time zone) or a date and time "
        "(UTC unless it has an offset), e.g. 2026-11-29 or 2026-11-29T21:50:59Z"
    )


def local_zone() -> dt.tzinfo:
    zone = dt.datetime.now().astimezone().tzinfo
    return zone if zone is not None else dt.UTC


def parse_moment(text: str, zone: dt.tzinfo | None = None) -> dt.datetime:
    """A typed moment as naive UTC (how times are stored); InvalidValue when unreadable."""
    raw = " ".join(text.split())
    if raw.upper().endswith(" UTC"):  # as the app shows times: 2026-03-01 14:05 UTC
        raw = raw[:-4] + "+00:00"
    if not raw:
        raise InvalidValue(_("type a date or a date and time"))
    if _BARE_DATE.match(raw):
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError as exc:
            raise _unreadable(text) from exc
        end = dt.datetime.combine(day, dt.time.max, tzinfo=zone or local_zone())
        return end.astimezone(dt.UTC).replace(tzinfo=None)
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise _unreadable(text) from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    if moment.microsecond == 0 and "." not in raw and "," not in raw:
        whole = dt.timedelta(minutes=1) if _NO_SECONDS.search(raw.rstrip("Z")) else None
        if whole is not None:
            moment = moment + whole - dt.timedelta(microseconds=1)
        else:
            moment = moment.replace(microsecond=999999)
    return moment


def _unreadable(text: str) -> InvalidValue:
    return InvalidValue(
        _(
            "'{text}' is not a date or a date and time (e.g. 2026-11-29 or 2026-11-29T21:50:59Z)"
        ).format(text=text)
    )
