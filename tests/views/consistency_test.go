package views

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/streamdb/streamdb/server"
)

// connect opens a second client connection to the instance's server.
func (in *instance) connect(t *testing.T) *pgconn.PgConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), statementTimeout)
	defer cancel()
	conn, err := pgconn.Connect(ctx, "postgres://streamdb@"+in.srv.PGAddr()+"/streamdb?sslmode=disable&application_name=views_writer")
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = conn.Close(ctx)
	})
	return conn
}

func execConn(conn *pgconn.PgConn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), statementTimeout)
	defer cancel()
	_, err := conn.Exec(ctx, sql).ReadAll()
	return err
}

// TestViewNeverHalfUpdated moves money between accounts in transactions
// (the total never changes) while epochs advance every few milliseconds,
// and reads views over the accounts all the while: a view that shows part
// of a transaction, or part of an epoch, shows a wrong total.
func TestViewNeverHalfUpdated(t *testing.T) {
	in := &instance{t: t, opts: server.Options{Listen: "127.0.0.1:0", HTTP: "-", DataDir: t.TempDir(), BarrierInterval: 5 * time.Millisecond}}
	in.start()
	t.Cleanup(in.stop)
	const accounts, balance = 50, 100
	for _, sql := range []string{
		"CREATE TABLE accounts (id int PRIMARY KEY, branch int, bal bigint)",
		fmt.Sprintf("INSERT INTO accounts SELECT i, i %% 5, %d FROM generate_series(1, %d) i", balance, accounts),
		"CREATE MATERIALIZED VIEW v_total AS SELECT sum(bal) AS s, count(*) AS c FROM accounts",
		"CREATE MATERIALIZED VIEW v_per_branch AS SELECT branch, sum(bal) AS s FROM accounts GROUP BY branch",
		"FLUSH",
	} {
		if _, err := in.query(sql); err != nil {
			t.Fatalf("%s: %s", sql, describe(err))
		}
	}
	want := fmt.Sprintf("%d | %d", accounts*balance, accounts)

	writer := in.connect(t)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var writeErr error
	var transfers atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(1, 2))
		for !stop.Load() {
			from, to, amount := 1+rng.IntN(accounts), 1+rng.IntN(accounts), 1+rng.IntN(20)
			sql := fmt.Sprintf("BEGIN; UPDATE accounts SET bal = bal - %d WHERE id = %d; UPDATE accounts SET bal = bal + %d WHERE id = %d; COMMIT", amount, from, amount, to)
			if err := execConn(writer, sql); err != nil {
				writeErr = fmt.Errorf("%s: %s", sql, describe(err))
				return
			}
			transfers.Add(1)
		}
	}()
	// Stop the writer before the cleanups close its connection, also
	// when the test fails early.
	defer func() { stop.Store(true); wg.Wait() }()

	deadline := time.Now().Add(3 * time.Second)
	reads := 0
	for time.Now().Before(deadline) && !t.Failed() {
		rows, err := in.query("SELECT s, c FROM v_total")
		if err != nil {
			t.Fatalf("reading total: %s", describe(err))
		}
		if len(rows) != 1 || rows[0] != want {
			t.Errorf("after %d transfers, total = %q, want [%s]: a view showed part of a transaction", transfers.Load(), rows, want)
			break
		}
		rows, err = in.query("SELECT sum(s) FROM v_per_branch")
		if err != nil {
			t.Fatalf("reading per_branch: %s", describe(err))
		}
		if len(rows) != 1 || rows[0] != fmt.Sprint(accounts*balance) {
			t.Errorf("after %d transfers, sum over per_branch = %q, want %d: a view showed part of a transaction", transfers.Load(), rows, accounts*balance)
			break
		}
		reads++
	}
	stop.Store(true)
	wg.Wait()
	if writeErr != nil {
		t.Fatal(writeErr)
	}
	if transfers.Load() == 0 {
		t.Fatal("no transfer committed")
	}
	t.Logf("%d transfers, %d consistent reads", transfers.Load(), reads)
	// And the views are exact at the end.
	if _, err := in.query("FLUSH"); err != nil {
		t.Fatal(describe(err))
	}
	r := &runner{t: t, label: "half_updated", in: in, views: []viewCase{
		{name: "total", query: "SELECT sum(bal) AS s, count(*) AS c FROM accounts"},
		{name: "per_branch", query: "SELECT branch, sum(bal) AS s FROM accounts GROUP BY branch"},
	}}
	r.compare("after the transfers")
}

// TestBackfillWhileWriting creates views over a table that holds rows while
// another client keeps writing to it: the backfill must start from a
// consistent snapshot and every write after it must arrive exactly once.
func TestBackfillWhileWriting(t *testing.T) {
	in := startInstance(t)
	for _, sql := range []string{
		"CREATE TABLE big (id int PRIMARY KEY, k int, v bigint)",
		"CREATE TABLE side (k int, label text)",
		"INSERT INTO big SELECT i, i % 97, i % 13 FROM generate_series(1, 20000) i",
		"INSERT INTO side SELECT i, 'l' || i FROM generate_series(0, 96) i",
	} {
		if _, err := in.query(sql); err != nil {
			t.Fatalf("%s: %s", sql, describe(err))
		}
	}
	writer := in.connect(t)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var writeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(3, 4))
		next := 20001
		for !stop.Load() {
			var sql string
			switch rng.IntN(4) {
			case 0:
				sql = fmt.Sprintf("DELETE FROM big WHERE id = %d", 1+rng.IntN(next))
			case 1:
				sql = fmt.Sprintf("UPDATE big SET v = v + 1, k = %d WHERE id = %d", rng.IntN(97), 1+rng.IntN(next))
			default:
				sql = fmt.Sprintf("INSERT INTO big VALUES (%d, %d, %d), (%d, %d, %d)", next, rng.IntN(97), rng.IntN(13), next+1, rng.IntN(97), rng.IntN(13))
				next += 2
			}
			if err := execConn(writer, sql); err != nil {
				writeErr = fmt.Errorf("%s: %s", sql, describe(err))
				return
			}
		}
	}()
	// Stop the writer before the cleanups close its connection, also
	// when the test fails early.
	defer func() { stop.Store(true); wg.Wait() }()
	views := []viewCase{
		{name: "bf_agg", query: "SELECT k, count(*) AS c, sum(v) AS s, max(id) AS hi FROM big GROUP BY k"},
		{name: "bf_join", query: "SELECT big.id, side.label FROM big JOIN side ON side.k = big.k WHERE big.v = 3"},
		{name: "bf_topn", query: "SELECT id, v FROM big ORDER BY id DESC LIMIT 10"},
	}
	r := &runner{t: t, label: "backfill", in: in, views: views}
	for _, c := range views {
		time.Sleep(100 * time.Millisecond) // let writes interleave with each backfill
		if _, err := in.query("CREATE MATERIALIZED VIEW " + r.viewName(c) + " AS " + c.query); err != nil {
			t.Fatalf("creating %s: %s", c.name, describe(err))
		}
	}
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if writeErr != nil {
		t.Fatal(writeErr)
	}
	r.flushAndCompare("after backfill under concurrent writes")
}

// TestViewsReadAtOneEpoch reads two views over the same table in one
// SELECT while rows keep arriving: the ad-hoc query must see both at the
// same committed epoch, so the count in one always equals the number of
// rows in the other.
func TestViewsReadAtOneEpoch(t *testing.T) {
	in := &instance{t: t, opts: server.Options{Listen: "127.0.0.1:0", HTTP: "-", DataDir: t.TempDir(), BarrierInterval: 5 * time.Millisecond}}
	in.start()
	t.Cleanup(in.stop)
	for _, sql := range []string{
		"CREATE TABLE items (id int PRIMARY KEY, grp int)",
		"CREATE MATERIALIZED VIEW item_count AS SELECT count(*) AS c FROM items",
		"CREATE MATERIALIZED VIEW item_ids AS SELECT id, grp FROM items",
		"CREATE MATERIALIZED VIEW group_counts AS SELECT grp, count(*) AS c FROM items GROUP BY grp",
	} {
		if _, err := in.query(sql); err != nil {
			t.Fatalf("%s: %s", sql, describe(err))
		}
	}
	writer := in.connect(t)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var writeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for id := 1; !stop.Load(); id += 3 {
			sql := fmt.Sprintf("INSERT INTO items VALUES (%d, %d), (%d, %d), (%d, %d)", id, id%7, id+1, (id+1)%7, id+2, (id+2)%7)
			if id%5 == 0 {
				sql = fmt.Sprintf("DELETE FROM items WHERE id = %d", id/2)
			}
			if err := execConn(writer, sql); err != nil {
				writeErr = fmt.Errorf("%s: %s", sql, describe(err))
				return
			}
		}
	}()
	// Stop the writer before the cleanups close its connection, also
	// when the test fails early.
	defer func() { stop.Store(true); wg.Wait() }()
	// The id view is read twice: the same view must not differ from itself
	// within one statement either.
	const check = `SELECT (SELECT c FROM item_count), (SELECT count(*) FROM item_ids), (SELECT coalesce(sum(c), 0) FROM group_counts), (SELECT count(*) FROM item_ids)`
	deadline := time.Now().Add(2 * time.Second)
	reads, advanced := 0, map[string]bool{}
	for time.Now().Before(deadline) {
		rows, err := in.query(check)
		if err != nil {
			t.Fatalf("%s: %s", check, describe(err))
		}
		if len(rows) != 1 {
			t.Fatalf("%s returned %d rows", check, len(rows))
		}
		var a, b, c, d int
		if _, err := fmt.Sscanf(rows[0], "%d | %d | %d | %d", &a, &b, &c, &d); err != nil {
			t.Fatalf("parsing %q: %v", rows[0], err)
		}
		if a != b || b != c || c != d {
			t.Fatalf("one SELECT saw views at different epochs: count view %d, rows in the id view %d, sum of group counts %d, rows in the id view read again %d", a, b, c, d)
		}
		advanced[rows[0]] = true
		reads++
	}
	stop.Store(true)
	wg.Wait()
	if writeErr != nil {
		t.Fatal(writeErr)
	}
	// Without FLUSH, views advance on their own every barrier interval.
	if len(advanced) < 3 {
		t.Errorf("the views showed only %d distinct states in %d reads over 2 s with a 5 ms barrier interval: they do not advance without FLUSH", len(advanced), reads)
	}
	t.Logf("%d reads, %d distinct states", reads, len(advanced))
}

// TestViewsAdvanceWithoutFlush checks the default barrier interval (1 s):
// a write shows up in a view within a few seconds with no FLUSH.
func TestViewsAdvanceWithoutFlush(t *testing.T) {
	in := startInstance(t)
	for _, sql := range []string{
		"CREATE TABLE ticks (n int)",
		"CREATE MATERIALIZED VIEW tick_sum AS SELECT coalesce(sum(n), 0) AS s FROM ticks",
		"INSERT INTO ticks VALUES (41), (1)",
	} {
		if _, err := in.query(sql); err != nil {
			t.Fatalf("%s: %s", sql, describe(err))
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows, err := in.query("SELECT s FROM tick_sum")
		if err != nil {
			t.Fatal(describe(err))
		}
		if len(rows) == 1 && rows[0] == "42" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tick_sum = %q 10 s after the insert, want [42]: the view does not advance without FLUSH", rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCreateDropWhileWriting creates and drops views (some over other
// views) while another client writes, then checks the surviving views
// once the writes stop.
func TestCreateDropWhileWriting(t *testing.T) {
	in := startInstance(t)
	gen := newMutationGen(99)
	r := &runner{t: t, label: "ddl_while_writing", in: in, gen: gen}
	for _, sql := range append(append([]string(nil), schema...), gen.initialLoad()...) {
		if !r.exec(sql) {
			return
		}
	}
	writer := in.connect(t)
	var live []viewCase
	for step := 0; step < 8; step++ {
		var stop atomic.Bool
		var wg sync.WaitGroup
		var writeErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			wgen := newMutationGen(uint64(1000 + step))
			wgen.nextID1, wgen.nextID3 = 100000*(step+1), 100000*(step+1)
			for !stop.Load() {
				sql := wgen.statement()
				if err := execConn(writer, sql); err != nil {
					writeErr = fmt.Errorf("%s: %s", sql, describe(err))
					return
				}
			}
		}()
		// Stop the writer before the cleanups close its connection, also
		// when the test fails early.
		defer func() { stop.Store(true); wg.Wait() }()
		c := cases[(step*11)%len(cases)]
		c.name = fmt.Sprintf("%s_%d", c.name, step)
		c.setup = nil
		if c.oracle != "" {
			c.query = c.oracle // its base views may be gone: read the tables
			c.oracle = ""
		}
		if _, err := in.query("CREATE MATERIALIZED VIEW v_" + c.name + " AS " + c.query); err != nil {
			t.Fatalf("creating %s: %s", c.name, describe(err))
		}
		live = append(live, c)
		if step%3 == 2 {
			// A view over the view just created, then drop an older one.
			over := viewCase{name: fmt.Sprintf("over_%d", step), query: "SELECT count(*) AS n FROM v_" + c.name, oracle: "SELECT count(*) AS n FROM (" + c.query + ") q"}
			if _, err := in.query("CREATE MATERIALIZED VIEW v_" + over.name + " AS " + over.query); err != nil {
				t.Fatalf("creating %s: %s", over.name, describe(err))
			}
			live = append(live, over)
			if _, err := in.query("DROP MATERIALIZED VIEW v_" + live[0].name + " CASCADE"); err != nil {
				t.Fatalf("dropping %s: %s", live[0].name, describe(err))
			}
			live = live[1:]
		}
		time.Sleep(50 * time.Millisecond)
		stop.Store(true)
		wg.Wait()
		if writeErr != nil {
			t.Fatal(writeErr)
		}
		r.views = live
		if !r.flushAndCompare(fmt.Sprintf("step %d", step)) {
			return
		}
	}
}
