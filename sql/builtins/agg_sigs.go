package builtins

import (
	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/types"
)

// minMaxTypes are the types min and max are defined for (same result type).
var minMaxTypes = []*types.T{
	types.Int2, types.Int4, types.Int8, types.Oid, types.Float4, types.Float8, types.Numeric,
	types.Text, types.BPChar, types.Date, types.Time, types.Timestamp, types.TimestampTZ,
	types.Interval, types.AnyArray,
}

func registerAggregates(b *registryBuilder) {
	b.agg("count", AggCountStar, types.Int8)
	b.agg("count", AggCount, types.Int8, types.Any)

	for _, t := range []*types.T{types.Int2, types.Int4} {
		b.agg("sum", AggSum, types.Int8, t)
	}
	b.agg("sum", AggSum, types.Numeric, types.Int8)
	b.agg("sum", AggSum, types.Numeric, types.Numeric)
	b.agg("sum", AggSum, types.Float4, types.Float4)
	b.agg("sum", AggSum, types.Float8, types.Float8)
	b.agg("sum", AggSum, types.Interval, types.Interval)

	for _, t := range []*types.T{types.Int2, types.Int4, types.Int8, types.Numeric} {
		b.agg("avg", AggAvg, types.Numeric, t)
	}
	b.agg("avg", AggAvg, types.Float8, types.Float4)
	b.agg("avg", AggAvg, types.Float8, types.Float8)
	b.agg("avg", AggAvg, types.Interval, types.Interval)

	for _, t := range minMaxTypes {
		b.agg("min", AggMin, t, t)
		b.agg("max", AggMax, t, t)
	}

	b.agg("string_agg", AggStringAgg, types.Text, types.Text, types.Text)
	b.agg("string_agg", AggStringAgg, types.Bytea, types.Bytea, types.Bytea)
	b.agg("array_agg", AggArrayAgg, types.AnyArray, AnyNonArray)
	// array_agg of arrays builds an array of one more dimension, of the
	// same array type.
	b.agg("array_agg", AggArrayAgg, types.AnyArray, types.AnyArray)
	for _, n := range []string{"bool_and", "every"} {
		b.agg(n, AggBoolAnd, types.Bool, types.Bool)
	}
	b.agg("bool_or", AggBoolOr, types.Bool, types.Bool)
	b.agg("jsonb_agg", AggJSONAgg, types.JSONB, types.AnyElement)
	b.agg("json_agg", AggJSONAgg, types.JSON, types.AnyElement)
	b.agg("jsonb_object_agg", AggJSONObjectAgg, types.JSONB, types.Any, types.Any)
	b.agg("json_object_agg", AggJSONObjectAgg, types.JSON, types.Any, types.Any)

	stat := []struct {
		name string
		kind AggKind
	}{
		{"stddev", AggStddevSamp}, {"stddev_samp", AggStddevSamp}, {"stddev_pop", AggStddevPop},
		{"variance", AggVarSamp}, {"var_samp", AggVarSamp}, {"var_pop", AggVarPop},
	}
	for _, s := range stat {
		for _, t := range []*types.T{types.Int2, types.Int4, types.Int8, types.Numeric} {
			b.agg(s.name, s.kind, types.Numeric, t)
		}
		b.agg(s.name, s.kind, types.Float8, types.Float4)
		b.agg(s.name, s.kind, types.Float8, types.Float8)
	}
	for _, t := range []*types.T{types.Int2, types.Int4, types.Int8} {
		b.agg("bit_and", AggBitAnd, t, t)
		b.agg("bit_or", AggBitOr, t, t)
	}
}

// resolveSignature runs function resolution over plain signatures (aggregate
// and window overloads) and returns the index of the winner, the concrete
// argument types and the concrete form of ret.
func resolveSignature(name string, sigs [][]*types.T, rets []*types.T, args []*types.T) (int, []*types.T, *types.T, error) {
	overloads := make([]*Overload, len(sigs))
	index := map[*Overload]int{}
	for i, s := range sigs {
		overloads[i] = &Overload{Name: name, Args: s, Ret: rets[i]}
		index[overloads[i]] = i
	}
	cands := resolve(overloads, args, false)
	switch len(cands) {
	case 0:
		return 0, nil, nil, errors.WithHint(types.Errorf(types.CodeUndefinedFunction,
			"function %s(%s) does not exist", name, typeNames(args)), hintNoFunction)
	case 1:
	default:
		return 0, nil, nil, errors.WithHint(types.Errorf(types.CodeAmbiguousFunction,
			"function %s(%s) is not unique", name, typeNames(args)), hintAmbigFunc)
	}
	c := cands[0]
	ret := c.o.Ret
	switch {
	case isAnyElement(ret):
		ret = polymorphicElem(c)
	case ret.Oid == types.OidAnyArray:
		ret = types.ArrayOf(polymorphicElem(c))
		if ret == nil {
			return 0, nil, nil, types.Errorf(types.CodeUndefinedFunction,
				"could not find array type for data type %s", polymorphicElem(c).Name())
		}
	}
	return index[c.o], c.concrete, ret, nil
}

// polymorphicElem returns the type bound to anyelement in a candidate.
func polymorphicElem(c candidate) *types.T {
	for i, d := range c.declared {
		switch {
		case isAnyElement(d):
			return c.concrete[i]
		case d.Oid == types.OidAnyArray && c.concrete[i].Elem != nil:
			return c.concrete[i].Elem
		}
	}
	return types.Text
}

// ResolveAggregate picks the overload of an aggregate; count(*) is passed
// with no arguments. The result has concrete Args and Ret.
func ResolveAggregate(name string, args []*types.T) (*AggOverload, error) {
	aggs := registry().aggs[name]
	if len(aggs) == 0 {
		return nil, errors.WithHint(types.Errorf(types.CodeUndefinedFunction,
			"function %s(%s) does not exist", name, typeNames(args)), hintNoFunction)
	}
	sigs := make([][]*types.T, len(aggs))
	rets := make([]*types.T, len(aggs))
	for i, a := range aggs {
		sigs[i], rets[i] = a.Args, a.Ret
	}
	i, concrete, ret, err := resolveSignature(name, sigs, rets, args)
	if err != nil {
		return nil, err
	}
	return &AggOverload{Name: name, Kind: aggs[i].Kind, Args: concrete, Ret: ret}, nil
}
