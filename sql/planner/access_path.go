package planner

import (
	"fmt"
	"strings"

	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/types"
)

// withKeyLookup gives the Scan under f a KeyPrefix when f's conjuncts
// equate a leading run of the relation's key columns (TableRef.KeySlots)
// to values that do not depend on the row: the scan then reads only the
// rows whose stored key starts with those values instead of every row.
// The Filter stays as it is, so the result never depends on the lookup:
// it only narrows what is read. f is returned unchanged when no prefix
// applies.
func withKeyLookup(f *Filter) *Filter {
	s, ok := f.Input.(*Scan)
	if !ok || len(s.Table.KeySlots) == 0 || len(s.KeyPrefix) > 0 {
		return f
	}
	// The value each physical slot is equated to, if any.
	bySlot := map[int]Expr{}
	for _, c := range conjuncts(f.Pred) {
		col, val, ok := keyEquality(c)
		if !ok || col.Idx >= len(s.Phys) {
			continue
		}
		if _, seen := bySlot[s.Phys[col.Idx]]; !seen && lookupCompatible(col.Typ, val.Type()) {
			bySlot[s.Phys[col.Idx]] = val
		}
	}
	var prefix []Expr
	for _, slot := range s.Table.KeySlots {
		v, ok := bySlot[slot]
		if !ok {
			break
		}
		prefix = append(prefix, v)
	}
	if len(prefix) == 0 {
		return f
	}
	ns := *s
	ns.KeyPrefix = prefix
	return &Filter{Input: &ns, Pred: f.Pred}
}

// keyEquality matches `column = value` (either way round) where value is a
// constant or a parameter, possibly under a cast: something evaluated once
// per statement gives the same answer the Filter sees on every row.
func keyEquality(e Expr) (*ColRef, Expr, bool) {
	fn, ok := e.(*Func)
	if !ok || fn.Fn == nil || fn.Fn.Name != "=" || len(fn.Args) != 2 {
		return nil, nil, false
	}
	if c, ok := fn.Args[0].(*ColRef); ok && rowIndependent(fn.Args[1]) {
		return c, fn.Args[1], true
	}
	if c, ok := fn.Args[1].(*ColRef); ok && rowIndependent(fn.Args[0]) {
		return c, fn.Args[0], true
	}
	return nil, nil, false
}

func rowIndependent(e Expr) bool {
	switch e := e.(type) {
	case *Const, *Param:
		return true
	case *Cast:
		return rowIndependent(e.Arg)
	case *Func:
		if e.Fn == nil || e.Fn.Volatility == builtins.Volatile {
			return false
		}
		for _, a := range e.Args {
			if !rowIndependent(a) {
				return false
			}
		}
		return true
	}
	return false
}

// lookupCompatible reports whether a value of type val, key-encoded as it
// is, is byte-equal to the stored key of a column of type col exactly when
// the two are equal under `=`. Integers of any width share one encoding;
// text and varchar compare bytewise. Everything else must be the same
// type, and only where equality is identity of the encoding: numeric
// (1.0 = 1.00), floats, intervals ('1 day' = '24 hours'), char(n)
// (trailing blanks), arrays and JSON are left to the full scan.
func lookupCompatible(col, val *types.T) bool {
	if col == nil || val == nil {
		return false
	}
	switch col.Family {
	case types.IntFamily:
		return val.Family == types.IntFamily
	case types.StringFamily:
		return (col.Oid == types.OidText || col.Oid == types.OidVarchar) &&
			(val.Oid == types.OidText || val.Oid == types.OidVarchar)
	case types.BoolFamily, types.DateFamily, types.TimestampFamily, types.TimestampTZFamily, types.UUIDFamily, types.BytesFamily:
		return val.Oid == col.Oid
	}
	return false
}

// lookupColumns names the key columns of the scan's KeyPrefix, for EXPLAIN.
func (s *Scan) lookupColumns() string {
	names := make([]string, 0, len(s.KeyPrefix))
	for _, slot := range s.Table.KeySlots[:len(s.KeyPrefix)] {
		name := fmt.Sprintf("#%d", slot)
		for i, p := range s.Phys {
			if p == slot && i < len(s.Cols) {
				name = s.Cols[i].Name
				break
			}
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}
