package security

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/streamdb/streamdb/server"
)

// TestNonLoopbackNeedsPasswords: the default install trusts loopback only;
// binding a non-loopback address without passwords is refused at start,
// and with [users] configured every login needs a password.
func TestNonLoopbackNeedsPasswords(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := server.Start(ctx, server.Options{Listen: "0.0.0.0:0", HTTP: "-", DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "refusing to listen on 0.0.0.0:0 without passwords") {
		t.Fatalf("start on 0.0.0.0 without passwords: %v", err)
	}

	srv := startServer(t, func(o *server.Options) {
		o.Listen = "0.0.0.0:0"
		o.Users = map[string]string{"streamdb": "admin-secret"}
	})
	port := srv.PGAddr()[strings.LastIndex(srv.PGAddr(), ":"):]
	addr := "127.0.0.1" + port
	for _, pw := range []string{"", "wrong"} {
		if _, err := connectAddr(t, addr, "streamdb", pw); err == nil {
			t.Fatalf("logged in with password %q", pw)
		} else if code, _ := sqlState(err); code != "28P01" {
			t.Fatalf("password %q: %v, want 28P01", pw, err)
		}
	}
	if _, err := connectAddr(t, addr, "streamdb", "admin-secret"); err != nil {
		t.Fatal(err)
	}
}
