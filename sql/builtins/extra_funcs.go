package builtins

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamdb/streamdb/sql/types"
)

// registerExtraFuncs holds less common functions of recent Postgres
// releases that tools and users still reach for.
func registerExtraFuncs(b *registryBuilder) {
	T, I, N := types.Text, types.Int4, types.Numeric
	overlay := func(_ *Context, a []types.Datum) (types.Datum, error) {
		r := []rune(a[0].S)
		repl := a[1].S
		start := a[2].I
		n := int64(utf8.RuneCountInString(repl))
		if len(a) > 3 {
			n = a[3].I
		}
		if start < 1 || n < 0 {
			return types.Null, types.Errorf("22011", "negative substring length not allowed")
		}
		head := string(r[:min(start-1, int64(len(r)))])
		tailFrom := min(start-1+n, int64(len(r)))
		return types.DString(head + repl + string(r[tailFrom:])), nil
	}
	b.fn(&Overload{Name: "overlay", Args: args(T, T, I), Ret: T, Fn: overlay})
	b.fn(&Overload{Name: "overlay", Args: args(T, T, I, I), Ret: T, Fn: overlay})
	regexCount := func(_ []*types.T, _ *types.T) Fn {
		cache := &regexCache{}
		return func(_ *Context, a []types.Datum) (types.Datum, error) {
			flags := ""
			if len(a) > 3 {
				flags = a[3].S
			}
			re, err := cache.get(a[1].S, flags)
			if err != nil {
				return types.Null, err
			}
			s := a[0].S
			if len(a) > 2 {
				s = string([]rune(s)[min(max(a[2].I-1, 0), int64(utf8.RuneCountInString(s))):])
			}
			return types.DInt(int64(len(re.FindAllStringIndex(s, -1)))), nil
		}
	}
	b.fnBound(&Overload{Name: "regexp_count", Args: args(T, T), Ret: I}, regexCount)
	b.fnBound(&Overload{Name: "regexp_count", Args: args(T, T, I), Ret: I}, regexCount)
	b.fnBound(&Overload{Name: "regexp_count", Args: args(T, T, I, T), Ret: I}, regexCount)
	regexSubstr := func(_ []*types.T, _ *types.T) Fn {
		cache := &regexCache{}
		return func(_ *Context, a []types.Datum) (types.Datum, error) {
			re, err := cache.get(a[1].S, "")
			if err != nil {
				return types.Null, err
			}
			m := re.FindString(a[0].S)
			if m == "" && !re.MatchString(a[0].S) {
				return types.Null, nil
			}
			return types.DString(m), nil
		}
	}
	b.fnBound(&Overload{Name: "regexp_substr", Args: args(T, T), Ret: T}, regexSubstr)
	b.fn(&Overload{Name: "sha256", Args: args(types.Bytea), Ret: types.Bytea, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		h := sha256.Sum256([]byte(a[0].S))
		return types.DBytes(h[:]), nil
	}})
	b.fn(&Overload{Name: "sha512", Args: args(types.Bytea), Ret: types.Bytea, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		h := sha512.Sum512([]byte(a[0].S))
		return types.DBytes(h[:]), nil
	}})
	b.fn(&Overload{Name: "trim_scale", Args: args(N), Ret: N, Fn: decFn(func(x *apd.Decimal) (*apd.Decimal, error) {
		if x.Form != apd.Finite {
			return x, nil
		}
		r := new(apd.Decimal)
		r.Reduce(x)
		if r.Exponent > 0 {
			decCtx.Quantize(r, r, 0)
		}
		return r, nil
	})})
	b.fn(&Overload{Name: "min_scale", Args: args(N), Ret: I, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		x := datumDec(a[0])
		if x.Form != apd.Finite {
			return types.Null, nil
		}
		r := new(apd.Decimal)
		r.Reduce(x)
		return types.DInt(dscale(r)), nil
	}})
	b.fn(&Overload{Name: "factorial", Args: args(types.Int8), Ret: N, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		n := a[0].I
		if n < 0 {
			return types.Null, types.Errorf(types.CodeNumericValueOutOfRange, "factorial of a negative number is undefined")
		}
		if n > 1000 {
			return types.Null, types.Errorf(types.CodeNumericValueOutOfRange, "value overflows numeric format")
		}
		r := apd.New(1, 0)
		for i := int64(2); i <= n; i++ {
			decCtx.Mul(r, r, apd.New(i, 0))
		}
		return dDec(r), nil
	}})
	dateAdd := func(neg bool) Fn {
		return func(ctx *Context, a []types.Datum) (types.Datum, error) {
			l := loc(ctx)
			if len(a) > 2 {
				var err error
				if l, err = resolveZone(a[2].S); err != nil {
					return types.Null, err
				}
			}
			r, err := addTimestampTZInterval(a[0].I, a[1].Interval(), neg, l)
			if err != nil {
				return types.Null, err
			}
			return types.DTimestampTZ(r), nil
		}
	}
	TZ, IV := types.TimestampTZ, types.Interval
	b.fn(&Overload{Name: "date_add", Args: args(TZ, IV), Ret: TZ, Volatility: Stable, Fn: dateAdd(false)})
	b.fn(&Overload{Name: "date_add", Args: args(TZ, IV, T), Ret: TZ, Fn: dateAdd(false)})
	b.fn(&Overload{Name: "date_subtract", Args: args(TZ, IV), Ret: TZ, Volatility: Stable, Fn: dateAdd(true)})
	b.fn(&Overload{Name: "date_subtract", Args: args(TZ, IV, T), Ret: TZ, Fn: dateAdd(true)})
	b.fn(&Overload{Name: "pg_sleep", Args: args(types.Float8), Ret: types.Void, Volatility: Volatile, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		// Bounded so that a typo cannot park a worker for hours, and
		// interrupted by a cancel or statement_timeout.
		d := time.Duration(min(max(a[0].Float(), 0), 3600) * float64(time.Second))
		done := context.Background().Done()
		if ctx != nil && ctx.Ctx != nil {
			done = ctx.Ctx.Done()
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return types.Null, nil
		case <-done:
			return types.Null, types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		}
	}})
}
