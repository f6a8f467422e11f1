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
