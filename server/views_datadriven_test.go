package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestMaterializedViewScripts runs the SQL scripts of testdata/matview:
//
//	exec            statements (one query string); prints "ok" or the error
//	query [sorted]  one query; prints its rows (cells separated by "|")
//	restart         closes the server and starts it again on the same data
func TestMaterializedViewScripts(t *testing.T) {
	datadriven.Walk(t, "testdata/matview", func(t *testing.T, path string) {
		s := startViewTestServer(t)
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "restart":
				s.restart()
				return "ok"
			case "exec":
				if _, err := s.query(d.Input); err != nil {
					return formatPgError(err)
				}
				return "ok"
			case "query":
				rows, err := s.queryOrdered(d.Input, d.HasArg("sorted"))
				if err != nil {
					return formatPgError(err)
				}
				if len(rows) == 0 {
					return "(no rows)\n"
				}
				return strings.Join(rows, "\n") + "\n"
			}
			t.Fatalf("unknown command %q", d.Cmd)
			return ""
		})
	})
}

func formatPgError(err error) string {
	if pe, ok := err.(*pgconn.PgError); ok {
		return fmt.Sprintf("ERROR %s: %s\n", pe.Code, pe.Message)
	}
	return fmt.Sprintf("ERROR: %v\n", err)
}
