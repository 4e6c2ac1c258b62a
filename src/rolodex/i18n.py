"""The one translation function for every user-facing string (gettext style).

Catalogues live in rolodex/locale/<lang>/LC_MESSAGES/rolodex.mo; the language
follows the usual LANGUAGE / LC_ALL / LC_MESSAGES / LANG variables.
"""

from __future__ import annotations

import gettext
from pathlib import Path

# The package's own locale/ folder, installed or not: what importlib.resources.files()
# gives for a package on disk (a wheel installs as files), without importing it and the
# zipfile machinery behind it on every command.
LOCALE_DIR = Path(__file__).parent / "locale"
_translation = gettext.translation("rolodex", localedir=LOCALE_DIR, fallback=True)


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``_()`` for a word that means different things in different places ("Key": a
    keyboard key in the help, an object's key on the command line)."""
    return _translation.pgettext(context, message)


def set_language(language: str | None) -> None:
    """Switch the catalogue at run time (tests, a settings screen)."""
    global _translation
    languages = [language] if language else None
    _translation = gettext.translation(
        "rolodex", localedir=LOCALE_DIR, languages=languages, fallback=True
    )


def data_text(text: str) -> str:
    """Translate a label that is stored as data (a built-in property label or object
    name, a recommendation reason): shown translated when the catalogue knows it, else as
    stored. Use it for display only: the stored value stays the one that is matched.

    ``_()`` takes literal strings only, so they can be extracted; the literals
    below put the built-in data labels into the catalogue.
    """
    return _translation.gettext(text)


def _data_texts() -> tuple[str, ...]:  # pragma: no cover - never called, read by extraction
    return (
        # built-in property labels (store/seed_types.py)
        _("First name"),
        _("Last name"),
        _("Email"),
        _("Phone"),
        _("Job title"),
        _("Name"),
        _("Domain"),
        _("Industry"),
        _("City"),
        _("Country"),
        _("Amount"),
        _("Stage"),
        _("Close date"),
        _("Subject"),
        _("Status"),
        _("Priority"),
        _("Body"),
        _("Date"),
        # built-in object and activity names, singular and plural (store/seed_types.py)
        _("Contact"),
        _("Contacts"),
        _("Company"),
        _("Companies"),
        _("Deal"),
        _("Deals"),
        _("Ticket"),
        _("Tickets"),
        _("Note"),
        _("Notes"),
        _("Emails"),
        _("Call"),
        _("Calls"),
        _("Meeting"),
        _("Meetings"),
        _("Task"),
        _("Tasks"),
        # recommendation reasons (crm/recommend.py)
        _("shared association"),
        _("same domain"),
        _("same email domain"),
        _("similar name"),
    )
