package security

import (
	"context"
	"github.com/streamdb/streamdb/tests/testutil"
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

func setting(key, value string) func(*server.Options) {
	return func(o *server.Options) {
		if o.Settings == nil {
			o.Settings = map[string]string{}
		}
		o.Settings[key] = value
	}
}

// connectAs opens a pgx connection as user (password may be empty).
func connectAs(t *testing.T, srv *server.Server, user, password string) (*pgx.Conn, error) {
	t.Helper()
	return connectAddr(t, srv.PGAddr(), user, password)
}

// connectAddr opens a pgx connection to a pgwire address.
func connectAddr(t *testing.T, addr, user, password string) (*pgx.Conn, error) {
	t.Helper()
	cfg, err := pgx.ParseConfig("postgres://" + addr + "/streamdb?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Password = user, password
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn, nil
}

func mustConnect(t *testing.T, srv *server.Server, user, password string) *pgx.Conn {
	t.Helper()
	conn, err := connectAs(t, srv, user, password)
	if err != nil {
		t.Fatalf("connecting as %s: %v", user, err)
	}
	return conn
}

func mustExec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// sqlState returns the SQLSTATE and message of err ("" when err is not a
// server error).
func sqlState(err error) (string, string) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code, pgErr.Message
	}
	return "", ""
}

// expectError runs sql and checks its SQLSTATE and message.
func expectError(t *testing.T, conn *pgx.Conn, sql, code, message string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := conn.Exec(ctx, sql)
	gotCode, gotMsg := sqlState(err)
	if gotCode != code || (message != "" && gotMsg != message) {
		t.Fatalf("%s: got %v (%s %q), want %s %q", sql, err, gotCode, gotMsg, code, message)
	}
}

// pgxConnT is a healthy session of the hostile-traffic test.
type pgxConnT struct{ conn *pgx.Conn }

func (h *pgxConnT) queryErr() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var n int64
	var v string
	if err := h.conn.QueryRow(ctx, "SELECT count(*) FROM kv").Scan(&n); err != nil {
		return err
	}
	if n != 1000 {
		return errors.Newf("count(*) = %d, want 1000", n)
	}
	if err := h.conn.QueryRow(ctx, "SELECT v FROM kv WHERE k = $1", 500).Scan(&v); err != nil {
		return err
	}
	if v != "value 500" {
		return errors.Newf("v = %q", v)
	}
	return nil
}

func (h *pgxConnT) query(t *testing.T) {
	t.Helper()
	if err := h.queryErr(); err != nil {
		t.Fatal(err)
	}
}
