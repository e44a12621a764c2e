package server

import (
	"context"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestBlackholeSink: a black-hole sink runs its query (its operator state
// grows with the input) but stores no result and
// cannot be read; DROP SINK removes it.
func TestBlackholeSink(t *testing.T) {
	dir := t.TempDir()
	s := startTestServer(t, dir)
	conn := connectSimple(t, s)
	execAll(t, conn,
		"CREATE TABLE t (k int, v int)",
		"INSERT INTO t SELECT g % 10, g FROM generate_series(1, 1000) AS g",
		"CREATE SINK agg AS SELECT k, sum(v) AS s FROM t GROUP BY k WITH (connector = 'blackhole')",
		"INSERT INTO t SELECT g % 10, g FROM generate_series(1001, 2000) AS g",
		"FLUSH")
	if n := queryInt(t, conn, "SELECT rows_in FROM streamdb.dataflows WHERE relation_name = 'agg'"); n != 2000 {
		t.Fatalf("the sink's dataflow read %d rows, want 2000", n)
	}
	if n := queryInt(t, conn, "SELECT count(*) FROM streamdb.state_tables WHERE relation_name = 'agg' AND operator NOT LIKE 'materialize%'"); n == 0 {
		t.Fatal("the sink's aggregation keeps no operator state")
	}
	_, err := conn.Exec(context.Background(), "SELECT * FROM agg")
	if sqlState(err) != "0A000" {
		t.Fatalf("reading a black-hole sink: %v, want 0A000", err)
	}
	_, err = conn.Exec(context.Background(), "CREATE MATERIALIZED VIEW over_sink AS SELECT * FROM agg")
	if err == nil {
		t.Fatal("a view over a black-hole sink was created (it would miss the sink's past output)")
	}
	_, err = conn.Exec(context.Background(), "CREATE SINK bad AS SELECT * FROM t WITH (connector = 'blackhole', topic = 'x')")
	if sqlState(err) != "22023" {
		t.Fatalf("black-hole sink with a Kafka option: %v, want 22023", err)
	}
	var viewRowKeys int
	if err := s.views.store.ScanPrefix(viewPrefix(lookupOID(t, s, "agg")), func(_, _ []byte) error {
		viewRowKeys++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if viewRowKeys != 0 {
		t.Fatalf("a black-hole sink stored %d result rows", viewRowKeys)
	}
	execAll(t, conn, "DROP SINK agg")
	if n := queryInt(t, conn, "SELECT count(*) FROM streamdb.dataflows WHERE relation_name = 'agg'"); n != 0 {
		t.Fatal("DROP SINK left the dataflow running")
	}
}

func lookupOID(t *testing.T, s *Server, name string) uint32 {
	t.Helper()
	d, err := s.cat.ResolveRelation(name, "", []string{"public"})
	if err != nil {
		t.Fatal(err)
	}
	return d.OID
}

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}
