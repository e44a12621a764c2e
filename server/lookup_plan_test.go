package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestPreparedSelectPlanFollowsCatalog runs one prepared SELECT (pgx keeps
// it prepared per connection, as the serving benchmark) across changes
// that must rebind it: the table dropped and created again with other
// rows and a column type change, the search path moved to another
// schema's table of the same name, and a privilege revoked.
func TestPreparedSelectPlanFollowsCatalog(t *testing.T) {
	srv, connect := startCacheServer(t, nil)
	conn := connect()
	ctx := context.Background()
	const query = "SELECT v FROM t WHERE id = $1"
	get := func(id int) string {
		t.Helper()
		return fmt.Sprint(queryStrings(t, conn, query, id))
	}
	mustExec(t, conn, "CREATE TABLE t (id int PRIMARY KEY, v text)")
	mustExec(t, conn, "INSERT INTO t VALUES (1, 'one')")
	if got := get(1); got != "[one]" {
		t.Fatalf("first execution: %s", got)
	}
	if got := get(1); got != "[one]" {
		t.Fatalf("second execution: %s", got)
	}
	mustExec(t, conn, "DROP TABLE t")
	mustExec(t, conn, "CREATE TABLE t (id int PRIMARY KEY, v text)")
	mustExec(t, conn, "INSERT INTO t VALUES (1, 'uno')")
	if got := get(1); got != "[uno]" {
		t.Fatalf("after DROP and CREATE: %s", got)
	}
	mustExec(t, conn, "CREATE SCHEMA other")
	mustExec(t, conn, "CREATE TABLE other.t (id int PRIMARY KEY, v text)")
	mustExec(t, conn, "INSERT INTO other.t VALUES (1, 'eins')")
	mustExec(t, conn, "SET search_path = other, public")
	if got := get(1); got != "[eins]" {
		t.Fatalf("after SET search_path: %s", got)
	}
	mustExec(t, conn, "SET search_path = public")
	if got := get(1); got != "[uno]" {
		t.Fatalf("after SET search_path back: %s", got)
	}

	mustExec(t, conn, "CREATE ROLE reader LOGIN")
	mustExec(t, conn, "GRANT SELECT ON t TO reader")
	reader, err := pgx.Connect(ctx, "postgres://reader@"+srv.PGAddr()+"/streamdb?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close(ctx)
	if got := fmt.Sprint(queryStrings(t, reader, query, 1)); got != "[uno]" {
		t.Fatalf("as reader: %s", got)
	}
	mustExec(t, conn, "REVOKE SELECT ON t FROM reader")
	if _, err := reader.Exec(ctx, query, 1); err == nil || !strings.Contains(err.Error(), "42501") {
		t.Fatalf("the prepared SELECT after REVOKE: %v, want 42501", err)
	}
}
