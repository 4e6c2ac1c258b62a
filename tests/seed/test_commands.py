"""`rolodex seed` through its hook: what it prints, and a clear refusal."""

from __future__ import annotations

import io
import re

import pytest

from rolodex.crm import records
from rolodex.crm.errors import RolodexError
from rolodex.store.models import Record
from rolodex.synth.commands import seed_command


def test_seed_prints_what_it_built_and_how_long_it_took(db):
    out = io.StringIO()
    assert seed_command("10k", 42, out) == 0
    text = out.getvalue()
    assert "seeding a 10k database with seed 42" in text
    assert "contact 4998" in text and "company 799" in text
    assert "Automatic association by domain" in text and "Object restore" in text
    assert "built in " in text and text.rstrip().endswith(" s")
    assert Record.select().count() == 10_000


def test_seed_refuses_a_database_that_has_records(db):
    records.create("contact", {"first_name": "Kept", "email": "kept@example.org"})
    out = io.StringIO()
    with pytest.raises(RolodexError, match="already has records"):
        seed_command("demo", 42, out)
    assert out.getvalue() == ""
    assert Record.select().count() == 1


def test_seed_rejects_an_unknown_size(db):
    with pytest.raises(RolodexError, match=re.escape("unknown size 'huge' (sizes: demo, 10k")):
        seed_command("huge", 42, io.StringIO())
