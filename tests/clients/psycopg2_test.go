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

func TestPsycopg2(t *testing.T) {
	python := python3WithPsycopg2(t)
	srv := startServer(t)
	script, err := filepath.Abs("testdata/psycopg2_suite.py")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(srv.PGAddr(), ":")
	dsn := "host=" + host + " port=" + port + " user=streamdb dbname=streamdb sslmode=disable"
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
}
