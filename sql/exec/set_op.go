package exec

import (
	"context"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// setOp implements UNION, INTERSECT and EXCEPT, each with or without ALL.
// UNION ALL passes both inputs through. The others count each distinct row's
// occurrences on both sides and keep the output multiplicity the operation
// asks for: UNION emits as soon as a row's multiplicity changes; INTERSECT
// and EXCEPT, whose output depends on both sides, reconcile the changed rows
// at the barrier, in the order they were first touched.
type setOp struct {
	kind    planner.SetOpKind
	all     bool
	entries keyedState[*setEntry]
	dirty   []*setEntry
	keyBuf  []byte
	b       *chunkBuilder
}

type setEntry struct {
	row     types.Row
	counts  [2]int
	emitted int
	dirty   bool
}

func newSetOp(n *planner.SetOp) *setOp {
	return &setOp{kind: n.Kind, all: n.All, entries: newMemState[*setEntry](), b: newChunkBuilder(0)}
}

// want is the output multiplicity of a row.
func (s *setOp) want(e *setEntry) int {
	l, r := max(e.counts[0], 0), max(e.counts[1], 0)
	switch s.kind {
	case planner.Union:
		if s.all {
			return l + r
		}
		return min(l+r, 1)
	case planner.Intersect:
		if s.all {
			return min(l, r)
		}
		if l > 0 && r > 0 {
			return 1
		}
		return 0
	default: // Except
		if s.all {
			return max(l-r, 0)
		}
		if l > 0 && r == 0 {
			return 1
		}
		return 0
	}
}

func (s *setOp) Push(ctx context.Context, input int, c *types.Chunk, out Emitter) error {
	if s.kind == planner.Union && s.all {
		// Update pairs stay valid: pass the chunk on as it is.
		return out.Emit(ctx, c)
	}
	for i, r := range c.Rows {
		s.keyBuf = appendRowKey(s.keyBuf[:0], r)
		e, _ := s.entries.Get(s.keyBuf)
		if e == nil {
			e = &setEntry{row: r}
			s.entries.Put(string(s.keyBuf), e)
		}
		e.counts[input] += sign(c.Ops[i])
		if s.kind == planner.Union {
			if err := s.reconcile(ctx, e, out); err != nil {
				return err
			}
			continue
		}
		if !e.dirty {
			e.dirty = true
			s.dirty = append(s.dirty, e)
		}
	}
	return s.b.flush(ctx, out)
}

// reconcile emits the inserts or deletes that bring a row's output
// multiplicity to what it should be.
func (s *setOp) reconcile(ctx context.Context, e *setEntry, out Emitter) error {
	want := s.want(e)
	for ; e.emitted < want; e.emitted++ {
		if err := s.b.add(ctx, types.Insert, e.row, out); err != nil {
			return err
		}
	}
	for ; e.emitted > want; e.emitted-- {
		if err := s.b.add(ctx, types.Delete, e.row, out); err != nil {
			return err
		}
	}
	if e.emitted == 0 && e.counts[0] == 0 && e.counts[1] == 0 {
		s.keyBuf = appendRowKey(s.keyBuf[:0], e.row)
		s.entries.Delete(s.keyBuf)
	}
	return nil
}

func (s *setOp) Barrier(ctx context.Context, _ types.Barrier, out Emitter) error {
	dirty := s.dirty
	s.dirty = nil
	for _, e := range dirty {
		e.dirty = false
		if err := s.reconcile(ctx, e, out); err != nil {
			return err
		}
	}
	return s.b.flush(ctx, out)
}
