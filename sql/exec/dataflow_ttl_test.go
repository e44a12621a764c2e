package exec

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// mapStore is a StateStore over a map (unit tests only).
type mapStore map[string][]byte

func (m mapStore) Get(key []byte) ([]byte, bool, error) { v, ok := m[string(key)]; return v, ok, nil }

func (m mapStore) ScanPrefix(prefix []byte, fn func(key, value []byte) error) error {
	var keys []string
	for k := range m {
		if strings.HasPrefix(k, string(prefix)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := fn([]byte(k), m[k]); err != nil {
			return err
		}
	}
	return nil
}

// ttlJoinHarness drives a TTL'd inner join of two (int, text) tables.
type ttlJoinHarness struct {
	t     *testing.T
	df    *Dataflow
	store mapStore
	epoch uint64
}

func newTTLJoin(t *testing.T, store mapStore, restore bool) *ttlJoinHarness {
	a := testScan(1, types.Int4, types.Text)
	b := testScan(2, types.Int4, types.Text)
	plan := &planner.Join{Kind: planner.InnerJoin, Left: a, Right: b, LeftKeys: []int{0}, RightKeys: []int{0},
		Cols: append(append(types.Schema{}, a.Cols...), b.Cols...)}
	ctx := context.Background()
	df, err := NewDataflowWithState(ctx, nil, plan, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := df.EnableTTL(10); err != nil {
		t.Fatal(err)
	}
	h := &ttlJoinHarness{t: t, df: df, store: store, epoch: 1}
	if restore {
		if err := df.Restore(ctx, store, 1); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func (h *ttlJoinHarness) push(table uint32, op types.Op, id int64, s string) {
	h.t.Helper()
	var c types.Chunk
	c.Append(op, types.Row{types.DInt(id), types.DString(s)})
	if err := h.df.Push(context.Background(), table, &c); err != nil {
		h.t.Fatal(err)
	}
}

// barrier ends an epoch at processing time now and returns the output
// as "op:left/right" strings.
func (h *ttlJoinHarness) barrier(now int64) string {
	h.t.Helper()
	h.epoch++
	h.df.SetTTLNow(now)
	out, err := h.df.Barrier(context.Background(), h.epoch)
	if err != nil {
		h.t.Fatal(err)
	}
	err = h.df.StateChanges(h.store, false,
		func(k, v []byte) error { h.store[string(k)] = append([]byte(nil), v...); return nil },
		func(k []byte) error { delete(h.store, string(k)); return nil })
	if err != nil {
		h.t.Fatal(err)
	}
	var parts []string
	for i, r := range out.Rows {
		parts = append(parts, out.Ops[i].String()+":"+r[1].Str()+"/"+r[3].Str())
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// entries counts the persisted input entries and TTL records.
func (h *ttlJoinHarness) entries() (rows, records int) {
	for k := range h.store {
		if len(k) >= 6 && k[4] == 0xff && k[5] == 0xff {
			records++
		} else {
			rows++
		}
	}
	return rows, records
}

func TestDataflowTTLJoin(t *testing.T) {
	store := mapStore{}
	h := newTTLJoin(t, store, false)
	h.push(1, types.Insert, 1, "a")
	h.push(2, types.Insert, 1, "x")
	h.push(1, types.Insert, 2, "b")
	if got := h.barrier(0); got != "+:a/x" {
		t.Fatalf("epoch 1: %q", got)
	}
	h.push(2, types.Insert, 2, "y") // key 2 touched at 5: expires at 15
	if got := h.barrier(5); got != "+:b/y" {
		t.Fatalf("epoch 2: %q", got)
	}
	if rows, recs := h.entries(); rows != 4 || recs != 2 {
		t.Fatalf("before expiry: %d entries, %d records", rows, recs)
	}
	if got := h.barrier(9); got != "" {
		t.Fatalf("epoch 3: %q", got)
	}
	if rows, _ := h.entries(); rows != 4 {
		t.Fatalf("key 1 expired early: %d entries", rows)
	}
	h.barrier(10) // key 1 expires, both sides, without output
	if rows, recs := h.entries(); rows != 2 || recs != 1 {
		t.Fatalf("after expiry of key 1: %d entries, %d records", rows, recs)
	}
	if n := h.df.TTLExpiredEntries(); n[100]+n[101] != 2 {
		t.Fatalf("expired entries %v", n)
	}
	// A retraction of a forgotten row is dropped; a new row starts afresh
	// (its forgotten partner does not match).
	h.push(2, types.Delete, 1, "x")
	h.push(1, types.Insert, 1, "a2")
	if got := h.barrier(11); got != "" {
		t.Fatalf("after expiry: %q", got)
	}
	h.push(2, types.Insert, 1, "x2")
	if got := h.barrier(12); got != "+:a2/x2" {
		t.Fatalf("fresh key 1: %q", got)
	}

	// Restart: the records bring the expiries back. Key 2 (touched at 5)
	// expires at 15, key 1 (touched at 12) at 22.
	r := newTTLJoin(t, store, true)
	r.epoch = h.epoch
	if got := r.barrier(14); got != "" {
		t.Fatalf("restored epoch: %q", got)
	}
	if rows, _ := r.entries(); rows != 4 {
		t.Fatalf("restored: %d entries", rows)
	}
	r.barrier(15)
	if rows, recs := r.entries(); rows != 2 || recs != 1 {
		t.Fatalf("restored, key 2 expired: %d entries, %d records", rows, recs)
	}
	r.push(1, types.Delete, 2, "b") // forgotten: dropped, no error
	r.push(1, types.Delete, 1, "a2")
	if got := r.barrier(16); got != "-:a2/x2" {
		t.Fatalf("retraction of a live row: %q", got)
	}
}

func TestDataflowTTLRefusesSetOp(t *testing.T) {
	a := testScan(1, types.Int4, types.Text)
	b := testScan(2, types.Int4, types.Text)
	plan := &planner.SetOp{Kind: planner.SetOpKind(0), Left: a, Right: b, Cols: a.Cols}
	df, err := NewDataflowWithState(context.Background(), nil, plan, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := df.EnableTTL(10); types.Code(err) != types.CodeFeatureNotSupported {
		t.Fatalf("EnableTTL on a set operation: %v", err)
	}
}

// TestDataflowTTLReadRefresh: a row touched by a read (TouchTTLRow) keeps
// its DISTINCT key past the expiry it had from its last change; an
// untouched key is forgotten; shapes whose rows do not name the key are
// refused.
func TestDataflowTTLReadRefresh(t *testing.T) {
	ctx := context.Background()
	scan := testScan(1, types.Int4, types.Text)
	plan := &planner.Distinct{Input: scan}
	df, err := NewDataflowWithState(ctx, nil, plan, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := df.EnableTTL(10); err != nil {
		t.Fatal(err)
	}
	if err := df.EnableTTLReadRefresh(plan); err != nil {
		t.Fatal(err)
	}
	store := mapStore{}
	epoch := uint64(0)
	barrier := func(now int64) {
		t.Helper()
		epoch++
		df.SetTTLNow(now)
		if _, err := df.Barrier(ctx, epoch); err != nil {
			t.Fatal(err)
		}
		err := df.StateChanges(store, false,
			func(k, v []byte) error { store[string(k)] = append([]byte(nil), v...); return nil },
			func(k []byte) error { delete(store, string(k)); return nil })
		if err != nil {
			t.Fatal(err)
		}
	}
	var c types.Chunk
	c.Append(types.Insert, types.Row{types.DInt(1), types.DString("a")})
	c.Append(types.Insert, types.Row{types.DInt(2), types.DString("b")})
	if err := df.Push(ctx, 1, &c); err != nil {
		t.Fatal(err)
	}
	barrier(0) // both keys expire at 10
	df.TouchTTLRow(types.Row{types.DInt(1), types.DString("a")})
	// A key never seen is ignored.
	df.TouchTTLRow(types.Row{types.DInt(3), types.DString("never seen")})
	barrier(5) // key (1, a): 15
	barrier(10)
	if n := df.TTLExpiredEntries()[100]; n != 1 {
		t.Fatalf("expired entries at 10: %d, want 1 (only the untouched key)", n)
	}
	barrier(15)
	if n := df.TTLExpiredEntries()[100]; n != 2 {
		t.Fatalf("expired entries at 15: %d, want 2", n)
	}

	// A projection that drops a DISTINCT column: the row does not name
	// the key.
	proj := &planner.Project{Input: &planner.Distinct{Input: scan},
		Exprs: []planner.Expr{&planner.ColRef{Idx: 0, Typ: types.Int4}}, Cols: scan.Cols[:1]}
	df2, err := NewDataflowWithState(ctx, nil, proj, 200)
	if err != nil {
		t.Fatal(err)
	}
	if err := df2.EnableTTL(10); err != nil {
		t.Fatal(err)
	}
	if err := df2.EnableTTLReadRefresh(proj); types.Code(err) != types.CodeFeatureNotSupported {
		t.Fatalf("EnableTTLReadRefresh with a DISTINCT column projected away: %v", err)
	}
}
