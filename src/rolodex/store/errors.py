"""Errors of opening and preparing a database (no other part of rolodex needed)."""

from __future__ import annotations


class DatabaseOpenError(Exception):
    """The database cannot be opened or used; the message says why, in one line."""
