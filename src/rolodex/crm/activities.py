"""Activities (notes, emails, calls, meetings, tasks) and their automatic associations."""

from __future__ import annotations

import json
from dataclasses import dataclass

from rolodex.crm import associations, objects, records
from rolodex.crm.context import JOB, Context
from rolodex.crm.errors import InvalidValue
from rolodex.crm.records import RecordView
from rolodex.i18n import _
from rolodex.store import raw
from rolodex.store.database import is_sqlite
from rolodex.store.models import Meta, Record, utcnow
from rolodex.store.transactions import writes

ACTIVITY_TYPES = ("note", "email", "call", "meeting", "task")
RULES_KEY = "activity_rules"
CLOSED_STAGES = ("closedwon", "closedlost", "closed won", "closed lost", "won", "lost")
# Per object of the record the activity is logged on, per activity type ("*" for all):
# which of that record's associated records the activity is also associated with.
DEFAULT_RULES: dict[str, dict[str, dict[str, int]]] = {
    "*": {"*": {"primary_company": 1, "open_deals": 5}},
}
RULE_KINDS = ("primary_company", "open_deals", "companies", "contacts", "tickets")
# The rules used where the database has none of its own: DEFAULT_RULES, or the
# [activity_rules] of the user's config.toml (use_default_rules).
_defaults: dict[str, dict[str, dict[str, int]]] = DEFAULT_RULES


@dataclass(frozen=True)
class TimelineItem:
    activity: RecordView

    @property
    def when(self) -> str:
        return self.activity.properties.get(
            "timestamp", self.activity.created_at.isoformat(timespec="seconds")
        )


def rules() -> dict[str, dict[str, dict[str, int]]]:
    row = Meta.get_or_none(Meta.key == RULES_KEY)
    # A copy: set_rule edits what it gets, and the defaults serve every database.
    return json.loads(row.value if row else json.dumps(_defaults))


def use_default_rules(defaults: dict[str, dict[str, dict[str, int]]]) -> None:
    """The rules of a database that has not set its own (from the user's config)."""
    global _defaults
    _defaults = json.loads(json.dumps(defaults))


@writes
def set_rule(object_key: str, activity_type: str, targets: dict[str, int]) -> None:
    """Configure auto-association for activities of ``activity_type`` logged on ``object_key`` records."""
    for kind in targets:
        if kind not in RULE_KINDS:
            raise InvalidValue(
                _("unknown rule '{kind}' (rules: {kinds})").format(
                    kind=kind, kinds=", ".join(RULE_KINDS)
                )
            )
    current = rules()
    current.setdefault(object_key, {})[activity_type] = targets
    value = json.dumps(current)
    Meta.insert(key=RULES_KEY, value=value).on_conflict(
        conflict_target=[Meta.key], update={Meta.value: value}
    ).execute()


def _rule_for(object_key: str, activity_type: str) -> dict[str, int]:
    table = rules()
    for okey in (object_key, "*"):
        for akey in (activity_type, "*"):
            if akey in table.get(okey, {}):
                return table[okey][akey]
    return {}


def _neighbours(record_id: int, type_key: str, limit: int) -> list[int]:
    return [a.other_id for a in associations.page(record_id, type_key, limit=limit)]


def auto_targets(record_id: int, activity_type: str) -> list[int]:
    """The records an activity logged on ``record_id`` is also associated with."""
    record = records.get(record_id)
    targets: list[int] = []
    for kind, limit in _rule_for(record.type, activity_type).items():
        if kind == "primary_company":
            company = associations.primary_company(record_id)
            if company is not None:
                targets.append(company)
        elif kind == "open_deals":
            deal_ids = _neighbours(record_id, "deal", 200)
            if deal_ids:
                open_deals = []
                for rid, props in (
                    Record.select(Record.id, Record.properties)
                    .where(Record.id.in_(deal_ids) & Record.deleted_at.is_null())
                    .tuples()
                ):
                    stage = json.loads(props).get("stage", "").casefold()
                    if stage not in CLOSED_STAGES:
                        open_deals.append(rid)
                open_deals.sort(reverse=True)  # most recent first
                targets.extend(open_deals[:limit])
        else:
            targets.extend(
                _neighbours(record_id, kind.rstrip("s").replace("companie", "company"), limit)
            )
    return [t for t in dict.fromkeys(targets) if t != record_id]


@writes
def log(record_id: int, activity_type: str, values: dict[str, str], ctx: Context) -> RecordView:
    """Log an activity on a record: it is associated with the record and, by the rules, more."""
    if activity_type not in ACTIVITY_TYPES and objects.by_key(activity_type).kind != "activity":
        raise InvalidValue(_("'{type}' is not an activity type").format(type=activity_type))
    values = dict(values)
    values.setdefault("timestamp", utcnow().isoformat(timespec="seconds"))
    activity = records.create(activity_type, values)
    associations.associate(activity.id, record_id, ctx)
    job = ctx.derived(JOB)
    for target in auto_targets(record_id, activity_type):
        associations.associate(activity.id, target, job)
    return activity


def timeline(record_id: int, limit: int = 50) -> list[RecordView]:
    """Activities associated with a record, newest first (ordered and cut in SQL: a busy
    company has thousands)."""
    activity_types = ",".join(str(t.id) for t in objects.all_types() if t.is_activity) or "NULL"
    if is_sqlite():
        stamp = "json_extract(r.properties, '$.timestamp')"
    else:
        stamp = "(r.properties::json ->> 'timestamp')"
    rows = raw.fetchall(
        f"SELECT id FROM ("
        f"SELECT r.id AS id, {stamp} AS stamp FROM association s JOIN record r ON r.id = s.a_id "
        f"WHERE s.b_id = ? AND s.a_type_id IN ({activity_types}) AND r.deleted_at IS NULL "
        f"UNION ALL "
        f"SELECT r.id, {stamp} FROM association s JOIN record r ON r.id = s.b_id "
        f"WHERE s.a_id = ? AND s.b_type_id IN ({activity_types}) AND r.deleted_at IS NULL"
        f") t ORDER BY stamp DESC, id DESC LIMIT ?",
        (record_id, record_id, limit),
    )
    ids = [row[0] for row in rows]
    views = records.get_many(ids)
    return [views[i] for i in ids if i in views]
