package recovery

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/streamdb/streamdb/tests/testutil"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The CI default of 20 kills keeps the test near a minute; raise -recovery.kills
// (e.g. 200) for a soak run. A failure logs its seed: rerun with -recovery.seed.
var (
	killsFlag = flag.Int("recovery.kills", 20, "number of SIGKILL/restart cycles")
	seedFlag  = flag.Uint64("recovery.seed", 0, "workload seed (0 picks one from the clock)")
)

var tableDDL = []string{
	"CREATE TABLE t1 (id int PRIMARY KEY, g int NOT NULL, v int NOT NULL)",
	"CREATE TABLE t2 (id int PRIMARY KEY, k int NOT NULL, w int NOT NULL)",
	"CREATE TABLE t3 (k int PRIMARY KEY, name text NOT NULL)",
}

// recoveryView is a materialized view and the query that recomputes it from
// the tables (the same query, except for views over views, which inline the
// inner view).
type recoveryView struct {
	name, query, check string
}

var recoveryViews = []recoveryView{
	{name: "v_agg", query: "SELECT g, count(*) AS c, sum(v) AS s, avg(v) AS a FROM t1 GROUP BY g"},
	{name: "v_minmax", query: "SELECT g, min(v) AS lo, max(v) AS hi FROM t1 GROUP BY g"},
	{name: "v_total", query: "SELECT count(*) AS c, sum(w) AS s FROM t2"},
	{name: "v_distinct_count", query: "SELECT k, count(DISTINCT w) AS dw FROM t2 GROUP BY k"},
	{name: "v_distinct", query: "SELECT DISTINCT k FROM t2"},
	{name: "v_join", query: "SELECT t2.id, t2.w, t3.name FROM t2 JOIN t3 ON t2.k = t3.k"},
	{name: "v_left", query: "SELECT t2.id, t3.name FROM t2 LEFT JOIN t3 ON t2.k = t3.k"},
	{name: "v_join_id", query: "SELECT t1.id, t1.v, t2.w FROM t1 JOIN t2 ON t1.id = t2.id"},
	{name: "v_join_agg", query: "SELECT t3.name, count(*) AS c, sum(t2.w) AS s, max(t2.w) AS hi FROM t2 JOIN t3 ON t2.k = t3.k GROUP BY t3.name"},
	{name: "v_topn", query: "SELECT id, v FROM t1 ORDER BY v DESC, id LIMIT 5"},
	{name: "v_filter", query: "SELECT id, g, v FROM t1 WHERE v > 0"},
	{name: "v_over_view", query: "SELECT g, c, s FROM v_agg WHERE c > 3",
		check: "SELECT g, count(*) AS c, sum(v) AS s FROM t1 GROUP BY g HAVING count(*) > 3"},
}

// Keys per table; client c owns the keys with key%clients == c so the
// clients never race on a row and each has at most one write in flight.
const (
	clients  = 2
	keySpace = 120
	nameKeys = 12
)

var tables = []string{"t1", "t2", "t3"}

// pendingWrite is a write sent but not (yet) acknowledged: after a kill the
// row may hold either the before or the after image.
type pendingWrite struct {
	table         string
	key           int
	before, after string // "" means absent
}

// model is the acknowledged contents of the tables, rendered as text rows.
type model struct {
	mu       sync.Mutex
	rows     map[string]map[int]string
	inFlight [clients]*pendingWrite
	failures []string
	acked    int
}

func newModel() *model {
	m := &model{rows: map[string]map[int]string{}}
	for _, tbl := range tables {
		m.rows[tbl] = map[int]string{}
	}
	return m
}

func (m *model) get(table string, key int) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rows[table][key]
}

func (m *model) begin(client int, w *pendingWrite) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inFlight[client] = w
}

func (m *model) ack(client int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.inFlight[client]
	m.inFlight[client] = nil
	m.acked++
	if w.after == "" {
		delete(m.rows[w.table], w.key)
	} else {
		m.rows[w.table][w.key] = w.after
	}
}

func (m *model) fail(msg string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures = append(m.failures, msg)
}

// client runs random writes on its own keys until the connection fails or
// stop closes.
func client(ctx context.Context, connString string, c int, rng *rand.Rand, m *model, stop <-chan struct{}) {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	for {
		select {
		case <-stop:
			return
		default:
		}
		table := tables[rng.IntN(len(tables))]
		space := keySpace
		if table == "t3" {
			space = nameKeys
		}
		key := rng.IntN(space/clients)*clients + c
		before := m.get(table, key)
		var sql, after string
		var args []any
		switch {
		case before == "" || rng.IntN(4) == 0 && table != "t3":
			if before != "" {
				// Re-insert over an existing key is a delete first.
				sql, args = "DELETE FROM "+table+" WHERE "+keyColumn(table)+" = $1", []any{int32(key)}
				break
			}
			a, b := randomColumns(rng, table)
			sql, args = insertSQL(table), columnArgs(table, key, a, b)
			after = render(key, a, b)
		case rng.IntN(3) == 0:
			sql, args = "DELETE FROM "+table+" WHERE "+keyColumn(table)+" = $1", []any{int32(key)}
		default:
			a, b := randomColumns(rng, table)
			sql, args = updateSQL(table), columnArgs(table, key, a, b)
			after = render(key, a, b)
		}
		m.begin(c, &pendingWrite{table: table, key: key, before: before, after: after})
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) {
				m.fail(fmt.Sprintf("client %d: %s %v: %v", c, sql, args, err))
			}
			return
		}
		m.ack(c)
	}
}

func columnArgs(table string, key int, a, b any) []any {
	if table == "t3" {
		return []any{int32(key), a}
	}
	return []any{int32(key), a, b}
}

func keyColumn(table string) string {
	if table == "t3" {
		return "k"
	}
	return "id"
}

func insertSQL(table string) string {
	switch table {
	case "t1":
		return "INSERT INTO t1 (id, g, v) VALUES ($1, $2, $3)"
	case "t2":
		return "INSERT INTO t2 (id, k, w) VALUES ($1, $2, $3)"
	}
	return "INSERT INTO t3 (k, name) VALUES ($1, $2)"
}

func updateSQL(table string) string {
	switch table {
	case "t1":
		return "UPDATE t1 SET g = $2, v = $3 WHERE id = $1"
	case "t2":
		return "UPDATE t2 SET k = $2, w = $3 WHERE id = $1"
	}
	return "UPDATE t3 SET name = $2 WHERE k = $1"
}

// randomColumns returns the non-key columns of a fresh row.
func randomColumns(rng *rand.Rand, table string) (any, any) {
	switch table {
	case "t1":
		return int32(rng.IntN(8)), int32(rng.IntN(201) - 100)
	case "t2":
		return int32(rng.IntN(nameKeys + 3)), int32(rng.IntN(10))
	}
	return fmt.Sprintf("n%d", rng.IntN(5)), nil
}

func render(key int, a, b any) string {
	if s, ok := a.(string); ok {
		return fmt.Sprintf("%d|%s", key, s)
	}
	return fmt.Sprintf("%d|%v|%v", key, a, b)
}

// queryRows runs sql and returns its rows rendered as text, sorted, so two
// results compare as multisets.
func queryRows(ctx context.Context, conn *pgx.Conn, sql string) ([]string, error) {
	rows, err := conn.Query(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		raw := rows.RawValues()
		fields := make([]string, len(raw))
		for i, v := range raw {
			if v == nil {
				fields[i] = "NULL"
			} else {
				fields[i] = string(v)
			}
		}
		out = append(out, strings.Join(fields, "|"))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// verifyTables checks every acknowledged write is present, resolves the
// in-flight writes to what the server kept, and returns an error description
// per mismatch.
func verifyTables(ctx context.Context, t *testing.T, conn *pgx.Conn, m *model) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, table := range tables {
		cols := "id, g, v"
		switch table {
		case "t2":
			cols = "id, k, w"
		case "t3":
			cols = "k, name"
		}
		got, err := queryRows(ctx, conn, "SELECT "+cols+" FROM "+table)
		if err != nil {
			t.Fatalf("reading %s after restart: %v", table, err)
		}
		actual := map[int]string{}
		for _, row := range got {
			key, err := strconv.Atoi(row[:strings.IndexByte(row, '|')])
			if err != nil {
				t.Fatalf("%s row %q: %v", table, row, err)
			}
			if _, dup := actual[key]; dup {
				t.Errorf("%s key %d is present twice", table, key)
			}
			actual[key] = row
		}
		pending := map[int]*pendingWrite{}
		for _, w := range m.inFlight {
			if w != nil && w.table == table {
				pending[w.key] = w
			}
		}
		want := m.rows[table]
		for key := range union(want, actual) {
			if w := pending[key]; w != nil {
				if actual[key] != w.before && actual[key] != w.after {
					t.Errorf("%s key %d is %q; the in-flight write went from %q to %q", table, key, actual[key], w.before, w.after)
				}
				continue
			}
			if actual[key] != want[key] {
				t.Errorf("%s key %d is %q after restart, acknowledged %q", table, key, actual[key], want[key])
			}
		}
		// From now on the server's contents are the truth: an in-flight
		// write that survived counts as done.
		m.rows[table] = actual
	}
	m.inFlight = [clients]*pendingWrite{}
}

// checkpointDirs counts the checkpoints in the default file:// store of
// dataDir: committed ones (with a manifest) and ones a kill interrupted
// during upload or before the manifest landed.
func checkpointDirs(t *testing.T, dataDir string) (committed int, interrupted []string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dataDir, "checkpoints"))
	if err != nil {
		if os.IsNotExist(err) {
			return 0, nil
		}
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "chk-") {
			continue
		}
		if _, err := os.Stat(filepath.Join(dataDir, "checkpoints", e.Name(), "MANIFEST.json")); err == nil {
			committed++
		} else {
			interrupted = append(interrupted, e.Name())
		}
	}
	return committed, interrupted
}

// killDuringUpload waits until a checkpoint directory without a manifest
// that is not in known appears, or limit passes, and returns the time
// waited.
func killDuringUpload(t *testing.T, dataDir string, limit time.Duration, known map[string]bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < limit {
		_, interrupted := checkpointDirs(t, dataDir)
		for _, name := range interrupted {
			if !known[name] {
				return time.Since(start)
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	return time.Since(start)
}

func union(a, b map[int]string) map[int]bool {
	out := map[int]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// verifyViews checks every view equals its query run ad hoc over the tables.
func verifyViews(ctx context.Context, t *testing.T, conn *pgx.Conn) {
	t.Helper()
	for _, v := range recoveryViews {
		got, err := queryRows(ctx, conn, "SELECT * FROM "+v.name)
		if err != nil {
			t.Errorf("reading view %s: %v", v.name, err)
			continue
		}
		check := v.check
		if check == "" {
			check = v.query
		}
		want, err := queryRows(ctx, conn, check)
		if err != nil {
			t.Errorf("recomputing view %s: %v", v.name, err)
			continue
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("view %s differs from its query (%d rows vs %d):\n%s", v.name, len(got), len(want), diff(got, want))
		}
	}
}

// diff lists the rows only in the view (-) and only in the recomputation (+).
func diff(got, want []string) string {
	count := map[string]int{}
	for _, r := range got {
		count[r]++
	}
	for _, r := range want {
		count[r]--
	}
	var lines []string
	for r, n := range count {
		for ; n > 0; n-- {
			lines = append(lines, "  view only:  "+r)
		}
		for ; n < 0; n++ {
			lines = append(lines, "  query only: "+r)
		}
	}
	sort.Strings(lines)
	if len(lines) > 20 {
		lines = append(lines[:20], fmt.Sprintf("  ... %d more", len(lines)-20))
	}
	return strings.Join(lines, "\n")
}

func TestKill9RecoveryKeepsViewsConsistent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it repeatedly; skipped with -short")
	}
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -recovery.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	bin := testutil.BuildBinary(t)
	dataDir := t.TempDir()
	p := testutil.StartProcess(t, bin, dataDir, serverFlags...)
	ctx := context.Background()
	setup, err := pgx.Connect(ctx, p.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range tableDDL {
		if _, err := setup.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	for _, v := range recoveryViews {
		if _, err := setup.Exec(ctx, "CREATE MATERIALIZED VIEW "+v.name+" AS "+v.query); err != nil {
			t.Fatalf("creating view %s: %v", v.name, err)
		}
	}
	_ = setup.Close(ctx)

	m := newModel()
	start := time.Now()
	sawCommitted, killsMidCheckpoint := false, 0
	seenInterrupted := map[string]bool{}
	for cycle := 0; cycle < *killsFlag; cycle++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for c := 0; c < clients; c++ {
			clientRng := rand.New(rand.NewPCG(seed, uint64(cycle*clients+c+1)))
			wg.Add(1)
			go func() {
				defer wg.Done()
				client(ctx, p.ConnString(), c, clientRng, m, stop)
			}()
		}
		killAfter := 50*time.Millisecond + time.Duration(rng.Int64N(int64(1450*time.Millisecond)))
		if cycle%3 == 2 {
			// Uploads to the local store take milliseconds, so random
			// times rarely hit one: every third cycle polls the store
			// and kills as soon as a checkpoint without a manifest
			// appears (or at the random time if none does).
			killAfter = killDuringUpload(t, dataDir, killAfter+time.Second, seenInterrupted)
		} else {
			time.Sleep(killAfter)
		}
		p.Kill(t)
		close(stop)
		wg.Wait()
		committed, interrupted := checkpointDirs(t, dataDir)
		sawCommitted = sawCommitted || committed > 0
		// A checkpoint directory without a manifest that was not there
		// after the previous kill means this kill hit an upload or the
		// manifest write.
		fresh := false
		for _, name := range interrupted {
			fresh = fresh || !seenInterrupted[name]
			seenInterrupted[name] = true
		}
		if fresh {
			killsMidCheckpoint++
		}
		if len(m.failures) > 0 {
			t.Fatalf("cycle %d: writes failed with SQL errors:\n%s\n%s", cycle, strings.Join(m.failures, "\n"), p.Stderr)
		}

		p = testutil.StartProcess(t, bin, dataDir, serverFlags...)
		vctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		conn, err := pgx.Connect(vctx, p.ConnString())
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if _, err := conn.Exec(vctx, "FLUSH"); err != nil {
			t.Fatalf("cycle %d: FLUSH after restart: %v\n%s", cycle, err, p.Stderr)
		}
		verifyTables(vctx, t, conn, m)
		verifyViews(vctx, t, conn)
		_ = conn.Close(vctx)
		cancel()
		if t.Failed() {
			t.Fatalf("cycle %d (killed after %v, seed %d) failed; server log:\n%s", cycle, killAfter, seed, p.Stderr)
		}
		t.Logf("cycle %d: killed after %v; %d writes acknowledged so far; %d/%d/%d rows in t1/t2/t3", cycle,
			killAfter.Round(time.Millisecond), m.acked, len(m.rows["t1"]), len(m.rows["t2"]), len(m.rows["t3"]))
	}
	t.Logf("%d kills in %v; %d landed during a checkpoint upload or manifest write", *killsFlag, time.Since(start).Round(time.Millisecond), killsMidCheckpoint)
	if !sawCommitted {
		t.Errorf("no checkpoint was ever committed under %s: the kills did not exercise restore", dataDir)
	}
}

// serverFlags run the binary with one-second checkpoints and a short
// barrier interval, so kills land during checkpoints and epochs.
var serverFlags = []string{"--checkpoint-interval", "1s", "--set", "barrier_interval=100ms"}
