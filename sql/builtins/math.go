package builtins

import (
	"math"
	"math/rand/v2"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamdb/streamdb/sql/types"
)

func f8Fn(f func(x float64) (float64, error)) Fn {
	return func(_ *Context, a []types.Datum) (types.Datum, error) {
		r, err := f(a[0].Float())
		if err != nil {
			return types.Null, err
		}
		return types.DFloat(r), nil
	}
}

func f8(f func(x float64) float64) Fn {
	return f8Fn(func(x float64) (float64, error) { return f(x), nil })
}

func decFn(f func(x *apd.Decimal) (*apd.Decimal, error)) Fn {
	return func(_ *Context, a []types.Datum) (types.Datum, error) {
		r, err := f(datumDec(a[0]))
		if err != nil {
			return types.Null, err
		}
		return dDec(r), nil
	}
}

// decRound rounds to scale digits after the point with the given mode.
func decRound(x *apd.Decimal, scale int64, mode apd.Rounder) (*apd.Decimal, error) {
	if x.Form != apd.Finite {
		return x, nil
	}
	scale = min(max(scale, -1000), 1000)
	c := *decCtx
	c.Rounding = mode
	r := new(apd.Decimal)
	if _, err := c.Quantize(r, x, -int32(scale)); err != nil {
		return nil, types.Errorf(types.CodeNumericValueOutOfRange, "value overflows numeric format")
	}
	if scale < 0 {
		// Postgres keeps scale 0 for negative rounding positions: 1234 -> 1200.
		out := new(apd.Decimal)
		c.Quantize(out, r, 0)
		return out, nil
	}
	return r, nil
}

// decWithSigScale computes f(x) at high precision and rounds it to Postgres's
// usual 16 significant digits (at least minScale decimals).
func decWithSigScale(r *apd.Decimal, bias int64, minScale int64) (*apd.Decimal, error) {
	var rscale int64 = 16
	if !r.IsZero() {
		rscale = bias - (int64(r.NumDigits()) + int64(r.Exponent) - 1)
	}
	rscale = min(max(rscale, minScale, 0), 1000)
	return decRound(r, rscale, apd.RoundHalfUp)
}

var mathCtx = apd.BaseContext.WithPrecision(40)

func errLogZero() error {
	return types.Errorf("2201E", "cannot take logarithm of zero")
}

func errLogNeg() error {
	return types.Errorf("2201E", "cannot take logarithm of a negative number")
}

func registerMathFuncs(b *registryBuilder) {
	F, N := types.Float8, types.Numeric
	for _, t := range intTypes {
		w := t.Width
		b.fn(&Overload{Name: "abs", Args: args(t), Ret: t, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) { return intAbs(a[0].I, w) }})
		b.fn(&Overload{Name: "mod", Args: args(t, t), Ret: t, Fn: intOp(w, intMod)})
	}
	b.fn(&Overload{Name: "abs", Args: args(types.Float4), Ret: types.Float4, Fn: f8(math.Abs)})
	b.fn(&Overload{Name: "abs", Args: args(F), Ret: F, Fn: f8(math.Abs)})
	b.fn(&Overload{Name: "abs", Args: args(N), Ret: N, Fn: decFn(func(x *apd.Decimal) (*apd.Decimal, error) {
		return new(apd.Decimal).Abs(x), nil
	})})
	b.fn(&Overload{Name: "mod", Args: args(N, N), Ret: N, Fn: numericOp('%')})
	b.fn(&Overload{Name: "div", Args: args(N, N), Ret: N, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		y := datumDec(a[1])
		if y.IsZero() {
			return types.Null, errDivisionByZero()
		}
		q := new(apd.Decimal)
		if _, err := decCtx.QuoInteger(q, datumDec(a[0]), y); err != nil {
			return types.Null, types.Errorf(types.CodeNumericValueOutOfRange, "value overflows numeric format")
		}
		return dDec(q), nil
	}})
	for _, name := range []string{"ceil", "ceiling"} {
		b.fn(&Overload{Name: name, Args: args(F), Ret: F, Fn: f8(math.Ceil)})
		b.fn(&Overload{Name: name, Args: args(N), Ret: N, Fn: decFn(func(x *apd.Decimal) (*apd.Decimal, error) {
			return decRound(x, 0, apd.RoundCeiling)
		})})
	}
	b.fn(&Overload{Name: "floor", Args: args(F), Ret: F, Fn: f8(math.Floor)})
	b.fn(&Overload{Name: "floor", Args: args(N), Ret: N, Fn: decFn(func(x *apd.Decimal) (*apd.Decimal, error) {
		return decRound(x, 0, apd.RoundFloor)
	})})
	b.fn(&Overload{Name: "round", Args: args(F), Ret: F, Fn: f8(math.RoundToEven)})
	b.fn(&Overload{Name: "round", Args: args(N), Ret: N, Fn: decFn(func(x *apd.Decimal) (*apd.Decimal, error) {
		return decRound(x, 0, apd.RoundHalfUp)
	})})
	b.fn(&Overload{Name: "round", Args: args(N, types.Int4), Ret: N, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		r, err := decRound(datumDec(a[0]), a[1].I, apd.RoundHalfUp)
		if err != nil {
			return types.Null, err
		}
		return dDec(r), nil
	}})
	b.fn(&Overload{Name: "trunc", Args: args(F), Ret: F, Fn: f8(math.Trunc)})
	b.fn(&Overload{Name: "trunc", Args: args(N), Ret: N, Fn: decFn(func(x *apd.Decimal) (*apd.Decimal, error) {
		return decRound(x, 0, apd.RoundDown)
	})})
	b.fn(&Overload{Name: "trunc", Args: args(N, types.Int4), Ret: N, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		r, err := decRound(datumDec(a[0]), a[1].I, apd.RoundDown)
		if err != nil {
			return types.Null, err
		}
		return dDec(r), nil
	}})
	b.fn(&Overload{Name: "sign", Args: args(F), Ret: F, Fn: f8(func(x float64) float64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	})})
	b.fn(&Overload{Name: "sign", Args: args(N), Ret: N, Fn: decFn(func(x *apd.Decimal) (*apd.Decimal, error) {
		return apd.New(int64(x.Sign()), 0), nil
	})})
	b.fn(&Overload{Name: "sqrt", Args: args(F), Ret: F, Fn: f8Fn(func(x float64) (float64, error) {
		if x < 0 {
			return 0, types.Errorf("2201F", "cannot take square root of a negative number")
		}
		return math.Sqrt(x), nil
	})})
	b.fn(&Overload{Name: "sqrt", Args: args(N), Ret: N, Fn: decFn(func(x *apd.Decimal) (*apd.Decimal, error) {
		if x.Negative && !x.IsZero() {
			return nil, types.Errorf("2201F", "cannot take square root of a negative number")
		}
		r := new(apd.Decimal)
		if _, err := mathCtx.Sqrt(r, x); err != nil {
			return nil, err
		}
		w, _ := nbaseWeight(x)
		rscale := 16 - ((w+1)*4/2 - 1)
		return decRound(r, max(rscale, dscale(x)), apd.RoundHalfUp)
	})})
	b.fn(&Overload{Name: "cbrt", Args: args(F), Ret: F, Fn: f8(glibcCbrt)})
	for _, name := range []string{"power", "pow"} {
		b.fn(&Overload{Name: name, Args: args(F, F), Ret: F, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
			return floatPow(a[0].Float(), a[1].Float())
		}})
		b.fn(&Overload{Name: name, Args: args(N, N), Ret: N, Fn: numericOp('^')})
	}
	b.fn(&Overload{Name: "exp", Args: args(F), Ret: F, Fn: f8Fn(func(x float64) (float64, error) {
		r := math.Exp(x)
		if math.IsInf(r, 0) && !math.IsInf(x, 0) {
			return 0, errFloatOverflow()
		}
		return r, nil
	})})
	b.fn(&Overload{Name: "exp", Args: args(N), Ret: N, Fn: decFn(func(x *apd.Decimal) (*apd.Decimal, error) {
		r := new(apd.Decimal)
		if _, err := mathCtx.Exp(r, x); err != nil {
			return nil, types.Errorf(types.CodeNumericValueOutOfRange, "value overflows numeric format")
		}
		return decWithSigScale(r, 16, dscale(x))
	})})
	lnF := f8Fn(func(x float64) (float64, error) {
		switch {
		case x == 0:
			return 0, errLogZero()
		case x < 0:
			return 0, errLogNeg()
		}
		return math.Log(x), nil
	})
	b.fn(&Overload{Name: "ln", Args: args(F), Ret: F, Fn: lnF})
	lnN := func(x *apd.Decimal, log10 bool) (*apd.Decimal, error) {
		switch {
		case x.IsZero():
			return nil, errLogZero()
		case x.Negative:
			return nil, errLogNeg()
		}
		r := new(apd.Decimal)
		var err error
		if log10 {
			_, err = mathCtx.Log10(r, x)
		} else {
			_, err = mathCtx.Ln(r, x)
		}
		if err != nil {
			return nil, err
		}
		if log10 {
			return decWithSigScale(r, 16, dscale(x))
		}
		// numeric_ln: 16 significant digits after the truncated (not
		// floored) decimal weight of the result.
		dweight := int64(0)
		if f := math.Abs(floatFromDec(r)); f != 0 {
			dweight = int64(math.Log10(f))
		}
		return decRound(r, min(max(16-dweight, dscale(x), 0), 1000), apd.RoundHalfUp)
	}
	b.fn(&Overload{Name: "ln", Args: args(N), Ret: N, Fn: decFn(func(x *apd.Decimal) (*apd.Decimal, error) { return lnN(x, false) })})
	log10F := f8Fn(func(x float64) (float64, error) {
		switch {
		case x == 0:
			return 0, errLogZero()
		case x < 0:
			return 0, errLogNeg()
		}
		return math.Log10(x), nil
	})
	for _, name := range []string{"log", "log10"} {
		b.fn(&Overload{Name: name, Args: args(F), Ret: F, Fn: log10F})
		b.fn(&Overload{Name: name, Args: args(N), Ret: N, Fn: decFn(func(x *apd.Decimal) (*apd.Decimal, error) { return lnN(x, true) })})
	}
	b.fn(&Overload{Name: "log", Args: args(N, N), Ret: N, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		base, x := datumDec(a[0]), datumDec(a[1])
		for _, v := range []*apd.Decimal{base, x} {
			if v.IsZero() {
				return types.Null, errLogZero()
			}
			if v.Negative {
				return types.Null, errLogNeg()
			}
		}
		lb, lx := new(apd.Decimal), new(apd.Decimal)
		mathCtx.Ln(lb, base)
		mathCtx.Ln(lx, x)
		if lb.IsZero() {
			return types.Null, errDivisionByZero()
		}
		q := new(apd.Decimal)
		mathCtx.Quo(q, lx, lb)
		r, err := decWithSigScale(q, 16, max(dscale(base), dscale(x)))
		if err != nil {
			return types.Null, err
		}
		return dDec(r), nil
	}})
	b.fn(&Overload{Name: "pi", Ret: F, Fn: func(_ *Context, _ []types.Datum) (types.Datum, error) { return types.DFloat(math.Pi), nil }})
	b.fn(&Overload{Name: "random", Ret: F, Volatility: Volatile, Fn: func(_ *Context, _ []types.Datum) (types.Datum, error) {
		return types.DFloat(rand.Float64()), nil
	}})
	b.fn(&Overload{Name: "degrees", Args: args(F), Ret: F, Fn: f8(func(x float64) float64 { return x * 180 / math.Pi })})
	b.fn(&Overload{Name: "radians", Args: args(F), Ret: F, Fn: f8(func(x float64) float64 { return x * math.Pi / 180 })})
	trig := map[string]func(float64) float64{
		"sin": math.Sin, "cos": math.Cos, "tan": math.Tan, "asin": math.Asin, "acos": math.Acos, "atan": math.Atan,
		"sinh": math.Sinh, "cosh": math.Cosh, "tanh": math.Tanh,
		"cot": func(x float64) float64 { return 1 / math.Tan(x) },
	}
	for _, name := range []string{"sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "cot"} {
		f := trig[name]
		b.fn(&Overload{Name: name, Args: args(F), Ret: F, Fn: f8Fn(func(x float64) (float64, error) {
			r := f(x)
			if math.IsNaN(r) && !math.IsNaN(x) {
				return 0, types.Errorf(types.CodeNumericValueOutOfRange, "input is out of range")
			}
			return r, nil
		})})
	}
	b.fn(&Overload{Name: "atan2", Args: args(F, F), Ret: F, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DFloat(math.Atan2(a[0].Float(), a[1].Float())), nil
	}})
	for _, t := range []*types.T{types.Int4, types.Int8} {
		w := t.Width
		b.fn(&Overload{Name: "gcd", Args: args(t, t), Ret: t, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
			g := gcd(a[0].I, a[1].I)
			if g == minInt(w) {
				return types.Null, intRangeError(w)
			}
			return types.DInt(g), nil
		}})
		b.fn(&Overload{Name: "lcm", Args: args(t, t), Ret: t, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
			x, y := a[0].I, a[1].I
			if x == 0 || y == 0 {
				return types.DInt(0), nil
			}
			g := gcd(x, y)
			r, err := intMul(x/g, y, w)
			if err != nil {
				return types.Null, err
			}
			if r < 0 {
				r = -r
			}
			return types.DInt(r), checkIntWidth(r, w)
		}})
	}
	b.fn(&Overload{Name: "width_bucket", Args: args(F, F, F, types.Int4), Ret: types.Int4, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return widthBucket(a[0].Float(), a[1].Float(), a[2].Float(), a[3].I)
	}})
	b.fn(&Overload{Name: "width_bucket", Args: args(N, N, N, types.Int4), Ret: types.Int4, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return widthBucket(floatFromDec(datumDec(a[0])), floatFromDec(datumDec(a[1])), floatFromDec(datumDec(a[2])), a[3].I)
	}})
	b.fn(&Overload{Name: "scale", Args: args(N), Ret: types.Int4, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DInt(dscale(datumDec(a[0]))), nil
	}})
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	if a < 0 && a != math.MinInt64 {
		a = -a
	}
	return a
}

func widthBucket(x, lo, hi float64, n int64) (types.Datum, error) {
	if n <= 0 {
		return types.Null, types.Errorf("2201G", "count must be greater than zero")
	}
	if lo == hi || math.IsNaN(lo) || math.IsNaN(hi) || math.IsNaN(x) {
		return types.Null, types.Errorf("2201G", "lower bound cannot equal upper bound")
	}
	var r int64
	if lo < hi {
		switch {
		case x < lo:
			r = 0
		case x >= hi:
			r = n + 1
		default:
			r = int64(float64(n)*(x-lo)/(hi-lo)) + 1
		}
	} else {
		switch {
		case x > lo:
			r = 0
		case x <= hi:
			r = n + 1
		default:
			r = int64(float64(n)*(lo-x)/(lo-hi)) + 1
		}
	}
	return types.DInt(r), checkIntWidth(r, 32)
}

// glibcCbrt is glibc's cbrt (sysdeps/ieee754/dbl-64/s_cbrt.c), which
// Postgres calls: it is not correctly rounded (cbrt(27) is
// 3.0000000000000004), and results should match Postgres bit for bit.
func glibcCbrt(x float64) float64 {
	const (
		cbrt2    = 1.2599210498948731648 // 2^(1/3)
		sqrCbrt2 = 1.5874010519681994748 // 2^(2/3)
	)
	factor := [5]float64{1.0 / sqrCbrt2, 1.0 / cbrt2, 1.0, cbrt2, sqrCbrt2}
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x + x
	}
	xm, xe := math.Frexp(math.Abs(x))
	u := 0.354895765043919860 + ((1.50819193781584896 + ((-2.11499494167371287 + ((2.44693122563534430 +
		((-1.83469277483613086 + (0.784932344976639262-0.145263899385486377*xm)*xm) * xm)) * xm)) * xm)) * xm)
	t2 := u * u * u
	ym := u * (t2 + 2.0*xm) / (2.0*t2 + xm) * factor[2+xe%3]
	if x < 0 {
		ym = -ym
	}
	return math.Ldexp(ym, xe/3)
}
