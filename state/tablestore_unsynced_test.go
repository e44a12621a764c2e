package state

import (
	"context"
	"testing"

	"github.com/streamdb/streamdb/sql/types"
)

// TestCommitUnsynced: an unsynced commit is visible at once (to new
// transactions and to the change log), writes one log record per row in
// order, survives a clean close, and a finished transaction refuses a
// second commit.
func TestCommitUnsynced(t *testing.T) {
	dir := t.TempDir()
	ts := openTestTableStore(t, dir)
	const table = 42
	tx := ts.Begin()
	for i := int64(1); i <= 3; i++ {
		row := types.Row{types.DInt(i), types.DString("row")}
		if err := tx.InsertFresh(table, RowIDKey(i), row); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.CommitUnsynced(); err != nil {
		t.Fatal(err)
	}
	if err := tx.CommitUnsynced(); err == nil {
		t.Fatal("a second commit of a finished transaction succeeded")
	}
	countRows := func(ts *TableStore) int {
		tx := ts.Begin()
		defer tx.Rollback()
		n := 0
		if err := tx.Scan(context.Background(), table, func(_ []byte, _ types.Row) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := countRows(ts); n != 3 {
		t.Fatalf("%d rows visible after an unsynced commit, want 3", n)
	}
	var logged []int64
	if err := ts.ScanLog(table, 0, func(_ uint64, op types.Op, row types.Row) error {
		if op != types.Insert {
			t.Fatalf("log op %v, want insert", op)
		}
		logged = append(logged, row[0].Int())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(logged) != 3 || logged[0] != 1 || logged[1] != 2 || logged[2] != 3 {
		t.Fatalf("change log %v, want [1 2 3]", logged)
	}
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}
	ts = openTestTableStore(t, dir)
	defer ts.Close()
	if n := countRows(ts); n != 3 {
		t.Fatalf("%d rows after a clean restart, want 3", n)
	}
}
