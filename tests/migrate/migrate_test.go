package migrate

import (
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amacneil/dbmate/v2/pkg/dbmate"
	_ "github.com/amacneil/dbmate/v2/pkg/driver/postgres"
	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	_ "github.com/golang-migrate/migrate/v4/source/file"
	"github.com/jackc/pgx/v5"
	"github.com/streamdb/streamdb/server"
)

const (
	initUp = `CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, amount bigint);
CREATE INDEX orders_customer ON orders (customer);
INSERT INTO orders VALUES (1, 'ann', 30), (2, 'bob', 12), (3, 'ann', 7);
`
	initDown = "DROP TABLE orders;\n"
	viewUp   = "CREATE MATERIALIZED VIEW spend AS SELECT customer, sum(amount) AS total FROM orders GROUP BY customer;\n"
	viewDown = "DROP MATERIALIZED VIEW spend;\n"
)

func startServer(t *testing.T) (*server.Server, *pgx.Conn, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	srv, err := server.Start(ctx, server.Options{Listen: "127.0.0.1:0", HTTP: "-", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	conn, err := pgx.Connect(ctx, "postgres://streamdb@"+srv.PGAddr()+"/streamdb?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return srv, conn, ctx
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

func queryString(t *testing.T, ctx context.Context, conn *pgx.Conn, q string) string {
	t.Helper()
	var s string
	if err := conn.QueryRow(ctx, q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}

// checkUp checks the state after both migrations ran.
func checkUp(t *testing.T, ctx context.Context, conn *pgx.Conn) {
	t.Helper()
	if _, err := conn.Exec(ctx, "FLUSH"); err != nil {
		t.Fatal(err)
	}
	got := queryString(t, ctx, conn, "SELECT string_agg(customer || '=' || total, ',' ORDER BY customer) FROM spend")
	if got != "ann=37,bob=12" {
		t.Errorf("spend = %q, want ann=37,bob=12", got)
	}
	if n := queryString(t, ctx, conn, "SELECT count(*)::text FROM pg_indexes WHERE indexname = 'orders_customer'"); n != "1" {
		t.Errorf("index orders_customer: count %s", n)
	}
}

// checkDown checks that the migrations' objects are gone.
func checkDown(t *testing.T, ctx context.Context, conn *pgx.Conn) {
	t.Helper()
	got := queryString(t, ctx, conn, "SELECT count(*)::text FROM pg_class WHERE relname IN ('orders', 'spend', 'orders_customer')")
	if got != "0" {
		t.Errorf("after down, %s of orders/spend/orders_customer remain", got)
	}
}

func TestAdvisoryLocks(t *testing.T) {
	srv, a, ctx := startServer(t)
	b, err := pgx.Connect(ctx, "postgres://streamdb@"+srv.PGAddr()+"/streamdb?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	try := func(c *pgx.Conn, q string) string { return queryString(t, ctx, c, q+"::text") }
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

func TestGolangMigrate(t *testing.T) {
	srv, conn, ctx := startServer(t)
	dir := writeFiles(t, map[string]string{
		"1_init.up.sql": initUp, "1_init.down.sql": initDown,
		"2_view.up.sql": viewUp, "2_view.down.sql": viewDown,
	})
	m, err := migrate.New("file://"+dir, "pgx5://streamdb@"+srv.PGAddr()+"/streamdb?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Up(); err != nil {
		t.Fatalf("up: %v", err)
	}
	if got := queryString(t, ctx, conn, "SELECT version || ' ' || dirty FROM schema_migrations"); got != "2 false" {
		t.Errorf("schema_migrations = %q, want 2 false", got)
	}
	checkUp(t, ctx, conn)
	if err := m.Down(); err != nil {
		t.Fatalf("down: %v", err)
	}
	checkDown(t, ctx, conn)
	if got := queryString(t, ctx, conn, "SELECT count(*)::text FROM schema_migrations"); got != "0" {
		t.Errorf("schema_migrations after down has %s rows", got)
	}
}

// TestDbmate runs dbmate's postgres driver. With a postgres:// URL the
// driver quotes its table name with "select quote_ident(unnest($1::text[]))",
// a set-returning function inside a scalar call in the select list. The
// redshift:// scheme runs the same driver code except that it quotes on
// the client (and does not switch to the "postgres" database for
// create/drop, which Migrate and Rollback do not use).
func TestDbmate(t *testing.T) {
	t.Run("redshift-scheme", func(t *testing.T) { testDbmate(t, "redshift") })
	t.Run("postgres-scheme", func(t *testing.T) { testDbmate(t, "postgres") })
}

func testDbmate(t *testing.T, scheme string) {
	srv, conn, ctx := startServer(t)
	dir := writeFiles(t, map[string]string{
		"20240101000001_init.sql": "-- migrate:up\n" + initUp + "\n-- migrate:down\n" + initDown,
		"20240101000002_view.sql": "-- migrate:up\n" + viewUp + "\n-- migrate:down\n" + viewDown,
	})
	u, err := url.Parse(scheme + "://streamdb@" + srv.PGAddr() + "/streamdb?sslmode=disable")
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
	got := queryString(t, ctx, conn, "SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations")
	if got != "20240101000001,20240101000002" {
		t.Errorf("schema_migrations = %q", got)
	}
	checkUp(t, ctx, conn)
	for range 2 {
		if err := db.Rollback(); err != nil {
			t.Fatalf("rollback: %v", err)
		}
	}
	checkDown(t, ctx, conn)
	if got := queryString(t, ctx, conn, "SELECT count(*)::text FROM schema_migrations"); got != "0" {
		t.Errorf("schema_migrations after rollback has %s rows", got)
	}
}
