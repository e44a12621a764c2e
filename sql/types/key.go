package types

import (
	"encoding/binary"
	"math"

	"github.com/cockroachdb/apd/v3"
)

// Key encoding tags. Every encoded datum starts with its tag; NULL has the
// highest tag so that it sorts last in ascending order (and, inverted,
// first in descending order, as Postgres's default NULLS FIRST for DESC).
const (
	keyTerminator  = 0x00 // ends an array's element list
	keyBool        = 0x10
	keyInt         = 0x11
	keyFloat       = 0x12
	keyDecimal     = 0x13
	keyString      = 0x14
	keyBytes       = 0x15
	keyDate        = 0x16
	keyTime        = 0x17
	keyTimestamp   = 0x18
	keyTimestampTZ = 0x19
	keyInterval    = 0x1A
	keyJSON        = 0x1B
	keyArray       = 0x1C
	keyNull        = 0xFF
)

// Decimal classes, in order.
const (
	decNegInf = 0x01
	decNeg    = 0x02
	decZero   = 0x03
	decPos    = 0x04
	decPosInf = 0x05
	decNaN    = 0x06
)

// maxKeyDecimalExponent bounds decimal exponents accepted by decodeKey.
const maxKeyDecimalExponent = 200000

// maxKeyDepth bounds array nesting when decoding untrusted keys.
const maxKeyDepth = 8

// HashKey appends the ascending key encoding of the listed columns of row:
// equal values give equal bytes, so the result can key a hash table for
// GROUP BY, DISTINCT and joins.
func HashKey(buf []byte, row Row, cols []int) []byte {
	for _, c := range cols {
		buf = appendKeyAsc(buf, row[c])
	}
	return buf
}

func appendKey(buf []byte, d Datum, desc bool) []byte {
	start := len(buf)
	buf = appendKeyAsc(buf, d)
	if desc {
		for i := start; i < len(buf); i++ {
			buf[i] = ^buf[i]
		}
	}
	return buf
}

func appendOrderedInt(buf []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(buf, uint64(v)^(1<<63))
}

func appendOrderedInt32(buf []byte, v int32) []byte {
	return binary.BigEndian.AppendUint32(buf, uint32(v)^(1<<31))
}

// appendEscaped appends s with 0x00 escaped as 0x00 0xFF and terminated by
// 0x00 0x01, which keeps bytewise order and makes the encoding
// self-delimiting.
func appendEscaped(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			buf = append(buf, 0, 0xFF)
			continue
		}
		buf = append(buf, s[i])
	}
	return append(buf, 0, 1)
}

func appendKeyAsc(buf []byte, d Datum) []byte {
	switch d.K {
	case KNull:
		return append(buf, keyNull)
	case KBool:
		return append(buf, keyBool, byte(d.I&1))
	case KInt:
		return appendOrderedInt(append(buf, keyInt), d.I)
	case KDate:
		return appendOrderedInt(append(buf, keyDate), d.I)
	case KTime:
		return appendOrderedInt(append(buf, keyTime), d.I)
	case KTimestamp:
		return appendOrderedInt(append(buf, keyTimestamp), d.I)
	case KTimestampTZ:
		return appendOrderedInt(append(buf, keyTimestampTZ), d.I)
	case KFloat:
		f := d.Float()
		var bits uint64
		switch {
		case math.IsNaN(f):
			bits = 0x7FF8000000000000 | 1<<63 // canonical NaN, above +Inf
		case f == 0:
			bits = 1 << 63 // -0 and +0 are equal
		default:
			bits = math.Float64bits(f)
			if bits&(1<<63) != 0 {
				bits = ^bits
			} else {
				bits |= 1 << 63
			}
		}
		return binary.BigEndian.AppendUint64(append(buf, keyFloat), bits)
	case KDecimal:
		return appendDecimalKey(append(buf, keyDecimal), d.Decimal())
	case KString:
		return appendEscaped(append(buf, keyString), d.S)
	case KBytes:
		return appendEscaped(append(buf, keyBytes), d.S)
	case KJSON:
		return appendJSONKey(append(buf, keyJSON), d.S)
	case KInterval:
		iv := d.Interval()
		days, micros := IntervalSpan(iv)
		buf = append(buf, keyInterval)
		buf = appendOrderedInt(buf, days)
		buf = appendOrderedInt(buf, micros)
		// The components follow the span, so that '1 mon' and '30 days'
		// (equal spans) still decode to what was stored.
		buf = appendOrderedInt32(buf, iv.Months)
		buf = appendOrderedInt32(buf, iv.Days)
		return appendOrderedInt(buf, iv.Micros)
	case KArray:
		a := d.Array()
		buf = append(buf, keyArray)
		for _, e := range a.Elems {
			buf = appendKeyAsc(buf, e)
		}
		buf = append(buf, keyTerminator, byte(len(a.Dims)))
		for _, n := range a.Dims {
			buf = binary.BigEndian.AppendUint32(buf, uint32(n))
		}
		var oid uint32
		typmod := int32(-1)
		if a.Elem != nil {
			oid, typmod = a.Elem.Oid, a.Elem.Typmod
		}
		buf = binary.BigEndian.AppendUint32(buf, oid)
		return binary.BigEndian.AppendUint32(buf, uint32(typmod))
	}
	return append(buf, keyNull)
}

// appendDecimalKey encodes a decimal so that equal values (1.0, 1.00)
// encode the same and bytewise order is numeric order: a class byte, then
// for finite non-zero values the exponent E and the significant digits D
// of 0.D × 10^E, inverted for negative values.
func appendDecimalKey(buf []byte, d *apd.Decimal) []byte {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return append(buf, decNaN)
	case apd.Infinite:
		if d.Negative {
			return append(buf, decNegInf)
		}
		return append(buf, decPosInf)
	}
	if d.IsZero() {
		return append(buf, decZero)
	}
	var tmp [40]byte
	digits := d.Coeff.Append(tmp[:0], 10)
	exp := int64(d.Exponent)
	for len(digits) > 1 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		exp++
	}
	e := exp + int64(len(digits))
	class := byte(decPos)
	if d.Negative {
		class = decNeg
	}
	buf = append(buf, class)
	start := len(buf)
	buf = appendOrderedInt(buf, e)
	buf = append(buf, digits...)
	buf = append(buf, 0)
	if d.Negative {
		for i := start; i < len(buf); i++ {
			buf[i] = ^buf[i]
		}
	}
	return buf
}

// keyReader reads a key encoding, un-inverting descending keys on the fly.
type keyReader struct {
	b   []byte
	pos int
	inv byte
}

func errCorruptKey() error {
	return Errorf(CodeDataCorrupted, "corrupt key encoding")
}

func (r *keyReader) byte() (byte, bool) {
	if r.pos >= len(r.b) {
		return 0, false
	}
	c := r.b[r.pos] ^ r.inv
	r.pos++
	return c, true
}

func (r *keyReader) uint64() (uint64, bool) {
	if r.pos+8 > len(r.b) {
		return 0, false
	}
	v := binary.BigEndian.Uint64(r.b[r.pos:])
	r.pos += 8
	if r.inv != 0 {
		v = ^v
	}
	return v, true
}

func (r *keyReader) uint32() (uint32, bool) {
	if r.pos+4 > len(r.b) {
		return 0, false
	}
	v := binary.BigEndian.Uint32(r.b[r.pos:])
	r.pos += 4
	if r.inv != 0 {
		v = ^v
	}
	return v, true
}

func (r *keyReader) orderedInt() (int64, bool) {
	v, ok := r.uint64()
	return int64(v ^ (1 << 63)), ok
}

// escaped reads a string written by appendEscaped.
func (r *keyReader) escaped() (string, bool) {
	out := make([]byte, 0, 16)
	for {
		c, ok := r.byte()
		if !ok {
			return "", false
		}
		if c != 0 {
			out = append(out, c)
			continue
		}
		n, ok := r.byte()
		if !ok {
			return "", false
		}
		switch n {
		case 0xFF:
			out = append(out, 0)
		case 1:
			return string(out), true
		default:
			return "", false
		}
	}
}

func decodeKey(b []byte, desc bool) (Datum, []byte, error) {
	r := keyReader{b: b}
	if desc {
		r.inv = 0xFF
	}
	d, ok := r.datum(0)
	if !ok {
		return Null, b, errCorruptKey()
	}
	return d, b[r.pos:], nil
}

func (r *keyReader) datum(depth int) (Datum, bool) {
	tag, ok := r.byte()
	if !ok {
		return Null, false
	}
	intKind := func(k Kind) (Datum, bool) {
		v, ok := r.orderedInt()
		return Datum{K: k, I: v}, ok
	}
	switch tag {
	case keyNull:
		return Null, true
	case keyBool:
		v, ok := r.byte()
		if !ok || v > 1 {
			return Null, false
		}
		return DBool(v == 1), true
	case keyInt:
		return intKind(KInt)
	case keyDate:
		return intKind(KDate)
	case keyTime:
		return intKind(KTime)
	case keyTimestamp:
		return intKind(KTimestamp)
	case keyTimestampTZ:
		return intKind(KTimestampTZ)
	case keyFloat:
		bits, ok := r.uint64()
		if !ok {
			return Null, false
		}
		if bits&(1<<63) != 0 {
			bits &^= 1 << 63
		} else {
			bits = ^bits
		}
		return Datum{K: KFloat, I: int64(bits)}, true
	case keyDecimal:
		dec, ok := r.decimal()
		if !ok {
			return Null, false
		}
		return DDecimal(dec), true
	case keyString, keyBytes:
		s, ok := r.escaped()
		if !ok {
			return Null, false
		}
		k := KString
		if tag == keyBytes {
			k = KBytes
		}
		return Datum{K: k, S: s}, true
	case keyJSON:
		s, ok := r.jsonKey()
		if !ok {
			return Null, false
		}
		return DJSON(s), true
	case keyInterval:
		// Skip the span; the components follow it.
		if _, ok := r.uint64(); !ok {
			return Null, false
		}
		if _, ok := r.uint64(); !ok {
			return Null, false
		}
		m, ok1 := r.uint32()
		d, ok2 := r.uint32()
		us, ok3 := r.orderedInt()
		if !ok1 || !ok2 || !ok3 {
			return Null, false
		}
		return DInterval(IntervalValue{Months: int32(m ^ (1 << 31)), Days: int32(d ^ (1 << 31)), Micros: us}), true
	case keyArray:
		if depth >= maxKeyDepth {
			return Null, false
		}
		return r.array(depth)
	}
	return Null, false
}

func (r *keyReader) decimal() (*apd.Decimal, bool) {
	class, ok := r.byte()
	if !ok {
		return nil, false
	}
	switch class {
	case decNaN:
		return &apd.Decimal{Form: apd.NaN}, true
	case decNegInf:
		return &apd.Decimal{Form: apd.Infinite, Negative: true}, true
	case decPosInf:
		return &apd.Decimal{Form: apd.Infinite}, true
	case decZero:
		return &apd.Decimal{}, true
	case decNeg, decPos:
	default:
		return nil, false
	}
	inv := r.inv
	if class == decNeg {
		inv ^= 0xFF
	}
	sub := keyReader{b: r.b, pos: r.pos, inv: inv}
	e, ok := sub.orderedInt()
	if !ok {
		return nil, false
	}
	var digits []byte
	for {
		c, ok := sub.byte()
		if !ok {
			return nil, false
		}
		if c == 0 {
			break
		}
		if c < '0' || c > '9' {
			return nil, false
		}
		digits = append(digits, c)
	}
	r.pos = sub.pos
	if len(digits) == 0 {
		return nil, false
	}
	// Postgres numerics have at most 131072 digits before the point and
	// 16383 after; anything far outside comes from a corrupt key (and
	// would print as millions of zeros).
	if e > maxKeyDecimalExponent || e < -maxKeyDecimalExponent || len(digits) > maxKeyDecimalExponent {
		return nil, false
	}
	exp := e - int64(len(digits))
	d := &apd.Decimal{Negative: class == decNeg, Exponent: int32(exp)}
	if _, ok := d.Coeff.SetString(string(digits), 10); !ok {
		return nil, false
	}
	if d.Exponent > 0 && d.Exponent <= 1000 {
		normalizeNonNegativeExponent(d)
	}
	return d, true
}

func (r *keyReader) array(depth int) (Datum, bool) {
	a := &Array{}
	for {
		if r.pos >= len(r.b) {
			return Null, false
		}
		if r.b[r.pos]^r.inv == keyTerminator {
			r.pos++
			break
		}
		e, ok := r.datum(depth + 1)
		if !ok {
			return Null, false
		}
		a.Elems = append(a.Elems, e)
	}
	ndims, ok := r.byte()
	if !ok || ndims > maxArrayDims {
		return Null, false
	}
	total := 1
	for i := 0; i < int(ndims); i++ {
		n, ok := r.uint32()
		if !ok || n > uint32(len(a.Elems)) {
			return Null, false
		}
		a.Dims = append(a.Dims, int(n))
		total *= int(n)
		if total > len(a.Elems) {
			return Null, false
		}
	}
	if (ndims > 0 && total != len(a.Elems)) || (ndims == 0 && len(a.Elems) > 0) {
		return Null, false
	}
	oid, ok1 := r.uint32()
	typmod, ok2 := r.uint32()
	if !ok1 || !ok2 {
		return Null, false
	}
	a.Elem = elemTypeFor(oid, int32(typmod))
	return DArray(a), true
}

// builtinByOid indexes Builtins() (immutable once built).
var builtinByOid = func() map[uint32]*T {
	m := make(map[uint32]*T)
	for _, t := range Builtins() {
		m[t.Oid] = t
	}
	return m
}()

// elemTypeFor returns the built-in element type with the given OID and
// typmod; unknown OIDs (including 0) give nil.
func elemTypeFor(oid uint32, typmod int32) *T {
	if oid == 0 {
		return nil
	}
	t := builtinByOid[oid]
	if t == nil {
		return nil
	}
	if typmod >= 0 {
		t = t.WithTypmod(typmod)
	}
	return t
}
