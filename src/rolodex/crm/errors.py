"""Errors the rules raise. Each message is one line a person can act on."""

from __future__ import annotations


class RolodexError(Exception):
    """Base class: anything the command line and the TUI show as a clear message."""

    code = "ERROR"


class NotFound(RolodexError):
    code = "RECORD_NOT_FOUND"


class InvalidReference(RolodexError):
    code = "INVALID_IDENTIFIER"


class AmbiguousReference(RolodexError):
    code = "MULTIPLE_COMPANIES_WITH_THIS_DOMAIN"


class InvalidValue(RolodexError):
    code = "INVALID_VALUE"


class LabelNotFound(RolodexError):
    code = "LABEL_NOT_FOUND"


class LabelInUse(RolodexError):
    code = "LABEL_IN_USE"


class LimitExceeded(RolodexError):
    code = "LIMIT_EXCEEDED"


class SelfAssociation(RolodexError):
    code = "SELF_ASSOCIATION"


class NeedsNewPrimary(RolodexError):
    """Removing a primary company while others remain: the caller must name the new one."""

    code = "NEW_PRIMARY_REQUIRED"

    def __init__(self, message: str, record_id: int, candidates: list[int]) -> None:
        super().__init__(message)
        self.record_id = record_id
        self.candidates = candidates


class Conflict(RolodexError):
    """Someone else saved the record first; carries both versions so the user can choose."""

    code = "CONFLICT"

    def __init__(
        self,
        message: str,
        current: dict[str, str],
        current_version: int,
        mine: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.current = current  # the saved values (theirs)
        self.current_version = current_version
        self.mine = dict(mine or {})  # the values this save tried to write


class Deleted(RolodexError):
    code = "RECORD_DELETED"


class DuplicateRecord(RolodexError):
    code = "DUPLICATE_ROW"


class HierarchyConflict(RolodexError):
    """A hierarchical label would give a record a second parent, or make it its own ancestor."""

    code = "HIERARCHY_CONFLICT"


class UndoRefused(RolodexError):
    """A change cannot be undone: later changes conflict, a limit, a record gone."""

    code = "UNDO_REFUSED"
