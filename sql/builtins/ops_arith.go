package builtins

import (
	"math"
	"math/bits"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamdb/streamdb/sql/types"
)

var intTypes = []*types.T{types.Int2, types.Int4, types.Int8}

func registerOperators(b *registryBuilder) {
	registerArithOps(b)
	registerCompareOps(b)
	registerStringOps(b)
	registerDatetimeOps(b)
	registerJSONOps(b)
	registerArrayOps(b)
}

func registerArithOps(b *registryBuilder) {
	for _, t := range intTypes {
		w := t.Width
		b.op(&Overload{Name: "+", Args: args(t, t), Ret: t, Fn: intOp(w, intAdd)})
		b.op(&Overload{Name: "-", Args: args(t, t), Ret: t, Fn: intOp(w, intSub)})
		b.op(&Overload{Name: "*", Args: args(t, t), Ret: t, Fn: intOp(w, intMul)})
		b.op(&Overload{Name: "/", Args: args(t, t), Ret: t, Fn: intOp(w, intDiv)})
		b.op(&Overload{Name: "%", Args: args(t, t), Ret: t, Fn: intOp(w, intMod)})
		b.op(&Overload{Name: "-", Args: args(t), Ret: t, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
			if a[0].I == minInt(w) {
				return types.Null, intRangeError(w)
			}
			return types.DInt(-a[0].I), nil
		}})
		b.op(&Overload{Name: "+", Args: args(t), Ret: t, Fn: identity})
		b.op(&Overload{Name: "@", Args: args(t), Ret: t, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
			return intAbs(a[0].I, w)
		}})
		// Bitwise operators.
		b.op(&Overload{Name: "&", Args: args(t, t), Ret: t, Fn: intBits(func(x, y int64) int64 { return x & y })})
		b.op(&Overload{Name: "|", Args: args(t, t), Ret: t, Fn: intBits(func(x, y int64) int64 { return x | y })})
		b.op(&Overload{Name: "#", Args: args(t, t), Ret: t, Fn: intBits(func(x, y int64) int64 { return x ^ y })})
		b.op(&Overload{Name: "~", Args: args(t), Ret: t, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
			return types.DInt(^a[0].I), nil
		}})
		b.op(&Overload{Name: "<<", Args: args(t, types.Int4), Ret: t, Fn: shiftFn(w, true)})
		b.op(&Overload{Name: ">>", Args: args(t, types.Int4), Ret: t, Fn: shiftFn(w, false)})
	}
	for _, t := range []*types.T{types.Float4, types.Float8} {
		w := t.Width
		b.op(&Overload{Name: "+", Args: args(t, t), Ret: t, Fn: floatOp(w, '+')})
		b.op(&Overload{Name: "-", Args: args(t, t), Ret: t, Fn: floatOp(w, '-')})
		b.op(&Overload{Name: "*", Args: args(t, t), Ret: t, Fn: floatOp(w, '*')})
		b.op(&Overload{Name: "/", Args: args(t, t), Ret: t, Fn: floatOp(w, '/')})
		b.op(&Overload{Name: "-", Args: args(t), Ret: t, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
			return types.DFloat(-a[0].Float()), nil
		}})
		b.op(&Overload{Name: "+", Args: args(t), Ret: t, Fn: identity})
		b.op(&Overload{Name: "@", Args: args(t), Ret: t, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
			return types.DFloat(math.Abs(a[0].Float())), nil
		}})
	}
	// Cross-type float operators (float48pl...): they make real * 2 and
	// numeric / real resolve to double precision, as in Postgres.
	for _, pair := range [][2]*types.T{{types.Float4, types.Float8}, {types.Float8, types.Float4}} {
		for _, op := range []byte{'+', '-', '*', '/'} {
			b.op(&Overload{Name: string(op), Args: args(pair[0], pair[1]), Ret: types.Float8, Fn: floatOp(64, op)})
		}
	}
	b.op(&Overload{Name: "^", Args: args(types.Float8, types.Float8), Ret: types.Float8, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return floatPow(a[0].Float(), a[1].Float())
	}})
	n := types.Numeric
	b.op(&Overload{Name: "+", Args: args(n, n), Ret: n, Fn: numericAddSubMul('+'), IntAsNumeric: true})
	b.op(&Overload{Name: "-", Args: args(n, n), Ret: n, Fn: numericAddSubMul('-'), IntAsNumeric: true})
	b.op(&Overload{Name: "*", Args: args(n, n), Ret: n, Fn: numericAddSubMul('*'), IntAsNumeric: true})
	b.op(&Overload{Name: "/", Args: args(n, n), Ret: n, Fn: numericOp('/')})
	b.op(&Overload{Name: "%", Args: args(n, n), Ret: n, Fn: numericOp('%')})
	b.op(&Overload{Name: "^", Args: args(n, n), Ret: n, Fn: numericOp('^')})
	b.op(&Overload{Name: "-", Args: args(n), Ret: n, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		r := new(apd.Decimal)
		r.Neg(datumDec(a[0]))
		return dDec(r), nil
	}})
	b.op(&Overload{Name: "+", Args: args(n), Ret: n, Fn: identity})
	b.op(&Overload{Name: "@", Args: args(n), Ret: n, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		r := new(apd.Decimal)
		r.Abs(datumDec(a[0]))
		return dDec(r), nil
	}})
}

func identity(_ *Context, a []types.Datum) (types.Datum, error) { return a[0], nil }

func minInt(width int) int64 {
	switch width {
	case 16:
		return math.MinInt16
	case 32:
		return math.MinInt32
	}
	return math.MinInt64
}

func intAbs(v int64, w int) (types.Datum, error) {
	if v == minInt(w) {
		return types.Null, intRangeError(w)
	}
	if v < 0 {
		v = -v
	}
	return types.DInt(v), nil
}

type intFunc func(a, b int64, width int) (int64, error)

func intOp(width int, f intFunc) Fn {
	return func(_ *Context, a []types.Datum) (types.Datum, error) {
		r, err := f(a[0].I, a[1].I, width)
		if err != nil {
			return types.Null, err
		}
		return types.DInt(r), nil
	}
}

func intBits(f func(x, y int64) int64) Fn {
	return func(_ *Context, a []types.Datum) (types.Datum, error) { return types.DInt(f(a[0].I, a[1].I)), nil }
}

func shiftFn(width int, left bool) Fn {
	return func(_ *Context, a []types.Datum) (types.Datum, error) {
		x, n := a[0].I, uint(a[1].I)&uint(width-1)
		var r int64
		if left {
			r = x << n
		} else {
			r = x >> n
		}
		switch width {
		case 16:
			r = int64(int16(r))
		case 32:
			r = int64(int32(r))
		}
		return types.DInt(r), nil
	}
}

func intAdd(a, b int64, w int) (int64, error) {
	s := a + b
	if (a^s)&(b^s) < 0 {
		return 0, intRangeError(w)
	}
	return s, checkIntWidth(s, w)
}

func intSub(a, b int64, w int) (int64, error) {
	s := a - b
	if (a^b)&(a^s) < 0 {
		return 0, intRangeError(w)
	}
	return s, checkIntWidth(s, w)
}

func intMul(a, b int64, w int) (int64, error) {
	ua, ub := uabs(a), uabs(b)
	hi, lo := bits.Mul64(ua, ub)
	neg := (a < 0) != (b < 0)
	if hi != 0 || (lo > math.MaxInt64 && !(neg && lo == 1<<63)) {
		return 0, intRangeError(w)
	}
	r := int64(lo)
	if neg {
		r = -r
	}
	return r, checkIntWidth(r, w)
}

func uabs(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}

func intDiv(a, b int64, w int) (int64, error) {
	if b == 0 {
		return 0, errDivisionByZero()
	}
	if b == -1 {
		if a == minInt(w) {
			return 0, intRangeError(w)
		}
		return -a, nil
	}
	return a / b, nil
}

func intMod(a, b int64, w int) (int64, error) {
	if b == 0 {
		return 0, errDivisionByZero()
	}
	if b == -1 {
		return 0, nil
	}
	return a % b, nil
}

func floatOp(width int, op byte) Fn {
	return func(_ *Context, a []types.Datum) (types.Datum, error) {
		x, y := a[0].Float(), a[1].Float()
		var r float64
		switch op {
		case '+':
			r = x + y
		case '-':
			r = x - y
		case '*':
			r = x * y
		case '/':
			if y == 0 {
				return types.Null, errDivisionByZero()
			}
			r = x / y
		}
		if width == 32 {
			r = float4Result(r)
		}
		finite := !math.IsInf(x, 0) && !math.IsInf(y, 0)
		if math.IsInf(r, 0) && finite {
			return types.Null, errFloatOverflow()
		}
		if r == 0 && (op == '*' || op == '/') && x != 0 && !math.IsInf(y, 0) && (op == '/' || y != 0) {
			return types.Null, errFloatUnderflow()
		}
		return types.DFloat(r), nil
	}
}

func floatPow(x, y float64) (types.Datum, error) {
	if x == 0 && y < 0 {
		return types.Null, types.Errorf("2201F", "zero raised to a negative power is undefined")
	}
	if x < 0 && y != math.Trunc(y) {
		return types.Null, types.Errorf("2201F", "a negative number raised to a non-integer power yields a complex result")
	}
	r := math.Pow(x, y)
	if math.IsInf(r, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
		return types.Null, errFloatOverflow()
	}
	if r == 0 && x != 0 && !math.IsInf(y, 0) {
		return types.Null, errFloatUnderflow()
	}
	return types.DFloat(r), nil
}

func numericOp(op byte) Fn {
	return func(_ *Context, a []types.Datum) (types.Datum, error) {
		r, err := numericArith(op, datumDec(a[0]), datumDec(a[1]))
		if err != nil {
			return types.Null, err
		}
		return dDec(r), nil
	}
}

// numericAddSubMul is numeric +, - or *. An integer argument (the
// executor passes a bigint column as it is instead of casting it to numeric
// first: IntAsNumeric) is converted into a decimal on the stack, so that
// 0.908 * price allocates only its result.
func numericAddSubMul(op byte) Fn {
	return func(_ *Context, a []types.Datum) (types.Datum, error) {
		var xi, yi apd.Decimal
		r, err := numericArith(op, decOrInt(a[0], &xi), decOrInt(a[1], &yi))
		if err != nil {
			return types.Null, err
		}
		return dDec(r), nil
	}
}

// decOrInt is d's decimal, or, for an integer datum, tmp set to it.
func decOrInt(d types.Datum, tmp *apd.Decimal) *apd.Decimal {
	if d.K == types.KInt {
		tmp.SetInt64(d.I)
		return tmp
	}
	return datumDec(d)
}

// numericArith applies op with Postgres's result scales.
func numericArith(op byte, x, y *apd.Decimal) (*apd.Decimal, error) {
	r := new(apd.Decimal)
	if x.Form != apd.Finite || y.Form != apd.Finite {
		return numericSpecial(op, x, y)
	}
	var err error
	switch op {
	case '+':
		_, err = decCtx.Add(r, x, y)
	case '-':
		_, err = decCtx.Sub(r, x, y)
	case '*':
		_, err = decCtx.Mul(r, x, y)
	case '/':
		if y.IsZero() {
			return nil, errDivisionByZero()
		}
		return numericDiv(x, y)
	case '%':
		if y.IsZero() {
			return nil, errDivisionByZero()
		}
		_, err = decCtx.Rem(r, x, y)
	case '^':
		return numericPow(x, y)
	}
	if err != nil {
		return nil, types.Errorf(types.CodeNumericValueOutOfRange, "value overflows numeric format")
	}
	return r, nil
}

// numericSpecial handles NaN and infinities through float semantics.
func numericSpecial(op byte, x, y *apd.Decimal) (*apd.Decimal, error) {
	fx, fy := floatFromDec(x), floatFromDec(y)
	var r float64
	switch op {
	case '+':
		r = fx + fy
	case '-':
		r = fx - fy
	case '*':
		r = fx * fy
	case '/':
		if fy == 0 {
			return nil, errDivisionByZero()
		}
		r = fx / fy
	case '%':
		if fy == 0 {
			return nil, errDivisionByZero()
		}
		r = math.Mod(fx, fy)
	case '^':
		r = math.Pow(fx, fy)
	}
	return decFromFloat(r, 64), nil
}

// nbaseWeight returns the Postgres base-10000 weight and first digit of x.
func nbaseWeight(x *apd.Decimal) (weight int64, first int64) {
	if x.IsZero() {
		return 0, 0
	}
	e10 := int64(x.NumDigits()) + int64(x.Exponent) - 1 // exponent of the leading digit
	weight = floorDiv(e10, 4)
	// first = floor(|x| / 10000^weight)
	t := new(apd.Decimal).Set(x)
	t.Negative = false
	t.Exponent -= int32(4 * weight)
	f := new(apd.Decimal)
	decCtx.Floor(f, t)
	v, _ := f.Int64()
	return weight, v
}

func dscale(x *apd.Decimal) int64 {
	if x.Exponent < 0 {
		return int64(-x.Exponent)
	}
	return 0
}

// numericDiv divides with select_div_scale's result scale.
func numericDiv(x, y *apd.Decimal) (*apd.Decimal, error) {
	w1, f1 := nbaseWeight(x)
	w2, f2 := nbaseWeight(y)
	qweight := w1 - w2
	if f1 <= f2 {
		qweight--
	}
	rscale := 16 - qweight*4
	rscale = max(rscale, dscale(x), dscale(y), 0)
	rscale = min(rscale, 1000)
	return numericQuo(x, y, rscale)
}

func numericQuo(x, y *apd.Decimal, rscale int64) (*apd.Decimal, error) {
	e1 := int64(x.NumDigits()) + int64(x.Exponent)
	e2 := int64(y.NumDigits()) + int64(y.Exponent)
	prec := max(e1-e2+rscale+4, 4)
	c := decCtx.WithPrecision(uint32(prec))
	c.Rounding = apd.RoundDown
	q := new(apd.Decimal)
	if _, err := c.Quo(q, x, y); err != nil {
		return nil, types.Errorf(types.CodeNumericValueOutOfRange, "value overflows numeric format")
	}
	r := new(apd.Decimal)
	if _, err := decCtx.Quantize(r, q, -int32(rscale)); err != nil {
		return nil, types.Errorf(types.CodeNumericValueOutOfRange, "value overflows numeric format")
	}
	return r, nil
}

func numericPow(x, y *apd.Decimal) (*apd.Decimal, error) {
	if x.IsZero() && y.Negative {
		return nil, types.Errorf("2201F", "zero raised to a negative power is undefined")
	}
	isInt := y.Exponent >= 0
	if !isInt {
		t := new(apd.Decimal)
		decCtx.Floor(t, y)
		isInt = t.Cmp(y) == 0
	}
	if x.Negative && !isInt {
		return nil, types.Errorf("2201F", "a negative number raised to a non-integer power yields a complex result")
	}
	c := decCtx.WithPrecision(60)
	r := new(apd.Decimal)
	if y.IsZero() {
		r.SetInt64(1) // including 0 ^ 0, as in Postgres
	} else if _, err := c.Pow(r, x, y); err != nil {
		return nil, types.Errorf(types.CodeNumericValueOutOfRange, "value overflows numeric format")
	}
	// Result scale: at least 16 significant digits, as in power_var.
	var rscale int64
	if r.IsZero() {
		rscale = 16
	} else {
		e := int64(r.NumDigits()) + int64(r.Exponent) - 1
		rscale = 16 - e
		if isInt {
			rscale = 16
		}
	}
	rscale = min(max(rscale, dscale(x), dscale(y), 0), 1000)
	out := new(apd.Decimal)
	if _, err := decCtx.Quantize(out, r, -int32(rscale)); err != nil {
		return nil, types.Errorf(types.CodeNumericValueOutOfRange, "value overflows numeric format")
	}
	return out, nil
}
