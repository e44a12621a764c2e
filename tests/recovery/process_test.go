package recovery

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// buildBinary compiles cmd/streamdb into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "streamdb")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/streamdb")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/streamdb: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// process is one run of the streamdb binary.
type process struct {
	cmd    *exec.Cmd
	addr   string
	stderr *lockedWriter
	exited chan error
}

// startProcess starts the binary on dataDir with one-second checkpoints and
// a short barrier interval, and waits until it accepts connections.
func startProcess(t *testing.T, bin, dataDir string) *process {
	t.Helper()
	p := &process{addr: freeAddr(t), stderr: &lockedWriter{}, exited: make(chan error, 1)}
	p.cmd = exec.Command(bin, "serve", "--listen", p.addr, "--http", "", "--data-dir", dataDir,
		"--checkpoint-interval", "1s", "--set", "barrier_interval=100ms")
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, p.connString())
		cancel()
		if err == nil {
			_ = conn.Close(context.Background())
			return p
		}
		select {
		case err := <-p.exited:
			t.Fatalf("streamdb exited during startup: %v\n%s", err, p.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("streamdb did not accept connections within 60s: %v\n%s", err, p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *process) connString() string {
	return "postgres://streamdb@" + p.addr + "/streamdb?sslmode=disable"
}

func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

// lockedWriter lets the process write stderr while the test reads it.
type lockedWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
