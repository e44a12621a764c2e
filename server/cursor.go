package server

import (
	"context"
	"math"
	"strconv"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/sql/exec"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/types"
)

// SQL cursors: DECLARE / FETCH / MOVE / CLOSE (psycopg2's named cursors).
//
// A cursor's result is computed in full at DECLARE, inside the declaring
// transaction, so it sees exactly that transaction's snapshot (tables
// through the transaction, views at the statement's committed epoch) and
// any direction of scrolling is an index move. This costs memory for the
// whole result; it is the same thing Postgres does for WITH HOLD cursors
// at COMMIT, done earlier.

// Cursor option bits of DeclareCursorStmt.Options (Postgres parsenodes.h).
const (
	cursorOptBinary   = 0x01
	cursorOptScroll   = 0x02
	cursorOptNoScroll = 0x04
	cursorOptHold     = 0x20
)

// fetchAll is FETCH ALL's count (Postgres FETCH_ALL, LONG_MAX).
const fetchAll = math.MaxInt64

// cursor is one open SQL cursor of a session.
type cursor struct {
	name string
	cols types.Schema
	rows []types.Row
	// pos is the position: 0 before the first row, 1..len(rows) on a row,
	// len(rows)+1 after the last (Postgres' atStart / portalPos / atEnd).
	pos      int
	noScroll bool
	hold     bool
	// declaredInTxn is true until the declaring transaction commits: a
	// rollback removes even a WITH HOLD cursor.
	declaredInTxn bool
	// savepoints is how many savepoints were open at DECLARE: rolling back
	// to one of them closes the cursor.
	savepoints int
}

// declareCursor runs DECLARE name CURSOR FOR query.
func (sess *session) declareCursor(ctx context.Context, st parser.Statement, dc *pg_query.DeclareCursorStmt, paramTypes []*types.T, params []types.Datum, w pgwire.ResultWriter) error {
	hold := dc.Options&cursorOptHold != 0
	if !hold && !sess.inTxnBlock() {
		return types.Errorf(types.CodeNoActiveSQLTransaction, "DECLARE CURSOR can only be used in transaction blocks")
	}
	if dc.Options&cursorOptBinary != 0 {
		return types.Unsupported("DECLARE BINARY CURSOR")
	}
	if _, dup := sess.cursors[dc.Portalname]; dup {
		return types.Errorf(types.CodeDuplicateCursor, "cursor %q already exists", dc.Portalname)
	}
	if dc.Query == nil || dc.Query.GetSelectStmt() == nil {
		return types.Unsupported("DECLARE CURSOR for a statement other than SELECT")
	}
	node, err := sess.bindCheckedSelect(st, paramTypes, dc.Query)
	if err != nil {
		return err
	}
	cols := node.Columns()
	out := visible(cols)
	keep := visibleIdx(cols)
	regs := regColumns(out)
	ci := &catalogInfo{sess: sess}
	c := &cursor{
		name:          dc.Portalname,
		cols:          out,
		noScroll:      dc.Options&cursorOptNoScroll != 0,
		hold:          hold,
		declaredInTxn: true,
		savepoints:    len(sess.savepoints),
	}
	err = exec.Run(ctx, sess.env(params), node, func(r types.Row) error {
		row := make(types.Row, len(keep))
		for i, k := range keep {
			row[i] = r[k]
		}
		for _, i := range regs {
			row[i] = ci.regName(row[i], out[i].Type)
		}
		c.rows = append(c.rows, row.Copy())
		return nil
	})
	if err != nil {
		return err
	}
	if sess.cursors == nil {
		sess.cursors = map[string]*cursor{}
	}
	sess.cursors[c.name] = c
	return w.Complete("DECLARE CURSOR")
}

// inTxnBlock reports whether the statement runs inside a transaction
// block (explicit BEGIN or several statements in one Query message).
func (sess *session) inTxnBlock() bool { return sess.status != txnIdle }

// cursorColumns returns the result columns of FETCH on a cursor, for the
// extended protocol's Describe.
func (sess *session) cursorColumns(fs *pg_query.FetchStmt) (types.Schema, error) {
	if fs.Ismove {
		return nil, nil
	}
	c, ok := sess.cursors[fs.Portalname]
	if !ok {
		return nil, types.Errorf(types.CodeInvalidCursorName, "cursor %q does not exist", fs.Portalname)
	}
	return c.cols, nil
}

// fetchCursor runs FETCH and MOVE.
func (sess *session) fetchCursor(fs *pg_query.FetchStmt, w pgwire.ResultWriter, simple bool) error {
	c, ok := sess.cursors[fs.Portalname]
	if !ok {
		return types.Errorf(types.CodeInvalidCursorName, "cursor %q does not exist", fs.Portalname)
	}
	if !fs.Ismove && simple {
		if err := w.Columns(c.cols); err != nil {
			return err
		}
	}
	lo, hi, err := c.move(fs.Direction, fs.HowMany)
	if err != nil {
		return err
	}
	// lo..hi (1-based, inclusive) in the order they are returned; hi < lo
	// walks backward. n is the number of rows.
	n := 0
	if lo > 0 {
		step := 1
		if hi < lo {
			step = -1
		}
		for i := lo; ; i += step {
			n++
			if !fs.Ismove {
				if err := w.Row(c.rows[i-1]); err != nil {
					return err
				}
			}
			if i == hi {
				break
			}
		}
	}
	tag := "FETCH "
	if fs.Ismove {
		tag = "MOVE "
	}
	return w.Complete(tag + strconv.Itoa(n))
}

// move applies one FETCH/MOVE to the cursor's position and returns the
// rows it passes over, first and last (1-based; lo == 0 for none), as
// Postgres' PortalRunFetch does.
func (c *cursor) move(dir pg_query.FetchDirection, count int64) (lo, hi int, err error) {
	n := int64(len(c.rows))
	pos := int64(c.pos)
	target := func(p int64) (int, int, error) {
		// Position on row p (absolute); nothing when p is outside the rows.
		if p < pos && c.noScroll {
			return 0, 0, errCursorForwardOnly()
		}
		switch {
		case p < 1:
			c.pos = 0
			return 0, 0, nil
		case p > n:
			c.pos = int(n + 1)
			return 0, 0, nil
		}
		c.pos = int(p)
		return int(p), int(p), nil
	}
	switch dir {
	case pg_query.FetchDirection_FETCH_ABSOLUTE:
		switch {
		case count > 0:
			return target(min(count, n+1))
		case count < 0:
			if c.noScroll {
				// Postgres runs to the end, then fetches backward.
				return 0, 0, errCursorForwardOnly()
			}
			if count < -n-1 {
				count = -n - 1
			}
			return target(n + 1 + count)
		}
		return target(0)
	case pg_query.FetchDirection_FETCH_RELATIVE:
		if count == 0 {
			return c.current()
		}
		p := pos + count
		if count > 0 && (count > n+1 || p > n+1) {
			p = n + 1
		}
		if count < 0 && (count < -n-1 || p < 0) {
			p = 0
		}
		return target(p)
	case pg_query.FetchDirection_FETCH_BACKWARD:
		count = -count
		if count == -fetchAll {
			count = -n - 1
		}
	}
	// FORWARD (or BACKWARD, now a negative count): a count of 0 re-fetches
	// the current row.
	switch {
	case count == 0:
		return c.current()
	case count > 0:
		if pos > n {
			return 0, 0, nil
		}
		end := pos + count
		if count > n || end > n {
			end = n + 1
		}
		c.pos = int(end)
		last := min(end, n)
		if last < pos+1 {
			return 0, 0, nil
		}
		return int(pos + 1), int(last), nil
	default:
		if c.noScroll {
			return 0, 0, errCursorForwardOnly()
		}
		if pos < 1 {
			return 0, 0, nil
		}
		end := pos + count
		if count < -n || end < 0 {
			end = 0
		}
		c.pos = int(end)
		first := max(end, 1)
		if first > pos-1 {
			return 0, 0, nil
		}
		return int(pos - 1), int(first), nil
	}
}

// current is FETCH RELATIVE 0: the row the cursor is on, if any.
func (c *cursor) current() (int, int, error) {
	if c.pos >= 1 && c.pos <= len(c.rows) {
		if c.noScroll {
			// Postgres re-reads the row by stepping back one.
			return 0, 0, errCursorForwardOnly()
		}
		return c.pos, c.pos, nil
	}
	return 0, 0, nil
}

func errCursorForwardOnly() error {
	return withHint(types.Errorf(types.CodeObjectNotInPrerequisiteState, "cursor can only scan forward"), "Declare it with SCROLL option to enable backward scan.")
}

// closeCursor runs CLOSE name and CLOSE ALL.
func (sess *session) closeCursor(cp *pg_query.ClosePortalStmt, w pgwire.ResultWriter) error {
	if cp.Portalname == "" {
		sess.cursors = nil
		return w.Complete("CLOSE CURSOR ALL")
	}
	if _, ok := sess.cursors[cp.Portalname]; !ok {
		return types.Errorf(types.CodeInvalidCursorName, "cursor %q does not exist", cp.Portalname)
	}
	delete(sess.cursors, cp.Portalname)
	return w.Complete("CLOSE CURSOR")
}

// endCursorsTxn closes the cursors that end with the transaction: all but
// WITH HOLD ones at COMMIT, and at ROLLBACK also WITH HOLD ones declared in
// the rolled-back transaction.
func (sess *session) endCursorsTxn(commit bool) {
	for name, c := range sess.cursors {
		if !c.hold || (!commit && c.declaredInTxn) {
			delete(sess.cursors, name)
			continue
		}
		c.declaredInTxn = false
	}
}

// closeCursorsAfterSavepoint closes, at ROLLBACK TO the i-th savepoint,
// the cursors declared after it (their position changes are kept, as in
// Postgres).
func (sess *session) closeCursorsAfterSavepoint(i int) {
	for name, c := range sess.cursors {
		if c.declaredInTxn && c.savepoints > i {
			delete(sess.cursors, name)
		}
	}
}
