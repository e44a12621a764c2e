package planner

// proctime() in a materialized view.
//
// proctime() is the wall-clock time at which a row is processed. In a view
// it means what it means in RisingWave: the time the row entered the
// dataflow, evaluated once, when the row is ingested, and carried with the
// row from then on. The projection that calls it runs once per input row;
// everything downstream (a TUMBLE over the stamped column, the aggregate of
// Nexmark q12) sees and persists the stamped value, so a restart restores
// the stamps from operator state instead of re-reading the clock, and the
// view's contents never change for rows it has already processed.
//
// That only holds if no row ever has to be evaluated a second time: a
// retraction (a DELETE or UPDATE of a table row, an aggregate revising its
// output) would re-read the clock and retract a row that was never
// emitted. So proctime() is accepted only in a projection whose input is
// append-only (sources, and filters, projections and inner joins of
// sources); anywhere else the view is refused with 0A000.

// OptionAppendOnly is the catalog option that marks an append-only
// relation (CREATE SOURCE): rows are appended, never updated or deleted.
const OptionAppendOnly = "streamdb.append_only"

// checkProctime refuses proctime() calls that could be evaluated twice for
// the same row (see above).
func checkProctime(node Node) error {
	var err error
	visit := func(es []Expr, allowed bool, where string) {
		for _, e := range es {
			if err != nil || e == nil || !callsProctime(e) {
				continue
			}
			if !allowed {
				err = unsupported("proctime() %s in a materialized view (only in a select list over an append-only source, where it is evaluated once per row)", where)
			}
		}
	}
	switch n := node.(type) {
	case *Project:
		visit(n.Exprs, appendOnly(n.Input), "over an input that can retract rows (a table, or an aggregate)")
	case *Filter:
		visit([]Expr{n.Pred}, false, "in WHERE")
	case *Join:
		visit([]Expr{n.On}, false, "in a join condition")
	case *Values:
		for _, r := range n.Rows {
			visit(r, false, "in VALUES")
		}
	case *FuncScan:
		visit(n.Args, false, "as a function argument in FROM")
	case *Limit:
		visit([]Expr{n.Count, n.Offset}, false, "in LIMIT")
	}
	if err != nil {
		return err
	}
	for _, in := range Inputs(node) {
		if err := checkProctime(in); err != nil {
			return err
		}
	}
	if ps, ok := node.(*ProjectSet); ok {
		for _, s := range ps.SRFs {
			if err := checkProctime(s); err != nil {
				return err
			}
		}
	}
	return nil
}

func callsProctime(e Expr) bool {
	found := false
	walkExpr(e, func(x Expr) bool {
		if f, ok := x.(*Func); ok && f.Fn != nil && f.Fn.Name == "proctime" {
			found = true
		}
		return !found
	})
	return found
}

// appendOnly reports whether node only ever emits inserts.
func appendOnly(node Node) bool {
	switch n := node.(type) {
	case *Scan:
		return n.Table.AppendOnly
	case *Filter:
		return appendOnly(n.Input)
	case *Project:
		return appendOnly(n.Input)
	case *ProjectSet:
		return appendOnly(n.Input)
	case *Join:
		return n.Kind == InnerJoin && appendOnly(n.Left) && appendOnly(n.Right)
	}
	return false
}
