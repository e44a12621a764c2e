package exec

import (
	"context"
	"encoding/binary"
	"runtime"
	"sync"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/types"
)

// Durable operator state of a Dataflow.
//
// Every stateful operator (hash join, aggregate, distinct, top-N, set
// operation, window) keeps state that is a function of the multiset of rows
// it has received on each input. The dataflow persists exactly that: per
// stateful operator and input port, one state table whose entries are the
// input rows with their multiplicity, one key per distinct row (never one
// blob per group):
//
//	state table id (4B BE) | key group (2B BE) | row key -> count (8B BE) | types.AppendRow(row)
//
// The key group is fnv32 of the operator's partitioning columns (group
// columns, join keys, window partition; the whole row otherwise) modulo
// MaxParallelism, so a key group's entries are contiguous and can move as a
// unit when work is split by key group. The row key is the key encoding of
// the whole row, which makes equal rows one entry.
//
// Between barriers an operator's input changes accumulate in an epoch
// buffer (row key -> net count change); at the barrier the runtime drains
// the buffer with StateChanges into the epoch's atomic batch (read-modify-
// write of each changed entry, so each key is written at most once per
// epoch). The operators' decoded working state stays in their Go maps.
//
// On restart Restore reads each state table back (loaded at start, not
// lazily; the tables concurrently, up to GOMAXPROCS), pushes its rows into a fresh operator as inserts (or, for an
// operator that can, loads them straight into its state without computing
// output: the hash join) and runs a barrier whose output is dropped: the operator's state, including what it
// last emitted, is back to the committed epoch without re-reading any base
// table.
//
// An aggregate whose functions are all decomposable (count, sum, avg,
// min/max, ...) persists its accumulators per group instead (an
// ownState; the format is in aggregate_state.go): one entry per group and
// per distinct DISTINCT/MIN/MAX value, written once per changed group per
// barrier, under the same key groups. Its stateInput then records
// nothing.

// MaxParallelism is the number of key groups of operator state.
const MaxParallelism = 128

// stateInput records the changes one input port of a stateful operator
// receives, for persistence.
type stateInput struct {
	tableID uint32
	op      Operator
	port    int
	keyCols []int // partitioning columns; nil: the whole row
	pending map[string]*pendingEntry
	keyBuf  []byte
	label   string
	// entries counts the committed entries (exact: every write knows
	// whether its key existed).
	entries int64
	// committed holds the committed count of every entry: the hot copy
	// that spares a Pebble read per changed entry at the barrier.
	committed map[string]int64
	// exp expires entries by watermark (watermark_state.go); nil: never.
	exp     *stateExpiry
	expired int64
	// ttl tracks the operator's keys for view TTL (dataflow_ttl.go); nil:
	// no TTL. ttlExpired counts the entries it removed.
	ttl        *opTTL
	ttlExpired int64
	// own, when set, is the operator persisting its own state
	// (aggregate_state.go): the input rows are neither recorded nor kept.
	// Not with TTL, which forgets keys by their input entries.
	own ownState
	// legacy are the keys of input-row entries Restore found in an own
	// state table (written by an older version), deleted at the next
	// StateChanges once the operator has rewritten its state.
	legacy [][]byte
}

// ownState returns the operator persisting its own state, or nil; TTL
// (enabled after the dataflow was built) switches it back to input rows.
func (in *stateInput) ownState() ownState {
	if in.own != nil && in.ttl != nil {
		in.own.disableOwnState()
		in.own = nil
	}
	return in.own
}

type pendingEntry struct {
	delta int64
	row   types.Row
	group uint16
}

// persistOp wraps a stateful operator: it records every input change, then
// hands the chunk on unchanged.
type persistOp struct {
	inner  Operator
	inputs []*stateInput
}

func (p *persistOp) Push(ctx context.Context, input int, c *types.Chunk, out Emitter) error {
	in := p.inputs[input]
	if in.ownState() != nil {
		return p.inner.Push(ctx, input, c, out)
	}
	if in.ttl != nil {
		// admit records the changes it lets through (dataflow_ttl.go).
		return p.inner.Push(ctx, input, in.ttl.admit(in, c), out)
	}
	for i, r := range c.Rows {
		in.record(r, int64(sign(c.Ops[i])))
	}
	return p.inner.Push(ctx, input, c, out)
}

func (p *persistOp) Barrier(ctx context.Context, b types.Barrier, out Emitter) error {
	return p.inner.Barrier(ctx, b, out)
}

// InputBarrier forwards to the inner operator (a join).
func (p *persistOp) InputBarrier(input int, b types.Barrier) {
	if obs, ok := p.inner.(inputBarrierObserver); ok {
		obs.InputBarrier(input, b)
	}
}

func (in *stateInput) record(r types.Row, delta int64) {
	in.keyBuf = appendRowKey(in.keyBuf[:0], r)
	e := in.pending[string(in.keyBuf)]
	if e == nil {
		e = &pendingEntry{row: r, group: in.group(r)}
		in.pending[string(in.keyBuf)] = e
	}
	e.delta += delta
	if delta > 0 {
		e.row = r
	}
}

func (in *stateInput) group(r types.Row) uint16 {
	var k []byte
	if in.keyCols == nil {
		k = appendRowKey(nil, r)
	} else {
		k, _ = appendColsKey(nil, r, in.keyCols)
	}
	return keyGroupOf(k) // the exchanges route by the same hash (exchange.go)
}

// stateKey is the Pebble key of one entry.
func stateKey(tableID uint32, group uint16, rowKey string) []byte {
	k := make([]byte, 0, 6+len(rowKey))
	k = binary.BigEndian.AppendUint32(k, tableID)
	k = binary.BigEndian.AppendUint16(k, group)
	return append(k, rowKey...)
}

// StateTablePrefix is the key prefix of one state table.
func StateTablePrefix(tableID uint32) []byte {
	return binary.BigEndian.AppendUint32(nil, tableID)
}

// StateTableInfo describes one state table of a dataflow.
type StateTableInfo struct {
	ID       uint32
	Operator string
	Entries  int64
}

// StateTableInfos describes the dataflow's state tables. Not safe to call
// while the dataflow runs.
func (d *Dataflow) StateTableInfos() []StateTableInfo {
	if d.par != nil {
		return d.par.stateTableInfos()
	}
	out := make([]StateTableInfo, len(d.state))
	for i, in := range d.state {
		out[i] = StateTableInfo{ID: in.tableID, Operator: in.label, Entries: in.entries}
	}
	return out
}

// StateTables returns the ids of the dataflow's state tables.
func (d *Dataflow) StateTables() []uint32 {
	out := make([]uint32, len(d.state))
	for i, in := range d.state {
		out[i] = in.tableID
	}
	return out
}

// StateStore is what the dataflow needs from the state store: point reads
// of the committed epoch and prefix scans (for Restore).
type StateStore interface {
	Get(key []byte) ([]byte, bool, error)
	ScanPrefix(prefix []byte, fn func(key, value []byte) error) error
}

// StateChanges drains the epoch buffers: for every changed entry it calls
// set (new value) or del, with keys and values the caller may keep. The
// committed counts are kept in memory (loaded by Restore), so no read of
// the store is needed; store and fresh are kept for callers that
// cannot keep them (unused today).
func (d *Dataflow) StateChanges(store StateStore, fresh bool, set func(key, value []byte) error, del func(key []byte) error) error {
	if d.par != nil {
		return d.par.stateChanges(store, fresh, set, del)
	}
	if err := d.ttlStateChanges(set, del); err != nil { // dataflow_ttl.go
		return err
	}
	for _, in := range d.state {
		if own := in.ownState(); own != nil {
			for _, k := range in.legacy {
				if err := del(k); err != nil {
					return err
				}
			}
			in.legacy = nil
			if err := own.ownStateChanges(in, set, del); err != nil {
				return err
			}
			continue
		}
		for rk, e := range in.pending {
			if e.delta == 0 {
				continue
			}
			key := stateKey(in.tableID, e.group, rk)
			before, existed := in.committed[rk]
			count := before + e.delta
			if count <= 0 {
				if existed {
					in.entries--
					delete(in.committed, rk)
					if err := del(key); err != nil {
						return err
					}
				}
				continue
			}
			if !existed {
				in.entries++
				if in.exp != nil {
					in.exp.add(e.row, rk, e.group)
				}
			}
			in.committed[rk] = count
			v := binary.BigEndian.AppendUint64(nil, uint64(count))
			if err := set(key, types.AppendRow(v, e.row)); err != nil {
				return err
			}
		}
		clear(in.pending)
		if in.exp != nil {
			if err := in.exp.expire(in, del); err != nil {
				return err
			}
		}
	}
	return d.persistWatermarks(set)
}

// discard is an Emitter that drops its input.
type discard struct{}

func (discard) Emit(context.Context, *types.Chunk) error { return nil }

// stateLoader is an operator that takes its restored input rows directly
// into its state, computing none of the output a push would (which the
// restore would drop): loadState gets the rows of one input (all
// inserts), finishLoad runs once every input is loaded, before the
// restore barrier.
type stateLoader interface {
	loadState(input int, c *types.Chunk)
	finishLoad() error
}

// stateSizer is an operator whose state maps Restore can size before it
// loads n entries (the input-row entries of one input) into them.
type stateSizer interface {
	presize(input int, n int)
}

// restoredEntry is an input-row entry Restore has read, before it goes
// into the maps.
type restoredEntry struct {
	rowKey string
	count  int64
	row    types.Row
}

// Restore loads the committed operator state: each stateful operator gets
// its stored input rows, then a barrier whose output is dropped. Call it
// instead of feeding a snapshot (and instead of Start) on a dataflow built
// for a view that has committed epochs.
func (d *Dataflow) Restore(ctx context.Context, store StateStore, epoch uint64) error {
	if d.par != nil {
		return d.par.restore(ctx, store, epoch)
	}
	return d.guard(func() error {
		restoredOps := map[Operator]bool{}
		for _, in := range d.state {
			restoredOps[in.op] = true
		}
		if err := d.restoreTables(ctx, store); err != nil {
			return err
		}
		if err := d.restoreWatermarks(store); err != nil {
			return err
		}
		if err := d.restoreIntervalBounds(ctx); err != nil { // interval_join.go
			return err
		}
		b := types.Barrier{Epoch: types.Epoch(epoch)}
		for op := range restoredOps {
			if loader, ok := op.(stateLoader); ok {
				if err := loader.finishLoad(); err != nil {
					return err
				}
			}
			if err := op.Barrier(ctx, b, discard{}); err != nil {
				return err
			}
		}
		return nil
	})
}

// restoreTables loads every state table of the dataflow. The tables are
// read concurrently (at most GOMAXPROCS at a time): their Pebble scans and
// row decoding are independent, while what touches an operator (and the
// evaluation context the operators share) runs under one lock. With view
// TTL, whose key index the inputs of an operator share, the tables load
// one after the other.
func (d *Dataflow) restoreTables(ctx context.Context, store StateStore) error {
	var opMu sync.Mutex
	concurrent := len(d.state) > 1 && runtime.GOMAXPROCS(0) > 1
	for _, in := range d.state {
		if in.ttl != nil {
			concurrent = false
		}
	}
	if !concurrent {
		for _, in := range d.state {
			if err := d.restoreTable(ctx, store, in, &opMu); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, len(d.state))
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, in := range d.state {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			// A panic in this goroutine is turned into an error here:
			// Restore's guard does not see it.
			errs[i] = d.guard(func() error { return d.restoreTable(ctx, store, in, &opMu) })
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// restoreTable loads one state table into its operator: own-state entries
// as they are read, input rows once all are read (see Restore).
func (d *Dataflow) restoreTable(ctx context.Context, store StateStore, in *stateInput, opMu *sync.Mutex) error {
	var c types.Chunk
	// Rows are carved from the decoder's slabs (the operators keep
	// them): no allocation per entry.
	var dec types.RowDecoder
	var loaded []restoredEntry
	flush := func() error {
		if c.Len() == 0 {
			return nil
		}
		var err error
		if loader, ok := in.op.(stateLoader); ok {
			loader.loadState(in.port, &c)
		} else {
			err = in.op.Push(ctx, in.port, &c, discard{})
		}
		c.Reset()
		return err
	}
	lockedFlush := func() error {
		opMu.Lock()
		defer opMu.Unlock()
		return flush()
	}
	err := store.ScanPrefix(StateTablePrefix(in.tableID), func(key, value []byte) error {
		if isRecord, err := in.restoreTTL(key, value, nil); isRecord || err != nil { // dataflow_ttl.go
			return err
		}
		own := in.ownState()
		if own != nil && isOwnFormat(value) {
			opMu.Lock()
			defer opMu.Unlock()
			return own.restoreOwnEntry(in, key, value)
		}
		if own != nil {
			// An input row of an older version's state: the
			// operator rebuilds its state from it below, and
			// the next StateChanges rewrites it.
			if len(value) < 8 {
				return types.Errorf(types.CodeDataCorrupted, "corrupt operator state entry in state table %d", in.tableID)
			}
			in.legacy = append(in.legacy, append([]byte(nil), key...))
			row, err := dec.Decode(value[8:])
			if err != nil {
				return err
			}
			for i := uint64(0); i < binary.BigEndian.Uint64(value[:8]); i++ {
				c.Append(types.Insert, row)
				if c.Len() >= types.ChunkCapacity {
					if err := lockedFlush(); err != nil {
						return err
					}
				}
			}
			return nil
		}
		if len(value) < 8 {
			return types.Errorf(types.CodeDataCorrupted, "corrupt operator state entry in state table %d", in.tableID)
		}
		count := int64(binary.BigEndian.Uint64(value[:8]))
		in.entries++
		rowKey := string(key[6:])
		row, err := dec.Decode(value[8:])
		if err != nil {
			return err
		}
		if _, err := in.restoreTTL(key, value, row); err != nil {
			return err
		}
		if in.exp != nil {
			in.exp.add(row, rowKey, binary.BigEndian.Uint16(key[4:6]))
		}
		loaded = append(loaded, restoredEntry{rowKey: rowKey, count: count, row: row})
		return nil
	})
	if err == nil {
		// Rows the legacy path above left in the chunk.
		err = lockedFlush()
	}
	if err == nil && len(loaded) > 0 {
		opMu.Lock()
		defer opMu.Unlock()
		// Every entry is read before any goes into a map, so the
		// maps are made at their final size once instead of
		// growing (rehashing every key) while they fill.
		if len(in.committed) == 0 {
			in.committed = make(map[string]int64, len(loaded))
		}
		if sizer, ok := in.op.(stateSizer); ok {
			sizer.presize(in.port, len(loaded))
		}
		for _, e := range loaded {
			in.committed[e.rowKey] = e.count
			for i := int64(0); i < e.count; i++ {
				c.Append(types.Insert, e.row)
				if c.Len() >= types.ChunkCapacity {
					if err = flush(); err != nil {
						break
					}
				}
			}
			if err != nil {
				break
			}
		}
	}
	if err == nil {
		err = flush()
	}
	return err
}

// persist wraps a stateful operator with n input ports; keyCols gives each
// port's partitioning columns (nil: the whole row).
func (d *Dataflow) persist(op Operator, keyCols ...[]int) Operator {
	p := &persistOp{inner: op}
	name := "operator"
	switch op.(type) {
	case *hashJoin:
		name = "hash join"
	case *intervalJoin:
		name = "interval join"
	case *aggregate, *windowAgg:
		name = "hash aggregate"
	case *distinct:
		name = "distinct"
	case *topN:
		name = "top-n"
	case *setOp:
		name = "set operation"
	case *window, *windowPartitions:
		name = "window"
	}
	for port, cols := range keyCols {
		label := name
		if len(keyCols) == 2 {
			label += [2]string{" (left input)", " (right input)"}[port]
		}
		in := &stateInput{
			tableID: d.stateBase + uint32(len(d.state)),
			op:      op, port: port, keyCols: cols, label: label,
			pending: map[string]*pendingEntry{}, committed: map[string]int64{},
		}
		if o, ok := op.(interface{ enableOwnState() bool }); ok && len(keyCols) == 1 && o.enableOwnState() {
			in.own = op.(ownState)
		}
		d.state = append(d.state, in)
		p.inputs = append(p.inputs, in)
	}
	return p
}
