package types

import (
	"math"

	"github.com/cockroachdb/apd/v3"
)

// Kind says which fields of a Datum hold its value. The zero Kind is NULL, so
// the zero Datum is NULL.
type Kind uint8

// Datum kinds and the fields each uses.
const (
	KNull        Kind = iota
	KBool             // I: 0 or 1
	KInt              // I (int2/int4/int8/oid: the width is in the T)
	KFloat            // I: math.Float64bits of the value (float4 values are stored widened)
	KDecimal          // P: *apd.Decimal (never mutated once in a Datum)
	KString           // S
	KBytes            // S: the raw bytes
	KDate             // I: days since 1970-01-01; math.MinInt64/MaxInt64 for -infinity/infinity
	KTime             // I: microseconds since midnight
	KTimestamp        // I: microseconds since 1970-01-01 00:00:00 (wall clock, no zone)
	KTimestampTZ      // I: microseconds since 1970-01-01 00:00:00 UTC
	KInterval         // I: microseconds; J: months<<32 | uint32(days)
	KJSON             // S: the canonical jsonb text (keys sorted, no insignificant space)
	KArray            // P: *Array
)

// Datum is one SQL value. It is a small value type: copying it is cheap and
// it holds no pointer for the scalar kinds, so rows of scalars cost one
// allocation (the slice).
type Datum struct {
	K Kind
	I int64
	J int64
	S string
	P any
}

// Array is the value of an array datum. Postgres arrays may have several
// dimensions; Dims holds the length of each (nil for an empty array), and
// Elems the elements in row-major order. Lower bounds are always 1.
type Array struct {
	Elem  *T
	Dims  []int
	Elems []Datum
}

// IntervalValue is a Postgres interval value: months, days and microseconds are kept
// apart because their lengths vary.
type IntervalValue struct {
	Months int32
	Days   int32
	Micros int64
}

// Null is the NULL datum.
var Null = Datum{}

// Constructors.

func DBool(b bool) Datum {
	if b {
		return Datum{K: KBool, I: 1}
	}
	return Datum{K: KBool}
}
func DInt(i int64) Datum            { return Datum{K: KInt, I: i} }
func DFloat(f float64) Datum        { return Datum{K: KFloat, I: int64(math.Float64bits(f))} }
func DDecimal(d *apd.Decimal) Datum { return Datum{K: KDecimal, P: d} }
func DString(s string) Datum        { return Datum{K: KString, S: s} }
func DBytes(b []byte) Datum         { return Datum{K: KBytes, S: string(b)} }
func DDate(days int64) Datum        { return Datum{K: KDate, I: days} }
func DTime(micros int64) Datum      { return Datum{K: KTime, I: micros} }
func DTimestamp(micros int64) Datum {
	return Datum{K: KTimestamp, I: micros}
}
func DTimestampTZ(micros int64) Datum {
	return Datum{K: KTimestampTZ, I: micros}
}
func DInterval(iv IntervalValue) Datum {
	return Datum{K: KInterval, I: iv.Micros, J: int64(iv.Months)<<32 | int64(uint32(iv.Days))}
}
func DJSON(canonical string) Datum { return Datum{K: KJSON, S: canonical} }
func DArray(a *Array) Datum        { return Datum{K: KArray, P: a} }

// Accessors. Each assumes the matching Kind.

func (d Datum) IsNull() bool          { return d.K == KNull }
func (d Datum) Bool() bool            { return d.I != 0 }
func (d Datum) Int() int64            { return d.I }
func (d Datum) Float() float64        { return math.Float64frombits(uint64(d.I)) }
func (d Datum) Decimal() *apd.Decimal { return d.P.(*apd.Decimal) }
func (d Datum) Str() string           { return d.S }
func (d Datum) Bytes() []byte         { return []byte(d.S) }
func (d Datum) Array() *Array         { return d.P.(*Array) }
func (d Datum) Interval() IntervalValue {
	return IntervalValue{Months: int32(d.J >> 32), Days: int32(uint32(d.J)), Micros: d.I}
}

// Row is one row of values, positionally matching a Schema.
type Row []Datum

// Copy returns a copy of r that shares no backing array with it.
func (r Row) Copy() Row {
	c := make(Row, len(r))
	copy(c, r)
	return c
}
