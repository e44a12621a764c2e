package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// viewTestServer is a server on a temporary data directory that can be
// restarted on the same directory.
type viewTestServer struct {
	t    *testing.T
	dir  string
	srv  *Server
	conn *pgconn.PgConn
}

func startViewTestServer(t *testing.T) *viewTestServer {
	v := &viewTestServer{t: t, dir: t.TempDir()}
	v.start()
	t.Cleanup(v.stop)
	return v
}

func (v *viewTestServer) start() {
	ctx := context.Background()
	srv, err := Start(ctx, Options{
		Listen: "127.0.0.1:0", HTTP: "-", DataDir: v.dir, BarrierInterval: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		v.t.Fatal(err)
	}
	v.srv = srv
	conn, err := pgconn.Connect(ctx, "postgres://streamdb@"+srv.PGAddr()+"/streamdb?sslmode=disable")
	if err != nil {
		v.t.Fatal(err)
	}
	v.conn = conn
}

func (v *viewTestServer) stop() {
	if v.conn != nil {
		_ = v.conn.Close(context.Background())
		v.conn = nil
	}
	if v.srv != nil {
		if err := v.srv.Close(); err != nil {
			v.t.Error(err)
		}
		v.srv = nil
	}
}

func (v *viewTestServer) restart() {
	v.stop()
	v.start()
}

// query runs sql and returns its rows as sorted text lines.
func (v *viewTestServer) query(sql string) ([]string, error) {
	return v.queryOrdered(sql, true)
}

// queryOrdered runs sql and returns its rows as text lines, sorted if
// asked.
func (v *viewTestServer) queryOrdered(sql string, sorted bool) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	results, err := v.conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range results {
		if r.Err != nil {
			return nil, r.Err
		}
		for _, row := range r.Rows {
			var cells []string
			for _, c := range row {
				if c == nil {
					cells = append(cells, "NULL")
				} else {
					cells = append(cells, string(c))
				}
			}
			out = append(out, strings.Join(cells, "|"))
		}
	}
	if sorted {
		sort.Strings(out)
	}
	return out, nil
}

func (v *viewTestServer) exec(sql string) {
	v.t.Helper()
	if _, err := v.query(sql); err != nil {
		v.t.Fatalf("%s: %v", sql, err)
	}
}

func (v *viewTestServer) expectError(sql, code string) {
	v.t.Helper()
	_, err := v.query(sql)
	pgErr, ok := err.(*pgconn.PgError)
	if !ok || pgErr.Code != code {
		v.t.Errorf("%s: got %v, want SQLSTATE %s", sql, err, code)
	}
}

// The views under test and the ad-hoc query each must equal (views over
// views inline their base view).
var viewTestCases = []struct{ name, query, oracle string }{
	{"by_g", "SELECT g, count(*) AS n, sum(v) AS s, min(v) AS lo, max(v) AS hi, count(DISTINCT v) AS d FROM t GROUP BY g", ""},
	{"joined", "SELECT t.id, t.g, u.name FROM t JOIN u ON t.id = u.tid", ""},
	{"left_joined", "SELECT t.id, u.name FROM t LEFT JOIN u ON t.id = u.tid AND u.name <> 'x'", ""},
	{"top3", "SELECT id, v FROM t ORDER BY v DESC, id LIMIT 3", ""},
	{"named", "SELECT * FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.tid = t.id) AND g NOT IN (SELECT name FROM u WHERE name IS NOT NULL)", ""},
	{"over_view", "SELECT g, count(*) AS rows FROM joined GROUP BY g",
		"SELECT g, count(*) AS rows FROM (SELECT t.id, t.g, u.name FROM t JOIN u ON t.id = u.tid) j GROUP BY g"},
	{"ratio", "SELECT id, 100 / v AS r FROM t", ""},
}

func TestMaterializedViews(t *testing.T) {
	s := startViewTestServer(t)
	s.exec("CREATE TABLE t (id int PRIMARY KEY, g text, v int)")
	s.exec("CREATE TABLE u (tid int, name text)")
	s.exec("INSERT INTO t VALUES (1, 'a', 10), (2, 'b', 20), (3, 'a', 0)")
	s.exec("INSERT INTO u VALUES (1, 'a'), (1, 'a'), (3, NULL)")
	for _, c := range viewTestCases {
		s.exec(fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS %s", c.name, c.query))
	}
	check := func(when string) {
		t.Helper()
		s.exec("FLUSH")
		for _, c := range viewTestCases {
			oracle := c.oracle
			if oracle == "" {
				oracle = c.query
			}
			if c.name == "ratio" {
				// Division by zero is NULL in a view, an error ad hoc.
				oracle = "SELECT id, CASE WHEN v = 0 THEN NULL ELSE 100 / v END FROM t"
			}
			want, err := s.query(oracle)
			if err != nil {
				t.Fatalf("%s: oracle: %v", c.name, err)
			}
			got, err := s.query("SELECT * FROM " + c.name)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("%s: view %s differs from the query:\ngot:\n%s\nwant:\n%s", when, c.name, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
	}
	check("after create")
	rng := rand.New(rand.NewPCG(7, 11))
	mutate := func(n int) {
		for i := 0; i < n; i++ {
			id := rng.IntN(12)
			switch rng.IntN(6) {
			case 0, 1:
				_, _ = s.query(fmt.Sprintf("INSERT INTO t VALUES (%d, '%c', %d)", id, 'a'+rune(rng.IntN(3)), rng.IntN(5)*10))
			case 2:
				s.exec(fmt.Sprintf("UPDATE t SET v = %d, g = '%c' WHERE id = %d", rng.IntN(5)*10, 'a'+rune(rng.IntN(3)), id))
			case 3:
				s.exec(fmt.Sprintf("DELETE FROM t WHERE id = %d", id))
			case 4:
				name := "NULL"
				if rng.IntN(4) > 0 {
					name = fmt.Sprintf("'%c'", 'a'+rune(rng.IntN(4)))
				}
				s.exec(fmt.Sprintf("INSERT INTO u VALUES (%d, %s)", id, name))
			case 5:
				s.exec(fmt.Sprintf("DELETE FROM u WHERE tid = %d", id))
			}
		}
	}
	for round := 0; round < 6; round++ {
		mutate(15)
		check(fmt.Sprintf("round %d", round))
	}
	s.exec("DELETE FROM t")
	s.exec("DELETE FROM u")
	check("after deleting everything")
	mutate(30)
	check("after re-inserting")

	s.restart()
	check("after restart")
	mutate(30)
	check("after restart and more changes")

	// implicit_flush: no FLUSH needed.
	s.exec("SET implicit_flush = true")
	s.exec("INSERT INTO t VALUES (100, 'zz', 1)")
	got, err := s.query("SELECT n FROM by_g WHERE g = 'zz'")
	if err != nil || len(got) != 1 || got[0] != "1" {
		t.Errorf("implicit_flush: got %v, %v", got, err)
	}

	// DDL around views.
	s.expectError("DROP TABLE u", "2BP01")
	s.expectError("DROP MATERIALIZED VIEW joined", "2BP01")
	s.exec("DROP MATERIALIZED VIEW joined CASCADE")
	s.expectError("SELECT * FROM over_view", "42P01")
	s.exec("DROP MATERIALIZED VIEW IF EXISTS joined")
	names, err := s.query("SHOW MATERIALIZED VIEWS")
	if err != nil || strings.Join(names, ",") != "by_g,left_joined,named,ratio,top3" {
		t.Errorf("SHOW MATERIALIZED VIEWS = %v, %v", names, err)
	}
	for _, bad := range []string{
		"CREATE MATERIALIZED VIEW bad AS SELECT now(), id FROM t",
		"CREATE MATERIALIZED VIEW bad AS SELECT random(), id FROM t",
		"CREATE MATERIALIZED VIEW bad AS SELECT id FROM t LIMIT 3",
		"CREATE MATERIALIZED VIEW bad AS SELECT id, (SELECT count(*) FROM u) FROM t",
		"CREATE MATERIALIZED VIEW bad AS SELECT * FROM pg_class",
	} {
		s.expectError(bad, "0A000")
	}
	plan, err := s.query("EXPLAIN CREATE MATERIALIZED VIEW e AS SELECT g, count(*) FROM t GROUP BY g")
	if err != nil || !strings.Contains(strings.Join(plan, "\n"), "StreamHashAgg") {
		t.Errorf("EXPLAIN: %v, %v", plan, err)
	}
	rows, err := s.query("SELECT relation_name, status FROM streamdb.dataflows")
	if err != nil || strings.Join(rows, ",") != "by_g|running,left_joined|running,named|running,ratio|running,top3|running" {
		t.Errorf("streamdb.dataflows = %v, %v", rows, err)
	}
	errs, err := s.query("SELECT row_errors > 0 FROM streamdb.dataflows WHERE relation_name = 'ratio'")
	if err != nil || len(errs) != 1 || errs[0] != "t" {
		t.Errorf("row errors of ratio: %v, %v", errs, err)
	}
}
