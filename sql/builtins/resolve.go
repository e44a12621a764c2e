package builtins

import (
	"strconv"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/types"
)

// OidAnyNonArray is pg_type's anynonarray.
const OidAnyNonArray uint32 = 2776

// AnyNonArray is the polymorphic pseudo-type that matches any non-array type
// (text || anynonarray). sql/types has no value for it, so it is a copy of
// AnyElement with its own OID (its printed name stays "anyelement").
var AnyNonArray = func() *types.T {
	t := *types.AnyElement
	t.Oid = OidAnyNonArray
	return &t
}()

func isAnyElement(t *types.T) bool {
	return t.Oid == types.OidAnyElement || t.Oid == OidAnyNonArray
}

func isPolymorphic(t *types.T) bool {
	return isAnyElement(t) || t.Oid == types.OidAnyArray || t.Oid == types.OidAny
}

// preferredOid is the preferred type of each type category.
func preferredOid(category string) uint32 {
	switch category {
	case "N":
		return types.OidFloat8
	case "S":
		return types.OidText
	case "D":
		return types.OidTimestampTZ
	case "T":
		return types.OidInterval
	case "B":
		return types.OidBool
	}
	return 0
}

func isPreferred(t *types.T) bool {
	return !isPolymorphic(t) && t.Oid == preferredOid(t.Category())
}

func declCategory(t *types.T) string {
	if isPolymorphic(t) {
		return "P"
	}
	return t.Category()
}

// candidate is an overload that accepts the argument types.
type candidate struct {
	o        *Overload
	declared []*types.T // per argument, before polymorphic substitution
	concrete []*types.T // per argument, what the planner casts to
	exact    int
	pref     int
}

func typeNames(ts []*types.T) string {
	var sb strings.Builder
	for i, t := range ts {
		if i > 0 {
			sb.WriteString(", ")
		}
		if t == nil {
			sb.WriteString("unknown")
		} else {
			sb.WriteString(t.Name())
		}
	}
	return sb.String()
}

// expandArgs returns the declared type of each argument position, or nil if
// the overload does not take that many arguments.
func expandArgs(o *Overload, n int) []*types.T {
	if n < len(o.Args) || (n > len(o.Args) && o.Variadic == nil) {
		return nil
	}
	d := make([]*types.T, n)
	copy(d, o.Args)
	for i := len(o.Args); i < n; i++ {
		d[i] = o.Variadic
	}
	return d
}

func isUnknown(t *types.T) bool { return t == nil || t.Oid == types.OidUnknown }

// bindCandidate checks whether o accepts args through implicit casts and
// computes the concrete types; ok is false if it does not.
func bindCandidate(o *Overload, args []*types.T) (candidate, bool) {
	decl := expandArgs(o, len(args))
	if decl == nil {
		return candidate{}, false
	}
	// Bind the polymorphic element type.
	var elem *types.T
	for i, d := range decl {
		a := args[i]
		if isUnknown(a) {
			continue
		}
		var e *types.T
		switch {
		case isAnyElement(d):
			e = a
			if d.Oid == OidAnyNonArray && a.Family == types.ArrayFamily {
				return candidate{}, false
			}
		case d.Oid == types.OidAnyArray:
			if a.Family != types.ArrayFamily || a.Elem == nil {
				return candidate{}, false
			}
			e = a.Elem
		default:
			continue
		}
		if elem == nil {
			elem = e
		} else if elem.Oid != e.Oid {
			// Postgres requires the same type; allow the common case where
			// one side casts implicitly to the other (anycompatible).
			switch {
			case CastContextOf(e, elem) == CastImplicit:
			case CastContextOf(elem, e) == CastImplicit:
				elem = e
			default:
				return candidate{}, false
			}
		}
	}
	if elem == nil {
		elem = types.Text
	}
	c := candidate{o: o, declared: decl, concrete: make([]*types.T, len(args))}
	for i, d := range decl {
		a := args[i]
		target := d
		switch {
		case d.Oid == types.OidAny:
			// An untyped literal stays unknown (pg_typeof('x') is unknown);
			// functions taking "any" print it as text.
			target = a
			if a == nil {
				target = types.Unknown
			}
		case isAnyElement(d):
			target = elem
		case d.Oid == types.OidAnyArray:
			target = types.ArrayOf(elem)
			if target == nil {
				return candidate{}, false
			}
		}
		c.concrete[i] = target
		if isUnknown(a) {
			continue
		}
		if a.Oid == target.Oid && (a.Family != types.ArrayFamily || a.Elem == nil || target.Elem == nil || a.Elem.Oid == target.Elem.Oid) {
			// As in Postgres, a polymorphic parameter is never an exact match.
			if isPolymorphic(d) {
				c.concrete[i] = a
			} else {
				c.exact++
			}
			continue
		}
		if CastContextOf(a, target) != CastImplicit {
			return candidate{}, false
		}
		if isPreferred(d) {
			c.pref++
		}
	}
	return c, true
}

// selectCandidate applies Postgres's func_select_candidate heuristics.
func selectCandidate(cands []candidate, args []*types.T) ([]candidate, error) {
	if len(cands) <= 1 {
		return cands, nil
	}
	// Most exact matches.
	best := 0
	for _, c := range cands {
		best = max(best, c.exact)
	}
	cands = filter(cands, func(c candidate) bool { return c.exact == best })
	if len(cands) == 1 {
		return cands, nil
	}
	// Most preferred types where a conversion is needed.
	best = 0
	for _, c := range cands {
		best = max(best, c.pref)
	}
	cands = filter(cands, func(c candidate) bool { return c.pref == best })
	if len(cands) == 1 {
		return cands, nil
	}
	// Unknown arguments: prefer the string category, then the preferred type.
	for i, a := range args {
		if !isUnknown(a) {
			continue
		}
		cat := ""
		conflict := false
		for _, c := range cands {
			dc := declCategory(c.declared[i])
			if dc == "S" {
				cat = "S"
				conflict = false
				break
			}
			if cat == "" {
				cat = dc
			} else if cat != dc {
				conflict = true
			}
		}
		if conflict {
			continue
		}
		next := filter(cands, func(c candidate) bool { return declCategory(c.declared[i]) == cat })
		anyPref := false
		for _, c := range next {
			if isPreferred(c.declared[i]) {
				anyPref = true
			}
		}
		if anyPref {
			next = filter(next, func(c candidate) bool { return isPreferred(c.declared[i]) })
		}
		if len(next) > 0 {
			cands = next
		}
	}
	if len(cands) == 1 {
		return cands, nil
	}
	// If all known arguments have the same type, assume the unknowns have it too.
	var known *types.T
	same := true
	for _, a := range args {
		if isUnknown(a) {
			continue
		}
		if known == nil {
			known = a
		} else if known.Oid != a.Oid {
			same = false
		}
	}
	if same && known != nil {
		next := filter(cands, func(c candidate) bool {
			for i, a := range args {
				if isUnknown(a) && c.concrete[i].Oid != known.Oid {
					return false
				}
			}
			return true
		})
		if len(next) > 0 {
			cands = next
		}
	}
	return cands, nil
}

func filter(cs []candidate, keep func(candidate) bool) []candidate {
	out := cs[:0:0]
	for _, c := range cs {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// resolve picks the overload of overloads that best accepts args, or
// returns nil (none) / several (ambiguous).
func resolve(overloads []*Overload, args []*types.T, isOperator bool) []candidate {
	var cands []candidate
	for _, o := range overloads {
		if c, ok := bindCandidate(o, args); ok {
			cands = append(cands, c)
		}
	}
	if len(cands) <= 1 {
		return cands
	}
	// An exact match wins outright. For a binary operator with one unknown
	// side, the unknown is assumed to have the other side's type.
	probe := args
	if isOperator && len(args) == 2 {
		switch {
		case isUnknown(args[0]) && !isUnknown(args[1]):
			probe = []*types.T{args[1], args[1]}
		case isUnknown(args[1]) && !isUnknown(args[0]):
			probe = []*types.T{args[0], args[0]}
		}
	}
	for _, c := range cands {
		exact := true
		for i, d := range c.declared {
			if isUnknown(probe[i]) || isPolymorphic(d) || d.Oid != probe[i].Oid {
				exact = false
				break
			}
		}
		if exact {
			return []candidate{c}
		}
	}
	cands, _ = selectCandidate(cands, args)
	return cands
}

// specialise returns the overload to hand to the planner: o itself when its
// signature is concrete, else a copy with concrete Args, Ret and Fn.
func specialise(c candidate) *Overload {
	o := c.o
	bind := registry().binders[o]
	poly := o.Variadic != nil || bind != nil || o.ReturnType != nil
	for _, d := range c.declared {
		if isPolymorphic(d) {
			poly = true
		}
	}
	if !poly {
		return o
	}
	// Equal calls must yield the same *Overload: the planner compares bound
	// expressions with reflect.DeepEqual (GROUP BY matching), and closures
	// are never deeply equal.
	key := specKey{o: o, sig: sigKey(c.concrete)}
	if v, ok := registry().specs.Load(key); ok {
		return v.(*Overload)
	}
	s := *o
	s.Args = c.concrete
	s.Variadic = nil
	if o.ReturnType != nil {
		s.Ret = o.ReturnType(c.concrete)
	}
	if bind != nil {
		s.Fn = bind(c.concrete, s.Ret)
	}
	if o.SetReturning && len(o.SRFColumns) == 1 && s.Ret != o.Ret {
		s.SRFColumns = types.Schema{{Name: o.SRFColumns[0].Name, Type: s.Ret}}
	}
	if o.SetReturning && len(o.SRFColumns) > 1 {
		// Polymorphic output columns take the bound element type.
		cols := make(types.Schema, len(o.SRFColumns))
		copy(cols, o.SRFColumns)
		for i := range cols {
			if isAnyElement(cols[i].Type) {
				cols[i].Type = polymorphicElem(c)
			}
		}
		s.SRFColumns = cols
	}
	v, _ := registry().specs.LoadOrStore(key, &s)
	return v.(*Overload)
}

// specKey identifies a specialisation of an overload.
type specKey struct {
	o   *Overload
	sig string
}

func sigKey(ts []*types.T) string {
	b := make([]byte, 0, 16*len(ts))
	for _, t := range ts {
		b = strconv.AppendUint(b, uint64(t.Oid), 10)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(t.Typmod), 10)
		if t.Elem != nil {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(t.Elem.Typmod), 10)
		}
		b = append(b, ',')
	}
	return string(b)
}

const (
	hintNoFunction = "No function matches the given name and argument types. You might need to add explicit type casts."
	hintNoOperator = "No operator matches the given name and argument types. You might need to add explicit type casts."
	hintAmbigFunc  = "Could not choose a best candidate function. You might need to add explicit type casts."
	hintAmbigOp    = "Could not choose a best candidate operator. You might need to add explicit type casts."
)

// ResolveFunction picks the overload of the function name for the argument
// types (types.Unknown for untyped literals), following Postgres's rules.
// The returned overload has concrete Args (the planner casts argument i to
// Args[i] when the types differ) and Ret.
func ResolveFunction(name string, args []*types.T) (*Overload, error) {
	name = strings.TrimPrefix(name, "pg_catalog.")
	name = strings.TrimPrefix(name, "information_schema.")
	cands := resolve(registry().funcs[name], args, false)
	switch len(cands) {
	case 0:
		return nil, errors.WithHint(types.Errorf(types.CodeUndefinedFunction,
			"function %s(%s) does not exist", name, typeNames(args)), hintNoFunction)
	case 1:
		return specialise(cands[0]), nil
	}
	return nil, errors.WithHint(types.Errorf(types.CodeAmbiguousFunction,
		"function %s(%s) is not unique", name, typeNames(args)), hintAmbigFunc)
}

// ResolveOperator picks the overload of an operator; left is nil for a
// prefix operator.
func ResolveOperator(op string, left, right *types.T) (*Overload, error) {
	var cands []candidate
	var desc string
	if left == nil {
		cands = resolve(registry().unOps[op], []*types.T{right}, true)
		desc = op + " " + typeNames([]*types.T{right})
	} else {
		cands = resolve(registry().binOps[op], []*types.T{left, right}, true)
		desc = typeNames([]*types.T{left}) + " " + op + " " + typeNames([]*types.T{right})
	}
	switch len(cands) {
	case 0:
		return nil, errors.WithHint(types.Errorf(types.CodeUndefinedFunction,
			"operator does not exist: %s", desc), hintNoOperator)
	case 1:
		return specialise(cands[0]), nil
	}
	return nil, errors.WithHint(types.Errorf(types.CodeAmbiguousFunction,
		"operator is not unique: %s", desc), hintAmbigOp)
}
