package clients

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamdb/streamdb/server"
)

// rawSession is a hand-driven protocol connection.
type rawSession struct {
	t    *testing.T
	conn net.Conn
	fe   *pgproto3.Frontend
}

func dialRaw(t *testing.T, srv *server.Server) *rawSession {
	t.Helper()
	conn, err := net.DialTimeout("tcp", srv.PGAddr(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	return &rawSession{t: t, conn: conn, fe: pgproto3.NewFrontend(conn, conn)}
}

// startup completes the startup handshake (trust authentication).
func (r *rawSession) startup() {
	r.t.Helper()
	r.fe.Send(&pgproto3.StartupMessage{
		ProtocolVersion: pgproto3.ProtocolVersionNumber,
		Parameters:      map[string]string{"user": "streamdb", "database": "streamdb"},
	})
	if err := r.fe.Flush(); err != nil {
		r.t.Fatal(err)
	}
	for {
		msg, err := r.fe.Receive()
		if err != nil {
			r.t.Fatalf("startup: %v", err)
		}
		switch m := msg.(type) {
		case *pgproto3.ErrorResponse:
			r.t.Fatalf("startup refused: %s %s", m.Code, m.Message)
		case *pgproto3.ReadyForQuery:
			return
		}
	}
}

// expectProtocolViolation reads until the server either sends an
// ErrorResponse or closes the connection. An ErrorResponse must carry code;
// afterwards the connection must be closed. With requireError, closing
// without an ErrorResponse is a failure.
func (r *rawSession) expectProtocolViolation(what, code string, requireError bool) {
	r.t.Helper()
	for {
		msg, err := r.fe.Receive()
		if err != nil {
			if err == io.EOF || isConnClosed(err) {
				if requireError {
					r.t.Errorf("%s: connection closed without an ErrorResponse %s", what, code)
				}
				return // closed without a message: acceptable
			}
			r.t.Fatalf("%s: reading the answer: %v", what, err)
		}
		if e, ok := msg.(*pgproto3.ErrorResponse); ok {
			if e.Code != code {
				r.t.Errorf("%s: server answered %s %q, want %s", what, e.Code, e.Message, code)
			}
			// The connection must end after a protocol violation.
			_ = r.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			var buf [1]byte
			if _, err := r.conn.Read(buf[:]); err == nil {
				r.t.Errorf("%s: connection still open after the 08P01 error", what)
			}
			return
		}
	}
}

func isConnClosed(err error) bool {
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "use of closed") ||
		strings.Contains(s, "EOF") || strings.Contains(s, "broken pipe")
}

func frame(typ byte, body []byte) []byte {
	out := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(out[1:], uint32(len(body)+4))
	return append(out, body...)
}

// TestMalformedFrames sends broken frames on raw connections while a healthy
// pgx session runs next to them: each bad connection gets 08P01 (or is
// closed) and the healthy session keeps working.
func TestMalformedFrames(t *testing.T) {
	srv := startServer(t, func(o *server.Options) { o.MaxMessageSize = 1 << 20 })
	healthy := connect(t, srv, pgx.QueryExecModeCacheStatement)
	mustExec(t, healthy, "CREATE TABLE h (id int PRIMARY KEY)")
	healthyInsert := func(id int) {
		t.Helper()
		if _, err := healthy.Exec(context.Background(), "INSERT INTO h VALUES ($1)", id); err != nil {
			t.Fatalf("healthy session broke: %v", err)
		}
	}
	healthyInsert(0)

	cases := []struct {
		name         string
		afterStartup bool
		data         []byte
		code         string // "" means 08P01
		requireError bool
	}{
		{"garbage instead of startup", false, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "", false},
		// PostgreSQL answers an unsupported protocol version with 0A000.
		{"startup with unknown protocol", false, []byte{0, 0, 0, 8, 0x12, 0x34, 0x56, 0x78}, "0A000", true},
		{"startup length too small", false, []byte{0, 0, 0, 2}, "", false},
		{"startup length huge", false, []byte{0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0}, "", false},
		{"unknown message type", true, frame('!', nil), "", false},
		{"negative length", true, []byte{'Q', 0xff, 0xff, 0xff, 0xff}, "", false},
		{"length below 4", true, []byte{'Q', 0, 0, 0, 1}, "", false},
		{"query without terminator", true, frame('Q', []byte("SELECT 1")), "", false},
		{"truncated bind", true, frame('B', []byte{'p', 0}), "", false},
		{"bind with absurd parameter count", true, frame('B', []byte{0, 0, 0xff, 0xff}), "", false},
		// The server may reset the connection before the client reads the
		// error when it closes with the body unread, so no error is required.
		{"oversized message", true, frame('Q', append([]byte(strings.Repeat("x", 2<<20)), 0)), "", false},
		{"oversized length only", true, []byte{'Q', 0x10, 0, 0, 0}, "", true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := dialRaw(t, srv)
			if c.afterStartup {
				r.startup()
			}
			if _, err := r.conn.Write(c.data); err != nil && !isConnClosed(err) {
				t.Fatal(err)
			}
			code := c.code
			if code == "" {
				code = "08P01"
			}
			r.expectProtocolViolation(c.name, code, c.requireError)
			healthyInsert(i + 1)
		})
	}

	var n int
	if err := healthy.QueryRow(context.Background(), "SELECT count(*) FROM h").Scan(&n); err != nil || n != len(cases)+1 {
		t.Errorf("healthy session: %d rows, %v", n, err)
	}
	// A new connection still works after all of that.
	fresh := connect(t, srv, pgx.QueryExecModeSimpleProtocol)
	if err := fresh.QueryRow(context.Background(), "SELECT count(*) FROM h").Scan(&n); err != nil {
		t.Errorf("new connection after malformed frames: %v", err)
	}
}

// TestAbruptDisconnects drops connections in the middle of messages and
// transactions; the server must clean up and keep serving.
func TestAbruptDisconnects(t *testing.T) {
	srv := startServer(t)
	healthy := connect(t, srv, pgx.QueryExecModeCacheStatement)
	mustExec(t, healthy, "CREATE TABLE d (id int PRIMARY KEY)")
	for i := 0; i < 20; i++ {
		r := dialRaw(t, srv)
		r.startup()
		switch i % 4 {
		case 0: // half a message header
			_, _ = r.conn.Write([]byte{'Q', 0, 0})
		case 1: // half a message body
			_, _ = r.conn.Write(frame('Q', []byte("SELECT 1;\x00"))[:8])
		case 2: // an open transaction with a write, never committed
			_, _ = r.conn.Write(frame('Q', []byte("BEGIN; INSERT INTO d VALUES (1000);\x00")))
			time.Sleep(10 * time.Millisecond)
		case 3: // nothing at all
		}
		_ = r.conn.Close()
	}
	var n int
	if err := healthy.QueryRow(context.Background(), "SELECT count(*) FROM d").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("uncommitted insert of a dropped connection is visible: %d rows", n)
	}
	if _, err := healthy.Exec(context.Background(), "INSERT INTO d VALUES (1000)"); err != nil {
		t.Errorf("insert after the dropped transactions: %v", err)
	}
}
