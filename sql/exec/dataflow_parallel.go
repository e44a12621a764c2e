package exec

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// A view's operators on parallel workers, split by key group.
//
// A parallel Dataflow is a facade over P worker dataflows built from the
// same plan (so their state tables have the same ids). Each worker's plan
// is cut at exchange points, one in front of every input port of a
// stateful operator (exchange.go): below it, stateless operators stay with
// their producer; the exchange routes every change to the worker owning
// its key group (fnv32 of the operator's partitioning columns modulo
// MaxParallelism, the key group its state entry is filed under). Worker w
// owns the contiguous range of key groups keyGroupRange(w, P). Operators
// without a partitioning key (a global aggregate, a top-N, a join without
// equi keys, NOT IN) run on worker 0 only: their exchanges route
// everything there, and the other workers' copies are idle.
//
// Table changes are split among the workers by a hash of the whole row, so
// that every change of one row value, and so every retraction after its
// insert, travels one FIFO path (an update pair whose halves land on
// different workers becomes a delete and an insert).
//
// Scheduling: Push queues; once startPending messages are queued it
// starts one goroutine per worker, which keep running while the caller
// reads and queues more (the caller waits when more than maxPending are
// queued); Barrier queues a barrier for every worker's inputs and waits
// until every queue is empty. A worker processes a message at a time from
// its queue: table changes, exchange chunks, exchange barriers; it ends
// when no message is left anywhere, and is started again by the next
// message sent to it while others still run. An exchange barrier is delivered to its
// operator only when it has arrived from every upstream worker (barrier
// alignment), after all their chunks (the queues are FIFO per sender).
// The epoch is complete when no message is left, which checks that the
// barrier reached every worker's output; the output is the workers' outputs
// concatenated, one batch. Workers never wait for the caller, so a view
// dropped mid-epoch leaks no goroutine: they finish what is queued and end.
//
// Restore: every worker restores, concurrently, the state entries of its
// key-group range (the key group is in the entry's key, so changing P
// between restarts only moves ranges); a single-worker operator's entries
// all go to worker 0.
//
// Dataflows whose inputs carry watermarks stay on one worker: watermarks
// would have to be aligned across workers too (the minimum over upstream
// workers at every exchange), which is not built.

// NewParallelDataflow is NewDataflowWithOptions run on workers workers
// (1: the serial dataflow). A plan that cannot run in parallel gets one
// worker; SerialReason says why.
func NewParallelDataflow(ctx context.Context, env *Env, plan planner.Node, opts DataflowOptions, workers int) (*Dataflow, error) {
	d, err := NewDataflowWithOptions(ctx, workerEnv(env), plan, opts)
	if err != nil || workers <= 1 {
		return d, err
	}
	if reason := parallelObstacle(d, opts); reason != "" {
		d.serialReason = reason
		return d, nil
	}
	workers = min(workers, MaxParallelism)
	rt := newParallelRuntime(workers)
	for _, wk := range rt.workers {
		if wk.df, err = NewDataflowWithOptions(ctx, workerEnv(env), plan, opts); err != nil {
			return nil, err
		}
	}
	for w := range rt.workers {
		if err := rt.wire(w); err != nil {
			return nil, err
		}
	}
	d.par = rt
	return d, nil
}

// parallelObstacle says why the dataflow d (built for opts) must run on one
// worker, or "".
func parallelObstacle(d *Dataflow, opts DataflowOptions) string {
	if opts.EmitOnWindowClose {
		return "EMIT ON WINDOW CLOSE"
	}
	for _, in := range d.inputs {
		if in.wm != nil {
			return "an input with a WATERMARK"
		}
	}
	return ""
}

// workerEnv gives each worker its own evaluation context (builtins keep
// scratch memory in it).
func workerEnv(env *Env) *Env {
	if env == nil {
		return nil
	}
	e := *env
	if env.Eval != nil {
		b := *env.Eval
		b.Scratch = nil
		e.Eval = &b
	}
	return &e
}

// Workers is the number of workers the dataflow runs on.
func (d *Dataflow) Workers() int {
	if d.par == nil {
		return 1
	}
	return len(d.par.workers)
}

// ExplainWorkers describes how the dataflow is split among workers: the
// key-group range of each and where every exchange routes (for EXPLAIN).
func (d *Dataflow) ExplainWorkers() []string {
	if d.par == nil {
		line := "Workers: 1"
		if d.serialReason != "" {
			line += " (serial because of " + d.serialReason + ")"
		}
		return []string{line}
	}
	n := len(d.par.workers)
	var ranges []string
	for w := 0; w < n; w++ {
		lo, hi := keyGroupRange(w, n)
		ranges = append(ranges, fmt.Sprintf("%d-%d", lo, hi-1))
	}
	lines := []string{fmt.Sprintf("Workers: %d, key groups %s of %d", n, strings.Join(ranges, ", "), MaxParallelism)}
	for _, x := range d.par.explain {
		lines = append(lines, "  "+x)
	}
	return lines
}

func describeExchange(x int, label string, r exchangeRoute) string {
	switch {
	case r.singleton:
		return fmt.Sprintf("Exchange %d -> %s: all rows to worker 0 (no partitioning key)", x, label)
	case r.keyCols == nil:
		return fmt.Sprintf("Exchange %d -> %s: by key group of the whole row", x, label)
	}
	cols := make([]string, len(r.keyCols))
	for i, c := range r.keyCols {
		cols[i] = fmt.Sprint(c)
	}
	return fmt.Sprintf("Exchange %d -> %s: by key group of input columns (%s)", x, label, strings.Join(cols, ", "))
}

// SerialReason says why a dataflow asked to run in parallel runs on one
// worker ("" when it does not apply).
func (d *Dataflow) SerialReason() string { return d.serialReason }

type msgKind uint8

const (
	// msgInput carries table changes for the worker's stream inputs.
	msgInput msgKind = iota
	// msgInputBarrier ends the epoch at the worker's inputs.
	msgInputBarrier
	// msgExchangeData carries routed changes into an exchange's consumer.
	msgExchangeData
	// msgExchangeBarrier is one upstream worker's barrier on an exchange.
	msgExchangeBarrier
)

type message struct {
	kind     msgKind
	exchange int
	tableID  uint32
	chunk    *types.Chunk
	barrier  types.Barrier
}

// worker is one worker dataflow and its exchange endpoints.
type worker struct {
	df *Dataflow
	// recv[x] is the receiving end of exchange x: a leaf whose parent is
	// the stateful operator's port; marks[x] counts the upstream
	// barriers that arrived for the current epoch.
	recv  []*rnode
	marks []int
	// outBarriers counts the barriers that reached the worker's output.
	outBarriers int
	// running: a goroutine runs this worker (under parallelRuntime.mu).
	running bool
}

// parallelRuntime schedules the workers of a parallel dataflow.
type parallelRuntime struct {
	workers []*worker
	owners  keyGroupOwners
	// singletonTables are the state tables of single-worker operators.
	singletonTables map[uint32]bool
	exchanges       int
	// explain describes each exchange, for EXPLAIN.
	explain []string
	// routeBuf and slab are the coordinator's scratch for splitting
	// table changes.
	routeBuf []byte
	slab     []types.Datum

	mu   sync.Mutex
	cond *sync.Cond
	// inbox holds each worker's messages in arrival order; pending counts
	// the messages queued or being processed (0: quiescent).
	inbox   [][]message
	pending int
	err     error
	// active counts the running worker goroutines; ctx is the context
	// they were started with.
	active int
	ctx    context.Context
}

// newParallelRuntime makes the runtime of workers workers (their
// dataflows not yet built).
func newParallelRuntime(workers int) *parallelRuntime {
	rt := &parallelRuntime{owners: makeKeyGroupOwners(workers), singletonTables: map[uint32]bool{}, inbox: make([][]message, workers)}
	rt.cond = sync.NewCond(&rt.mu)
	for w := 0; w < workers; w++ {
		rt.workers = append(rt.workers, &worker{})
	}
	return rt
}

// startPending is the number of queued messages (chunks of up to
// types.ChunkCapacity rows) at which Push starts the workers; maxPending
// bounds what is queued: Push waits above it until the workers are back
// down to maxPending/2.
const (
	startPending = 16
	maxPending   = 256
)

// wire cuts worker w's operator tree at its exchange points. Every worker
// is built from the same plan, so exchanges get the same ids everywhere.
func (rt *parallelRuntime) wire(w int) error {
	wk := rt.workers[w]
	d := wk.df
	if len(d.leaves) == 0 {
		return errors.AssertionFailedf("a dataflow without inputs")
	}
	top := d.leaves[0]
	for top.parent != nil {
		top = top.parent
	}
	top.op = &workerOutput{sink: d.sink, w: wk}
	next := 0
	var walk func(n *rnode)
	walk = func(n *rnode) {
		children := slices.Clone(n.inputs)
		if p := persistOf(n.op); p != nil {
			routes := partitioning(p)
			for port, child := range children {
				x := next
				next++
				if w == 0 {
					if routes[port].singleton {
						for _, in := range p.inputs {
							rt.singletonTables[in.tableID] = true
						}
					}
					rt.explain = append(rt.explain, describeExchange(x, p.inputs[port].label, routes[port]))
				}
				send := &rnode{op: newExchangeSend(rt, x, routes[port]), inputs: []*rnode{child}}
				child.parent, child.port = send, 0
				recv := &rnode{src: inputRunner{}, parent: n, port: port}
				n.inputs[port] = recv
				wk.recv = append(wk.recv, recv)
				wk.marks = append(wk.marks, 0)
			}
			if w != 0 && routes[0].singleton {
				n.op = idleOp{}
			}
		}
		for _, c := range children {
			walk(c)
		}
	}
	walk(top)
	if w == 0 {
		rt.exchanges = next
	} else if next != rt.exchanges {
		return errors.AssertionFailedf("worker %d has %d exchanges, worker 0 has %d", w, next, rt.exchanges)
	}
	return nil
}

// persistOf finds the persisted stateful operator in op (nil: stateless).
func persistOf(op Operator) *persistOp {
	switch o := op.(type) {
	case *persistOp:
		return o
	case *wmOp:
		return o.persist
	}
	return nil
}

// partitioning says how each input port of a stateful operator is routed:
// by the columns its state is keyed by, when those are exactly what the
// operator partitions by; otherwise everything to one worker.
func partitioning(p *persistOp) []exchangeRoute {
	routes := make([]exchangeRoute, len(p.inputs))
	single := func() []exchangeRoute {
		for i := range routes {
			routes[i] = exchangeRoute{singleton: true}
		}
		return routes
	}
	byStateKey := func() []exchangeRoute {
		for i, in := range p.inputs {
			routes[i] = exchangeRoute{keyCols: in.keyCols}
		}
		return routes
	}
	switch op := p.inner.(type) {
	case *hashJoin:
		// NOT IN looks at every right row (any NULL key changes every
		// answer).
		if op.nullAware || len(op.sides[0].keys) == 0 || len(p.inputs) != 2 ||
			!slices.Equal(op.sides[0].keys, p.inputs[0].keyCols) || !slices.Equal(op.sides[1].keys, p.inputs[1].keyCols) {
			return single()
		}
		return byStateKey()
	case *windowAgg:
		if len(op.groupCols) == 0 || !slices.Equal(op.groupCols, p.inputs[0].keyCols) {
			return single()
		}
		return byStateKey()
	case *aggregate:
		if len(op.groupCols) == 0 || !slices.Equal(op.groupCols, p.inputs[0].keyCols) {
			return single()
		}
		return byStateKey()
	case *windowPartitions:
		// The window with event-time closing (window_close_partition.go).
		return partitioning(&persistOp{inner: op.window, inputs: p.inputs})
	case *window:
		// The state is keyed by the first function's partition; that is a
		// valid routing only when every function partitions by it.
		keys := p.inputs[0].keyCols
		if len(keys) == 0 || len(op.partCols) != len(keys) {
			return single()
		}
		for _, c := range keys {
			if !slices.Contains(op.partCols, c) {
				return single()
			}
		}
		return byStateKey()
	case *distinct:
		if len(op.on) > 0 || p.inputs[0].keyCols != nil {
			return single()
		}
		return byStateKey()
	case *setOp:
		return byStateKey()
	}
	return single()
}

// workerOutput is the top of a worker's tree: the view's changes go to the
// worker's sink; arriving barriers are counted so the runtime can check
// that every epoch reached every worker's output.
type workerOutput struct {
	sink *dataflowSink
	w    *worker
}

func (o *workerOutput) Push(ctx context.Context, input int, c *types.Chunk, out Emitter) error {
	return o.sink.Push(ctx, input, c, out)
}

func (o *workerOutput) Barrier(context.Context, types.Barrier, Emitter) error {
	o.w.outBarriers++
	return nil
}

// enqueue queues m for worker w; callable from any worker. While workers
// run, a worker that had ended is started again for m.
func (rt *parallelRuntime) enqueue(w int, m message) {
	rt.mu.Lock()
	rt.inbox[w] = append(rt.inbox[w], m)
	rt.pending++
	if rt.active > 0 && !rt.workers[w].running {
		rt.spawnLocked(w)
	}
	rt.mu.Unlock()
	rt.cond.Broadcast()
}

// startLocked starts every worker that is not running. Called with rt.mu
// held.
func (rt *parallelRuntime) startLocked(ctx context.Context) {
	rt.ctx = ctx
	for w, wk := range rt.workers {
		if !wk.running {
			rt.spawnLocked(w)
		}
	}
}

func (rt *parallelRuntime) spawnLocked(w int) {
	rt.workers[w].running = true
	rt.active++
	go rt.work(rt.ctx, w)
}

// run runs the workers until no message is left (or one fails).
func (rt *parallelRuntime) run(ctx context.Context) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.pending > 0 && rt.err == nil {
		rt.startLocked(ctx)
	}
	rt.waitIdleLocked()
	if rt.err != nil {
		// The workers stopped mid-epoch: what is queued is stale.
		for w := range rt.inbox {
			rt.inbox[w] = nil
		}
		rt.pending = 0
	}
	return rt.err
}

// waitIdleLocked waits until no worker runs. Called with rt.mu held.
func (rt *parallelRuntime) waitIdleLocked() {
	for rt.active > 0 {
		rt.cond.Wait()
	}
}

// waitIdle waits until no worker runs: the workers' dataflows may be read.
func (rt *parallelRuntime) waitIdle() {
	rt.mu.Lock()
	rt.waitIdleLocked()
	rt.mu.Unlock()
}

// work is worker w's loop: it ends when the whole dataflow is quiescent
// (no message queued or in progress anywhere) or failed.
func (rt *parallelRuntime) work(ctx context.Context, w int) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	defer func() {
		rt.workers[w].running = false
		rt.active--
		if rt.active == 0 {
			rt.cond.Broadcast()
		}
	}()
	for rt.err == nil && rt.pending > 0 {
		if len(rt.inbox[w]) == 0 {
			rt.cond.Wait()
			continue
		}
		m := rt.inbox[w][0]
		rt.inbox[w][0] = message{}
		rt.inbox[w] = rt.inbox[w][1:]
		rt.mu.Unlock()
		err := rt.handle(ctx, w, m)
		rt.mu.Lock()
		rt.pending--
		if err != nil && rt.err == nil {
			rt.err = err
		}
		if rt.pending == 0 || err != nil || rt.pending == maxPending/2 {
			rt.cond.Broadcast()
		}
	}
}

// handle processes one message on worker w.
func (rt *parallelRuntime) handle(ctx context.Context, w int, m message) error {
	wk := rt.workers[w]
	d := wk.df
	switch m.kind {
	case msgInput:
		return d.Push(ctx, m.tableID, m.chunk)
	case msgInputBarrier:
		d.advanceInputWatermarks()
		return d.guard(func() error {
			for _, leaf := range d.leaves {
				if err := deliverBarrier(ctx, leaf, m.barrier); err != nil {
					return err
				}
			}
			return nil
		})
	case msgExchangeData:
		return d.guard(func() error { return wk.recv[m.exchange].Emit(ctx, m.chunk) })
	case msgExchangeBarrier:
		wk.marks[m.exchange]++
		if wk.marks[m.exchange] < len(rt.workers) {
			return nil
		}
		wk.marks[m.exchange] = 0
		return d.guard(func() error { return deliverBarrier(ctx, wk.recv[m.exchange], m.barrier) })
	}
	return errors.AssertionFailedf("unknown dataflow message %d", m.kind)
}

// push splits table changes among the workers by a hash of the stored row
// and queues them (rows copied: the caller may reuse them).
func (rt *parallelRuntime) push(ctx context.Context, tableID uint32, c *types.Chunk) error {
	parts := make([]*types.Chunk, len(rt.workers))
	add := func(w int, op types.Op, r types.Row) {
		if parts[w] == nil {
			parts[w] = &types.Chunk{}
		}
		parts[w].Append(op, rt.copyRow(r))
	}
	routeChanges(c, rt.rowOwner, add)
	for w, p := range parts {
		if p != nil {
			rt.enqueue(w, message{kind: msgInput, tableID: tableID, chunk: p})
		}
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.active == 0 && rt.pending >= startPending && rt.err == nil {
		rt.startLocked(ctx)
	}
	for rt.active > 0 && rt.pending > maxPending && rt.err == nil {
		rt.cond.Wait()
	}
	return rt.err
}

// copyRow copies r into the current slab (no allocation per row; a
// slab lives as long as any of its rows).
func (rt *parallelRuntime) copyRow(r types.Row) types.Row {
	if len(rt.slab) < len(r) {
		rt.slab = make([]types.Datum, max(len(r)*types.ChunkCapacity, len(r)))
	}
	out := rt.slab[:len(r):len(r)]
	copy(out, r)
	rt.slab = rt.slab[len(r):]
	return out
}

func (rt *parallelRuntime) rowOwner(r types.Row) int {
	rt.routeBuf = appendRowKey(rt.routeBuf[:0], r)
	return int(rt.owners[keyGroupOf(rt.routeBuf)])
}

// barrier ends the epoch on every worker and returns the view's changes.
func (rt *parallelRuntime) barrier(ctx context.Context, epoch uint64) (*types.Chunk, error) {
	b := types.Barrier{Epoch: types.Epoch(epoch)}
	before := make([]int, len(rt.workers))
	for w, wk := range rt.workers {
		before[w] = wk.outBarriers
		rt.enqueue(w, message{kind: msgInputBarrier, barrier: b})
	}
	if err := rt.run(ctx); err != nil {
		return nil, err
	}
	out := &types.Chunk{}
	for w, wk := range rt.workers {
		if wk.outBarriers != before[w]+1 {
			return nil, errors.AssertionFailedf("epoch %d: the barrier reached worker %d's output %d times", epoch, w, wk.outBarriers-before[w])
		}
		s := wk.df.sink
		for i, r := range s.out.Rows {
			out.Append(s.out.Ops[i], r)
		}
		s.out = types.Chunk{}
	}
	return out, nil
}

// start runs the constant sources, on worker 0 only.
func (rt *parallelRuntime) start(ctx context.Context) error {
	rt.waitIdle()
	return rt.workers[0].df.Start(ctx)
}

// restore has every worker restore its key groups' state, concurrently.
func (rt *parallelRuntime) restore(ctx context.Context, store StateStore, epoch uint64) error {
	rt.waitIdle()
	errs := make([]error, len(rt.workers))
	var wg sync.WaitGroup
	for w, wk := range rt.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = wk.df.Restore(ctx, &keyGroupStore{StateStore: store, rt: rt, w: w}, epoch)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// keyGroupStore shows one worker the state entries it owns: a scan of a
// state table reads only the worker's key-group range (the key group
// follows the table id in every key), all of it for worker 0 when the
// table belongs to a single-worker operator, none of it for the others.
type keyGroupStore struct {
	StateStore
	rt *parallelRuntime
	w  int
}

func (s *keyGroupStore) ScanPrefix(prefix []byte, fn func(key, value []byte) error) error {
	if len(prefix) != 4 {
		return s.StateStore.ScanPrefix(prefix, fn)
	}
	if s.rt.singletonTables[binary.BigEndian.Uint32(prefix)] {
		if s.w != 0 {
			return nil
		}
		return s.StateStore.ScanPrefix(prefix, fn)
	}
	lo, hi := keyGroupRange(s.w, len(s.rt.workers))
	groupPrefix := make([]byte, 6)
	copy(groupPrefix, prefix)
	for g := lo; g < hi; g++ {
		binary.BigEndian.PutUint16(groupPrefix[4:], uint16(g))
		if err := s.StateStore.ScanPrefix(groupPrefix, fn); err != nil {
			return err
		}
	}
	return nil
}

// stateChanges drains every worker's epoch buffers. The workers encode
// their changes concurrently (the entries are disjoint: each key group has
// one owner); the caller's set and del, which fill one batch, are then
// called from this goroutine.
func (rt *parallelRuntime) stateChanges(store StateStore, fresh bool, set func(key, value []byte) error, del func(key []byte) error) error {
	rt.waitIdle()
	type change struct {
		key, value []byte // value nil: a delete
	}
	changes := make([][]change, len(rt.workers))
	errs := make([]error, len(rt.workers))
	var wg sync.WaitGroup
	for w, wk := range rt.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = wk.df.StateChanges(store, fresh,
				func(k, v []byte) error {
					if v == nil {
						v = []byte{}
					}
					changes[w] = append(changes[w], change{k, v})
					return nil
				},
				func(k []byte) error { changes[w] = append(changes[w], change{key: k}); return nil })
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, cs := range changes {
		for _, c := range cs {
			var err error
			if c.value == nil {
				err = del(c.key)
			} else {
				err = set(c.key, c.value)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (rt *parallelRuntime) rowsIn() int64 {
	rt.waitIdle()
	var n int64
	for _, wk := range rt.workers {
		n += wk.df.RowsIn()
	}
	return n
}

func (rt *parallelRuntime) rowErrors() (int64, error) {
	rt.waitIdle()
	var n int64
	var last error
	for _, wk := range rt.workers {
		k, err := wk.df.RowErrors()
		n += k
		if err != nil {
			last = err
		}
	}
	return n, last
}

func (rt *parallelRuntime) stateTableInfos() []StateTableInfo {
	rt.waitIdle()
	out := rt.workers[0].df.StateTableInfos()
	for _, wk := range rt.workers[1:] {
		for i, st := range wk.df.StateTableInfos() {
			out[i].Entries += st.Entries
		}
	}
	return out
}
