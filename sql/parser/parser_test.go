package parser

import (
	"strings"
	"testing"

	"github.com/streamdb/streamdb/sql/types"
)

func TestParseMulti(t *testing.T) {
	stmts, err := Parse("SELECT 1; SELECT 2 ;")
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 2 || stmts[0].SQL != "SELECT 1" || stmts[1].SQL != "SELECT 2" {
		t.Fatalf("got %+v", stmts)
	}
}

func TestParseEmpty(t *testing.T) {
	stmts, err := Parse("  -- nothing\n ")
	if err != nil || len(stmts) != 0 {
		t.Fatalf("got %v %v", stmts, err)
	}
}

func TestSyntaxErrorPosition(t *testing.T) {
	_, err := Parse("SELECT * FORM t")
	if err == nil {
		t.Fatal("expected error")
	}
	if types.Code(err) != types.CodeSyntaxError {
		t.Fatalf("code %s", types.Code(err))
	}
	if p := types.Position(err); p != 10 {
		t.Fatalf("position %d: %v", p, err)
	}
}

func TestFlush(t *testing.T) {
	stmts, err := Parse("FLUSH;")
	if err != nil || len(stmts) != 1 || stmts[0].Kind != Flush {
		t.Fatalf("got %v %v", stmts, err)
	}
	stmts, err = Parse("INSERT INTO t VALUES (1); FLUSH; SELECT 1")
	if err != nil || len(stmts) != 3 || stmts[1].Kind != Flush {
		t.Fatalf("got %+v %v", stmts, err)
	}
}

// Migration tools send files with leading comments as they are.
func TestDialectAfterComments(t *testing.T) {
	for sql, want := range map[string]DialectKind{
		"-- migrate:down\nDROP SINK s;\nDROP MATERIALIZED VIEW v;\n":                                                                       DropSink,
		"/* a /* nested */ comment */ -- and a line\n  FLUSH":                                                                              Flush,
		"-- up\nCREATE SINK s FROM v WITH (connector = 'kafka', topic = 't', properties.bootstrap.server = 'b') FORMAT UPSERT ENCODE JSON": CreateSink,
	} {
		stmts, err := Parse(sql)
		if err != nil || len(stmts) == 0 || stmts[0].Kind != want {
			t.Errorf("Parse(%q) = %+v, %v; want a first statement of kind %d", sql, stmts, err, want)
			continue
		}
		if got := sql[stmts[0].Offset:]; !strings.HasPrefix(got, stmts[0].SQL) {
			t.Errorf("Parse(%q): Offset %d points at %q, not at %q", sql, stmts[0].Offset, got, stmts[0].SQL)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("SELECT 1")
	f.Add("SELECT 'a' || 'b' FROM t WHERE x = $1")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Parse(s)
	})
}
