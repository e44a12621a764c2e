package types

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
)

// appendText dispatches on the datum kind, using t only for what the kind
// alone does not say (float width, json vs jsonb, "char", vector types).
// Dispatching on the kind keeps output sane even when a caller passes a
// pseudo-type (anyelement, unknown) as t.
func appendText(buf []byte, d Datum, t *T, loc *time.Location) []byte {
	switch d.K {
	case KNull:
		return buf
	case KBool:
		if d.I != 0 {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case KInt:
		if t != nil && t.Family == IntFamily && t.Width == 32 && isOidLike(t) {
			return strconv.AppendUint(buf, uint64(uint32(d.I)), 10)
		}
		return strconv.AppendInt(buf, d.I, 10)
	case KFloat:
		bits := 64
		if t != nil && t.Family == FloatFamily && t.Width == 32 {
			bits = 32
		}
		return AppendFloat(buf, d.Float(), bits)
	case KDecimal:
		return AppendDecimal(buf, d.Decimal())
	case KString:
		if t != nil && t.Oid == OidChar {
			return appendCharText(buf, d.S)
		}
		return append(buf, d.S...)
	case KBytes:
		if t != nil && t.Family == UUIDFamily {
			return AppendUUID(buf, d.S)
		}
		return appendByteaHex(buf, d.S)
	case KDate:
		return AppendDate(buf, d.I)
	case KTime:
		return AppendTimeOfDay(buf, d.I)
	case KTimestamp:
		return AppendTimestamp(buf, d.I)
	case KTimestampTZ:
		return AppendTimestampTZ(buf, d.I, loc)
	case KInterval:
		return AppendInterval(buf, d.Interval())
	case KJSON:
		if t != nil && t.Oid == OidJSON {
			return append(buf, d.S...)
		}
		return appendJSONSpaced(buf, d.S)
	case KArray:
		return appendArrayText(buf, d.Array(), t, loc)
	}
	return buf
}

// isOidLike reports whether t is oid or one of the reg* types, whose values
// are unsigned 32-bit numbers.
func isOidLike(t *T) bool {
	switch t.Oid {
	case OidOid, OidRegClass, OidRegType, OidRegProc, OidRegProcedure, OidRegNamespace, OidRegRole, OidRegOper:
		return true
	}
	return false
}

// parseText dispatches on the family of t.
func parseText(s string, t *T, loc *time.Location) (Datum, error) {
	if t == nil {
		return DString(s), nil
	}
	if loc == nil {
		loc = time.UTC
	}
	switch t.Family {
	case BoolFamily:
		b, ok := parseBool(s)
		if !ok {
			return Null, Errorf(CodeInvalidTextRepresentation, "invalid input syntax for type boolean: \"%s\"", s)
		}
		return DBool(b), nil
	case IntFamily:
		if isOidLike(t) {
			return parseOid(s, t)
		}
		i, err := ParseInt(s, t.Width)
		if err != nil {
			return Null, err
		}
		return DInt(i), nil
	case FloatFamily:
		f, err := ParseFloat(s, t.Width)
		if err != nil {
			return Null, err
		}
		return DFloat(f), nil
	case NumericFamily:
		dec, err := ParseDecimal(s)
		if err != nil {
			return Null, err
		}
		return DDecimal(dec), nil
	case StringFamily:
		if err := checkText(s); err != nil {
			return Null, err
		}
		switch t.Oid {
		case OidName:
			return DString(truncateUTF8(s, maxNameBytes)), nil
		case OidChar:
			return DString(parseCharText(s)), nil
		}
		return DString(s), nil
	case UnknownFamily:
		if err := checkText(s); err != nil {
			return Null, err
		}
		return DString(s), nil
	case BytesFamily:
		b, err := ParseBytea(s)
		if err != nil {
			return Null, err
		}
		return DBytes(b), nil
	case DateFamily:
		days, err := ParseDate(s, loc)
		if err != nil {
			return Null, err
		}
		return DDate(days), nil
	case TimeFamily:
		us, err := ParseTimeOfDay(s, loc)
		if err != nil {
			return Null, err
		}
		return DTime(us), nil
	case TimestampFamily:
		us, err := ParseTimestamp(s, loc)
		if err != nil {
			return Null, err
		}
		return DTimestamp(us), nil
	case TimestampTZFamily:
		us, err := ParseTimestampTZ(s, loc)
		if err != nil {
			return Null, err
		}
		return DTimestampTZ(us), nil
	case IntervalFamily:
		iv, err := ParseInterval(s)
		if err != nil {
			return Null, err
		}
		return DInterval(iv), nil
	case JSONFamily:
		if err := checkText(s); err != nil {
			return Null, err
		}
		if t.Oid == OidJSON {
			if err := ValidateJSON(s); err != nil {
				return Null, err
			}
			return DJSON(s), nil
		}
		c, err := CanonicalJSON(s)
		if err != nil {
			return Null, err
		}
		return DJSON(c), nil
	case ArrayFamily:
		a, err := parseArrayText(s, t, loc)
		if err != nil {
			return Null, err
		}
		return DArray(a), nil
	case UUIDFamily:
		return ParseUUID(s)
	case VoidFamily:
		return Null, nil
	}
	return Null, Unsupported("text input of type " + t.Name())
}

// checkText rejects what a Postgres UTF8 database cannot store in text:
// invalid UTF-8 and NUL bytes.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return invalidUTF8([]byte(s))
	}
	if strings.IndexByte(s, 0) >= 0 {
		return Errorf(CodeCharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": 0x00")
	}
	return nil
}

// maxNameBytes is NAMEDATALEN-1: longer names are truncated on input.
const maxNameBytes = 63

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// parseBool accepts what Postgres's parse_bool accepts: unique prefixes of
// true/false/yes/no, on/off, 1/0, case-insensitive, surrounding space
// ignored.
func parseBool(s string) (bool, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return false, false
	}
	switch {
	case strings.HasPrefix("true", s):
		return true, true
	case strings.HasPrefix("false", s):
		return false, true
	case strings.HasPrefix("yes", s):
		return true, true
	case strings.HasPrefix("no", s):
		return false, true
	case s == "on":
		return true, true
	case len(s) >= 2 && strings.HasPrefix("off", s):
		return false, true
	case s == "1":
		return true, true
	case s == "0":
		return false, true
	}
	return false, false
}

// intTypeName names the integer type of the given width in error messages.
func intTypeName(width int) string {
	switch width {
	case 16:
		return "smallint"
	case 32:
		return "integer"
	}
	return "bigint"
}

// ParseInt parses an integer of the given width (16, 32, 64) as Postgres 16
// does: surrounding space, a sign, decimal digits or a 0x/0o/0b prefix, and
// underscores between digits.
func ParseInt(s string, width int) (int64, error) {
	v, ok, inRange := parseIntLiteral(s)
	if !ok {
		return 0, Errorf(CodeInvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", intTypeName(width), s)
	}
	if inRange {
		switch width {
		case 16:
			inRange = v >= math.MinInt16 && v <= math.MaxInt16
		case 32:
			inRange = v >= math.MinInt32 && v <= math.MaxInt32
		}
	}
	if !inRange {
		return 0, Errorf(CodeNumericValueOutOfRange, "value \"%s\" is out of range for type %s", s, intTypeName(width))
	}
	return v, nil
}

// parseIntLiteral parses s as a signed integer. ok is false on bad syntax;
// inRange is false when the value does not fit in an int64.
func parseIntLiteral(s string) (v int64, ok, inRange bool) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	base := uint64(10)
	if len(s) > 2 && s[0] == '0' {
		switch s[1] {
		case 'x', 'X':
			base, s = 16, s[2:]
		case 'o', 'O':
			base, s = 8, s[2:]
		case 'b', 'B':
			base, s = 2, s[2:]
		}
	}
	if s == "" {
		return 0, false, false
	}
	var u uint64
	overflow := false
	prevDigit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' {
			// An underscore must sit between two digits.
			if !prevDigit || i+1 >= len(s) || s[i+1] == '_' {
				return 0, false, false
			}
			prevDigit = false
			continue
		}
		dv := digitValue(c)
		if dv >= base {
			return 0, false, false
		}
		prevDigit = true
		if u > (math.MaxUint64-dv)/base {
			overflow = true
			continue
		}
		u = u*base + dv
	}
	if overflow {
		return 0, true, false
	}
	if neg {
		if u > 1<<63 {
			return 0, true, false
		}
		return -int64(u), true, true
	}
	if u > math.MaxInt64 {
		return 0, true, false
	}
	return int64(u), true, true
}

// digitValue returns the value of a hex digit, or 255.
func digitValue(c byte) uint64 {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0')
	case c >= 'a' && c <= 'f':
		return uint64(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return uint64(c-'A') + 10
	}
	return 255
}

// parseOid parses oid and reg* input. Postgres accepts -2147483648 to
// 4294967295 for oid, negative values wrapping around. Reg* names are
// resolved by the binder; only their numeric form is accepted here.
func parseOid(s string, t *T) (Datum, error) {
	v, ok, inRange := parseIntLiteral(s)
	if !ok {
		return Null, Errorf(CodeInvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", t.TypName(), s)
	}
	if !inRange || v < math.MinInt32 || v > math.MaxUint32 {
		return Null, Errorf(CodeNumericValueOutOfRange, "value \"%s\" is out of range for type %s", s, t.TypName())
	}
	return DInt(int64(uint32(v))), nil
}

// canonicalNaN is the NaN Postgres produces (math.NaN has another payload).
var canonicalNaN = math.Float64frombits(0x7FF8000000000000)

// floatTypeName names the float type of the given width in error messages.
func floatTypeName(width int) string {
	if width == 32 {
		return "real"
	}
	return "double precision"
}

// ParseFloat parses float4 (width 32) or float8 input as Postgres does:
// NaN, [+-]Infinity and [+-]inf case-insensitively, surrounding space, and
// an out-of-range error (22003) for overflow and underflow.
func ParseFloat(s string, width int) (float64, error) {
	bits := 64
	if width == 32 {
		bits = 32
	}
	trimmed := strings.TrimSpace(s)
	switch strings.ToLower(trimmed) {
	case "nan", "+nan", "-nan":
		return canonicalNaN, nil
	case "infinity", "+infinity", "inf", "+inf":
		return math.Inf(1), nil
	case "-infinity", "-inf":
		return math.Inf(-1), nil
	}
	if trimmed == "" || strings.ContainsRune(trimmed, '_') {
		return 0, Errorf(CodeInvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", floatTypeName(width), s)
	}
	literal := trimmed
	if isHexFloatWithoutExponent(literal) {
		// strtod accepts 0x10; Go wants a binary exponent.
		literal += "p0"
	}
	f, err := strconv.ParseFloat(literal, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, Errorf(CodeNumericValueOutOfRange, "\"%s\" is out of range for type %s", trimmed, floatTypeName(width))
		}
		return 0, Errorf(CodeInvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", floatTypeName(width), s)
	}
	if f == 0 && hasNonZeroMantissa(trimmed) {
		return 0, Errorf(CodeNumericValueOutOfRange, "\"%s\" is out of range for type %s", trimmed, floatTypeName(width))
	}
	return f, nil
}

// isHexFloatWithoutExponent reports whether s is [sign]0x<hex digits and
// point> without a p exponent.
func isHexFloatWithoutExponent(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if len(s) < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return false
	}
	return !strings.ContainsAny(s, "pP")
}

// hasNonZeroMantissa reports whether the digits before any exponent of a
// decimal float literal include a non-zero digit (so a zero result means
// underflow).
func hasNonZeroMantissa(s string) bool {
	if len(s) > 2 && (s[1] == 'x' || s[1] == 'X' || (len(s) > 3 && (s[2] == 'x' || s[2] == 'X'))) {
		for _, c := range s {
			if c == 'p' || c == 'P' {
				break
			}
			if c >= '1' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' {
				if c != 'x' && c != 'X' {
					return true
				}
			}
		}
		return false
	}
	for _, c := range s {
		if c == 'e' || c == 'E' {
			return false
		}
		if c >= '1' && c <= '9' {
			return true
		}
	}
	return false
}

// AppendFloat appends f as Postgres 12+ prints float4 (bits 32) and float8
// with extra_float_digits > 0: the shortest text that reads back exactly,
// in exponent form when the decimal exponent is below -4 or at least the
// type's digit count (6 for float4, 15 for float8).
func AppendFloat(buf []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	}
	if f == 0 {
		if math.Signbit(f) {
			return append(buf, "-0"...)
		}
		return append(buf, '0')
	}
	limit := 15
	if bits == 32 {
		limit = 6
		f = float64(float32(f))
	}
	start := len(buf)
	buf = strconv.AppendFloat(buf, f, 'e', -1, bits)
	e := strings.LastIndexByte(string(buf[start:]), 'e')
	exp, _ := strconv.Atoi(string(buf[start+e+1:]))
	if exp < -4 || exp >= limit {
		return buf
	}
	buf = buf[:start]
	return strconv.AppendFloat(buf, f, 'f', -1, bits)
}

// AppendFloatExtraDigits appends f as Postgres prints it under the given
// extra_float_digits setting: shortest exact text when it is positive (the
// default, 1), else %.Ng with N = 6 (float4) or 15 (float8) plus the
// setting (minimum 1).
func AppendFloatExtraDigits(buf []byte, f float64, bits, extraDigits int) []byte {
	if extraDigits > 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return AppendFloat(buf, f, bits)
	}
	digits := 15
	if bits == 32 {
		digits = 6
		f = float64(float32(f))
	}
	digits = max(digits+extraDigits, 1)
	return strconv.AppendFloat(buf, f, 'g', digits, bits)
}

// Numeric limits from Postgres: at most this many digits before and after
// the decimal point.
const (
	numericMaxWeightDigits = 131072
	numericMaxScale        = 16383
)

// ParseDecimal parses numeric input: a decimal literal with an optional
// exponent, NaN, [+-]Infinity (case-insensitive, surrounding space ignored).
// The result keeps the written scale, as Postgres does ("1.50" stays 1.50).
func ParseDecimal(s string) (*apd.Decimal, error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "nan":
		return &apd.Decimal{Form: apd.NaN}, nil
	case "infinity", "+infinity", "inf", "+inf":
		return &apd.Decimal{Form: apd.Infinite}, nil
	case "-infinity", "-inf":
		return &apd.Decimal{Form: apd.Infinite, Negative: true}, nil
	}
	if !isDecimalLiteral(t) {
		if d, ok := parseNonDecimalInteger(t); ok {
			return d, nil
		}
		return nil, Errorf(CodeInvalidTextRepresentation, "invalid input syntax for type numeric: \"%s\"", s)
	}
	if strings.IndexByte(t, '_') >= 0 {
		t = strings.ReplaceAll(t, "_", "")
	}
	d, _, err := apd.NewFromString(t)
	if err != nil {
		return nil, Errorf(CodeInvalidTextRepresentation, "invalid input syntax for type numeric: \"%s\"", s)
	}
	if err := checkDecimalRange(d); err != nil {
		return nil, err
	}
	if d.Exponent > 0 {
		// Postgres keeps no negative scale: 1e3 is 1000 with scale 0.
		normalizeNonNegativeExponent(d)
	}
	if d.IsZero() {
		d.Negative = false
	}
	return d, nil
}

// parseNonDecimalInteger parses the Postgres 16 integer literals
// [sign]0x.., 0o.., 0b.. (underscores between digits) of any size.
func parseNonDecimalInteger(s string) (*apd.Decimal, bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) < 3 || s[0] != '0' {
		return nil, false
	}
	base := 0
	switch s[1] {
	case 'x', 'X':
		base = 16
	case 'o', 'O':
		base = 8
	case 'b', 'B':
		base = 2
	default:
		return nil, false
	}
	digits := s[2:]
	for i := 0; i < len(digits); i++ {
		if digits[i] != '_' && digitValue(digits[i]) >= uint64(base) {
			return nil, false
		}
	}
	if digits[0] == '_' || digits[len(digits)-1] == '_' || strings.Contains(digits, "__") {
		return nil, false
	}
	digits = strings.ReplaceAll(digits, "_", "")
	d := &apd.Decimal{}
	if _, ok := d.Coeff.SetString(digits, base); !ok || d.Coeff.Sign() < 0 {
		return nil, false
	}
	d.Negative = neg && !d.IsZero()
	return d, true
}

// isDecimalLiteral checks the shape Postgres's numeric input accepts:
// [sign] digits [. digits] [e [sign] digits], underscores between digits.
func isDecimalLiteral(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	lastUnderscore := false
	for ; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			digits++
			lastUnderscore = false
			continue
		}
		if c == '_' && digits > 0 && !lastUnderscore && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
			lastUnderscore = true
			continue
		}
		break
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		expDigits := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			expDigits++
		}
		if expDigits == 0 {
			return false
		}
	}
	return i == len(s)
}

// checkDecimalRange rejects values Postgres's numeric cannot hold.
func checkDecimalRange(d *apd.Decimal) error {
	if d.Form != apd.Finite || d.IsZero() {
		if d.Exponent < -numericMaxScale {
			return Errorf(CodeNumericValueOutOfRange, "value overflows numeric format")
		}
		return nil
	}
	nd := int64(len(d.Coeff.Text(10)))
	if int64(d.Exponent)+nd > numericMaxWeightDigits || int64(d.Exponent) < -numericMaxScale {
		return Errorf(CodeNumericValueOutOfRange, "value overflows numeric format")
	}
	return nil
}

// normalizeNonNegativeExponent rewrites d (exponent > 0) to exponent 0.
func normalizeNonNegativeExponent(d *apd.Decimal) {
	var scale apd.BigInt
	scale.Exp(apd.NewBigInt(10), apd.NewBigInt(int64(d.Exponent)), nil)
	d.Coeff.Mul(&d.Coeff, &scale)
	d.Exponent = 0
}

// AppendDecimal appends d as Postgres's numeric_out prints it: plain
// notation keeping the scale, NaN, Infinity, -Infinity.
func AppendDecimal(buf []byte, d *apd.Decimal) []byte {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return append(buf, "NaN"...)
	case apd.Infinite:
		if d.Negative {
			return append(buf, "-Infinity"...)
		}
		return append(buf, "Infinity"...)
	}
	if d.Negative && !d.IsZero() {
		buf = append(buf, '-')
	}
	start := len(buf)
	buf = d.Coeff.Append(buf, 10)
	if d.Exponent >= 0 {
		if d.IsZero() {
			return buf
		}
		for i := int32(0); i < d.Exponent; i++ {
			buf = append(buf, '0')
		}
		return buf
	}
	scale := int(-d.Exponent)
	n := len(buf) - start
	if n <= scale {
		// 0.00ddd: insert "0." and leading zeros in front of the digits.
		pad := scale - n + 2
		buf = append(buf, make([]byte, pad)...)
		copy(buf[start+pad:], buf[start:start+n])
		buf[start] = '0'
		buf[start+1] = '.'
		for i := start + 2; i < start+pad; i++ {
			buf[i] = '0'
		}
		return buf
	}
	buf = append(buf, 0)
	point := len(buf) - 1 - scale
	copy(buf[point+1:], buf[point:len(buf)-1])
	buf[point] = '.'
	return buf
}

// appendByteaHex appends the hex bytea output \x0a0b.
func appendByteaHex(buf []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	buf = append(buf, '\\', 'x')
	for i := 0; i < len(s); i++ {
		buf = append(buf, hexDigits[s[i]>>4], hexDigits[s[i]&15])
	}
	return buf
}

// ParseBytea parses bytea input in the hex format (\x...) or the escape
// format (backslash-octal and doubled backslashes).
func ParseBytea(s string) ([]byte, error) {
	if len(s) >= 2 && s[0] == '\\' && s[1] == 'x' {
		out := make([]byte, 0, (len(s)-2)/2)
		for i := 2; i < len(s); {
			c := s[i]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				i++
				continue
			}
			hi := digitValue(c)
			if hi > 15 {
				return nil, Errorf(CodeInvalidParameterValue, "invalid hexadecimal digit: \"%s\"", string(rune(c)))
			}
			if i+1 >= len(s) {
				return nil, Errorf(CodeInvalidParameterValue, "invalid hexadecimal data: odd number of digits")
			}
			lo := digitValue(s[i+1])
			if lo > 15 {
				return nil, Errorf(CodeInvalidParameterValue, "invalid hexadecimal digit: \"%s\"", string(rune(s[i+1])))
			}
			out = append(out, byte(hi<<4|lo))
			i += 2
		}
		return out, nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 < len(s) && s[i+1] == '\\' {
			out = append(out, '\\')
			i += 2
			continue
		}
		if i+3 < len(s) && isOctal(s[i+1]) && s[i+1] <= '3' && isOctal(s[i+2]) && isOctal(s[i+3]) {
			out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 4
			continue
		}
		return nil, Errorf(CodeInvalidTextRepresentation, "invalid input syntax for type bytea")
	}
	return out, nil
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// appendCharText prints a "char" value: its single byte, or \ooo for a
// byte with the high bit set.
func appendCharText(buf []byte, s string) []byte {
	if s == "" {
		return buf
	}
	c := s[0]
	if c >= 0x80 {
		return append(buf, '\\', '0'+(c>>6), '0'+((c>>3)&7), '0'+(c&7))
	}
	return append(buf, c)
}

// parseCharText parses "char" input: the first byte, or a \ooo escape.
func parseCharText(s string) string {
	if len(s) == 4 && s[0] == '\\' && isOctal(s[1]) && s[1] <= '3' && isOctal(s[2]) && isOctal(s[3]) {
		return string([]byte{(s[1]-'0')<<6 | (s[2]-'0')<<3 | (s[3] - '0')})
	}
	if s == "" {
		return ""
	}
	return s[:1]
}
