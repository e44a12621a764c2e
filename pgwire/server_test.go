package pgwire

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// startServer serves a fake backend on 127.0.0.1:0.
func startServer(t testing.TB, opts Options) (*Server, *fakeBackend, string) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	be := newFakeBackend()
	srv := NewServer(opts, be)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return srv, be, ln.Addr().String()
}

func connString(addr, user, password string) string {
	host, port, _ := net.SplitHostPort(addr)
	cred := user
	if password != "" {
		cred += ":" + password
	}
	return fmt.Sprintf("postgres://%s@%s:%s/streamdb?sslmode=disable&connect_timeout=10", cred, host, port)
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

func TestPgxExecModes(t *testing.T) {
	_, _, addr := startServer(t, Options{})
	modes := map[string]pgx.QueryExecMode{
		"cache_statement": pgx.QueryExecModeCacheStatement,
		"cache_describe":  pgx.QueryExecModeCacheDescribe,
		"describe_exec":   pgx.QueryExecModeDescribeExec,
		"exec":            pgx.QueryExecModeExec,
		"simple_protocol": pgx.QueryExecModeSimpleProtocol,
	}
	for name, mode := range modes {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			cfg, err := pgx.ParseConfig(connString(addr, "alice", ""))
			if err != nil {
				t.Fatal(err)
			}
			cfg.DefaultQueryExecMode = mode
			conn, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if got := conn.PgConn().ParameterStatus("server_version"); !strings.HasPrefix(got, "16.") {
				t.Errorf("server_version = %q", got)
			}
			if got := conn.PgConn().ParameterStatus("streamdb_fake"); got != "yes" {
				t.Errorf("session parameter not reported: %q", got)
			}

			for _, want := range []int{41, 7} {
				var n int
				var s string
				if err := conn.QueryRow(ctx, "SELECT $1::int, $2::text", want, "héllo 'x'").Scan(&n, &s); err != nil {
					t.Fatalf("query %d: %v", want, err)
				}
				if n != want || s != "héllo 'x'" {
					t.Errorf("got %d %q, want %d", n, s, want)
				}
			}
			var null *string
			if err := conn.QueryRow(ctx, "SELECT $1::text", nil).Scan(&null); err != nil || null != nil {
				t.Errorf("NULL param: %v %v", null, err)
			}

			// An error, then the connection recovers.
			var n int
			err = conn.QueryRow(ctx, "SELECT 1/0").Scan(&n)
			if pgCode(err) != "22012" {
				t.Fatalf("want 22012, got %v", err)
			}
			if err := conn.QueryRow(ctx, "SELECT $1::int", 5).Scan(&n); err != nil || n != 5 {
				t.Fatalf("after error: %d %v", n, err)
			}

			rows, err := conn.Query(ctx, "SELECT generate_series(1, 100)")
			if err != nil {
				t.Fatal(err)
			}
			sum := 0
			for rows.Next() {
				var v int
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				sum += v
			}
			if rows.Err() != nil || sum != 5050 {
				t.Fatalf("series sum %d, err %v", sum, rows.Err())
			}
			if tag := rows.CommandTag(); tag.String() != "SELECT 100" {
				t.Errorf("tag %q", tag)
			}

			tag, err := conn.Exec(ctx, "INSERT")
			if err != nil || tag.String() != "INSERT 0 1" {
				t.Errorf("INSERT: %q %v", tag, err)
			}
			_, err = conn.Exec(ctx, "BOGUS")
			if pgCode(err) != "42601" {
				t.Errorf("want syntax error, got %v", err)
			}
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Position != 1 {
				t.Errorf("position %d", pgErr.Position)
			}
		})
	}
}

func TestSimpleQueryMultiStatement(t *testing.T) {
	_, _, addr := startServer(t, Options{})
	ctx := testCtx(t)
	conn, err := pgconn.Connect(ctx, connString(addr, "alice", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	results, err := conn.Exec(ctx, "SELECT 1; SELECT 'a'::text, 2; INSERT").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 {
		t.Fatalf("%d results", len(results))
	}
	if got := string(results[1].Rows[0][0]) + string(results[1].Rows[0][1]); got != "a2" {
		t.Errorf("got %q", got)
	}
	if results[2].CommandTag.String() != "INSERT 0 1" {
		t.Errorf("tag %q", results[2].CommandTag)
	}

	// The error stops the rest of the string.
	results, err = conn.Exec(ctx, "SELECT 1; SELECT 1/0; INSERT").ReadAll()
	if pgCode(err) != "22012" || len(results) != 2 {
		t.Fatalf("got %d results, %v", len(results), err)
	}

	// Empty query, notices, transaction status and ParameterStatus.
	if _, err := conn.Exec(ctx, "  ").ReadAll(); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "BEGIN").ReadAll(); err != nil {
		t.Fatal(err)
	}
	if conn.TxStatus() != 'T' {
		t.Errorf("tx status %c", conn.TxStatus())
	}
	if _, err := conn.Exec(ctx, "COMMIT; SET TimeZone 'Europe/Paris'").ReadAll(); err != nil {
		t.Fatal(err)
	}
	if conn.TxStatus() != 'I' || conn.ParameterStatus("TimeZone") != "Europe/Paris" {
		t.Errorf("tx %c tz %q", conn.TxStatus(), conn.ParameterStatus("TimeZone"))
	}
}

func TestNotice(t *testing.T) {
	_, _, addr := startServer(t, Options{})
	ctx := testCtx(t)
	cfg, err := pgconn.ParseConfig(connString(addr, "alice", ""))
	if err != nil {
		t.Fatal(err)
	}
	var notices []string
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { notices = append(notices, n.Severity+" "+n.Message) }
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "NOTICE").ReadAll(); err != nil {
		t.Fatal(err)
	}
	if len(notices) != 1 || notices[0] != "NOTICE hello from the fake" {
		t.Errorf("notices %q", notices)
	}
}

func TestUnknownDatabase(t *testing.T) {
	_, _, addr := startServer(t, Options{})
	ctx := testCtx(t)
	_, err := pgconn.Connect(ctx, strings.Replace(connString(addr, "alice", ""), "/streamdb?", "/nosuchdb?", 1))
	if pgCode(err) != "3D000" {
		t.Fatalf("want 3D000, got %v", err)
	}
}

func TestCopy(t *testing.T) {
	_, be, addr := startServer(t, Options{})
	ctx := testCtx(t)
	conn, err := pgconn.Connect(ctx, connString(addr, "alice", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	tag, err := conn.CopyFrom(ctx, strings.NewReader("a\nb\nc\n"), "COPY t FROM STDIN")
	if err != nil || tag.String() != "COPY 3" {
		t.Fatalf("copy from: %q %v", tag, err)
	}
	be.mu.Lock()
	got := string(be.copyIn)
	be.mu.Unlock()
	if got != "a\nb\nc\n" {
		t.Errorf("copied %q", got)
	}

	// A failing reader makes pgconn send CopyFail.
	_, err = conn.CopyFrom(ctx, io.MultiReader(strings.NewReader("x\n"), errReader{}), "COPY t FROM STDIN")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" || !strings.HasPrefix(pgErr.Message, "COPY from stdin failed: ") {
		t.Fatalf("copy fail: %v", err)
	}

	var out bytes.Buffer
	tag, err = conn.CopyTo(ctx, &out, "COPY t TO STDOUT")
	if err != nil || tag.String() != "COPY 3" || out.String() != "1\n2\n3\n" {
		t.Fatalf("copy to: %q %q %v", tag, out.String(), err)
	}
	if _, err := conn.Exec(ctx, "SELECT 1").ReadAll(); err != nil {
		t.Fatal(err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("client-side failure") }

func TestCancel(t *testing.T) {
	_, be, addr := startServer(t, Options{})
	ctx := testCtx(t)
	conn, err := pgconn.Connect(ctx, connString(addr, "alice", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	cancelErr := make(chan error, 1)
	go func() {
		<-be.sleeping
		cancelErr <- conn.CancelRequest(ctx)
	}()
	_, err = conn.Exec(ctx, "SLEEP").ReadAll()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" || pgErr.Message != "canceling statement due to user request" {
		t.Fatalf("want 57014, got %v", err)
	}
	if err := <-cancelErr; err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SELECT 1").ReadAll(); err != nil {
		t.Fatalf("after cancel: %v", err)
	}
}

func TestCancelWrongKeyIgnored(t *testing.T) {
	srv, be, addr := startServer(t, Options{})
	ctx := testCtx(t)
	conn, err := pgconn.Connect(ctx, connString(addr, "alice", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, "SLEEP").ReadAll()
		done <- err
	}()
	<-be.sleeping
	srv.cancelRequest(int32(conn.PID()), []byte{1, 2, 3, 4}) // almost surely wrong
	select {
	case err := <-done:
		t.Fatalf("query ended after a wrong key: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	if err := conn.CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; pgCode(err) != "57014" {
		t.Fatalf("want 57014, got %v", err)
	}
}

func TestAuthentication(t *testing.T) {
	auth := StaticAuthenticator{Passwords: map[string]string{
		"plain":    "secret",
		"verifier": MakeSCRAMVerifier("s3cr3t"),
	}}
	for _, method := range []AuthMethod{AuthSCRAMSHA256, AuthCleartext} {
		t.Run(method.String(), func(t *testing.T) {
			auth.AuthMethod = method
			_, _, addr := startServer(t, Options{Authenticator: auth})
			ctx := testCtx(t)
			for _, tc := range []struct {
				user, password string
				ok             bool
			}{
				{"plain", "secret", true},
				{"verifier", "s3cr3t", true},
				{"plain", "wrong", false},
				{"verifier", "secret", false},
				{"nobody", "secret", false},
				{"plain", "", false},
			} {
				conn, err := pgconn.Connect(ctx, connString(addr, tc.user, tc.password))
				if tc.ok {
					if err != nil {
						t.Errorf("%s/%s: %v", tc.user, tc.password, err)
						continue
					}
					if _, err := conn.Exec(ctx, "SELECT 1").ReadAll(); err != nil {
						t.Error(err)
					}
					conn.Close(ctx)
					continue
				}
				var pgErr *pgconn.PgError
				if tc.password == "" && err != nil && !errors.As(err, &pgErr) {
					continue // pgx may refuse to send an empty password itself
				}
				if !errors.As(err, &pgErr) || pgErr.Code != "28P01" ||
					pgErr.Message != fmt.Sprintf("password authentication failed for user %q", tc.user) || pgErr.Severity != "FATAL" {
					t.Errorf("%s/%s: want 28P01, got %v", tc.user, tc.password, err)
				}
			}
		})
	}
	t.Run("reject", func(t *testing.T) {
		_, _, addr := startServer(t, Options{Authenticator: StaticAuthenticator{AuthMethod: AuthReject}})
		_, err := pgconn.Connect(testCtx(t), connString(addr, "alice", ""))
		if pgCode(err) != "28000" {
			t.Fatalf("want 28000, got %v", err)
		}
	})
}

func TestSCRAMVerifierFormat(t *testing.T) {
	v := MakeSCRAMVerifier("pencil")
	parsed, ok := parseSCRAMVerifier(v)
	if !ok || parsed.iterations != 4096 || !parsed.check("pencil") || parsed.check("pen") {
		t.Fatalf("verifier %q did not round-trip", v)
	}
	// A verifier made by Postgres 16 for password "foobar".
	pg := "SCRAM-SHA-256$4096:fOhvRJ1T2JBwe/Ypa2F9rQ==$YzebEKbQPQyRR/Vfl+LHBEQ8RK+RyYeLXHjpdH0cFS0=:9ZYpQ3Ws5ssq7oVY7rX3sOPU9uYn+3WKGW3MtRJvi6E="
	if parsed, ok := parseSCRAMVerifier(pg); !ok || parsed.iterations != 4096 {
		t.Fatalf("could not parse %q", pg)
	}
	for _, bad := range []string{"", "secret", "SCRAM-SHA-256$x:abc$def:ghi", "SCRAM-SHA-256$4096:AAAA$AAAA:AAAA"} {
		if _, ok := parseSCRAMVerifier(bad); ok {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestMaxConnections(t *testing.T) {
	_, _, addr := startServer(t, Options{MaxConnections: 3, ReservedSuperuserConnections: 1})
	ctx := testCtx(t)
	var conns []*pgconn.PgConn
	defer func() {
		for _, c := range conns {
			c.Close(ctx)
		}
	}()
	for i := 0; i < 2; i++ {
		c, err := pgconn.Connect(ctx, connString(addr, "alice", ""))
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	_, err := pgconn.Connect(ctx, connString(addr, "alice", ""))
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "53300" || !strings.Contains(pgErr.Message, "reserved") {
		t.Fatalf("want reserved-slot 53300, got %v", err)
	}
	c, err := pgconn.Connect(ctx, connString(addr, "streamdb", ""))
	if err != nil {
		t.Fatalf("superuser into the reserved slot: %v", err)
	}
	conns = append(conns, c)
	_, err = pgconn.Connect(ctx, connString(addr, "streamdb", ""))
	if !errors.As(err, &pgErr) || pgErr.Code != "53300" || pgErr.Message != "sorry, too many clients already" {
		t.Fatalf("want 53300, got %v", err)
	}
}

func TestTLS(t *testing.T) {
	_, _, addr := startServer(t, Options{TLSConfig: selfSignedTLS(t)})
	ctx := testCtx(t)
	host, port, _ := net.SplitHostPort(addr)
	conn, err := pgconn.Connect(ctx, fmt.Sprintf("postgres://alice@%s:%s/streamdb?sslmode=require", host, port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, ok := conn.Conn().(*tls.Conn); !ok {
		t.Errorf("connection is not TLS: %T", conn.Conn())
	}
	if _, err := conn.Exec(ctx, "SELECT 1").ReadAll(); err != nil {
		t.Fatal(err)
	}
	// Without TLS configured, sslmode=require fails cleanly.
	_, _, plainAddr := startServer(t, Options{})
	host, port, _ = net.SplitHostPort(plainAddr)
	if _, err := pgconn.Connect(ctx, fmt.Sprintf("postgres://alice@%s:%s/streamdb?sslmode=require", host, port)); err == nil {
		t.Fatal("sslmode=require succeeded without TLS")
	}
}

func selfSignedTLS(t *testing.T) *tls.Config {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func TestCloseReleasesSessions(t *testing.T) {
	srv, be, addr := startServer(t, Options{})
	ctx := testCtx(t)
	conn, err := pgconn.Connect(ctx, connString(addr, "alice", ""))
	if err != nil {
		t.Fatal(err)
	}
	if srv.NumConnections() != 1 {
		t.Errorf("NumConnections = %d", srv.NumConnections())
	}
	go func() { _, _ = conn.Exec(ctx, "SLEEP").ReadAll() }()
	<-be.sleeping
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if srv.NumConnections() != 0 || be.numClosed() != 1 {
		t.Errorf("after Close: %d connections, %d sessions closed", srv.NumConnections(), be.numClosed())
	}
}

func TestPsql(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	_, _, addr := startServer(t, Options{})
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.CommandContext(testCtx(t), psql, "-X", "-h", host, "-p", port, "-U", "streamdb", "-d", "streamdb",
		"-At", "-v", "ON_ERROR_STOP=0", "-c", "SELECT 'hello'::text, 42", "-c", "SELECT 1/0", "-c", "SELECT generate_series(1, 3)")
	cmd.Env = append(cmd.Environ(), "PGCONNECT_TIMEOUT=10", "PGSSLMODE=prefer")
	out, _ := cmd.CombinedOutput()
	want := "hello|42\nERROR:  division by zero\n1\n2\n3\n"
	if string(out) != want {
		t.Fatalf("psql output:\n%s\nwant:\n%s", out, want)
	}
}

func TestPsqlSCRAM(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	_, _, addr := startServer(t, Options{Authenticator: StaticAuthenticator{
		AuthMethod: AuthSCRAMSHA256,
		Passwords:  map[string]string{"streamdb": MakeSCRAMVerifier("pw")},
	}})
	host, port, _ := net.SplitHostPort(addr)
	for _, tc := range []struct{ password, want string }{
		{"pw", "ok\n"},
		{"nope", `psql: error: connection to server at "127.0.0.1", port ` + port + ` failed: FATAL:  password authentication failed for user "streamdb"` + "\n"},
	} {
		cmd := exec.CommandContext(testCtx(t), psql, "-X", "-w", "-h", host, "-p", port, "-U", "streamdb", "-d", "streamdb", "-At", "-c", "SELECT 'ok'::text")
		cmd.Env = append(cmd.Environ(), "PGCONNECT_TIMEOUT=10", "PGPASSWORD="+tc.password)
		out, _ := cmd.CombinedOutput()
		if string(out) != tc.want {
			t.Errorf("password %q: psql said %q, want %q", tc.password, out, tc.want)
		}
	}
}
