package types

import (
	"sort"
	"strings"
	"unicode/utf16"

	"github.com/cockroachdb/apd/v3"
)

// maxJSONDepth bounds nesting so that hostile input cannot exhaust the
// stack; Postgres fails similar input with "stack depth limit exceeded".
const maxJSONDepth = 4000

// jsonValue is a parsed JSON value.
type jsonValue struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'l' literal (true/false/null)
	text string
	// keys and vals hold an object's members; vals holds an array's
	// elements.
	keys []string
	vals []jsonValue
}

type jsonParser struct {
	s     string
	pos   int
	depth int
	// jsonb rejects \u0000; json keeps the text as written and accepts it.
	forJSONB bool
	err      error
}

func jsonSyntaxError() error {
	return Errorf(CodeInvalidTextRepresentation, "invalid input syntax for type json")
}

// CanonicalJSON validates JSON text and returns the canonical jsonb text,
// as Postgres prints jsonb: object keys sorted (shorter first, then
// bytewise), the last of duplicate keys kept, numbers normalised as
// numeric, and ", " / ": " separators. Invalid input is a 22P02 error.
func CanonicalJSON(s string) (string, error) {
	v, err := parseJSON(s, true)
	if err != nil {
		return "", err
	}
	buf := make([]byte, 0, len(s)+8)
	buf = appendCanonicalJSON(buf, &v)
	return string(buf), nil
}

// ValidateJSON checks that s is valid JSON text (the json type keeps its
// input as written).
func ValidateJSON(s string) error {
	_, err := parseJSON(s, false)
	return err
}

func parseJSON(s string, forJSONB bool) (jsonValue, error) {
	p := jsonParser{s: s, forJSONB: forJSONB}
	p.skipSpace()
	v, ok := p.value()
	if !ok {
		if p.err != nil {
			return jsonValue{}, p.err
		}
		return jsonValue{}, jsonSyntaxError()
	}
	p.skipSpace()
	if p.pos != len(s) {
		return jsonValue{}, jsonSyntaxError()
	}
	return v, nil
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value() (jsonValue, bool) {
	if p.pos >= len(p.s) {
		return jsonValue{}, false
	}
	switch c := p.s[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		str, ok := p.str()
		return jsonValue{kind: 's', text: str}, ok
	case c == '-' || isDigit(c):
		return p.number()
	case strings.HasPrefix(p.s[p.pos:], "true"):
		p.pos += 4
		return jsonValue{kind: 'l', text: "true"}, p.endOfWord()
	case strings.HasPrefix(p.s[p.pos:], "false"):
		p.pos += 5
		return jsonValue{kind: 'l', text: "false"}, p.endOfWord()
	case strings.HasPrefix(p.s[p.pos:], "null"):
		p.pos += 4
		return jsonValue{kind: 'l', text: "null"}, p.endOfWord()
	}
	return jsonValue{}, false
}

// endOfWord rejects "truex": a literal must not run into letters.
func (p *jsonParser) endOfWord() bool {
	return p.pos >= len(p.s) || !(isLetter(p.s[p.pos]) || isDigit(p.s[p.pos]) || p.s[p.pos] == '_')
}

func (p *jsonParser) enter() bool {
	p.depth++
	if p.depth > maxJSONDepth {
		p.err = Errorf(CodeStatementTooComplex, "stack depth limit exceeded")
		return false
	}
	return true
}

func (p *jsonParser) object() (jsonValue, bool) {
	if !p.enter() {
		return jsonValue{}, false
	}
	defer func() { p.depth-- }()
	p.pos++ // {
	v := jsonValue{kind: 'o'}
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		p.pos++
		return v, true
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] != '"' {
			return v, false
		}
		key, ok := p.str()
		if !ok {
			return v, false
		}
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] != ':' {
			return v, false
		}
		p.pos++
		p.skipSpace()
		val, ok := p.value()
		if !ok {
			return v, false
		}
		v.keys = append(v.keys, key)
		v.vals = append(v.vals, val)
		p.skipSpace()
		if p.pos >= len(p.s) {
			return v, false
		}
		if p.s[p.pos] == '}' {
			p.pos++
			return v, true
		}
		if p.s[p.pos] != ',' {
			return v, false
		}
		p.pos++
	}
}

func (p *jsonParser) array() (jsonValue, bool) {
	if !p.enter() {
		return jsonValue{}, false
	}
	defer func() { p.depth-- }()
	p.pos++ // [
	v := jsonValue{kind: 'a'}
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == ']' {
		p.pos++
		return v, true
	}
	for {
		p.skipSpace()
		val, ok := p.value()
		if !ok {
			return v, false
		}
		v.vals = append(v.vals, val)
		p.skipSpace()
		if p.pos >= len(p.s) {
			return v, false
		}
		if p.s[p.pos] == ']' {
			p.pos++
			return v, true
		}
		if p.s[p.pos] != ',' {
			return v, false
		}
		p.pos++
	}
}

// number checks the JSON number grammar and keeps the text as numeric
// prints it.
func (p *jsonParser) number() (jsonValue, bool) {
	start := p.pos
	s := p.s
	i := p.pos
	if s[i] == '-' {
		i++
	}
	if i >= len(s) || !isDigit(s[i]) {
		return jsonValue{}, false
	}
	if s[i] == '0' {
		i++
	} else {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return jsonValue{}, false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return jsonValue{}, false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (isLetter(s[i]) || s[i] == '_') {
		return jsonValue{}, false
	}
	p.pos = i
	text := s[start:i]
	if p.forJSONB {
		d, _, err := apd.NewFromString(text)
		if err != nil {
			return jsonValue{}, false
		}
		if err := checkDecimalRange(d); err != nil {
			p.err = err
			return jsonValue{}, false
		}
		if d.Exponent > 0 {
			normalizeNonNegativeExponent(d)
		}
		text = string(AppendDecimal(nil, d))
	}
	return jsonValue{kind: 'n', text: text}, true
}

// str parses a JSON string at p.pos (the opening quote) and returns its
// decoded value.
func (p *jsonParser) str() (string, bool) {
	s := p.s
	i := p.pos + 1
	start := i
	// Fast path: no escapes.
	for i < len(s) && s[i] != '"' && s[i] != '\\' && s[i] >= 0x20 {
		i++
	}
	if i < len(s) && s[i] == '"' {
		p.pos = i + 1
		return s[start:i], true
	}
	var b strings.Builder
	b.WriteString(s[start:i])
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return b.String(), true
		case c < 0x20:
			return "", false
		case c != '\\':
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", false
		}
		switch s[i+1] {
		case '"', '\\', '/':
			b.WriteByte(s[i+1])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, n, ok := p.unicodeEscape(s[i:])
			if !ok {
				return "", false
			}
			b.WriteRune(r)
			i += n
			continue
		default:
			return "", false
		}
		i += 2
	}
	return "", false
}

// unicodeEscape decodes \uXXXX (and a following low surrogate) at the
// start of s; n is the number of bytes consumed.
func (p *jsonParser) unicodeEscape(s string) (r rune, n int, ok bool) {
	hex4 := func(t string) (rune, bool) {
		if len(t) < 4 {
			return 0, false
		}
		var v rune
		for i := 0; i < 4; i++ {
			d := digitValue(t[i])
			if d > 15 {
				return 0, false
			}
			v = v<<4 | rune(d)
		}
		return v, true
	}
	r, ok = hex4(s[2:])
	if !ok {
		return 0, 0, false
	}
	n = 6
	if utf16.IsSurrogate(r) {
		if r >= 0xDC00 || len(s) < 12 || s[6] != '\\' || s[7] != 'u' {
			p.err = Errorf(CodeInvalidTextRepresentation, "invalid input syntax for type json")
			return 0, 0, false
		}
		lo, ok := hex4(s[8:])
		if !ok || lo < 0xDC00 || lo > 0xDFFF {
			p.err = Errorf(CodeInvalidTextRepresentation, "invalid input syntax for type json")
			return 0, 0, false
		}
		r = utf16.DecodeRune(r, lo)
		n = 12
	}
	if r == 0 && p.forJSONB {
		p.err = Errorf(CodeUntranslatableCharacter, "unsupported Unicode escape sequence")
		return 0, 0, false
	}
	return r, n, true
}

// jsonKeyLess is the jsonb key order: shorter keys first, then bytewise.
func jsonKeyLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

func appendCanonicalJSON(buf []byte, v *jsonValue) []byte {
	switch v.kind {
	case 's':
		return AppendJSONString(buf, v.text)
	case 'n', 'l':
		return append(buf, v.text...)
	case 'a':
		buf = append(buf, '[')
		for i := range v.vals {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = appendCanonicalJSON(buf, &v.vals[i])
		}
		return append(buf, ']')
	}
	// Object: sort member indexes by key, keep the last of equal keys.
	idx := make([]int, len(v.keys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return jsonKeyLess(v.keys[idx[a]], v.keys[idx[b]]) })
	buf = append(buf, '{')
	first := true
	for k := 0; k < len(idx); k++ {
		if k+1 < len(idx) && v.keys[idx[k]] == v.keys[idx[k+1]] {
			continue
		}
		if !first {
			buf = append(buf, ", "...)
		}
		first = false
		i := idx[k]
		buf = AppendJSONString(buf, v.keys[i])
		buf = append(buf, ": "...)
		buf = appendCanonicalJSON(buf, &v.vals[i])
	}
	return append(buf, '}')
}

// AppendJSONString appends s as a JSON string literal, escaped as
// Postgres's escape_json does.
func AppendJSONString(buf []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			buf = append(buf, '\\', '"')
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\b':
			buf = append(buf, '\\', 'b')
		case '\f':
			buf = append(buf, '\\', 'f')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			if c < 0x20 {
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			} else {
				buf = append(buf, c)
			}
		}
	}
	return append(buf, '"')
}

// appendJSONSpaced appends JSON text with Postgres's jsonb separators
// (", " and ": ") and no other space outside strings, so that compact text
// from any producer prints like jsonb.
func appendJSONSpaced(buf []byte, s string) []byte {
	inString := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inString {
			buf = append(buf, c)
			if c == '\\' && i+1 < len(s) {
				i++
				buf = append(buf, s[i])
			} else if c == '"' {
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
		case ',':
			buf = append(buf, ',', ' ')
		case ':':
			buf = append(buf, ':', ' ')
		case '"':
			inString = true
			buf = append(buf, c)
		default:
			buf = append(buf, c)
		}
	}
	return buf
}
