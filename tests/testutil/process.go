package testutil

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BuildBinary compiles cmd/streamdb into a temporary directory and returns
// its path.
func BuildBinary(t *testing.T) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(here), "..", "..")
	bin := filepath.Join(t.TempDir(), "streamdb")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/streamdb")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/streamdb: %v\n%s", err, out)
	}
	return bin
}

// FreeAddr returns a loopback address with a port nobody listens on now.
func FreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Process is one run of the streamdb binary.
type Process struct {
	Cmd    *exec.Cmd
	Addr   string
	Stderr *LockedBuffer
	// Exited receives the process's exit once.
	Exited chan error
}

// StartProcess starts the binary on dataDir (HTTP disabled, a free pgwire
// port, extra flags appended) and waits until it accepts connections. The
// process is killed when the test ends if it is still running.
func StartProcess(t *testing.T, bin, dataDir string, flags ...string) *Process {
	t.Helper()
	p := &Process{Addr: FreeAddr(t), Stderr: &LockedBuffer{}, Exited: make(chan error, 1)}
	args := append([]string{"serve", "--listen", p.Addr, "--http", "", "--data-dir", dataDir}, flags...)
	p.Cmd = exec.Command(bin, args...)
	p.Cmd.Stderr = p.Stderr
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.Exited <- p.Cmd.Wait() }()
	t.Cleanup(func() {
		if p.Cmd.ProcessState == nil {
			_ = p.Cmd.Process.Kill()
			<-p.Exited
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, p.ConnString())
		cancel()
		if err == nil {
			_ = conn.Close(context.Background())
			return p
		}
		select {
		case err := <-p.Exited:
			t.Fatalf("streamdb exited during startup: %v\n%s", err, p.Stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("streamdb did not accept connections within 60s: %v\n%s", err, p.Stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ConnString is the pgx connection string of the process.
func (p *Process) ConnString() string {
	return "postgres://streamdb@" + p.Addr + "/streamdb?sslmode=disable"
}

// Kill sends SIGKILL and waits for the process to die.
func (p *Process) Kill(t *testing.T) {
	t.Helper()
	if err := p.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.Exited
}

// LockedBuffer lets the process write stderr while the test reads it.
type LockedBuffer struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
