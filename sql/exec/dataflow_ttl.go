package exec

import (
	"container/heap"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/streamdb/streamdb/sql/types"
)

// Operator-state TTL of a materialized view (WITH (ttl = ...)).
//
// State expires per operator key, not per input entry: the group key of
// an aggregate, the join key of a hash join (both sides together), the
// whole row of DISTINCT. A key's expiry is the processing time of the last
// epoch in which any input of the operator changed a row of that key, plus
// the TTL. Why per key: an operator's output for a key depends on all of
// the key's input rows together (a group's aggregates, a key's matches);
// dropping some of them would make the operator emit results no input
// ever had (a sum over half a group), while dropping all of them at once
// leaves exactly "this key was never seen". For a join, dropping one side
// only would leave the other side's rows with stale match counts (outer
// joins pad with NULLs by those counts), so both sides go together.
//
// At the barrier of the first epoch whose processing time is at or past a
// key's expiry, the key is forgotten: its entries leave the operator's
// memory without any output (the view keeps the rows it computed from
// them; they expire by the view rows' own TTL) and their persisted entries
// are deleted (point deletes: entries of one key are spread over its key
// group, not contiguous). A later change of the key starts afresh: an
// insert creates a new group or bucket; a retraction of a row that was
// forgotten is dropped before it reaches the operator (its input multiset
// does not hold the row any more), so it can neither fail the operator nor
// subtract from a new group.
//
// Persistence: every touched key's expiry is written at the barrier under
// the first input's state table with key group TTLRecordGroup (never a
// real key group, so Restore tells them apart); the expiry-ordered index
// is a heap in memory, rebuilt from those records at Restore (the keys of
// one expiry are not contiguous in any persisted order, so a persisted
// index would buy no range delete here). Memory: per key its expiry and
// the row keys of its entries.
//
// Reads can refresh keys too (ttl_update = 'on_read_and_write',
// dataflow_read_ttl.go). Operators that cannot
// forget a key (top-N, set operations, window functions, windowed
// aggregates, interval joins, DISTINCT ON, NOT IN) refuse TTL with 0A000.

// TTLRecordGroup is the key group of the TTL records in a state table.
const TTLRecordGroup = 0xFFFF

// ttlForgetter is an operator that can drop a key's state without emitting.
type ttlForgetter interface {
	// forgetKey drops every row of key, the encoding of the operator's key
	// columns (appendColsKey, or appendRowKey for whole-row keys), from
	// the operator's memory, emitting nothing.
	forgetKey(key string)
	// ttlUnsupported names what makes this instance unable to forget
	// keys, or returns "".
	ttlUnsupported() string
}

// dataflowTTL is the TTL state of a dataflow.
type dataflowTTL struct {
	ttl int64 // microseconds
	now int64 // processing time of the current epoch
	ops []*opTTL
	// read maps view rows to operator keys for refresh on read
	// (dataflow_read_ttl.go); nil: only changes refresh keys.
	read *ttlReadMap
}

// opTTL tracks the keys of one stateful operator.
type opTTL struct {
	d      *Dataflow
	inputs []*stateInput // by port
	forget ttlForgetter
	keys   map[string]*ttlKey
	// touched are the keys changed since the last barrier.
	touched map[string]*ttlKey
	heap    ttlHeap
	// restored: keys loaded by Restore still need an expiry check.
	restored bool
	keyBuf   []byte
	rowBuf   []byte
	admitted types.Chunk
}

type ttlKey struct {
	expiry   int64 // math.MinInt64 until the first barrier sets it
	group    uint16
	groupSet bool
	// rows are the row keys of the key's entries, per input port.
	rows []map[string]struct{}
}

// EnableTTL makes the dataflow forget operator keys that no change touched
// for ttl microseconds of processing time (see SetTTLNow). Call it before
// Start or Restore.
func (d *Dataflow) EnableTTL(ttl int64) error {
	if ttl <= 0 {
		return types.Errorf(types.CodeInvalidParameterValue, "ttl must be positive")
	}
	if d.par != nil {
		return types.Unsupported("ttl on a materialized view that runs on parallel workers")
	}
	t := &dataflowTTL{ttl: ttl, now: math.MinInt64}
	byOp := map[Operator]*opTTL{}
	for _, in := range d.state {
		o := byOp[in.op]
		if o == nil {
			f, ok := in.op.(ttlForgetter)
			if !ok {
				return types.Unsupported(fmt.Sprintf("ttl on a materialized view with a %s", in.label))
			}
			if why := f.ttlUnsupported(); why != "" {
				return types.Unsupported("ttl on a materialized view with " + why)
			}
			o = &opTTL{d: d, forget: f, keys: map[string]*ttlKey{}, touched: map[string]*ttlKey{}}
			byOp[in.op] = o
			t.ops = append(t.ops, o)
		}
		for len(o.inputs) <= in.port {
			o.inputs = append(o.inputs, nil)
		}
		o.inputs[in.port] = in
		in.ttl = o
	}
	d.ttl = t
	return nil
}

// SetTTLNow sets the processing time (microseconds since the epoch) that
// the next barrier's expiry uses.
func (d *Dataflow) SetTTLNow(now int64) {
	if d.ttl != nil {
		d.ttl.now = now
	}
}

// TTLExpiredEntries returns, per state table, the entries TTL removed since
// the dataflow was built.
func (d *Dataflow) TTLExpiredEntries() map[uint32]int64 {
	out := map[uint32]int64{}
	for _, in := range d.state {
		if in.ttl != nil {
			out[in.tableID] = in.ttlExpired
		}
	}
	return out
}

func (o *opTTL) keyOf(in *stateInput, r types.Row) []byte {
	if in.keyCols == nil {
		o.keyBuf = appendRowKey(o.keyBuf[:0], r)
	} else {
		o.keyBuf, _ = appendColsKey(o.keyBuf[:0], r, in.keyCols)
	}
	return o.keyBuf
}

// key returns the encoding of r's operator key (valid until the next call)
// and its tracking entry.
func (o *opTTL) key(in *stateInput, r types.Row) ([]byte, *ttlKey) {
	k := o.keyOf(in, r)
	tk := o.keys[string(k)]
	if tk == nil {
		tk = &ttlKey{expiry: math.MinInt64, rows: make([]map[string]struct{}, len(o.inputs))}
		o.keys[string(k)] = tk
	}
	if !tk.groupSet {
		tk.group, tk.groupSet = in.group(r), true
	}
	if tk.rows[in.port] == nil {
		tk.rows[in.port] = map[string]struct{}{}
	}
	return k, tk
}

// admit records an input chunk for persistence (instead of persistOp) and
// filters it before the operator sees it: a retraction of a row the state
// does not hold (forgotten by expiry) is dropped, and an update whose
// retraction was dropped becomes an insert. Every admitted change touches
// its key. It returns c itself when nothing is dropped.
func (o *opTTL) admit(in *stateInput, c *types.Chunk) *types.Chunk {
	var out *types.Chunk // nil while every change is admitted
	droppedUpdate := false
	for i, r := range c.Rows {
		op := c.Ops[i]
		if sign(op) < 0 && !o.holds(in, r) {
			if out == nil {
				o.admitted.Reset()
				for j := 0; j < i; j++ {
					o.admitted.Append(c.Ops[j], c.Rows[j])
				}
				out = &o.admitted
			}
			droppedUpdate = op == types.UpdateDelete
			continue
		}
		if op == types.UpdateInsert && droppedUpdate {
			op = types.Insert
		}
		droppedUpdate = false
		if out != nil {
			out.Append(op, r)
		}
		in.record(r, int64(sign(op)))
		k, tk := o.key(in, r)
		o.rowBuf = appendRowKey(o.rowBuf[:0], r)
		if _, ok := tk.rows[in.port][string(o.rowBuf)]; !ok {
			tk.rows[in.port][string(o.rowBuf)] = struct{}{}
		}
		if _, ok := o.touched[string(k)]; !ok {
			o.touched[string(k)] = tk
		}
	}
	if out == nil {
		return c
	}
	return out
}

// holds reports whether in's multiset holds r (committed plus pending).
func (o *opTTL) holds(in *stateInput, r types.Row) bool {
	o.rowBuf = appendRowKey(o.rowBuf[:0], r)
	n := in.committed[string(o.rowBuf)]
	if e := in.pending[string(o.rowBuf)]; e != nil {
		n += e.delta
	}
	return n > 0
}

// ttlRecordKey is the key of an operator key's expiry record.
func (o *opTTL) recordKey(key string) []byte {
	return stateKey(o.inputs[0].tableID, TTLRecordGroup, key)
}

// ttlStateChanges runs at the barrier, before the entries are written:
// touched keys get their new expiry, then the keys whose expiry is at or
// before now are forgotten.
func (d *Dataflow) ttlStateChanges(set func(key, value []byte) error, del func(key []byte) error) error {
	t := d.ttl
	if t == nil {
		return nil
	}
	exp := t.now + t.ttl
	if t.now > math.MaxInt64-t.ttl {
		exp = math.MaxInt64
	}
	for _, o := range t.ops {
		if o.restored {
			// Keys whose record was lost expire a full TTL from now.
			for k, tk := range o.keys {
				if tk.expiry == math.MinInt64 {
					o.touched[k] = tk
				}
			}
			o.restored = false
		}
		for k, tk := range o.touched {
			tk.expiry = exp
			heap.Push(&o.heap, ttlHeapItem{expiry: exp, key: k})
			if err := set(o.recordKey(k), binary.BigEndian.AppendUint64(nil, uint64(exp)^(1<<63))); err != nil {
				return err
			}
		}
		clear(o.touched)
		for o.heap.Len() > 0 && o.heap[0].expiry <= t.now {
			it := heap.Pop(&o.heap).(ttlHeapItem)
			tk := o.keys[it.key]
			if tk == nil || tk.expiry != it.expiry {
				continue // touched again since: a later item follows
			}
			if err := o.forgetKey(it.key, tk, del); err != nil {
				return err
			}
		}
	}
	return nil
}

func (o *opTTL) forgetKey(key string, tk *ttlKey, del func(key []byte) error) error {
	delete(o.keys, key)
	if err := del(o.recordKey(key)); err != nil {
		return err
	}
	for port, rows := range tk.rows {
		in := o.inputs[port]
		for rk := range rows {
			delete(in.pending, rk)
			if _, ok := in.committed[rk]; !ok {
				continue
			}
			delete(in.committed, rk)
			in.entries--
			in.ttlExpired++
			if err := del(stateKey(in.tableID, tk.group, rk)); err != nil {
				return err
			}
		}
	}
	o.forget.forgetKey(key)
	return nil
}

// restoreTTL handles one persisted entry during Restore: a TTL record
// (true: not an input entry) or an input entry whose row key it notes.
func (in *stateInput) restoreTTL(key, value []byte, row types.Row) (bool, error) {
	o := in.ttl
	if len(key) >= 6 && binary.BigEndian.Uint16(key[4:6]) == TTLRecordGroup {
		if o == nil {
			return true, nil
		}
		if len(value) != 8 {
			return true, types.Errorf(types.CodeDataCorrupted, "corrupt ttl record in state table %d", in.tableID)
		}
		exp := int64(binary.BigEndian.Uint64(value) ^ (1 << 63))
		k := string(key[6:])
		tk := o.keys[k]
		if tk == nil {
			tk = &ttlKey{rows: make([]map[string]struct{}, len(o.inputs))}
			o.keys[k] = tk
		}
		tk.expiry = exp
		heap.Push(&o.heap, ttlHeapItem{expiry: exp, key: k})
		return true, nil
	}
	if o == nil || row == nil {
		return false, nil
	}
	_, tk := o.key(in, row)
	tk.rows[in.port][string(key[6:])] = struct{}{}
	o.restored = true
	return false, nil
}

type ttlHeapItem struct {
	expiry int64
	key    string
}

type ttlHeap []ttlHeapItem

func (h ttlHeap) Len() int           { return len(h) }
func (h ttlHeap) Less(i, j int) bool { return h[i].expiry < h[j].expiry }
func (h ttlHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *ttlHeap) Push(x any)        { *h = append(*h, x.(ttlHeapItem)) }
func (h *ttlHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
