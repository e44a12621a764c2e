package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/streamdb/streamdb/sql/types"
	"github.com/streamdb/streamdb/tests/testutil"
)

// cursorScript is run statement by statement, in the simple protocol,
// against PostgreSQL 15 and streamdb; every result (rows and command tag,
// or SQLSTATE) must agree.
var cursorScript = []string{
	"CREATE TABLE cur_t (id int PRIMARY KEY, v text)",
	"INSERT INTO cur_t SELECT g, 'v' || g FROM generate_series(1, 10) g",
	// Outside a transaction block: only WITH HOLD.
	"DECLARE c CURSOR FOR SELECT id FROM cur_t ORDER BY id",
	"FETCH c",
	"BEGIN",
	"DECLARE c SCROLL CURSOR FOR SELECT id, v FROM cur_t ORDER BY id",
	"FETCH FORWARD 3 FROM c",
	"FETCH c",
	"FETCH NEXT FROM c",
	"FETCH PRIOR FROM c",
	"FETCH RELATIVE 0 FROM c",
	"FETCH RELATIVE 3 FROM c",
	"FETCH RELATIVE -2 FROM c",
	"FETCH ABSOLUTE 2 FROM c",
	"FETCH ABSOLUTE -1 FROM c",
	"FETCH ABSOLUTE -3 FROM c",
	"FETCH ABSOLUTE 0 FROM c",
	"FETCH ABSOLUTE 11 FROM c",
	"FETCH ABSOLUTE -11 FROM c",
	"FETCH FIRST FROM c",
	"FETCH LAST FROM c",
	"FETCH c",
	"FETCH c",
	"FETCH BACKWARD 2 FROM c",
	"FETCH BACKWARD ALL FROM c",
	"FETCH BACKWARD 1 FROM c",
	"FETCH FORWARD 0 FROM c",
	"FETCH -2 FROM c",
	"MOVE 4 FROM c",
	"FETCH 0 FROM c",
	"MOVE ALL FROM c",
	"MOVE BACKWARD 3 FROM c",
	"FETCH ALL FROM c",
	"MOVE ABSOLUTE 5 FROM c",
	"MOVE RELATIVE 20 FROM c",
	"FETCH FORWARD 100 FROM c",
	"MOVE ABSOLUTE 0 FROM c",
	"FETCH ALL FROM c",
	"FETCH RELATIVE 100 FROM c",
	"FETCH RELATIVE -100 FROM c",
	"FETCH RELATIVE 2 FROM c",
	// The cursor's snapshot: rows changed after DECLARE are not seen.
	"DECLARE snap CURSOR FOR SELECT id FROM cur_t WHERE id > 8 ORDER BY id",
	"INSERT INTO cur_t VALUES (11, 'late')",
	"FETCH ALL FROM snap",
	"DECLARE c CURSOR FOR SELECT 1",
	"ROLLBACK",
	"FETCH c",
	"BEGIN",
	"DECLARE fwd NO SCROLL CURSOR FOR SELECT id FROM cur_t ORDER BY id",
	"FETCH 2 FROM fwd",
	"MOVE 3 IN fwd",
	"FETCH fwd",
	"FETCH PRIOR FROM fwd",
	"ROLLBACK",
	"BEGIN",
	"DECLARE fwd NO SCROLL CURSOR FOR SELECT id FROM cur_t ORDER BY id",
	"FETCH ABSOLUTE 3 FROM fwd",
	"FETCH ABSOLUTE 5 FROM fwd",
	"FETCH ABSOLUTE 2 FROM fwd",
	"ROLLBACK",
	"BEGIN",
	"DECLARE fwd NO SCROLL CURSOR FOR SELECT id FROM cur_t ORDER BY id",
	"FETCH FIRST FROM fwd",
	"FETCH RELATIVE 2 FROM fwd",
	"FETCH LAST FROM fwd",
	"ROLLBACK",
	"BEGIN",
	"DECLARE fwd NO SCROLL CURSOR FOR SELECT id FROM cur_t ORDER BY id",
	"FETCH RELATIVE 0 FROM fwd",
	"FETCH 1 FROM fwd",
	"FETCH RELATIVE 0 FROM fwd",
	"ROLLBACK",
	"BEGIN",
	"DECLARE fwd NO SCROLL CURSOR FOR SELECT id FROM cur_t ORDER BY id",
	"FETCH ABSOLUTE 0 FROM fwd",
	"FETCH 2 FROM fwd",
	"FETCH ABSOLUTE 0 FROM fwd",
	"ROLLBACK",
	// Neither SCROLL nor NO SCROLL: Postgres allows backward fetches when
	// the plan can run backward (a sorted scan can).
	"BEGIN",
	"DECLARE dflt CURSOR FOR SELECT id FROM cur_t ORDER BY id",
	"FETCH 3 FROM dflt",
	"FETCH PRIOR FROM dflt",
	"FETCH FIRST FROM dflt",
	"FETCH LAST FROM dflt",
	"ROLLBACK",
	// WITH HOLD survives COMMIT (and its snapshot is the declaring
	// transaction's); CLOSE and CLOSE ALL.
	"BEGIN",
	"DECLARE h CURSOR WITH HOLD FOR SELECT id, v FROM cur_t WHERE id <= 3 ORDER BY id",
	"DECLARE gone CURSOR WITHOUT HOLD FOR SELECT 1",
	"DECLARE h2 SCROLL CURSOR WITH HOLD FOR SELECT count(*) FROM cur_t",
	"COMMIT",
	"FETCH gone",
	"FETCH 2 FROM h",
	"DELETE FROM cur_t WHERE id = 3",
	"FETCH h",
	"FETCH h2",
	"FETCH FIRST FROM h2",
	"CLOSE h",
	"FETCH h",
	"CLOSE h",
	"CLOSE ALL",
	"FETCH h2",
	// A WITH HOLD cursor of a rolled-back transaction is gone.
	"BEGIN",
	"DECLARE rb CURSOR WITH HOLD FOR SELECT 1",
	"ROLLBACK",
	"FETCH rb",
	// WITH HOLD outside a block; a duplicate name; quoted names.
	`DECLARE "Mixed Case" CURSOR WITH HOLD FOR SELECT id FROM cur_t ORDER BY id DESC`,
	`DECLARE "Mixed Case" CURSOR WITH HOLD FOR SELECT 1`,
	`FETCH 2 FROM "Mixed Case"`,
	`CLOSE "Mixed Case"`,
	// Several statements in one Query message are a transaction block.
	"DECLARE multi CURSOR FOR SELECT 42 AS answer; FETCH multi",
	// ROLLBACK TO closes the cursors declared after the savepoint.
	"BEGIN",
	"DECLARE before_sp SCROLL CURSOR FOR SELECT id FROM cur_t ORDER BY id",
	"SAVEPOINT sp",
	"DECLARE after_sp CURSOR FOR SELECT 1",
	"FETCH 2 FROM before_sp",
	"ROLLBACK TO SAVEPOINT sp",
	"FETCH after_sp",
	"ROLLBACK TO SAVEPOINT sp",
	"FETCH before_sp",
	"ROLLBACK",
	// Errors inside the block.
	"BEGIN",
	"FETCH nosuch",
	"ROLLBACK",
	"BEGIN",
	"DECLARE d1 CURSOR FOR SELECT 1",
	"DECLARE d1 CURSOR FOR SELECT 2",
	"ROLLBACK",
	"BEGIN",
	"DECLARE e CURSOR FOR SELECT 1 / 0",
	"ROLLBACK",
	"DROP TABLE cur_t",
}

// scriptResult renders one simple-protocol statement's results.
func scriptResult(ctx context.Context, conn *pgconn.PgConn, sql string) string {
	results, err := conn.Exec(ctx, sql).ReadAll()
	var sb strings.Builder
	for _, r := range results {
		for _, row := range r.Rows {
			for i, v := range row {
				if i > 0 {
					sb.WriteByte('|')
				}
				if v == nil {
					sb.WriteString("NULL")
				} else {
					sb.Write(v)
				}
			}
			sb.WriteByte('\n')
		}
		if r.Err == nil {
			sb.WriteString(r.CommandTag.String())
			sb.WriteByte('\n')
		}
	}
	if err != nil {
		code := types.CodeInternalError
		if pe, ok := err.(*pgconn.PgError); ok {
			code = pe.Code
		}
		fmt.Fprintf(&sb, "ERROR %s\n", code)
	}
	return sb.String()
}

func runCursorScript(t *testing.T, connString string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgconn.Connect(ctx, connString)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	out := make([]string, len(cursorScript))
	for i, sql := range cursorScript {
		out[i] = scriptResult(ctx, conn, sql)
	}
	return out
}

func TestCursorsAgainstPostgres(t *testing.T) {
	pg := testutil.StartPostgres(t)
	want := runCursorScript(t, pg.ConnString())
	srv := testutil.StartServer(t)
	got := runCursorScript(t, "postgres://streamdb@"+srv.PGAddr()+"/streamdb?sslmode=disable")
	for i, sql := range cursorScript {
		if got[i] != want[i] {
			t.Errorf("%s\nstreamdb:\n%spostgres:\n%s", sql, got[i], want[i])
		}
	}
}

// TestCursorOverView declares a cursor over a materialized view.
func TestCursorOverView(t *testing.T) {
	srv := testutil.StartServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgconn.Connect(ctx, "postgres://streamdb@"+srv.PGAddr()+"/streamdb?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, sql := range []string{
		"CREATE TABLE sales (id int PRIMARY KEY, region text, amount int)",
		"INSERT INTO sales VALUES (1, 'east', 10), (2, 'west', 5), (3, 'east', 7)",
		"CREATE MATERIALIZED VIEW totals AS SELECT region, sum(amount) AS total FROM sales GROUP BY region",
		"FLUSH",
	} {
		if _, err := conn.Exec(ctx, sql).ReadAll(); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	got := scriptResult(ctx, conn, "BEGIN; DECLARE v SCROLL CURSOR FOR SELECT region, total FROM totals ORDER BY region; FETCH ALL FROM v; FETCH PRIOR FROM v; COMMIT")
	want := "BEGIN\nDECLARE CURSOR\neast|17\nwest|5\nFETCH 2\nwest|5\nFETCH 1\nCOMMIT\n"
	if got != want {
		t.Errorf("cursor over a view:\n%s\nwant:\n%s", got, want)
	}
}

// TestCursorExtendedProtocol declares and fetches through the extended
// protocol (pgx's default mode): Describe of FETCH reports the cursor's
// columns, and DECLARE takes parameters.
func TestCursorExtendedProtocol(t *testing.T) {
	srv := testutil.StartServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, "postgres://streamdb@"+srv.PGAddr()+"/streamdb?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "DECLARE ext CURSOR FOR SELECT g, 'n' || g AS name FROM generate_series(1, 10) g WHERE g > $1 ORDER BY g", 6); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, "FETCH 3 FROM ext")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var id int
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %s", id, name))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if tag := rows.CommandTag().String(); tag != "FETCH 3" {
		t.Errorf("tag %q", tag)
	}
	if want := []string{"7 n7", "8 n8", "9 n9"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("fetched %v, want %v", got, want)
	}
	if tag, err := tx.Exec(ctx, "MOVE ALL IN ext"); err != nil || tag.String() != "MOVE 1" {
		t.Errorf("MOVE ALL: %v %v", tag, err)
	}
}
