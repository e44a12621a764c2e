package types

import (
	"time"
)

// The value codecs. Stubs until the codec files land; the signatures are the
// contract used by pgwire, builtins, exec and state.

// AppendText appends the Postgres text output of d (of type t) to buf, as
// Postgres prints it with DateStyle ISO, IntervalStyle postgres,
// extra_float_digits 1 and bytea_output hex; timestamptz values in loc.
// NULL is not representable: callers check d.IsNull() first.
func AppendText(buf []byte, d Datum, t *T, loc *time.Location) []byte {
	return appendText(buf, d, t, loc)
}

// ParseText parses the Postgres text input of a value of type t (22P02,
// 22007, 22008, 22003 on bad input). Typmods are not applied here (casts do).
func ParseText(s string, t *T, loc *time.Location) (Datum, error) {
	return parseText(s, t, loc)
}

// AppendBinary appends the Postgres binary send format of d.
func AppendBinary(buf []byte, d Datum, t *T) ([]byte, error) {
	return appendBinary(buf, d, t)
}

// ParseBinary parses the Postgres binary receive format of a value of type
// t (22P03 on bad input).
func ParseBinary(b []byte, t *T) (Datum, error) {
	return parseBinary(b, t)
}

// Compare orders two non-NULL datums of the same kind (or comparable kinds:
// KInt with KFloat/KDecimal, KDate with KTimestamp...): -1, 0 or +1. NULL
// sorts after every value (Postgres NULLS LAST for ascending order).
func Compare(a, b Datum) int {
	return compare(a, b)
}

// AppendKey appends an order-preserving, self-delimiting encoding of d
// (NULL included): bytes.Compare on encodings agrees with Compare on values
// of the same kind. desc inverts the order.
func AppendKey(buf []byte, d Datum, desc bool) []byte {
	return appendKey(buf, d, desc)
}

// DecodeKey decodes one value encoded by AppendKey and returns the rest.
func DecodeKey(b []byte, desc bool) (Datum, []byte, error) {
	return decodeKey(b, desc)
}

// AppendRow appends the compact, self-describing storage encoding of r.
func AppendRow(buf []byte, r Row) []byte {
	return appendRow(buf, r)
}

// DecodeRow decodes a row encoded by AppendRow.
func DecodeRow(b []byte) (Row, error) {
	return decodeRow(b)
}
