package pgwire

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// FuzzSCRAMParse fuzzes the parsers of client-provided SCRAM text: the
// client-first-message and stored verifiers (CREATE ROLE ... PASSWORD
// 'SCRAM-SHA-256$...' comes from clients too).
func FuzzSCRAMParse(f *testing.F) {
	f.Add("n,,n=,r=rOprNGfwEbeRWgbNEkqO")
	f.Add("y,,n=alice,r=abc,ext=1")
	f.Add("p=tls-server-end-point,,n=,r=x")
	f.Add("n,a=bob,n=,r=x")
	f.Add(MakeSCRAMVerifier("secret"))
	f.Add("SCRAM-SHA-256$4096:c2FsdA==$AAAA:BBBB")
	f.Fuzz(func(t *testing.T, data string) {
		if cf, err := parseSCRAMClientFirst(data); err == nil {
			if cf.nonce == "" || !strings.HasSuffix(data, cf.bare) {
				t.Fatalf("accepted %q with nonce %q bare %q", data, cf.nonce, cf.bare)
			}
		}
		if v, ok := parseSCRAMVerifier(data); ok {
			if v.iterations <= 0 || len(v.salt) == 0 {
				t.Fatalf("accepted verifier %q with %d iterations", data, v.iterations)
			}
			_ = v.check("password")
		}
	})
}

// FuzzSCRAMExchange drives a whole SCRAM exchange with fuzzed
// client-first and client-final messages: the server must answer with an
// error (never authenticate) and keep serving.
func FuzzSCRAMExchange(f *testing.F) {
	f.Add([]byte("n,,n=,r=rOprNGfwEbeRWgbNEkqO"), []byte("c=biws,r=rOprNGfwEbeRWgbNEkqO,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))
	f.Add([]byte("n,,n=,r=x"), []byte("c=biws,r=x,p="))
	f.Add([]byte(""), []byte(""))
	f.Add([]byte("n,,n=,r=\x00"), []byte("p=,c=,r="))
	f.Fuzz(func(t *testing.T, first, final []byte) {
		var logs lockedBuffer
		srv := NewServer(Options{
			Logger:        slog.New(slog.NewTextHandler(&logs, nil)),
			Authenticator: StaticAuthenticator{AuthMethod: AuthSCRAMSHA256, Passwords: map[string]string{"alice": MakeSCRAMVerifier("secret")}},
		}, newFakeBackend())
		defer func() {
			_ = srv.Close()
			if strings.Contains(logs.String(), "panic") {
				t.Fatalf("server panicked:\n%s", logs.String())
			}
		}()
		input := append(append([]byte{}, fuzzStartup...), encodeFrontend(
			&pgproto3.SASLInitialResponse{AuthMechanism: scramMechanism, Data: first},
			&pgproto3.SASLResponse{Data: final},
			&pgproto3.Query{String: "SELECT 42"},
			&pgproto3.Terminate{},
		)...)
		out := pipeSession(t, srv, input, true)
		// A SELECT result means the fuzzed proof was accepted.
		if strings.Contains(string(out), "SELECT 1") {
			t.Fatalf("fuzzed SCRAM exchange authenticated: %q", out)
		}
	})
}
