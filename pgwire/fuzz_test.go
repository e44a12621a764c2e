package pgwire

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// lockedBuffer is a log sink safe for concurrent connections.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func encodeFrontend(msgs ...pgproto3.FrontendMessage) []byte {
	var out []byte
	for _, m := range msgs {
		var err error
		if out, err = m.Encode(out); err != nil {
			panic(err)
		}
	}
	return out
}

var fuzzStartup = encodeFrontend(&pgproto3.StartupMessage{
	ProtocolVersion: pgproto3.ProtocolVersion30,
	Parameters:      map[string]string{"user": "alice", "database": "streamdb"},
})

// pipeSession connects an in-memory client to srv, writes input, hangs up
// and returns everything the server answered. With wait it first reads
// until the server closes (the input should end with Terminate).
func pipeSession(t *testing.T, srv *Server, input []byte, wait bool) []byte {
	client, server := net.Pipe()
	if !srv.startConn(server) {
		t.Fatal("server closed")
	}
	var out bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		_, _ = io.Copy(&out, client)
	}()
	if wait {
		_ = client.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = client.Write(input)
		<-readDone
	} else {
		// A server busy in a statement stops reading; do not wait long.
		_ = client.SetWriteDeadline(time.Now().Add(500 * time.Millisecond))
		_, _ = client.Write(input)
	}
	_ = client.Close()
	<-readDone
	return out.Bytes()
}

// FuzzReadMessages feeds random bytes after a valid startup into a server
// connection: the server must never panic and must keep serving other
// connections.
func FuzzReadMessages(f *testing.F) {
	f.Add(encodeFrontend(&pgproto3.Query{String: "SELECT 1"}))
	f.Add(encodeFrontend(&pgproto3.Query{String: "SELECT 1; SELECT 'a'::text"}, &pgproto3.Terminate{}))
	f.Add(encodeFrontend(
		&pgproto3.Parse{Name: "s", Query: "SELECT $1::int, $2", ParameterOIDs: []uint32{23}},
		&pgproto3.Describe{ObjectType: 'S', Name: "s"},
		&pgproto3.Bind{PreparedStatement: "s", ParameterFormatCodes: []int16{1, 0}, Parameters: [][]byte{{0, 0, 0, 5}, []byte("x")}, ResultFormatCodes: []int16{1}},
		&pgproto3.Execute{MaxRows: 1},
		&pgproto3.Execute{},
		&pgproto3.Close{ObjectType: 'P'},
		&pgproto3.Sync{},
	))
	f.Add(encodeFrontend(&pgproto3.Query{String: "COPY t FROM STDIN"}, &pgproto3.CopyData{Data: []byte("a\n")}, &pgproto3.CopyDone{}, &pgproto3.Sync{}))
	f.Add(encodeFrontend(&pgproto3.Query{String: "COPY t FROM STDIN"}, &pgproto3.CopyFail{Message: "no"}))
	f.Add(encodeFrontend(&pgproto3.Query{String: "COPY t TO STDOUT"}, &pgproto3.Flush{}))
	f.Add([]byte{'B', 0, 0, 0, 7, 'p', 0, 's'})
	f.Add([]byte{'Q', 0x7f, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})

	f.Fuzz(func(t *testing.T, data []byte) {
		var logs lockedBuffer
		srv := NewServer(Options{
			Logger:         slog.New(slog.NewTextHandler(&logs, nil)),
			MaxMessageSize: 1 << 16,
		}, newFakeBackend())
		defer func() {
			_ = srv.Close()
			if strings.Contains(logs.String(), "panic") {
				t.Fatalf("server panicked:\n%s", logs.String())
			}
		}()

		input := append(append([]byte{}, fuzzStartup...), data...)
		pipeSession(t, srv, input, false)

		probe := append(append([]byte{}, fuzzStartup...), encodeFrontend(&pgproto3.Query{String: "SELECT 42"}, &pgproto3.Terminate{})...)
		out := pipeSession(t, srv, probe, true)
		if !bytes.Contains(out, []byte("42")) || !bytes.Contains(out, []byte("SELECT 1")) {
			t.Fatalf("server unusable after fuzz input; probe got %q", out)
		}
	})
}
