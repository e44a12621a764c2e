package types

// Op is what a row of a changelog chunk does to the relation it describes.
type Op int8

// The changelog operations. An update is the pair UpdateDelete (old row)
// immediately followed by UpdateInsert (new row); operators that do not care
// may treat them as Delete and Insert.
const (
	Insert Op = iota
	Delete
	UpdateDelete
	UpdateInsert
)

// String is the chunk text-format spelling of op: "+", "-", "U-", "U+".
func (op Op) String() string {
	switch op {
	case Insert:
		return "+"
	case Delete:
		return "-"
	case UpdateDelete:
		return "U-"
	case UpdateInsert:
		return "U+"
	}
	return "?"
}

// IsInsert reports whether op adds its row (Insert or UpdateInsert).
func (op Op) IsInsert() bool { return op == Insert || op == UpdateInsert }

// Chunk is a batch of changes: Ops[i] applies to Rows[i]. Operators process
// whole chunks; a chunk holds up to ChunkCapacity rows.
type Chunk struct {
	Ops  []Op
	Rows []Row
}

// ChunkCapacity is the number of rows a producer puts in a chunk before
// sending it on.
const ChunkCapacity = 1024

// Len returns the number of changes in c.
func (c *Chunk) Len() int { return len(c.Rows) }

// Append adds one change.
func (c *Chunk) Append(op Op, r Row) {
	c.Ops = append(c.Ops, op)
	c.Rows = append(c.Rows, r)
}

// Reset empties c, keeping its capacity.
func (c *Chunk) Reset() {
	c.Ops = c.Ops[:0]
	c.Rows = c.Rows[:0]
}

// Epoch numbers the consistent cuts of the dataflow. Epochs increase
// monotonically; a committed epoch is visible to reads.
type Epoch uint64

// Barrier flows through a dataflow behind every change of its epoch. An
// operator that has seen the barrier on all inputs has seen all of the
// epoch's changes.
type Barrier struct {
	Epoch Epoch
	// Checkpoint asks operators to make their state for this epoch durable.
	Checkpoint bool
	// Final marks the end of a bounded input (an ad-hoc query): operators
	// that buffer until the end (sort, window, limit) emit their result.
	Final bool
}

// Watermark says no later row on this input will have its event-time column
// below Micros.
type Watermark struct {
	Col    int
	Micros int64
}
