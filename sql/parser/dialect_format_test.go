package parser

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
)

func TestConnectorDialect(t *testing.T) {
	cases := []struct {
		sql  string
		kind DialectKind
		want string // substring of the JSON parse tree
	}{
		{`CREATE TABLE t (id int PRIMARY KEY, v text) WITH (connector = 'kafka', topic = 'x', properties.bootstrap.server = 'h:1') FORMAT DEBEZIUM ENCODE JSON;`, NotDialect, `"defname":"properties.bootstrap.server"`},
		{`CREATE TABLE t (id int PRIMARY KEY) WITH (connector='kafka') FORMAT UPSERT ENCODE JSON`, NotDialect, `"defname":"format","arg":{"String":{"sval":"upsert"}}`},
		{`CREATE TABLE t (id int PRIMARY KEY) FORMAT PLAIN ENCODE JSON`, NotDialect, `"defname":"encode"`},
		{`CREATE SOURCE s (id int, v text) WITH (connector = 'kafka', topic = 'a.b.c') FORMAT PLAIN ENCODE JSON`, CreateSource, `"CreateStmt"`},
		{`CREATE SINK k FROM v WITH (connector = 'kafka', properties.bootstrap.server = 'h:1', primary_key = 'a,b') FORMAT UPSERT ENCODE JSON`, CreateSink, `"defname":"primary_key"`},
		{`CREATE SINK IF NOT EXISTS k AS SELECT a, count(*) FROM t GROUP BY a WITH (connector = 'kafka') FORMAT DEBEZIUM ENCODE JSON`, CreateSink, `"defname":"if_not_exists"`},
		{`CREATE SINK k FROM public.v`, CreateSink, `"relname":"v"`},
		{`DROP SINK IF EXISTS k`, DropSink, `"missing_ok":true`},
		{`DROP SOURCE s`, DropSource, `"OBJECT_TABLE"`},
	}
	for _, c := range cases {
		stmts, err := Parse(c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if len(stmts) != 1 || stmts[0].Kind != c.kind || stmts[0].AST == nil {
			t.Fatalf("%s: got %+v", c.sql, stmts)
		}
		js, err := nodeJSON(stmts[0])
		if err != nil {
			t.Fatal(err)
		}
		if !contains(js, c.want) {
			t.Errorf("%s: %s lacks %s", c.sql, js, c.want)
		}
	}
	// Plain statements are untouched.
	for _, s := range []string{`CREATE TABLE t (a int)`, `SELECT 'FORMAT X ENCODE Y'`} {
		stmts, err := Parse(s)
		if err != nil || stmts[0].Kind != NotDialect {
			t.Fatalf("%s: %v %+v", s, err, stmts)
		}
	}
	// Mixed with other statements.
	stmts, err := Parse(`CREATE TABLE a (x int); CREATE TABLE b (id int PRIMARY KEY) WITH (connector='kafka') FORMAT PLAIN ENCODE JSON; DROP SINK s`)
	if err != nil || len(stmts) != 3 || stmts[2].Kind != DropSink {
		t.Fatalf("%v %+v", err, stmts)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func nodeJSON(st Statement) (string, error) {
	b, err := protojson.Marshal(st.AST)
	return strings.ReplaceAll(string(b), " ", ""), err
}
