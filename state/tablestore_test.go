package state

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/streamdb/streamdb/sql/types"
)

const tbl = uint32(16400)

func row(id int64, s string) types.Row { return types.Row{types.DInt(id), types.DString(s)} }

func key(id int64) []byte { return RowIDKey(id) }

func mustCommit(t *testing.T, tx *Txn) {
	t.Helper()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// scanAll returns "id:s" of every row of tbl in key order.
func scanAll(t *testing.T, tx *Txn) string {
	t.Helper()
	var out []string
	err := tx.Scan(context.Background(), tbl, func(k []byte, r types.Row) error {
		out = append(out, fmt.Sprintf("%d:%s", r[0].Int(), r[1].Str()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}

func TestReadYourWrites(t *testing.T) {
	ts := openTestTableStore(t, t.TempDir())
	defer ts.Close()

	tx := ts.Begin()
	for _, id := range []int64{1, 3, 5} {
		if err := tx.Insert(tbl, key(id), row(id, "a")); err != nil {
			t.Fatal(err)
		}
	}
	mustCommit(t, tx)

	tx = ts.Begin()
	defer tx.Rollback()
	if err := tx.Insert(tbl, key(2), row(2, "b")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Delete(tbl, key(3), nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Put(tbl, key(5), row(5, "c")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Put(tbl, key(7), row(7, "d")); err != nil {
		t.Fatal(err)
	}
	if got, want := scanAll(t, tx), "1:a 2:b 5:c 7:d"; got != want {
		t.Fatalf("scan = %q, want %q", got, want)
	}
	if r, ok, err := tx.Get(tbl, key(5)); err != nil || !ok || r[1].Str() != "c" {
		t.Fatalf("get 5 = %v %v %v", r, ok, err)
	}
	if _, ok, _ := tx.Get(tbl, key(3)); ok {
		t.Fatal("deleted key 3 visible")
	}
	// Another transaction does not see the uncommitted writes.
	other := ts.Begin()
	if got, want := scanAll(t, other), "1:a 3:a 5:a"; got != want {
		t.Fatalf("other scan = %q, want %q", got, want)
	}
	other.Rollback()

	if err := tx.Insert(tbl, key(1), row(1, "x")); types.Code(err) != types.CodeUniqueViolation {
		t.Fatalf("insert existing: %v", err)
	}
	if err := tx.Insert(tbl, key(2), row(2, "x")); types.Code(err) != types.CodeUniqueViolation {
		t.Fatalf("insert buffered: %v", err)
	}
	mustCommit(t, tx)

	tx = ts.Begin()
	if got, want := scanAll(t, tx), "1:a 2:b 5:c 7:d"; got != want {
		t.Fatalf("after commit scan = %q, want %q", got, want)
	}
	// Prefix scans.
	n := 0
	if err := tx.ScanPrefix(context.Background(), tbl, key(5), func([]byte, types.Row) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("prefix scan: %d rows, %v", n, err)
	}
	// Range scans see buffered writes inside the range only.
	_ = tx.Put(tbl, key(4), row(4, "e"))
	_ = tx.Put(tbl, key(8), row(8, "f"))
	var ids []int64
	err := tx.ScanRange(context.Background(), tbl, key(2), key(7), func(_ []byte, r types.Row) error {
		ids = append(ids, r[0].Int())
		return nil
	})
	if err != nil || fmt.Sprint(ids) != "[2 4 5]" {
		t.Fatalf("range scan %v %v", ids, err)
	}
	tx.Rollback()
}

func TestSavepoint(t *testing.T) {
	ts := openTestTableStore(t, t.TempDir())
	defer ts.Close()
	tx := ts.Begin()
	_ = tx.Insert(tbl, key(1), row(1, "a"))
	sp := tx.Savepoint()
	_ = tx.Insert(tbl, key(2), row(2, "b"))
	_ = tx.Put(tbl, key(1), row(1, "changed"))
	_ = tx.Delete(tbl, key(1), nil)
	tx.RollbackTo(sp)
	if got, want := scanAll(t, tx), "1:a"; got != want {
		t.Fatalf("after rollback to savepoint: %q, want %q", got, want)
	}
	// The statement can be retried after the rollback.
	if err := tx.Insert(tbl, key(2), row(2, "b2")); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, tx)

	var log []string
	err := ts.ScanLog(tbl, 0, func(seq uint64, op types.Op, r types.Row) error {
		log = append(log, fmt.Sprintf("%d%s%d:%s", seq, op, r[0].Int(), r[1].Str()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(log, " "), "1+1:a 1+2:b2"; got != want {
		t.Fatalf("log = %q, want %q", got, want)
	}
}

func TestChangeLog(t *testing.T) {
	ts := openTestTableStore(t, t.TempDir())
	defer ts.Close()
	tx := ts.Begin()
	_ = tx.Insert(tbl, key(1), row(1, "a"))
	mustCommit(t, tx)
	tx = ts.Begin()
	_ = tx.Update(tbl, key(1), row(1, "a"), row(1, "b"))
	_ = tx.Put(tbl, key(2), row(2, "x"))
	mustCommit(t, tx)
	tx = ts.Begin()
	_ = tx.Delete(tbl, key(1), nil)
	mustCommit(t, tx)
	// A read-only transaction does not take a commit seq.
	ts.Begin().Commit()

	var log []string
	collect := func(seq uint64, op types.Op, r types.Row) error {
		log = append(log, fmt.Sprintf("%d%s%d:%s", seq, op, r[0].Int(), r[1].Str()))
		return nil
	}
	if err := ts.ScanLog(tbl, 2, collect); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(log, " "), "2U-1:a 2U+1:b 2+2:x 3-1:b"; got != want {
		t.Fatalf("log = %q, want %q", got, want)
	}
	if ts.CommitSeq() != 3 {
		t.Fatalf("commit seq %d", ts.CommitSeq())
	}
	seq, changed := ts.CommitNotify()
	select {
	case <-changed:
		t.Fatal("notified without a commit")
	default:
	}
	tx = ts.Begin()
	_ = tx.Insert(tbl, key(9), row(9, "z"))
	mustCommit(t, tx)
	<-changed
	if ts.CommitSeq() != seq+1 {
		t.Fatalf("commit seq %d after notify, want %d", ts.CommitSeq(), seq+1)
	}
	if err := ts.TruncateLog(tbl, 3); err != nil {
		t.Fatal(err)
	}
	log = nil
	if err := ts.ScanLog(tbl, 0, collect); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(log, " "), "3-1:b 4+9:z"; got != want {
		t.Fatalf("log after truncate = %q, want %q", got, want)
	}
}

func TestConflicts(t *testing.T) {
	ts := openTestTableStore(t, t.TempDir())
	defer ts.Close()
	tx := ts.Begin()
	_ = tx.Insert(tbl, key(1), row(1, "a"))
	mustCommit(t, tx)

	// Two concurrent inserts of the same new key: the second committer
	// gets 23505.
	a, b := ts.Begin(), ts.Begin()
	if err := a.Insert(tbl, key(2), row(2, "a")); err != nil {
		t.Fatal(err)
	}
	if err := b.Insert(tbl, key(2), row(2, "b")); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, a)
	if err := b.Commit(); types.Code(err) != types.CodeUniqueViolation {
		t.Fatalf("concurrent insert: %v", err)
	}

	// Two concurrent updates of the same key: 40001 for the second.
	a, b = ts.Begin(), ts.Begin()
	_ = a.Update(tbl, key(1), row(1, "a"), row(1, "from a"))
	_ = b.Delete(tbl, key(1), row(1, "a"))
	mustCommit(t, a)
	if err := b.Commit(); types.Code(err) != types.CodeSerializationFailure {
		t.Fatalf("concurrent update: %v", err)
	}

	// Disjoint keys do not conflict; a transaction that began after a commit
	// does not conflict with it.
	a, b = ts.Begin(), ts.Begin()
	_ = a.Put(tbl, key(10), row(10, "a"))
	_ = b.Put(tbl, key(11), row(11, "b"))
	mustCommit(t, a)
	mustCommit(t, b)
	c := ts.Begin()
	_ = c.Update(tbl, key(1), row(1, "from a"), row(1, "c"))
	mustCommit(t, c)

	// Insert of a key deleted concurrently is fine.
	a, b = ts.Begin(), ts.Begin()
	_ = a.Delete(tbl, key(10), nil)
	mustCommit(t, a)
	if err := b.Insert(tbl, key(12), row(12, "x")); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, b)

	tx = ts.Begin()
	defer tx.Rollback()
	if got, want := scanAll(t, tx), "1:c 2:a 11:b 12:x"; got != want {
		t.Fatalf("final = %q, want %q", got, want)
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	ts := openTestTableStore(t, dir)
	tx := ts.Begin()
	var lastID int64
	for i := 0; i < 10; i++ {
		id, err := ts.NextRowID(tbl)
		if err != nil {
			t.Fatal(err)
		}
		if id <= lastID {
			t.Fatalf("row id %d after %d", id, lastID)
		}
		lastID = id
		_ = tx.Insert(tbl, key(id), row(id, "r"))
	}
	mustCommit(t, tx)
	opts := DefaultSequenceOptions("public.s", 5, math.MinInt64, math.MaxInt64)
	if err := ts.CreateSequence(1, opts); err != nil {
		t.Fatal(err)
	}
	var seqVals []int64
	for i := 0; i < 3; i++ {
		v, err := ts.NextVal(1)
		if err != nil {
			t.Fatal(err)
		}
		seqVals = append(seqVals, v)
	}
	if fmt.Sprint(seqVals) != "[1 6 11]" {
		t.Fatalf("sequence values %v", seqVals)
	}
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}

	ts = openTestTableStore(t, dir)
	defer ts.Close()
	tx = ts.Begin()
	if got := scanAll(t, tx); strings.Count(got, ":r") != 10 {
		t.Fatalf("after reopen: %q", got)
	}
	tx.Rollback()
	id, err := ts.NextRowID(tbl)
	if err != nil || id <= lastID {
		t.Fatalf("row id after reopen %d (last %d), %v", id, lastID, err)
	}
	// A clean close keeps the exact sequence value.
	if v, err := ts.NextVal(1); err != nil || v != 16 {
		t.Fatalf("nextval after reopen = %d, %v", v, err)
	}
	if ts.CommitSeq() != 1 {
		t.Fatalf("commit seq after reopen %d", ts.CommitSeq())
	}
	if err := ts.DropTableData(tbl); err != nil {
		t.Fatal(err)
	}
	tx = ts.Begin()
	if got := scanAll(t, tx); got != "" {
		t.Fatalf("after drop: %q", got)
	}
	tx.Rollback()
}

func TestSequence(t *testing.T) {
	ts := openTestTableStore(t, t.TempDir())
	defer ts.Close()
	opts := SequenceOptions{Name: "s", Start: 2, Increment: 2, Min: 1, Max: 7}
	if err := ts.CreateSequence(7, opts); err != nil {
		t.Fatal(err)
	}
	var got []int64
	for i := 0; i < 3; i++ {
		v, err := ts.NextVal(7)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if fmt.Sprint(got) != "[2 4 6]" {
		t.Fatalf("values %v", got)
	}
	if _, err := ts.NextVal(7); types.Code(err) != "2200H" || !strings.Contains(err.Error(), `reached maximum value of sequence "s" (7)`) {
		t.Fatalf("past max: %v", err)
	}
	opts.Cycle = true
	if err := ts.AlterSequence(7, opts); err != nil {
		t.Fatal(err)
	}
	if v, err := ts.NextVal(7); err != nil || v != 1 {
		t.Fatalf("cycle: %d %v", v, err)
	}
	if err := ts.SetVal(7, 5, false); err != nil {
		t.Fatal(err)
	}
	if v, _ := ts.NextVal(7); v != 5 {
		t.Fatalf("after setval false: %d", v)
	}
	if err := ts.SetVal(7, 3, true); err != nil {
		t.Fatal(err)
	}
	if v, _ := ts.NextVal(7); v != 5 {
		t.Fatalf("after setval true: %d", v)
	}
	if err := ts.SetVal(7, 100, true); types.Code(err) != types.CodeNumericValueOutOfRange {
		t.Fatalf("setval out of range: %v", err)
	}
	if err := ts.CreateSequence(8, SequenceOptions{Increment: 0, Min: 1, Max: 2, Start: 1}); types.Code(err) != types.CodeInvalidParameterValue {
		t.Fatalf("bad options: %v", err)
	}
	if err := ts.DropSequence(7); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.NextVal(7); err == nil {
		t.Fatal("nextval of dropped sequence")
	}
}

// TestCrashDurability runs a child process that commits rows and prints
// each acknowledged one, kills it with SIGKILL mid-stream, and checks that
// every acknowledged row, row id and sequence value survived.
func TestCrashDurability(t *testing.T) {
	if dir := os.Getenv("STREAMDB_STATE_CRASH_CHILD"); dir != "" {
		crashChild(dir)
		return
	}
	dir := t.TempDir()
	ts := openTestTableStore(t, dir)
	if err := ts.CreateSequence(1, DefaultSequenceOptions("s", 1, math.MinInt64, math.MaxInt64)); err != nil {
		t.Fatal(err)
	}
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDurability$")
	cmd.Env = append(os.Environ(), "STREAMDB_STATE_CRASH_CHILD="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked [][2]int64
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var id, sv int64
		if _, err := fmt.Sscanf(sc.Text(), "acked %d %d", &id, &sv); err != nil {
			continue
		}
		acked = append(acked, [2]int64{id, sv})
		if len(acked) == 300 {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			break
		}
	}
	_ = cmd.Wait()
	if len(acked) < 300 {
		t.Fatalf("child acknowledged only %d rows", len(acked))
	}

	ts = openTestTableStore(t, dir)
	defer ts.Close()
	tx := ts.Begin()
	defer tx.Rollback()
	for _, a := range acked {
		r, ok, err := tx.Get(tbl, key(a[0]))
		if err != nil || !ok || r[0].Int() != a[0] {
			t.Fatalf("acknowledged row %d lost (%v, %v)", a[0], r, err)
		}
	}
	last := acked[len(acked)-1]
	if id, err := ts.NextRowID(tbl); err != nil || id <= last[0] {
		t.Fatalf("row id after crash %d, last acked %d, %v", id, last[0], err)
	}
	if v, err := ts.NextVal(1); err != nil || v <= last[1] {
		t.Fatalf("sequence after crash %d, last acked %d, %v", v, last[1], err)
	}
}

func crashChild(dir string) {
	ts, err := OpenTableStore(dir, Options{BlockCacheSize: 8 << 20, MemtableSize: 4 << 20})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	// Several committers at once, so group commit is exercised too.
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				id, err := ts.NextRowID(tbl)
				if err != nil {
					panic(err)
				}
				sv, err := ts.NextVal(1)
				if err != nil {
					panic(err)
				}
				tx := ts.Begin()
				if err := tx.Insert(tbl, key(id), row(id, strconv.FormatInt(sv, 10))); err != nil {
					panic(err)
				}
				if err := tx.Commit(); err != nil {
					panic(err)
				}
				mu.Lock()
				fmt.Printf("acked %d %d\n", id, sv)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// BenchmarkCommit measures synced commits per second with 1 and 8
// concurrent committers. With group commit, 8 committers reach several
// times the rate of one (each fsync covers many commits).
func BenchmarkCommit(b *testing.B) {
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("committers=%d", workers), func(b *testing.B) {
			ts := openTestTableStore(b, b.TempDir())
			defer ts.Close()
			var next sync.Mutex
			var id int64
			b.ResetTimer()
			var wg sync.WaitGroup
			per := b.N / workers
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < per; i++ {
						next.Lock()
						id++
						k := id
						next.Unlock()
						tx := ts.Begin()
						_ = tx.Insert(tbl, key(k), row(k, "payload"))
						if err := tx.Commit(); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(per*workers)/b.Elapsed().Seconds(), "commits/s")
		})
	}
}

func TestReserveRowIDs(t *testing.T) {
	dir := t.TempDir()
	ts := openTestTableStore(t, dir)
	a, _ := ts.NextRowID(tbl)
	b, err := ts.ReserveRowIDs(tbl, 5000)
	if err != nil || a != 1 || b != 2 {
		t.Fatalf("ids %d %d %v", a, b, err)
	}
	c, _ := ts.NextRowID(tbl)
	if c != 5002 {
		t.Fatalf("after block: %d", c)
	}
	if other, _ := ts.NextRowID(tbl + 1); other != 1 {
		t.Fatalf("other table: %d", other)
	}
	ts.Close()
	ts = openTestTableStore(t, dir)
	defer ts.Close()
	if d, _ := ts.NextRowID(tbl); d <= c {
		t.Fatalf("after reopen: %d <= %d", d, c)
	}
}

// TestNoLostUpdates increments one counter row from several goroutines,
// retrying on 40001: the final value counts every successful commit.
func TestNoLostUpdates(t *testing.T) {
	ts := openTestTableStore(t, t.TempDir())
	defer ts.Close()
	tx := ts.Begin()
	_ = tx.Insert(tbl, key(1), row(0, "counter"))
	mustCommit(t, tx)

	const workers, increments = 4, 100
	var wg sync.WaitGroup
	var mu sync.Mutex
	conflicts := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < increments; {
				tx := ts.Begin()
				old, ok, err := tx.Get(tbl, key(1))
				if err != nil || !ok {
					t.Error(err)
					tx.Rollback()
					return
				}
				_ = tx.Update(tbl, key(1), old, row(old[0].Int()+1, "counter"))
				err = tx.Commit()
				if types.Code(err) == types.CodeSerializationFailure {
					mu.Lock()
					conflicts++
					mu.Unlock()
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				i++
			}
		}()
	}
	wg.Wait()
	tx = ts.Begin()
	defer tx.Rollback()
	r, _, _ := tx.Get(tbl, key(1))
	if r[0].Int() != workers*increments {
		t.Fatalf("counter = %d, want %d (%d conflicts)", r[0].Int(), workers*increments, conflicts)
	}
	t.Logf("%d serialization conflicts retried", conflicts)
}
