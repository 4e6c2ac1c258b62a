"""Who changes something, and through which path: every history row says both."""

from __future__ import annotations

import os
import pwd
import uuid
from dataclasses import dataclass, field, replace

# The ten sources of design section 1, exactly as shown to users.
USER = "User"
OBJECT_DELETED = "Object deleted"
OBJECT_MERGE = "Object merge"
OBJECT_RESTORE = "Object restore"
IMPORT = "Import"
DOMAIN = "Automatic association by domain"
API = "API"
JOB = "Job"
MIGRATION = "Migration"
UNKNOWN = "Unknown"
SOURCES = (
    USER,
    OBJECT_DELETED,
    OBJECT_MERGE,
    OBJECT_RESTORE,
    IMPORT,
    DOMAIN,
    API,
    JOB,
    MIGRATION,
    UNKNOWN,
)


def os_account() -> str:
    """The operating-system account of this process: not an environment variable anyone can set."""
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


@dataclass(frozen=True)
class Context:
    source: str
    actor: str = field(default_factory=os_account)
    batch: str | None = None
    # Set while undoing: the history id of the change being reverted (crm/undo.py).
    undoes: int | None = None

    def derived(self, source: str, batch: str | None = None) -> Context:
        """The same actor acting through another source (a delete's side effects, a rule)."""
        return replace(self, source=source, batch=batch if batch is not None else self.batch)


def new_batch(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def user() -> Context:
    return Context(USER)


def api() -> Context:
    return Context(API)
