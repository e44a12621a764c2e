package types

// A uuid value is a KBytes datum holding its 16 raw bytes. Sharing the bytea
// representation gives uuid, for free, what Postgres defines for it: byte
// order comparison (memcmp, as uuid_cmp), order-preserving keys, hashing and
// the storage row encoding. Only the type (UUIDFamily) tells the codecs to
// print and read the 8-4-4-4-12 hex form instead of bytea's \x form.

// uuidLen is the size of a uuid value in bytes.
const uuidLen = 16

const hexDigits = "0123456789abcdef"

// DUUID returns the uuid datum of 16 raw bytes.
func DUUID(b [uuidLen]byte) Datum { return Datum{K: KBytes, S: string(b[:])} }

// AppendUUID appends the Postgres text output of the 16 bytes in s:
// lower-case hex, hyphenated 8-4-4-4-12.
func AppendUUID(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			buf = append(buf, '-')
		}
		buf = append(buf, hexDigits[s[i]>>4], hexDigits[s[i]&0x0f])
	}
	return buf
}

// ParseUUID parses the Postgres text input of uuid (uuid_in): 32 hex digits,
// either case, optionally in braces, with an optional hyphen after any group
// of four digits (so the standard 8-4-4-4-12 form and the unhyphenated form
// are both accepted). Anything else is 22P02.
func ParseUUID(s string) (Datum, error) {
	var out [uuidLen]byte
	i := 0
	braces := len(s) > 0 && s[0] == '{'
	if braces {
		i++
	}
	for n := 0; n < uuidLen; n++ {
		if i+2 > len(s) {
			return Null, errUUIDSyntax(s)
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return Null, errUUIDSyntax(s)
		}
		out[n] = hi<<4 | lo
		i += 2
		// Postgres allows a hyphen after every fourth digit, except the last.
		if n%2 == 1 && n < uuidLen-1 && i < len(s) && s[i] == '-' {
			i++
		}
	}
	if braces {
		if i >= len(s) || s[i] != '}' {
			return Null, errUUIDSyntax(s)
		}
		i++
	}
	if i != len(s) {
		return Null, errUUIDSyntax(s)
	}
	return DUUID(out), nil
}

// ParseUUIDBinary parses the uuid receive format: exactly 16 bytes.
func ParseUUIDBinary(b []byte) (Datum, error) {
	if err := fixedLen(b, uuidLen); err != nil {
		return Null, err
	}
	return Datum{K: KBytes, S: string(b)}, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func errUUIDSyntax(s string) error {
	return Errorf(CodeInvalidTextRepresentation, "invalid input syntax for type uuid: \"%s\"", s)
}
