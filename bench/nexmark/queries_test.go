package nexmark

import (
	"os"
	"path/filepath"
	"testing"
)

// TestQueriesMatchServerTestdata keeps the embedded query file identical
// to the one the server's correctness tests run (TestNexmarkViews), so the
// benchmark measures the queries that are checked against PostgreSQL.
func TestQueriesMatchServerTestdata(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "..", "server", "testdata", "nexmark", "queries.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != queriesSQL {
		t.Fatal("bench/nexmark/queries.sql differs from server/testdata/nexmark/queries.sql: copy the server's file")
	}
	qs := Queries()
	if len(qs) != 19 {
		t.Fatalf("%d queries, want 19", len(qs))
	}
	if qs[0].Name != "q0" || qs[len(qs)-1].Name != "q22" {
		t.Fatalf("queries not in numeric order: %s ... %s", qs[0].Name, qs[len(qs)-1].Name)
	}
	for _, q := range qs {
		if _, ok := Targets()[q.Name]; !ok && q.Name != "q12" {
			t.Errorf("%s has no target", q.Name)
		}
	}
}
