"""Migration 5: index pages sorted by creation ("newest first", "oldest first") walk an
index of live records in id order, instead of sorting every record of the object, on a
new database and on one upgraded from version 4, without slowing the name sorts."""

from __future__ import annotations

from rolodex import bench
from rolodex.crm import index, lifecycle, objects, records
from rolodex.store import migrations
from rolodex.store.database import is_sqlite, open_database
from rolodex.store.models import database
from tests.conftest import PG_URL, database_at_version

LIVE_INDEX = "record_live_type_id"


def _indexes() -> set[str]:
    db = database.obj
    if is_sqlite(db):
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'record'"
    else:
        sql = "SELECT indexname FROM pg_indexes WHERE tablename = 'record'"
    return {name for (name,) in db.execute_sql(sql).fetchall()}


def _statements_of(fn) -> list[tuple[str, tuple]]:
    """The statements (and parameters) ``fn`` runs through the database's cursors."""
    db = database.obj
    real = db.cursor
    seen: list[tuple[str, tuple]] = []

    class Recording:
        def __init__(self, cursor):
            self.cursor = cursor

        def execute(self, sql, params=()):
            seen.append((sql, tuple(params)))
            return self.cursor.execute(sql, params)

        def __getattr__(self, name):
            return getattr(self.cursor, name)

    db.cursor = lambda *a, **kw: Recording(real(*a, **kw))
    try:
        fn()
    finally:
        del db.cursor
    return seen


def _plan_of_page(sort: str, after: tuple | None = None) -> str:
    """SQLite's plan for the rows statement index.page runs (the first it runs)."""
    [(sql, params), *_rest] = _statements_of(
        lambda: index.page("contact", sort=sort, after=after, limit=3)
    )
    assert sql.lstrip().upper().startswith("SELECT") and "FROM record" in sql
    rows = database.obj.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    return " / ".join(str(r[-1]) for r in rows)


def _people(ctx, n: int = 12) -> list[int]:
    made = [records.create("contact", {"first_name": f"Person {i:02}"}).id for i in range(n)]
    records.create("company", {"name": "Between"})  # another object's ids in between
    made.append(records.create("contact", {"first_name": "Last"}).id)
    lifecycle.delete(made[3], ctx)
    lifecycle.merge(made[5], made[6], ctx)  # made[6] is merged away
    return [rid for rid in made if rid not in (made[3], made[6])]


def _all_pages(sort: str, limit: int = 4) -> list[int]:
    seen: list[int] = []
    after = None
    while True:
        page = index.page("contact", sort=sort, after=after, limit=limit)
        seen += [row.id for row in page.rows]
        if page.after is None:
            return seen
        after = page.after


def test_a_version_4_database_gains_the_index_and_pages_by_creation_show_live_records(db_url, ctx):
    old = database_at_version(db_url, 4)
    live = _people(ctx)
    assert LIVE_INDEX not in _indexes()
    old.close()
    objects.invalidate()
    upgraded = open_database(db_url)
    try:
        assert migrations.current_version(upgraded) == migrations.LATEST >= 5
        assert LIVE_INDEX in _indexes()
        assert _all_pages("-created") == sorted(live, reverse=True)
        assert _all_pages("created") == sorted(live)
        # later records and deletions are seen at once
        newest = records.create("contact", {"first_name": "Newest"}).id
        lifecycle.delete(live[0], ctx)
        assert _all_pages("-created")[:1] == [newest]
        assert live[0] not in _all_pages("created")
        assert migrations.upgrade(upgraded) == migrations.LATEST  # a second open: no-op
    finally:
        upgraded.close()
        objects.invalidate()


def test_sqlite_walks_the_index_for_created_sorts_and_keeps_the_name_index(db_url, ctx):
    """An analysed database (as `rolodex seed` leaves it) upgraded to version 5: SQLite
    must not take the new index for name sorts (it would sort every contact)."""
    if PG_URL:
        return  # EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans by its own statistics
    old = database_at_version(db_url, 4)
    for i in range(300):
        records.create("contact", {"first_name": f"P{i:03}"})
    for i in range(30):
        records.create("company", {"name": f"C{i:03}"})
    old.execute_sql("ANALYZE")
    old.close()
    objects.invalidate()
    upgraded = open_database(db_url)
    try:
        deep = index.page("contact", sort="-created", limit=250).after
        later = index.page("contact", sort="created", limit=250).after
        for sort, after in (
            ("-created", None),
            ("-created", deep),
            ("created", None),
            ("created", later),
        ):
            plan = _plan_of_page(sort, after)
            assert LIVE_INDEX in plan and "TEMP B-TREE" not in plan, (sort, plan)
            if after is not None:
                # a deep page seeks to its cursor instead of walking the rows before it
                assert "id<?" in plan or "id>?" in plan, (sort, plan)
        for sort in ("name", "-name"):
            plan = _plan_of_page(sort)
            named = "name_key" in plan or "record_live_name" in plan
            assert named and "TEMP B-TREE" not in plan, (sort, plan)
    finally:
        upgraded.close()
        objects.invalidate()


def test_a_deep_jump_in_a_name_sorted_index_walks_only_the_live_name_index(db_url, ctx):
    """An analysed version-11 database upgraded: a page 200 rows deep by name (End, or
    a jump to 90%) skips rows inside record_live_name, never reading the table for them."""
    if PG_URL:
        return  # EXPLAIN QUERY PLAN is SQLite's
    old = database_at_version(db_url, 11)
    made = [records.create("contact", {"first_name": f"P{i:03}"}).id for i in range(300)]
    lifecycle.delete(made[10], ctx)
    old.execute_sql("ANALYZE")
    old.close()
    objects.invalidate()
    upgraded = open_database(db_url)
    try:
        objects.by_key("contact")  # the object cache first: the page's statement alone below
        [(sql, params), *_rest] = [
            (sql, params)
            for sql, params in _statements_of(
                lambda: index.page("contact", sort="name", offset=200, limit=3)
            )
            if "FROM record" in sql and "OFFSET" in sql.upper()
        ]
        rows = database.obj.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        plan = " / ".join(str(r[-1]) for r in rows)
        assert "record_live_name" in plan and "TEMP B-TREE" not in plan, plan
        page = index.page("contact", sort="name", offset=200, limit=3)
        live = [i for i in made if i != made[10]]
        assert [row.id for row in page.rows] == live[200:203]
    finally:
        upgraded.close()
        objects.invalidate()


def test_the_benchmark_baseline_reads_the_rows_the_created_pages_show(db, db_url, ctx):
    live = _people(ctx)
    company = objects.by_key("company").id
    contact = objects.by_key("contact").id
    conn = bench.raw_connect(db_url)
    try:
        for sort, after, want in (
            ("-created", None, sorted(live, reverse=True)),
            ("-created", (live[4],), sorted((i for i in live if i < live[4]), reverse=True)),
            ("created", None, sorted(live)),
            ("created", (live[4],), sorted(i for i in live if i > live[4])),
        ):
            ours = [row.id for row in index.page("contact", sort=sort, after=after, limit=50).rows]
            rows, _counts, _primaries = bench.raw_index_page(
                conn, contact, after, [company], company, sort
            )
            assert ours == [r[0] for r in rows] == want, sort
    finally:
        conn.close()
