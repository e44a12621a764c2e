package pgwire

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/jackc/pgx/v5/pgconn"
)

// notifyBackend wraps fakeBackend's sessions into ones that implement
// NotificationSource, with a queue the test fills.
type notifyBackend struct {
	*fakeBackend
	mu       sync.Mutex
	sessions []*notifySession
}

func (b *notifyBackend) NewSession(ctx context.Context, info StartupInfo) (Session, map[string]string, error) {
	s, params, err := b.fakeBackend.NewSession(ctx, info)
	if err != nil {
		return nil, nil, err
	}
	ns := &notifySession{fakeSession: s.(*fakeSession)}
	b.mu.Lock()
	b.sessions = append(b.sessions, ns)
	b.mu.Unlock()
	return ns, params, nil
}

type notifySession struct {
	*fakeSession
	mu    sync.Mutex
	queue []Notification
	wake  func()
}

func (s *notifySession) SetNotificationWakeup(wake func()) {
	s.mu.Lock()
	s.wake = wake
	s.mu.Unlock()
}

func (s *notifySession) TakeNotifications() []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	return q
}

// push queues a notification from another goroutine, as the server's hub
// does at a sender's commit.
func (s *notifySession) push(n Notification) {
	s.mu.Lock()
	s.queue = append(s.queue, n)
	wake := s.wake
	s.mu.Unlock()
	wake()
}

// TestNotificationResponse: a notification reaches an idle connection at
// once (no client message needed), is held while the session is in a
// transaction block, and goes out before the ReadyForQuery of the COMMIT.
func TestNotificationResponse(t *testing.T) {
	be := &notifyBackend{fakeBackend: newFakeBackend()}
	srv := NewServer(Options{Logger: slog.New(slog.DiscardHandler)}, be)
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
	ctx := testCtx(t)
	var mu sync.Mutex
	var got []string
	cfg, err := pgconn.ParseConfig(connString(ln.Addr().String(), "streamdb", ""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.OnNotification = func(_ *pgconn.PgConn, n *pgconn.Notification) {
		mu.Lock()
		got = append(got, fmt.Sprintf("%s:%s:%d", n.Channel, n.Payload, n.PID))
		mu.Unlock()
	}
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	received := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
	be.mu.Lock()
	sess := be.sessions[0]
	be.mu.Unlock()
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql).ReadAll(); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}

	// Idle: delivered without any query. (The deadline of ctx only keeps
	// a lost notification from hanging the test.)
	sess.push(Notification{PID: 42, Channel: "ch", Payload: "idle"})
	if err := conn.WaitForNotification(ctx); err != nil {
		t.Fatalf("WaitForNotification: %v", err)
	}
	if r := received(); len(r) != 1 || r[0] != "ch:idle:42" {
		t.Fatalf("idle delivery: %q", r)
	}

	// In a transaction block: held until COMMIT.
	exec("BEGIN")
	sess.push(Notification{PID: 42, Channel: "ch", Payload: "held"})
	exec("SELECT 1")
	if r := received(); len(r) != 1 {
		t.Fatalf("delivered inside a transaction block: %q", r)
	}
	exec("COMMIT")
	if r := received(); len(r) != 2 || r[1] != "ch:held:42" {
		t.Fatalf("after COMMIT: %q", r)
	}
}
