"""Creating a record as a person does in the app: the record, and the rules that follow
from it in the same transaction (a contact is associated with the company that owns its
email domain, with the exclusions and the source "Automatic association by domain")."""

from __future__ import annotations

from rolodex.crm import domains, objects, records
from rolodex.crm.context import Context
from rolodex.crm.records import RecordView
from rolodex.store.transactions import writes


@writes
def create(type_key: str, values: dict[str, str], ctx: Context) -> RecordView:
    record = records.create(type_key, values)
    if record.type == objects.CONTACT and record.properties.get("email"):
        domains.associate_by_domain(record.id, ctx)
    return record
