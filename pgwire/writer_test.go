package pgwire

import (
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamdb/streamdb/sql/types"
)

func TestTimeZoneTracking(t *testing.T) {
	_, _, addr := startServer(t, Options{})
	ctx := testCtx(t)
	conn, err := pgconn.Connect(ctx, connString(addr, "alice", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	query := func() string {
		t.Helper()
		res := conn.ExecParams(ctx, "SELECT $1::timestamptz", [][]byte{[]byte("2024-01-01 12:00:00+00")}, nil, nil, nil).Read()
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		return string(res.Rows[0][0])
	}
	if got := query(); got != "2024-01-01 12:00:00+00" {
		t.Errorf("UTC: %q", got)
	}
	if _, err := conn.Exec(ctx, "SET TimeZone 'Europe/Paris'").ReadAll(); err != nil {
		t.Fatal(err)
	}
	if got := query(); got != "2024-01-01 13:00:00+01" {
		t.Errorf("Europe/Paris: %q", got)
	}
}

func TestAuthenticationTimeout(t *testing.T) {
	srv, _, addr := startServer(t, Options{AuthenticationTimeout: 50 * time.Millisecond})
	c := dialRaw(t, addr)
	// Say nothing: the server hangs up.
	var b [1]byte
	if n, err := c.nc.Read(b[:]); err == nil {
		t.Fatalf("read %d bytes, want EOF", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.NumConnections() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := srv.NumConnections(); n != 0 {
		t.Errorf("%d connections", n)
	}
}

func TestDataRowAllocations(t *testing.T) {
	srv := NewServer(Options{Logger: slog.New(slog.DiscardHandler)}, newFakeBackend())
	defer srv.Close()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := newConn(srv, a)
	cols := types.Schema{{Name: "a", Type: types.Int8}, {Name: "b", Type: types.Text}, {Name: "c", Type: types.Float8}, {Name: "d", Type: types.Bool}}
	row := types.Row{types.DInt(42), types.DString("hello"), types.DFloat(1.5), types.Null}
	buf := make([]byte, 0, 256)
	for _, formats := range [][]int16{nil, {1, 1, 1, 1}} {
		allocs := testing.AllocsPerRun(100, func() {
			var err error
			if buf, err = c.appendDataRow(buf[:0], row, cols, formats); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("formats %v: %v allocations per DataRow", formats, allocs)
		}
	}
	// The encoding is what pgproto3 decodes.
	var dr pgproto3.DataRow
	if err := dr.Decode(buf[5:]); err != nil {
		t.Fatal(err)
	}
	if len(dr.Values) != 4 || string(dr.Values[1]) != "hello" || dr.Values[3] != nil {
		t.Errorf("decoded %q", dr.Values)
	}
}

func BenchmarkDataRow(b *testing.B) {
	srv := NewServer(Options{Logger: slog.New(slog.DiscardHandler)}, newFakeBackend())
	defer srv.Close()
	x, y := net.Pipe()
	defer x.Close()
	defer y.Close()
	c := newConn(srv, x)
	cols := types.Schema{{Name: "a", Type: types.Int8}, {Name: "b", Type: types.Text}, {Name: "c", Type: types.Float8}}
	row := types.Row{types.DInt(42), types.DString("hello"), types.DFloat(1.5)}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = c.appendDataRow(buf[:0], row, cols, nil)
	}
}
