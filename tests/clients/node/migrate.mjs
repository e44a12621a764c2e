// node-pg-migrate against a streamdb or PostgreSQL server, in two phases
// so that the Go test can read the sink's Kafka topic in between:
//
//   DATABASE_URL=postgres://... STREAMDB=1 KAFKA_BROKER=host:port node migrate.mjs up
//   DATABASE_URL=postgres://... STREAMDB=1 KAFKA_BROKER=host:port node migrate.mjs down
//
// up: the advisory lock keeps a second runner out ("fail" mode) or makes
// it wait ("wait" mode); the CLI then applies the rest in one transaction;
// pgmigrations and the objects are checked; a migration that fails
// halfway leaves none of its objects. down: the CLI rolls back the
// sink, then everything, and nothing is left. STREAMDB=0 runs the same
// checks against PostgreSQL (REFRESH MATERIALIZED VIEW for FLUSH, no sink).
// Every failed check is printed; the exit status is 1 if any failed.

import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PG_MIGRATE_LOCK_ID, runner } from "node-pg-migrate";
import pg from "pg";
import { isDeepStrictEqual } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const migrationsDir = join(here, "migrations");
const cli = join(here, "node_modules", "node-pg-migrate", "bin", "node-pg-migrate.js");
const url = process.env.DATABASE_URL;
const streamdb = process.env.STREAMDB === "1";
const phase = process.argv[2];
if (!url || (phase !== "up" && phase !== "down")) {
  console.error("usage: DATABASE_URL=... node migrate.mjs up|down");
  process.exit(2);
}

const names = ["1700000000001_orders", "1700000000002_spend", "1700000000003_spend_sink"];

const failures = [];
// check compares deeply (object key order aside) and records a mismatch.
function check(what, got, want) {
  if (!isDeepStrictEqual(got, want)) {
    failures.push(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
}

async function section(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (err) {
    failures.push(`${name}: ${err.code ? `[${err.code}] ` : ""}${err.message}`);
    console.log(`FAIL ${name}`);
  }
}

// migrateCLI runs the node-pg-migrate command line as users do.
function migrateCLI(...args) {
  try {
    return execFileSync(process.execPath, [cli, ...args, "-m", migrationsDir, "--migrations-table", "pgmigrations"], {
      env: { ...process.env, DATABASE_URL: url },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (err) {
    throw new Error(`node-pg-migrate ${args.join(" ")} failed:\n${err.stdout}\n${err.stderr}`);
  }
}

const quiet = { info() {}, warn() {}, error: console.error, debug() {} };
const runnerOptions = (extra) => ({
  databaseUrl: url,
  dir: migrationsDir,
  migrationsTable: "pgmigrations",
  direction: "up",
  singleTransaction: true,
  logger: quiet,
  ...extra,
});

const db = new pg.Client({ connectionString: url });
await db.connect();
const one = async (q, values) => (await db.query(q, values)).rows;
const tableExists = async (name) =>
  (await one("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = $1", [name]))[0].n === 1;
const migrated = async () => (await one("SELECT name FROM pgmigrations ORDER BY run_on, id")).map((r) => r.name);

if (phase === "up") {
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();

  await section("advisory lock held: a runner in fail mode stops", async () => {
    const got = await holder.query("SELECT pg_advisory_lock($1)", [PG_MIGRATE_LOCK_ID]);
    check("pg_advisory_lock rows", got.rowCount, 1);
    let err = null;
    try {
      await runner(runnerOptions({ count: Infinity, advisoryLockMode: "fail" }));
    } catch (e) {
      err = e;
    }
    check("runner error", err && /Another migration is already running/.test(err.message), true);
    check("pgmigrations created without the lock", await tableExists("pgmigrations"), false);
  });

  await section("advisory lock held: a runner in wait mode waits for it", async () => {
    let settled = false;
    const waiting = runner(runnerOptions({ count: 1, advisoryLockMode: "wait" })).finally(() => {
      settled = true;
    });
    // The runner takes the lock before it touches the database, so while
    // the holder keeps it nothing is created, however long that is.
    await new Promise((resolve) => setTimeout(resolve, 300));
    check("runner finished while the lock was held", settled, false);
    check("pgmigrations created while the lock was held", await tableExists("pgmigrations"), false);
    const unlocked = await holder.query("SELECT pg_advisory_unlock($1) AS released", [PG_MIGRATE_LOCK_ID]);
    check("holder releases the lock", unlocked.rows, [{ released: true }]);
    const ran = await waiting;
    check("migrations run by the waiting runner", ran.map((m) => m.name), names.slice(0, 1));
    check("pgmigrations after the first migration", await migrated(), names.slice(0, 1));
  });
  await holder.end();

  await section("node-pg-migrate up (CLI, one transaction)", async () => {
    migrateCLI("up");
    check("pgmigrations", await migrated(), names);
    const ids = (await one("SELECT id FROM pgmigrations ORDER BY id")).map((r) => r.id);
    check("pgmigrations ids are serial", ids, [1, 2, 3]);
    const runOn = await one("SELECT count(*)::int AS n FROM pgmigrations WHERE run_on IS NOT NULL AND run_on <= now()");
    check("pgmigrations run_on", runOn, [{ n: 3 }]);
    const again = migrateCLI("up");
    check("a second up has nothing to do", /No migrations to run!/.test(again), true);
  });

  await section("objects after up", async () => {
    const cols = await one(`SELECT column_name, data_type, is_nullable FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = 'orders' ORDER BY ordinal_position`);
    check("orders columns", cols, [
      { column_name: "id", data_type: "bigint", is_nullable: "NO" },
      { column_name: "customer", data_type: "text", is_nullable: "NO" },
      { column_name: "amount", data_type: "numeric", is_nullable: "YES" },
      { column_name: "placed", data_type: "timestamp with time zone", is_nullable: "NO" },
    ]);
    const idx = await one("SELECT indexname FROM pg_indexes WHERE tablename = 'orders' ORDER BY indexname");
    check("orders indexes", idx.map((r) => r.indexname), ["orders_customer_index", "orders_pkey"]);
    const mv = await one("SELECT matviewname FROM pg_matviews WHERE schemaname = 'public'");
    check("pg_matviews", mv, [{ matviewname: "spend" }]);
    const comment = await one("SELECT obj_description('spend'::regclass, 'pg_class') AS c");
    check("view comment", comment, [{ c: "revenue per customer" }]);
    await db.query("INSERT INTO orders (id, customer, amount) VALUES (4, 'cy', 5.00)");
    await db.query(streamdb ? "FLUSH" : "REFRESH MATERIALIZED VIEW spend");
    const spend = await one("SELECT customer, orders::int AS orders, total::text AS total FROM spend ORDER BY customer");
    check("spend", spend, [
      { customer: "ann", orders: 2, total: "37.25" },
      { customer: "bob", orders: 1, total: "12.50" },
      { customer: "cy", orders: 1, total: "5.00" },
    ]);
    if (streamdb) {
      const flows = await one("SELECT relation_name FROM streamdb.dataflows WHERE relation_name IN ('spend', 'spend_out') ORDER BY 1");
      check("dataflows", flows.map((r) => r.relation_name), ["spend", "spend_out"]);
    }
    const free = await one("SELECT pg_try_advisory_lock($1) AS got", [PG_MIGRATE_LOCK_ID]);
    check("the CLI released its lock", free, [{ got: true }]);
    await db.query("SELECT pg_advisory_unlock($1)", [PG_MIGRATE_LOCK_ID]);
  });

  await section("a failing migration leaves nothing behind", async () => {
    let err = null;
    try {
      await runner(runnerOptions({ dir: join(here, "failing"), migrationsTable: "pgmigrations_failing", count: Infinity }));
    } catch (e) {
      err = e;
    }
    check("runner error code", err && err.code, "22012");
    const left = await one(`SELECT relname FROM pg_class
      WHERE relname IN ('extra', 'extra_v', 'extra_pkey') ORDER BY relname`);
    check("relations left by the failed migration", left, []);
    const recorded = await one("SELECT count(*)::int AS n FROM pgmigrations_failing");
    check("failed migration recorded", recorded, [{ n: 0 }]);
    if (streamdb) {
      const flows = await one("SELECT relation_name FROM streamdb.dataflows WHERE relation_name LIKE 'extra%'");
      check("dataflows left by the failed migration", flows, []);
    }
    await db.query("DROP TABLE pgmigrations_failing");
  });
} else {
  await section("node-pg-migrate down 1 (the sink)", async () => {
    migrateCLI("down", "1");
    check("pgmigrations", await migrated(), names.slice(0, 2));
    if (streamdb) {
      const flows = await one("SELECT relation_name FROM streamdb.dataflows WHERE relation_name IN ('spend', 'spend_out') ORDER BY 1");
      check("dataflows after dropping the sink", flows.map((r) => r.relation_name), ["spend"]);
    }
  });

  await section("node-pg-migrate down 0 (everything)", async () => {
    migrateCLI("down", "0");
    check("pgmigrations", await migrated(), []);
    const left = await one(`SELECT relname FROM pg_class
      WHERE relname IN ('orders', 'spend', 'orders_pkey', 'orders_customer_index') ORDER BY relname`);
    check("relations left", left, []);
    if (streamdb) {
      const flows = await one("SELECT relation_name FROM streamdb.dataflows");
      check("dataflows left", flows, []);
    }
    const again = migrateCLI("down", "0");
    check("a second down has nothing to do", /No migrations to run!/.test(again), true);
  });
}

await db.end();
if (failures.length > 0) {
  console.log(`${failures.length} check(s) failed:`);
  for (const f of failures) {
    console.log("  " + f);
  }
  process.exit(1);
}
console.log("all checks passed");
