package nexmark

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/jackc/pgx/v5"
)

// ServerOptions configure a child streamdb server.
type ServerOptions struct {
	// Binary is the streamdb executable (required).
	Binary string
	// DataDir is the server's data directory (required; the caller owns
	// and removes it).
	DataDir string
	// CheckpointInterval is passed as --checkpoint-interval; 0 means the
	// server's default (10s).
	CheckpointInterval time.Duration
	// Sets are extra --set key=value arguments.
	Sets []string
	// LogPath receives the server's stderr; empty means DataDir/../server-N.log.
	LogPath string
}

// scratchDir creates a directory for one benchmark's server under
// workDir; remove deletes it unless keep is set.
func scratchDir(workDir, name string, keep bool) (dir string, remove func(), err error) {
	dir, err = os.MkdirTemp(workDir, "streamdb-bench-"+name+"-")
	if err != nil {
		return "", nil, errors.Wrap(err, "creating the data directory")
	}
	return dir, func() {
		if !keep {
			os.RemoveAll(dir)
		}
	}, nil
}

// startScratchServer creates a scratch directory under workDir (see
// scratchDir), starts a server with its data in dir/data and opens one
// connection. cleanup closes the connection, stops the server and removes
// the directory, in that order; on error everything already set up is
// undone and cleanup is nil.
func startScratchServer(ctx context.Context, workDir, name string, keep bool, opts ServerOptions) (srv *Server, conn *pgx.Conn, cleanup func(), err error) {
	dir, remove, err := scratchDir(workDir, name, keep)
	if err != nil {
		return nil, nil, nil, err
	}
	opts.DataDir = filepath.Join(dir, "data")
	srv, err = StartServer(ctx, opts)
	if err != nil {
		remove()
		return nil, nil, nil, err
	}
	conn, err = srv.Connect(ctx)
	if err != nil {
		srv.Stop()
		remove()
		return nil, nil, nil, err
	}
	return srv, conn, func() {
		conn.Close(context.Background())
		srv.Stop()
		remove()
	}, nil
}

// Server is a streamdb child process. It keeps its ports across restarts,
// so clients reconnect to the same address.
type Server struct {
	opts     ServerOptions
	PGAddr   string
	HTTPAddr string
	cmd      *exec.Cmd
	waitErr  chan error
	log      *os.File
	starts   int
	// Started is when the current process was spawned.
	Started time.Time
}

// StartServer spawns `streamdb serve` on free loopback ports and waits until
// it accepts a pgwire connection.
func StartServer(ctx context.Context, opts ServerOptions) (*Server, error) {
	if opts.Binary == "" || opts.DataDir == "" {
		return nil, errors.New("ServerOptions: Binary and DataDir are required")
	}
	pg, err := freePort()
	if err != nil {
		return nil, err
	}
	httpAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, PGAddr: pg, HTTPAddr: httpAddr}
	return s, s.Start(ctx)
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", errors.Wrap(err, "finding a free port")
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Start spawns the process (again, after Kill) and waits until it serves.
func (s *Server) Start(ctx context.Context) error {
	args := []string{"serve", "--listen", s.PGAddr, "--http", s.HTTPAddr, "--data-dir", s.opts.DataDir}
	if s.opts.CheckpointInterval > 0 {
		args = append(args, "--checkpoint-interval", s.opts.CheckpointInterval.String())
	}
	for _, kv := range s.opts.Sets {
		args = append(args, "--set", kv)
	}
	s.starts++
	logPath := s.opts.LogPath
	if logPath == "" {
		logPath = filepath.Clean(s.opts.DataDir) + "-server-" + strconv.Itoa(s.starts) + ".log"
	}
	log, err := os.Create(logPath)
	if err != nil {
		return errors.Wrap(err, "creating the server log")
	}
	cmd := exec.Command(s.opts.Binary, args...)
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group: a Ctrl-C of the benchmark reaches the server
	// through Stop, not as a second signal mid-measurement.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.Started = time.Now()
	if err := cmd.Start(); err != nil {
		log.Close()
		return errors.Wrapf(err, "starting %s", s.opts.Binary)
	}
	s.cmd, s.log = cmd, log
	s.waitErr = make(chan error, 1)
	go func() { s.waitErr <- cmd.Wait() }()
	if err := s.waitReady(ctx); err != nil {
		// Never leave a server behind (it has its own process group, so
		// the benchmark's own signals do not reach it).
		_ = s.Kill()
		return err
	}
	return nil
}

func (s *Server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		select {
		case err := <-s.waitErr:
			s.waitErr <- err
			return errors.Newf("streamdb exited before serving (%v); log in %s", err, s.log.Name())
		default:
		}
		conn, err := s.Connect(ctx)
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.Wrapf(err, "streamdb did not accept connections; log in %s", s.log.Name())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ConnString is the pgx URL of the server.
func (s *Server) ConnString() string {
	return "postgres://streamdb@" + s.PGAddr + "/streamdb?sslmode=disable"
}

// Connect opens a connection.
func (s *Server) Connect(ctx context.Context) (*pgx.Conn, error) {
	return pgx.Connect(ctx, s.ConnString())
}

// PID is the current process's id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Stat reads the current process's CPU time and memory.
func (s *Server) Stat() (ProcStat, error) { return ReadProcStat(s.PID()) }

// Kill sends SIGKILL and waits for the process to be gone.
func (s *Server) Kill() error {
	if s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	err := <-s.waitErr
	// Keep the exit for a later Start's readiness check.
	s.waitErr <- err
	s.cmd = nil
	return s.log.Close()
}

// Stop asks the server to shut down (SIGTERM) and kills it after a grace
// period.
func (s *Server) Stop() error {
	if s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.waitErr:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.waitErr
	}
	s.cmd = nil
	return s.log.Close()
}

// LogPath is the current process's log file.
func (s *Server) LogPath() string { return s.log.Name() }
