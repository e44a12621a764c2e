package clients

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
)

var allExecModes = []pgx.QueryExecMode{
	pgx.QueryExecModeCacheStatement,
	pgx.QueryExecModeCacheDescribe,
	pgx.QueryExecModeDescribeExec,
	pgx.QueryExecModeExec,
	pgx.QueryExecModeSimpleProtocol,
}

// TestPgxExecModes runs the same prepared work in each of pgx's five query
// execution modes: named prepared statements (cached), described then
// executed, unnamed statements, and the simple protocol with client-side
// parameter interpolation.
func TestPgxExecModes(t *testing.T) {
	pgxExecModes(t, connString(startServer(t))) // and on PostgreSQL: TestAgainstPostgres
}

func pgxExecModes(t *testing.T, url string) {
	for _, mode := range allExecModes {
		t.Run(mode.String(), func(t *testing.T) {
			ctx := context.Background()
			conn := connectURL(t, url, mode)
			table := "modes_" + identSafe(mode.String())
			mustExec(t, conn, "CREATE TABLE "+table+" (id int PRIMARY KEY, label text, amount numeric(12,2), at timestamptz)")
			base := time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)
			for i := 1; i <= 10; i++ {
				tag, err := conn.Exec(ctx, "INSERT INTO "+table+" (id, label, amount, at) VALUES ($1, $2, $3, $4)",
					i, fmt.Sprintf("row %d", i), fmt.Sprintf("%d.25", i), base.Add(time.Duration(i)*time.Hour))
				if err != nil {
					t.Fatalf("insert %d: %v", i, err)
				}
				if tag.String() != "INSERT 0 1" {
					t.Errorf("insert %d: command tag %q", i, tag)
				}
			}
			for i := 1; i <= 10; i++ {
				var label string
				var at time.Time
				if err := conn.QueryRow(ctx, "SELECT label, at FROM "+table+" WHERE id = $1", i).Scan(&label, &at); err != nil {
					t.Fatalf("select %d: %v", i, err)
				}
				if label != fmt.Sprintf("row %d", i) || !at.Equal(base.Add(time.Duration(i)*time.Hour)) {
					t.Errorf("select %d: got %q %v", i, label, at)
				}
			}
			var count int64
			var total string
			if err := conn.QueryRow(ctx, "SELECT count(*), sum(amount)::text FROM "+table+" WHERE id > $1", 0).Scan(&count, &total); err != nil {
				t.Fatal(err)
			}
			if count != 10 || total != "57.50" {
				t.Errorf("count %d, total %s; want 10, 57.50", count, total)
			}
			tag, err := conn.Exec(ctx, "UPDATE "+table+" SET label = $1 WHERE id <= $2", "small", 3)
			if err != nil || tag.String() != "UPDATE 3" {
				t.Errorf("update: %v %q", err, tag)
			}
			tag, err = conn.Exec(ctx, "DELETE FROM "+table+" WHERE label = $1", "small")
			if err != nil || tag.String() != "DELETE 3" {
				t.Errorf("delete: %v %q", err, tag)
			}
		})
	}
}

// identSafe turns a pgx mode name ("cache statement") into an identifier part.
func identSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(s))
}

// sqlstate returns the SQLSTATE of a server error, or "".
func sqlstate(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

func mustNumeric(s string) pgtype.Numeric {
	var n pgtype.Numeric
	if err := n.Scan(s); err != nil {
		panic(err)
	}
	return n
}

// roundTripCase is one value sent as a parameter and read back.
type roundTripCase struct {
	typ   string
	value any
	// dst is a pointer to a fresh destination; want is the value expected
	// in it (nil means value itself).
	dst  func() any
	want any
	// simpleValue replaces value in the simple protocol, where pgx must
	// render the parameter as text without knowing its type.
	simpleValue any
}

func roundTripCases() []roundTripCase {
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	return []roundTripCase{
		{typ: "int2", value: int16(-32768), dst: func() any { return new(int16) }},
		{typ: "int4", value: int32(2147483647), dst: func() any { return new(int32) }},
		{typ: "int8", value: int64(-9223372036854775808), dst: func() any { return new(int64) }},
		{typ: "float4", value: float32(1.5), dst: func() any { return new(float32) }},
		{typ: "float8", value: 0.1 + 0.2, dst: func() any { return new(float64) }},
		{typ: "numeric", value: mustNumeric("12345678901234567890.0123"), dst: func() any { return new(pgtype.Numeric) }},
		{typ: "numeric", value: mustNumeric("-0.5"), dst: func() any { return new(pgtype.Numeric) }},
		{typ: "bool", value: true, dst: func() any { return new(bool) }},
		{typ: "text", value: "héllo, wörld \t \"quoted\"", dst: func() any { return new(string) }},
		{typ: "varchar", value: "", dst: func() any { return new(string) }},
		{typ: "bytea", value: []byte{0, 1, 2, 0xfe, 0xff}, dst: func() any { return new([]byte) }},
		{typ: "date", value: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), dst: func() any { return new(time.Time) }},
		{typ: "time", value: pgtype.Time{Microseconds: (13*3600+14*60+15)*1e6 + 500, Valid: true}, dst: func() any { return new(pgtype.Time) }},
		{typ: "timestamp", value: ts, dst: func() any { return new(time.Time) }},
		{typ: "timestamptz", value: ts, dst: func() any { return new(time.Time) }},
		{typ: "interval", value: pgtype.Interval{Months: 14, Days: 3, Microseconds: 4*3600*1e6 + 5, Valid: true}, dst: func() any { return new(pgtype.Interval) }},
		{typ: "jsonb", value: map[string]any{"a": []any{1.0, "two", nil}, "b": true}, dst: func() any { return new(map[string]any) },
			simpleValue: `{"a": [1, "two", null], "b": true}`},
		{typ: "int4[]", value: []int32{1, 2, 3}, dst: func() any { return new([]int32) }},
		{typ: "int8[]", value: []int64{}, dst: func() any { return new([]int64) }},
		{typ: "text[]", value: []string{"a", "b c", "", "d,e"}, dst: func() any { return new([]string) }},
	}
}

func sameValue(t *testing.T, c roundTripCase, got any) bool {
	t.Helper()
	want := c.want
	if want == nil {
		want = c.value
	}
	switch w := want.(type) {
	case time.Time:
		return w.Equal(got.(time.Time))
	case pgtype.Numeric:
		g := got.(pgtype.Numeric)
		return g.Valid && numericRat(w).Cmp(numericRat(g)) == 0
	}
	return reflect.DeepEqual(want, got)
}

func numericRat(n pgtype.Numeric) *big.Rat {
	r := new(big.Rat).SetInt(n.Int)
	exp := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(n.Exp))), nil)
	if n.Exp >= 0 {
		return r.Mul(r, new(big.Rat).SetInt(exp))
	}
	return r.Quo(r, new(big.Rat).SetInt(exp))
}

func abs(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// TestPgxTypeRoundTrip sends every type as a parameter and reads it back,
// in binary format (cached statements) and in text format (simple
// protocol), both through a SELECT of the parameter and through a table.
func TestPgxTypeRoundTrip(t *testing.T) {
	pgxTypeRoundTrip(t, connString(startServer(t))) // and on PostgreSQL: TestAgainstPostgres
}

func pgxTypeRoundTrip(t *testing.T, url string) {
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		t.Run(mode.String(), func(t *testing.T) {
			ctx := context.Background()
			conn := connectURL(t, url, mode)
			for i, c := range roundTripCases() {
				param := c.value
				if mode == pgx.QueryExecModeSimpleProtocol && c.simpleValue != nil {
					param = c.simpleValue
				}
				dst := c.dst()
				if err := conn.QueryRow(ctx, "SELECT $1::"+c.typ, param).Scan(dst); err != nil {
					t.Errorf("SELECT $1::%s with %#v: %v", c.typ, c.value, err)
					continue
				}
				got := reflect.ValueOf(dst).Elem().Interface()
				if !sameValue(t, c, got) {
					t.Errorf("SELECT $1::%s: sent %#v, got %#v", c.typ, c.value, got)
				}

				table := fmt.Sprintf("rt_%s_%d", identSafe(mode.String()), i)
				mustExec(t, conn, fmt.Sprintf("CREATE TABLE %s (v %s)", table, c.typ))
				if _, err := conn.Exec(ctx, "INSERT INTO "+table+" VALUES ($1)", param); err != nil {
					t.Errorf("INSERT %s: %v", c.typ, err)
					continue
				}
				dst = c.dst()
				if err := conn.QueryRow(ctx, "SELECT v FROM "+table).Scan(dst); err != nil {
					t.Errorf("SELECT from %s column: %v", c.typ, err)
					continue
				}
				got = reflect.ValueOf(dst).Elem().Interface()
				if !sameValue(t, c, got) {
					t.Errorf("%s column: stored %#v, read %#v", c.typ, c.value, got)
				}
			}
			// NULL of every type.
			for _, c := range roundTripCases() {
				var isNull bool
				if err := conn.QueryRow(ctx, "SELECT $1::"+c.typ+" IS NULL", nil).Scan(&isNull); err != nil || !isNull {
					t.Errorf("NULL %s: %v %v", c.typ, isNull, err)
				}
			}
		})
	}
}

func TestPgxCopy(t *testing.T) {
	pgxCopy(t, connString(startServer(t))) // and on PostgreSQL: TestAgainstPostgres
}

func pgxCopy(t *testing.T, url string) {
	ctx := context.Background()
	conn := connectURL(t, url, pgx.QueryExecModeCacheStatement)
	mustExec(t, conn, "CREATE TABLE copied (id int PRIMARY KEY, name text, score float8, born date)")

	checkLoaded := func(t *testing.T, table string) {
		t.Helper()
		var count, nulls int64
		var sum float64
		if err := conn.QueryRow(ctx, "SELECT count(*), count(*) - count(name), sum(score) FROM "+table).Scan(&count, &nulls, &sum); err != nil {
			t.Fatal(err)
		}
		if count != 1000 || nulls != 100 || sum != 124875 {
			t.Errorf("after COPY: count %d, nulls %d, sum %v; want 1000, 100, 124875", count, nulls, sum)
		}
	}

	t.Run("text CopyFrom", func(t *testing.T) {
		var text strings.Builder
		for i := 0; i < 1000; i++ {
			name := fmt.Sprintf("name %d", i)
			if i%10 == 0 {
				name = `\N`
			}
			born := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format("2006-01-02")
			fmt.Fprintf(&text, "%d\t%s\t%v\t%s\n", i, name, float64(i)/4, born)
		}
		tag, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(text.String()), "COPY copied FROM STDIN")
		if err != nil {
			t.Fatalf("COPY FROM STDIN: %v", err)
		}
		if tag.String() != "COPY 1000" {
			t.Errorf("tag %q", tag)
		}
		checkLoaded(t, "copied")
	})

	t.Run("binary CopyFrom", func(t *testing.T) {
		mustExec(t, conn, "CREATE TABLE copied_bin (id int PRIMARY KEY, name text, score float8, born date)")
		var rows [][]any
		for i := 0; i < 1000; i++ {
			var name any = fmt.Sprintf("name %d", i)
			if i%10 == 0 {
				name = nil
			}
			rows = append(rows, []any{int32(i), name, float64(i) / 4, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i)})
		}
		n, err := conn.CopyFrom(ctx, pgx.Identifier{"copied_bin"}, []string{"id", "name", "score", "born"}, pgx.CopyFromRows(rows))
		if err != nil {
			t.Fatalf("CopyFrom: %v", err)
		}
		if n != 1000 {
			t.Errorf("CopyFrom copied %d rows", n)
		}
		checkLoaded(t, "copied_bin")
	})

	t.Run("CopyTo", func(t *testing.T) {
		var buf bytes.Buffer
		tag, err := conn.PgConn().CopyTo(ctx, &buf, "COPY (SELECT id, name, born FROM copied WHERE id < 3 ORDER BY id) TO STDOUT")
		if err != nil {
			t.Fatalf("CopyTo: %v", err)
		}
		if want := "0\t\\N\t2000-01-01\n1\tname 1\t2000-01-02\n2\tname 2\t2000-01-03\n"; buf.String() != want {
			t.Errorf("CopyTo wrote %q, want %q", buf.String(), want)
		}
		if tag.String() != "COPY 3" {
			t.Errorf("CopyTo tag %q", tag)
		}
		buf.Reset()
		if _, err := conn.PgConn().CopyTo(ctx, &buf, "COPY copied TO STDOUT WITH (FORMAT csv)"); err != nil {
			t.Fatalf("CopyTo csv: %v", err)
		}
		if lines := strings.Count(buf.String(), "\n"); lines != 1000 {
			t.Errorf("CSV copy has %d lines", lines)
		}
	})

	t.Run("bad row", func(t *testing.T) {
		// COPY FROM with a bad row fails as a whole.
		_, err := conn.PgConn().CopyFrom(ctx, strings.NewReader("5000\tok\t1\t2020-01-01\nnot-a-number\tx\t1\t2020-01-01\n"), "COPY copied FROM STDIN")
		if sqlstate(err) != "22P02" {
			t.Errorf("COPY of a bad row: %v, want 22P02", err)
		}
		var count int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM copied WHERE id = 5000").Scan(&count); err != nil || count != 0 {
			t.Errorf("row of a failed COPY is visible: %d %v", count, err)
		}
	})
}

// TestPortalRowLimit executes a portal a few rows at a time (what JDBC's
// fetch size does) with raw protocol messages on a pgx connection.
func TestPortalRowLimit(t *testing.T) {
	srv := startServer(t)
	conn := connect(t, srv, pgx.QueryExecModeCacheStatement)
	pc := conn.PgConn()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Open a transaction so the portal survives between Executes.
	mustExec(t, conn, "BEGIN")
	fe := pc.Frontend()
	fe.Send(&pgproto3.Parse{Query: "SELECT g FROM generate_series(1, 5) AS g"})
	fe.Send(&pgproto3.Bind{})
	fe.Send(&pgproto3.Execute{MaxRows: 2})
	fe.Send(&pgproto3.Flush{})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	var got []string
	read := func(until func(pgproto3.BackendMessage) bool) {
		t.Helper()
		for {
			if deadline, ok := ctx.Deadline(); ok {
				_ = pc.Conn().SetReadDeadline(deadline)
			}
			msg, err := fe.Receive()
			if err != nil {
				t.Fatalf("receive: %v", err)
			}
			switch m := msg.(type) {
			case *pgproto3.DataRow:
				got = append(got, string(m.Values[0]))
			case *pgproto3.ErrorResponse:
				t.Fatalf("server error: %s %s", m.Code, m.Message)
			case *pgproto3.PortalSuspended:
				got = append(got, "suspended")
			case *pgproto3.CommandComplete:
				got = append(got, string(m.CommandTag))
			}
			if until(msg) {
				return
			}
		}
	}
	isSuspended := func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.PortalSuspended); return ok }
	read(isSuspended)
	fe.Send(&pgproto3.Execute{MaxRows: 2})
	fe.Send(&pgproto3.Flush{})
	_ = fe.Flush()
	read(isSuspended)
	fe.Send(&pgproto3.Execute{})
	fe.Send(&pgproto3.Sync{})
	_ = fe.Flush()
	read(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.ReadyForQuery); return ok })
	_ = pc.Conn().SetReadDeadline(time.Time{})
	want := "1 2 suspended 3 4 suspended 5 SELECT 1"
	if strings.Join(got, " ") != want {
		t.Errorf("portal messages: %q, want %q", strings.Join(got, " "), want)
	}
	mustExec(t, conn, "COMMIT")
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("connection unusable after the portal: %v", err)
	}
}

// TestPgxCancel cancels a long statement through the context: pgx sends a
// CancelRequest on a second connection, the server answers 57014 and the
// connection stays usable.
func TestPgxCancel(t *testing.T) {
	srv := startServer(t)
	cfg, err := pgx.ParseConfig(connString(srv))
	if err != nil {
		t.Fatal(err)
	}
	// pgx's default reaction to a done context is to close the socket; ask
	// for a CancelRequest instead, and close only if the server ignores it.
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, CancelRequestDelay: 0, DeadlineDelay: 20 * time.Second}
	}
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())

	for _, query := range []string{
		"SELECT count(*) FROM generate_series(1, 2000000000) AS a",
		"SELECT pg_sleep(30)",
	} {
		t.Run(query, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err := conn.Exec(ctx, query)
			if err == nil {
				t.Fatal("the statement was not cancelled")
			}
			if conn.IsClosed() {
				t.Fatalf("the server ignored the CancelRequest (pgx closed the connection after 20s): %v", err)
			}
			if code := sqlstate(err); code != "57014" {
				t.Errorf("cancelled statement failed with %v, want SQLSTATE 57014", err)
			}
			var one int
			if err := conn.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
				t.Errorf("connection unusable after cancel: %v", err)
			}
		})
	}
}

// TestPgxErrors checks that errors carry their SQLSTATE through the
// extended protocol and leave the connection usable.
func TestPgxErrors(t *testing.T) {
	srv := startServer(t)
	conn := connect(t, srv, pgx.QueryExecModeCacheStatement)
	ctx := context.Background()
	mustExec(t, conn, "CREATE TABLE u (id int PRIMARY KEY)", "INSERT INTO u VALUES (1)")
	for _, c := range []struct {
		sql  string
		args []any
		code string
	}{
		{"INSERT INTO u VALUES ($1)", []any{1}, "23505"},
		{"SELECT 1 / $1::int", []any{0}, "22012"},
		{"SELECT * FROM nope WHERE id = $1", []any{1}, "42P01"},
		{"SELEC $1", []any{1}, "42601"},
	} {
		_, err := conn.Exec(ctx, c.sql, c.args...)
		if sqlstate(err) != c.code {
			t.Errorf("%s: %v, want SQLSTATE %s", c.sql, err, c.code)
		}
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM u WHERE id = $1", 1).Scan(&n); err != nil || n != 1 {
		t.Errorf("after errors: %d %v", n, err)
	}
}
