"""Which record a cell means: Rolodex REFs, this database's own id, other systems' ids.

- A Rolodex export names each record by its REF (``contact:42``) and says which database
  it comes from (``Rolodex database``). Imported into that same database, a REF is the
  record itself. Imported anywhere else, it is an id of another system,
  ``rolodex:DATABASE``, kept in ``source_key`` like any other system's id, so the files of
  one export find each other's records in any order.
- ``Record ID`` and ``Associated X IDs`` are ids of the system the file comes from: any
  non-empty text (Salesforce's ``001x0000002xLCVAA2``), scoped per system and object.
  The system is the import's ``--source`` name, or "" when it is not named.
"""

from __future__ import annotations

import re
import uuid

from rolodex.crm.errors import InvalidReference
from rolodex.i18n import _
from rolodex.store.models import Meta
from rolodex.store.transactions import writes

DATABASE_KEY = "database_id"
ROLODEX_PREFIX = "rolodex:"
REF_RE = re.compile(r"^\s*([a-z][a-z0-9_]{0,39})\s*:\s*(\d{1,18})\s*$")
MAX_SOURCE_ID = 255
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def this_database() -> str | None:
    """This database's identity, or None before its first export."""
    row = Meta.get_or_none(Meta.key == DATABASE_KEY)
    return row.value if row is not None else None


@writes
def ensure_database_id() -> str:
    """This database's identity, made at its first export (a random id, never reused)."""
    found = this_database()
    if found:
        return found
    value = uuid.uuid4().hex
    Meta.insert(key=DATABASE_KEY, value=value).on_conflict_ignore().execute()
    return this_database() or value


def rolodex_system(database: str) -> str:
    """The source system of the records of another Rolodex database."""
    return ROLODEX_PREFIX + database


def parse_ref(text: str) -> tuple[str, int] | None:
    """``TYPE:ID`` as (type key, id), or None when the text is not a REF."""
    match = REF_RE.match(text)
    if match is None:
        return None
    return match.group(1), int(match.group(2))


def check_source_id(header: str, value: str) -> str:
    """An id of another system: any text without control characters, up to 255 characters."""
    text = value.strip()
    if not text or CONTROL.search(text) or len(text) > MAX_SOURCE_ID:
        raise InvalidReference(
            _("'{header}': '{value}' is not a record id").format(
                header=header.strip(), value=CONTROL.sub("?", text[:80])
            )
        )
    return text


def pending_key(system: str, key: str) -> str:
    """How a waiting link names an id of ``system`` (ids of the unnamed system as they are)."""
    return f"{system}\x1f{key}" if system else key


__all__ = [
    "check_source_id",
    "ensure_database_id",
    "parse_ref",
    "pending_key",
    "rolodex_system",
    "this_database",
]
