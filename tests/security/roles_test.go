package security

import (
	"context"
	"strings"
	"testing"

	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/server"
)

// TestBIUserReadsViewsOnly: a login role granted SELECT on a view reads it
// and nothing else; grants survive a restart; REVOKE takes them back; bad
// password and unknown user fail alike.
func TestBIUserReadsViewsOnly(t *testing.T) {
	dir := t.TempDir()
	withDir := func(o *server.Options) { o.DataDir = dir }
	srv := startServer(t, withDir)
	admin := mustConnect(t, srv, "streamdb", "")
	mustExec(t, admin, "CREATE TABLE orders (id int PRIMARY KEY, amount int)")
	mustExec(t, admin, "INSERT INTO orders VALUES (1, 10), (2, 20)")
	mustExec(t, admin, "CREATE VIEW totals AS SELECT sum(amount) AS total FROM orders")
	mustExec(t, admin, "CREATE ROLE bi LOGIN PASSWORD 'bi-secret'")
	mustExec(t, admin, "GRANT SELECT ON totals TO bi")
	var grants int
	if err := admin.QueryRow(context.Background(),
		"SELECT count(*) FROM information_schema.table_privileges WHERE grantee = 'bi' AND table_name = 'totals' AND privilege_type = 'SELECT'").Scan(&grants); err != nil || grants != 1 {
		t.Fatalf("information_schema.table_privileges: %v, %d rows for bi on totals", err, grants)
	}

	// The password is stored as a SCRAM verifier, never in the clear.
	var stored string
	if err := admin.QueryRow(context.Background(), "SELECT rolpassword FROM pg_authid WHERE rolname = 'bi'").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "SCRAM-SHA-256$4096:") || strings.Contains(stored, "bi-secret") {
		t.Fatalf("stored password %q is not a SCRAM verifier", stored)
	}

	checkBI := func(srv *server.Server) {
		t.Helper()
		_, badErr := connectAs(t, srv, "bi", "wrong")
		_, unknownErr := connectAs(t, srv, "nobody", "wrong")
		badCode, badMsg := sqlState(badErr)
		unknownCode, unknownMsg := sqlState(unknownErr)
		if badCode != "28P01" || unknownCode != "28P01" ||
			strings.ReplaceAll(badMsg, "bi", "X") != strings.ReplaceAll(unknownMsg, "nobody", "X") {
			t.Fatalf("bad password: %v; unknown user: %v; want the same 28P01", badErr, unknownErr)
		}
		bi := mustConnect(t, srv, "bi", "bi-secret")
		var total int64
		if err := bi.QueryRow(context.Background(), "SELECT total FROM totals").Scan(&total); err != nil || total != 30 {
			t.Fatalf("bi reading the view: %v %d", err, total)
		}
		var n int
		if err := bi.QueryRow(context.Background(), "SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'orders'").Scan(&n); err != nil || n != 1 {
			t.Fatalf("bi reading pg_class: %v %d", err, n)
		}
		expectError(t, bi, "SELECT * FROM orders", "42501", "permission denied for table orders")
		// The extended protocol (parameters, prepared statements) too.
		if _, err := bi.Exec(context.Background(), "SELECT * FROM orders WHERE id = $1", 1); err == nil {
			t.Fatal("extended-protocol SELECT on orders allowed")
		} else if code, _ := sqlState(err); code != "42501" {
			t.Fatalf("extended-protocol SELECT on orders: %v", err)
		}
		if _, err := bi.Exec(context.Background(), "UPDATE orders SET amount = $1", 5); err == nil {
			t.Fatal("extended-protocol UPDATE on orders allowed")
		}
		expectError(t, bi, "INSERT INTO orders VALUES (3, 30)", "42501", "permission denied for table orders")
		expectError(t, bi, "UPDATE orders SET amount = 0", "42501", "permission denied for table orders")
		expectError(t, bi, "DELETE FROM orders", "42501", "permission denied for table orders")
		expectError(t, bi, "SELECT * FROM totals t, orders o", "42501", "permission denied for table orders")
		expectError(t, bi, "SELECT * FROM (SELECT id FROM orders) s", "42501", "permission denied for table orders")
		expectError(t, bi, "EXPLAIN SELECT * FROM orders", "42501", "permission denied for table orders")
		expectError(t, bi, "COPY orders TO STDOUT", "42501", "permission denied for table orders")
		expectError(t, bi, "SELECT rolpassword FROM pg_authid", "42501", "permission denied for table pg_authid")
		expectError(t, bi, "CREATE TABLE mine (x int)", "42501", "permission denied for schema public")
		expectError(t, bi, "CREATE VIEW v2 AS SELECT 1", "42501", "permission denied for schema public")
		expectError(t, bi, "DROP TABLE orders", "42501", "must be owner of table orders")
		expectError(t, bi, "ALTER TABLE orders ADD COLUMN x int", "42501", "must be owner of table orders")
		expectError(t, bi, "TRUNCATE orders", "42501", "must be owner of table orders")
		expectError(t, bi, "CREATE INDEX ON orders (amount)", "42501", "must be owner of table orders")
		expectError(t, bi, "GRANT SELECT ON orders TO bi", "42501", "permission denied for table orders")
		expectError(t, bi, "CREATE ROLE sneaky SUPERUSER", "42501", "permission denied to create role")
		expectError(t, bi, "ALTER ROLE bi SUPERUSER", "42501", "permission denied to alter role")
		expectError(t, bi, "CREATE SCHEMA s", "42501", "permission denied for database streamdb")
	}
	checkBI(srv)

	// Grants are persisted: the same checks hold after a restart.
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv = startServer(t, withDir)
	checkBI(srv)

	admin = mustConnect(t, srv, "streamdb", "")
	mustExec(t, admin, "REVOKE SELECT ON TABLE totals FROM bi")
	bi := mustConnect(t, srv, "bi", "bi-secret")
	expectError(t, bi, "SELECT * FROM totals", "42501", "permission denied for view totals")

	// GRANT to PUBLIC, ALL, and CREATE on a schema.
	mustExec(t, admin, "GRANT ALL ON orders TO PUBLIC")
	mustExec(t, bi, "INSERT INTO orders VALUES (3, 30)")
	mustExec(t, admin, "REVOKE ALL ON orders FROM PUBLIC")
	expectError(t, bi, "SELECT * FROM orders", "42501", "permission denied for table orders")
	mustExec(t, admin, "GRANT CREATE ON SCHEMA public TO bi")
	mustExec(t, bi, "CREATE TABLE mine (x int)")
	mustExec(t, bi, "INSERT INTO mine VALUES (1)")
	mustExec(t, bi, "ALTER ROLE bi PASSWORD 'new-secret'") // a role may change its own password
	expectError(t, admin, "DROP ROLE bi", "2BP01", "")
	mustExec(t, admin, "DROP TABLE mine")
	mustExec(t, admin, "ALTER ROLE bi NOLOGIN")
	if _, err := connectAs(t, srv, "bi", "new-secret"); err == nil {
		t.Fatal("NOLOGIN role logged in")
	}
	mustExec(t, admin, "DROP ROLE bi")
	mustExec(t, admin, "DROP ROLE IF EXISTS bi")
	expectError(t, admin, "ALTER ROLE streamdb NOSUPERUSER", "42501", "")
}

// TestPrehashedPassword: a client that sends a SCRAM verifier as the
// password (psql \password, pg_dump) has it stored as is.
func TestPrehashedPassword(t *testing.T) {
	srv := startServer(t)
	admin := mustConnect(t, srv, "streamdb", "")
	verifier := pgwire.MakeSCRAMVerifier("hashed-on-client")
	mustExec(t, admin, "CREATE USER app PASSWORD '"+verifier+"'")
	var stored string
	if err := admin.QueryRow(context.Background(), "SELECT rolpassword FROM pg_authid WHERE rolname = 'app'").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != verifier {
		t.Fatalf("stored %q, want the client's verifier %q", stored, verifier)
	}
	mustConnect(t, srv, "app", "hashed-on-client")
	// CREATE USER implies LOGIN; CREATE ROLE does not.
	mustExec(t, admin, "CREATE ROLE nologin PASSWORD 'x'")
	if _, err := connectAs(t, srv, "nologin", "x"); err == nil {
		t.Fatal("a role without LOGIN logged in")
	}
	// The superuser without a password is still trusted on loopback.
	mustConnect(t, srv, "streamdb", "")
}
