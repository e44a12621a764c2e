package testutil

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/streamdb/streamdb/server"
)

// StartServer starts an in-process server on a free loopback port with its
// own data directory and its warnings in the test log; it is closed when
// the test ends. adjust may change the options first.
func StartServer(t *testing.T, adjust ...func(*server.Options)) *server.Server {
	t.Helper()
	opts := server.Options{
		Listen:  "127.0.0.1:0",
		HTTP:    "-",
		DataDir: t.TempDir(),
		Logger:  slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	for _, f := range adjust {
		f(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := server.Start(ctx, opts)
	if err != nil {
		t.Fatalf("starting server: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("closing server: %v", err)
		}
	})
	return srv
}

// testLogWriter sends server logs to the test log, shown on failure.
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
