"""`rolodex seed`: the command-line face of the generator (the database is already open)."""

from __future__ import annotations

import time
from typing import TextIO

from rolodex.i18n import _
from rolodex.synth.generator import ensure_empty, generate, parse_size


def _format_summary(summary: dict) -> list[str]:
    objects = ", ".join(f"{key} {n}" for key, n in summary["objects"].items() if n)
    sources = ", ".join(f"{source} {n}" for source, n in summary["sources"].items())
    return [
        _("records: {n} live ({objects})").format(n=summary["live_records"], objects=objects),
        _("associations: {n} ({labelled} labels)").format(
            n=summary["associations"], labelled=summary["labelled"]
        ),
        _("history: {n} rows ({sources})").format(n=summary["history"], sources=sources),
        _("recycle bin: {deleted}; merged: {merged}").format(
            deleted=summary["deleted"], merged=summary["merged"]
        ),
    ]


def seed_command(size: str, seed: int, out: TextIO) -> int:
    """Fill the open (empty) database; print what was built and how long it took.
    A database that is not empty or a bad size raise RolodexError (one error line)."""
    key = parse_size(size)
    ensure_empty()
    print(_("seeding a {size} database with seed {seed}...").format(size=key, seed=seed), file=out)
    out.flush()
    started = time.perf_counter()
    summary = generate(key, seed=seed)
    elapsed = time.perf_counter() - started
    for line in _format_summary(summary):
        print(line, file=out)
    print(_("built in {seconds:.1f} s").format(seconds=elapsed), file=out)
    return 0
