package builtins

import (
	"sort"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamdb/streamdb/sql/types"
)

func seriesColumn(t *types.T) types.Schema {
	return types.Schema{{Name: "generate_series", Type: t}}
}

func registerSRFs(b *registryBuilder) {
	for _, t := range []*types.T{types.Int4, types.Int8} {
		w := t.Width
		srf := func(_ *Context, a []types.Datum, emit func(types.Row) error) error {
			for _, d := range a {
				if d.IsNull() {
					return nil
				}
			}
			start, stop, step := a[0].I, a[1].I, int64(1)
			if len(a) > 2 {
				step = a[2].I
			}
			if step == 0 {
				return types.Errorf(types.CodeInvalidParameterValue, "step size cannot equal zero")
			}
			for v := start; (step > 0 && v <= stop) || (step < 0 && v >= stop); {
				if err := emit(types.Row{types.DInt(v)}); err != nil {
					return err
				}
				next := v + step
				if (step > 0 && next < v) || (step < 0 && next > v) || checkIntWidth(next, w) != nil {
					break
				}
				v = next
			}
			return nil
		}
		b.fn(&Overload{Name: "generate_series", Args: args(t, t), Ret: t, SetReturning: true, SRF: srf, SRFColumns: seriesColumn(t)})
		b.fn(&Overload{Name: "generate_series", Args: args(t, t, t), Ret: t, SetReturning: true, SRF: srf, SRFColumns: seriesColumn(t)})
	}
	N := types.Numeric
	numSRF := func(_ *Context, a []types.Datum, emit func(types.Row) error) error {
		for _, d := range a {
			if d.IsNull() {
				return nil
			}
		}
		start, stop := datumDec(a[0]), datumDec(a[1])
		step := apd.New(1, 0)
		if len(a) > 2 {
			step = datumDec(a[2])
		}
		for _, d := range []*apd.Decimal{start, stop, step} {
			if d.Form != apd.Finite {
				return types.Errorf(types.CodeInvalidParameterValue, "start, stop and step values cannot be NaN or infinity")
			}
		}
		if step.IsZero() {
			return types.Errorf(types.CodeInvalidParameterValue, "step size cannot equal zero")
		}
		v := new(apd.Decimal).Set(start)
		for {
			c := v.Cmp(stop)
			if (!step.Negative && c > 0) || (step.Negative && c < 0) {
				return nil
			}
			if err := emit(types.Row{dDec(new(apd.Decimal).Set(v))}); err != nil {
				return err
			}
			next := new(apd.Decimal)
			decCtx.Add(next, v, step)
			v = next
		}
	}
	b.fn(&Overload{Name: "generate_series", Args: args(N, N), Ret: N, SetReturning: true, SRF: numSRF, SRFColumns: seriesColumn(N)})
	b.fn(&Overload{Name: "generate_series", Args: args(N, N, N), Ret: N, SetReturning: true, SRF: numSRF, SRFColumns: seriesColumn(N)})
	for _, t := range []*types.T{types.Timestamp, types.TimestampTZ} {
		tz := t == types.TimestampTZ
		mk := types.DTimestamp
		if tz {
			mk = types.DTimestampTZ
		}
		vol := Immutable
		if tz {
			vol = Stable
		}
		b.fn(&Overload{Name: "generate_series", Args: args(t, t, types.Interval), Ret: t, SetReturning: true, Volatility: vol, SRFColumns: seriesColumn(t),
			SRF: func(ctx *Context, a []types.Datum, emit func(types.Row) error) error {
				for _, d := range a {
					if d.IsNull() {
						return nil
					}
				}
				start, stop, step := a[0].I, a[1].I, a[2].Interval()
				sign := int64(step.Months)*30*usecPerDay + int64(step.Days)*usecPerDay + step.Micros
				if sign == 0 {
					return types.Errorf(types.CodeInvalidParameterValue, "step size cannot equal zero")
				}
				// Each value is start + k*step computed incrementally, as
				// Postgres does (months are added on the running value).
				v := start
				for (sign > 0 && v <= stop) || (sign < 0 && v >= stop) {
					if err := emit(types.Row{mk(v)}); err != nil {
						return err
					}
					var next int64
					var err error
					if tz {
						next, err = addTimestampTZInterval(v, step, false, loc(ctx))
					} else {
						next, err = addTimestampInterval(v, step, false)
					}
					if err != nil || next == v {
						return err
					}
					v = next
				}
				return nil
			}})
	}
	b.fn(&Overload{Name: "unnest", Args: args(types.AnyArray), Ret: types.AnyElement, ReturnType: retElem, SetReturning: true,
		SRFColumns: types.Schema{{Name: "unnest", Type: types.AnyElement}},
		SRF: func(_ *Context, a []types.Datum, emit func(types.Row) error) error {
			if a[0].IsNull() {
				return nil
			}
			for _, e := range a[0].Array().Elems {
				if err := emit(types.Row{e}); err != nil {
					return err
				}
			}
			return nil
		}})
	subscripts := func(_ *Context, a []types.Datum, emit func(types.Row) error) error {
		if a[0].IsNull() || a[1].IsNull() {
			return nil
		}
		arr := a[0].Array()
		dim := a[1].I
		if dim < 1 || dim > int64(len(arr.Dims)) {
			return nil
		}
		n := int64(arr.Dims[dim-1])
		reverse := len(a) > 2 && !a[2].IsNull() && a[2].Bool()
		for i := int64(1); i <= n; i++ {
			v := i
			if reverse {
				v = n + 1 - i
			}
			if err := emit(types.Row{types.DInt(v)}); err != nil {
				return err
			}
		}
		return nil
	}
	cols := types.Schema{{Name: "generate_subscripts", Type: types.Int4}}
	b.fn(&Overload{Name: "generate_subscripts", Args: args(types.AnyArray, types.Int4), Ret: types.Int4, SetReturning: true, SRF: subscripts, SRFColumns: cols})
	b.fn(&Overload{Name: "generate_subscripts", Args: args(types.AnyArray, types.Int4, types.Bool), Ret: types.Int4, SetReturning: true, SRF: subscripts, SRFColumns: cols})
	b.fn(&Overload{Name: "regexp_split_to_table", Args: args(types.Text, types.Text), Ret: types.Text, SetReturning: true,
		SRF: srfRegexSplit, SRFColumns: types.Schema{{Name: "regexp_split_to_table", Type: types.Text}}})
	registerJSONSRFs(b)
	registerMoreSRFs(b)
	registerCatalogSRFs(b)
}

// srfRegexSplit is regexp_split_to_table.
func srfRegexSplit(_ *Context, a []types.Datum, emit func(types.Row) error) error {
	if a[0].IsNull() || a[1].IsNull() {
		return nil
	}
	re, err := compileRegex(a[1].S, "")
	if err != nil {
		return err
	}
	for _, p := range re.Split(a[0].S, -1) {
		if err := emit(types.Row{types.DString(p)}); err != nil {
			return err
		}
	}
	return nil
}

func registerMoreSRFs(b *registryBuilder) {
	T := types.Text
	matches := func(_ *Context, a []types.Datum, emit func(types.Row) error) error {
		for _, d := range a {
			if d.IsNull() {
				return nil
			}
		}
		flags := ""
		if len(a) > 2 {
			flags = a[2].S
		}
		re, err := compileRegex(a[1].S, flags)
		if err != nil {
			return err
		}
		n := 1
		if strings.Contains(flags, "g") {
			n = -1
		}
		for _, m := range re.FindAllStringSubmatchIndex(a[0].S, n) {
			if err := emit(types.Row{types.DArray(matchArray(m, a[0].S))}); err != nil {
				return err
			}
		}
		return nil
	}
	cols := types.Schema{{Name: "regexp_matches", Type: types.TextArray}}
	b.fn(&Overload{Name: "regexp_matches", Args: args(T, T), Ret: types.TextArray, SetReturning: true, SRF: matches, SRFColumns: cols})
	b.fn(&Overload{Name: "regexp_matches", Args: args(T, T, T), Ret: types.TextArray, SetReturning: true, SRF: matches, SRFColumns: cols})
	toTable := func(ctx *Context, a []types.Datum, emit func(types.Row) error) error {
		o, err := ResolveFunction("string_to_array", args(T, T))
		if err != nil {
			return err
		}
		arr, err := o.Fn(ctx, a[:2])
		if err != nil || arr.IsNull() {
			return err
		}
		for _, e := range arr.Array().Elems {
			if len(a) > 2 && !a[2].IsNull() && !e.IsNull() && e.S == a[2].S {
				e = types.Null
			}
			if err := emit(types.Row{e}); err != nil {
				return err
			}
		}
		return nil
	}
	tcols := types.Schema{{Name: "string_to_table", Type: T}}
	b.fn(&Overload{Name: "string_to_table", Args: args(T, T), Ret: T, SetReturning: true, CalledOnNull: true, SRF: toTable, SRFColumns: tcols})
	b.fn(&Overload{Name: "string_to_table", Args: args(T, T, T), Ret: T, SetReturning: true, CalledOnNull: true, SRF: toTable, SRFColumns: tcols})
}

// registerCatalogSRFs adds the set-returning helpers drivers' metadata
// queries use.
func registerCatalogSRFs(b *registryBuilder) {
	// information_schema._pg_expandarray: pgjdbc's getPrimaryKeys and
	// getIndexInfo expand pg_index.indkey with it.
	b.fn(&Overload{Name: "_pg_expandarray", Args: args(types.AnyArray), Ret: types.Record, SetReturning: true,
		SRFColumns: types.Schema{{Name: "x", Type: types.AnyElement}, {Name: "n", Type: types.Int4}},
		SRF: func(_ *Context, a []types.Datum, emit func(types.Row) error) error {
			if a[0].IsNull() {
				return nil
			}
			for i, e := range a[0].Array().Elems {
				if err := emit(types.Row{e, types.DInt(int64(i + 1))}); err != nil {
					return err
				}
			}
			return nil
		}})
	b.fn(&Overload{Name: "pg_get_keywords", Ret: types.Record, SetReturning: true, Volatility: Stable,
		SRFColumns: types.Schema{{Name: "word", Type: types.Text}, {Name: "catcode", Type: types.Char}, {Name: "barelabel", Type: types.Bool}, {Name: "catdesc", Type: types.Text}, {Name: "baredesc", Type: types.Text}},
		SRF: func(_ *Context, _ []types.Datum, emit func(types.Row) error) error {
			words := make([]string, 0, len(reservedKeywords))
			for w := range reservedKeywords {
				words = append(words, w)
			}
			sort.Strings(words)
			for _, w := range words {
				if err := emit(types.Row{types.DString(w), types.DString("R"), types.DBool(true), types.DString("reserved"), types.DString("can be bare label")}); err != nil {
					return err
				}
			}
			return nil
		}})
	b.fn(&Overload{Name: "pg_options_to_table", Args: args(types.TextArray), Ret: types.Record, SetReturning: true,
		SRFColumns: types.Schema{{Name: "option_name", Type: types.Text}, {Name: "option_value", Type: types.Text}},
		SRF: func(_ *Context, a []types.Datum, emit func(types.Row) error) error {
			if a[0].IsNull() {
				return nil
			}
			for _, e := range a[0].Array().Elems {
				if e.IsNull() {
					continue
				}
				k, v, ok := strings.Cut(e.S, "=")
				val := types.Null
				if ok {
					val = types.DString(v)
				}
				if err := emit(types.Row{types.DString(k), val}); err != nil {
					return err
				}
			}
			return nil
		}})
}
