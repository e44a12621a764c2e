package planner

import (
	"fmt"
	"math"

	"github.com/streamdb/streamdb/sql/types"
)

// Interval joins.
//
// An inner join whose condition bounds a time column of one side by a time
// column of the other, such as
//
//	a.t BETWEEN b.t - INTERVAL '10' SECOND AND b.t + INTERVAL '5' SECOND
//	b.date_time >= w.window_start AND b.date_time < w.window_end
//
// (plus any equi-keys and other conditions), needs only a bounded part of
// each side once the inputs carry watermarks: a row of one side can only
// meet rows of the other side whose time is within its bounds, and the
// other side's watermark says no such row will come any more. The view
// planner marks such joins (Join.Interval); the dataflow runs them as an
// interval join operator (sql/exec/interval_join.go) that drops expired
// rows from its state. Without watermarks the operator keeps every row and
// behaves exactly as the hash join.
//
// Each time comparison between the sides, P <= Q + c or P < Q + c (P and
// Q time columns of different sides, c a constant interval without
// months, any of the forms <, <=, >, >=, BETWEEN, with +/- interval on
// either side), gives one IntervalBound: a row of Q's side is unmatchable
// once the watermark of P's column exceeds Q + c, so it expires when
// Q < watermark(P) - c (or <= for the strict form).
//
// The binder leaves WHERE conditions in a Filter above the join; for an
// inner join filtering after the join is the same as joining on the
// condition, so time comparisons of a Filter directly above an inner join
// move into the join's condition first (q4, q9).

// IntervalBound says when rows of one side of an interval join expire: a
// row r of side Side expires once r[Col] < watermark(other side's column
// OtherCol) + Offset. Col and OtherCol index the sides' own rows.
type IntervalBound struct {
	Side     int
	Col      int
	OtherCol int
	Offset   int64 // microseconds
}

// String describes the bound for EXPLAIN, with the sides' column names.
func (b IntervalBound) String(left, right types.Schema) string {
	sides := [2]types.Schema{left, right}
	names := [2]string{"left", "right"}
	s := fmt.Sprintf("%s.%s < watermark(%s.%s)", names[b.Side], sides[b.Side][b.Col].Name, names[1-b.Side], sides[1-b.Side][b.OtherCol].Name)
	off, sign := b.Offset, "+"
	if off < 0 {
		off, sign = -off, "-"
	}
	switch {
	case off == 0:
	case off%1_000_000 == 0:
		s += fmt.Sprintf(" %s %ds", sign, off/1_000_000)
	default:
		s += fmt.Sprintf(" %s %dus", sign, off)
	}
	return s
}

// markIntervalJoins returns node with every inner join whose condition
// has time bounds between its sides marked as an interval join (nodes on
// the way are copied; the input plan is not changed).
func markIntervalJoins(node Node) Node {
	switch n := node.(type) {
	case *Filter:
		in := markIntervalJoins(n.Input)
		if j, ok := in.(*Join); ok && j.Kind == InnerJoin {
			return moveTimeBoundsIntoJoin(n.Pred, j)
		}
		c := *n
		c.Input = in
		return &c
	case *Join:
		c := *n
		c.Left, c.Right = markIntervalJoins(n.Left), markIntervalJoins(n.Right)
		if c.Kind == InnerJoin {
			c.Interval = intervalBounds(c.On, len(c.Left.Columns()))
		}
		return &c
	case *Project:
		c := *n
		c.Input = markIntervalJoins(n.Input)
		return &c
	case *ProjectSet:
		c := *n
		c.Input = markIntervalJoins(n.Input)
		return &c
	case *Aggregate:
		c := *n
		c.Input = markIntervalJoins(n.Input)
		return &c
	case *Distinct:
		c := *n
		c.Input = markIntervalJoins(n.Input)
		return &c
	case *Sort:
		c := *n
		c.Input = markIntervalJoins(n.Input)
		return &c
	case *Limit:
		c := *n
		c.Input = markIntervalJoins(n.Input)
		return &c
	case *SetOp:
		c := *n
		c.Left, c.Right = markIntervalJoins(n.Left), markIntervalJoins(n.Right)
		return &c
	case *Window:
		c := *n
		c.Input = markIntervalJoins(n.Input)
		return &c
	}
	return node
}

// moveTimeBoundsIntoJoin moves the conjuncts of pred that are time bounds
// between j's sides into j's condition (a Filter over an inner join).
func moveTimeBoundsIntoJoin(pred Expr, j *Join) Node {
	width := len(j.Left.Columns())
	var keep, move []Expr
	for _, c := range conjuncts(pred) {
		if _, ok := timeBound(c, width); ok {
			move = append(move, c)
		} else {
			keep = append(keep, c)
		}
	}
	c := *j
	if len(move) > 0 {
		c.On = andOf(append(conjuncts(j.On), move...))
		c.Interval = intervalBounds(c.On, width)
	}
	if len(keep) == 0 {
		return &c
	}
	return &Filter{Input: &c, Pred: andOf(keep)}
}

// intervalBounds returns the bounds of the time comparisons among on's
// conjuncts (nil when there are none).
func intervalBounds(on Expr, leftWidth int) []IntervalBound {
	var out []IntervalBound
	for _, c := range conjuncts(on) {
		if b, ok := timeBound(c, leftWidth); ok {
			out = append(out, b)
		}
	}
	return out
}

// timeBound recognizes one comparison between time columns of the two
// sides (over the concatenated row of a join).
func timeBound(e Expr, leftWidth int) (IntervalBound, bool) {
	f, ok := e.(*Func)
	if !ok || f.Fn == nil || len(f.Args) != 2 {
		return IntervalBound{}, false
	}
	a, aOff, ok1 := shiftedTimeCol(f.Args[0])
	b, bOff, ok2 := shiftedTimeCol(f.Args[1])
	if !ok1 || !ok2 || a.Typ.Family != b.Typ.Family {
		return IntervalBound{}, false
	}
	// Normalize to p <= q + c (strict: p < q + c).
	var p, q *ColRef
	var c int64
	var strict bool
	switch f.Fn.Name {
	case "<=", "<":
		p, q, c, strict = a, b, bOff-aOff, f.Fn.Name == "<"
	case ">=", ">":
		p, q, c, strict = b, a, aOff-bOff, f.Fn.Name == ">"
	default:
		return IntervalBound{}, false
	}
	pSide, qSide := sideOf(p.Idx, leftWidth), sideOf(q.Idx, leftWidth)
	if pSide == qSide {
		return IntervalBound{}, false
	}
	// Unmatchable once watermark(p) > q + c, i.e. q < watermark(p) - c
	// (strict: watermark(p) >= q + c, i.e. q < watermark(p) - c + 1).
	off := -c
	if strict {
		off++
	}
	col, other := q.Idx, p.Idx
	if qSide == 1 {
		col -= leftWidth
	} else {
		other -= leftWidth
	}
	return IntervalBound{Side: qSide, Col: col, OtherCol: other, Offset: off}, true
}

func sideOf(idx, leftWidth int) int {
	if idx < leftWidth {
		return 0
	}
	return 1
}

// shiftedTimeCol matches a timestamp or timestamptz column, optionally
// plus or minus a constant interval without months (whose length in
// microseconds is fixed), and returns the column and the shift.
func shiftedTimeCol(e Expr) (*ColRef, int64, bool) {
	switch e := e.(type) {
	case *ColRef:
		if f := e.Typ.Family; f == types.TimestampFamily || f == types.TimestampTZFamily {
			return e, 0, true
		}
	case *Func:
		if e.Fn == nil || len(e.Args) != 2 || (e.Fn.Name != "+" && e.Fn.Name != "-") {
			return nil, 0, false
		}
		col, iv := e.Args[0], e.Args[1]
		if e.Fn.Name == "+" {
			if _, ok := col.(*Const); ok {
				col, iv = iv, col
			}
		}
		micros, ok := constIntervalMicros(iv)
		if !ok {
			return nil, 0, false
		}
		c, shift, ok := shiftedTimeCol(col)
		if !ok {
			return nil, 0, false
		}
		if e.Fn.Name == "-" {
			micros = -micros
		}
		return c, shift + micros, true
	}
	return nil, 0, false
}

// constIntervalMicros returns the length of a constant interval without
// months (days count as 24 hours, as for timestamp arithmetic in UTC).
func constIntervalMicros(e Expr) (int64, bool) {
	c, ok := e.(*Const)
	if !ok || c.Value.IsNull() || c.Typ.Family != types.IntervalFamily {
		return 0, false
	}
	iv := c.Value.Interval()
	if iv.Months != 0 {
		return 0, false
	}
	days := int64(iv.Days)
	if days > math.MaxInt64/86_400_000_000/2 || days < -math.MaxInt64/86_400_000_000/2 {
		return 0, false
	}
	return days*86_400_000_000 + iv.Micros, true
}
