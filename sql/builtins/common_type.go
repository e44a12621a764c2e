package builtins

import (
	"github.com/streamdb/streamdb/sql/types"
)

// CommonType resolves the result type of UNION, CASE, COALESCE, VALUES and
// ARRAY[...] branches following Postgres's select_common_type: all unknown
// gives text; otherwise every input must be of one type category, and the
// result is the preferred type or the type the others implicitly convert to.
// Mismatches are 42804 "types integer and text cannot be matched"; use
// CommonTypeIn to get Postgres's "CASE types ..." wording.
func CommonType(ts []*types.T) (*types.T, error) {
	return CommonTypeIn("", ts)
}

// CommonTypeIn is CommonType with the construct name ("CASE", "UNION",
// "COALESCE", "VALUES", "ARRAY") in error messages.
func CommonTypeIn(construct string, ts []*types.T) (*types.T, error) {
	prefix := ""
	if construct != "" {
		prefix = construct + " "
	}
	var p *types.T
	for _, t := range ts {
		if isUnknown(t) {
			continue
		}
		if p == nil {
			p = t
			continue
		}
		if t.Equivalent(p) {
			continue
		}
		if t.Category() != p.Category() {
			return nil, types.Errorf(types.CodeDatatypeMismatch, "%stypes %s and %s cannot be matched", prefix, p.Name(), t.Name())
		}
		if !isPreferred(p) && CastContextOf(p, t) == CastImplicit && CastContextOf(t, p) != CastImplicit {
			p = t
		}
	}
	if p == nil {
		return types.Text, nil
	}
	typmod := p.Typmod
	for _, t := range ts {
		if isUnknown(t) {
			continue
		}
		if !t.Equivalent(p) && CastContextOf(t, p) != CastImplicit {
			return nil, types.Errorf(types.CodeCannotCoerce, "%scould not convert type %s to %s", prefix, t.Name(), p.Name())
		}
		if !t.Identical(p) || t.Typmod != typmod {
			typmod = -1
		}
	}
	return p.WithTypmod(typmod), nil
}
