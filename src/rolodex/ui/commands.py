"""Command palette: jump to any record by name, email or domain."""

from __future__ import annotations

import asyncio
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from rolodex.crm import objects, search
from rolodex.i18n import _
from rolodex.ui.db import in_connection
from rolodex.ui.text import visible


def highlight(text: str, query: str) -> Content:
    """The text as plain Content with the first match of ``query`` in bold (no markup parsing)."""
    content = Content(visible(text))
    start = text.casefold().find(query.casefold()) if query else -1
    if start >= 0 and len(text.casefold()) == len(text):
        content = content.stylize("bold underline", start, start + len(query))
    return content


class RecordsProvider(Provider):
    """Records whose name, email or domain contains what was typed."""

    async def search(self, query: str) -> Hits:
        text = query.strip()
        if len(text) < 2:
            return
        try:
            hits = await asyncio.to_thread(in_connection, lambda: search.search(text, limit=15))
        except Exception:  # a database hiccup must not break the palette
            return
        for rank, hit in enumerate(hits):
            kind = objects.by_key(hit.type).shown_singular
            label = hit.name or hit.ref
            display = highlight(label, text)
            if hit.detail:
                display = display + Content("  ") + highlight(hit.detail, text).stylize("dim")
            yield Hit(
                1.0 - rank / 100,
                display,
                partial(self.app.open_record, hit.id),  # type: ignore[attr-defined]
                text=label,
                help=_("Open {kind} {ref}").format(kind=kind.lower(), ref=hit.ref),
            )

    async def discover(self) -> Hits:
        yield DiscoveryHit(
            _("Type a name, email or domain to jump to a record"),
            lambda: None,
            help=_("Records"),
        )
