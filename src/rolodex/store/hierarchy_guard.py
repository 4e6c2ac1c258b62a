"""At most one parent per record under a hierarchical label, enforced by the database.

A label marked hierarchical ("Parent company", "Manager") says "the from record is the
to record's parent". A trigger on ``association_label`` refuses a new (or changed) row
of such a label when the child already has a parent under it through another
association: whatever writes the row (the rules, an import, a hand-written statement).
The rules check first and say why in a sentence (crm/hierarchy.py); the trigger is what
holds when something else writes. Cycles are refused by the rules, inside the write
transaction (SQLite allows no recursive query in a trigger).

The child of a stored label row is ``b`` when ``forward`` (``a`` is the from record),
else ``a``. Its other parent rows are found from the child's side through the
association indexes ``(b, a_type, id)`` and ``(a, b_type, id)``.
"""

from __future__ import annotations

from peewee import Database, SqliteDatabase

MESSAGE = "hierarchy: a record has at most one parent under a hierarchical label"

# The other label rows that give the child a parent: NEW is the row being written, n its
# association, lb its label (the child's parent is of lb's from object).
_OTHER_PARENT = (
    "EXISTS (SELECT 1 FROM association s JOIN association_label l ON l.association_id = s.id "
    "WHERE s.b_id = {child} AND s.a_type_id = {parent_type} AND l.label_id = {label} "
    "AND l.forward AND s.id <> {assoc}) "
    "OR EXISTS (SELECT 1 FROM association s JOIN association_label l ON l.association_id = s.id "
    "WHERE s.a_id = {child} AND s.b_type_id = {parent_type} AND l.label_id = {label} "
    "AND NOT l.forward AND s.id <> {assoc})"
)

_SQLITE_CHECK = (
    f"SELECT RAISE(ABORT, '{MESSAGE}') FROM association n JOIN label lb ON lb.id = NEW.label_id "
    "WHERE n.id = NEW.association_id AND ("
    + _OTHER_PARENT.format(
        child="(CASE WHEN NEW.forward THEN n.b_id ELSE n.a_id END)",
        parent_type="lb.from_type_id",
        label="NEW.label_id",
        assoc="n.id",
    )
    + ");"
)
_SQLITE_WHEN = "WHEN (SELECT hierarchical FROM label WHERE id = NEW.label_id)"
SQLITE_TRIGGERS = {
    "hierarchy_one_parent_insert": (
        f"CREATE TRIGGER hierarchy_one_parent_insert BEFORE INSERT ON association_label "
        f"{_SQLITE_WHEN} BEGIN {_SQLITE_CHECK} END"
    ),
    "hierarchy_one_parent_update": (
        "CREATE TRIGGER hierarchy_one_parent_update BEFORE UPDATE OF label_id, forward "
        f"ON association_label {_SQLITE_WHEN} BEGIN {_SQLITE_CHECK} END"
    ),
}

PG_FUNCTION = "rolodex_hierarchy_one_parent"
PG_FUNCTION_SQL = (
    f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $guard$ "
    "DECLARE child bigint; parent_type integer; flagged boolean; BEGIN "
    "SELECT hierarchical, from_type_id INTO flagged, parent_type FROM label "
    "WHERE id = NEW.label_id; "
    "IF NOT coalesce(flagged, false) THEN RETURN NEW; END IF; "
    "SELECT CASE WHEN NEW.forward THEN b_id ELSE a_id END INTO child FROM association "
    "WHERE id = NEW.association_id; "
    "IF "
    + _OTHER_PARENT.format(
        child="child", parent_type="parent_type", label="NEW.label_id", assoc="NEW.association_id"
    )
    + f" THEN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'unique_violation'; END IF; "
    "RETURN NEW; END; $guard$"
)
PG_TRIGGER = "hierarchy_one_parent"
PG_TRIGGER_SQL = (
    f"CREATE TRIGGER {PG_TRIGGER} BEFORE INSERT OR UPDATE OF label_id, forward "
    f"ON association_label FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
)


def install(db: Database) -> None:
    """Create (or re-create) the triggers; the tables must exist. Run by a migration."""
    if isinstance(db, SqliteDatabase):
        for name, sql in SQLITE_TRIGGERS.items():
            db.execute_sql(f"DROP TRIGGER IF EXISTS {name}")
            db.execute_sql(sql)
        return
    db.execute_sql(PG_FUNCTION_SQL)
    db.execute_sql(f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON association_label")
    db.execute_sql(PG_TRIGGER_SQL)


def missing(db: Database) -> list[str]:
    """The triggers that are not there (``rolodex check`` reports them)."""
    if isinstance(db, SqliteDatabase):
        found = {
            row[0]
            for row in db.execute_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'association_label'"
            ).fetchall()
        }
        return [name for name in SQLITE_TRIGGERS if name not in found]
    row = db.execute_sql(
        "SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'association_label' "
        "AND n.nspname = current_schema() AND t.tgname = %s AND t.tgenabled IN ('O', 'A')",
        (PG_TRIGGER,),
    ).fetchone()
    return [] if row else [PG_TRIGGER]
