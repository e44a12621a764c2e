package security

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/streamdb/streamdb/server"
)

// TestConnectionLimits: max_connections with superuser reserved slots
// (53300 for ordinary users once only reserved slots remain, and for
// everyone beyond the limit).
func TestConnectionLimits(t *testing.T) {
	srv := startServer(t, func(o *server.Options) { o.MaxConnections = 4 }, setting("superuser_reserved_connections", "2"))
	admin := mustConnect(t, srv, "streamdb", "")
	mustExec(t, admin, "CREATE ROLE app LOGIN")
	mustConnect(t, srv, "app", "")
	// 2 of 4 slots used; the last 2 are reserved.
	_, err := connectAs(t, srv, "app", "")
	if code, msg := sqlState(err); code != "53300" || !strings.Contains(msg, "reserved") {
		t.Fatalf("ordinary user in a reserved slot: %v, want 53300", err)
	}
	mustExec(t, admin, "CREATE ROLE admin2 LOGIN SUPERUSER")
	mustConnect(t, srv, "admin2", "") // any SUPERUSER role may use the reserved slots
	mustConnect(t, srv, "streamdb", "")
	_, err = connectAs(t, srv, "streamdb", "")
	if code, msg := sqlState(err); code != "53300" || msg != "sorry, too many clients already" {
		t.Fatalf("beyond max_connections: %v, want 53300", err)
	}
}

// TestStatementTimeout: statement_timeout cancels with 57014.
func TestStatementTimeout(t *testing.T) {
	srv := startServer(t)
	conn := mustConnect(t, srv, "streamdb", "")
	mustExec(t, conn, "SET statement_timeout = '100ms'")
	start := time.Now()
	expectError(t, conn, "SELECT pg_sleep(5)", "57014", "canceling statement due to statement timeout")
	if time.Since(start) > 3*time.Second {
		t.Fatalf("statement_timeout took %v", time.Since(start))
	}
	mustExec(t, conn, "SELECT 1")
}

// TestIdleInTransactionTimeout: a session idle inside a transaction block
// longer than idle_in_transaction_session_timeout is terminated with FATAL
// 25P03; idle outside a transaction is fine.
func TestIdleInTransactionTimeout(t *testing.T) {
	srv := startServer(t)
	conn := mustConnect(t, srv, "streamdb", "")
	mustExec(t, conn, "SET idle_in_transaction_session_timeout = '200ms'")
	time.Sleep(400 * time.Millisecond)
	mustExec(t, conn, "SELECT 1") // idle, not in a transaction: still alive
	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, "SELECT 1")
	time.Sleep(600 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := conn.Exec(ctx, "SELECT 1")
	if code, msg := sqlState(err); code != "25P03" || msg != "terminating connection due to idle-in-transaction timeout" {
		t.Fatalf("after idling in a transaction: %v, want FATAL 25P03", err)
	}
	if !conn.IsClosed() {
		// pgx marks the connection closed once it saw the FATAL.
		if err := conn.Ping(ctx); err == nil {
			t.Fatal("connection still usable after the idle-in-transaction timeout")
		}
	}
	// A fresh session works.
	fresh := mustConnect(t, srv, "streamdb", "")
	var n int
	if err := fresh.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil {
		t.Fatal(err)
	}
}

// TestAuthenticationTimeout: a client that connects and sends nothing is
// disconnected after authentication_timeout.
func TestAuthenticationTimeout(t *testing.T) {
	srv := startServer(t, setting("authentication_timeout", "300ms"))
	nc, err := net.DialTimeout("tcp", srv.PGAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	start := time.Now()
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 512)
	for {
		if _, err := nc.Read(buf); err != nil {
			break
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("silent client kept for %v with authentication_timeout 300ms", d)
	}
}
