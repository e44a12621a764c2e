package types

import (
	"encoding/binary"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
)

// Numeric sign words of the Postgres binary format.
const (
	numericPos  = 0x0000
	numericNeg  = 0x4000
	numericNaN  = 0xC000
	numericPInf = 0xD000
	numericNInf = 0xF000
	// numericMaxDscale is NUMERIC_DSCALE_MAX.
	numericMaxDscale = 0x3FFF
)

func binaryMismatch(d Datum, t *T) error {
	return Errorf(CodeInternalError, "cannot send a value of kind %d as %s", d.K, t.Name())
}

// appendBinary appends the Postgres send format of d, chosen by t.
func appendBinary(buf []byte, d Datum, t *T) ([]byte, error) {
	if d.K == KNull {
		return buf, Errorf(CodeInternalError, "NULL has no binary value")
	}
	if t == nil {
		t = Unknown
	}
	d = coerceForSend(d, t)
	switch t.Family {
	case BoolFamily:
		if d.K != KBool {
			return buf, binaryMismatch(d, t)
		}
		return append(buf, byte(d.I&1)), nil
	case IntFamily:
		if d.K != KInt {
			return buf, binaryMismatch(d, t)
		}
		switch t.Width {
		case 16:
			return binary.BigEndian.AppendUint16(buf, uint16(d.I)), nil
		case 64:
			return binary.BigEndian.AppendUint64(buf, uint64(d.I)), nil
		}
		return binary.BigEndian.AppendUint32(buf, uint32(d.I)), nil
	case FloatFamily:
		if d.K != KFloat {
			return buf, binaryMismatch(d, t)
		}
		if t.Width == 32 {
			return binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(d.Float()))), nil
		}
		return binary.BigEndian.AppendUint64(buf, uint64(d.I)), nil
	case NumericFamily:
		if d.K != KDecimal {
			return buf, binaryMismatch(d, t)
		}
		return appendNumericBinary(buf, d.Decimal())
	case StringFamily, UnknownFamily:
		if d.K != KString {
			// A pseudo-typed value: send its text.
			return appendText(buf, d, t, nil), nil
		}
		if t.Oid == OidChar {
			if d.S == "" {
				return append(buf, 0), nil
			}
			return append(buf, d.S[0]), nil
		}
		return append(buf, d.S...), nil
	case BytesFamily:
		if d.K != KBytes && d.K != KString {
			return buf, binaryMismatch(d, t)
		}
		return append(buf, d.S...), nil
	case DateFamily:
		if d.K != KDate {
			return buf, binaryMismatch(d, t)
		}
		var v int32
		switch d.I {
		case NegInfinity:
			v = math.MinInt32
		case PosInfinity:
			v = math.MaxInt32
		default:
			v = int32(d.I - pgEpochDays)
		}
		return binary.BigEndian.AppendUint32(buf, uint32(v)), nil
	case TimeFamily:
		if d.K != KTime {
			return buf, binaryMismatch(d, t)
		}
		return binary.BigEndian.AppendUint64(buf, uint64(d.I)), nil
	case TimestampFamily, TimestampTZFamily:
		if d.K != KTimestamp && d.K != KTimestampTZ {
			return buf, binaryMismatch(d, t)
		}
		v := d.I
		if v != NegInfinity && v != PosInfinity {
			v -= pgEpochMicros
		}
		return binary.BigEndian.AppendUint64(buf, uint64(v)), nil
	case IntervalFamily:
		if d.K != KInterval {
			return buf, binaryMismatch(d, t)
		}
		iv := d.Interval()
		buf = binary.BigEndian.AppendUint64(buf, uint64(iv.Micros))
		buf = binary.BigEndian.AppendUint32(buf, uint32(iv.Days))
		return binary.BigEndian.AppendUint32(buf, uint32(iv.Months)), nil
	case JSONFamily:
		if d.K != KJSON && d.K != KString {
			return buf, binaryMismatch(d, t)
		}
		if t.Oid == OidJSON {
			return append(buf, d.S...), nil
		}
		buf = append(buf, 1)
		return appendJSONSpaced(buf, d.S), nil
	case ArrayFamily:
		if d.K != KArray {
			return buf, binaryMismatch(d, t)
		}
		return appendArrayBinary(buf, d.Array(), t)
	case UUIDFamily:
		if d.K != KBytes || len(d.S) != uuidLen {
			return buf, binaryMismatch(d, t)
		}
		return append(buf, d.S...), nil
	case VoidFamily:
		return buf, nil
	}
	return buf, Unsupported("binary output of type " + t.Name())
}

// coerceForSend converts the few mismatches a caller may hand us between
// the value and its declared type: an integer sent as float or numeric, a
// float sent as numeric, an untyped string literal sent as its type.
func coerceForSend(d Datum, t *T) Datum {
	switch {
	case d.K == KInt && t.Family == FloatFamily:
		return DFloat(float64(d.I))
	case d.K == KInt && t.Family == NumericFamily:
		return DDecimal(apd.New(d.I, 0))
	case d.K == KFloat && t.Family == NumericFamily:
		var dec apd.Decimal
		f := d.Float()
		switch {
		case math.IsNaN(f):
			dec.Form = apd.NaN
		case math.IsInf(f, 0):
			dec.Form, dec.Negative = apd.Infinite, f < 0
		default:
			if _, err := dec.SetFloat64(f); err != nil {
				return d
			}
		}
		return DDecimal(&dec)
	case d.K == KString && t.Family != StringFamily && t.Family != UnknownFamily && t.Family != BytesFamily && t.Family != JSONFamily:
		if parsed, err := parseText(d.S, t, nil); err == nil && !parsed.IsNull() {
			return parsed
		}
	}
	return d
}

// appendNumericBinary appends numeric_send's format: ndigits, weight,
// sign, dscale (int16 each) and base-10000 digits.
func appendNumericBinary(buf []byte, d *apd.Decimal) ([]byte, error) {
	header := func(ndigits, weight int, sign uint16, dscale int) {
		buf = binary.BigEndian.AppendUint16(buf, uint16(ndigits))
		buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
		buf = binary.BigEndian.AppendUint16(buf, sign)
		buf = binary.BigEndian.AppendUint16(buf, uint16(dscale))
	}
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		header(0, 0, numericNaN, 0)
		return buf, nil
	case apd.Infinite:
		// Postgres sends a display scale of 32 with infinities.
		if d.Negative {
			header(0, 0, numericNInf, 32)
		} else {
			header(0, 0, numericPInf, 32)
		}
		return buf, nil
	}
	digits := d.Coeff.Text(10)
	dscale := 0
	var intPart, fracPart string
	if d.Exponent >= 0 {
		if digits != "0" {
			intPart = digits + strings.Repeat("0", int(d.Exponent))
		}
	} else {
		dscale = int(-d.Exponent)
		if len(digits) > dscale {
			intPart, fracPart = digits[:len(digits)-dscale], digits[len(digits)-dscale:]
		} else {
			fracPart = strings.Repeat("0", dscale-len(digits)) + digits
		}
	}
	if dscale > numericMaxDscale || len(intPart) > numericMaxWeightDigits {
		return buf, Errorf(CodeNumericValueOutOfRange, "value overflows numeric format")
	}
	intPart = strings.TrimLeft(intPart, "0")
	// Align the integer part on the left and the fraction on the right to
	// whole base-10000 digits.
	if r := len(intPart) % 4; r != 0 {
		intPart = strings.Repeat("0", 4-r) + intPart
	}
	if r := len(fracPart) % 4; r != 0 {
		fracPart += strings.Repeat("0", 4-r)
	}
	all := intPart + fracPart
	groups := make([]uint16, 0, len(all)/4)
	for i := 0; i < len(all); i += 4 {
		g := uint16(0)
		for j := i; j < i+4; j++ {
			g = g*10 + uint16(all[j]-'0')
		}
		groups = append(groups, g)
	}
	weight := len(intPart)/4 - 1
	for len(groups) > 0 && groups[0] == 0 {
		groups = groups[1:]
		weight--
	}
	for len(groups) > 0 && groups[len(groups)-1] == 0 {
		groups = groups[:len(groups)-1]
	}
	sign := uint16(numericPos)
	if len(groups) == 0 {
		weight = 0
	} else if d.Negative {
		sign = numericNeg
	}
	header(len(groups), weight, sign, dscale)
	for _, g := range groups {
		buf = binary.BigEndian.AppendUint16(buf, g)
	}
	return buf, nil
}

// appendArrayBinary appends array_send's format.
func appendArrayBinary(buf []byte, a *Array, t *T) ([]byte, error) {
	elemType := arrayElemType(a, t)
	dims := a.Dims
	if len(a.Elems) == 0 {
		dims = nil
	}
	lowerBound := uint32(1)
	if isVectorType(t) {
		// int2vector and oidvector are one-dimensional, zero-based.
		dims = []int{len(a.Elems)}
		lowerBound = 0
	}
	hasNull := uint32(0)
	for _, e := range a.Elems {
		if e.IsNull() {
			hasNull = 1
			break
		}
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(dims)))
	buf = binary.BigEndian.AppendUint32(buf, hasNull)
	buf = binary.BigEndian.AppendUint32(buf, elemType.Oid)
	for _, n := range dims {
		buf = binary.BigEndian.AppendUint32(buf, uint32(n))
		buf = binary.BigEndian.AppendUint32(buf, lowerBound)
	}
	for _, e := range a.Elems {
		if e.IsNull() {
			buf = binary.BigEndian.AppendUint32(buf, math.MaxUint32)
			continue
		}
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		var err error
		buf, err = appendBinary(buf, e, elemType)
		if err != nil {
			return buf, err
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf, nil
}

func errInsufficientData() error {
	return Errorf(CodeInvalidBinaryRepresentation, "insufficient data left in message")
}

func errBinaryFormat() error {
	return Errorf(CodeInvalidBinaryRepresentation, "incorrect binary data format")
}

// fixedLen checks that b has exactly n bytes.
func fixedLen(b []byte, n int) error {
	if len(b) < n {
		return errInsufficientData()
	}
	if len(b) > n {
		return errBinaryFormat()
	}
	return nil
}

// parseBinary parses the Postgres receive format of a value of type t.
func parseBinary(b []byte, t *T) (Datum, error) {
	if t == nil {
		t = Unknown
	}
	switch t.Family {
	case BoolFamily:
		if err := fixedLen(b, 1); err != nil {
			return Null, err
		}
		return DBool(b[0] != 0), nil
	case IntFamily:
		switch {
		case t.Width == 16:
			if err := fixedLen(b, 2); err != nil {
				return Null, err
			}
			return DInt(int64(int16(binary.BigEndian.Uint16(b)))), nil
		case t.Width == 64:
			if err := fixedLen(b, 8); err != nil {
				return Null, err
			}
			return DInt(int64(binary.BigEndian.Uint64(b))), nil
		}
		if err := fixedLen(b, 4); err != nil {
			return Null, err
		}
		if isOidLike(t) {
			return DInt(int64(binary.BigEndian.Uint32(b))), nil
		}
		return DInt(int64(int32(binary.BigEndian.Uint32(b)))), nil
	case FloatFamily:
		if t.Width == 32 {
			if err := fixedLen(b, 4); err != nil {
				return Null, err
			}
			return DFloat(float64(math.Float32frombits(binary.BigEndian.Uint32(b)))), nil
		}
		if err := fixedLen(b, 8); err != nil {
			return Null, err
		}
		return Datum{K: KFloat, I: int64(binary.BigEndian.Uint64(b))}, nil
	case NumericFamily:
		dec, err := parseNumericBinary(b)
		if err != nil {
			return Null, err
		}
		return DDecimal(dec), nil
	case StringFamily, UnknownFamily:
		if t.Oid == OidChar {
			if err := fixedLen(b, 1); err != nil {
				return Null, err
			}
			if b[0] == 0 {
				return DString(""), nil
			}
			return DString(string(b[:1])), nil
		}
		s := string(b)
		if err := checkText(s); err != nil {
			return Null, err
		}
		if t.Oid == OidName {
			s = truncateUTF8(s, maxNameBytes)
		}
		return DString(s), nil
	case BytesFamily:
		return DBytes(b), nil
	case DateFamily:
		if err := fixedLen(b, 4); err != nil {
			return Null, err
		}
		v := int32(binary.BigEndian.Uint32(b))
		switch v {
		case math.MinInt32:
			return DDate(NegInfinity), nil
		case math.MaxInt32:
			return DDate(PosInfinity), nil
		}
		days := int64(v) + pgEpochDays
		if days < minDateDays || days > maxDateDays {
			return Null, Errorf(CodeDatetimeFieldOverflow, "date out of range")
		}
		return DDate(days), nil
	case TimeFamily:
		if err := fixedLen(b, 8); err != nil {
			return Null, err
		}
		us := int64(binary.BigEndian.Uint64(b))
		if us < 0 || us > MicrosPerDay {
			return Null, Errorf(CodeDatetimeFieldOverflow, "time out of range")
		}
		return DTime(us), nil
	case TimestampFamily, TimestampTZFamily:
		if err := fixedLen(b, 8); err != nil {
			return Null, err
		}
		v := int64(binary.BigEndian.Uint64(b))
		if v != NegInfinity && v != PosInfinity {
			if v < minTimestampMicros-pgEpochMicros || v > maxTimestampMicros-pgEpochMicros {
				return Null, Errorf(CodeDatetimeFieldOverflow, "timestamp out of range")
			}
			v += pgEpochMicros
		}
		if t.Family == TimestampFamily {
			return DTimestamp(v), nil
		}
		return DTimestampTZ(v), nil
	case IntervalFamily:
		if err := fixedLen(b, 16); err != nil {
			return Null, err
		}
		return DInterval(IntervalValue{
			Micros: int64(binary.BigEndian.Uint64(b)),
			Days:   int32(binary.BigEndian.Uint32(b[8:])),
			Months: int32(binary.BigEndian.Uint32(b[12:])),
		}), nil
	case JSONFamily:
		if t.Oid == OidJSON {
			if !utf8.Valid(b) {
				return Null, invalidUTF8(b)
			}
			if err := ValidateJSON(string(b)); err != nil {
				return Null, err
			}
			return DJSON(string(b)), nil
		}
		if len(b) < 1 {
			return Null, errInsufficientData()
		}
		if b[0] != 1 {
			return Null, Errorf(CodeInvalidBinaryRepresentation, "unsupported jsonb version number %d", b[0])
		}
		if !utf8.Valid(b[1:]) {
			return Null, invalidUTF8(b[1:])
		}
		c, err := CanonicalJSON(string(b[1:]))
		if err != nil {
			return Null, err
		}
		return DJSON(c), nil
	case ArrayFamily:
		a, err := parseArrayBinary(b, t)
		if err != nil {
			return Null, err
		}
		return DArray(a), nil
	case UUIDFamily:
		return ParseUUIDBinary(b)
	case VoidFamily:
		return Null, nil
	}
	return Null, Unsupported("binary input of type " + t.Name())
}

func invalidUTF8(b []byte) error {
	i := 0
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		i += n
	}
	var bad byte
	if i < len(b) {
		bad = b[i]
	}
	return Errorf(CodeCharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": 0x%02x", bad)
}

// parseNumericBinary parses numeric_recv's format.
func parseNumericBinary(b []byte) (*apd.Decimal, error) {
	if len(b) < 8 {
		return nil, errInsufficientData()
	}
	ndigits := int(int16(binary.BigEndian.Uint16(b)))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := int(int16(binary.BigEndian.Uint16(b[6:])))
	if ndigits < 0 {
		return nil, Errorf(CodeInvalidBinaryRepresentation, "invalid length in external \"numeric\" value")
	}
	if err := fixedLen(b, 8+2*ndigits); err != nil {
		return nil, err
	}
	switch sign {
	case numericPos, numericNeg:
	case numericNaN:
		return &apd.Decimal{Form: apd.NaN}, nil
	case numericPInf:
		return &apd.Decimal{Form: apd.Infinite}, nil
	case numericNInf:
		return &apd.Decimal{Form: apd.Infinite, Negative: true}, nil
	default:
		return nil, Errorf(CodeInvalidBinaryRepresentation, "invalid sign in external \"numeric\" value")
	}
	if dscale < 0 || dscale > numericMaxDscale {
		return nil, Errorf(CodeInvalidBinaryRepresentation, "invalid scale in external \"numeric\" value")
	}
	digits := make([]byte, 0, 4*ndigits)
	for i := 0; i < ndigits; i++ {
		g := binary.BigEndian.Uint16(b[8+2*i:])
		if g > 9999 {
			return nil, Errorf(CodeInvalidBinaryRepresentation, "invalid digit in external \"numeric\" value")
		}
		digits = append(digits, byte('0'+g/1000), byte('0'+g/100%10), byte('0'+g/10%10), byte('0'+g%10))
	}
	// The value is 0.digits × 10000^(weight+1): exponent of the last digit.
	exp := (weight - ndigits + 1) * 4
	switch {
	case exp > -dscale:
		digits = append(digits, strings.Repeat("0", exp+dscale)...)
	case exp < -dscale:
		// Digits beyond dscale are truncated, as numeric_recv does.
		cut := -dscale - exp
		if cut >= len(digits) {
			digits = digits[:0]
		} else {
			digits = digits[:len(digits)-cut]
		}
	}
	d := &apd.Decimal{Exponent: int32(-dscale)}
	if len(digits) > 0 {
		if _, ok := d.Coeff.SetString(string(digits), 10); !ok {
			return nil, errBinaryFormat()
		}
	}
	d.Negative = sign == numericNeg && !d.IsZero()
	return d, nil
}

// parseArrayBinary parses array_recv's format.
func parseArrayBinary(b []byte, t *T) (*Array, error) {
	if len(b) < 12 {
		return nil, errInsufficientData()
	}
	ndim := int32(binary.BigEndian.Uint32(b))
	flags := int32(binary.BigEndian.Uint32(b[4:]))
	elemOid := binary.BigEndian.Uint32(b[8:])
	b = b[12:]
	if ndim < 0 || ndim > maxArrayDims {
		return nil, Errorf(CodeInvalidBinaryRepresentation, "invalid number of dimensions: %d", ndim)
	}
	if flags != 0 && flags != 1 {
		return nil, Errorf(CodeInvalidBinaryRepresentation, "invalid array flags")
	}
	elemType := arrayElemType(nil, t)
	if t.Elem == nil || t.Elem.Family == UnknownFamily {
		if et := ByOid(elemOid); et != nil && et.Family != ArrayFamily {
			elemType = et
		}
	} else if elemOid != elemType.Oid {
		return nil, Errorf(CodeDatatypeMismatch, "binary data has array element type %d instead of expected %d (%s)", elemOid, elemType.Oid, elemType.Name())
	}
	if len(b) < int(ndim)*8 {
		return nil, errInsufficientData()
	}
	a := &Array{Elem: elemType}
	total := 1
	dims := make([]int, ndim)
	for i := range dims {
		n := int32(binary.BigEndian.Uint32(b[i*8:]))
		if n < 0 {
			return nil, Errorf(CodeInvalidBinaryRepresentation, "invalid array dimension")
		}
		dims[i] = int(n)
		// Every element takes at least its 4-byte length, which bounds a
		// sane total by the message size.
		if n > 0 && total > (len(b)/4+1)/int(n) {
			return nil, errInsufficientData()
		}
		total *= int(n)
	}
	b = b[int(ndim)*8:]
	if ndim == 0 || total == 0 {
		if len(b) != 0 {
			return nil, errBinaryFormat()
		}
		return a, nil
	}
	a.Dims = dims
	a.Elems = make([]Datum, 0, total)
	for i := 0; i < total; i++ {
		if len(b) < 4 {
			return nil, errInsufficientData()
		}
		n := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		if n == -1 {
			a.Elems = append(a.Elems, Null)
			continue
		}
		if n < 0 || int(n) > len(b) {
			return nil, errInsufficientData()
		}
		e, err := parseBinary(b[:n], elemType)
		if err != nil {
			return nil, err
		}
		a.Elems = append(a.Elems, e)
		b = b[n:]
	}
	if len(b) != 0 {
		return nil, errBinaryFormat()
	}
	return a, nil
}
