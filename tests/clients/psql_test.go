package clients

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streamdb/streamdb/server"
)

// psql runs the psql binary against srv with script on stdin and returns
// its combined output. ON_ERROR_STOP makes a failing statement fail psql.
func psql(t *testing.T, bin string, srv *server.Server, script string, extraArgs ...string) (string, error) {
	t.Helper()
	host, port, _ := strings.Cut(srv.PGAddr(), ":")
	args := append([]string{"-X", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", port, "-U", "streamdb", "-d", "streamdb"}, extraArgs...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(script)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "PAGER=", "PSQL_PAGER=", "PGTZ=UTC", "PGCLIENTENCODING=UTF8")
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustPsql(t *testing.T, bin string, srv *server.Server, script string, extraArgs ...string) string {
	t.Helper()
	out, err := psql(t, bin, srv, script, extraArgs...)
	if err != nil {
		t.Fatalf("psql failed: %v\nscript:\n%s\noutput:\n%s", err, script, out)
	}
	return out
}

func assertContains(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s: output does not contain %q\noutput:\n%s", what, w, out)
		}
	}
}

// assertMatches checks psql table output with regexps, so column widths
// (which depend on every row of the listing) do not matter.
func assertMatches(t *testing.T, what, out string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(out) {
			t.Errorf("%s: output does not match %q\noutput:\n%s", what, p, out)
		}
	}
}

func TestPsql(t *testing.T) {
	bin := requireClient(t, "psql (Debian package postgresql-client)", "psql", "/usr/bin/psql")
	srv := startServer(t)
	mustPsql(t, bin, srv, `
CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, price numeric(10,2), tags text[], added timestamptz);
INSERT INTO items VALUES (1, 'apple', 1.50, '{fruit,red}', '2024-01-02 03:04:05+00'), (2, 'bread', 3.25, NULL, NULL);
`)

	t.Run("select", func(t *testing.T) {
		out := mustPsql(t, bin, srv, "SELECT id, name, price FROM items ORDER BY id;\n")
		assertContains(t, "select", out, " id | name  | price ", "  1 | apple |  1.50", "(2 rows)")
	})

	t.Run("describe table", func(t *testing.T) {
		out := mustPsql(t, bin, srv, `\d items`+"\n")
		assertContains(t, `\d items`, out,
			`Table "public.items"`, "id", "bigint", "not null", "name", "text", "price", "numeric(10,2)",
			"tags", "text[]", "added", "timestamp with time zone", "Indexes:", `"items_pkey" PRIMARY KEY, btree (id)`)
	})

	t.Run("describe more", func(t *testing.T) {
		mustPsql(t, bin, srv, `
CREATE TABLE checked (id int PRIMARY KEY, price numeric(10,2) CHECK (price > 0), name text);
CREATE INDEX checked_name_idx ON checked (name);
CREATE VIEW cheap AS SELECT id, price FROM checked WHERE price < 5;
`)
		out := mustPsql(t, bin, srv, `\d+ checked`+"\n")
		assertContains(t, `\d+`, out, `Table "public.checked"`, "Storage", `"checked_pkey" PRIMARY KEY, btree (id)`,
			`"checked_name_idx" btree (name)`, "Check constraints:", `"checked_price_check" CHECK ((price > 0))`)
		out = mustPsql(t, bin, srv, `\di`+"\n")
		assertMatches(t, `\di`, out, `public\s+\|\s+checked_name_idx\s+\|\s+index\s+\|\s+streamdb\s+\|\s+checked`,
			`public\s+\|\s+checked_pkey\s+\|\s+index\s+\|\s+streamdb\s+\|\s+checked`)
		out = mustPsql(t, bin, srv, `\dv`+"\n")
		assertMatches(t, `\dv`, out, `public\s+\|\s+cheap\s+\|\s+view\s+\|\s+streamdb`)
		out = mustPsql(t, bin, srv, `\d cheap`+"\n")
		assertContains(t, `\d view`, out, `View "public.cheap"`, " price  | numeric(10,2) ")
		out = mustPsql(t, bin, srv, `\df upper`+"\n")
		assertMatches(t, `\df`, out, `pg_catalog\s+\|\s+upper\s+\|\s+text\s+\|\s+text\s+\|\s+func`)
		out = mustPsql(t, bin, srv, `\du`+"\n")
		assertMatches(t, `\du`, out, `streamdb\s+\|\s+Superuser`)
		out = mustPsql(t, bin, srv, `\conninfo`+"\n")
		assertContains(t, `\conninfo`, out, `You are connected to database "streamdb" as user "streamdb"`)

		// A materialized view: its columns, its query, no server
		// bookkeeping in "Options:", and \dm+ lists it.
		mustPsql(t, bin, srv, `CREATE MATERIALIZED VIEW price_totals AS SELECT name, sum(price) AS total FROM checked GROUP BY name;`+"\n")
		out = mustPsql(t, bin, srv, `\d+ price_totals`+"\n")
		assertContains(t, `\d+ matview`, out, `Materialized view "public.price_totals"`, " name   | text ", " total  | numeric ",
			"View definition:", "sum(price) AS total")
		if strings.Contains(out, "Options:") || strings.Contains(out, "bound_names") {
			t.Errorf(`\d+ of a materialized view shows internal options:\n%s`, out)
		}
		out = mustPsql(t, bin, srv, `\dm+`+"\n")
		assertMatches(t, `\dm+`, out, `public\s+\|\s+price_totals\s+\|\s+materialized view\s+\|\s+streamdb`)
		// \sv prints CREATE OR REPLACE VIEW with the defining query; psql 15
		// refuses \sv of a materialized view itself ("is not a view"), as
		// against PostgreSQL, so its definition is checked through
		// pg_get_viewdef, which \d+ and the IDEs use.
		out = mustPsql(t, bin, srv, `\sv cheap`+"\n")
		assertContains(t, `\sv`, out, "CREATE OR REPLACE VIEW public.cheap AS", "WHERE price < 5")
		out = mustPsql(t, bin, srv, `SELECT pg_get_viewdef('price_totals'::regclass, true);`+"\n", "-At")
		assertContains(t, "pg_get_viewdef of a materialized view", out, "SELECT name, sum(price) AS total FROM checked GROUP BY name")
	})

	t.Run("list tables", func(t *testing.T) {
		out := mustPsql(t, bin, srv, `\dt`+"\n")
		assertContains(t, `\dt`, out, "List of relations")
		assertMatches(t, `\dt`, out, `public\s+\|\s+items\s+\|\s+table\s+\|\s+streamdb`)
	})

	t.Run("list databases", func(t *testing.T) {
		out := mustPsql(t, bin, srv, `\l`+"\n")
		assertContains(t, `\l`, out, "List of databases", "streamdb")
	})

	t.Run("list schemas", func(t *testing.T) {
		out := mustPsql(t, bin, srv, `\dn`+"\n")
		assertContains(t, `\dn`, out, "List of schemas", "public")
	})

	t.Run("expanded output", func(t *testing.T) {
		out := mustPsql(t, bin, srv, "\\x\nSELECT id, name FROM items WHERE id = 1;\n")
		assertContains(t, `\x`, out, "Expanded display is on.", "-[ RECORD 1 ]", "id   | 1", "name | apple")
	})

	t.Run("syntax error", func(t *testing.T) {
		out, err := psql(t, bin, srv, "SELECT * FORM items;\n")
		if err == nil {
			t.Fatalf("psql succeeded on a syntax error:\n%s", out)
		}
		assertContains(t, "syntax error", out, `ERROR:  syntax error at or near "FORM"`, "LINE 1: SELECT * FORM items;", "                 ^")
	})

	t.Run("copy round trip", func(t *testing.T) {
		dir := t.TempDir()
		for _, format := range []struct{ name, opts string }{{"text", ""}, {"csv", " WITH (FORMAT csv, HEADER true)"}} {
			file := filepath.Join(dir, "items."+format.name)
			table := "copy_" + format.name
			mustPsql(t, bin, srv, `\copy items TO '`+file+`'`+format.opts+"\n")
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if format.name == "text" {
				assertContains(t, "copy out (text)", string(data), "1\tapple\t1.50\t{fruit,red}\t2024-01-02 03:04:05+00\n", "2\tbread\t3.25\t\\N\t\\N\n")
			} else {
				assertContains(t, "copy out (csv)", string(data), "id,name,price,tags,added\n", "1,apple,1.50,\"{fruit,red}\",2024-01-02 03:04:05+00\n", "2,bread,3.25,,\n")
			}
			mustPsql(t, bin, srv, "CREATE TABLE "+table+" (id bigint PRIMARY KEY, name text NOT NULL, price numeric(10,2), tags text[], added timestamptz);\n"+
				`\copy `+table+` FROM '`+file+`'`+format.opts+"\n")
			out := mustPsql(t, bin, srv, "SELECT count(*) AS n, sum(price) AS total, count(tags) AS tagged FROM "+table+";\n", "-A", "-t")
			if strings.TrimSpace(out) != "2|4.75|1" {
				t.Errorf("%s: copied table has %q, want 2|4.75|1", format.name, out)
			}
			out = mustPsql(t, bin, srv, "SELECT * FROM items EXCEPT SELECT * FROM "+table+";\n", "-A", "-t")
			if strings.TrimSpace(out) != "" {
				t.Errorf("%s: rows differ after the round trip: %q", format.name, out)
			}
		}
	})

	t.Run("copy from stdin", func(t *testing.T) {
		mustPsql(t, bin, srv, "CREATE TABLE lines (n int, s text);\nCOPY lines FROM STDIN;\n1\tone\n2\t\\N\n3\ttab\\there\n\\.\n")
		conn := connect(t, srv, pgx.QueryExecModeSimpleProtocol)
		var n int
		var s string
		if err := conn.QueryRow(context.Background(), "SELECT count(*), max(s) FROM lines").Scan(&n, &s); err != nil {
			t.Fatal(err)
		}
		if n != 3 || s != "tab\there" {
			t.Errorf("COPY FROM STDIN loaded %d rows, max %q", n, s)
		}
	})
}
