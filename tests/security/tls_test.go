package security

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streamdb/streamdb/server"
)

// testPKI is a CA and a server certificate for 127.0.0.1 and localhost,
// written as PEM files in a temporary directory.
type testPKI struct {
	caFile, certFile, keyFile string
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "streamdb test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := testPKI{caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "server.pem"), keyFile: filepath.Join(dir, "server.key")}
	writePEM(t, p.caFile, "CERTIFICATE", caDER)
	writePEM(t, p.certFile, "CERTIFICATE", der)
	writePEM(t, p.keyFile, "EC PRIVATE KEY", keyDER)
	return p
}

func (p testPKI) serverOptions(required bool) func(*server.Options) {
	return func(o *server.Options) {
		setting("tls.cert_file", p.certFile)(o)
		setting("tls.key_file", p.keyFile)(o)
		if required {
			setting("tls.required", "on")(o)
		}
	}
}

func hostPort(t *testing.T, srv *server.Server) (string, string) {
	host, port, err := net.SplitHostPort(srv.PGAddr())
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}

func pgxConnect(ctx context.Context, connString string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	return pgx.ConnectConfig(ctx, cfg)
}

func TestTLSVerifyFull(t *testing.T) {
	pki := newTestPKI(t)
	srv := startServer(t, pki.serverOptions(true))
	host, port := hostPort(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	t.Run("pgx", func(t *testing.T) {
		conn, err := pgxConnect(ctx, "host="+host+" port="+port+" user=streamdb dbname=streamdb sslmode=verify-full sslrootcert="+pki.caFile)
		if err != nil {
			t.Fatalf("pgx verify-full: %v", err)
		}
		defer conn.Close(ctx)
		if _, ok := conn.PgConn().Conn().(*tls.Conn); !ok {
			t.Fatalf("connection is %T, not TLS", conn.PgConn().Conn())
		}
		var n int
		if err := conn.QueryRow(ctx, "SELECT 41 + 1").Scan(&n); err != nil || n != 42 {
			t.Fatalf("query over TLS: %v %d", err, n)
		}
	})

	t.Run("pgx-wrong-ca", func(t *testing.T) {
		other := newTestPKI(t)
		_, err := pgxConnect(ctx, "host="+host+" port="+port+" user=streamdb dbname=streamdb sslmode=verify-full sslrootcert="+other.caFile)
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("verify-full against another CA: %v, want a certificate error", err)
		}
	})

	t.Run("plaintext-refused", func(t *testing.T) {
		_, err := pgxConnect(ctx, "host="+host+" port="+port+" user=streamdb dbname=streamdb sslmode=disable")
		code, msg := sqlState(err)
		if code != "28000" || !strings.Contains(msg, "no encryption") {
			t.Fatalf("plaintext with tls.required: %v, want 28000 ... no encryption", err)
		}
	})

	t.Run("psql", func(t *testing.T) {
		psql, err := exec.LookPath("psql")
		if err != nil {
			t.Skip("psql not installed (make test-deps installs it)")
		}
		out, err := exec.CommandContext(ctx, psql,
			"host="+host+" port="+port+" user=streamdb dbname=streamdb sslmode=verify-full sslrootcert="+pki.caFile,
			"-XAtc", "SELECT 'over tls'").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "over tls" {
			t.Fatalf("psql verify-full: %v\n%s", err, out)
		}
		out, err = exec.CommandContext(ctx, psql,
			"host="+host+" port="+port+" user=streamdb dbname=streamdb sslmode=disable",
			"-XAtc", "SELECT 1").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "no encryption") {
			t.Fatalf("psql plaintext with tls.required: %v\n%s", err, out)
		}
	})
}

// TestTLSOptional: without tls.required both plaintext and TLS work.
func TestTLSOptional(t *testing.T) {
	pki := newTestPKI(t)
	srv := startServer(t, pki.serverOptions(false))
	host, port := hostPort(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, mode := range []string{"sslmode=disable", "sslmode=verify-full sslrootcert=" + pki.caFile} {
		conn, err := pgxConnect(ctx, "host="+host+" port="+port+" user=streamdb dbname=streamdb "+mode)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		_ = conn.Close(ctx)
	}
}

// TestPipelinedAfterSSLRequest: bytes sent right behind an SSLRequest
// (before the handshake, CVE-2021-23214 style) must not be read as
// protocol messages: they become the start of the TLS handshake, which
// fails, and the server never answers them.
func TestPipelinedAfterSSLRequest(t *testing.T) {
	pki := newTestPKI(t)
	srv := startServer(t, pki.serverOptions(false))
	nc, err := net.DialTimeout("tcp", srv.PGAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	ssl := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 8), 80877103)
	startup := startupMessage("streamdb")
	if _, err := nc.Write(append(ssl, startup...)); err != nil {
		t.Fatal(err)
	}
	reply, err := io.ReadAll(nc)
	if len(reply) == 0 || reply[0] != 'S' {
		t.Fatalf("reply to SSLRequest: %q (%v)", reply, err)
	}
	// After 'S' only a TLS alert (record type 21) may follow, never an
	// authentication request ('R') or ParameterStatus.
	if rest := reply[1:]; len(rest) > 0 && rest[0] != 21 {
		t.Fatalf("server answered pipelined plaintext after SSLRequest: %q", rest)
	}
}

// startupMessage is a protocol 3.0 StartupMessage for user.
func startupMessage(user string) []byte {
	body := binary.BigEndian.AppendUint32(nil, 196608)
	body = append(body, "user\x00"+user+"\x00database\x00streamdb\x00\x00"...)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body)+4)), body...)
}
