package planner

import (
	"testing"
	"time"

	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/types"
)

func TestIntervalFieldQualifier(t *testing.T) {
	for sql, want := range map[string]string{
		"SELECT INTERVAL '1' MINUTE":      "00:01:00",
		"SELECT INTERVAL '2' HOUR":        "02:00:00",
		"SELECT INTERVAL '3' DAY":         "3 days",
		"SELECT INTERVAL '10' SECOND":     "00:00:10",
		"SELECT INTERVAL '1' YEAR":        "1 year",
		"SELECT INTERVAL '1 day 2 hours'": "1 day 02:00:00",
		"SELECT INTERVAL '5'":             "00:00:05",
	} {
		stmts, err := parser.Parse(sql)
		if err != nil {
			t.Fatal(err)
		}
		b := NewBinder(testCatalog(), nil, sql, nil)
		n, err := b.BindSelect(stmts[0].AST)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		e := n.(*Project).Exprs[0]
		c, ok := e.(*Const)
		if !ok {
			if cast, ok := e.(*Cast); ok {
				c, _ = cast.Arg.(*Const)
				d, err := types.ParseText(c.Value.S, types.Interval, time.UTC)
				if err != nil {
					t.Fatal(err)
				}
				c = &Const{Value: d, Typ: types.Interval}
			}
		}
		if got := string(types.AppendText(nil, c.Value, types.Interval, time.UTC)); got != want {
			t.Errorf("%s = %s, want %s", sql, got, want)
		}
	}
}
