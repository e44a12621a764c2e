package state

import (
	"context"
	"testing"

	"github.com/streamdb/streamdb/sql/types"
)

// countKeys counts the stored keys of a table under a prefix ('t' or 'l').
func countKeys(t *testing.T, ts *TableStore, prefix byte, oid uint32) int {
	t.Helper()
	n := 0
	if err := ts.store.ScanPrefix(tablePrefix(prefix, oid), func(_, _ []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLogOnlyTable(t *testing.T) {
	dir := t.TempDir()
	ts := openTestTableStore(t, dir)
	if err := ts.SetLogOnly(tbl); err != nil {
		t.Fatal(err)
	}
	for batch := int64(0); batch < 3; batch++ {
		tx := ts.Begin()
		for i := int64(1); i <= 4; i++ {
			id := batch*4 + i
			if err := tx.InsertFresh(tbl, key(id), row(id, "x")); err != nil {
				t.Fatal(err)
			}
		}
		mustCommit(t, tx)
	}
	if got := countKeys(t, ts, prefixRow, tbl); got != 0 {
		t.Fatalf("%d 't' keys of a log-only table, want 0", got)
	}
	if got := countKeys(t, ts, prefixLog, tbl); got != 12 {
		t.Fatalf("%d 'l' keys, want 12", got)
	}
	const want = "1:x 2:x 3:x 4:x 5:x 6:x 7:x 8:x 9:x 10:x 11:x 12:x"

	// Reads see the log, and the transaction's own inserts after it.
	tx := ts.Begin()
	if got := scanAll(t, tx); got != want {
		t.Fatalf("scan: %s", got)
	}
	if err := tx.InsertFresh(tbl, key(13), row(13, "own")); err != nil {
		t.Fatal(err)
	}
	if got := scanAll(t, tx); got != want+" 13:own" {
		t.Fatalf("scan with own insert: %s", got)
	}
	// Keyed operations are refused with 0A000, never answered wrongly.
	if _, _, err := tx.Get(tbl, key(1)); types.Code(err) != types.CodeFeatureNotSupported {
		t.Fatalf("Get: %v", err)
	}
	if err := tx.Delete(tbl, key(1), nil); types.Code(err) != types.CodeFeatureNotSupported {
		t.Fatalf("Delete: %v", err)
	}
	if err := tx.Update(tbl, key(1), row(1, "x"), row(1, "y")); types.Code(err) != types.CodeFeatureNotSupported {
		t.Fatalf("Update: %v", err)
	}
	if err := tx.Put(tbl, key(1), row(1, "y")); types.Code(err) != types.CodeFeatureNotSupported {
		t.Fatalf("Put: %v", err)
	}
	if err := tx.ScanPrefix(context.Background(), tbl, key(1), func([]byte, types.Row) error { return nil }); types.Code(err) != types.CodeFeatureNotSupported {
		t.Fatalf("ScanPrefix: %v", err)
	}
	sp := tx.Savepoint()
	if err := tx.InsertFresh(tbl, key(14), row(14, "undone")); err != nil {
		t.Fatal(err)
	}
	tx.RollbackTo(sp)
	mustCommit(t, tx)

	// The change log is unchanged for consumers.
	var logged int
	if err := ts.ScanLog(tbl, 1, func(_ uint64, op types.Op, _ types.Row) error {
		if op != types.Insert {
			t.Fatalf("op %v in the log of a log-only table", op)
		}
		logged++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if logged != 13 {
		t.Fatalf("%d log records, want 13", logged)
	}
	// Never truncated: the log is the data.
	if _, err := ts.TruncateLogs(map[uint32]uint64{tbl: ts.CommitSeq() + 1}, nil); err != nil {
		t.Fatal(err)
	}
	if got := countKeys(t, ts, prefixLog, tbl); got != 13 {
		t.Fatalf("%d 'l' keys after a truncation, want 13", got)
	}

	// The mark survives a restart; a drop removes it.
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}
	ts = openTestTableStore(t, dir)
	defer ts.Close()
	if !ts.IsLogOnly(tbl) || ts.StorageKind(tbl) != StorageLogOnly {
		t.Fatal("log-only mark lost in a restart")
	}
	tx = ts.Begin()
	if got := scanAll(t, tx); got != want+" 13:own" {
		t.Fatalf("scan after restart: %s", got)
	}
	tx.Rollback()
	if err := ts.DropTableData(tbl); err != nil {
		t.Fatal(err)
	}
	if ts.IsLogOnly(tbl) {
		t.Fatal("log-only mark kept after a drop")
	}
}

// TestLogOnlyRefusesExistingRows: a table that already keeps rows (an
// existing data directory) stays as it is.
func TestLogOnlyRefusesExistingRows(t *testing.T) {
	ts := openTestTableStore(t, t.TempDir())
	defer ts.Close()
	tx := ts.Begin()
	if err := tx.InsertFresh(tbl, key(1), row(1, "old")); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, tx)
	if err := ts.SetLogOnly(tbl); err == nil {
		t.Fatal("a table with rows became log-only")
	}
	if ts.IsLogOnly(tbl) {
		t.Fatal("marked log-only")
	}
	tx = ts.Begin()
	defer tx.Rollback()
	if got := scanAll(t, tx); got != "1:old" {
		t.Fatalf("scan: %s", got)
	}
}

func TestTruncateLogs(t *testing.T) {
	ts := openTestTableStore(t, t.TempDir())
	defer ts.Close()
	for i := int64(1); i <= 10; i++ { // seqs 1..10: insert 1, then updates
		tx := ts.Begin()
		if err := tx.Put(tbl, key(1), row(1, string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
		mustCommit(t, tx)
	}
	if got := countKeys(t, ts, prefixLog, tbl); got != 19 { // 1 insert + 9 update pairs
		t.Fatalf("%d log records, want 19", got)
	}
	// An open snapshot (a view starting its backfill at seq 10) caps the
	// truncation: nothing after it may go.
	open := ts.Begin()
	tx := ts.Begin()
	if err := tx.Put(tbl, key(1), row(1, "z")); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, tx) // seq 11
	applied, err := ts.TruncateLogs(map[uint32]uint64{tbl: 100}, []byte("retained"))
	if err != nil {
		t.Fatal(err)
	}
	if applied[tbl] != 11 {
		t.Fatalf("truncated below %d, want 11 (the open snapshot's seq + 1)", applied[tbl])
	}
	var seqs []uint64
	if err := ts.ScanLog(tbl, 1, func(seq uint64, _ types.Op, _ types.Row) error { seqs = append(seqs, seq); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 2 || seqs[0] != 11 || seqs[1] != 11 {
		t.Fatalf("log after truncation: seqs %v, want [11 11]", seqs)
	}
	open.Rollback()
	if start, err := ts.LogStart(tbl); err != nil || start != 11 {
		t.Fatalf("LogStart %d, %v", start, err)
	}
	if r, err := ts.LogRetention(); err != nil || string(r) != "retained" {
		t.Fatalf("LogRetention %q, %v", r, err)
	}
	// The rows are untouched.
	tx = ts.Begin()
	defer tx.Rollback()
	if got := scanAll(t, tx); got != "1:z" {
		t.Fatalf("scan: %s", got)
	}
	if start, _ := ts.LogStart(tbl + 1); start != 1 {
		t.Fatalf("LogStart of an untruncated table %d", start)
	}
}
