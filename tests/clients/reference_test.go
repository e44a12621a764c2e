package clients

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/streamdb/streamdb/tests/testutil"
)

// TestAgainstPostgres runs the client suites against PostgreSQL 15, so
// that their expectations are known good: the same checks the Test*
// functions of this package run against streamdb. One cluster serves them
// all (starting one is the slow part), each check in a database of its
// own, owned by a superuser called streamdb like streamdb's.
func TestAgainstPostgres(t *testing.T) {
	pg := testutil.StartPostgres(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pg.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `CREATE ROLE streamdb SUPERUSER LOGIN CREATEROLE CREATEDB REPLICATION BYPASSRLS`); err != nil {
		t.Fatal(err)
	}
	database := func(t *testing.T, name string) string {
		t.Helper()
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" OWNER streamdb"); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("postgres://streamdb@%s/%s?sslmode=disable", pg.Addr, name)
	}
	t.Run("introspection", func(t *testing.T) {
		// current_database() shows in results: the same name as streamdb's.
		introspectionFixtures(t, database(t, "streamdb"))
	})
	t.Run("privileges", func(t *testing.T) {
		url := database(t, "privileges")
		owner := connectURL(t, url, pgx.QueryExecModeCacheStatement)
		privilegeChecks(t, owner, strings.Replace(url, "streamdb@", "reader@", 1))
	})
	t.Run("psycopg2", func(t *testing.T) {
		database(t, "psycopg2")
		if out := runPsycopg2(t, pg.Addr, "streamdb", "psycopg2"); strings.Contains(out, "gap:") {
			t.Errorf("the suite reports a gap on PostgreSQL itself:\n%s", out)
		}
	})
	t.Run("pgx exec modes", func(t *testing.T) { pgxExecModes(t, database(t, "pgx_modes")) })
	t.Run("pgx type round trip", func(t *testing.T) { pgxTypeRoundTrip(t, database(t, "pgx_types")) })
	t.Run("pgx copy", func(t *testing.T) { pgxCopy(t, database(t, "pgx_copy")) })
	t.Run("pgx uuid", func(t *testing.T) { pgxUUID(t, database(t, "pgx_uuid"), false) })
	t.Run("pgx notify", func(t *testing.T) { pgxNotify(t, database(t, "pgx_notify")) })
}
