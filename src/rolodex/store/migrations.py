"""Schema versions. Each migration upgrades an older database in place, in order."""

from __future__ import annotations

import json
import os
import pwd
from collections.abc import Callable

from peewee import Database, PostgresqlDatabase, SqliteDatabase

from rolodex.store.errors import DatabaseOpenError
from rolodex.store.models import MODELS, Meta, label_key, utcnow

SCHEMA_KEY = "schema_version"


def _create_tables(db: Database) -> None:
    db.create_tables(MODELS)


def _search_index(db: Database) -> None:
    """Substring search: FTS5 trigram on SQLite, pg_trgm on PostgreSQL (ILIKE without it)."""
    if isinstance(db, SqliteDatabase):
        db.execute_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS record_search USING fts5("
            "name, email, domain, content='record', content_rowid='id', tokenize='trigram')"
        )
        db.execute_sql(
            "CREATE TRIGGER IF NOT EXISTS record_search_ai AFTER INSERT ON record BEGIN "
            "INSERT INTO record_search(rowid, name, email, domain) "
            "VALUES (new.id, new.name, new.email, new.domain); END"
        )
        db.execute_sql(
            "CREATE TRIGGER IF NOT EXISTS record_search_ad AFTER DELETE ON record BEGIN "
            "INSERT INTO record_search(record_search, rowid, name, email, domain) "
            "VALUES ('delete', old.id, old.name, old.email, old.domain); END"
        )
        db.execute_sql(
            "CREATE TRIGGER IF NOT EXISTS record_search_au AFTER UPDATE OF name, email, domain "
            "ON record BEGIN "
            "INSERT INTO record_search(record_search, rowid, name, email, domain) "
            "VALUES ('delete', old.id, old.name, old.email, old.domain); "
            "INSERT INTO record_search(rowid, name, email, domain) "
            "VALUES (new.id, new.name, new.email, new.domain); END"
        )
        db.execute_sql("INSERT INTO record_search(record_search) VALUES ('rebuild')")
    elif isinstance(db, PostgresqlDatabase):
        try:
            with db.atomic():
                db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:
            return  # no pg_trgm: search falls back to a plain ILIKE scan
        for column in ("name", "email", "domain"):
            db.execute_sql(
                f"CREATE INDEX IF NOT EXISTS record_{column}_trgm "
                f"ON record USING gin ({column} gin_trgm_ops)"
            )


def _import_tables(db: Database) -> None:
    """Pending links and per-import record log of rolodex.io (import --revert)."""
    from rolodex.store.import_models import IO_MODELS

    # Dropped first: a database rebuilt from scratch (version 0) must not keep stale rows.
    db.drop_tables(IO_MODELS, safe=True)
    db.create_tables(IO_MODELS)


def _name_prefix_index(db: Database) -> None:
    """Search as you type with one or two characters ranges over names of every object.

    The deleted_at index becomes partial: it serves the recycle bin, and as a full
    index the planner took it for `deleted_at IS NULL`, which nearly every row matches.
    """
    db.execute_sql("CREATE INDEX IF NOT EXISTS record_name_key_id ON record (name_key, id)")
    db.execute_sql("DROP INDEX IF EXISTS record_deleted_at")
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS record_deleted ON record (deleted_at) "
        "WHERE deleted_at IS NOT NULL"
    )


def _live_created_index(db: Database) -> None:
    """Index pages sorted by creation ("created", "-created": ORDER BY id, either way)
    walk the live records of one object in id order instead of sorting all of them
    (~400 ms for 500k contacts at 1M records). Partial: it holds live records only,
    which is what every index page asks for (the terms must match crm/index.py's)."""
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS record_live_type_id ON record (object_type_id, id) "
        "WHERE deleted_at IS NULL AND merged_into_id IS NULL"
    )
    # A database analysed before (a seeded one) has statistics for every index but this
    # one, and SQLite then took it for name-sorted pages too, sorting 500k rows (~110 ms).
    _analyse_records(db)


def _analyse_records(db: Database) -> None:
    """On a SQLite database analysed before, statistics for the record table's indexes
    alike (a new index has none), quickly, as the seed computes them (synth/bulk.py)."""
    if not (isinstance(db, SqliteDatabase) and db.table_exists("sqlite_stat1")):
        return
    (previous,) = db.execute_sql("PRAGMA analysis_limit").fetchone()
    db.execute_sql("PRAGMA analysis_limit = 1000")
    try:
        db.execute_sql("ANALYZE record")
    finally:
        db.execute_sql(f"PRAGMA analysis_limit = {int(previous)}")


def _label_name_keys(db: Database) -> None:
    """Label names unique per object pair whatever their case or Unicode form, by an
    index (two writers on PostgreSQL created "Mentor" and "mentor" for one pair).

    Labels that already collide are merged into the oldest: their associations carry
    the oldest instead (one history row each, source Migration), and so do limits.
    """
    if "name_key" not in {column.name for column in db.get_columns("label")}:
        db.execute_sql("ALTER TABLE label ADD COLUMN name_key VARCHAR(255) NOT NULL DEFAULT ''")
    kept: dict[tuple[int, int, str], int] = {}
    rows = db.execute_sql("SELECT id, from_type_id, to_type_id, name FROM label ORDER BY id")
    for label_id, from_type, to_type, name in rows.fetchall():
        key = label_key(name)
        first = kept.setdefault((from_type, to_type, key), label_id)
        if first == label_id:
            db.execute_sql(
                f"UPDATE label SET name_key = {db.param} WHERE id = {db.param}", (key, label_id)
            )
        else:
            _merge_label(db, label_id, first)
    db.execute_sql(
        "CREATE UNIQUE INDEX IF NOT EXISTS label_from_type_id_to_type_id_name_key "
        "ON label (from_type_id, to_type_id, name_key)"
    )


def _merge_label(db: Database, duplicate: int, keep: int) -> None:
    p = db.param
    touched = [
        row[0]
        for row in db.execute_sql(
            f"SELECT DISTINCT association_id FROM association_label WHERE label_id = {p}",
            (duplicate,),
        ).fetchall()
    ]
    db.execute_sql(
        f"DELETE FROM association_label WHERE label_id = {p} AND EXISTS (SELECT 1 FROM "
        f"association_label k WHERE k.association_id = association_label.association_id "
        f"AND k.label_id = {p} AND k.forward = association_label.forward)",
        (duplicate, keep),
    )
    db.execute_sql(
        f"UPDATE association_label SET label_id = {p} WHERE label_id = {p}", (keep, duplicate)
    )
    db.execute_sql(
        f"UPDATE association_limit SET label_id = {p} WHERE label_id = {p}", (keep, duplicate)
    )
    db.execute_sql(f"DELETE FROM label WHERE id = {p}", (duplicate,))
    actor = _os_account()
    for assoc_id in touched:
        a, b, a_type, b_type, apb, bpa = db.execute_sql(
            "SELECT a_id, b_id, a_type_id, b_type_id, a_primary_b, b_primary_a "
            f"FROM association WHERE id = {p}",
            (assoc_id,),
        ).fetchone()
        pairs = sorted(
            [int(lid), bool(fwd)]
            for lid, fwd in db.execute_sql(
                f"SELECT label_id, forward FROM association_label WHERE association_id = {p}",
                (assoc_id,),
            ).fetchall()
        )
        db.execute_sql(
            "INSERT INTO history (at, a_id, b_id, a_type_id, b_type_id, action, labels, "
            "a_primary_b, b_primary_a, source, actor) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, 'updated', {p}, {p}, {p}, 'Migration', {p})",
            (utcnow(), a, b, a_type, b_type, json.dumps(pairs), bool(apb), bool(bpa), actor),
        )


def _os_account() -> str:
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _history_append_only(db: Database) -> None:
    """Triggers refuse UPDATE and DELETE on history (store/history_guard.py)."""
    from rolodex.store import history_guard

    history_guard.install(db)


_SEARCH_TEXT = "name_key, email, domain"


def _search_casefolded(db: Database) -> None:
    """Search matches the casefolded name (name_key, as it sorts), so that "SS" finds
    "Straße"; and finds one- and two-character substrings through the index too.

    SQLite: the FTS5 trigram table indexes name_key, email and domain each followed by
    two U+0001 characters (through the view record_search_text), so that every
    occurrence of a one- or two-character text starts a trigram; the fts5vocab table
    record_search_terms lists those trigrams, and a range of it gives the trigrams that
    start with a short query. The covering index record_search_keys reads a candidate's
    object, liveness and sort key without reading its row (crm/search.py).
    PostgreSQL: a pg_trgm index on name_key instead of name (when pg_trgm is there).
    """
    if isinstance(db, SqliteDatabase):
        for trigger in ("record_search_ai", "record_search_ad", "record_search_au"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        db.execute_sql("DROP TABLE IF EXISTS record_search")
        pad = "char(1, 1)"
        db.execute_sql(
            "CREATE VIEW IF NOT EXISTS record_search_text AS SELECT id, "
            f"name_key || {pad} AS name_key, email || {pad} AS email, "
            f"domain || {pad} AS domain FROM record"
        )
        db.execute_sql(
            f"CREATE VIRTUAL TABLE record_search USING fts5({_SEARCH_TEXT}, "
            "content='record_search_text', content_rowid='id', tokenize='trigram')"
        )
        new = f"new.id, new.name_key || {pad}, new.email || {pad}, new.domain || {pad}"
        old = f"old.id, old.name_key || {pad}, old.email || {pad}, old.domain || {pad}"
        insert = f"INSERT INTO record_search(rowid, {_SEARCH_TEXT}) VALUES ({new});"
        delete = (
            f"INSERT INTO record_search(record_search, rowid, {_SEARCH_TEXT}) "
            f"VALUES ('delete', {old});"
        )
        db.execute_sql(f"CREATE TRIGGER record_search_ai AFTER INSERT ON record BEGIN {insert} END")
        db.execute_sql(f"CREATE TRIGGER record_search_ad AFTER DELETE ON record BEGIN {delete} END")
        db.execute_sql(
            f"CREATE TRIGGER record_search_au AFTER UPDATE OF {_SEARCH_TEXT} ON record "
            f"BEGIN {delete} {insert} END"
        )
        db.execute_sql("INSERT INTO record_search(record_search) VALUES ('rebuild')")
        db.execute_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS record_search_terms "
            "USING fts5vocab(record_search, 'row')"
        )
        db.execute_sql(
            "CREATE INDEX IF NOT EXISTS record_search_keys "
            "ON record (id, object_type_id, name_key, deleted_at, merged_into_id)"
        )
    elif isinstance(db, PostgresqlDatabase):
        if not db.execute_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").fetchone():
            return  # no pg_trgm: search scans (see _search_index)
        db.execute_sql(
            "CREATE INDEX IF NOT EXISTS record_name_key_trgm "
            "ON record USING gin (name_key gin_trgm_ops)"
        )
        db.execute_sql("DROP INDEX IF EXISTS record_name_trgm")


def _source_keys(db: Database) -> None:
    """Records keep every id other systems gave them (any text, per system and object) in
    the import's ``source_key`` table; the ids imported so far become those of the default
    system. History gets an index per pair: an import's revert asks, for each association
    it made, what happened to that pair before and since (a company with 50,000 contacts
    would otherwise be read whole per pair); and the few merged records one by the record
    they were merged into. The database gets its identity now, so that an export (a read)
    never has to write it."""
    import uuid

    from rolodex.store.import_models import SourceKey

    db.create_tables([SourceKey], safe=True)
    db.execute_sql(
        "INSERT INTO source_key (record_id, object_type_id, system, key)"
        " SELECT id, object_type_id, '', source_id FROM record WHERE source_id IS NOT NULL"
    )
    db.execute_sql("CREATE INDEX IF NOT EXISTS history_pair ON history (a_id, b_id, id)")
    # Which records were merged into these (a revert keeps a record others were merged into).
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS record_merged_into ON record (merged_into_id)"
        " WHERE merged_into_id IS NOT NULL"
    )
    db.execute_sql(
        f"INSERT INTO meta (key, value) VALUES ('database_id', {db.param}) ON CONFLICT DO NOTHING",
        (uuid.uuid4().hex,),
    )


# The built-in company hierarchy (design: HubSpot's "Parent company" / "Child company"):
# "associate GROUP SUBSIDIARY --label 'Parent company'" makes GROUP the subsidiary's parent.
PARENT_COMPANY = "Parent company"
CHILD_COMPANY = "Child company"


def _columns(db: Database, table: str) -> set[str]:
    return {column.name for column in db.get_columns(table)}


def _hierarchies(db: Database) -> None:
    """Hierarchical labels: the flag on label, the built-in company hierarchy, and the
    trigger that allows a record one parent under such a label (store/hierarchy_guard.py).

    A database that already has a company -> company label "Parent company" (synthetic
    data defines "Parent company" / "Subsidiary") keeps it, with its own inverse, and it
    becomes the hierarchy when it is paired and its associations form one already (no
    company with two parents, no cycle); otherwise it stays an ordinary label.
    """
    from rolodex.store import hierarchy_guard

    if "hierarchical" not in _columns(db, "label"):
        db.execute_sql("ALTER TABLE label ADD COLUMN hierarchical BOOLEAN NOT NULL DEFAULT FALSE")
    p = db.param
    row = db.execute_sql(f"SELECT id FROM object_type WHERE key = {p}", ("company",)).fetchone()
    if row is not None:
        company = int(row[0])
        words = {label_key(PARENT_COMPANY), label_key(CHILD_COMPANY)}
        taken = [
            (int(label_id), name, inverse)
            for label_id, name, inverse in db.execute_sql(
                "SELECT id, name, inverse FROM label "
                f"WHERE from_type_id = {p} AND to_type_id = {p} ORDER BY id",
                (company, company),
            ).fetchall()
            if words & {label_key(name), label_key(inverse or "")}
        ]
        if not taken:
            db.execute_sql(
                "INSERT INTO label (from_type_id, to_type_id, name, inverse, name_key, "
                f"hierarchical) VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
                (company, company, PARENT_COMPANY, CHILD_COMPANY, label_key(PARENT_COMPANY), True),
            )
        else:
            label_id, name, inverse = taken[0]
            if (
                len(taken) == 1
                and label_key(name) == label_key(PARENT_COMPANY)
                and inverse
                and _forms_a_forest(db, label_id)
            ):
                db.execute_sql(
                    f"UPDATE label SET hierarchical = {p} WHERE id = {p}", (True, label_id)
                )
    hierarchy_guard.install(db)


def _forms_a_forest(db: Database, label_id: int) -> bool:
    """Whether the associations carrying the label give each record one parent at most
    and no record is its own ancestor."""
    parent_of: dict[int, int] = {}
    for parent, child in db.execute_sql(
        "SELECT CASE WHEN l.forward THEN s.a_id ELSE s.b_id END, "
        "CASE WHEN l.forward THEN s.b_id ELSE s.a_id END FROM association_label l "
        f"JOIN association s ON s.id = l.association_id WHERE l.label_id = {db.param}",
        (label_id,),
    ).fetchall():
        if child in parent_of:
            return False
        parent_of[int(child)] = int(parent)
    settled: set[int] = set()
    for start in parent_of:
        path: set[int] = set()
        node: int | None = start
        while node is not None and node not in settled:
            if node in path:
                return False
            path.add(node)
            node = parent_of.get(node)
        settled |= path
    return True


def _history_undoes(db: Database) -> None:
    """An undo is a new change whose history row names the row it reverts (crm/undo.py).
    History stays append-only: a nullable column, filled on insert only."""
    if "undoes" not in _columns(db, "history"):
        db.execute_sql("ALTER TABLE history ADD COLUMN undoes BIGINT")


def _live_name_index(db: Database) -> None:
    """A jump deep into a name-sorted index (End, or dragging to 90%: OFFSET 450,000)
    walked the (object, name, id) index and read every skipped record from the table
    to test it is live: 0.6-1.4 s at 1M records, while the app piled up reads. Partial
    like record_live_type_id, the walk needs no table: 19 ms at 255,000, 54 ms at 450,000."""
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS record_live_name ON record (object_type_id, name_key, id) "
        "WHERE deleted_at IS NULL AND merged_into_id IS NULL"
    )
    _analyse_records(db)


MIGRATIONS: list[Callable[[Database], None]] = [
    _create_tables,
    _search_index,
    _import_tables,
    _name_prefix_index,
    _live_created_index,
    _history_append_only,  # 6
    _label_name_keys,  # 7
    _search_casefolded,  # 8
    _source_keys,  # 9
    _hierarchies,  # 10
    _history_undoes,  # 11
    _live_name_index,  # 12
]
LATEST = len(MIGRATIONS)


def current_version(db: Database) -> int:
    if not db.table_exists("meta"):
        return 0
    row = Meta.get_or_none(Meta.key == SCHEMA_KEY)
    return int(row.value) if row else 0


def upgrade(db: Database, target: int = LATEST) -> int:
    """Apply the missing migrations up to ``target``; returns the new version."""
    version = current_version(db)
    if version > LATEST:
        from rolodex.i18n import _

        raise DatabaseOpenError(
            _("this database has schema version {v}; this Rolodex knows up to {latest}").format(
                v=version, latest=LATEST
            )
        )
    while version < target:
        with db.atomic():
            MIGRATIONS[version](db)
            version += 1
            Meta.insert(key=SCHEMA_KEY, value=str(version)).on_conflict(
                conflict_target=[Meta.key], update={Meta.value: str(version)}
            ).execute()
            if version == 1:
                from rolodex.store.seed_types import install_standard_types

                install_standard_types()
    return version
