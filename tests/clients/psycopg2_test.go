package clients

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// python3WithPsycopg2 finds a Python that can import psycopg2. Debian's
// python3-psycopg2 installs for /usr/bin/python3, which need not be the
// python3 first on PATH.
func python3WithPsycopg2(t *testing.T) string {
	t.Helper()
	for _, candidate := range []string{"/usr/bin/python3", "python3"} {
		path, err := lookPath(candidate)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import psycopg2").Run() == nil {
			return path
		}
	}
	missing(t, "python3 with psycopg2 (Debian package python3-psycopg2)")
	return ""
}

// TestPsycopg2 runs testdata/psycopg2_suite.py against streamdb;
// TestAgainstPostgres runs it against PostgreSQL 15, so the suite's
// expectations are known good. The suite prints "gap: ..." for a feature
// the server answers with 0A000; neither server may have one.
func TestPsycopg2(t *testing.T) {
	srv := startServer(t)
	if out := runPsycopg2(t, srv.PGAddr(), "streamdb", "streamdb"); strings.Contains(out, "gap:") {
		t.Errorf("the suite reports a gap on streamdb:\n%s", out)
	}
}

// runPsycopg2 runs the suite against host:port as user in database db and
// returns its output.
func runPsycopg2(t *testing.T, addr, user, db string) string {
	python := python3WithPsycopg2(t)
	script, err := filepath.Abs("testdata/psycopg2_suite.py")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(addr, ":")
	dsn := "host=" + host + " port=" + port + " user=" + user + " dbname=" + db + " sslmode=disable"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, script, dsn).CombinedOutput()
	if err != nil {
		t.Fatalf("psycopg2 suite failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "checks passed") {
		t.Errorf("psycopg2 suite did not finish:\n%s", out)
	}
	t.Log(strings.TrimSpace(string(out)))
	return string(out)
}
