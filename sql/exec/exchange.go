package exec

import (
	"context"

	"github.com/streamdb/streamdb/sql/types"
)

// An exchange connects the fragments of a parallel dataflow
// (dataflow_parallel.go): it sits in front of one input port of a stateful
// operator and routes each change to the worker that owns the change's key
// group, the same key group its state entry is filed under
// (dataflow_state.go), so a worker's operator instance sees exactly the keys
// of its key groups and its state entries stay in its key-group range.

// keyGroupOf maps the key encoding of a row's partitioning columns to its
// key group: FNV-1a (32 bit) modulo MaxParallelism. Written out instead of
// hash/fnv so the per-row path allocates nothing; stateInput.group uses it
// too, so routing and state layout cannot drift apart.
func keyGroupOf(key []byte) uint16 {
	h := uint32(2166136261)
	for _, b := range key {
		h ^= uint32(b)
		h *= 16777619
	}
	return uint16(h % MaxParallelism)
}

// keyGroupOwners maps each key group to the worker that owns it. Worker w
// of P owns the contiguous range [w*MaxParallelism/P, (w+1)*MaxParallelism/P):
// changing P moves whole ranges, a key never changes key group.
type keyGroupOwners [MaxParallelism]uint8

func makeKeyGroupOwners(workers int) keyGroupOwners {
	var o keyGroupOwners
	for w := 0; w < workers; w++ {
		lo, hi := keyGroupRange(w, workers)
		for g := lo; g < hi; g++ {
			o[g] = uint8(w)
		}
	}
	return o
}

// keyGroupRange is the key groups [lo, hi) worker w of workers owns.
func keyGroupRange(w, workers int) (lo, hi int) {
	return w * MaxParallelism / workers, (w + 1) * MaxParallelism / workers
}

// exchangeRoute says where the changes entering one exchange go.
type exchangeRoute struct {
	// singleton sends everything to worker 0: the operator has no
	// partitioning key (a global aggregate, a top-N, a join without equi
	// keys, NOT IN).
	singleton bool
	// keyCols are the partitioning columns; nil: the whole row (DISTINCT,
	// set operations).
	keyCols []int
}

// exchangeSend is the operator at the producing end of an exchange on one
// worker: it splits its input by owner into one pending chunk per worker,
// sends full chunks, and at the barrier sends what is pending followed by
// the barrier to every worker (the consumer aligns on them).
type exchangeSend struct {
	rt     *parallelRuntime
	id     int // the exchange's index, the same on every worker
	route  exchangeRoute
	out    []types.Chunk
	keyBuf []byte
}

func newExchangeSend(rt *parallelRuntime, id int, route exchangeRoute) *exchangeSend {
	return &exchangeSend{rt: rt, id: id, route: route, out: make([]types.Chunk, len(rt.workers))}
}

// target is the worker that owns r.
func (x *exchangeSend) target(r types.Row) int {
	if x.route.singleton {
		return 0
	}
	if x.route.keyCols == nil {
		x.keyBuf = appendRowKey(x.keyBuf[:0], r)
	} else {
		x.keyBuf, _ = appendColsKey(x.keyBuf[:0], r, x.route.keyCols)
	}
	return int(x.rt.owners[keyGroupOf(x.keyBuf)])
}

func (x *exchangeSend) Push(_ context.Context, _ int, c *types.Chunk, _ Emitter) error {
	routeChanges(c, x.target, x.add)
	return nil
}

// routeChanges hands every change of c to add together with the worker
// owner says owns its row. An update pair whose halves belong to one
// worker stays a pair; split between workers, each half becomes a plain
// change (the pair's order only matters within one worker), and so does
// an unpaired update half.
func routeChanges(c *types.Chunk, owner func(types.Row) int, add func(w int, op types.Op, r types.Row)) {
	n := c.Len()
	for i := 0; i < n; i++ {
		op, r := c.Ops[i], c.Rows[i]
		t := owner(r)
		if op == types.UpdateDelete && i+1 < n && c.Ops[i+1] == types.UpdateInsert {
			next := c.Rows[i+1]
			t2 := owner(next)
			i++
			if t2 == t {
				add(t, types.UpdateDelete, r)
				add(t, types.UpdateInsert, next)
			} else {
				add(t, types.Delete, r)
				add(t2, types.Insert, next)
			}
			continue
		}
		switch op {
		case types.UpdateDelete:
			op = types.Delete
		case types.UpdateInsert:
			op = types.Insert
		}
		add(t, op, r)
	}
}

func (x *exchangeSend) add(t int, op types.Op, r types.Row) {
	c := &x.out[t]
	c.Append(op, r)
	// Never split an update pair across chunks.
	if c.Len() >= types.ChunkCapacity && op != types.UpdateDelete {
		x.send(t)
	}
}

// send hands the pending chunk for worker t over; the receiver owns it.
func (x *exchangeSend) send(t int) {
	c := x.out[t]
	x.out[t] = types.Chunk{}
	x.rt.enqueue(t, message{kind: msgExchangeData, exchange: x.id, chunk: &c})
}

func (x *exchangeSend) Barrier(_ context.Context, b types.Barrier, _ Emitter) error {
	for t := range x.out {
		if x.out[t].Len() > 0 {
			x.send(t)
		}
		x.rt.enqueue(t, message{kind: msgExchangeBarrier, exchange: x.id, barrier: b})
	}
	return nil
}

// idleOp replaces a single-worker operator on the workers that do not run
// it: nothing is routed to it, and it emits nothing (a global aggregate
// would otherwise emit its empty-input row on every worker).
type idleOp struct{}

func (idleOp) Push(context.Context, int, *types.Chunk, Emitter) error { return nil }
func (idleOp) Barrier(context.Context, types.Barrier, Emitter) error  { return nil }
