"""Command palette: jump to any record by name, email, domain or REF (``note:322``)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from rolodex.crm import objects, records, search
from rolodex.crm.errors import RolodexError
from rolodex.i18n import _
from rolodex.ui.base import in_thread
from rolodex.ui.messages import OpenRecord
from rolodex.ui.text import shown, visible

RESULTS = 15


def highlight(text: str, query: str) -> Content:
    """The text as plain Content with the first match of ``query`` in bold (no markup parsing)."""
    content = shown(text, one_line=True)
    start = text.casefold().find(query.casefold()) if query else -1
    if start >= 0 and len(text.casefold()) == len(text) and visible(text) == text:
        content = content.stylize("bold underline", start, start + len(query))
    return content


def help_markup(text: str) -> str:
    """Text for the palette's help line, which Textual reads as markup: shown literally."""
    return visible(text).replace("\n", " ").replace("[", "\\[")


def _by_ref(text: str) -> list[search.Hit]:
    """A REF typed whole (``contact:42``) names one record, whatever its name."""
    if ":" not in text:
        return []
    try:
        view = records.resolve(text)
    except RolodexError:
        return []
    props = view.properties
    return [search.Hit(view.id, view.type, view.name, props.get("email"), props.get("domain"))]


class RecordsProvider(Provider):
    """Records whose name, email or domain contains what was typed, or the typed REF."""

    def _open(self, record_id: int) -> None:
        self.app.post_message(OpenRecord(record_id))

    async def search(self, query: str) -> Hits:
        text = query.strip()
        if len(text) < 2:
            return
        try:
            hits = await in_thread(
                self.app, lambda: _by_ref(text) + search.search(text, limit=RESULTS)
            )
        except Exception:  # a database hiccup must not break the palette
            return
        seen: set[int] = set()
        for rank, hit in enumerate(hits):
            if hit.id in seen:
                continue
            seen.add(hit.id)
            kind = objects.by_key(hit.type).shown_singular
            label = hit.name or hit.ref
            display = highlight(label, text)
            if hit.detail:
                display = display + Content("  ") + highlight(hit.detail, text).stylize("dim")
            yield Hit(
                1.0 - rank / 100,
                display,
                partial(self._open, hit.id),
                text=label,
                help=help_markup(_("Open {kind} {ref}").format(kind=kind.lower(), ref=hit.ref)),
            )

    async def discover(self) -> Hits:
        yield DiscoveryHit(
            _("Type a name, email, domain or REF to jump to a record"),
            lambda: None,
            help=help_markup(_("Records")),
        )
