package migrate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amacneil/dbmate/v2/pkg/dbmate"
	_ "github.com/amacneil/dbmate/v2/pkg/driver/postgres"
	"github.com/cockroachdb/errors"
	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	_ "github.com/golang-migrate/migrate/v4/source/file"
	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamdb/streamdb/tests/testutil"
)

// The migrations: a table with an index and rows, then a materialized
// view over it and (streamdb only) a Kafka sink from the view, in one
// file, so that the tool runs CREATE MATERIALIZED VIEW and CREATE SINK in
// one transaction (dbmate wraps each file in BEGIN/COMMIT; golang-migrate
// sends the file as one multi-statement query, an implicit transaction).
const (
	initUp = `CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, amount bigint);
CREATE INDEX orders_customer ON orders (customer);
INSERT INTO orders VALUES (1, 'ann', 30), (2, 'bob', 12), (3, 'ann', 7);
`
	initDown = "DROP TABLE orders;\n"
	viewUp   = "CREATE MATERIALIZED VIEW spend AS SELECT customer, sum(amount) AS total FROM orders GROUP BY customer;\n"
	viewDown = "DROP MATERIALIZED VIEW spend;\n"
	sinkUp   = `CREATE SINK spend_out FROM spend WITH (connector = 'kafka', topic = 'spend_out', properties.bootstrap.server = '%s', primary_key = 'customer') FORMAT UPSERT ENCODE JSON;
`
	sinkDown = "DROP SINK spend_out;\n"
)

// target is the database a suite runs against: an in-process streamdb
// server next to a kfake broker, or a throwaway PostgreSQL cluster that
// shows the suite's expectations hold on the real thing.
type target struct {
	streamdb bool
	// addr, user and database make the tools' URLs.
	addr, user, database string
	// broker is the Kafka address the sink writes to (streamdb only).
	broker string
	conn   *pgx.Conn
	ctx    context.Context
}

// url is a connection URL with the given scheme (pgx5, postgres, ...).
func (tg *target) url(scheme string) string {
	return fmt.Sprintf("%s://%s@%s/%s?sslmode=disable", scheme, tg.user, tg.addr, tg.database)
}

func (tg *target) connect(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(tg.ctx, tg.url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// viewMigration is the up and down SQL of the second migration.
func (tg *target) viewMigration() (up, down string) {
	if !tg.streamdb {
		return viewUp, viewDown
	}
	return viewUp + fmt.Sprintf(sinkUp, tg.broker), sinkDown + viewDown
}

// suite is one group of checks that runs against both targets.
type suite struct {
	name string
	run  func(t *testing.T, tg *target)
}

func suites() []suite {
	return []suite{
		{"advisory-locks", testAdvisoryLocks},
		{"golang-migrate", testGolangMigrate},
		{"dbmate-redshift-scheme", func(t *testing.T, tg *target) { testDbmate(t, tg, "redshift") }},
		{"dbmate-postgres-scheme", func(t *testing.T, tg *target) { testDbmate(t, tg, "postgres") }},
		{"golang-migrate-failed", testFailedGolangMigrate},
		{"dbmate-failed", testFailedDbmate},
		{"rollback-undoes-create", testRollbackUndoesCreate},
	}
}

// TestMigrations runs every suite against its own streamdb server, and
// against one PostgreSQL cluster, a fresh database per suite (one cluster
// keeps the added test time small).
func TestMigrations(t *testing.T) {
	t.Run("streamdb", func(t *testing.T) {
		for _, s := range suites() {
			t.Run(s.name, func(t *testing.T) { s.run(t, startStreamdb(t)) })
		}
	})
	t.Run("postgres", func(t *testing.T) {
		pg := testutil.StartPostgres(t)
		admin := &target{addr: pg.Addr, user: "postgres", database: "postgres", ctx: testContext(t)}
		admin.conn = admin.connect(t)
		for i, s := range suites() {
			t.Run(s.name, func(t *testing.T) {
				tg := &target{addr: pg.Addr, user: "postgres", database: fmt.Sprintf("suite_%d", i), ctx: testContext(t)}
				if _, err := admin.conn.Exec(admin.ctx, "CREATE DATABASE "+tg.database); err != nil {
					t.Fatal(err)
				}
				tg.conn = tg.connect(t)
				s.run(t, tg)
			})
		}
	})
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func startStreamdb(t *testing.T) *target {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "spend_out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	srv := testutil.StartServer(t)
	tg := &target{streamdb: true, addr: srv.PGAddr(), user: "streamdb", database: "streamdb",
		broker: cluster.ListenAddrs()[0], ctx: testContext(t)}
	tg.conn = tg.connect(t)
	return tg
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func queryString(t *testing.T, tg *target, q string) string {
	t.Helper()
	var s string
	if err := tg.conn.QueryRow(tg.ctx, q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}

// checkUp checks the state after both migrations ran: the view's rows, the
// index, and on streamdb the sink's topic, which after a later write
// collapses by key to the view.
func checkUp(t *testing.T, tg *target) {
	t.Helper()
	if tg.streamdb {
		if _, err := tg.conn.Exec(tg.ctx, "FLUSH"); err != nil {
			t.Fatal(err)
		}
	}
	got := queryString(t, tg, "SELECT string_agg(customer || '=' || total, ',' ORDER BY customer) FROM spend")
	if got != "ann=37,bob=12" {
		t.Errorf("spend = %q, want ann=37,bob=12", got)
	}
	if n := queryString(t, tg, "SELECT count(*)::text FROM pg_indexes WHERE indexname = 'orders_customer'"); n != "1" {
		t.Errorf("index orders_customer: count %s", n)
	}
	if !tg.streamdb {
		return
	}
	if got := queryString(t, tg, "SELECT string_agg(relation_name || ':' || kind, ',' ORDER BY relation_name) FROM streamdb.dataflows"); got != "spend:materialized view,spend_out:kafka sink" {
		t.Errorf("streamdb.dataflows = %q, want the view and the sink", got)
	}
	if _, err := tg.conn.Exec(tg.ctx, "INSERT INTO orders VALUES (4, 'cy', 5)"); err != nil {
		t.Fatal(err)
	}
	if err := waitForTopic(tg.ctx, tg.broker, "spend_out", map[string]string{"ann": "37", "bob": "12", "cy": "5"}); err != nil {
		t.Error(err)
	}
}

// checkDown checks that the migrations' objects are gone.
func checkDown(t *testing.T, tg *target) {
	t.Helper()
	got := queryString(t, tg, "SELECT count(*)::text FROM pg_class WHERE relname IN ('orders', 'spend', 'orders_customer', 'spend_out')")
	if got != "0" {
		t.Errorf("after down, %s of orders/spend/orders_customer/spend_out remain", got)
	}
	if tg.streamdb {
		if n := queryString(t, tg, "SELECT count(*)::text FROM streamdb.dataflows"); n != "0" {
			t.Errorf("after down, %s dataflows remain", n)
		}
	}
}

// waitForTopic reads an upsert JSON topic (customer, total) with
// read_committed until its records, collapsed by key (the last value
// wins, a tombstone deletes), equal want (customer -> total).
func waitForTopic(ctx context.Context, broker, topic string, want map[string]string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return errors.Wrap(err, "kafka client")
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	got := map[string]string{}
	for !maps.Equal(got, want) {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return errors.Newf("topic %s collapsed by key = %v, want %v", topic, got, want)
		}
		var bad error
		fetches.EachRecord(func(r *kgo.Record) {
			var key, value struct {
				Customer string          `json:"customer"`
				Total    json.RawMessage `json:"total"`
			}
			if err := json.Unmarshal(r.Key, &key); err != nil {
				bad = errors.Wrapf(err, "record key %s", r.Key)
				return
			}
			if r.Value == nil {
				delete(got, key.Customer)
				return
			}
			if err := json.Unmarshal(r.Value, &value); err != nil {
				bad = errors.Wrapf(err, "record value %s", r.Value)
				return
			}
			got[key.Customer] = strings.Trim(string(value.Total), `"`)
		})
		if bad != nil {
			return bad
		}
	}
	return nil
}

func testAdvisoryLocks(t *testing.T, tg *target) {
	a, b := tg.conn, tg.connect(t)
	ctx := tg.ctx
	try := func(c *pgx.Conn, q string) string {
		t.Helper()
		var s string
		if err := c.QueryRow(ctx, q+"::text").Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return s
	}
	// Re-entrant: two locks need two unlocks.
	for _, q := range []string{"SELECT pg_advisory_lock(42)", "SELECT pg_advisory_lock(42)", "SELECT pg_advisory_lock(1, 2)"} {
		if _, err := a.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if got := try(b, "SELECT pg_try_advisory_lock(42)"); got != "false" {
		t.Errorf("b got a held lock: %s", got)
	}
	if got := try(b, "SELECT pg_try_advisory_lock(42, 0)"); got != "true" {
		t.Errorf("(int, int) keys are a separate space: %s", got)
	}
	try(a, "SELECT pg_advisory_unlock(42)")
	if got := try(b, "SELECT pg_try_advisory_lock(42)"); got != "false" {
		t.Errorf("lock taken twice freed by one unlock: %s", got)
	}
	if got := try(a, "SELECT pg_advisory_unlock(42)"); got != "true" {
		t.Errorf("second unlock: %s", got)
	}
	if got := try(a, "SELECT pg_advisory_unlock(42)"); got != "false" {
		t.Errorf("unlock of a lock not held: %s", got)
	}
	// pg_advisory_lock waits, and statement_timeout ends the wait.
	if _, err := a.Exec(ctx, "SELECT pg_advisory_lock(1, 2)"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec(ctx, "SET statement_timeout = '100ms'"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec(ctx, "SELECT pg_advisory_lock(1, 2)"); err == nil || !strings.Contains(err.Error(), "57014") {
		t.Errorf("waiting for a held lock: %v, want 57014", err)
	}
	if _, err := b.Exec(ctx, "SET statement_timeout = 0"); err != nil {
		t.Fatal(err)
	}
	// pg_advisory_unlock_all frees the session's locks and wakes waiters.
	done := make(chan error, 1)
	go func() { _, err := b.Exec(ctx, "SELECT pg_advisory_lock(1, 2)"); done <- err }()
	time.Sleep(50 * time.Millisecond)
	if _, err := a.Exec(ctx, "SELECT pg_advisory_unlock_all()"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("waiter: %v", err)
	}
	// Transaction locks last until the transaction ends.
	tx, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7)"); err != nil {
		t.Fatal(err)
	}
	if got := try(b, "SELECT pg_try_advisory_lock(7)"); got != "false" {
		t.Errorf("xact lock not held inside the transaction: %s", got)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := try(b, "SELECT pg_try_advisory_xact_lock(7)"); got != "true" {
		t.Errorf("xact lock not released at commit: %s", got)
	}
	// Session locks end with the session.
	if got := try(b, "SELECT pg_try_advisory_lock(1, 2)"); got != "true" {
		t.Fatalf("b re-takes (1, 2): %s", got)
	}
	b.Close(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for try(a, "SELECT pg_try_advisory_lock(1, 2)") != "true" {
		if time.Now().After(deadline) {
			t.Fatal("lock not released when its session ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testGolangMigrate(t *testing.T, tg *target) {
	up, down := tg.viewMigration()
	dir := writeFiles(t, map[string]string{
		"1_init.up.sql": initUp, "1_init.down.sql": initDown,
		"2_view.up.sql": up, "2_view.down.sql": down,
	})
	m, err := migrate.New("file://"+dir, tg.url("pgx5"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Up(); err != nil {
		t.Fatalf("up: %v", err)
	}
	if got := queryString(t, tg, "SELECT version || ' ' || dirty FROM schema_migrations"); got != "2 false" {
		t.Errorf("schema_migrations = %q, want 2 false", got)
	}
	checkUp(t, tg)
	if err := m.Down(); err != nil {
		t.Fatalf("down: %v", err)
	}
	checkDown(t, tg)
	if got := queryString(t, tg, "SELECT count(*)::text FROM schema_migrations"); got != "0" {
		t.Errorf("schema_migrations after down has %s rows", got)
	}
}

// testDbmate runs dbmate's postgres driver, which wraps each migration in
// a transaction. With a postgres:// URL the driver quotes its table name
// with "select quote_ident(unnest($1::text[]))"; the redshift:// scheme
// runs the same driver code except that it quotes on the client (and does
// not switch to the "postgres" database for create/drop, which Migrate
// and Rollback do not use).
func testDbmate(t *testing.T, tg *target, scheme string) {
	up, down := tg.viewMigration()
	dir := writeFiles(t, map[string]string{
		"20240101000001_init.sql": "-- migrate:up\n" + initUp + "\n-- migrate:down\n" + initDown,
		"20240101000002_view.sql": "-- migrate:up\n" + up + "\n-- migrate:down\n" + down,
	})
	u, err := url.Parse(tg.url(scheme))
	if err != nil {
		t.Fatal(err)
	}
	db := dbmate.New(u)
	db.AutoDumpSchema = false
	db.MigrationsDir = []string{dir}
	db.Log = io.Discard
	if err := db.Migrate(); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	got := queryString(t, tg, "SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations")
	if got != "20240101000001,20240101000002" {
		t.Errorf("schema_migrations = %q", got)
	}
	checkUp(t, tg)
	for range 2 {
		if err := db.Rollback(); err != nil {
			t.Fatalf("rollback: %v", err)
		}
	}
	checkDown(t, tg)
	if got := queryString(t, tg, "SELECT count(*)::text FROM schema_migrations"); got != "0" {
		t.Errorf("schema_migrations after rollback has %s rows", got)
	}
}

// badUp creates a table, a view over it and (streamdb) a sink from the
// view, then fails: the tools run it in one transaction, which must leave
// none of the three behind.
func (tg *target) badUp() string {
	up := "CREATE TABLE extra (id bigint PRIMARY KEY, n bigint);\nCREATE MATERIALIZED VIEW extra_v AS SELECT count(*) AS c, sum(n) AS n FROM extra;\n"
	if tg.streamdb {
		up += fmt.Sprintf("CREATE SINK extra_out FROM extra_v WITH (connector = 'kafka', topic = 'extra_out', properties.bootstrap.server = '%s', primary_key = 'c') FORMAT UPSERT ENCODE JSON;\n", tg.broker)
	}
	return up + "SELECT 1/0;\n"
}

func checkNoExtra(t *testing.T, tg *target) {
	t.Helper()
	if got := queryString(t, tg, "SELECT count(*)::text FROM pg_class WHERE relname IN ('extra', 'extra_v', 'extra_out', 'extra_pkey')"); got != "0" {
		t.Errorf("after a failed migration, %s of extra/extra_v/extra_out/extra_pkey remain", got)
	}
	if tg.streamdb {
		if n := queryString(t, tg, "SELECT count(*)::text FROM streamdb.dataflows WHERE relation_name LIKE 'extra%'"); n != "0" {
			t.Errorf("after a failed migration, %s dataflows remain", n)
		}
	}
}

func testFailedGolangMigrate(t *testing.T, tg *target) {
	dir := writeFiles(t, map[string]string{
		"1_init.up.sql": initUp, "1_init.down.sql": initDown,
		"2_bad.up.sql": tg.badUp(), "2_bad.down.sql": "DROP TABLE extra;\n",
	})
	m, err := migrate.New("file://"+dir, tg.url("pgx5"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Up(); err == nil || !strings.Contains(err.Error(), "22012") {
		t.Fatalf("up: %v, want a division by zero (22012)", err)
	}
	if got := queryString(t, tg, "SELECT version || ' ' || dirty FROM schema_migrations"); got != "2 true" {
		t.Errorf("schema_migrations = %q, want 2 true", got)
	}
	checkNoExtra(t, tg)
}

func testFailedDbmate(t *testing.T, tg *target) {
	dir := writeFiles(t, map[string]string{
		"20240101000001_init.sql": "-- migrate:up\n" + initUp + "\n-- migrate:down\n" + initDown,
		"20240101000002_bad.sql":  "-- migrate:up\n" + tg.badUp() + "\n-- migrate:down\nDROP TABLE extra;\n",
	})
	u, err := url.Parse(tg.url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	db := dbmate.New(u)
	db.AutoDumpSchema = false
	db.MigrationsDir = []string{dir}
	db.Log = io.Discard
	if err := db.Migrate(); err == nil || !strings.Contains(err.Error(), "22012") {
		t.Fatalf("migrate: %v, want a division by zero (22012)", err)
	}
	if got := queryString(t, tg, "SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations"); got != "20240101000001" {
		t.Errorf("schema_migrations = %q, want only the first migration", got)
	}
	checkNoExtra(t, tg)
}

// testRollbackUndoesCreate checks the transaction rules the tools rely on,
// as Postgres has them: ROLLBACK, ROLLBACK TO SAVEPOINT, a failed block and
// a disconnect undo the CREATEs (tables, views, indexes) of the block;
// COMMIT keeps them.
func testRollbackUndoesCreate(t *testing.T, tg *target) {
	exec := func(conn *pgx.Conn, sqls ...string) {
		t.Helper()
		for _, q := range sqls {
			if _, err := conn.Exec(tg.ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	tables := func() string {
		t.Helper()
		return queryString(t, tg, "SELECT coalesce(string_agg(relname::text, ',' ORDER BY relname), '') FROM pg_class WHERE relname LIKE 'rb\\_%'")
	}
	exec(tg.conn, "BEGIN", "CREATE TABLE rb_a (id serial PRIMARY KEY, v int)", "INSERT INTO rb_a (v) VALUES (1)",
		"CREATE MATERIALIZED VIEW rb_v AS SELECT count(*) AS n FROM rb_a", "ROLLBACK")
	if got := tables(); got != "" {
		t.Errorf("after ROLLBACK: %q remain", got)
	}
	exec(tg.conn, "BEGIN", "CREATE TABLE rb_b (id int PRIMARY KEY)", "SAVEPOINT s", "CREATE TABLE rb_c (id int)",
		"ROLLBACK TO SAVEPOINT s", "CREATE TABLE rb_d (id int)", "COMMIT")
	if got := tables(); got != "rb_b,rb_b_pkey,rb_d" {
		t.Errorf("after ROLLBACK TO SAVEPOINT and COMMIT: %q, want rb_b,rb_b_pkey,rb_d", got)
	}
	// A failed block ended by COMMIT rolls back.
	exec(tg.conn, "BEGIN", "CREATE TABLE rb_e (id int)")
	if _, err := tg.conn.Exec(tg.ctx, "SELECT 1/0"); err == nil {
		t.Fatal("1/0 did not fail")
	}
	exec(tg.conn, "COMMIT")
	if got := tables(); got != "rb_b,rb_b_pkey,rb_d" {
		t.Errorf("after a failed block: %q, want rb_b,rb_b_pkey,rb_d", got)
	}
	// A session that ends inside a block rolls it back.
	other := tg.connect(t)
	exec(other, "BEGIN", "CREATE TABLE rb_f (id int)")
	other.Close(tg.ctx)
	deadline := time.Now().Add(10 * time.Second)
	for tables() != "rb_b,rb_b_pkey,rb_d" {
		if time.Now().After(deadline) {
			t.Fatalf("after a disconnect inside a block: %q, want rb_b,rb_b_pkey,rb_d", tables())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// An index on an existing table goes too, with its entries.
	exec(tg.conn, "INSERT INTO rb_d VALUES (1)", "BEGIN", "CREATE UNIQUE INDEX rb_d_id ON rb_d (id)", "ROLLBACK")
	if got := tables(); got != "rb_b,rb_b_pkey,rb_d" {
		t.Errorf("after a rolled-back CREATE INDEX: %q, want rb_b,rb_b_pkey,rb_d", got)
	}
	exec(tg.conn, "INSERT INTO rb_d VALUES (1)")
	// The names are free again.
	exec(tg.conn, "CREATE TABLE rb_a (id int)", "CREATE INDEX rb_d_id ON rb_d (id)", "DROP TABLE rb_a, rb_b, rb_d")
}
