package testutil

import (
	"context"
	"os"
	"testing"

	"github.com/streamdb/streamdb/bench/nexmark"
)

// Postgres is a throwaway PostgreSQL cluster started by a test, used to
// check that the suites' own expectations hold on the real thing. It is
// the serving benchmark's cluster (bench/nexmark), with a test's lifetime.
type Postgres struct {
	*nexmark.Postgres
}

// StartPostgres initialises and starts a PostgreSQL cluster in a temp dir
// on a free loopback port, stopped and removed when the test ends. The
// server package comes from Debian (`make test-deps` installs it); a
// missing server fails the test rather than skipping it, so CI cannot
// pass without checking the expectations. When the test runs as root the
// cluster runs as the "postgres" user, which Debian's package creates.
func StartPostgres(t *testing.T) *Postgres {
	t.Helper()
	pg, err := nexmark.StartPostgres(context.Background(), os.TempDir())
	if err != nil {
		t.Fatalf("starting PostgreSQL (run `make test-deps`, which installs Debian's postgresql): %v", err)
	}
	t.Cleanup(pg.Stop)
	return &Postgres{pg}
}
