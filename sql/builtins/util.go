package builtins

import (
	"math"
	"strconv"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamdb/streamdb/sql/types"
)

// decCtx is the context for exact numeric +, -, * (precision far beyond
// what the operands carry, so results are exact) and for rounding.
var decCtx = func() *apd.Context {
	c := apd.BaseContext.WithPrecision(2000)
	c.Rounding = apd.RoundHalfUp
	c.MaxExponent = 200000
	c.MinExponent = -200000
	return c
}()

const (
	usecPerSec  int64 = 1_000_000
	usecPerMin        = 60 * usecPerSec
	usecPerHour       = 60 * usecPerMin
	usecPerDay        = 24 * usecPerHour
)

func loc(ctx *Context) *time.Location {
	if ctx == nil || ctx.Location == nil {
		return time.UTC
	}
	return ctx.Location
}

var (
	errIntOutOfRange  = func() error { return types.Errorf(types.CodeNumericValueOutOfRange, "integer out of range") }
	errDivisionByZero = func() error { return types.Errorf(types.CodeDivisionByZero, "division by zero") }
	errFloatOverflow  = func() error { return types.Errorf(types.CodeNumericValueOutOfRange, "value out of range: overflow") }
	errFloatUnderflow = func() error { return types.Errorf(types.CodeNumericValueOutOfRange, "value out of range: underflow") }
	errTimestampRange = func() error { return types.Errorf(types.CodeDatetimeFieldOverflow, "timestamp out of range") }
	errDateRange      = func() error { return types.Errorf(types.CodeDatetimeFieldOverflow, "date out of range") }
	errIntervalRange  = func() error { return types.Errorf(types.CodeDatetimeFieldOverflow, "interval out of range") }
)

// intRangeError is the 22003 error for an integer type of the given width.
func intRangeError(width int) error {
	switch width {
	case 16:
		return types.Errorf(types.CodeNumericValueOutOfRange, "smallint out of range")
	case 64:
		return types.Errorf(types.CodeNumericValueOutOfRange, "bigint out of range")
	}
	return errIntOutOfRange()
}

// checkIntWidth checks that v fits an integer of the given width.
func checkIntWidth(v int64, width int) error {
	switch width {
	case 16:
		if v < math.MinInt16 || v > math.MaxInt16 {
			return intRangeError(16)
		}
	case 32:
		if v < math.MinInt32 || v > math.MaxInt32 {
			return intRangeError(32)
		}
	}
	return nil
}

func isOidType(t *types.T) bool {
	return t.Family == types.IntFamily && (t.Oid != types.OidInt2 && t.Oid != types.OidInt4 && t.Oid != types.OidInt8)
}

// checkFloat applies Postgres's float overflow/underflow checks to the result
// of an operation whose inputs were finite and non-zero as stated.
func checkFloat(r float64, inputsFinite bool, zeroAllowed bool) error {
	if math.IsInf(r, 0) && inputsFinite {
		return errFloatOverflow()
	}
	if r == 0 && !zeroAllowed {
		return errFloatUnderflow()
	}
	return nil
}

func float4Result(r float64) float64 { return float64(float32(r)) }

func newDec(i int64) *apd.Decimal { return apd.New(i, 0) }

// decFromFloat converts like Postgres float8_numeric: %.15g (6 digits for
// float4).
func decFromFloat(f float64, width int) *apd.Decimal {
	switch {
	case math.IsNaN(f):
		return &apd.Decimal{Form: apd.NaN}
	case math.IsInf(f, 1):
		return &apd.Decimal{Form: apd.Infinite}
	case math.IsInf(f, -1):
		return &apd.Decimal{Form: apd.Infinite, Negative: true}
	}
	digits := 15
	if width == 32 {
		digits = 6
	}
	d, _, err := apd.NewFromString(strconv.FormatFloat(f, 'g', digits, 64))
	if err != nil {
		return apd.New(0, 0)
	}
	// %g never yields a positive exponent form Postgres would show; keep the
	// integer digits explicit (1e+06 is 1000000).
	if d.Exponent > 0 {
		r := new(apd.Decimal)
		decCtx.Quantize(r, d, 0)
		return r
	}
	return d
}

func floatFromDec(d *apd.Decimal) float64 {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return math.NaN()
	case apd.Infinite:
		if d.Negative {
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	f, _ := d.Float64()
	return f
}

// decToInt rounds half away from zero and checks the width.
func decToInt(d *apd.Decimal, width int) (int64, error) {
	if d.Form != apd.Finite {
		if d.Form == apd.Infinite {
			return 0, types.Errorf(types.CodeFeatureNotSupported, "cannot convert infinity to %s", intTypeName(width))
		}
		return 0, types.Errorf(types.CodeFeatureNotSupported, "cannot convert NaN to %s", intTypeName(width))
	}
	r := new(apd.Decimal)
	if _, err := decCtx.RoundToIntegralValue(r, d); err != nil {
		return 0, intRangeError(width)
	}
	v, err := r.Int64()
	if err != nil {
		return 0, intRangeError(width)
	}
	if err := checkIntWidth(v, width); err != nil {
		return 0, err
	}
	return v, nil
}

func intTypeName(width int) string {
	switch width {
	case 16:
		return "smallint"
	case 64:
		return "bigint"
	}
	return "integer"
}

// floatToInt rounds half to even (rint) and checks the width.
func floatToInt(f float64, width int) (int64, error) {
	r := math.RoundToEven(f)
	if math.IsNaN(r) || r < -9.223372036854775808e18 || r >= 9.223372036854775808e18 {
		return 0, intRangeError(width)
	}
	v := int64(r)
	if err := checkIntWidth(v, width); err != nil {
		return 0, err
	}
	return v, nil
}

// Datum helpers.

func dText(s string) types.Datum { return types.DString(s) }

func dDec(d *apd.Decimal) types.Datum { return types.DDecimal(d) }

// datumDec reads a numeric argument (ints and floats are accepted too).
func datumDec(d types.Datum) *apd.Decimal {
	switch d.K {
	case types.KInt:
		return newDec(d.I)
	case types.KFloat:
		return decFromFloat(d.Float(), 64)
	}
	return d.Decimal()
}

func datumFloat(d types.Datum) float64 {
	switch d.K {
	case types.KInt:
		return float64(d.I)
	case types.KDecimal:
		return floatFromDec(d.Decimal())
	}
	return d.Float()
}

// Timestamps.

const (
	infinityMicros    = math.MaxInt64
	negInfinityMicros = math.MinInt64
)

func finiteTS(v int64) bool { return v != infinityMicros && v != negInfinityMicros }

// wallTime returns the wall-clock timestamp as a UTC time.Time.
func wallTime(micros int64) time.Time { return time.UnixMicro(micros).UTC() }

// wallMicros is the inverse of wallTime.
func wallMicros(t time.Time) int64 {
	y, m, d := t.Date()
	days := daysFromCivil(y, int(m), d)
	return days*usecPerDay + int64(t.Hour())*usecPerHour + int64(t.Minute())*usecPerMin +
		int64(t.Second())*usecPerSec + int64(t.Nanosecond()/1000)
}

// tzToWall converts an instant to the wall clock in loc.
func tzToWall(micros int64, l *time.Location) int64 {
	if !finiteTS(micros) {
		return micros
	}
	_, off := time.UnixMicro(micros).In(l).Zone()
	return micros + int64(off)*usecPerSec
}

// wallToTZ interprets a wall-clock timestamp in loc.
func wallToTZ(micros int64, l *time.Location) int64 {
	if !finiteTS(micros) {
		return micros
	}
	w := wallTime(micros)
	t := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), l)
	u := t.UnixMicro()
	// A wall time repeated when clocks go back is ambiguous: Go picks the
	// first instant, Postgres the second (standard time).
	if later := u + usecPerHour; tzToWall(later, l) == micros {
		return later
	}
	return u
}

// daysFromCivil returns days since 1970-01-01 of a proleptic Gregorian date.
func daysFromCivil(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := yy
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := yy - era*400
	mm := int64(m)
	var mp int64
	if mm > 2 {
		mp = mm - 3
	} else {
		mp = mm + 9
	}
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd := doy - (153*mp+2)/5 + 1
	var mm int64
	if mp < 10 {
		mm = mp + 3
	} else {
		mm = mp - 9
	}
	if mm <= 2 {
		yy++
	}
	return int(yy), int(mm), int(dd)
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInMonth(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// splitWall splits a wall-clock timestamp into days and time of day.
func splitWall(micros int64) (days, tod int64) {
	days = floorDiv(micros, usecPerDay)
	return days, micros - days*usecPerDay
}

// addMonthsDays adds months then days to a wall-clock timestamp the way
// Postgres does (the day of month is clamped to the target month's length).
func addMonthsDays(micros int64, months, days int64) (int64, error) {
	if !finiteTS(micros) {
		return micros, nil
	}
	day, tod := splitWall(micros)
	if months != 0 {
		y, m, d := civilFromDays(day)
		total := int64(y)*12 + int64(m-1) + months
		ny := int(floorDiv(total, 12))
		nm := int(floorMod(total, 12)) + 1
		if ny > 294276 || ny < -4713 {
			return 0, errTimestampRange()
		}
		d = min(d, daysInMonth(ny, nm))
		day = daysFromCivil(ny, nm, d)
	}
	day += days
	r := day*usecPerDay + tod
	if day > 106751991 || day < -106751991 {
		return 0, errTimestampRange()
	}
	return r, nil
}

func addTimestampInterval(micros int64, iv types.IntervalValue, neg bool) (int64, error) {
	m, d, us := int64(iv.Months), int64(iv.Days), iv.Micros
	if neg {
		m, d, us = -m, -d, -us
	}
	r, err := addMonthsDays(micros, m, d)
	if err != nil || !finiteTS(r) {
		return r, err
	}
	s := r + us
	if (us > 0 && s < r) || (us < 0 && s > r) {
		return 0, errTimestampRange()
	}
	return s, nil
}

// addTimestampTZInterval adds an interval to an instant, with the month and
// day parts applied on the wall clock of loc (so a day across a DST change is
// 23 or 25 hours, as in Postgres).
func addTimestampTZInterval(micros int64, iv types.IntervalValue, neg bool, l *time.Location) (int64, error) {
	if !finiteTS(micros) {
		return micros, nil
	}
	if iv.Months != 0 || iv.Days != 0 {
		w := tzToWall(micros, l)
		m, d := int64(iv.Months), int64(iv.Days)
		if neg {
			m, d = -m, -d
		}
		w, err := addMonthsDays(w, m, d)
		if err != nil {
			return 0, err
		}
		micros = wallToTZ(w, l)
	}
	us := iv.Micros
	if neg {
		us = -us
	}
	return micros + us, nil
}
