package clients

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestPrivilegeFunctions: BI tools (Metabase's sync, DBeaver, pgAdmin) ask
// has_table_privilege and friends which tables to offer. A role that was
// granted SELECT on one table must see true for that one and false for the
// others, on streamdb exactly as on PostgreSQL 15.
func TestPrivilegeFunctions(t *testing.T) {
	srv := startServer(t)
	admin := connect(t, srv, pgx.QueryExecModeCacheStatement)
	privilegeChecks(t, admin, "postgres://reader@"+srv.PGAddr()+"/streamdb?sslmode=disable")
}

// privilegeChecks creates the objects and the role reader as admin, then
// asks as reader (whose URL is given); TestAgainstPostgres runs it on
// PostgreSQL 15.
func privilegeChecks(t *testing.T, admin *pgx.Conn, readerURL string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	setup := []string{
		`CREATE TABLE granted (id int PRIMARY KEY, secret text)`,
		`CREATE TABLE hidden (id int PRIMARY KEY)`,
		`CREATE MATERIALIZED VIEW granted_count AS SELECT count(*) AS n FROM granted`,
		`CREATE SCHEMA private`,
		`CREATE ROLE reader LOGIN`,
		`GRANT SELECT ON granted TO reader`,
		`GRANT SELECT, INSERT ON granted_count TO reader`,
	}
	checks := []struct{ query, want string }{
		{`SELECT has_table_privilege('granted', 'SELECT')`, "true"},
		{`SELECT has_table_privilege('public.granted', 'select')`, "true"},
		{`SELECT has_table_privilege('granted', 'INSERT')`, "false"},
		{`SELECT has_table_privilege('granted', 'SELECT, INSERT')`, "true"},
		{`SELECT has_table_privilege('hidden', 'SELECT')`, "false"},
		{`SELECT has_table_privilege('granted_count', 'INSERT')`, "true"},
		{`SELECT has_table_privilege('granted_count', 'DELETE')`, "false"},
		{`SELECT has_table_privilege('hidden'::regclass::oid, 'SELECT')`, "false"},
		{`SELECT has_table_privilege('streamdb', 'hidden', 'SELECT')`, "true"},
		{`SELECT has_table_privilege('reader', 'hidden', 'SELECT')`, "false"},
		{`SELECT has_table_privilege(current_user, 'granted', 'SELECT')`, "true"},
		{`SELECT has_table_privilege('pg_catalog.pg_class', 'SELECT')`, "true"},
		{`SELECT has_table_privilege(999999::oid, 'SELECT') IS NULL`, "true"},
		{`SELECT has_column_privilege('granted', 'secret', 'SELECT')`, "true"},
		{`SELECT has_column_privilege('hidden', 'id', 'SELECT')`, "false"},
		{`SELECT has_any_column_privilege('hidden', 'SELECT')`, "false"},
		{`SELECT has_schema_privilege('public', 'USAGE')`, "true"},
		{`SELECT has_schema_privilege('private', 'USAGE')`, "false"},
		{`SELECT has_schema_privilege('private', 'CREATE')`, "false"},
		{`SELECT has_schema_privilege('streamdb', 'private', 'CREATE')`, "true"},
		{`SELECT has_database_privilege(current_database(), 'CONNECT')`, "true"},
		{`SELECT pg_has_role('reader', 'MEMBER')`, "true"},
		{`SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		   WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm') AND has_table_privilege(c.oid, 'SELECT')`, "2"},
	}
	errorChecks := []struct{ query, code string }{
		{`SELECT has_table_privilege('nosuch', 'SELECT')`, "42P01"},
		{`SELECT has_table_privilege('granted', 'FLY')`, "22023"},
		{`SELECT has_table_privilege('nobody', 'granted', 'SELECT')`, "42704"},
		{`SELECT has_column_privilege('granted', 'nosuch', 'SELECT')`, "42703"},
	}
	for _, q := range setup {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	reader, err := pgx.Connect(ctx, readerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close(context.Background())
	for _, c := range checks {
		var got any
		if err := reader.QueryRow(ctx, c.query).Scan(&got); err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		if s := fmt.Sprint(got); s != c.want {
			t.Errorf("%s = %s, want %s", c.query, s, c.want)
		}
	}
	for _, c := range errorChecks {
		_, err := reader.Exec(ctx, c.query)
		if code := sqlstate(err); code != c.code {
			t.Errorf("%s: error %v (SQLSTATE %q), want SQLSTATE %s", c.query, err, code, c.code)
		}
	}
}
