package parser

import (
	"testing"

	"github.com/streamdb/streamdb/sql/types"
)

func TestWatermarkClause(t *testing.T) {
	for _, tc := range []struct {
		sql, col, delay string
		kind            DialectKind
	}{
		{`CREATE SOURCE bid (auction BIGINT, date_time TIMESTAMP, WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND) WITH (connector = 'nexmark', nexmark.table.type = 'bid')`,
			"date_time", "INTERVAL '4' SECOND", CreateSource},
		{`CREATE TABLE t (WATERMARK FOR ts AS ts, ts TIMESTAMPTZ, v INT)`, "ts", "0", NotDialect},
		{`CREATE SOURCE s (ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '5 seconds') WITH (connector = 'kafka', topic = 't', properties.bootstrap.server = 'x') FORMAT PLAIN ENCODE JSON`,
			"ts", "INTERVAL '5 seconds'", CreateSource},
	} {
		st, err := Parse(tc.sql)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		if len(st) != 1 || st[0].Kind != tc.kind {
			t.Fatalf("%s: %d statements, kind %v", tc.sql, len(st), st[0].Kind)
		}
		cs := st[0].AST.GetCreateStmt()
		opts := map[string]string{}
		for _, o := range cs.Options {
			d := o.GetDefElem()
			key := d.Defname
			if d.Defnamespace != "" {
				key = d.Defnamespace + "." + key
			}
			opts[key] = d.Arg.GetString_().GetSval()
		}
		if opts[OptionWatermarkColumn] != tc.col || opts[OptionWatermarkDelay] != tc.delay {
			t.Fatalf("%s: options %v", tc.sql, opts)
		}
		for _, el := range cs.TableElts {
			if el.GetColumnDef() == nil {
				t.Fatalf("%s: non-column element left", tc.sql)
			}
		}
		if len(cs.TableElts) < 1 {
			t.Fatal("columns lost")
		}
	}
	if _, err := Parse(`SELECT 1 EMIT ON WINDOW CLOSE`); types.Code(err) != types.CodeFeatureNotSupported {
		t.Fatalf("EMIT ON WINDOW CLOSE outside a view: %v", err)
	}
	for _, q := range []string{
		`CREATE MATERIALIZED VIEW v AS SELECT 1 EMIT ON WINDOW CLOSE`,
		`create materialized view if not exists s."V x" (a) with (foo = 'bar') as select 1 emit on window close;`,
		`CREATE MATERIALIZED VIEW v WITH () AS SELECT 1 EMIT ON WINDOW CLOSE`,
	} {
		stmts, err := Parse(q)
		if err != nil || len(stmts) != 1 {
			t.Fatalf("%s: %v", q, err)
		}
		found := false
		for _, o := range stmts[0].AST.GetCreateTableAsStmt().GetInto().GetOptions() {
			d := o.GetDefElem()
			found = found || (d.Defname == OptionEmitOnWindowClose && d.Arg.GetString_().GetSval() == "true")
		}
		if !found {
			t.Fatalf("%s: no %s option", q, OptionEmitOnWindowClose)
		}
	}
	if _, err := Parse(`CREATE TABLE t (ts TIMESTAMP, WATERMARK FOR ts AS now())`); err == nil {
		t.Fatal("a watermark that is not col - interval was accepted")
	}
}
