"""Schema versions. Each migration upgrades an older database in place, in order."""

from __future__ import annotations

from collections.abc import Callable

from peewee import Database, PostgresqlDatabase, SqliteDatabase

from rolodex.store.models import MODELS, Meta

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
    from rolodex.io.models import IO_MODELS

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
    if isinstance(db, SqliteDatabase) and db.table_exists("sqlite_stat1"):
        # A database analysed before (a seeded one) has statistics for every index but
        # this one, and SQLite then took it for name-sorted pages too, sorting 500k rows
        # (~110 ms). Statistics for the record table's indexes alike, quickly, as the seed
        # computes them (synth/bulk.py).
        (previous,) = db.execute_sql("PRAGMA analysis_limit").fetchone()
        db.execute_sql("PRAGMA analysis_limit = 1000")
        try:
            db.execute_sql("ANALYZE record")
        finally:
            db.execute_sql(f"PRAGMA analysis_limit = {int(previous)}")


def _source_keys(db: Database) -> None:
    """Records keep every id other systems gave them (any text, per system and object) in
    the import's ``source_key`` table; the ids imported so far become those of the default
    system. History gets an index per pair: an import's revert asks, for each association
    it made, what happened to that pair before and since (a company with 50,000 contacts
    would otherwise be read whole per pair); and the few merged records one by the record
    they were merged into."""
    from rolodex.io.models import SourceKey

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


MIGRATIONS: list[Callable[[Database], None]] = [
    _create_tables,
    _search_index,
    _import_tables,
    _name_prefix_index,
    _live_created_index,
    _source_keys,
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

        raise RuntimeError(
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
