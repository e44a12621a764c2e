package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/streamdb/streamdb/sql/types"
)

// Explain renders a plan tree, one line per node, for EXPLAIN and planner
// tests.
func Explain(n Node) []string {
	var out []string
	explainNode(n, 0, &out)
	return out
}

func explainNode(n Node, depth int, out *[]string) {
	pad := strings.Repeat("  ", depth)
	if depth > 0 {
		pad = strings.Repeat("  ", depth-1) + "└─ "
	}
	line := func(format string, args ...any) { *out = append(*out, pad+fmt.Sprintf(format, args...)) }
	switch n := n.(type) {
	case *Scan:
		if len(n.KeyPrefix) > 0 {
			line("Scan %s lookup on (%s)", n.Table.Name, n.lookupColumns()) // access_path.go
		} else {
			line("Scan %s", n.Table.Name)
		}
	case *VirtualScan:
		line("VirtualScan %s", n.Name)
	case *Values:
		line("Values (%d rows)", len(n.Rows))
	case *FuncScan:
		line("FunctionScan %s", n.Fn.Name)
	case *Filter:
		line("Filter %s", ExprString(n.Pred))
		explainNode(n.Input, depth+1, out)
	case *Project:
		parts := make([]string, len(n.Exprs))
		for i, e := range n.Exprs {
			parts[i] = ExprString(e)
		}
		line("Project %s", strings.Join(parts, ", "))
		explainNode(n.Input, depth+1, out)
	case *ProjectSet:
		line("ProjectSet (%d functions)", len(n.SRFs))
		explainNode(n.Input, depth+1, out)
	case *Join:
		keys := ""
		if len(n.LeftKeys) > 0 {
			ks := make([]string, len(n.LeftKeys))
			for i := range n.LeftKeys {
				ks[i] = fmt.Sprintf("#%d = #%d", n.LeftKeys[i], n.RightKeys[i])
			}
			keys = " keys: " + strings.Join(ks, ", ")
		}
		on := ""
		if n.On != nil {
			on = " on: " + ExprString(n.On)
		}
		kind := "HashJoin"
		if len(n.LeftKeys) == 0 {
			kind = "NestedLoopJoin"
		}
		line("%s %s%s%s", kind, n.Kind, keys, on)
		explainNode(n.Left, depth+1, out)
		explainNode(n.Right, depth+1, out)
	case *Aggregate:
		aggs := make([]string, len(n.Aggs))
		for i, a := range n.Aggs {
			d := ""
			if a.Distinct {
				d = "DISTINCT "
			}
			args := make([]string, len(a.Args))
			for j, c := range a.Args {
				args[j] = fmt.Sprintf("#%d", c)
			}
			aggs[i] = fmt.Sprintf("%s(%s%s)", a.Agg.Name, d, strings.Join(args, ", "))
		}
		line("HashAggregate group: %v aggs: %s", n.GroupCols, strings.Join(aggs, ", "))
		explainNode(n.Input, depth+1, out)
	case *Distinct:
		if n.On != nil {
			line("Distinct on: %v", n.On)
		} else {
			line("Distinct")
		}
		explainNode(n.Input, depth+1, out)
	case *Sort:
		keys := make([]string, len(n.Keys))
		for i, k := range n.Keys {
			keys[i] = fmt.Sprintf("#%d", k.Col)
			if k.Desc {
				keys[i] += " DESC"
			}
		}
		line("Sort %s", strings.Join(keys, ", "))
		explainNode(n.Input, depth+1, out)
	case *Limit:
		line("Limit count: %s offset: %s", ExprString(n.Count), ExprString(n.Offset))
		explainNode(n.Input, depth+1, out)
	case *SetOp:
		all := ""
		if n.All {
			all = " all"
		}
		line("SetOp %s%s", n.Kind, all)
		explainNode(n.Left, depth+1, out)
		explainNode(n.Right, depth+1, out)
	case *Window:
		names := make([]string, len(n.Funcs))
		for i, f := range n.Funcs {
			names[i] = f.Win.Name
		}
		line("Window %s", strings.Join(names, ", "))
		explainNode(n.Input, depth+1, out)
	default:
		line("%T", n)
	}
}

// ExprString renders an expression compactly (#n is input column n).
func ExprString(e Expr) string {
	if e == nil {
		return "none"
	}
	switch e := e.(type) {
	case *Const:
		if e.Value.IsNull() {
			return "NULL"
		}
		txt := string(types.AppendText(nil, e.Value, e.Typ, time.UTC))
		if e.Value.K == types.KString || e.Value.K == types.KBytes {
			return "'" + txt + "'"
		}
		return txt
	case *ColRef:
		return fmt.Sprintf("#%d", e.Idx)
	case *OuterRef:
		return fmt.Sprintf("outer%d.#%d", e.Depth, e.Idx)
	case *Param:
		return fmt.Sprintf("$%d", e.Idx+1)
	case *Func:
		args := make([]string, len(e.Args))
		for i, a := range e.Args {
			args[i] = ExprString(a)
		}
		if len(args) == 2 && !isWord(e.Fn.Name) {
			return fmt.Sprintf("(%s %s %s)", args[0], e.Fn.Name, args[1])
		}
		return fmt.Sprintf("%s(%s)", e.Fn.Name, strings.Join(args, ", "))
	case *Cast:
		return fmt.Sprintf("%s::%s", ExprString(e.Arg), e.Typ.String())
	case *And:
		return joinExprs(e.Args, " AND ")
	case *Or:
		return joinExprs(e.Args, " OR ")
	case *Not:
		return "NOT " + ExprString(e.Arg)
	case *IsNull:
		if e.Negate {
			return ExprString(e.Arg) + " IS NOT NULL"
		}
		return ExprString(e.Arg) + " IS NULL"
	case *Subquery:
		return "(subquery)"
	}
	return fmt.Sprintf("%T", e)
}

func joinExprs(es []Expr, sep string) string {
	parts := make([]string, len(es))
	for i, x := range es {
		parts[i] = ExprString(x)
	}
	return "(" + strings.Join(parts, sep) + ")"
}

func isWord(s string) bool {
	return s != "" && (s[0] >= 'a' && s[0] <= 'z' || s[0] == '_')
}
