package planner

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/types"
)

// BindMaterializedView binds the query of CREATE MATERIALIZED VIEW with the
// normal binder, then rewrites and validates it for incremental maintenance
// (StreamPlan).
func (b *Binder) BindMaterializedView(n *pg_query.Node) (Node, error) {
	node, err := b.BindSelect(n)
	if err != nil {
		return nil, err
	}
	return StreamPlan(node)
}

// StreamPlan rewrites a bound query into the shape a standing dataflow
// maintains, or refuses it with 0A000 naming the construct:
//
//   - ORDER BY without LIMIT is dropped (a view is a set; order is the
//     reader's business); ORDER BY ... LIMIT/OFFSET stays as Limit over Sort,
//     which the dataflow runs as a retractable top-N. LIMIT without ORDER
//     BY is refused: which rows it keeps is not deterministic.
//   - IN / NOT IN over an uncorrelated subquery, and EXISTS / NOT EXISTS
//     (correlated through equality predicates or not) in a WHERE
//     conjunction become semi and anti joins; other subqueries are refused.
//   - Volatile functions (random(), nextval()) and the clock functions
//     (now(), current_timestamp...) are refused: their value at maintenance
//     time differs from the value a re-run of the query would see.
//   - System tables, DISTINCT ON, parameters and LIMIT without ORDER BY are
//     refused.
//
// Window functions stay: the window operator maintains a partition under
// retractions (it recomputes changed partitions and emits the difference),
// so ROW_NUMBER() ... filtered by rn <= N is a grouped top-N.
func StreamPlan(node Node) (Node, error) {
	out, err := streamRewrite(node)
	if err != nil {
		return nil, err
	}
	if err := validateStream(out); err != nil {
		return nil, err
	}
	if err := checkProctime(out); err != nil { // stream_proctime.go
		return nil, err
	}
	return markIntervalJoins(out), nil // stream_interval_join.go
}

func streamRewrite(node Node) (Node, error) {
	switch n := node.(type) {
	case *Scan, *Values, *FuncScan:
		return node, nil
	case *VirtualScan:
		return nil, unsupported("system table %s in a materialized view", n.Name)
	case *Filter:
		in, err := streamRewrite(n.Input)
		if err != nil {
			return nil, err
		}
		return rewriteFilterSubqueries(in, n.Pred)
	case *Project, *ProjectSet, *Join, *Aggregate:
		return streamRewriteInputs(node)
	case *Distinct:
		if len(n.On) > 0 {
			return nil, unsupported("DISTINCT ON in a materialized view")
		}
		in, err := streamRewrite(n.Input)
		if err != nil {
			return nil, err
		}
		return &Distinct{Input: in}, nil
	case *Sort:
		// Ordering alone means nothing for a stored set.
		return streamRewrite(n.Input)
	case *Limit:
		s, ok := n.Input.(*Sort)
		if !ok {
			return nil, unsupported("LIMIT without ORDER BY in a materialized view")
		}
		for _, e := range []Expr{n.Count, n.Offset} {
			if e == nil {
				continue
			}
			if _, ok := e.(*Const); !ok {
				return nil, unsupported("LIMIT or OFFSET that is not a constant in a materialized view")
			}
		}
		in, err := streamRewrite(s.Input)
		if err != nil {
			return nil, err
		}
		return &Limit{Input: &Sort{Input: in, Keys: s.Keys}, Count: n.Count, Offset: n.Offset}, nil
	case *SetOp, *Window:
		return streamRewriteInputs(node)
	}
	return nil, unsupported("plan node %T in a materialized view", node)
}

// rewriteFilterSubqueries turns the subquery conjuncts of a WHERE clause
// into semi/anti joins over in; the other conjuncts stay a Filter below
// them.
func rewriteFilterSubqueries(in Node, pred Expr) (Node, error) {
	var plain []Expr
	type subJoin struct {
		sq      *Subquery
		negated bool
	}
	var joins []subJoin
	for _, c := range conjuncts(pred) {
		negated := false
		x := c
		if n, ok := x.(*Not); ok {
			negated, x = true, n.Arg
		}
		if sq, ok := x.(*Subquery); ok {
			joins = append(joins, subJoin{sq, negated})
			continue
		}
		plain = append(plain, c)
	}
	out := in
	if len(plain) > 0 {
		out = &Filter{Input: in, Pred: andOf(plain)}
	}
	for _, j := range joins {
		var err error
		if out, err = subqueryJoin(out, j.sq, j.negated); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// subqueryJoin joins left with the rows of a WHERE subquery: EXISTS and IN
// become semi joins, NOT EXISTS an anti join and NOT IN a null-aware anti
// join.
func subqueryJoin(left Node, sq *Subquery, negated bool) (Node, error) {
	leftCols := left.Columns()
	switch sq.Kind {
	case SubqueryExists:
		right, lkeys, rkeys, on, err := decorrelate(sq.Plan, len(leftCols))
		if err != nil {
			return nil, err
		}
		if right, err = streamRewrite(right); err != nil {
			return nil, err
		}
		kind := SemiJoin
		if negated {
			kind = AntiJoin
		}
		return &Join{Kind: kind, Left: left, Right: right, LeftKeys: lkeys, RightKeys: rkeys, On: on, Cols: leftCols}, nil
	case SubqueryAny, SubqueryAll:
		if sq.Correlated {
			return nil, unsupported("correlated IN subquery in a materialized view (use EXISTS)")
		}
		in := sq.Kind == SubqueryAny && sq.Cmp != nil && sq.Cmp.Name == "=" && !negated
		notIn := sq.Cmp != nil && (sq.Kind == SubqueryAll && sq.Cmp.Name == "<>" && !negated ||
			sq.Kind == SubqueryAny && sq.Cmp.Name == "=" && negated)
		if !in && !notIn {
			return nil, unsupported("ANY/ALL subquery other than IN / NOT IN in a materialized view")
		}
		right, err := streamRewrite(sq.Plan)
		if err != nil {
			return nil, err
		}
		rt := right.Columns()[0].Type
		if rt.Family != sq.Test.Type().Family {
			return nil, unsupported("IN subquery comparing %s with %s in a materialized view", sq.Test.Type().String(), rt.String())
		}
		// Compute the tested expression as an extra left column, join on
		// it, then project it away.
		w := len(leftCols)
		ext := &Project{Input: left}
		for i, c := range leftCols {
			ext.Exprs = append(ext.Exprs, &ColRef{Idx: i, Typ: c.Type})
			ext.Cols = append(ext.Cols, c)
		}
		ext.Exprs = append(ext.Exprs, sq.Test)
		ext.Cols = append(ext.Cols, types.Column{Name: "?in?", Type: sq.Test.Type(), Hidden: true})
		kind := SemiJoin
		if notIn {
			kind = AntiJoin
		}
		j := &Join{Kind: kind, Left: ext, Right: right, LeftKeys: []int{w}, RightKeys: []int{0}, NullAware: notIn, Cols: ext.Cols}
		back := &Project{Input: j, Cols: leftCols}
		for i, c := range leftCols {
			back.Exprs = append(back.Exprs, &ColRef{Idx: i, Typ: c.Type})
		}
		return back, nil
	}
	return nil, unsupported("scalar or ARRAY subquery in a materialized view")
}

// decorrelate splits the plan of an EXISTS subquery into the right side of
// a join and the join condition. Projections and sorts on top are dropped
// (EXISTS ignores the columns); a Filter on top gives its conjuncts of the
// form inner_col = outer_col as join keys and its other conjuncts with
// outer references as the residual condition over (left row, right row).
// Any outer reference left elsewhere is refused.
func decorrelate(plan Node, leftWidth int) (right Node, lkeys, rkeys []int, on Expr, err error) {
	for {
		switch n := plan.(type) {
		case *Project:
			plan = n.Input
			continue
		case *Sort:
			plan = n.Input
			continue
		}
		break
	}
	f, ok := plan.(*Filter)
	if !ok {
		return plan, nil, nil, nil, nil
	}
	var keep, residual []Expr
	for _, c := range conjuncts(f.Pred) {
		if !hasOuterRef(c) {
			keep = append(keep, c)
			continue
		}
		if fn, ok := c.(*Func); ok && fn.Fn != nil && fn.Fn.Name == "=" && len(fn.Args) == 2 {
			inner, outer := equalityRefs(fn.Args[0], fn.Args[1])
			if inner == nil {
				inner, outer = equalityRefs(fn.Args[1], fn.Args[0])
			}
			if inner != nil && inner.Typ.Family == outer.Typ.Family {
				lkeys = append(lkeys, outer.Idx)
				rkeys = append(rkeys, inner.Idx)
				continue
			}
		}
		moved, err := mapExpr(c, func(x Expr) (Expr, bool, error) {
			switch x := x.(type) {
			case *OuterRef:
				if x.Depth != 1 {
					return nil, false, unsupported("subquery correlated more than one level out in a materialized view")
				}
				return &ColRef{Idx: x.Idx, Typ: x.Typ}, true, nil
			case *ColRef:
				return &ColRef{Idx: x.Idx + leftWidth, Typ: x.Typ}, true, nil
			case *Subquery:
				return nil, false, unsupported("nested correlated subquery in a materialized view")
			}
			return nil, false, nil
		})
		if err != nil {
			return nil, nil, nil, nil, err
		}
		residual = append(residual, moved)
	}
	right = f.Input
	if len(keep) > 0 {
		right = &Filter{Input: f.Input, Pred: andOf(keep)}
	}
	return right, lkeys, rkeys, andOf(residual), nil
}

func equalityRefs(a, b Expr) (*ColRef, *OuterRef) {
	c, ok1 := a.(*ColRef)
	o, ok2 := b.(*OuterRef)
	if ok1 && ok2 && o.Depth == 1 {
		return c, o
	}
	return nil, nil
}

func hasOuterRef(e Expr) bool {
	found := false
	walkExpr(e, func(x Expr) bool {
		switch x.(type) {
		case *OuterRef:
			found = true
		case *Subquery:
			// A nested subquery may refer out through us: treat it as
			// correlated so it is refused rather than mis-planned.
			if x.(*Subquery).Correlated {
				found = true
			}
		}
		return !found
	})
	return found
}

// clockFunctions are stable functions whose value changes with time.
var clockFunctions = map[string]bool{
	"now": true, "current_timestamp": true, "current_date": true, "current_time": true,
	"localtime": true, "localtimestamp": true, "statement_timestamp": true,
	"transaction_timestamp": true, "clock_timestamp": true, "timeofday": true,
}

// validateStream checks every expression of a rewritten plan.
func validateStream(node Node) error {
	var err error
	check := func(e Expr) {
		if err != nil || e == nil {
			return
		}
		err = checkStreamExpr(e)
	}
	checks := func(es []Expr) {
		for _, e := range es {
			check(e)
		}
	}
	switch n := node.(type) {
	case *Values:
		for _, r := range n.Rows {
			checks(r)
		}
	case *FuncScan:
		err = checkFn(n.Fn)
		checks(n.Args)
	case *Filter:
		check(n.Pred)
	case *Project:
		checks(n.Exprs)
	case *ProjectSet:
		for _, s := range n.SRFs {
			if err == nil {
				err = validateStream(s)
			}
		}
	case *Join:
		check(n.On)
	case *Limit:
		check(n.Count)
		check(n.Offset)
	}
	if err != nil {
		return err
	}
	for _, in := range Inputs(node) {
		if err := validateStream(in); err != nil {
			return err
		}
	}
	return nil
}

func checkFn(fn *builtins.Overload) error {
	if fn == nil {
		return nil
	}
	if fn.Volatility == builtins.Volatile && fn.Name != "proctime" { // see stream_proctime.go
		return unsupported("volatile function %s() in a materialized view", fn.Name)
	}
	if clockFunctions[fn.Name] {
		return unsupported("function %s() in a materialized view (its value changes with time)", fn.Name)
	}
	return nil
}

func checkStreamExpr(e Expr) error {
	var err error
	walkExpr(e, func(x Expr) bool {
		switch x := x.(type) {
		case *Func:
			err = checkFn(x.Fn)
		case *Subquery:
			err = unsupported("subquery in this position of a materialized view")
		case *OuterRef:
			err = unsupported("correlated subquery of this shape in a materialized view")
		case *Param:
			err = types.Errorf(types.CodeUndefinedParameter, "there is no parameter $%d", x.Idx+1)
		}
		return err == nil
	})
	return err
}

// Inputs returns the child plan nodes of node.
func Inputs(node Node) []Node {
	switch n := node.(type) {
	case *Filter:
		return []Node{n.Input}
	case *Project:
		return []Node{n.Input}
	case *ProjectSet:
		return []Node{n.Input}
	case *Join:
		return []Node{n.Left, n.Right}
	case *Aggregate:
		return []Node{n.Input}
	case *Distinct:
		return []Node{n.Input}
	case *Sort:
		return []Node{n.Input}
	case *Limit:
		return []Node{n.Input}
	case *SetOp:
		return []Node{n.Left, n.Right}
	case *Window:
		return []Node{n.Input}
	}
	return nil
}

// streamRewriteInputs rewrites every input of node and returns a shallow
// copy of node over the rewritten inputs.
func streamRewriteInputs(node Node) (Node, error) {
	ins := Inputs(node)
	out := make([]Node, len(ins))
	for i, in := range ins {
		r, err := streamRewrite(in)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return withInputs(node, out), nil
}

// withInputs returns a shallow copy of node whose inputs are ins (in the
// order Inputs lists them).
func withInputs(node Node, ins []Node) Node {
	switch n := node.(type) {
	case *Filter:
		c := *n
		c.Input = ins[0]
		return &c
	case *Project:
		c := *n
		c.Input = ins[0]
		return &c
	case *ProjectSet:
		c := *n
		c.Input = ins[0]
		return &c
	case *Join:
		c := *n
		c.Left, c.Right = ins[0], ins[1]
		return &c
	case *Aggregate:
		c := *n
		c.Input = ins[0]
		return &c
	case *Distinct:
		c := *n
		c.Input = ins[0]
		return &c
	case *Sort:
		c := *n
		c.Input = ins[0]
		return &c
	case *Limit:
		c := *n
		c.Input = ins[0]
		return &c
	case *SetOp:
		c := *n
		c.Left, c.Right = ins[0], ins[1]
		return &c
	case *Window:
		c := *n
		c.Input = ins[0]
		return &c
	}
	return node
}

// StreamSources lists the table OIDs a (stream) plan scans, once each in
// first-seen order.
func StreamSources(node Node) []uint32 {
	var out []uint32
	seen := map[uint32]bool{}
	var walk func(Node)
	walk = func(n Node) {
		if s, ok := n.(*Scan); ok && !seen[s.Table.ID] {
			seen[s.Table.ID] = true
			out = append(out, s.Table.ID)
		}
		for _, in := range Inputs(n) {
			walk(in)
		}
	}
	walk(node)
	return out
}

var _ = fmt.Sprintf
