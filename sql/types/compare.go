package types

import (
	"math"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compare orders two datums; see Compare.
func compare(a, b Datum) int {
	if a.K == KNull || b.K == KNull {
		switch {
		case a.K == b.K:
			return 0
		case a.K == KNull:
			return 1
		}
		return -1
	}
	if a.K == b.K {
		switch a.K {
		case KBool, KInt, KDate, KTime, KTimestamp, KTimestampTZ:
			return cmpInt64(a.I, b.I)
		case KFloat:
			return compareFloat(a.Float(), b.Float())
		case KDecimal:
			return compareDecimal(a.Decimal(), b.Decimal())
		case KString, KBytes:
			return strings.Compare(a.S, b.S)
		case KJSON:
			return compareJSONText(a.S, b.S)
		case KInterval:
			return compareInterval(a.Interval(), b.Interval())
		case KArray:
			return compareArray(a.Array(), b.Array())
		}
		return 0
	}
	return compareMixed(a, b)
}

// compareFloat is Postgres's float order: NaN equals NaN and is greater
// than everything else; -0 equals 0.
func compareFloat(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareDecimal is Postgres's numeric order: NaN is greater than
// everything, including Infinity, and equal to itself.
func compareDecimal(a, b *apd.Decimal) int {
	an := a.Form == apd.NaN || a.Form == apd.NaNSignaling
	bn := b.Form == apd.NaN || b.Form == apd.NaNSignaling
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	return a.Cmp(b)
}

// IntervalSpan returns the total length of iv as Postgres compares
// intervals (a month is 30 days, a day 24 hours), as whole days and a
// remainder in [0, MicrosPerDay), so that it cannot overflow.
func IntervalSpan(iv IntervalValue) (days, micros int64) {
	days = int64(iv.Months)*30 + int64(iv.Days) + floorDiv(iv.Micros, MicrosPerDay)
	return days, floorMod(iv.Micros, MicrosPerDay)
}

func compareInterval(a, b IntervalValue) int {
	ad, au := IntervalSpan(a)
	bd, bu := IntervalSpan(b)
	if c := cmpInt64(ad, bd); c != 0 {
		return c
	}
	return cmpInt64(au, bu)
}

// compareArray compares element by element (NULL elements last), then by
// number of elements, then by dimensions.
func compareArray(a, b *Array) int {
	n := min(len(a.Elems), len(b.Elems))
	for i := 0; i < n; i++ {
		if c := compare(a.Elems[i], b.Elems[i]); c != 0 {
			return c
		}
	}
	if c := cmpInt64(int64(len(a.Elems)), int64(len(b.Elems))); c != 0 {
		return c
	}
	if c := cmpInt64(int64(len(a.Dims)), int64(len(b.Dims))); c != 0 {
		return c
	}
	for i := range a.Dims {
		if c := cmpInt64(int64(a.Dims[i]), int64(b.Dims[i])); c != 0 {
			return c
		}
	}
	return 0
}

func isNumericKind(k Kind) bool { return k == KInt || k == KFloat || k == KDecimal }

func isTimeKind(k Kind) bool { return k == KDate || k == KTimestamp || k == KTimestampTZ }

// compareMixed compares datums of different kinds: numbers with numbers,
// dates with timestamps (a date is its midnight; timestamptz is compared
// in UTC). Unrelated kinds order by kind so the order stays total.
func compareMixed(a, b Datum) int {
	switch {
	case isNumericKind(a.K) && isNumericKind(b.K):
		return compareNumbers(a, b)
	case isTimeKind(a.K) && isTimeKind(b.K):
		return cmpInt64(timeKindMicros(a), timeKindMicros(b))
	case (a.K == KString || a.K == KJSON) && (b.K == KString || b.K == KJSON):
		return strings.Compare(a.S, b.S)
	}
	return cmpInt64(int64(a.K), int64(b.K))
}

// timeKindMicros converts a date or timestamp to microseconds since 1970,
// keeping the infinities.
func timeKindMicros(d Datum) int64 {
	if d.K != KDate || d.I == NegInfinity || d.I == PosInfinity {
		return d.I
	}
	if d.I > math.MaxInt64/MicrosPerDay {
		return PosInfinity - 1
	}
	if d.I < math.MinInt64/MicrosPerDay {
		return NegInfinity + 1
	}
	return d.I * MicrosPerDay
}

// compareNumbers compares KInt, KFloat and KDecimal values with each other.
func compareNumbers(a, b Datum) int {
	if a.K == b.K {
		return compare(a, b)
	}
	if b.K == KInt || (b.K == KFloat && a.K == KDecimal) {
		return -compareNumbers(b, a)
	}
	// Now a is KInt and b is KFloat/KDecimal, or a is KFloat and b is
	// KDecimal.
	switch {
	case a.K == KInt && b.K == KFloat:
		return compareIntFloat(a.I, b.Float())
	case a.K == KInt && b.K == KDecimal:
		var x apd.Decimal
		x.SetInt64(a.I)
		return compareDecimal(&x, b.Decimal())
	}
	// KFloat vs KDecimal.
	f := a.Float()
	var x apd.Decimal
	switch {
	case math.IsNaN(f):
		x.Form = apd.NaN
	case math.IsInf(f, 0):
		x.Form = apd.Infinite
		x.Negative = f < 0
	default:
		if _, err := x.SetFloat64(f); err != nil {
			return 0
		}
	}
	return compareDecimal(&x, b.Decimal())
}

// compareIntFloat compares an int64 with a float64 exactly.
func compareIntFloat(i int64, f float64) int {
	switch {
	case math.IsNaN(f):
		return -1
	case f >= 9223372036854775808.0:
		return -1
	case f < -9223372036854775808.0:
		return 1
	}
	t := math.Trunc(f)
	if c := cmpInt64(i, int64(t)); c != 0 {
		return c
	}
	frac := f - t
	switch {
	case frac > 0:
		return -1
	case frac < 0:
		return 1
	}
	return 0
}
