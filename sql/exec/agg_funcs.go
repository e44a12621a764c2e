package exec

import (
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// aggFunc is the immutable description of one aggregate call; aggState is
// its per-group running state. Every state is retractable: add takes the
// sign of the change (+1 insert, -1 delete), so the same code maintains
// materialized views under deletes and updates.
type aggFunc struct {
	call    planner.AggCall
	kind    builtins.AggKind
	ret     *types.T
	argType *types.T
	// strictArgs is the number of leading arguments whose NULL makes the row
	// skipped (0 for count(*), array_agg and the json aggregates).
	strictArgs int
	// appendOnly states never see retractions (one-shot queries).
	appendOnly bool
	// toJSON holds, per argument of a json aggregate, the to_jsonb overload
	// that renders the types this file does not format itself (dates,
	// timestamps, intervals, bytea...); bctx is the context to call it in.
	toJSON []*builtins.Overload
	bctx   *builtins.Context
	// orderBy re-indexes the ORDER BY keys into the sort-value rows kept by
	// the list aggregates.
	orderBy []planner.SortKey
	// trackValues: the aggregate persists its own state
	// (aggregate_state.go), so the value multisets of DISTINCT and
	// MIN/MAX note which values changed since the last barrier.
	trackValues bool
	// keepsValues: the state counts its argument values (DISTINCT, and
	// MIN/MAX over an input that can retract rows).
	keepsValues bool
}

type aggState interface {
	add(f *aggFunc, row types.Row, sgn int) error
	result(f *aggFunc) (types.Datum, error)
}

func newAggFunc(ec *evalCtx, call planner.AggCall, appendOnly bool) (*aggFunc, error) {
	if call.Agg == nil {
		return nil, types.Errorf(types.CodeInternalError, "aggregate call without an overload")
	}
	f := &aggFunc{call: call, kind: call.Agg.Kind, ret: call.Agg.Ret, appendOnly: appendOnly}
	if len(call.Agg.Args) > 0 {
		f.argType = call.Agg.Args[0]
	}
	switch f.kind {
	case builtins.AggCountStar, builtins.AggArrayAgg, builtins.AggJSONAgg, builtins.AggJSONObjectAgg:
		// Not strict: array_agg and json_agg keep NULLs, json_object_agg
		// rejects a NULL key.
		f.strictArgs = 0
	case builtins.AggStringAgg:
		f.strictArgs = 1
	default:
		f.strictArgs = len(call.Args)
	}
	if f.kind == builtins.AggJSONAgg || f.kind == builtins.AggJSONObjectAgg {
		f.bctx = ec.bctx
		for _, t := range call.Agg.Args {
			var o *builtins.Overload
			if t != nil && t.Family != types.UnknownFamily && t.Family != types.StringFamily {
				o, _ = builtins.ResolveFunction("to_jsonb", []*types.T{t})
			}
			f.toJSON = append(f.toJSON, o)
		}
	}
	for i, k := range call.OrderBy {
		f.orderBy = append(f.orderBy, planner.SortKey{Col: i, Desc: k.Desc, NullsFirst: k.NullsFirst})
	}
	isMinMax := f.kind == builtins.AggMin || f.kind == builtins.AggMax
	f.keepsValues = call.Distinct || (isMinMax && !appendOnly)
	return f, nil
}

// aggAlloc hands out groups and the common aggregate states in blocks, so
// that a new group costs a few allocations per 256 groups instead of
// several each.
type aggAlloc struct {
	groups []aggGroup
	states []aggState
	datums []types.Datum
	counts []countState
	sums   []sumState
	avgs   []avgState
}

func (a *aggAlloc) stateSlice(n int) []aggState {
	if n == 0 {
		return nil
	}
	if len(a.states) < n {
		a.states = make([]aggState, max(256, n))
	}
	s := a.states[:n:n]
	a.states = a.states[n:]
	return s
}

func (a *aggAlloc) row(n int) types.Row {
	if n == 0 {
		return nil
	}
	if len(a.datums) < n {
		a.datums = make([]types.Datum, max(256*n, n))
	}
	r := a.datums[:n:n]
	a.datums = a.datums[n:]
	return r
}

func (f *aggFunc) newState() (aggState, error) { return f.newStateFrom(nil) }

// newStateFrom makes a fresh state, taking it from alloc when given.
func (f *aggFunc) newStateFrom(alloc *aggAlloc) (aggState, error) {
	var s aggState
	switch f.kind {
	case builtins.AggCount, builtins.AggCountStar:
		if alloc != nil {
			s = take(&alloc.counts)
		} else {
			s = &countState{}
		}
	case builtins.AggSum:
		if alloc != nil {
			s = take(&alloc.sums)
		} else {
			s = &sumState{}
		}
	case builtins.AggAvg:
		if alloc != nil {
			s = take(&alloc.avgs)
		} else {
			s = &avgState{}
		}
	case builtins.AggMin, builtins.AggMax:
		s = &minMaxState{max: f.kind == builtins.AggMax}
	case builtins.AggBoolAnd, builtins.AggBoolOr:
		s = &boolState{}
	case builtins.AggStringAgg, builtins.AggArrayAgg, builtins.AggJSONAgg, builtins.AggJSONObjectAgg:
		s = &listState{}
	case builtins.AggStddevSamp, builtins.AggStddevPop, builtins.AggVarSamp, builtins.AggVarPop:
		s = &varianceState{}
	case builtins.AggBitAnd, builtins.AggBitOr:
		s = &bitState{}
	default:
		return nil, types.Unsupported("aggregate " + f.call.Agg.Name)
	}
	if f.call.Distinct {
		s = &distinctState{inner: s}
	}
	return s, nil
}

// distinctState feeds its inner state each distinct argument tuple once.
type distinctState struct {
	inner aggState
	vals  familyMember
}

func (s *distinctState) add(f *aggFunc, row types.Row, sgn int) error {
	fam, i := s.vals.family()
	e := fam.find(f, row)
	if sgn > 0 {
		if e == nil {
			e = fam.insert(f, row)
		}
		e.n[i]++
		fam.touch(f, e)
		if e.n[i] == 1 {
			return s.inner.add(f, row, 1)
		}
		return nil
	}
	if !fam.retract(f, e, i) {
		return nil
	}
	return s.inner.add(f, row, -1)
}

// valueFamily is a multiset of argument values (DISTINCT arguments,
// MIN/MAX inputs) shared by the functions of a group that take the same
// arguments: one lookup per row for all of them, and, when the aggregate
// persists its own state, one state entry per (group, value) with a count
// per member (aggregate_state.go). changed lists the values changed since
// the last barrier, each once (removed ones included, with zero counts).
type valueFamily struct {
	m       map[string]*familyValue
	members int
	changed []*familyValue
	buf     []byte
	// last is the value the last find returned: the members of a family
	// look up the same row one after another.
	last *familyValue
}

type familyValue struct {
	key string      // the key encoding of the argument values
	d   types.Datum // the first argument (MIN/MAX read it)
	n   []int64     // per member
	// dirty: in changed. persisted: a state entry holds it.
	dirty, persisted bool
}

func newValueFamily(members int) *valueFamily {
	return &valueFamily{m: make(map[string]*familyValue), members: members}
}

// familyMember is a state's place in its family; a state used outside an
// aggregate (a window function) gets a family of its own on first use.
type familyMember struct {
	fam *valueFamily
	idx int
}

func (m *familyMember) family() (*valueFamily, int) {
	if m.fam == nil {
		m.fam = newValueFamily(1)
	}
	return m.fam, m.idx
}

// find returns the entry of row's argument values, or nil; insert may
// follow for the same row.
func (v *valueFamily) find(f *aggFunc, row types.Row) *familyValue {
	v.buf, _ = appendColsKey(v.buf[:0], row, f.call.Args)
	if v.last != nil && v.last.key == string(v.buf) {
		return v.last
	}
	e := v.m[string(v.buf)]
	if e != nil {
		v.last = e
	}
	return e
}

// insert adds row's values, which find did not find just before.
func (v *valueFamily) insert(f *aggFunc, row types.Row) *familyValue {
	e := &familyValue{key: string(v.buf), n: make([]int64, v.members)}
	if len(f.call.Args) > 0 {
		e.d = row[f.call.Args[0]]
	}
	v.m[e.key] = e
	v.last = e
	return e
}

// release drops e once no member counts it.
func (v *valueFamily) release(e *familyValue) {
	for _, n := range e.n {
		if n != 0 {
			return
		}
	}
	delete(v.m, e.key)
	if v.last == e {
		v.last = nil
	}
}

// retract takes one of member i's counts of e (nil: a value the family
// never had) and reports whether member i no longer counts e at all, which
// is when the member's result can change.
func (v *valueFamily) retract(f *aggFunc, e *familyValue, i int) (gone bool) {
	if e == nil || e.n[i] == 0 {
		return false
	}
	e.n[i]--
	v.touch(f, e)
	if e.n[i] > 0 {
		return false
	}
	v.release(e)
	return true
}

func (v *valueFamily) touch(f *aggFunc, e *familyValue) {
	if f.trackValues && !e.dirty {
		e.dirty = true
		v.changed = append(v.changed, e)
	}
}

func (s *distinctState) result(f *aggFunc) (types.Datum, error) { return s.inner.result(f) }

type countState struct{ n int64 }

func (s *countState) add(_ *aggFunc, _ types.Row, sgn int) error { s.n += int64(sgn); return nil }
func (s *countState) result(*aggFunc) (types.Datum, error)       { return types.DInt(s.n), nil }

// exact is the context for exact decimal sums and products (no rounding).
var exact = apd.BaseContext

// numAcc accumulates a sum of numbers of one family exactly where Postgres
// is exact: integers in an int64 that spills into a decimal on overflow,
// numerics as decimals, floats as float64, intervals field by field.
type numAcc struct {
	n      int64
	i      int64
	dec    *apd.Decimal
	f      float64
	months int64
	days   int64
	micros int64
	// scales counts the numeric inputs in the sum by display scale: like
	// Postgres, the sum shows the largest scale among the values it
	// currently holds, which a retraction can lower.
	scales []int64
}

func (a *numAcc) add(d types.Datum, sgn int) error {
	a.n += int64(sgn)
	switch d.K {
	case types.KInt:
		v := d.I
		if sgn < 0 {
			if v == math.MinInt64 {
				return a.addDecimal(apd.New(v, 0), -1)
			}
			v = -v
		}
		sum := a.i + v
		if (a.i > 0 && v > 0 && sum < 0) || (a.i < 0 && v < 0 && sum >= 0) {
			// Overflow: move the running sum into the decimal.
			if err := a.addDecimal(apd.New(a.i, 0), 1); err != nil {
				return err
			}
			sum = v
		}
		a.i = sum
	case types.KFloat:
		a.f += float64(sgn) * d.Float()
	case types.KDecimal:
		sc := dscale(d.Decimal())
		for len(a.scales) <= sc {
			a.scales = append(a.scales, 0)
		}
		a.scales[sc] += int64(sgn)
		return a.addDecimal(d.Decimal(), sgn)
	case types.KInterval:
		iv := d.Interval()
		a.months += int64(sgn) * int64(iv.Months)
		a.days += int64(sgn) * int64(iv.Days)
		a.micros += int64(sgn) * iv.Micros
	default:
		return types.Errorf(types.CodeDatatypeMismatch, "cannot sum values of this type")
	}
	return nil
}

func (a *numAcc) addDecimal(d *apd.Decimal, sgn int) error {
	if a.dec == nil {
		a.dec = new(apd.Decimal)
	}
	var err error
	if sgn > 0 {
		_, err = exact.Add(a.dec, a.dec, d)
	} else {
		_, err = exact.Sub(a.dec, a.dec, d)
	}
	return err
}

// decimalSum returns the exact sum as a new decimal, at the largest scale
// of the numeric values in it.
func (a *numAcc) decimalSum() *apd.Decimal {
	r := apd.New(a.i, 0)
	if a.dec != nil {
		_, _ = exact.Add(r, r, a.dec)
	}
	for sc := len(a.scales) - 1; sc >= 0; sc-- {
		if a.scales[sc] > 0 {
			if -int(r.Exponent) != sc {
				// Exact: the sum has no non-zero digit beyond the largest
				// input scale.
				ctx := apd.BaseContext.WithPrecision(uint32(int(r.NumDigits()) + sc + 2))
				_, _ = ctx.Quantize(r, r, int32(-sc))
			}
			break
		}
	}
	return r
}

type sumState struct{ acc numAcc }

func (s *sumState) add(f *aggFunc, row types.Row, sgn int) error {
	return s.acc.add(row[f.call.Args[0]], sgn)
}

func (s *sumState) result(f *aggFunc) (types.Datum, error) {
	if s.acc.n <= 0 {
		return types.Null, nil
	}
	switch f.ret.Family {
	case types.IntFamily:
		if s.acc.dec != nil && !s.acc.dec.IsZero() {
			v, err := s.acc.decimalSum().Int64()
			if err != nil {
				return types.Null, types.Errorf(types.CodeNumericValueOutOfRange, "bigint out of range")
			}
			return types.DInt(v), nil
		}
		return types.DInt(s.acc.i), nil
	case types.FloatFamily:
		return types.DFloat(s.acc.f), nil
	case types.NumericFamily:
		return types.DDecimal(s.acc.decimalSum()), nil
	case types.IntervalFamily:
		return intervalDatum(s.acc.months, s.acc.days, s.acc.micros)
	}
	return types.Null, types.Unsupported("sum returning " + f.ret.String())
}

func intervalDatum(months, days, micros int64) (types.Datum, error) {
	if months != int64(int32(months)) || days != int64(int32(days)) {
		return types.Null, types.Errorf(types.CodeDatetimeFieldOverflow, "interval out of range")
	}
	return types.DInterval(types.IntervalValue{Months: int32(months), Days: int32(days), Micros: micros}), nil
}

type avgState struct{ acc numAcc }

func (s *avgState) add(f *aggFunc, row types.Row, sgn int) error {
	return s.acc.add(row[f.call.Args[0]], sgn)
}

func (s *avgState) result(f *aggFunc) (types.Datum, error) {
	n := s.acc.n
	if n <= 0 {
		return types.Null, nil
	}
	switch f.ret.Family {
	case types.FloatFamily:
		return types.DFloat(s.acc.f / float64(n)), nil
	case types.NumericFamily:
		q, err := pgDiv(s.acc.decimalSum(), apd.New(n, 0))
		if err != nil {
			return types.Null, err
		}
		return types.DDecimal(q), nil
	case types.IntervalFamily:
		return intervalDiv(s.acc.months, s.acc.days, s.acc.micros, float64(n))
	}
	return types.Null, types.Unsupported("avg returning " + f.ret.String())
}

// intervalDiv divides an interval the way Postgres' interval_div does:
// fractional months cascade into days (30 per month), fractional days into
// time.
func intervalDiv(months, days, micros int64, factor float64) (types.Datum, error) {
	const daysPerMonth, secsPerDay = 30.0, 86400.0
	rm := int64(float64(months) / factor)
	rd := int64(float64(days) / factor)
	monthRemainderDays := (float64(months)/factor - float64(rm)) * daysPerMonth
	secRemainder := (float64(days)/factor - float64(rd) + monthRemainderDays - math.Trunc(monthRemainderDays)) * secsPerDay
	secRemainder = math.Round(secRemainder*1e6) / 1e6
	if math.Abs(secRemainder) >= secsPerDay {
		rd += int64(secRemainder / secsPerDay)
		secRemainder -= math.Trunc(secRemainder/secsPerDay) * secsPerDay
	}
	rd += int64(monthRemainderDays)
	rt := int64(math.RoundToEven(float64(micros)/factor + secRemainder*1e6))
	return intervalDatum(rm, rd, rt)
}

// nbaseWeight returns the weight of d's leading base-10000 digit and that
// digit, as Postgres' numeric code sees them.
func nbaseWeight(d *apd.Decimal) (weight int, first int64) {
	if d.IsZero() {
		return 0, 0
	}
	msd := int(d.NumDigits()) - 1 + int(d.Exponent)
	weight = msd / 4
	if msd < 0 && msd%4 != 0 {
		weight--
	}
	var x, integ, frac apd.Decimal
	x.Abs(d)
	x.Exponent -= int32(4 * weight)
	x.Modf(&integ, &frac)
	first, _ = integ.Int64()
	return weight, first
}

func dscale(d *apd.Decimal) int {
	if d.Exponent < 0 {
		return int(-d.Exponent)
	}
	return 0
}

// divScale is Postgres' select_div_scale: the result scale of a numeric
// division gives at least 16 significant digits and no fewer decimals than
// either input.
func divScale(a, b *apd.Decimal) int {
	w1, f1 := nbaseWeight(a)
	w2, f2 := nbaseWeight(b)
	q := w1 - w2
	if f1 <= f2 {
		q--
	}
	rscale := 16 - q*4
	rscale = max(rscale, dscale(a), dscale(b), 0)
	return min(rscale, 1000)
}

// pgDiv divides with Postgres' result scale, rounding half away from zero.
func pgDiv(a, b *apd.Decimal) (*apd.Decimal, error) {
	return divToScale(a, b, divScale(a, b))
}

func divToScale(a, b *apd.Decimal, rscale int) (*apd.Decimal, error) {
	if b.IsZero() {
		return nil, types.Errorf(types.CodeDivisionByZero, "division by zero")
	}
	intDigits := int(a.NumDigits()) + int(a.Exponent) - (int(b.NumDigits()) + int(b.Exponent))
	ctx := apd.BaseContext.WithPrecision(uint32(max(intDigits, 0) + rscale + 10))
	r := new(apd.Decimal)
	if _, err := ctx.Quo(r, a, b); err != nil {
		return nil, err
	}
	if _, err := ctx.Quantize(r, r, int32(-rscale)); err != nil {
		return nil, err
	}
	return r, nil
}

// minMaxState keeps a multiset of the group's values so that deleting the
// current extreme finds the next one; over an append-only input the
// extreme alone.
type minMaxState struct {
	max   bool
	vals  familyMember
	cur   types.Datum
	valid bool
}

func (s *minMaxState) better(a, b types.Datum) bool {
	c := types.Compare(a, b)
	if s.max {
		return c > 0
	}
	return c < 0
}

func (s *minMaxState) add(f *aggFunc, row types.Row, sgn int) error {
	d := row[f.call.Args[0]]
	if f.appendOnly {
		// No retraction will come: the extreme alone is the state.
		if sgn < 0 {
			return types.Errorf(types.CodeInternalError, "retraction into an append-only aggregate")
		}
		if !s.valid || s.better(d, s.cur) {
			s.cur, s.valid = d, true
		}
		return nil
	}
	fam, i := s.vals.family()
	e := fam.find(f, row)
	if sgn > 0 {
		if e == nil {
			e = fam.insert(f, row)
		}
		e.n[i]++
		fam.touch(f, e)
		if !s.valid || s.better(d, s.cur) {
			s.cur, s.valid = d, true
		}
		return nil
	}
	if !fam.retract(f, e, i) {
		return nil
	}
	if s.valid && types.Compare(d, s.cur) == 0 {
		s.recompute(fam, i)
	}
	return nil
}

// recompute finds the extreme among the values member i counts.
func (s *minMaxState) recompute(fam *valueFamily, i int) {
	s.valid = false
	for _, x := range fam.m {
		if x.n[i] > 0 && (!s.valid || s.better(x.d, s.cur)) {
			s.cur, s.valid = x.d, true
		}
	}
}

func (s *minMaxState) result(*aggFunc) (types.Datum, error) {
	if !s.valid {
		return types.Null, nil
	}
	return s.cur, nil
}

type boolState struct{ t, f int64 }

func (s *boolState) add(f *aggFunc, row types.Row, sgn int) error {
	if row[f.call.Args[0]].Bool() {
		s.t += int64(sgn)
	} else {
		s.f += int64(sgn)
	}
	return nil
}

func (s *boolState) result(f *aggFunc) (types.Datum, error) {
	if s.t+s.f <= 0 {
		return types.Null, nil
	}
	if f.kind == builtins.AggBoolAnd {
		return types.DBool(s.f == 0), nil
	}
	return types.DBool(s.t > 0), nil
}

// bitState counts, per bit, the values that have it set.
type bitState struct {
	n    int64
	bits [64]int64
}

func (s *bitState) add(f *aggFunc, row types.Row, sgn int) error {
	v := uint64(row[f.call.Args[0]].Int())
	s.n += int64(sgn)
	for v != 0 {
		b := bits.TrailingZeros64(v)
		s.bits[b] += int64(sgn)
		v &^= 1 << b
	}
	return nil
}

func (s *bitState) result(f *aggFunc) (types.Datum, error) {
	if s.n <= 0 {
		return types.Null, nil
	}
	var v uint64
	for b, c := range s.bits {
		if (f.kind == builtins.AggBitAnd && c == s.n) || (f.kind == builtins.AggBitOr && c > 0) {
			v |= 1 << b
		}
	}
	return types.DInt(int64(v)), nil
}

// varianceState keeps n, sum and sum of squares: exact decimals for integer
// and numeric input (Postgres computes these in numeric), float64 for float.
type varianceState struct {
	n          int64
	sum, sumSq apd.Decimal
	// Float input uses Postgres' Youngs-Cramer accumulation (float8_accum):
	// the running sum and the sum of squared deviations, whose update
	// inverts exactly for a retraction.
	fsum, fsxx float64
}

func (s *varianceState) add(f *aggFunc, row types.Row, sgn int) error {
	d := row[f.call.Args[0]]
	s.n += int64(sgn)
	if d.K == types.KFloat {
		v := d.Float()
		if sgn > 0 {
			s.fsum += v
			if s.n > 1 {
				tmp := v*float64(s.n) - s.fsum
				s.fsxx += tmp * tmp / (float64(s.n) * float64(s.n-1))
			}
		} else {
			// n was already decremented: the state held n+1 values.
			held := float64(s.n + 1)
			if s.n >= 1 {
				tmp := v*held - s.fsum
				s.fsxx -= tmp * tmp / (held * (held - 1))
			}
			s.fsum -= v
			if s.n == 0 {
				s.fsum, s.fsxx = 0, 0
			}
		}
		return nil
	}
	var x apd.Decimal
	switch d.K {
	case types.KInt:
		x.SetInt64(d.I)
	case types.KDecimal:
		x.Set(d.Decimal())
	default:
		return types.Errorf(types.CodeDatatypeMismatch, "cannot compute a variance of this type")
	}
	var sq apd.Decimal
	if _, err := exact.Mul(&sq, &x, &x); err != nil {
		return err
	}
	if sgn < 0 {
		x.Neg(&x)
		sq.Neg(&sq)
	}
	if _, err := exact.Add(&s.sum, &s.sum, &x); err != nil {
		return err
	}
	_, err := exact.Add(&s.sumSq, &s.sumSq, &sq)
	return err
}

func (s *varianceState) result(f *aggFunc) (types.Datum, error) {
	sample := f.kind == builtins.AggStddevSamp || f.kind == builtins.AggVarSamp
	variance := f.kind == builtins.AggVarSamp || f.kind == builtins.AggVarPop
	if s.n <= 0 || (sample && s.n <= 1) {
		return types.Null, nil
	}
	n := s.n
	if f.ret.Family == types.FloatFamily {
		fn := float64(n)
		den := fn
		if sample {
			den = fn - 1
		}
		v := max(s.fsxx, 0) / den
		if !variance {
			v = math.Sqrt(v)
		}
		return types.DFloat(v), nil
	}
	// Postgres' numeric_stddev_internal.
	var sumSq, num apd.Decimal
	if _, err := exact.Mul(&sumSq, &s.sum, &s.sum); err != nil {
		return types.Null, err
	}
	if _, err := exact.Mul(&num, apd.New(n, 0), &s.sumSq); err != nil {
		return types.Null, err
	}
	if _, err := exact.Sub(&num, &num, &sumSq); err != nil {
		return types.Null, err
	}
	if num.Sign() <= 0 {
		return types.DDecimal(apd.New(0, 0)), nil
	}
	den := apd.New(n*n, 0)
	if sample {
		den = apd.New(n*(n-1), 0)
	}
	rscale := divScale(&num, den)
	v, err := divToScale(&num, den, rscale)
	if err != nil {
		return types.Null, err
	}
	if !variance {
		ctx := apd.BaseContext.WithPrecision(uint32(int(v.NumDigits()) + rscale + 10))
		if _, err := ctx.Sqrt(v, v); err != nil {
			return types.Null, err
		}
		if _, err := ctx.Quantize(v, v, int32(-rscale)); err != nil {
			return types.Null, err
		}
	}
	return types.DDecimal(v), nil
}

// listState keeps every input of string_agg, array_agg, json[b]_agg and
// json[b]_object_agg, with its ORDER BY values, so that any one can be
// retracted; the result is rebuilt from the list.
type listState struct {
	entries []listEntry
	seq     int64
}

type listEntry struct {
	args types.Row // the call's arguments
	keys types.Row // the ORDER BY values
	seq  int64
}

func (s *listState) add(f *aggFunc, row types.Row, sgn int) error {
	args := make(types.Row, len(f.call.Args)+len(f.call.OrderBy))
	for i, c := range f.call.Args {
		args[i] = row[c]
	}
	keys := args[len(f.call.Args):]
	for i, k := range f.call.OrderBy {
		keys[i] = row[k.Col]
	}
	args = args[:len(f.call.Args)]
	if sgn > 0 {
		s.entries = append(s.entries, listEntry{args: args, keys: keys, seq: s.seq})
		s.seq++
		return nil
	}
	for i, e := range s.entries {
		if rowsEqual(e.args, args) && rowsEqual(e.keys, keys) {
			s.entries = append(s.entries[:i], s.entries[i+1:]...)
			break
		}
	}
	return nil
}

func (s *listState) ordered(f *aggFunc) []listEntry {
	if len(f.orderBy) == 0 {
		return s.entries
	}
	es := append([]listEntry(nil), s.entries...)
	slices.SortStableFunc(es, func(a, b listEntry) int {
		return compareKeys(a.keys, b.keys, f.orderBy)
	})
	return es
}

func (s *listState) result(f *aggFunc) (types.Datum, error) {
	if len(s.entries) == 0 {
		return types.Null, nil
	}
	es := s.ordered(f)
	switch f.kind {
	case builtins.AggStringAgg:
		var sb strings.Builder
		for i, e := range es {
			if i > 0 && len(e.args) > 1 && !e.args[1].IsNull() {
				sb.WriteString(e.args[1].S)
			}
			sb.WriteString(e.args[0].S)
		}
		if f.ret != nil && f.ret.Family == types.BytesFamily {
			return types.Datum{K: types.KBytes, S: sb.String()}, nil
		}
		return types.DString(sb.String()), nil
	case builtins.AggArrayAgg:
		vals := make([]types.Datum, len(es))
		for i, e := range es {
			vals[i] = e.args[0]
		}
		elem := f.ret.Elem
		if len(vals) > 0 && vals[0].K == types.KArray {
			for _, v := range vals {
				if v.IsNull() {
					return types.Null, types.Errorf(types.CodeNullValueNotAllowed, "cannot accumulate null arrays")
				}
				if !sameDims(v.Array().Dims, vals[0].Array().Dims) {
					return types.Null, types.Errorf(types.CodeArraySubscriptError, "cannot accumulate arrays of different dimensionality")
				}
			}
		}
		return buildArray(elem, vals)
	case builtins.AggJSONAgg:
		var sb strings.Builder
		sb.WriteByte('[')
		for i, e := range es {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(f.jsonOf(0, e.args[0]))
		}
		sb.WriteByte(']')
		return jsonResult(f, sb.String())
	case builtins.AggJSONObjectAgg:
		var sb strings.Builder
		sb.WriteString("{ ")
		for i, e := range es {
			if e.args[0].IsNull() {
				return types.Null, types.Errorf(types.CodeInvalidParameterValue, "field name must not be null")
			}
			// Keys are the text output of the value.
			k := e.args[0].S
			if e.args[0].K != types.KString && len(f.call.Agg.Args) > 0 && f.call.Agg.Args[0].Family != types.UnknownFamily {
				loc := time.UTC
				if f.bctx != nil && f.bctx.Location != nil {
					loc = f.bctx.Location
				}
				k = string(types.AppendText(nil, e.args[0], f.call.Agg.Args[0], loc))
			}
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(jsonString(k))
			sb.WriteString(" : ")
			sb.WriteString(f.jsonOf(1, e.args[1]))
		}
		sb.WriteString(" }")
		return jsonResult(f, sb.String())
	}
	return types.Null, types.Unsupported("aggregate " + f.call.Agg.Name)
}

// jsonResult makes the result datum: json keeps the text as built (the
// Postgres spacing of json_agg and json_object_agg), jsonb is canonicalised
// (keys sorted, the last duplicate kept).
func jsonResult(f *aggFunc, text string) (types.Datum, error) {
	if f.ret != nil && f.ret.Oid == types.OidJSON {
		return types.DJSON(text), nil
	}
	c, err := types.CanonicalJSON(text)
	if err != nil {
		return types.Null, err
	}
	return types.DJSON(c), nil
}

// jsonOf renders argument i's value as JSON text.
func (f *aggFunc) jsonOf(i int, d types.Datum) string {
	switch d.K {
	case types.KNull, types.KBool, types.KInt, types.KFloat, types.KDecimal, types.KString, types.KJSON:
	default:
		if i < len(f.toJSON) && f.toJSON[i] != nil && f.toJSON[i].Fn != nil {
			if j, err := f.toJSON[i].Fn(f.bctx, []types.Datum{d}); err == nil && j.K == types.KJSON {
				return j.S
			}
		}
	}
	var t *types.T
	if i < len(f.call.Agg.Args) {
		t = f.call.Agg.Args[i]
	}
	return jsonValue(d, t)
}

// jsonValue renders a datum as a JSON value (to_json's rules for the common
// types).
func jsonValue(d types.Datum, t *types.T) string {
	switch d.K {
	case types.KNull:
		return "null"
	case types.KBool:
		if d.Bool() {
			return "true"
		}
		return "false"
	case types.KInt:
		return strconv.FormatInt(d.I, 10)
	case types.KFloat:
		f := d.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return jsonString(strconv.FormatFloat(f, 'g', -1, 64))
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	case types.KDecimal:
		return d.Decimal().Text('f')
	case types.KString:
		return jsonString(d.S)
	case types.KJSON:
		return d.S
	case types.KArray:
		a := d.Array()
		var sb strings.Builder
		sb.WriteByte('[')
		for i, e := range a.Elems {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(jsonValue(e, a.Elem))
		}
		sb.WriteByte(']')
		return sb.String()
	}
	if t != nil {
		return jsonString(string(types.AppendText(nil, d, t, time.UTC)))
	}
	return "null"
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		case '\b':
			sb.WriteString(`\b`)
		case '\f':
			sb.WriteString(`\f`)
		default:
			if r < 0x20 {
				sb.WriteString(`\u00`)
				sb.WriteByte("0123456789abcdef"[r>>4])
				sb.WriteByte("0123456789abcdef"[r&0xf])
			} else {
				sb.WriteRune(r)
			}
		}
	}
	sb.WriteByte('"')
	return sb.String()
}
