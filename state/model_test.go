package state

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/streamdb/streamdb/sql/types"
)

// TestTxnModel runs random operations, savepoints, rollbacks, commits and
// reopens against a plain map model and compares every read.
func TestTxnModel(t *testing.T) {
	dir := t.TempDir()
	ts := openTestTableStore(t, dir)
	defer func() { ts.Close() }()
	rng := rand.New(rand.NewPCG(1, 2))

	committed := map[int64]string{}
	current := maps.Clone(committed)
	type savepoint struct {
		sp    Savepoint
		state map[int64]string
	}
	var sps []savepoint
	tx := ts.Begin()

	check := func(step int) {
		t.Helper()
		var got []string
		err := tx.Scan(context.Background(), tbl, func(k []byte, r types.Row) error {
			if string(k) != string(key(r[0].Int())) {
				t.Fatalf("step %d: key %x for row %d", step, k, r[0].Int())
			}
			got = append(got, fmt.Sprintf("%d=%s", r[0].Int(), r[1].Str()))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		ids := slices.Sorted(maps.Keys(current))
		for _, id := range ids {
			want = append(want, fmt.Sprintf("%d=%s", id, current[id]))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("step %d: scan\n got %v\nwant %v", step, got, want)
		}
		id := rng.Int64N(20)
		r, ok, err := tx.Get(tbl, key(id))
		v, wantOK := current[id]
		if err != nil || ok != wantOK || (ok && r[1].Str() != v) {
			t.Fatalf("step %d: get %d = %v %v %v, want %q %v", step, id, r, ok, err, v, wantOK)
		}
	}

	for step := 0; step < 3000; step++ {
		id := rng.Int64N(20)
		val := fmt.Sprintf("v%d", step)
		switch op := rng.IntN(100); {
		case op < 25:
			err := tx.Insert(tbl, key(id), row(id, val))
			if _, exists := current[id]; exists != (err != nil) {
				t.Fatalf("step %d: insert %d: %v (exists %v)", step, id, err, exists)
			}
			if err == nil {
				current[id] = val
			}
		case op < 45:
			if err := tx.Put(tbl, key(id), row(id, val)); err != nil {
				t.Fatal(err)
			}
			current[id] = val
		case op < 55:
			if old, ok := current[id]; ok {
				if err := tx.Update(tbl, key(id), row(id, old), row(id, val)); err != nil {
					t.Fatal(err)
				}
				current[id] = val
			}
		case op < 70:
			if err := tx.Delete(tbl, key(id), nil); err != nil {
				t.Fatal(err)
			}
			delete(current, id)
		case op < 78:
			sps = append(sps, savepoint{tx.Savepoint(), maps.Clone(current)})
		case op < 85:
			if len(sps) > 0 {
				i := rng.IntN(len(sps))
				tx.RollbackTo(sps[i].sp)
				current = maps.Clone(sps[i].state)
				sps = sps[:i+1]
			}
		case op < 92:
			if err := tx.Commit(); err != nil {
				t.Fatalf("step %d: commit: %v", step, err)
			}
			committed = maps.Clone(current)
			tx, sps = ts.Begin(), nil
		case op < 96:
			tx.Rollback()
			current = maps.Clone(committed)
			tx, sps = ts.Begin(), nil
		default:
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			committed = maps.Clone(current)
			if err := ts.Close(); err != nil {
				t.Fatal(err)
			}
			ts = openTestTableStore(t, dir)
			tx, sps = ts.Begin(), nil
		}
		check(step)
	}
	tx.Rollback()

	// Replaying the change log reproduces the committed table.
	replayed := map[int64]string{}
	err := ts.ScanLog(tbl, 0, func(_ uint64, op types.Op, r types.Row) error {
		if op.IsInsert() {
			replayed[r[0].Int()] = r[1].Str()
		} else {
			if replayed[r[0].Int()] != r[1].Str() {
				return fmt.Errorf("log retracts %d=%s, table has %q", r[0].Int(), r[1].Str(), replayed[r[0].Int()])
			}
			delete(replayed, r[0].Int())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(replayed, committed) {
		t.Fatalf("log replay\n got %v\nwant %v", replayed, committed)
	}
}
