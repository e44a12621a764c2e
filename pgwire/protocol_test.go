package pgwire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// rawClient speaks the protocol message by message.
type rawClient struct {
	t  testing.TB
	nc net.Conn
	fe *pgproto3.Frontend
}

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	return &rawClient{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
}

// startup sends a StartupMessage and returns the summary of the greeting.
func (c *rawClient) startup() string {
	c.t.Helper()
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "alice", "database": "streamdb"}})
	return c.readUntilReady()
}

func (c *rawClient) send(msgs ...pgproto3.FrontendMessage) {
	c.t.Helper()
	for _, m := range msgs {
		c.fe.Send(m)
	}
	if err := c.fe.Flush(); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient) sendRaw(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// summarize renders a backend message compactly.
func summarize(msg pgproto3.BackendMessage) string {
	switch m := msg.(type) {
	case *pgproto3.ParseComplete:
		return "1"
	case *pgproto3.BindComplete:
		return "2"
	case *pgproto3.CloseComplete:
		return "3"
	case *pgproto3.NoData:
		return "n"
	case *pgproto3.PortalSuspended:
		return "s"
	case *pgproto3.EmptyQueryResponse:
		return "I"
	case *pgproto3.ParameterDescription:
		return fmt.Sprintf("t%v", m.ParameterOIDs)
	case *pgproto3.RowDescription:
		var parts []string
		for _, f := range m.Fields {
			parts = append(parts, fmt.Sprintf("%s:%d:%d", f.Name, f.DataTypeOID, f.Format))
		}
		return "T[" + strings.Join(parts, " ") + "]"
	case *pgproto3.DataRow:
		var parts []string
		for _, v := range m.Values {
			if v == nil {
				parts = append(parts, "NULL")
			} else {
				parts = append(parts, fmt.Sprintf("%q", v))
			}
		}
		return "D[" + strings.Join(parts, " ") + "]"
	case *pgproto3.CommandComplete:
		return "C:" + string(m.CommandTag)
	case *pgproto3.ErrorResponse:
		return "E:" + m.Severity + ":" + m.Code + ":" + m.Message
	case *pgproto3.ReadyForQuery:
		return "Z:" + string(m.TxStatus)
	case *pgproto3.AuthenticationOk:
		return "R"
	case *pgproto3.ParameterStatus:
		return "S"
	case *pgproto3.BackendKeyData:
		return "K"
	case *pgproto3.NegotiateProtocolVersion:
		return fmt.Sprintf("v%d%v", m.NewestMinorProtocol, m.UnrecognizedOptions)
	}
	return fmt.Sprintf("%T", msg)
}

// readUntilReady reads up to ReadyForQuery (or EOF, rendered "EOF").
func (c *rawClient) readUntilReady() string {
	c.t.Helper()
	var out []string
	for {
		msg, err := c.fe.Receive()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "reset") {
				return strings.Join(append(out, "EOF"), " ")
			}
			c.t.Fatalf("receive after %v: %v", out, err)
		}
		s := summarize(msg)
		if s == "S" {
			continue
		}
		out = append(out, s)
		if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
			return strings.Join(out, " ")
		}
	}
}

func TestRawStartup(t *testing.T) {
	_, _, addr := startServer(t, Options{})
	c := dialRaw(t, addr)
	if got := c.startup(); got != "R K Z:I" {
		t.Fatalf("greeting %q", got)
	}
	c.send(&pgproto3.Query{String: ""})
	if got := c.readUntilReady(); got != "I Z:I" {
		t.Errorf("empty query: %q", got)
	}
	c.send(&pgproto3.Terminate{})
	if got := c.readUntilReady(); got != "EOF" {
		t.Errorf("after Terminate: %q", got)
	}
}

func TestRawProtocolVersions(t *testing.T) {
	_, _, addr := startServer(t, Options{})

	c := dialRaw(t, addr)
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion32,
		Parameters: map[string]string{"user": "alice", "_pq_.extension": "x"}})
	if got := c.readUntilReady(); got != "v0[_pq_.extension] R K Z:I" {
		t.Errorf("3.2: %q", got)
	}

	c = dialRaw(t, addr)
	c.sendRaw([]byte{0, 0, 0, 9, 0, 2, 0, 0, 0})
	if got := c.readUntilReady(); got != "E:FATAL:0A000:unsupported frontend protocol 2.0: server supports 3.0 to 3.0 EOF" {
		t.Errorf("2.0: %q", got)
	}

	c = dialRaw(t, addr)
	c.sendRaw([]byte{0, 0, 0, 3})
	if got := c.readUntilReady(); got != "E:FATAL:08P01:invalid length of startup packet EOF" {
		t.Errorf("short packet: %q", got)
	}

	c = dialRaw(t, addr)
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"database": "x"}})
	if got := c.readUntilReady(); got != "E:FATAL:28000:no PostgreSQL user name specified in startup packet EOF" {
		t.Errorf("no user: %q", got)
	}

	// SSLRequest and GSSEncRequest are declined with 'N', then startup goes on.
	c = dialRaw(t, addr)
	for _, code := range []uint32{sslRequestCode, gssEncRequestCode} {
		c.sendRaw(binary.BigEndian.AppendUint32([]byte{0, 0, 0, 8}, code))
		var b [1]byte
		if _, err := io.ReadFull(c.nc, b[:]); err != nil || b[0] != 'N' {
			t.Fatalf("answer to %d: %q %v", code, b, err)
		}
	}
	if got := c.startup(); got != "R K Z:I" {
		t.Errorf("after SSLRequest: %q", got)
	}
}

func TestPortalSuspended(t *testing.T) {
	_, _, addr := startServer(t, Options{})
	c := dialRaw(t, addr)
	c.startup()
	c.send(
		&pgproto3.Parse{Query: "SELECT generate_series(1, 5)"},
		&pgproto3.Bind{ResultFormatCodes: []int16{1}},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Sync{},
	)
	want := `1 2 T[generate_series:23:1] D["\x00\x00\x00\x01"] D["\x00\x00\x00\x02"] s ` +
		`D["\x00\x00\x00\x03"] D["\x00\x00\x00\x04"] s D["\x00\x00\x00\x05"] C:SELECT 1 C:SELECT 0 Z:I`
	if got := c.readUntilReady(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	// Exactly as many rows as the limit: suspended, then an empty completion.
	c.send(
		&pgproto3.Parse{Name: "s", Query: "SELECT generate_series(1, 2)"},
		&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s"},
		&pgproto3.Execute{Portal: "p", MaxRows: 2},
		&pgproto3.Execute{Portal: "p", MaxRows: 2},
		&pgproto3.Sync{},
	)
	if got, want := c.readUntilReady(), `1 2 D["1"] D["2"] s C:SELECT 0 Z:I`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Portals end with the implicit transaction; statements stay.
	c.send(&pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})
	if got, want := c.readUntilReady(), `E:ERROR:34000:portal "p" does not exist Z:I`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	c.send(
		&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s"},
		&pgproto3.Execute{Portal: "p"},
		&pgproto3.Close{ObjectType: 'P', Name: "p"},
		&pgproto3.Close{ObjectType: 'S', Name: "s"},
		&pgproto3.Close{ObjectType: 'S', Name: "never"},
		&pgproto3.Describe{ObjectType: 'S', Name: "s"},
		&pgproto3.Sync{},
	)
	if got, want := c.readUntilReady(), `2 D["1"] D["2"] C:SELECT 2 3 3 3 E:ERROR:26000:prepared statement "s" does not exist Z:I`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestExtendedDescribeAndErrors(t *testing.T) {
	_, _, addr := startServer(t, Options{})
	c := dialRaw(t, addr)
	c.startup()

	c.send(
		&pgproto3.Parse{Name: "q", Query: "SELECT $1::int, $2", ParameterOIDs: []uint32{0, 25}},
		&pgproto3.Describe{ObjectType: 'S', Name: "q"},
		&pgproto3.Parse{Name: "i", Query: "INSERT"},
		&pgproto3.Describe{ObjectType: 'S', Name: "i"},
		&pgproto3.Bind{PreparedStatement: "q", ParameterFormatCodes: []int16{0}, Parameters: [][]byte{[]byte("12"), nil}, ResultFormatCodes: []int16{0, 0}},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
	)
	want := `1 t[23 25] T[int4:23:0 text:25:0] 1 t[] n 2 T[int4:23:0 text:25:0] D["12" NULL] C:SELECT 1 C:SELECT 0 Z:I`
	if got := c.readUntilReady(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	for _, tc := range []struct {
		msgs []pgproto3.FrontendMessage
		want string
	}{
		{[]pgproto3.FrontendMessage{&pgproto3.Parse{Name: "q", Query: "SELECT 1"}},
			`E:ERROR:42P05:prepared statement "q" already exists`},
		{[]pgproto3.FrontendMessage{&pgproto3.Parse{Query: "SELECT $1::int"}, &pgproto3.Bind{Parameters: [][]byte{[]byte("1"), []byte("2")}}},
			`1 E:ERROR:08P01:bind message supplies 2 parameters, but prepared statement "" requires 1`},
		{[]pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "q", Parameters: [][]byte{[]byte("1"), nil}, ResultFormatCodes: []int16{0, 0, 0}}},
			`E:ERROR:08P01:bind message has 3 result formats but query has 2 columns`},
		{[]pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "q", ParameterFormatCodes: []int16{0, 1, 0}, Parameters: [][]byte{[]byte("1"), nil}}},
			`E:ERROR:08P01:bind message has 3 parameter formats but 2 parameters`},
		{[]pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "q", Parameters: [][]byte{[]byte("x"), nil}}},
			`E:ERROR:22P02:invalid input syntax for type integer: "x"`},
		{[]pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "nope"}},
			`E:ERROR:26000:prepared statement "nope" does not exist`},
		{[]pgproto3.FrontendMessage{&pgproto3.Describe{ObjectType: 'P', Name: "nope"}},
			`E:ERROR:34000:portal "nope" does not exist`},
		{[]pgproto3.FrontendMessage{&pgproto3.Parse{Query: "BOGUS"}},
			`E:ERROR:42601:syntax error at or near "BOGUS"`},
		{[]pgproto3.FrontendMessage{&pgproto3.Parse{Query: "SELECT 1/0"}, &pgproto3.Bind{}, &pgproto3.Execute{}},
			`1 2 E:ERROR:22012:division by zero`},
		{[]pgproto3.FrontendMessage{&pgproto3.Parse{Query: "INSERT"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Execute{}},
			`1 2 C:INSERT 0 1 E:ERROR:55000:portal "" cannot be run`},
	} {
		// Everything after the error up to Sync is skipped.
		msgs := append(tc.msgs, &pgproto3.Query{String: "SELECT 1"}, &pgproto3.Parse{Name: "z", Query: "SELECT 1"}, &pgproto3.Sync{})
		c.send(msgs...)
		if got := c.readUntilReady(); got != tc.want+" Z:I" {
			t.Errorf("got  %s\nwant %s Z:I", got, tc.want)
		}
	}
	// A simple query drops the unnamed statement.
	c.send(&pgproto3.Parse{Query: "SELECT 1"}, &pgproto3.Sync{})
	c.readUntilReady()
	c.send(&pgproto3.Query{String: "INSERT"})
	c.readUntilReady()
	c.send(&pgproto3.Describe{ObjectType: 'S'}, &pgproto3.Sync{})
	if got := c.readUntilReady(); got != `E:ERROR:26000:prepared statement "" does not exist Z:I` {
		t.Errorf("got %s", got)
	}
	// The statement "z" was never created.
	c.send(&pgproto3.Describe{ObjectType: 'S', Name: "z"}, &pgproto3.Sync{})
	if got := c.readUntilReady(); got != `E:ERROR:26000:prepared statement "z" does not exist Z:I` {
		t.Errorf("got %s", got)
	}
}

func TestOversizedMessage(t *testing.T) {
	_, _, addr := startServer(t, Options{MaxMessageSize: 1024})
	ctx := testCtx(t)
	other, err := pgconn.Connect(ctx, connString(addr, "alice", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)

	c := dialRaw(t, addr)
	c.startup()
	// Only the header of a 1 GiB message: the server must answer without
	// waiting for (or allocating) the body.
	c.sendRaw([]byte{'Q', 0x40, 0, 0, 0})
	if got := c.readUntilReady(); got != "E:FATAL:08P01:message too large EOF" {
		t.Errorf("got %q", got)
	}
	// A message just over the limit, in full.
	c = dialRaw(t, addr)
	c.startup()
	c.send(&pgproto3.Query{String: strings.Repeat("x", 1100)})
	if got := c.readUntilReady(); got != "E:FATAL:08P01:message too large EOF" {
		t.Errorf("got %q", got)
	}

	if _, err := other.Exec(ctx, "SELECT 1").ReadAll(); err != nil {
		t.Fatalf("other connection: %v", err)
	}
}

func TestGarbageFrames(t *testing.T) {
	srv, _, addr := startServer(t, Options{})
	for _, tc := range []struct {
		name  string
		frame []byte
		want  string
	}{
		{"unknown type", []byte{'!', 0, 0, 0, 4}, "E:FATAL:08P01:invalid frontend message type 33"},
		{"negative length", []byte{'Q', 0xff, 0xff, 0xff, 0xff}, "E:FATAL:08P01:invalid message length"},
		{"short length", []byte{'Q', 0, 0, 0, 2}, "E:FATAL:08P01:invalid message length"},
		{"truncated bind", []byte{'B', 0, 0, 0, 7, 'p', 0, 's'}, "E:FATAL:08P01:"},
		{"query without nul", []byte{'Q', 0, 0, 0, 6, 'a', 'b'}, "E:FATAL:08P01:"},
		{"bad describe", []byte{'D', 0, 0, 0, 6, 'Z', 0, 'S', 0, 0, 0, 4}, "E:ERROR:08P01:invalid DESCRIBE message subtype 90 Z:I"},
		{"function call", []byte{'F', 0, 0, 0, 14, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}, "E:ERROR:0A000:fastpath function calls are not supported Z:I"},
		{"password outside auth", []byte{'p', 0, 0, 0, 6, 'x', 0}, "E:FATAL:08P01:invalid frontend message type 112"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, addr)
			c.startup()
			c.sendRaw(tc.frame)
			got := c.readUntilReady()
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %q, want prefix %q", got, tc.want)
			}
			if strings.HasPrefix(tc.want, "E:FATAL") && !strings.HasSuffix(got, "EOF") {
				t.Errorf("connection not closed: %q", got)
			}
		})
	}
	c := dialRaw(t, addr)
	c.startup()
	c.send(&pgproto3.Query{String: "SELECT 7"})
	if got := c.readUntilReady(); got != `T[?column?:23:0] D["7"] C:SELECT 1 Z:I` {
		t.Errorf("server unusable after garbage: %q", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.NumConnections() != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := srv.NumConnections(); n != 1 {
		t.Errorf("%d connections left open", n)
	}
}
