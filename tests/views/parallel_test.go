package views

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestRestartWithDifferentParallelism runs views on 4 workers, restarts the
// server with 2, 1 and then 3: each time the views resume from their
// committed operator state (no base table is read again: rows_in starts
// at 0), the key-group ranges move between the new workers, and the views
// keep equal to their ad-hoc queries. streamdb.dataflows shows each view's
// workers, and a view's own WITH (parallelism = N) wins over the server
// setting.
func TestRestartWithDifferentParallelism(t *testing.T) {
	in := startInstanceWith(t, 4)
	views := []viewCase{
		{name: "agg", query: `SELECT k, count(*) AS c, sum(v) AS s, min(v) AS lo, max(v) AS hi FROM a GROUP BY k`},
		{name: "join_agg", query: `SELECT a.k, b.label, count(*) AS c FROM a JOIN b ON a.k = b.k GROUP BY a.k, b.label`},
		{name: "left_join", query: `SELECT a.id, a.v, b.label FROM a LEFT JOIN b ON a.k = b.k`},
		{name: "topn", query: `SELECT id, v FROM a ORDER BY v DESC, id LIMIT 7`},
		{name: "global", query: `SELECT count(*) AS c, count(DISTINCT k) AS dk FROM a`},
		{name: "rownum", query: `SELECT k, id, v FROM (SELECT k, id, v, row_number() OVER (PARTITION BY k ORDER BY v DESC, id) AS rn FROM a) x WHERE rn <= 2`},
		{name: "distinct", query: `SELECT DISTINCT k % 7 AS m, v % 3 AS r FROM a`},
	}
	// Views with their own parallelism, created by hand below.
	own := []viewCase{
		{name: "own3", query: `SELECT k, count(*) AS c FROM a GROUP BY k`},
		{name: "own1", query: `SELECT b.k, count(*) AS c FROM a JOIN b ON a.k = b.k GROUP BY b.k`},
	}
	r := &runner{t: t, label: "parallelism", in: in, views: views}
	for _, sql := range []string{
		"CREATE TABLE a (id int PRIMARY KEY, k int, v int)",
		"CREATE TABLE b (k int, label text)",
		"INSERT INTO a SELECT i, i % 50, (i * 7919) % 1001 FROM generate_series(1, 4000) i",
		"INSERT INTO b SELECT i % 60, 'l' || (i % 3) FROM generate_series(1, 150) i",
	} {
		if !r.exec(sql) {
			return
		}
	}
	if !r.create(views) ||
		!r.exec("CREATE MATERIALIZED VIEW v_own3 WITH (parallelism = 3) AS "+own[0].query) ||
		!r.exec("CREATE MATERIALIZED VIEW v_own1 WITH (parallelism = 1) AS "+own[1].query) {
		return
	}
	r.views = append(r.views, own...)
	for _, bad := range []string{"0", "129", "'many'"} {
		_, err := in.query("CREATE MATERIALIZED VIEW v_bad WITH (parallelism = " + bad + ") AS SELECT k FROM a")
		if pgErr, ok := err.(*pgconn.PgError); !ok || pgErr.Code != "22023" {
			t.Fatalf("parallelism = %s: got %v, want SQLSTATE 22023", bad, err)
		}
	}
	for sql, want := range map[string][]string{
		"EXPLAIN CREATE MATERIALIZED VIEW x WITH (parallelism = 2) AS SELECT k, count(*) FROM a GROUP BY k": {
			"Workers: 2, key groups 0-63, 64-127 of 128", "Exchange 0 -> hash aggregate: by key group of input columns"},
		"EXPLAIN CREATE MATERIALIZED VIEW x AS " + views[3].query: {
			"Workers: 4, key groups 0-31, 32-63, 64-95, 96-127 of 128", "Exchange 0 -> top-n: all rows to worker 0"},
		"EXPLAIN CREATE MATERIALIZED VIEW x AS " + views[1].query: {
			"Exchange 1 -> hash join (left input): by key group", "Exchange 2 -> hash join (right input): by key group"},
	} {
		plan, err := in.query(sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		for _, w := range want {
			if !strings.Contains(strings.Join(plan, "\n"), w) {
				t.Errorf("%s: no %q in\n%s", sql, w, strings.Join(plan, "\n"))
			}
		}
	}
	if !r.flushAndCompare("after backfill on 4 workers") {
		return
	}
	checkWorkers(t, in, 4, "after backfill")
	mutate := func(round int) bool {
		for _, sql := range []string{
			fmt.Sprintf("UPDATE a SET v = v + %d WHERE id %% 13 = %d", round*17, round),
			fmt.Sprintf("DELETE FROM a WHERE id %% 29 = %d", round),
			fmt.Sprintf("UPDATE a SET k = (k + %d) %% 50 WHERE id %% 31 = %d", round, round),
			fmt.Sprintf("INSERT INTO a SELECT i, i %% 50, i %% 997 FROM generate_series(%d, %d) i", 10000+round*300, 10000+round*300+250),
			fmt.Sprintf("DELETE FROM b WHERE k = %d", round*7%60),
			fmt.Sprintf("INSERT INTO b VALUES (%d, 'n%d'), (NULL, 'null key')", round*7%60, round),
		} {
			if !r.exec(sql) {
				return false
			}
		}
		return r.flushAndCompare(fmt.Sprintf("round %d", round))
	}
	if !mutate(1) {
		return
	}
	for i, workers := range []int{2, 1, 3} {
		in.restartWith(workers)
		r.recent = append(r.recent, fmt.Sprintf("-- restart with %d workers", workers))
		when := fmt.Sprintf("after restart with %d workers", workers)
		// rows_in counts the changes a dataflow was fed since it started:
		// 0 means it resumed from its committed state, not from a fresh
		// scan of the tables (which would not exercise the restore).
		rows, err := in.query("SELECT relation_name || ' ' || rows_in FROM streamdb.dataflows WHERE rows_in <> 0")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) > 0 {
			t.Fatalf("%s, views re-read their tables instead of restoring their state: %s", when, strings.Join(rows, ", "))
		}
		checkWorkers(t, in, workers, when)
		if !r.compare(when) || !mutate(2+i) {
			return
		}
	}
}

// checkWorkers checks the parallelism column of streamdb.dataflows: the
// server's setting, except for the views with their own.
func checkWorkers(t *testing.T, in *instance, workers int, when string) {
	t.Helper()
	rows, err := in.query("SELECT relation_name, parallelism, max_parallelism FROM streamdb.dataflows ORDER BY relation_name")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 9 {
		t.Fatalf("%s: %d dataflows: %v", when, len(rows), rows)
	}
	for _, row := range rows {
		f := strings.Split(row, " | ")
		want := workers
		switch f[0] {
		case "v_own3":
			want = 3
		case "v_own1":
			want = 1
		}
		if f[1] != fmt.Sprint(want) || f[2] != "128" {
			t.Errorf("%s: dataflow %s has parallelism %s / max %s, want %d / 128", when, f[0], f[1], f[2], want)
		}
	}
}
