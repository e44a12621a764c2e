package nexmark

import (
	"testing"
)

// TestQueries checks the embedded query file, which the server's
// correctness tests (TestNexmarkViews, TestNexmarkQueriesSmall) read too, so
// the benchmark measures the queries that are checked against PostgreSQL.
func TestQueries(t *testing.T) {
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
