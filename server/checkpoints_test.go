package server

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/streamdb/streamdb/checkpoint"
)

func startTestServer(t *testing.T, dataDir string, adjust ...func(*Options)) *Server {
	t.Helper()
	opts := Options{Listen: "127.0.0.1:0", HTTP: "-", DataDir: dataDir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, f := range adjust {
		f(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("starting server: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func connectSimple(t *testing.T, s *Server) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig("postgres://streamdb@" + s.PGAddr() + "/streamdb?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func execAll(t *testing.T, conn *pgx.Conn, sqls ...string) {
	t.Helper()
	for _, q := range sqls {
		if _, err := conn.Exec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func queryInt(t *testing.T, conn *pgx.Conn, q string) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestCheckpointSavepointRestore(t *testing.T) {
	dirA := t.TempDir()
	a := startTestServer(t, dirA)
	conn := connectSimple(t, a)
	execAll(t, conn,
		"CREATE TABLE t (a int PRIMARY KEY, b text)",
		"INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 100) g",
		"CREATE MATERIALIZED VIEW v AS SELECT count(*) AS n FROM t",
		"CHECKPOINT",
	)
	var kind, status string
	var uploaded int64
	err := conn.QueryRow(context.Background(),
		"SELECT kind, status, bytes_uploaded FROM streamdb.checkpoints ORDER BY started DESC LIMIT 1").Scan(&kind, &status, &uploaded)
	if err != nil {
		t.Fatal(err)
	}
	if status != "completed" || uploaded == 0 || kind != "full" {
		t.Fatalf("streamdb.checkpoints: %s %s %d", kind, status, uploaded)
	}
	spURL := checkpoint.FileURL(filepath.Join(t.TempDir(), "savepoint"))
	var got string
	if err := conn.QueryRow(context.Background(), "SELECT streamdb.savepoint('"+spURL+"')").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != spURL {
		t.Fatalf("savepoint returned %q", got)
	}
	// The extended protocol (pgx's default) works too.
	cfg, err := pgx.ParseConfig("postgres://streamdb@" + a.PGAddr() + "/streamdb?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	ext, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	sp2 := checkpoint.FileURL(filepath.Join(t.TempDir(), "savepoint2"))
	if err := ext.QueryRow(context.Background(), "SELECT streamdb.savepoint('"+sp2+"')").Scan(&got); err != nil || got != sp2 {
		t.Fatalf("savepoint over the extended protocol: %q, %v", got, err)
	}
	_ = ext.Close(context.Background())
	// Checkpoint metrics are on the server's registry.
	mfs, err := a.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, mf := range mfs {
		seen[mf.GetName()] = true
	}
	for _, name := range []string{"streamdb_checkpoint_duration_seconds", "streamdb_checkpoint_uploaded_bytes_total", "streamdb_checkpoint_failures_total"} {
		if !seen[name] {
			t.Errorf("metric %s not registered", name)
		}
	}
	// Only superusers checkpoint or write savepoints.
	execAll(t, conn, "CREATE ROLE plain LOGIN")
	pcfg, err := pgx.ParseConfig("postgres://plain@" + a.PGAddr() + "/streamdb?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	pcfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	plain, err := pgx.ConnectConfig(context.Background(), pcfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CHECKPOINT", "SELECT streamdb.savepoint('" + sp2 + "-x')"} {
		if _, err := plain.Exec(context.Background(), q); err == nil || !strings.Contains(err.Error(), "42501") {
			t.Errorf("%s as a plain role: %v", q, err)
		}
	}
	_ = plain.Close(context.Background())
	// A write after the checkpoint and the savepoint.
	execAll(t, conn, "INSERT INTO t VALUES (101, 'late')")
	_ = conn.Close(context.Background())
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	// A new data directory starts from the savepoint.
	b := startTestServer(t, t.TempDir(), func(o *Options) { o.RestoreFrom = spURL })
	bc := connectSimple(t, b)
	if n := queryInt(t, bc, "SELECT count(*) FROM t"); n != 100 {
		t.Fatalf("restored table has %d rows, want 100", n)
	}
	execAll(t, bc, "FLUSH")
	if n := queryInt(t, bc, "SELECT n FROM v"); n != 100 {
		t.Fatalf("restored view says %d, want 100", n)
	}
	// --restore-from refuses a data directory that has stores.
	_, err = Start(context.Background(), Options{Listen: "127.0.0.1:0", HTTP: "-", DataDir: dirA, RestoreFrom: spURL,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil || !strings.Contains(err.Error(), "needs a data directory without stores") {
		t.Fatalf("restore into a used data dir: %v", err)
	}

	// A restart on the same machine keeps the write made after the
	// checkpoint (the table store is not rolled back).
	a2 := startTestServer(t, dirA)
	ac := connectSimple(t, a2)
	if n := queryInt(t, ac, "SELECT count(*) FROM t"); n != 101 {
		t.Fatalf("after restart: %d rows, want 101", n)
	}
	execAll(t, ac, "FLUSH")
	if n := queryInt(t, ac, "SELECT n FROM v"); n != 101 {
		t.Fatalf("after restart the view says %d, want 101", n)
	}
	_ = ac.Close(context.Background())
	if err := a2.Close(); err != nil {
		t.Fatal(err)
	}

	// Losing the stores (a new machine with the same checkpoint store):
	// the last checkpoint comes back, without the later write.
	for _, d := range []string{"tables", "state", "checkpoints-local"} {
		if err := os.RemoveAll(filepath.Join(dirA, d)); err != nil {
			t.Fatal(err)
		}
	}
	a3 := startTestServer(t, dirA)
	c3 := connectSimple(t, a3)
	if n := queryInt(t, c3, "SELECT count(*) FROM t"); n != 100 {
		t.Fatalf("after losing the stores: %d rows, want 100", n)
	}
	execAll(t, c3, "FLUSH")
	if n := queryInt(t, c3, "SELECT n FROM v"); n != 100 {
		t.Fatalf("after losing the stores the view says %d, want 100", n)
	}
}

func TestPeriodicCheckpointsUnderWrites(t *testing.T) {
	dir := t.TempDir()
	fast := func(o *Options) {
		o.CheckpointInterval = 50 * time.Millisecond
		o.BarrierInterval = 20 * time.Millisecond
		o.Settings = map[string]string{"checkpoint.min_pause": "10ms", "checkpoint.retain": "2", "checkpoint.full_every": "3"}
	}
	s := startTestServer(t, dir, fast)
	conn := connectSimple(t, s)
	execAll(t, conn,
		"CREATE TABLE t (a int PRIMARY KEY)",
		"CREATE MATERIALIZED VIEW v AS SELECT count(*) AS n, sum(a) AS s FROM t")
	deadline := time.Now().Add(1500 * time.Millisecond)
	n := 0
	for time.Now().Before(deadline) {
		n++
		execAll(t, conn, "INSERT INTO t VALUES ("+strconv.Itoa(n)+")")
	}
	execAll(t, conn, "CHECKPOINT")
	var completed, failed int64
	err := conn.QueryRow(context.Background(),
		"SELECT count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status <> 'completed') FROM streamdb.checkpoints").Scan(&completed, &failed)
	if err != nil {
		t.Fatal(err)
	}
	if completed < 3 || failed != 0 {
		t.Fatalf("%d checkpoints completed, %d not", completed, failed)
	}
	_ = conn.Close(context.Background())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Only retain (2) + the newest full checkpoint remain.
	ms, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "chk-*", "MANIFEST.json"))
	if len(ms) == 0 || len(ms) > 3 {
		t.Fatalf("manifests kept: %v", ms)
	}
	for _, d := range []string{"tables", "state", "checkpoints-local"} {
		if err := os.RemoveAll(filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	s2 := startTestServer(t, dir, fast)
	c2 := connectSimple(t, s2)
	if got := queryInt(t, c2, "SELECT count(*) FROM t"); got != int64(n) {
		t.Fatalf("restored %d rows, want %d (CHECKPOINT ran after the last insert)", got, n)
	}
	execAll(t, c2, "FLUSH")
	if got := queryInt(t, c2, "SELECT n FROM v"); got != int64(n) {
		t.Fatalf("restored view counts %d, want %d", got, n)
	}
}

// TestCheckpointDuringEpoch takes a checkpoint while the view coordinator
// is inside an epoch (its mutex held, as while an epoch computes): the
// capture needs only the commit lock, so it completes, and it records the
// last committed epoch with its phases.
func TestCheckpointDuringEpoch(t *testing.T) {
	s := startTestServer(t, t.TempDir(), func(o *Options) { o.CheckpointInterval = -1 })
	conn := connectSimple(t, s)
	execAll(t, conn,
		"CREATE TABLE t (a int PRIMARY KEY)",
		"CREATE MATERIALIZED VIEW v AS SELECT count(*) AS n FROM t",
		"INSERT INTO t VALUES (1), (2), (3)",
		"FLUSH")
	m := s.views
	m.mu.Lock()
	committed := m.epoch
	type result struct {
		a   checkpoint.Attempt
		err error
	}
	done := make(chan result, 1)
	go func() {
		a, err := s.checkpointer.Checkpoint(context.Background())
		done <- result{a, err}
	}()
	// The checkpoint commits (its manifest is durable) while the epoch
	// still holds the coordinator; only the log truncation that follows
	// (log_truncation.go) waits for the coordinator.
	var a checkpoint.Attempt
	for deadline := time.Now().Add(2 * time.Minute); a.Status != checkpoint.StatusCompleted; {
		if time.Now().After(deadline) {
			m.mu.Unlock()
			t.Fatal("no checkpoint completed while an epoch held the view coordinator")
		}
		for _, h := range s.checkpointer.History() {
			if h.Status != checkpoint.StatusRunning {
				a = h
			}
		}
		if a.Status == checkpoint.StatusFailed {
			m.mu.Unlock()
			t.Fatalf("checkpoint failed: %s", a.Error)
		}
		time.Sleep(10 * time.Millisecond)
	}
	m.mu.Unlock()
	if r := <-done; r.err != nil {
		t.Fatal(r.err)
	}
	if a.Epoch != committed {
		t.Fatalf("checkpoint %+v, want epoch %d", a, committed)
	}
	if a.Phases.Sync <= 0 || a.Phases.Sync > a.Duration || a.Phases.FirstBarrier > a.Duration || a.Phases.Upload > a.Duration {
		t.Fatalf("phases %+v do not fit in the duration %v", a.Phases, a.Duration)
	}
	var ttfb, align, dur float64
	err := conn.QueryRow(context.Background(),
		"SELECT extract(epoch FROM time_to_first_barrier)::float8, extract(epoch FROM alignment_time)::float8, extract(epoch FROM duration)::float8 FROM streamdb.checkpoints ORDER BY started DESC LIMIT 1").
		Scan(&ttfb, &align, &dur)
	if err != nil {
		t.Fatal(err)
	}
	micros := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1e6 }
	if align != micros(a.Phases.Sync) || ttfb != micros(a.Phases.FirstBarrier) || dur < align {
		t.Fatalf("streamdb.checkpoints shows first barrier %v s, alignment %v s, duration %v s; the attempt has %+v", ttfb, align, dur, a.Phases)
	}
	_ = conn.Close(context.Background())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// From the checkpoint alone (stores and local copy gone), the view
	// holds what the committed epoch held.
	dir := s.opts.DataDir
	for _, d := range []string{"tables", "state", "checkpoints-local"} {
		if err := os.RemoveAll(filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	s2 := startTestServer(t, dir, func(o *Options) { o.CheckpointInterval = -1 })
	if got := queryInt(t, connectSimple(t, s2), "SELECT n FROM v"); got != 3 {
		t.Fatalf("restored view counts %d, want 3", got)
	}
}

func TestRuntimeGCPercentSetting(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  int
	}{{"150", 150}, {"-1", -1}} {
		var o Options
		if err := ApplySetting(&o, "runtime.gc_percent", tc.value); err != nil {
			t.Fatalf("runtime.gc_percent = %s: %v", tc.value, err)
		}
		if o.GCPercent != tc.want {
			t.Fatalf("runtime.gc_percent = %s gave GCPercent %d", tc.value, o.GCPercent)
		}
	}
	var o Options
	o.EnsureDefaults()
	if o.GCPercent != 200 {
		t.Fatalf("default GCPercent %d, want 200 (the documented runtime.gc_percent default)", o.GCPercent)
	}
	if err := ApplySetting(&o, "runtime.gc_percent", "lots"); err == nil {
		t.Fatal("runtime.gc_percent = lots was accepted")
	}
}

// TestCheckpointWithoutFlush takes checkpoints with checkpoint.flush_memtables
// = off, where the rows since the last flush reach the checkpoint only
// through the copied WAL, and restores both stores from the store alone.
func TestCheckpointWithoutFlush(t *testing.T) {
	dir := t.TempDir()
	noFlush := func(o *Options) {
		o.CheckpointInterval = -1
		o.Settings = map[string]string{"checkpoint.flush_memtables": "off"}
	}
	var o Options
	noFlush(&o)
	if !checkpointOptions(&o, nil).KeepMemtable {
		t.Fatal("checkpoint.flush_memtables = off does not reach checkpoint.Options.KeepMemtable")
	}
	s := startTestServer(t, dir, noFlush)
	conn := connectSimple(t, s)
	execAll(t, conn,
		"CREATE TABLE t (a int PRIMARY KEY)",
		"CREATE MATERIALIZED VIEW v AS SELECT count(*) AS n FROM t",
		"INSERT INTO t SELECT generate_series(1, 500)",
		"CHECKPOINT",
		"INSERT INTO t SELECT generate_series(501, 700)",
		"CHECKPOINT")
	_ = conn.Close(context.Background())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"tables", "state", "checkpoints-local"} {
		if err := os.RemoveAll(filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	s2 := startTestServer(t, dir, noFlush)
	c2 := connectSimple(t, s2)
	if got := queryInt(t, c2, "SELECT count(*) FROM t"); got != 700 {
		t.Fatalf("restored %d rows, want 700", got)
	}
	if got := queryInt(t, c2, "SELECT n FROM v"); got != 700 {
		t.Fatalf("restored view counts %d, want 700", got)
	}
}
