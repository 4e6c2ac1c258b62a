"""The parent company column of a companies file (HubSpot's ``Parent Company ID``).

A cell names the row's company's parent: an id of the file's system (like ``Record ID``)
or, in a Rolodex export, the parent's REF (``company:5``). The parent is linked under the
company hierarchy's label, the parent on its from side, as ``rolodex associate PARENT
CHILD --label "Parent company"`` does; the hierarchy's rules (one parent, no cycle)
decide whether the row is accepted.
"""

from __future__ import annotations

from rolodex.crm import hierarchy, objects
from rolodex.crm.errors import InvalidValue
from rolodex.crm.labels import LabelInfo, name_key
from rolodex.i18n import _

# What export writes; import also reads the other names (matched as headers are).
HEADER = "Parent Company ID"
HEADERS = (HEADER, "Parent Company Record ID", "Associated Company IDs (Parent)")
BUILT_IN = "Parent company"  # the built-in label (store/migrations.py)


def company_label() -> LabelInfo | None:
    """The company hierarchy's label: the built-in "Parent company", else the first
    hierarchical company label; None when the database has none."""
    found = hierarchy.labels_for(objects.COMPANY)
    for info in found:
        if name_key(info.name) == name_key(BUILT_IN):
            return info
    return found[0] if found else None


def required_label() -> LabelInfo:
    info = company_label()
    if info is None:
        raise InvalidValue(
            _("this database has no company hierarchy: no hierarchical company label to use")
        )
    return info
