"""Raw SQL for bulk reads and writes, and the only place outside papers/search/backends.py that asks
which database it runs on.

The importer, the search index's upkeep and curation write thousands of rows at a time; building a
model instance (or an ORM `__in` lookup) per row cost more than the database's own work. So they
write plain tuples here: multi-row INSERT on SQLite, COPY on PostgreSQL, and look rows up by IN lists
(SQLite) or one array (PostgreSQL). Every batched loop uses chunks() with its one size.
"""

from django.db import connection

# Rows per statement or lookup; SQLite refuses statements with more bound parameters than its limit.
CHUNK = 500


def is_postgresql():
    return connection.vendor == "postgresql"


def chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _table(model_or_table):
    return model_or_table if isinstance(model_or_table, str) else model_or_table._meta.db_table


def insert(model, columns, rows, *, returning=()):
    """Insert plain tuples in bulk into a model's table (or a table named); returns the `returning`
    columns' rows.

    SQLite takes multi-row INSERT statements; PostgreSQL takes COPY, which writes 100 papers in 8 ms
    where a VALUES list or unnest() of arrays took 18-25 ms (measured).
    """
    if not rows:
        return []
    if is_postgresql():
        return _copy(_table(model), columns, rows, returning=returning)
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(_table(model))} ({', '.join(map(quote, columns))}) VALUES "
    tail = f" RETURNING {', '.join(map(quote, returning))}" if returning else ""
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, connection.features.max_query_params // len(columns))
    returned = []
    with connection.cursor() as cursor:
        for chunk in chunks(rows, per_statement):
            cursor.execute(head + ", ".join([placeholder] * len(chunk)) + tail, [v for r in chunk for v in r])
            if returning:
                returned.extend(cursor.fetchall())
    return returned


def _copy(table, columns, rows, *, returning):
    """PostgreSQL: COPY the rows in. COPY returns nothing, so when ids are wanted they are drawn
    from the table's sequence first, in one query, and written with the rows."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [quote(table), len(rows)],
            )
            columns = ("id", *columns)
            rows = [(pk, *row) for (pk,), row in zip(cursor.fetchall(), rows, strict=True)]
        sql = f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN"
        # psycopg's own errors become Django's, as they do for cursor.execute().
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    where = [columns.index(c) for c in returning]
    return [tuple(row[i] for i in where) for row in rows] if returning else []


def select_in(model, columns, column, values):
    """The `columns` of the rows of `model` whose `column` is one of `values`, as tuples."""
    quote = connection.ops.quote_name
    select = f"SELECT {', '.join(map(quote, columns))} FROM {quote(_table(model))} WHERE "
    rows = []
    with connection.cursor() as cursor:
        for condition, params in is_one_of(quote(column), values):
            cursor.execute(select + condition, params)
            rows.extend(cursor.fetchall())
    return rows


def delete_in(model, column, values):
    """Delete the rows of `model` whose `column` is one of `values`."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for condition, params in is_one_of(quote(column), values):
            cursor.execute(f"DELETE FROM {quote(_table(model))} WHERE {condition}", params)


def is_one_of(column, values):
    """(SQL condition, parameters) pairs that together find the rows whose `column` is in `values`.

    PostgreSQL takes them as one array; SQLite as IN lists short enough for its parameter limit.
    """
    values = sorted(set(values))
    if not values:
        return
    if is_postgresql():
        yield f"{column} = ANY(%s)", [values]
        return
    for chunk in chunks(values):
        yield f"{column} IN ({', '.join(['%s'] * len(chunk))})", chunk


def analyze(models):
    """Refresh PostgreSQL's planner statistics on the tables a bulk load grew.

    Without them PostgreSQL plans a lookup of 100 names in a table it believes empty as a full
    scan: importing 30,000 entries into a new database took 3 times as long. Autovacuum would
    catch up eventually (when it is on, at its next round), so a bulk load does what PostgreSQL's
    manual advises after one: ANALYZE. SQLite is left without statistics on purpose: its default
    assumption that an index is selective is right for every lookup here, while ANALYZE judged the
    mostly-NULL abstract_zh_key index useless and made imports scan the entries (2.5 times slower).
    """
    if not is_postgresql():
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(_table(m)) for m in models))


def analyze_for_readers(models):
    """Planner statistics for a database that is read next rather than written: a generated corpus.

    PostgreSQL: analyze(). SQLite: ANALYZE as well, where analyze() leaves it out: its reason is the
    importer's lookups, while pages are what read a generated corpus, as benchmarks have read theirs.
    It does give pages plans an imported SQLite database never has: at 100,000 papers the area and
    institution filter of `/` took 500 ms with the statistics and 210 ms without (measured).
    """
    if is_postgresql():
        analyze(models)
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# Any fixed number: the key of PostgreSQL's advisory lock that writers of digests take.
WRITER_LOCK = 0x5045_5045


def one_writer_at_a_time():
    """Wait until no other import is writing, for the rest of this transaction.

    Imports are one writer's work (SQLite takes its write lock when the transaction begins, as
    `transaction_mode = IMMEDIATE` says): on PostgreSQL a transaction-scoped advisory lock does the
    same, so a second `load_digests` waits file by file instead of failing on a duplicate key.
    Readers are never blocked by it.
    """
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITER_LOCK])


def plan_for_hot_indexes():
    """PostgreSQL: plan this transaction's lookups for index pages that are in memory.

    An import looks up hundreds of names, ids and keys per file in indexes that a load keeps hot.
    With the default random_page_cost (4, a spinning disk's) the planner judged 600 probes of the
    author name index dearer than reading the whole table: 11 ms instead of 2.7 ms per file at
    100,000 authors. SET LOCAL ends with the transaction; the portal's pages keep the server's setting.
    """
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL random_page_cost = 1.1")


# The site version's triggers (models.SiteVersion): the bump is an upsert, so a table emptied by a
# test run's flush (TRUNCATE on PostgreSQL) gets its row back.
SITE_VERSION_BUMP = (
    "INSERT INTO papers_siteversion (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = papers_siteversion.version + 1"
)


def watch_for_site_version(schema_editor, tables):
    """Make every write to `tables` move the site version, in the writer's own transaction.

    For migrations: a table whose rows a page or feed shows is listed in models.SITE_VERSION_TABLES
    and watched by the migration that creates it. PostgreSQL fires once per statement; SQLite only
    has row triggers (about a microsecond each), and drops them when a migration rebuilds the table,
    so such a migration must call this again.
    """
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION papers_bump_site_version() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {SITE_VERSION_BUMP}; RETURN NULL; END $$"
        )
        for table in tables:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_site_version ON {table}")
            schema_editor.execute(
                f"CREATE TRIGGER {table}_site_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION papers_bump_site_version()"
            )
    elif vendor == "sqlite":
        for table in tables:
            for event in ("INSERT", "UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_site_version_{event.lower()} AFTER {event} "
                    f"ON {table} BEGIN {SITE_VERSION_BUMP}; END"
                )
    else:
        raise NotImplementedError(f"site version triggers exist for SQLite and PostgreSQL, not {vendor}")


def unwatch_for_site_version(schema_editor, tables):
    """Undo watch_for_site_version() for `tables` (a migration's reverse)."""
    for table in tables:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_site_version ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_site_version_{event}")


# models.PaperCount's triggers. A paper counts once in (0, its area) and once in (institution, its
# area) for each institution it lists (an institution is listed once per paper), while it is
# published. Each statement adds a paper's (or an affiliation's) share with a sign: an update takes
# the old row's share away and adds the new one's, and a delete takes it away whichever of the paper
# and its affiliations goes first (the other then finds nothing to count).
COUNTS = "papers_papercount"
_UPSERT = f" ON CONFLICT (institution_id, area_id) DO UPDATE SET n = {COUNTS}.n + excluded.n"


def _paper_share(row, sign):
    return [
        f"INSERT INTO {COUNTS} (institution_id, area_id, n) SELECT 0, COALESCE({row}.area_id, 0), {sign} "
        f"WHERE {row}.is_published" + _UPSERT,
        f"INSERT INTO {COUNTS} (institution_id, area_id, n) "
        f"SELECT a.institution_id, COALESCE({row}.area_id, 0), {sign} * COUNT(*) FROM papers_affiliation a "
        f"WHERE a.paper_id = {row}.id AND {row}.is_published GROUP BY a.institution_id" + _UPSERT,
    ]


def _affiliation_share(row, sign):
    return [
        f"INSERT INTO {COUNTS} (institution_id, area_id, n) "
        f"SELECT {row}.institution_id, COALESCE(p.area_id, 0), {sign} FROM papers_paper p "
        f"WHERE p.id = {row}.paper_id AND p.is_published" + _UPSERT,
    ]


# table: (share, the columns whose change moves a count)
_COUNTED = {
    "papers_paper": (_paper_share, ("is_published", "area_id")),
    "papers_affiliation": (_affiliation_share, ("institution_id", "paper_id")),
}


def count_published_papers(schema_editor):
    """Create models.PaperCount's triggers and fill it from the rows there are (for migrations).

    Like the site version's, SQLite drops these triggers when a migration rebuilds papers_paper or
    papers_affiliation, so such a migration must call this again (tests/test_counts.py fails if not).
    """
    vendor = schema_editor.connection.vendor
    for table, (share, columns) in _COUNTED.items():
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
        if vendor == "postgresql":
            body = (
                "IF TG_OP IN ('UPDATE', 'DELETE') THEN " + "; ".join(share("OLD", -1)) + "; END IF; "
                "IF TG_OP IN ('UPDATE', 'INSERT') THEN " + "; ".join(share("NEW", 1)) + "; END IF; "
            )
            schema_editor.execute(
                f"CREATE OR REPLACE FUNCTION {table}_count() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN {body} RETURN NULL; END $$"
            )
            for name, event, when in (
                ("count", "INSERT OR DELETE", ""),
                ("count_update", f"UPDATE OF {', '.join(columns)}", f"WHEN ({changed})"),
            ):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}")
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_{name} AFTER {event} ON {table} FOR EACH ROW {when} "
                    f"EXECUTE FUNCTION {table}_count()"
                )
        elif vendor == "sqlite":
            changed = changed.replace("IS DISTINCT FROM", "IS NOT")
            for event, when, statements in (
                ("INSERT", "", share("NEW", 1)),
                ("DELETE", "", share("OLD", -1)),
                (f"UPDATE OF {', '.join(columns)}", f"WHEN {changed}", share("OLD", -1) + share("NEW", 1)),
            ):
                name = f"{table}_count_{event.split()[0].lower()}"
                schema_editor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {table} {when} "
                    f"BEGIN {'; '.join(statements)}; END"
                )
        else:
            raise NotImplementedError(f"paper counts have triggers for SQLite and PostgreSQL, not {vendor}")
    recount_published_papers(schema_editor.connection)


def recount_published_papers(db):
    """Refill models.PaperCount from the papers and affiliations (what the triggers keep it equal to);
    `db` is a connection. After every migrate and flush (papers.signals)."""
    if COUNTS not in db.introspection.table_names():
        return  # migrated back to before the table
    with db.cursor() as cursor:
        cursor.execute(f"DELETE FROM {COUNTS}")
        cursor.execute(
            f"INSERT INTO {COUNTS} (institution_id, area_id, n) SELECT 0, COALESCE(area_id, 0), COUNT(*) "
            "FROM papers_paper WHERE is_published GROUP BY COALESCE(area_id, 0)"
        )
        cursor.execute(
            f"INSERT INTO {COUNTS} (institution_id, area_id, n) "
            "SELECT a.institution_id, COALESCE(p.area_id, 0), COUNT(*) FROM papers_affiliation a "
            "JOIN papers_paper p ON p.id = a.paper_id WHERE p.is_published "
            "GROUP BY a.institution_id, COALESCE(p.area_id, 0)"
        )


def uncount_published_papers(schema_editor):
    """Undo count_published_papers() (a migration's reverse)."""
    for table in _COUNTED:
        if schema_editor.connection.vendor == "postgresql":
            for name in ("count", "count_update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_count()")
        else:
            for event in ("insert", "delete", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_count_{event}")
