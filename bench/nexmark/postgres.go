package nexmark

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/cockroachdb/errors"
)

// Postgres is a throwaway PostgreSQL cluster the serving benchmark
// compares with (Debian's server under /usr/lib/postgresql/N/bin; run as
// the postgres user when the benchmark runs as root, since initdb refuses
// root).
type Postgres struct {
	Addr    string
	Version string
	base    string
	command func(name string, args ...string) *exec.Cmd
	dataDir string
}

// postgresBin is the bin directory of the newest installed PostgreSQL
// server, or "".
func postgresBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	return ""
}

// StartPostgres initialises a cluster under workDir on a free loopback
// port (fsync off: the comparison is about serving reads) and starts it.
func StartPostgres(ctx context.Context, workDir string) (*Postgres, error) {
	bin := postgresBin()
	if bin == "" {
		return nil, errors.New("no PostgreSQL server installed under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
	}
	base, err := os.MkdirTemp(workDir, "streamdb-bench-pg-")
	if err != nil {
		return nil, errors.Wrap(err, "creating the PostgreSQL directory")
	}
	p := &Postgres{base: base, dataDir: filepath.Join(base, "data"), Version: filepath.Base(filepath.Dir(bin))}
	sock := filepath.Join(base, "sock")
	if err := os.Mkdir(sock, 0o755); err != nil {
		return nil, errors.Wrap(err, "creating the socket directory")
	}
	var runAs []string
	if os.Getuid() == 0 {
		if err := os.Chmod(base, 0o755); err != nil {
			return nil, errors.Wrap(err, "chmod")
		}
		runAs = []string{"runuser", "-u", "postgres", "--"}
		if out, err := exec.Command("chown", "-R", "postgres", base).CombinedOutput(); err != nil {
			return nil, errors.Wrapf(err, "chown %s: %s", base, out)
		}
	}
	p.command = func(name string, args ...string) *exec.Cmd {
		full := append(append(append([]string{}, runAs...), filepath.Join(bin, name)), args...)
		cmd := exec.CommandContext(ctx, full[0], full[1:]...)
		cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "TZ=UTC")
		return cmd
	}
	if out, err := p.command("initdb", "-D", p.dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync").CombinedOutput(); err != nil {
		os.RemoveAll(base)
		return nil, errors.Wrapf(err, "initdb: %s", out)
	}
	if p.Addr, err = freePort(); err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(p.Addr)
	logFile := filepath.Join(base, "postgres.log")
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %s -k %s -c fsync=off -c timezone=UTC -c max_connections=200", port, sock)
	if out, err := p.command("pg_ctl", "-D", p.dataDir, "-l", logFile, "-o", opts, "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		logText, _ := os.ReadFile(logFile)
		os.RemoveAll(base)
		return nil, errors.Wrapf(err, "pg_ctl start: %s\n%s", out, logText)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", p.Addr)
		if err == nil {
			c.Close()
			return p, nil
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, errors.Wrapf(err, "PostgreSQL did not listen on %s", p.Addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ConnString is a URL for database postgres as superuser postgres.
func (p *Postgres) ConnString() string {
	return "postgres://postgres@" + p.Addr + "/postgres?sslmode=disable"
}

// Stop stops the cluster and removes its directory.
func (p *Postgres) Stop() {
	_ = p.command("pg_ctl", "-D", p.dataDir, "-m", "immediate", "-w", "stop").Run()
	os.RemoveAll(p.base)
}
