package builtins

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamdb/streamdb/sql/types"
)

// sampleValues are a few values of each type, edge cases included, for the
// smoke test.
func sampleValues(t *types.T) []types.Datum {
	switch t.Family {
	case types.BoolFamily:
		return []types.Datum{types.DBool(true), types.DBool(false)}
	case types.IntFamily:
		return []types.Datum{types.DInt(0), types.DInt(-1), types.DInt(2), types.DInt(minInt(max(t.Width, 16)))}
	case types.FloatFamily:
		return []types.Datum{types.DFloat(0), types.DFloat(-1.5), types.DFloat(1e300)}
	case types.NumericFamily:
		return []types.Datum{dDec(apd.New(0, 0)), dDec(apd.New(-15, 1)), dDec(&apd.Decimal{Form: apd.NaN}), dDec(&apd.Decimal{Form: apd.Infinite})}
	case types.StringFamily, types.UnknownFamily:
		return []types.Datum{types.DString(""), types.DString("a%b_c"), types.DString("{1}")}
	case types.BytesFamily:
		return []types.Datum{types.DBytes(nil), types.DBytes([]byte{0, 255})}
	case types.DateFamily:
		return []types.Datum{types.DDate(0), types.DDate(infinityMicros), types.DDate(-800000)}
	case types.TimeFamily:
		return []types.Datum{types.DTime(0), types.DTime(usecPerDay - 1)}
	case types.TimestampFamily:
		return []types.Datum{types.DTimestamp(0), types.DTimestamp(infinityMicros), types.DTimestamp(-62135596800000000)}
	case types.TimestampTZFamily:
		return []types.Datum{types.DTimestampTZ(0), types.DTimestampTZ(negInfinityMicros)}
	case types.IntervalFamily:
		return []types.Datum{types.DInterval(types.IntervalValue{}), types.DInterval(types.IntervalValue{Months: -13, Days: 40, Micros: -1})}
	case types.JSONFamily:
		return []types.Datum{types.DJSON(`{"a": [1, "x", null]}`), types.DJSON(`"s"`), types.DJSON(`[]`)}
	case types.ArrayFamily:
		elem := t.Elem
		if elem == nil || elem.Family == types.UnknownFamily {
			elem = types.Int4
		}
		ev := sampleValues(elem)
		return []types.Datum{
			types.DArray(&types.Array{Elem: elem}),
			types.DArray(&types.Array{Elem: elem, Dims: []int{2}, Elems: []types.Datum{ev[0], types.Null}}),
			types.DArray(&types.Array{Elem: elem, Dims: []int{2, 1}, Elems: []types.Datum{ev[0], ev[len(ev)-1]}}),
		}
	}
	return []types.Datum{types.Null}
}

// TestSmokeAllOverloads calls every overload with sample values: it must
// return a value or an error, never panic.
func TestSmokeAllOverloads(t *testing.T) {
	ctx := testCtx()
	skip := map[string]bool{"pg_sleep": true, "generate_series": true}
	called := 0
	defer func() {
		if called < 500 {
			t.Errorf("only %d overloads exercised", called)
		}
	}()
	for _, o := range append(append([]*Overload(nil), Functions()...), Operators()...) {
		if skip[o.Name] {
			continue
		}
		argTypes := make([]*types.T, len(o.Args))
		for i, a := range o.Args {
			switch {
			case a.Oid == types.OidAnyArray:
				argTypes[i] = types.Int4Array
			case isAnyElement(a) || a.Oid == types.OidAny:
				argTypes[i] = types.Int4
			default:
				argTypes[i] = a
			}
		}
		var resolved *Overload
		var err error
		if _, isOp := registry().binOps[o.Name]; isOp && len(o.Args) == 2 && registry().funcs[o.Name] == nil {
			resolved, err = ResolveOperator(o.Name, argTypes[0], argTypes[1])
		} else if _, isOp := registry().unOps[o.Name]; isOp && len(o.Args) == 1 && registry().funcs[o.Name] == nil {
			resolved, err = ResolveOperator(o.Name, nil, argTypes[0])
		} else {
			resolved, err = ResolveFunction(o.Name, argTypes)
		}
		if err != nil {
			continue // e.g. polymorphic mismatch with the chosen samples
		}
		called++
		samples := make([][]types.Datum, len(argTypes))
		for i, a := range resolved.Args {
			samples[i] = sampleValues(a)
		}
		// Try each sample position-wise (not the full product, to stay fast).
		for k := 0; k < 4; k++ {
			vals := make([]types.Datum, len(samples))
			for i := range samples {
				vals[i] = samples[i][k%len(samples[i])]
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s(%s) with %v: panic %v", o.Name, typeNames(resolved.Args), fmt.Sprint(vals), r)
					}
				}()
				if resolved.SetReturning {
					n := 0
					_ = resolved.SRF(ctx, vals, func(types.Row) error {
						n++
						if n > 1000 {
							return fmt.Errorf("enough")
						}
						return nil
					})
					return
				}
				_, _ = resolved.Fn(ctx, vals)
			}()
		}
	}
}
