package types

import (
	"sort"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// jsonb ordering, as Postgres's compareJsonbContainers defines it:
//
//	Object > Array > Boolean > Number > String > Null
//	objects and arrays with more members sort higher; then members in
//	storage order (keys shorter-first), key before value;
//	strings bytewise (C collation), numbers numerically (1.0 = 1);
//	a top-level scalar sorts above the empty array [] and below every
//	other array and object (Postgres stores it as a one-element array).

// jsonRank is the type order of jsonb values.
func jsonRank(v *jsonValue) byte {
	switch v.kind {
	case 'l':
		switch v.text {
		case "null":
			return 1
		default:
			return 4 // true/false
		}
	case 's':
		return 2
	case 'n':
		return 3
	case 'a':
		return 5
	}
	return 6 // object
}

// Top-level ranks of the key encoding.
const (
	jsonTopEmptyArray = 0x01
	jsonTopScalar     = 0x03
	jsonTopArray      = 0x05
	jsonTopObject     = 0x06
	jsonTopInvalid    = 0x07 // text that does not parse: kept as text
)

func jsonTopRank(v *jsonValue) byte {
	switch v.kind {
	case 'a':
		if len(v.vals) == 0 {
			return jsonTopEmptyArray
		}
		return jsonTopArray
	case 'o':
		return jsonTopObject
	}
	return jsonTopScalar
}

// sortedMembers returns an object's members in jsonb storage order with
// duplicate keys resolved (last wins); canonical text is already so.
func sortedMembers(v *jsonValue) ([]string, []jsonValue) {
	sorted := true
	for i := 1; i < len(v.keys); i++ {
		if !jsonKeyLess(v.keys[i-1], v.keys[i]) {
			sorted = false
			break
		}
	}
	if sorted {
		return v.keys, v.vals
	}
	idx := make([]int, len(v.keys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return jsonKeyLess(v.keys[idx[a]], v.keys[idx[b]]) })
	keys := make([]string, 0, len(idx))
	vals := make([]jsonValue, 0, len(idx))
	for k, i := range idx {
		if k+1 < len(idx) && v.keys[i] == v.keys[idx[k+1]] {
			continue
		}
		keys = append(keys, v.keys[i])
		vals = append(vals, v.vals[i])
	}
	return keys, vals
}

func jsonNumber(text string) *apd.Decimal {
	d, _, err := apd.NewFromString(text)
	if err != nil {
		return &apd.Decimal{}
	}
	return d
}

// compareJSONText compares two jsonb texts.
func compareJSONText(a, b string) int {
	if a == b {
		return 0
	}
	va, errA := parseJSON(a, false)
	vb, errB := parseJSON(b, false)
	if errA != nil || errB != nil {
		// Not JSON (should not happen): invalid text sorts last, bytewise.
		switch {
		case errA != nil && errB != nil:
			return strings.Compare(a, b)
		case errA != nil:
			return 1
		}
		return -1
	}
	if ra, rb := jsonTopRank(&va), jsonTopRank(&vb); ra != rb {
		return cmpInt64(int64(ra), int64(rb))
	}
	return compareJSONValue(&va, &vb)
}

func compareJSONValue(a, b *jsonValue) int {
	if ra, rb := jsonRank(a), jsonRank(b); ra != rb {
		return cmpInt64(int64(ra), int64(rb))
	}
	switch a.kind {
	case 'l':
		// Both null, or both booleans: false < true.
		switch {
		case a.text == b.text:
			return 0
		case a.text == "false":
			return -1
		}
		return 1
	case 's':
		return strings.Compare(a.text, b.text)
	case 'n':
		return jsonNumber(a.text).Cmp(jsonNumber(b.text))
	case 'a':
		if c := cmpInt64(int64(len(a.vals)), int64(len(b.vals))); c != 0 {
			return c
		}
		for i := range a.vals {
			if c := compareJSONValue(&a.vals[i], &b.vals[i]); c != 0 {
				return c
			}
		}
		return 0
	}
	ak, av := sortedMembers(a)
	bk, bv := sortedMembers(b)
	if c := cmpInt64(int64(len(ak)), int64(len(bk))); c != 0 {
		return c
	}
	for i := range ak {
		if c := strings.Compare(ak[i], bk[i]); c != 0 {
			return c
		}
		if c := compareJSONValue(&av[i], &bv[i]); c != 0 {
			return c
		}
	}
	return 0
}

// appendJSONKey appends the order-preserving key encoding of jsonb text:
// equal jsonb values (1.0 and 1, whatever the key order or spacing of the
// input) encode the same.
func appendJSONKey(buf []byte, text string) []byte {
	v, err := parseJSON(text, false)
	if err != nil {
		buf = append(buf, jsonTopInvalid)
		return appendEscaped(buf, text)
	}
	buf = append(buf, jsonTopRank(&v))
	return appendJSONValueKey(buf, &v)
}

func appendJSONValueKey(buf []byte, v *jsonValue) []byte {
	buf = append(buf, jsonRank(v))
	switch v.kind {
	case 'l':
		switch v.text {
		case "true":
			return append(buf, 1)
		case "false":
			return append(buf, 0)
		}
		return buf
	case 's':
		return appendEscaped(buf, v.text)
	case 'n':
		return appendDecimalKey(buf, jsonNumber(v.text))
	case 'a':
		buf = appendOrderedInt(buf, int64(len(v.vals)))
		for i := range v.vals {
			buf = appendJSONValueKey(buf, &v.vals[i])
		}
		return buf
	}
	keys, vals := sortedMembers(v)
	buf = appendOrderedInt(buf, int64(len(keys)))
	for i := range keys {
		buf = appendEscaped(buf, keys[i])
		buf = appendJSONValueKey(buf, &vals[i])
	}
	return buf
}

// decodeJSONKey reads what appendJSONKey wrote and returns canonical
// jsonb text. Numbers come back normalised (1.50 reads as 1.5).
func (r *keyReader) jsonKey() (string, bool) {
	top, ok := r.byte()
	if !ok {
		return "", false
	}
	if top == jsonTopInvalid {
		return r.escaped()
	}
	var buf []byte
	buf, ok = r.jsonValue(buf, 0)
	if !ok {
		return "", false
	}
	// Check that the top rank agrees with the value, so that decoding is
	// the inverse of encoding even for corrupted input.
	v, err := parseJSON(string(buf), false)
	if err != nil || jsonTopRank(&v) != top {
		return "", false
	}
	return string(buf), true
}

func (r *keyReader) jsonValue(buf []byte, depth int) ([]byte, bool) {
	if depth > maxJSONDepth {
		return buf, false
	}
	rank, ok := r.byte()
	if !ok {
		return buf, false
	}
	switch rank {
	case 1:
		return append(buf, "null"...), true
	case 4:
		b, ok := r.byte()
		switch {
		case !ok || b > 1:
			return buf, false
		case b == 1:
			return append(buf, "true"...), true
		}
		return append(buf, "false"...), true
	case 2:
		s, ok := r.escaped()
		if !ok {
			return buf, false
		}
		return AppendJSONString(buf, s), true
	case 3:
		d, ok := r.decimal()
		if !ok || d.Form != apd.Finite {
			return buf, false
		}
		return AppendDecimal(buf, d), true
	case 5, 6:
		n, ok := r.orderedInt()
		if !ok || n < 0 || n > int64(len(r.b)-r.pos) {
			return buf, false
		}
		if rank == 5 {
			buf = append(buf, '[')
		} else {
			buf = append(buf, '{')
		}
		prevKey := ""
		for i := int64(0); i < n; i++ {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			if rank == 6 {
				k, ok := r.escaped()
				if !ok || (i > 0 && !jsonKeyLess(prevKey, k)) {
					return buf, false
				}
				prevKey = k
				buf = AppendJSONString(buf, k)
				buf = append(buf, ": "...)
			}
			if buf, ok = r.jsonValue(buf, depth+1); !ok {
				return buf, false
			}
		}
		if rank == 5 {
			return append(buf, ']'), true
		}
		return append(buf, '}'), true
	}
	return buf, false
}
