package clients

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestSinksShown: a sink is listed in streamdb.sinks with its connector and
// defining query, a black-hole sink (a materialized view whose output is
// discarded) is a materialized view in pg_class, as IDEs list it, and
// reading it answers 0A000 rather than an empty result.
func TestSinksShown(t *testing.T) {
	srv := startServer(t)
	conn := connect(t, srv, pgx.QueryExecModeCacheStatement)
	mustExec(t, conn,
		`CREATE TABLE clicks (id int PRIMARY KEY, page text)`,
		`CREATE SINK clicks_discard AS SELECT page, count(*) AS n FROM clicks GROUP BY page WITH (connector = 'blackhole')`,
	)
	ctx := context.Background()
	var connector, definition string
	if err := conn.QueryRow(ctx, `SELECT connector, definition FROM streamdb.sinks WHERE schema_name = 'public' AND sink_name = 'clicks_discard'`).Scan(&connector, &definition); err != nil {
		t.Fatalf("streamdb.sinks: %v", err)
	}
	if connector != "blackhole" || definition == "" {
		t.Errorf("streamdb.sinks row: connector %q, definition %q", connector, definition)
	}
	var relkind string
	var natts int
	if err := conn.QueryRow(ctx, `SELECT relkind::text, relnatts FROM pg_class WHERE relname = 'clicks_discard'`).Scan(&relkind, &natts); err != nil {
		t.Fatalf("pg_class: %v", err)
	}
	if relkind != "m" || natts != 2 {
		t.Errorf("pg_class: relkind %q with %d columns, want m with 2", relkind, natts)
	}
	_, err := conn.Exec(ctx, `SELECT * FROM clicks_discard`)
	if sqlstate(err) != "0A000" {
		t.Errorf("reading a black-hole sink: %v, want 0A000", err)
	}
}
