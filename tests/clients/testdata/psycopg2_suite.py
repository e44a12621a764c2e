"""psycopg2 against streamdb: run by TestPsycopg2 with the DSN as argv[1].

Every check raises AssertionError with a message; the Go test shows the
output. Prints "psycopg2 suite: N checks passed" at the end.
"""
import datetime
import decimal
import io
import json
import sys

import psycopg2
import psycopg2.extras

checks = 0


def check(cond, msg):
    global checks
    if not cond:
        raise AssertionError(msg)
    checks += 1


conn = psycopg2.connect(sys.argv[1], connect_timeout=10)
conn.autocommit = False
cur = conn.cursor()

cur.execute("SELECT 1 + 1, 'x' || 'y'")
check(cur.fetchone() == (2, "xy"), "simple select")

cur.execute("CREATE TABLE people (id int PRIMARY KEY, name text NOT NULL, height numeric(5,2), born date, seen timestamptz, tags text[], extra jsonb, active boolean)")
conn.commit()

rows = [
    (i, "person %d" % i, decimal.Decimal("1.%02d" % i), datetime.date(1990, 1, 1) + datetime.timedelta(days=i),
     datetime.datetime(2024, 1, 1, 12, 0, tzinfo=datetime.timezone.utc) + datetime.timedelta(minutes=i),
     ["t%d" % i, "common"], json.dumps({"n": i}), i % 2 == 0)
    for i in range(1, 101)
]
cur.executemany("INSERT INTO people VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)
conn.commit()

cur.execute("SELECT count(*), sum(height) FROM people")
count, total = cur.fetchone()
check(count == 100, "count after executemany: %r" % count)
check(total == sum(r[2] for r in rows), "sum of numeric: %r" % total)

# Types come back as Python values.
cur.execute("SELECT id, name, height, born, seen, tags, extra, active FROM people WHERE id = %s", (7,))
row = cur.fetchone()
check(row[0] == 7 and row[1] == "person 7", "int and text: %r" % (row,))
check(row[2] == decimal.Decimal("1.07"), "numeric: %r" % (row[2],))
check(row[3] == datetime.date(1990, 1, 8), "date: %r" % (row[3],))
check(row[4] == datetime.datetime(2024, 1, 1, 12, 7, tzinfo=datetime.timezone.utc), "timestamptz: %r" % (row[4],))
check(row[5] == ["t7", "common"], "text[]: %r" % (row[5],))
check(row[6] == {"n": 7}, "jsonb: %r" % (row[6],))
check(row[7] is False, "boolean: %r" % (row[7],))

cur.execute("SELECT NULL::int, %s::bytea, %s::interval, %s::float8", (psycopg2.Binary(b"\x00\x01\xff"), datetime.timedelta(days=1, seconds=5), 2.5))
n, b, iv, f = cur.fetchone()
check(n is None, "NULL")
check(bytes(b) == b"\x00\x01\xff", "bytea: %r" % (b,))
check(iv == datetime.timedelta(days=1, seconds=5), "interval: %r" % (iv,))
check(f == 2.5, "float8: %r" % (f,))

# Quoting of awkward strings through client-side parameter interpolation.
awkward = "it's a \"test\"; -- not a comment \\ backslash"
cur.execute("SELECT %s", (awkward,))
check(cur.fetchone()[0] == awkward, "string quoting")

# fetchmany over a client-side cursor.
cur.execute("SELECT id FROM people ORDER BY id")
got = []
while True:
    batch = cur.fetchmany(30)
    if not batch:
        break
    check(len(batch) <= 30, "fetchmany batch size")
    got.extend(r[0] for r in batch)
check(got == list(range(1, 101)), "fetchmany rows")
check(cur.rowcount == 100, "rowcount of select: %r" % cur.rowcount)

# rowcount of DML.
cur.execute("UPDATE people SET active = NOT active WHERE id <= 10")
check(cur.rowcount == 10, "rowcount of update: %r" % cur.rowcount)
conn.rollback()
cur.execute("SELECT count(*) FROM people WHERE active")
check(cur.fetchone()[0] == 50, "rollback undid the update")

# Errors carry the SQLSTATE and the transaction must be rolled back.
try:
    cur.execute("INSERT INTO people (id, name) VALUES (1, 'dup')")
    check(False, "duplicate insert succeeded")
except psycopg2.errors.UniqueViolation as e:
    check(e.pgcode == "23505", "pgcode %r" % e.pgcode)
try:
    cur.execute("SELECT 1")
    check(False, "statement in failed transaction succeeded")
except psycopg2.errors.InFailedSqlTransaction:
    checks += 1
conn.rollback()

# COPY through copy_expert, both directions.
out = io.StringIO()
cur.copy_expert("COPY (SELECT id, name, born FROM people WHERE id <= 3 ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER true)", out)
check(out.getvalue() == "id,name,born\n1,person 1,1990-01-02\n2,person 2,1990-01-03\n3,person 3,1990-01-04\n", "copy out: %r" % out.getvalue())
cur.execute("CREATE TABLE people_copy (id int, name text, born date)")
cur.copy_expert("COPY people_copy FROM STDIN WITH (FORMAT csv, HEADER true)", io.StringIO(out.getvalue()))
conn.commit()
cur.execute("SELECT count(*), max(name) FROM people_copy")
check(cur.fetchone() == (3, "person 3"), "copy in")

cur.copy_from(io.StringIO("10\tten\t2000-01-01\n11\t\\N\t\\N\n"), "people_copy", columns=("id", "name", "born"))
conn.commit()
cur.execute("SELECT count(*), count(name) FROM people_copy")
check(cur.fetchone() == (5, 4), "copy_from")

# Dict cursor and server-side parameters of many types.
dcur = conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)
dcur.execute("SELECT id, name FROM people WHERE id = ANY(%s) ORDER BY id", ([2, 4],))
check([dict(r) for r in dcur.fetchall()] == [{"id": 2, "name": "person 2"}, {"id": 4, "name": "person 4"}], "dict cursor with array parameter")

# Named (server-side) cursors: DECLARE ... CURSOR, then FETCH in itersize
# batches inside the transaction; scroll and WITH HOLD variants.
# A server without cursors must say so with 0A000 (reported as a gap).
try:
    named = conn.cursor(name="people_cursor")
    named.itersize = 17
    named.execute("SELECT id, name FROM people WHERE id %% 2 = %s ORDER BY id", (1,))
    seen = [r[0] for r in named]
    check(seen == list(range(1, 101, 2)), "named cursor iteration: %r" % seen[:5])
    named.close()
    named = conn.cursor(name="people_many")
    named.execute("SELECT id FROM people ORDER BY id")
    check([r[0] for r in named.fetchmany(3)] == [1, 2, 3], "named cursor fetchmany")
    check(named.fetchone()[0] == 4, "named cursor fetchone")
    named.scroll(10)
    check(named.fetchone()[0] == 15, "named cursor scroll (MOVE)")
    rest = named.fetchall()
    check(len(rest) == 85 and rest[-1][0] == 100, "named cursor fetchall: %d" % len(rest))
    named.close()
    conn.commit()
    held = conn.cursor(name="held", withhold=True)
    held.execute("SELECT id FROM people WHERE id <= 5 ORDER BY id")
    conn.commit()  # WITH HOLD: the cursor outlives the transaction
    check([r[0] for r in held.fetchall()] == [1, 2, 3, 4, 5], "WITH HOLD cursor after commit")
    held.close()
    conn.commit()
except psycopg2.errors.FeatureNotSupported as e:
    conn.rollback()
    print("gap: named cursors: %s" % str(e).strip())

# executemany and the fast batch helpers, with rowcount.
cur.execute("CREATE TABLE batch_target (id int PRIMARY KEY, label text)")
conn.commit()
cur.executemany("INSERT INTO batch_target VALUES (%(id)s, %(label)s)", [{"id": i, "label": "m%d" % i} for i in range(1, 51)])
check(cur.rowcount == 50, "executemany rowcount: %r" % cur.rowcount)
psycopg2.extras.execute_batch(cur, "INSERT INTO batch_target VALUES (%s, %s)", [(i, "b%d" % i) for i in range(51, 151)], page_size=30)
psycopg2.extras.execute_values(cur, "INSERT INTO batch_target (id, label) VALUES %s", [(i, "v%d" % i) for i in range(151, 301)], page_size=64)
cur.executemany("UPDATE batch_target SET label = label || '!' WHERE id = %s", [(i,) for i in range(1, 11)])
check(cur.rowcount == 10, "executemany update rowcount: %r" % cur.rowcount)
conn.commit()
cur.execute("SELECT count(*), count(*) FILTER (WHERE label LIKE '%%!'), min(id), max(id) FROM batch_target")
check(cur.fetchone() == (300, 10, 1, 300), "batch results")
returned = psycopg2.extras.execute_values(cur, "INSERT INTO batch_target VALUES %s RETURNING id", [(301, "r"), (302, "r")], fetch=True)
check(sorted(r[0] for r in returned) == [301, 302], "execute_values RETURNING: %r" % returned)
conn.commit()

conn.close()
print("psycopg2 suite: %d checks passed" % checks)
