package server

import (
	"context"
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/sql/exec"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
	"github.com/streamdb/streamdb/state"
)

// bindCheckedSelect binds the SELECT query of statement st (its AST, or a
// query inside it such as DECLARE's or COPY's) and checks the session's
// privileges on everything it reads.
func (sess *session) bindCheckedSelect(st parser.Statement, paramTypes []*types.T, query *pg_query.Node) (planner.Node, error) {
	b := sess.binder(st, paramTypes)
	node, err := b.BindSelect(query)
	if err != nil {
		return nil, err
	}
	if err := sess.checkAccess(b); err != nil { // privileges.go
		return nil, err
	}
	return node, nil
}

func (sess *session) runSelect(ctx context.Context, st parser.Statement, paramTypes []*types.T, params []types.Datum, w pgwire.ResultWriter, simple bool) error {
	var node planner.Node
	var err error
	if simple {
		node, err = sess.bindCheckedSelect(st, paramTypes, st.AST)
	} else {
		node, err = sess.preparedSelect(st, paramTypes) // lookup_plan.go: bound once per catalog version
	}
	if err != nil {
		return err
	}
	cols := node.Columns()
	out := visible(cols)
	if simple {
		if err := w.Columns(out); err != nil {
			return err
		}
	}
	// Hidden columns (order-by helpers) never reach the top of a bound
	// query; still, project them away defensively.
	keep := visibleIdx(cols)
	row := make(types.Row, len(keep))
	regs := regColumns(out)
	ci := &catalogInfo{sess: sess}
	n := 0
	err = exec.Run(ctx, sess.env(params), node, func(r types.Row) error {
		n++
		if len(keep) == len(r) && regs == nil {
			return w.Row(r)
		}
		for i, k := range keep {
			row[i] = r[k]
		}
		for _, i := range regs {
			row[i] = ci.regName(row[i], out[i].Type)
		}
		return w.Row(row)
	})
	if err != nil {
		return err
	}
	return w.Complete(fmt.Sprintf("SELECT %d", n))
}

func visibleIdx(cols types.Schema) []int {
	out := make([]int, 0, len(cols))
	for i, c := range cols {
		if !c.Hidden {
			out = append(out, i)
		}
	}
	return out
}

// collect runs a plan and returns copies of its rows.
func (sess *session) collect(ctx context.Context, env *exec.Env, node planner.Node) ([]types.Row, error) {
	var rows []types.Row
	err := exec.Run(ctx, env, node, func(r types.Row) error {
		rows = append(rows, r.Copy())
		return nil
	})
	return rows, err
}

// writer applies the rows of a DML statement to one table, keeping its
// constraints.
type writer struct {
	sess      *session
	ctx       context.Context
	env       *exec.Env
	desc      *catalog.Descriptor
	checks    []*exec.Compiled
	checkName []string
	rowIDSlot int
	returning []*exec.Compiled
	retCols   types.Schema
	w         pgwire.ResultWriter
	keyBuf    []byte
	// freshRowID is set by key when it allocated a new row id.
	freshRowID bool
}

func (sess *session) newWriter(ctx context.Context, env *exec.Env, t planner.DMLTarget, ret *planner.Returning, w pgwire.ResultWriter, simple bool) (*writer, error) {
	if err := refuseSourceWrites(t.Desc); err != nil { // kafka_ddl.go
		return nil, err
	}
	wr := &writer{sess: sess, ctx: ctx, env: env, desc: t.Desc, checkName: t.CheckNames, rowIDSlot: -1, w: w}
	for _, c := range t.Checks {
		ce, err := exec.Compile(c)
		if err != nil {
			return nil, err
		}
		wr.checks = append(wr.checks, ce)
	}
	if len(t.Desc.PrimaryKey) == 0 {
		for i := range t.Desc.Columns {
			if t.Desc.Columns[i].Hidden {
				wr.rowIDSlot = i
			}
		}
	}
	if ret != nil {
		for _, e := range ret.Exprs {
			ce, err := exec.Compile(e)
			if err != nil {
				return nil, err
			}
			wr.returning = append(wr.returning, ce)
		}
		wr.retCols = ret.Cols
		if simple {
			if err := w.Columns(ret.Cols); err != nil {
				return nil, err
			}
		}
	}
	return wr, nil
}

// validate checks NOT NULL and CHECK constraints of a new physical row.
func (wr *writer) validate(row types.Row) error {
	d := wr.desc
	for i := range d.Columns {
		c := &d.Columns[i]
		if c.Dropped || c.Hidden {
			continue
		}
		if row[i].IsNull() && (c.NotNull || isPK(d, i)) {
			return withDetail(types.Errorf(types.CodeNotNullViolation, "null value in column %q of relation %q violates not-null constraint", c.Name, d.Name), "Failing row contains "+wr.rowText(row)+".")
		}
	}
	for k, ce := range wr.checks {
		v, err := ce.Eval(wr.ctx, wr.env, row)
		if err != nil {
			return err
		}
		if !v.IsNull() && !v.Bool() {
			return withDetail(types.Errorf(types.CodeCheckViolation, "new row for relation %q violates check constraint %q", d.Name, wr.checkName[k]), "Failing row contains "+wr.rowText(row)+".")
		}
	}
	return nil
}

func isPK(d *catalog.Descriptor, slot int) bool {
	for _, s := range d.PrimaryKey {
		if s == slot {
			return true
		}
	}
	return false
}

// rowText renders a row as Postgres' "Failing row contains (...)".
func (wr *writer) rowText(row types.Row) string {
	var sb strings.Builder
	sb.WriteByte('(')
	first := true
	for i := range wr.desc.Columns {
		c := &wr.desc.Columns[i]
		if c.Dropped || c.Hidden {
			continue
		}
		if !first {
			sb.WriteString(", ")
		}
		first = false
		if row[i].IsNull() {
			sb.WriteString("null")
		} else {
			sb.Write(types.AppendText(nil, row[i], c.Type(), wr.sess.settings.location()))
		}
	}
	sb.WriteByte(')')
	return sb.String()
}

// key returns the storage key of a physical row, assigning the row id of a
// table without a primary key when it has none yet.
func (wr *writer) key(row types.Row) ([]byte, error) {
	wr.freshRowID = false
	if wr.rowIDSlot >= 0 {
		if row[wr.rowIDSlot].IsNull() {
			wr.freshRowID = true
			id, err := wr.sess.srv.tables.NextRowID(wr.desc.OID)
			if err != nil {
				return nil, err
			}
			row[wr.rowIDSlot] = types.DInt(id)
		}
		return state.RowIDKey(row[wr.rowIDSlot].Int()), nil
	}
	return state.PrimaryKey(nil, row, wr.desc.PrimaryKey), nil
}

func (wr *writer) emitReturning(row types.Row) error {
	if wr.returning == nil {
		return nil
	}
	out := make(types.Row, len(wr.returning))
	for i, ce := range wr.returning {
		v, err := ce.Eval(wr.ctx, wr.env, row)
		if err != nil {
			return err
		}
		out[i] = v
	}
	return wr.w.Row(out)
}

func (wr *writer) duplicateError(row types.Row) error {
	d := wr.desc
	var names, vals []string
	for _, s := range d.PrimaryKey {
		names = append(names, d.Columns[s].Name)
		vals = append(vals, string(types.AppendText(nil, row[s], d.Columns[s].Type(), wr.sess.settings.location())))
	}
	pk := d.PKName
	if pk == "" {
		pk = d.Name + "_pkey"
	}
	return withDetail(types.Errorf(types.CodeUniqueViolation, "duplicate key value violates unique constraint %q", pk),
		fmt.Sprintf("Key (%s)=(%s) already exists.", strings.Join(names, ", "), strings.Join(vals, ", ")))
}

// dmlRows runs the source of a write statement (collecting its rows before
// any write, so a statement never sees its own changes) and prepares the
// writer of its target table.
func (sess *session) dmlRows(ctx context.Context, b *planner.Binder, params []types.Datum, source planner.Node, t planner.DMLTarget, ret *planner.Returning, w pgwire.ResultWriter, simple bool) (*exec.Env, []types.Row, *writer, error) {
	if err := sess.checkAccess(b); err != nil { // privileges.go
		return nil, nil, nil, err
	}
	env := sess.env(params)
	rows, err := sess.collect(ctx, env, source)
	if err != nil {
		return nil, nil, nil, err
	}
	wr, err := sess.newWriter(ctx, env, t, ret, w, simple)
	if err != nil {
		return nil, nil, nil, err
	}
	return env, rows, wr, nil
}

func (sess *session) runInsert(ctx context.Context, st parser.Statement, paramTypes []*types.T, params []types.Datum, w pgwire.ResultWriter, simple bool) error {
	b := sess.binder(st, paramTypes)
	plan, err := b.BindInsert(st.AST.GetInsertStmt())
	if err != nil {
		return err
	}
	_, rows, wr, err := sess.dmlRows(ctx, b, params, plan.Source, plan.Target, plan.Returning, w, simple)
	if err != nil {
		return err
	}
	n, err := wr.insertRows(rows, plan.OnConflict)
	if err != nil {
		return err
	}
	return w.Complete(fmt.Sprintf("INSERT 0 %d", n))
}

// insertRows inserts physical rows, honouring ON CONFLICT.
func (wr *writer) insertRows(rows []types.Row, oc *planner.OnConflictPlan) (int, error) {
	tx := wr.sess.txn
	oid := wr.desc.OID
	var set []*exec.Compiled
	var where *exec.Compiled
	if oc != nil && !oc.DoNothing {
		for _, e := range oc.Set {
			ce, err := exec.Compile(e)
			if err != nil {
				return 0, err
			}
			set = append(set, ce)
		}
		if oc.Where != nil {
			ce, err := exec.Compile(oc.Where)
			if err != nil {
				return 0, err
			}
			where = ce
		}
	}
	n := 0
	// touched detects ON CONFLICT DO UPDATE changing one row twice; plain
	// inserts (COPY included) skip the per-row bookkeeping.
	var touched map[string]bool
	if set != nil {
		touched = map[string]bool{}
	}
	for _, row := range rows {
		if err := wr.ctx.Err(); err != nil {
			return 0, cancelError()
		}
		if err := wr.validate(row); err != nil {
			return 0, err
		}
		key, err := wr.key(row)
		if err != nil {
			return 0, err
		}
		if oc != nil {
			existing, found, err := tx.Get(oid, key)
			if err != nil {
				return 0, err
			}
			if found {
				if oc.DoNothing {
					continue
				}
				if touched[string(key)] {
					return 0, withHint(types.Errorf(types.CodeCardinalityViolation, "ON CONFLICT DO UPDATE command cannot affect row a second time"), "Ensure that no rows proposed for insertion within the same command have duplicate constrained values.")
				}
				combined := append(append(types.Row{}, existing...), row...)
				if where != nil {
					v, err := where.Eval(wr.ctx, wr.env, combined)
					if err != nil {
						return 0, err
					}
					if v.IsNull() || !v.Bool() {
						continue
					}
				}
				updated := make(types.Row, len(set))
				for i, ce := range set {
					if updated[i], err = ce.Eval(wr.ctx, wr.env, combined); err != nil {
						return 0, err
					}
				}
				if err := wr.validate(updated); err != nil {
					return 0, err
				}
				newKey, err := wr.key(updated)
				if err != nil {
					return 0, err
				}
				if string(newKey) != string(key) {
					if err := tx.Delete(oid, key, existing); err != nil {
						return 0, err
					}
					if err := tx.Insert(oid, newKey, updated); err != nil {
						return 0, wr.mapDup(err, updated)
					}
				} else if err := tx.Update(oid, key, existing, updated); err != nil {
					return 0, err
				}
				if err := wr.indexUpdate(existing, newKey, updated); err != nil {
					return 0, err
				}
				touched[string(newKey)] = true
				n++
				if err := wr.emitReturning(updated); err != nil {
					return 0, err
				}
				continue
			}
		}
		if wr.freshRowID {
			// A row id just allocated cannot exist: skip the lookup.
			err = tx.InsertFresh(oid, key, row)
		} else {
			err = tx.Insert(oid, key, row)
		}
		if err != nil {
			return 0, wr.mapDup(err, row)
		}
		if err := wr.indexInsert(key, row); err != nil {
			return 0, err
		}
		if touched != nil {
			touched[string(key)] = true
		}
		n++
		if err := wr.emitReturning(row); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func (wr *writer) mapDup(err error, row types.Row) error {
	if types.Code(err) == types.CodeUniqueViolation && len(wr.desc.PrimaryKey) > 0 {
		return wr.duplicateError(row)
	}
	return err
}

func (sess *session) runUpdate(ctx context.Context, st parser.Statement, paramTypes []*types.T, params []types.Datum, w pgwire.ResultWriter, simple bool) error {
	b := sess.binder(st, paramTypes)
	plan, err := b.BindUpdate(st.AST.GetUpdateStmt())
	if err != nil {
		return err
	}
	env, rows, wr, err := sess.dmlRows(ctx, b, params, plan.Source, plan.Target, plan.Returning, w, simple)
	if err != nil {
		return err
	}
	set := make([]*exec.Compiled, len(plan.Set))
	for i, e := range plan.Set {
		if set[i], err = exec.Compile(e); err != nil {
			return err
		}
	}
	tx := sess.txn
	oid := plan.Target.Desc.OID
	width := len(plan.Target.Desc.Columns)
	seen := map[string]bool{}
	type change struct {
		oldKey, newKey []byte
		old, new       types.Row
	}
	var changes []change
	for _, src := range rows {
		old := src[:width]
		oldKey, err := wr.key(old)
		if err != nil {
			return err
		}
		if seen[string(oldKey)] {
			continue // UPDATE ... FROM matched the row twice: first wins
		}
		seen[string(oldKey)] = true
		nr := make(types.Row, width)
		for i, ce := range set {
			if nr[i], err = ce.Eval(ctx, env, src); err != nil {
				return err
			}
		}
		if err := wr.validate(nr); err != nil {
			return err
		}
		newKey, err := wr.key(nr)
		if err != nil {
			return err
		}
		changes = append(changes, change{oldKey, newKey, old, nr})
	}
	// Deletes of moved keys first, so that swapping keys within one
	// statement does not collide.
	for _, c := range changes {
		if string(c.oldKey) != string(c.newKey) {
			if err := tx.Delete(oid, c.oldKey, c.old); err != nil {
				return err
			}
		}
		if err := wr.indexDelete(c.old); err != nil {
			return err
		}
	}
	for _, c := range changes {
		if string(c.oldKey) != string(c.newKey) {
			if err := tx.Insert(oid, c.newKey, c.new); err != nil {
				return wr.mapDup(err, c.new)
			}
		} else if err := tx.Update(oid, c.oldKey, c.old, c.new); err != nil {
			return err
		}
		if err := wr.indexInsert(c.newKey, c.new); err != nil {
			return err
		}
		if err := wr.emitReturning(c.new); err != nil {
			return err
		}
	}
	return w.Complete(fmt.Sprintf("UPDATE %d", len(changes)))
}

func (sess *session) runDelete(ctx context.Context, st parser.Statement, paramTypes []*types.T, params []types.Datum, w pgwire.ResultWriter, simple bool) error {
	b := sess.binder(st, paramTypes)
	plan, err := b.BindDelete(st.AST.GetDeleteStmt())
	if err != nil {
		return err
	}
	_, rows, wr, err := sess.dmlRows(ctx, b, params, plan.Source, plan.Target, plan.Returning, w, simple)
	if err != nil {
		return err
	}
	width := len(plan.Target.Desc.Columns)
	seen := map[string]bool{}
	n := 0
	for _, src := range rows {
		old := src[:width]
		key, err := wr.key(old)
		if err != nil {
			return err
		}
		if seen[string(key)] {
			continue
		}
		seen[string(key)] = true
		if err := sess.txn.Delete(plan.Target.Desc.OID, key, old); err != nil {
			return err
		}
		if err := wr.indexDelete(old); err != nil {
			return err
		}
		n++
		if err := wr.emitReturning(old); err != nil {
			return err
		}
	}
	return w.Complete(fmt.Sprintf("DELETE %d", n))
}

func cancelError() error {
	return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
}

// regColumns lists the output columns of OID alias types (regclass,
// regtype, ...), whose text output is a name, not a number.
func regColumns(cols types.Schema) []int {
	var out []int
	for i, c := range cols {
		switch c.Type.Oid {
		case types.OidRegClass, types.OidRegType, types.OidRegNamespace, types.OidRegRole, types.OidRegProc, types.OidRegProcedure:
			out = append(out, i)
		}
	}
	return out
}
