// node-postgres (npm "pg") against a streamdb or PostgreSQL server.
//
//   DATABASE_URL=postgres://... STREAMDB=1 node pg.mjs
//
// STREAMDB=1 runs the streamdb-only statements (FLUSH); with STREAMDB=0 the
// same checks run against PostgreSQL, with REFRESH MATERIALIZED VIEW where
// streamdb uses FLUSH, so the expectations are known good. Every failed
// check is printed; the exit status is 1 if any failed.

import pg from "pg";
import { isDeepStrictEqual } from "node:util";

const url = process.env.DATABASE_URL;
const streamdb = process.env.STREAMDB === "1";
if (!url) {
  console.error("DATABASE_URL is not set");
  process.exit(2);
}

const failures = [];
// check compares deeply (object key order aside) and records a mismatch.
function check(what, got, want) {
  if (!isDeepStrictEqual(got, want)) {
    failures.push(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
}

// section runs one group of checks; an exception fails the group with its
// message and the server's SQLSTATE, and the next group still runs.
async function section(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (err) {
    failures.push(`${name}: ${err.code ? `[${err.code}] ` : ""}${err.message}`);
    console.log(`FAIL ${name}`);
  }
}

// expectError runs q and returns the error the server answered with.
async function expectError(client, q, values) {
  try {
    await client.query(q, values);
  } catch (err) {
    return err;
  }
  throw new Error(`no error from ${JSON.stringify(q)}`);
}

const pool = new pg.Pool({ connectionString: url, max: 10 });
pool.on("error", (err) => failures.push(`idle pool client: ${err.message}`));

const WORKERS = 8;
const PER_WORKER = 40;

await section("schema", async () => {
  await pool.query("DROP MATERIALIZED VIEW IF EXISTS item_totals");
  await pool.query("DROP TABLE IF EXISTS items");
  await pool.query(`CREATE TABLE items (
    id bigint PRIMARY KEY,
    worker int NOT NULL,
    name text,
    qty int,
    price numeric(12,2)
  )`);
  await pool.query(`CREATE MATERIALIZED VIEW item_totals AS
    SELECT worker, count(*) AS n, sum(qty) AS qty FROM items GROUP BY worker`);
});

// Eight clients at once: single-statement inserts, transactions that
// commit, transactions that roll back, and reads of their own writes.
await section("pool of concurrent clients", async () => {
  const work = [];
  for (let w = 0; w < WORKERS; w++) {
    work.push((async () => {
      const client = await pool.connect();
      try {
        for (let i = 0; i < PER_WORKER; i++) {
          const id = w * 1000 + i;
          if (i % 4 === 0) {
            await client.query("BEGIN");
            await client.query("INSERT INTO items (id, worker, name, qty, price) VALUES ($1, $2, $3, $4, $5)", [id, w, `w${w}-${i}`, i, "1.25"]);
            const { rows } = await client.query("SELECT qty FROM items WHERE id = $1", [id]);
            check(`worker ${w} reads its uncommitted row ${id}`, rows, [{ qty: i }]);
            await client.query("COMMIT");
          } else if (i % 4 === 1) {
            await client.query("BEGIN");
            await client.query("INSERT INTO items (id, worker, name, qty, price) VALUES ($1, $2, $3, $4, $5)", [id, w, "rolled back", 1000, "9.99"]);
            await client.query("ROLLBACK");
          } else {
            await client.query("INSERT INTO items (id, worker, name, qty, price) VALUES ($1, $2, $3, $4, $5)", [id, w, `w${w}-${i}`, i, "1.25"]);
          }
        }
        const { rows } = await client.query("SELECT count(*)::int AS n, sum(qty)::int AS qty FROM items WHERE worker = $1", [w]);
        const kept = [...Array(PER_WORKER).keys()].filter((i) => i % 4 !== 1);
        check(`worker ${w} totals`, rows, [{ n: kept.length, qty: kept.reduce((a, b) => a + b, 0) }]);
      } finally {
        client.release();
      }
    })());
  }
  await Promise.all(work);
  const { rows } = await pool.query("SELECT count(*)::int AS n FROM items");
  check("rows after the concurrent writers", rows[0].n, WORKERS * (PER_WORKER - PER_WORKER / 4));
  check("pool size", pool.totalCount >= WORKERS, true);
});

await section("materialized view read after " + (streamdb ? "FLUSH" : "REFRESH"), async () => {
  await pool.query(streamdb ? "FLUSH" : "REFRESH MATERIALIZED VIEW item_totals");
  const { rows } = await pool.query("SELECT worker, n::int AS n, qty::int AS qty FROM item_totals ORDER BY worker");
  const kept = [...Array(PER_WORKER).keys()].filter((i) => i % 4 !== 1);
  const want = [...Array(WORKERS).keys()].map((w) => ({ worker: w, n: kept.length, qty: kept.reduce((a, b) => a + b, 0) }));
  check("item_totals", rows, want);
  // A later write shows up after the next FLUSH.
  await pool.query("DELETE FROM items WHERE worker = 0");
  await pool.query("UPDATE items SET qty = qty + 1 WHERE worker = 1");
  await pool.query(streamdb ? "FLUSH" : "REFRESH MATERIALIZED VIEW item_totals");
  const after = await pool.query("SELECT worker, n::int AS n, qty::int AS qty FROM item_totals WHERE worker < 2 ORDER BY worker");
  check("item_totals after delete and update", after.rows, [{ worker: 1, n: kept.length, qty: kept.reduce((a, b) => a + b, 0) + kept.length }]);
});

// Parameterized queries go through the extended protocol (Parse, Bind,
// Execute); a named statement is parsed once per connection and reused.
await section("parameters and named prepared statements", async () => {
  const client = await pool.connect();
  try {
    for (let i = 0; i < 5; i++) {
      const res = await client.query({ name: "item-by-id", text: "SELECT id, name, qty FROM items WHERE id = $1", values: [1000 + i] });
      const want = i % 4 === 1 ? [] : [{ id: String(1000 + i), name: `w1-${i}`, qty: i + 1 }];
      check(`named statement run ${i}`, res.rows, want);
    }
    const add = await client.query({ name: "add", text: "SELECT $1::int + $2::int AS sum", values: [40, 2] });
    check("named statement with two parameters", add.rows, [{ sum: 42 }]);
    const again = await client.query({ name: "add", text: "SELECT $1::int + $2::int AS sum", values: [1, 2] });
    check("named statement reused", again.rows, [{ sum: 3 }]);
    const like = await client.query("SELECT count(*)::int AS n FROM items WHERE name LIKE $1 AND qty > $2", ["w2-%", 30]);
    check("LIKE with a parameter", like.rows, [{ n: 7 }]);
    const rowMode = await client.query({ text: "SELECT $1::text AS a, $2::text AS b", values: ["x", null], rowMode: "array" });
    check("rowMode array with a NULL parameter", rowMode.rows, [["x", null]]);
    check("field names", rowMode.fields.map((f) => f.name), ["a", "b"]);
    const upd = await client.query("UPDATE items SET name = $1 WHERE worker = $2 AND qty < $3", ["renamed", 3, 4]);
    check("UPDATE rowCount", upd.rowCount, 3);
    check("UPDATE command", upd.command, "UPDATE");
    const ret = await client.query("INSERT INTO items (id, worker, name) VALUES ($1, $2, $3) RETURNING id, name, qty", [99999, 9, "ret"]);
    check("INSERT RETURNING", ret.rows, [{ id: "99999", name: "ret", qty: null }]);
  } finally {
    client.release();
  }
});

// Values written through parameters come back equal, both in text and in
// node-postgres' parsed form.
await section("type round-trips", async () => {
  await pool.query("DROP TABLE IF EXISTS typed");
  await pool.query(`CREATE TABLE typed (
    id int PRIMARY KEY,
    i8 bigint,
    num numeric,
    ts timestamptz,
    doc jsonb,
    bin bytea,
    ints int[],
    words text[],
    flag boolean,
    f8 double precision
  )`);
  const ts = new Date("2024-02-29T23:59:58.123Z");
  const doc = { a: [1, 2, { b: null }], "k\"ey": "v\u00e9", n: 1.5 };
  const bin = Buffer.from([0, 1, 2, 254, 255, 92, 39]);
  await pool.query("INSERT INTO typed VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", [
    1, "9223372036854775807", "12345678901234567890.123456789", ts, doc, bin, [1, null, -3], ["a", "b c", "q\"uote", "comma,", null], true, 0.1,
  ]);
  await pool.query("INSERT INTO typed (id) VALUES ($1)", [2]);
  const { rows } = await pool.query("SELECT * FROM typed ORDER BY id");
  const r = rows[0];
  check("int8 (text)", r.i8, "9223372036854775807");
  check("numeric (text)", r.num, "12345678901234567890.123456789");
  check("timestamptz", r.ts instanceof Date && r.ts.toISOString(), ts.toISOString());
  check("jsonb", r.doc, doc);
  check("bytea", Buffer.isBuffer(r.bin) && r.bin.toString("hex"), bin.toString("hex"));
  check("int[]", r.ints, [1, null, -3]);
  check("text[]", r.words, ["a", "b c", "q\"uote", "comma,", null]);
  check("boolean", r.flag, true);
  check("float8", r.f8, 0.1);
  check("all NULL row", Object.values(rows[1]).slice(1), [null, null, null, null, null, null, null, null, null]);
  const text = await pool.query("SELECT i8::text, num::text, ts::text, doc::text, bin::text, ints::text, words::text FROM typed WHERE id = 1");
  check("text forms", text.rows[0], {
    i8: "9223372036854775807",
    num: "12345678901234567890.123456789",
    ts: "2024-02-29 23:59:58.123+00",
    doc: '{"a": [1, 2, {"b": null}], "n": 1.5, "k\\"ey": "v\u00e9"}',
    bin: "\\x000102feff5c27",
    ints: "{1,NULL,-3}",
    words: "{a,\"b c\",\"q\\\"uote\",\"comma,\",NULL}",
  });
  const exprs = await pool.query("SELECT $1::bigint * 2 AS big, $2::numeric / 4 AS q, $3::jsonb -> 'a' AS a, $4::int[] AS arr, NULL::text AS nothing",
    ["4611686018427387903", "1", JSON.stringify({ a: { b: [true] } }), [7, 8]]);
  check("expressions over parameters", exprs.rows[0], { big: "9223372036854775806", q: "0.25000000000000000000", a: { b: [true] }, arr: [7, 8], nothing: null });
  const types = exprs.fields.map((f) => f.dataTypeID);
  check("result type OIDs", types, [20, 1700, 3802, 1007, 25]);
});

// Errors carry the SQLSTATE in err.code and, for errors at a place in the
// statement, a 1-based character position.
await section("errors with SQLSTATE and position", async () => {
  const client = await pool.connect();
  try {
    let err = await expectError(client, "SELECT * FROM no_such_table");
    check("undefined table code", err.code, "42P01");
    check("undefined table position", err.position, "15");
    err = await expectError(client, "SELECT nope FROM items");
    check("undefined column code", err.code, "42703");
    check("undefined column position", err.position, "8");
    err = await expectError(client, "SELECT 1 FROM items WHERE");
    check("syntax error code", err.code, "42601");
    check("syntax error position", err.position, "26");
    err = await expectError(client, "SELECT $1::int / 0", [1]);
    check("division by zero code", err.code, "22012");
    err = await expectError(client, "INSERT INTO items (id, worker) VALUES ($1, $2)", [1000, 1]);
    check("unique violation code", err.code, "23505");
    err = await expectError(client, "INSERT INTO items (id, worker) VALUES ($1, NULL)", [123456]);
    check("not null violation code", err.code, "23502");
    err = await expectError(client, "SELECT $1::int", ["not a number"]);
    check("invalid text for int code", err.code, "22P02");
    // An error inside a transaction aborts it until ROLLBACK.
    await client.query("BEGIN");
    await client.query("INSERT INTO items (id, worker) VALUES (77777, 7)");
    err = await expectError(client, "SELECT 1/0");
    check("error in a transaction", err.code, "22012");
    err = await expectError(client, "SELECT 1");
    check("statement in an aborted transaction", err.code, "25P02");
    await client.query("ROLLBACK");
    const { rows } = await client.query("SELECT count(*)::int AS n FROM items WHERE id = 77777");
    check("rolled-back insert", rows, [{ n: 0 }]);
    // Notices reach the client's "notice" event with severity and code.
    const notices = [];
    const onNotice = (n) => notices.push({ severity: n.severity, code: n.code, message: n.message });
    client.on("notice", onNotice);
    await client.query("DROP TABLE IF EXISTS no_such_table");
    await client.query("COMMIT");
    client.off("notice", onNotice);
    check("notices", notices, [
      { severity: "NOTICE", code: "00000", message: 'table "no_such_table" does not exist, skipping' },
      { severity: "WARNING", code: "25P01", message: "there is no transaction in progress" },
    ]);
    // The connection is still usable after the errors.
    const ok = await client.query("SELECT 1 AS one");
    check("query after errors", ok.rows, [{ one: 1 }]);
  } finally {
    client.release();
  }
});

// Settings in the connection config travel in the startup message.
await section("settings from the connection config", async () => {
  const client = new pg.Client({ connectionString: url, statement_timeout: 250, application_name: "node-suite" });
  await client.connect();
  try {
    const shown = await client.query("SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS st");
    check("startup settings", shown.rows, [{ app: "node-suite", st: "250ms" }]);
    const err = await expectError(client, "SELECT pg_sleep(5)");
    check("statement_timeout code", err.code, "57014");
    for (const [value, want] of [["1000", "1s"], ["'90s'", "90s"], ["'2min'", "2min"], ["3600000", "1h"], ["0", "0"]]) {
      await client.query(`SET statement_timeout = ${value}`);
      const { rows } = await client.query("SHOW statement_timeout");
      check(`SHOW statement_timeout after SET ${value}`, rows, [{ statement_timeout: want }]);
    }
    const act = await client.query("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()");
    check("pg_stat_activity application_name", act.rows, [{ application_name: "node-suite" }]);
  } finally {
    await client.end();
  }
});

await section("cleanup", async () => {
  await pool.query("DROP MATERIALIZED VIEW item_totals");
  await pool.query("DROP TABLE items");
  await pool.query("DROP TABLE typed");
});

await pool.end();
if (failures.length > 0) {
  console.log(`${failures.length} check(s) failed:`);
  for (const f of failures) {
    console.log("  " + f);
  }
  process.exit(1);
}
console.log("all checks passed");
