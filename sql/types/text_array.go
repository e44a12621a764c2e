package types

import (
	"strings"
	"time"

	"github.com/cockroachdb/errors"
)

// maxArrayDims is Postgres's MAXDIM.
const maxArrayDims = 6

// arrayElemType returns the element type for an array value of type t.
func arrayElemType(a *Array, t *T) *T {
	if a != nil && a.Elem != nil {
		return a.Elem
	}
	if t != nil && t.Elem != nil && t.Elem.Family != UnknownFamily {
		return t.Elem
	}
	return Text
}

func isVectorType(t *T) bool {
	return t != nil && (t.Oid == OidInt2Vector || t.Oid == OidOidVector)
}

// appendArrayText appends the text form of an array: {1,2,NULL,"a b"},
// nested braces for each dimension; int2vector and oidvector print their
// elements separated by spaces.
func appendArrayText(buf []byte, a *Array, t *T, loc *time.Location) []byte {
	elemType := arrayElemType(a, t)
	if isVectorType(t) {
		for i, e := range a.Elems {
			if i > 0 {
				buf = append(buf, ' ')
			}
			buf = appendText(buf, e, elemType, loc)
		}
		return buf
	}
	if len(a.Dims) == 0 || len(a.Elems) == 0 {
		return append(buf, '{', '}')
	}
	pos := 0
	return appendArrayLevel(buf, a, 0, &pos, elemType, loc)
}

func appendArrayLevel(buf []byte, a *Array, dim int, pos *int, elemType *T, loc *time.Location) []byte {
	buf = append(buf, '{')
	for i := 0; i < a.Dims[dim]; i++ {
		if i > 0 {
			buf = append(buf, ',')
		}
		if dim+1 < len(a.Dims) {
			buf = appendArrayLevel(buf, a, dim+1, pos, elemType, loc)
			continue
		}
		if *pos >= len(a.Elems) {
			break
		}
		e := a.Elems[*pos]
		*pos++
		if e.IsNull() {
			buf = append(buf, "NULL"...)
			continue
		}
		start := len(buf)
		buf = appendText(buf, e, elemType, loc)
		if arrayElemNeedsQuotes(buf[start:]) {
			buf = quoteArrayElem(buf, start)
		}
	}
	return append(buf, '}')
}

func isArraySpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// arrayElemNeedsQuotes is array_out's rule: empty, NULL, or containing a
// delimiter, brace, quote, backslash or space.
func arrayElemNeedsQuotes(s []byte) bool {
	if len(s) == 0 {
		return true
	}
	if len(s) == 4 && strings.EqualFold(string(s), "null") {
		return true
	}
	for _, c := range s {
		if c == '{' || c == '}' || c == ',' || c == '"' || c == '\\' || isArraySpace(c) {
			return true
		}
	}
	return false
}

// quoteArrayElem rewrites buf[start:] as a quoted, escaped element.
func quoteArrayElem(buf []byte, start int) []byte {
	elem := string(buf[start:])
	buf = append(buf[:start], '"')
	for i := 0; i < len(elem); i++ {
		if elem[i] == '"' || elem[i] == '\\' {
			buf = append(buf, '\\')
		}
		buf = append(buf, elem[i])
	}
	return append(buf, '"')
}

// arrayParser parses the text form of an array.
type arrayParser struct {
	s        string
	pos      int
	elemType *T
	loc      *time.Location
	dims     [maxArrayDims]int // length of each dimension, -1 until known
	ndims    int               // number of dimensions, 0 until the first scalar
	elems    []Datum
	err      error
	// scratch is reused to unescape elements.
	scratch []byte
}

func (p *arrayParser) malformed(detail string) error {
	if p.err == nil {
		p.err = Errorf(CodeInvalidTextRepresentation, "malformed array literal: \"%s\"", p.s)
		if detail != "" {
			p.err = errors.WithDetail(p.err, detail)
		}
	}
	return p.err
}

func (p *arrayParser) skipSpace() {
	for p.pos < len(p.s) && isArraySpace(p.s[p.pos]) {
		p.pos++
	}
}

// parseArrayText parses {...} (optionally preceded by a [1:n] dimension
// decoration with lower bound 1) into an array of t's element type.
func parseArrayText(s string, t *T, loc *time.Location) (*Array, error) {
	elemType := arrayElemType(nil, t)
	if isVectorType(t) {
		return parseVectorText(s, t, elemType, loc)
	}
	p := arrayParser{s: s, elemType: elemType, loc: loc}
	for i := range p.dims {
		p.dims[i] = -1
	}
	p.skipSpace()
	var declared []int
	for p.pos < len(s) && s[p.pos] == '[' {
		end := strings.IndexByte(s[p.pos:], ']')
		if end < 0 {
			return nil, p.malformed("Missing \"]\" after array dimensions.")
		}
		lo, hi, ok := strings.Cut(s[p.pos+1:p.pos+end], ":")
		if !ok {
			hi, lo = lo, "1"
		}
		l, ok1 := parseIntLiteralSmall(lo)
		h, ok2 := parseIntLiteralSmall(hi)
		if !ok1 || !ok2 || h < l-1 {
			return nil, p.malformed("")
		}
		if l != 1 {
			return nil, Unsupported("array lower bounds other than 1")
		}
		declared = append(declared, int(h-l+1))
		p.pos += end + 1
		p.skipSpace()
	}
	if len(declared) > 0 {
		if p.pos >= len(s) || s[p.pos] != '=' {
			return nil, p.malformed("Missing \"=\" after array dimensions.")
		}
		p.pos++
		p.skipSpace()
	}
	if p.pos >= len(s) || s[p.pos] != '{' {
		return nil, p.malformed("Array value must start with \"{\" or dimension information.")
	}
	if err := p.level(0); err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(s) {
		return nil, p.malformed("Junk after closing right brace.")
	}
	a := &Array{Elem: elemType}
	if len(p.elems) == 0 {
		if len(declared) > 0 && declared[0] != 0 {
			return nil, p.malformed("")
		}
		return a, nil
	}
	a.Dims = append([]int(nil), p.dims[:p.ndims]...)
	a.Elems = p.elems
	if len(declared) > 0 {
		if len(declared) != len(a.Dims) {
			return nil, p.malformed("Specified array dimensions do not match array contents.")
		}
		for i := range declared {
			if declared[i] != a.Dims[i] {
				return nil, p.malformed("Specified array dimensions do not match array contents.")
			}
		}
	}
	return a, nil
}

// parseIntLiteralSmall parses a small signed decimal integer.
func parseIntLiteralSmall(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg || strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	if len(s) > 9 {
		return 0, false
	}
	v, ok := atoiDigits(s)
	if neg {
		v = -v
	}
	return v, ok
}

// level parses one {...} at depth dim; p.pos is at the '{'. The first
// scalar fixes the number of dimensions; every sub-array of a dimension
// must have the same length.
func (p *arrayParser) level(dim int) error {
	if dim >= maxArrayDims {
		return Errorf(CodeProgramLimitExceeded, "number of array dimensions (%d) exceeds the maximum allowed (%d)", dim+1, maxArrayDims)
	}
	p.pos++ // {
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		p.pos++
		if dim == 0 {
			return nil
		}
		// {{},{}} is an odd corner of Postgres (an empty array); reject it.
		return p.malformed("")
	}
	count := 0
	for {
		p.skipSpace()
		if p.pos >= len(p.s) {
			return p.malformed("Unexpected end of input.")
		}
		if p.s[p.pos] == '{' {
			if p.ndims > 0 && dim+1 >= p.ndims {
				return p.malformed("Multidimensional arrays must have sub-arrays with matching dimensions.")
			}
			if err := p.level(dim + 1); err != nil {
				return err
			}
		} else {
			if p.ndims > 0 && p.ndims != dim+1 {
				return p.malformed("Multidimensional arrays must have sub-arrays with matching dimensions.")
			}
			p.ndims = dim + 1
			if err := p.element(); err != nil {
				return err
			}
		}
		count++
		p.skipSpace()
		if p.pos >= len(p.s) {
			return p.malformed("Unexpected end of input.")
		}
		c := p.s[p.pos]
		p.pos++
		if c == '}' {
			break
		}
		if c != ',' {
			return p.malformed("Unexpected array element.")
		}
	}
	if p.dims[dim] == -1 {
		p.dims[dim] = count
	} else if p.dims[dim] != count {
		return p.malformed("Multidimensional arrays must have sub-arrays with matching dimensions.")
	}
	return nil
}

// element parses one quoted or unquoted element at p.pos.
func (p *arrayParser) element() error {
	s := p.s
	p.scratch = p.scratch[:0]
	if s[p.pos] == '"' {
		p.pos++
		for {
			if p.pos >= len(s) {
				return p.malformed("Unexpected end of input.")
			}
			c := s[p.pos]
			if c == '"' {
				p.pos++
				break
			}
			if c == '\\' {
				p.pos++
				if p.pos >= len(s) {
					return p.malformed("Unexpected end of input.")
				}
				c = s[p.pos]
			}
			p.scratch = append(p.scratch, c)
			p.pos++
		}
	} else {
		// Unquoted: up to ',' or '}', backslash escapes, trailing space
		// dropped unless escaped.
		keep := 0
		sawEscape := false
		for p.pos < len(s) {
			c := s[p.pos]
			if c == ',' || c == '}' {
				break
			}
			if c == '{' || c == '"' {
				return p.malformed("Unexpected array element.")
			}
			if c == '\\' {
				p.pos++
				if p.pos >= len(s) {
					return p.malformed("Unexpected end of input.")
				}
				p.scratch = append(p.scratch, s[p.pos])
				keep = len(p.scratch)
				sawEscape = true
				p.pos++
				continue
			}
			p.scratch = append(p.scratch, c)
			if !isArraySpace(c) {
				keep = len(p.scratch)
			}
			p.pos++
		}
		p.scratch = p.scratch[:keep]
		if len(p.scratch) == 0 {
			return p.malformed("Unexpected \",\" character.")
		}
		if !sawEscape && len(p.scratch) == 4 && strings.EqualFold(string(p.scratch), "null") {
			p.elems = append(p.elems, Null)
			return nil
		}
	}
	d, err := parseText(string(p.scratch), p.elemType, p.loc)
	if err != nil {
		return err
	}
	p.elems = append(p.elems, d)
	return nil
}

// parseVectorText parses int2vector/oidvector input: space-separated
// numbers.
func parseVectorText(s string, t, elemType *T, loc *time.Location) (*Array, error) {
	a := &Array{Elem: elemType}
	for _, f := range strings.Fields(s) {
		d, err := parseText(f, elemType, loc)
		if err != nil {
			return nil, err
		}
		a.Elems = append(a.Elems, d)
	}
	if len(a.Elems) > 0 {
		a.Dims = []int{len(a.Elems)}
	}
	return a, nil
}
