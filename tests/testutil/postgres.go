package testutil

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// Postgres is a throwaway PostgreSQL cluster started by a test, used to
// check that the suites' own expectations hold on the real thing.
type Postgres struct {
	// Addr is host:port on loopback.
	Addr string
	// Port is the TCP port.
	Port int
	// Dir is the cluster's data directory.
	Dir string
}

// ConnString is a libpq URL for database "postgres" as superuser
// "postgres" (trust authentication on loopback).
func (p *Postgres) ConnString() string {
	return fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", p.Addr)
}

// PostgresBin returns the bin directory of the newest installed PostgreSQL
// server (Debian layout, /usr/lib/postgresql/N/bin), or "" when none is.
func PostgresBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	return ""
}

// StartPostgres initialises and starts a PostgreSQL cluster in a temp dir
// on a free loopback port, stopped and removed when the test ends. The
// server package comes from Debian (`make test-deps` installs it); a
// missing server fails the test rather than skipping it, so CI cannot
// pass without checking the expectations. When the test runs as root the
// cluster runs as the "postgres" user, which Debian's package creates.
func StartPostgres(t *testing.T) *Postgres {
	t.Helper()
	bin := PostgresBin()
	if bin == "" {
		t.Fatalf("no PostgreSQL server installed (run `make test-deps`, which installs Debian's postgresql)")
	}
	base, err := os.MkdirTemp("", "streamdb-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	dir := filepath.Join(base, "data")
	sock := filepath.Join(base, "sock")
	if err := os.Mkdir(sock, 0o755); err != nil {
		t.Fatal(err)
	}
	var runAs []string
	if os.Getuid() == 0 {
		if err := os.Chmod(base, 0o755); err != nil {
			t.Fatal(err)
		}
		runAs = []string{"runuser", "-u", "postgres", "--"}
		if out, err := exec.Command("chown", "-R", "postgres", base).CombinedOutput(); err != nil {
			t.Fatalf("chown %s: %v\n%s", base, err, out)
		}
	}
	command := func(name string, args ...string) *exec.Cmd {
		full := append(append(append([]string{}, runAs...), filepath.Join(bin, name)), args...)
		cmd := exec.Command(full[0], full[1:]...)
		cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "TZ=UTC")
		return cmd
	}
	if out, err := command("initdb", "-D", dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	addr := FreeAddr(t)
	_, portText, _ := net.SplitHostPort(addr)
	var port int
	fmt.Sscan(portText, &port)
	logFile := filepath.Join(base, "postgres.log")
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c timezone=UTC -c max_connections=200", port, sock)
	if out, err := command("pg_ctl", "-D", dir, "-l", logFile, "-o", opts, "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		logText, _ := os.ReadFile(logFile)
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, logText)
	}
	t.Cleanup(func() {
		if out, err := command("pg_ctl", "-D", dir, "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
			t.Logf("pg_ctl stop: %v\n%s", err, out)
		}
	})
	pg := &Postgres{Addr: addr, Port: port, Dir: dir}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL did not listen on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return pg
}

// PostgresVersion returns the major version of the installed server ("15"),
// taken from its bin directory.
func PostgresVersion() string {
	bin := PostgresBin()
	if bin == "" {
		return ""
	}
	return filepath.Base(filepath.Dir(bin))
}
