package clients

import (
	"context"
	"github.com/streamdb/streamdb/tests/testutil"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/streamdb/streamdb/server"
)

// startServer starts an in-process server for the test (testutil.StartServer).
func startServer(t *testing.T, adjust ...func(*server.Options)) *server.Server {
	t.Helper()
	return testutil.StartServer(t, adjust...)
}

func connString(srv *server.Server) string {
	return "postgres://streamdb@" + srv.PGAddr() + "/streamdb?sslmode=disable"
}

// connect opens a pgx connection with the given execution mode.
func connect(t *testing.T, srv *server.Server, mode pgx.QueryExecMode) *pgx.Conn {
	t.Helper()
	return connectURL(t, connString(srv), mode)
}

// connectURL opens a pgx connection to a URL with the given execution mode.
func connectURL(t *testing.T, url string, mode pgx.QueryExecMode) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = mode
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connecting with pgx (%v): %v", mode, err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// mustExec runs statements and fails the test on error.
func mustExec(t *testing.T, conn *pgx.Conn, sqls ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, sql := range sqls {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

// requireClient finds a client program. Outside CI a missing one skips the
// test; under CI (CI=true), where make test installs it, it fails.
func requireClient(t *testing.T, name string, candidates ...string) string {
	t.Helper()
	for _, c := range candidates {
		if path, err := lookPath(c); err == nil {
			return path
		}
	}
	missing(t, name)
	return ""
}

func lookPath(name string) (string, error) {
	if strings.Contains(name, "/") {
		if _, err := os.Stat(name); err != nil {
			return "", err
		}
		return name, nil
	}
	return exec.LookPath(name)
}

func missing(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed; under CI it must be (make test-deps installs it)", what)
	}
	t.Skipf("%s is not installed (make test-deps installs it); skipping outside CI", what)
}

// skipIfUnsupported skips the test when the server answered 0A000 (feature
// not supported): the test stays in place for when the engine gains the
// feature, and the skip message says what is missing.
func skipIfUnsupported(t *testing.T, feature string, err error) {
	t.Helper()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "0A000" {
		t.Skipf("%s: the server does not support it yet: %s", feature, pgErr.Message)
	}
}
