package clients

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestPgxNotify checks LISTEN/NOTIFY with pgx across sessions:
// WaitForNotification on an idle listener, delivery at COMMIT only (never
// for a rolled-back transaction, never into an open transaction block),
// deduplication, the sender's PID, pg_notify, UNLISTEN and the 22023
// errors. TestAgainstPostgres runs the same checks on PostgreSQL 15.
func TestPgxNotify(t *testing.T) {
	pgxNotify(t, connString(startServer(t)))
}

// waitNotification waits for the next notification; the deadline only
// keeps a missing notification from hanging the test.
func waitNotification(t *testing.T, conn *pgx.Conn) *pgconn.Notification {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, err := conn.WaitForNotification(ctx)
	if err != nil {
		t.Fatalf("WaitForNotification: %v", err)
	}
	return n
}

func pgxNotify(t *testing.T, url string) {
	ctx := context.Background()
	listener := connectURL(t, url, pgx.QueryExecModeCacheStatement)
	sender := connectURL(t, url, pgx.QueryExecModeCacheStatement)
	senderPID := sender.PgConn().PID()

	mustExec(t, listener, "LISTEN orders")
	// A LISTEN rolled back never took effect.
	mustExec(t, listener, "BEGIN", "LISTEN other", "ROLLBACK")

	// The listener is idle, waiting: the notifications of one committed
	// transaction arrive in order, the duplicate once, with the sender's PID.
	mustExec(t, sender, "BEGIN", "NOTIFY orders, 'a'", "SELECT pg_notify('orders', 'b')", "NOTIFY orders, 'a'", "NOTIFY other, 'x'", "COMMIT")
	for _, want := range []string{"a", "b"} {
		n := waitNotification(t, listener)
		if n.Channel != "orders" || n.Payload != want || n.PID != senderPID {
			t.Errorf("got %+v, want channel orders, payload %q, PID %d", n, want, senderPID)
		}
	}
	// A rolled-back NOTIFY is never delivered: the next notification is the
	// one committed after it.
	mustExec(t, sender, "BEGIN", "NOTIFY orders, 'rolled back'", "ROLLBACK")
	if _, err := sender.Exec(ctx, "SELECT pg_notify('orders', $1)", "after"); err != nil {
		t.Fatal(err)
	}
	if n := waitNotification(t, listener); n.Payload != "after" {
		t.Errorf("after a rollback: got %+v, want payload \"after\"", n)
	}

	// Nothing reaches a session inside a transaction block; its COMMIT
	// delivers what arrived meanwhile. A second listener built on pgconn
	// records what the server sends with each response.
	var mu sync.Mutex
	var seen []string
	cfg, err := pgconn.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.OnNotification = func(_ *pgconn.PgConn, n *pgconn.Notification) {
		mu.Lock()
		seen = append(seen, n.Channel+":"+n.Payload)
		mu.Unlock()
	}
	inTxn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer inTxn.Close(ctx)
	run := func(sql string) {
		t.Helper()
		if _, err := inTxn.Exec(ctx, sql).ReadAll(); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	seenNow := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
	run("LISTEN orders")
	run("BEGIN")
	mustExec(t, sender, "NOTIFY orders, 'during'")
	run("SELECT 1")
	if got := seenNow(); len(got) != 0 {
		t.Errorf("delivered inside a transaction block: %q", got)
	}
	run("COMMIT")
	if got := seenNow(); len(got) != 1 || got[0] != "orders:during" {
		t.Errorf("after COMMIT: %q, want [orders:during]", got)
	}
	// The session's own notification comes back with its own response.
	run("NOTIFY orders, 'self'")
	if got := seenNow(); len(got) != 2 || got[1] != "orders:self" {
		t.Errorf("own notification: %q", got)
	}
	if n := waitNotification(t, listener); n.Payload != "during" {
		t.Errorf("first listener: got %+v, want payload \"during\"", n)
	}
	if n := waitNotification(t, listener); n.Payload != "self" || n.PID != inTxn.PID() {
		t.Errorf("first listener: got %+v, want payload \"self\" from PID %d", n, inTxn.PID())
	}

	// UNLISTEN: the first listener hears nothing more on orders; the marker
	// on another channel arrives first.
	mustExec(t, listener, "UNLISTEN orders", "LISTEN marker")
	mustExec(t, sender, "NOTIFY orders, 'unheard'", "NOTIFY marker")
	if n := waitNotification(t, listener); n.Channel != "marker" || n.Payload != "" {
		t.Errorf("after UNLISTEN: got %+v, want the marker", n)
	}
	mustExec(t, listener, "UNLISTEN *")

	// Limits (22023), as Postgres: the payload must be shorter than 8000
	// bytes; a channel name cannot be empty.
	if _, err := sender.Exec(ctx, "SELECT pg_notify('orders', $1)", strings.Repeat("x", 7999)); err != nil {
		t.Errorf("payload of 7999 bytes: %v", err)
	}
	_, err = sender.Exec(ctx, "SELECT pg_notify('orders', $1)", strings.Repeat("x", 8000))
	if sqlstate(err) != "22023" || !strings.Contains(err.Error(), "payload string too long") {
		t.Errorf("payload of 8000 bytes: %v", err)
	}
	_, err = sender.Exec(ctx, "SELECT pg_notify('', 'x')")
	if sqlstate(err) != "22023" || !strings.Contains(err.Error(), "channel name cannot be empty") {
		t.Errorf("empty channel: %v", err)
	}
}

// TestPsqlNotify: psql prints the notifications it gets after each
// command, committed ones only (not those rolled back to a savepoint).
func TestPsqlNotify(t *testing.T) {
	bin := requireClient(t, "psql (Debian package postgresql-client)", "psql", "/usr/bin/psql")
	srv := startServer(t)
	out := mustPsql(t, bin, srv, `LISTEN jobs;
NOTIFY jobs, 'one';
BEGIN;
NOTIFY jobs, 'rolled back';
ROLLBACK;
BEGIN;
SELECT pg_notify('jobs', 'two');
NOTIFY jobs, 'two';
COMMIT;
BEGIN;
NOTIFY jobs, 'three';
SAVEPOINT s;
NOTIFY jobs, 'undone';
NOTIFY jobs, 'three';
ROLLBACK TO SAVEPOINT s;
NOTIFY jobs, 'four';
COMMIT;
UNLISTEN jobs;
NOTIFY jobs, 'unheard';
`)
	got := regexp.MustCompile(`Asynchronous notification "jobs" with payload "([^"]*)" received from server process with PID \d+\.`).FindAllStringSubmatch(out, -1)
	var payloads []string
	for _, m := range got {
		payloads = append(payloads, m[1])
	}
	if strings.Join(payloads, ",") != "one,two,three,four" {
		t.Errorf("psql printed notifications %q, want [one two three four]; output:\n%s", payloads, out)
	}
}
