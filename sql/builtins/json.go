package builtins

import (
	"sort"
	"strconv"
	"strings"

	"github.com/streamdb/streamdb/sql/types"
)

// jnode is a parsed JSON value. jsonb datums hold canonical text (see
// types.CanonicalJSON); operators parse it into a jnode and print results
// back in the same canonical form.
type jnode struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 't' true, 'f' false, 'z' null
	s    string
	keys []string
	vals []*jnode
}

func jsonSyntax() error {
	return types.Errorf(types.CodeInvalidTextRepresentation, "invalid input syntax for type json")
}

// parseJSON parses JSON text (assumed mostly canonical, but any valid JSON
// is accepted).
func parseJSON(s string) (*jnode, error) {
	p := jparser{s: s}
	p.ws()
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, jsonSyntax()
	}
	return n, nil
}

type jparser struct {
	s string
	i int
}

func (p *jparser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jparser) value(depth int) (*jnode, error) {
	if depth > 4000 || p.i >= len(p.s) {
		return nil, jsonSyntax()
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		n := &jnode{kind: 'o'}
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return n, nil
		}
		for {
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				return nil, jsonSyntax()
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, jsonSyntax()
			}
			p.i++
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, k)
			n.vals = append(n.vals, v)
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				return n, nil
			}
			return nil, jsonSyntax()
		}
	case c == '[':
		p.i++
		n := &jnode{kind: 'a'}
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return n, nil
		}
		for {
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, v)
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == ']' {
				p.i++
				return n, nil
			}
			return nil, jsonSyntax()
		}
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &jnode{kind: 's', s: s}, nil
	case strings.HasPrefix(p.s[p.i:], "true"):
		p.i += 4
		return &jnode{kind: 't'}, nil
	case strings.HasPrefix(p.s[p.i:], "false"):
		p.i += 5
		return &jnode{kind: 'f'}, nil
	case strings.HasPrefix(p.s[p.i:], "null"):
		p.i += 4
		return &jnode{kind: 'z'}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		p.i++
		for p.i < len(p.s) && strings.IndexByte("0123456789.eE+-", p.s[p.i]) >= 0 {
			p.i++
		}
		return &jnode{kind: 'n', s: p.s[start:p.i]}, nil
	}
	return nil, jsonSyntax()
}

func (p *jparser) str() (string, error) {
	p.i++ // opening quote
	var sb strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return sb.String(), nil
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", jsonSyntax()
			}
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				sb.WriteByte(e)
			case 'b':
				sb.WriteByte('\b')
			case 'f':
				sb.WriteByte('\f')
			case 'n':
				sb.WriteByte('\n')
			case 'r':
				sb.WriteByte('\r')
			case 't':
				sb.WriteByte('\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", jsonSyntax()
				}
				if r >= 0xD800 && r < 0xDC00 && strings.HasPrefix(p.s[p.i:], "\\u") {
					p.i += 2
					r2, ok := p.hex4()
					if !ok {
						return "", jsonSyntax()
					}
					r = (r-0xD800)<<10 + (r2 - 0xDC00) + 0x10000
				}
				sb.WriteRune(r)
			default:
				return "", jsonSyntax()
			}
		default:
			sb.WriteByte(c)
			p.i++
		}
	}
	return "", jsonSyntax()
}

func (p *jparser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	v, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}

func jsonKeyLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// appendCanonical prints n as Postgres prints jsonb.
func (n *jnode) appendCanonical(buf []byte) []byte {
	switch n.kind {
	case 's':
		return types.AppendJSONString(buf, n.s)
	case 'n':
		return append(buf, n.s...)
	case 't':
		return append(buf, "true"...)
	case 'f':
		return append(buf, "false"...)
	case 'z':
		return append(buf, "null"...)
	case 'a':
		buf = append(buf, '[')
		for i, v := range n.vals {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = v.appendCanonical(buf)
		}
		return append(buf, ']')
	}
	n.normalizeObject()
	buf = append(buf, '{')
	for i, k := range n.keys {
		if i > 0 {
			buf = append(buf, ", "...)
		}
		buf = types.AppendJSONString(buf, k)
		buf = append(buf, ": "...)
		buf = n.vals[i].appendCanonical(buf)
	}
	return append(buf, '}')
}

// normalizeObject sorts an object's keys (jsonb order) keeping the last of
// duplicate keys.
func (n *jnode) normalizeObject() {
	idx := make([]int, len(n.keys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return jsonKeyLess(n.keys[idx[a]], n.keys[idx[b]]) })
	keys := make([]string, 0, len(idx))
	vals := make([]*jnode, 0, len(idx))
	for k := 0; k < len(idx); k++ {
		if k+1 < len(idx) && n.keys[idx[k]] == n.keys[idx[k+1]] {
			continue
		}
		keys = append(keys, n.keys[idx[k]])
		vals = append(vals, n.vals[idx[k]])
	}
	n.keys, n.vals = keys, vals
}

func (n *jnode) canonical() string { return string(n.appendCanonical(nil)) }

// pgText is the jsonb text output.
func (n *jnode) pgText() string { return n.canonical() }

func (n *jnode) datum() types.Datum { return types.DJSON(n.canonical()) }

// textValue is the ->> result: strings unquoted, null as SQL NULL.
func (n *jnode) textValue() types.Datum {
	switch n.kind {
	case 'z':
		return types.Null
	case 's':
		return types.DString(n.s)
	}
	return types.DString(n.canonical())
}

func (n *jnode) get(key string) *jnode {
	if n.kind != 'o' {
		return nil
	}
	for i := len(n.keys) - 1; i >= 0; i-- {
		if n.keys[i] == key {
			return n.vals[i]
		}
	}
	return nil
}

func (n *jnode) index(i int64) *jnode {
	if n.kind != 'a' {
		return nil
	}
	if i < 0 {
		i += int64(len(n.vals))
	}
	if i < 0 || i >= int64(len(n.vals)) {
		return nil
	}
	return n.vals[i]
}

// path follows a #> path; array steps are integers.
func (n *jnode) path(steps []types.Datum) *jnode {
	cur := n
	for _, s := range steps {
		if cur == nil || s.IsNull() {
			return nil
		}
		switch cur.kind {
		case 'o':
			cur = cur.get(s.S)
		case 'a':
			i, err := strconv.ParseInt(strings.TrimSpace(s.S), 10, 64)
			if err != nil {
				return nil
			}
			cur = cur.index(i)
		default:
			return nil
		}
	}
	return cur
}

func jsonArg(d types.Datum) (*jnode, error) { return parseJSON(d.S) }

func jsonTypeName(n *jnode) string {
	switch n.kind {
	case 'o':
		return "object"
	case 'a':
		return "array"
	case 's':
		return "string"
	case 'n':
		return "number"
	case 't', 'f':
		return "boolean"
	}
	return "null"
}

// jsonScalarFor converts a jsonb scalar for a cast to a numeric or boolean
// type.
func jsonScalarFor(d types.Datum, to *types.T) (types.Datum, error) {
	n, err := jsonArg(d)
	if err != nil {
		return types.Null, err
	}
	switch to.Family {
	case types.BoolFamily:
		if n.kind == 't' || n.kind == 'f' {
			return types.DBool(n.kind == 't'), nil
		}
	default:
		if n.kind == 'n' {
			return types.ParseText(n.s, types.Numeric, nil)
		}
	}
	return types.Null, types.Errorf(types.CodeInvalidParameterValue, "cannot cast jsonb %s to type %s", jsonTypeName(n), to.Name())
}

// contains implements jsonb @>.
func jsonContains(a, b *jnode, top bool) bool {
	switch b.kind {
	case 'o':
		if a.kind != 'o' {
			return false
		}
		for i, k := range b.keys {
			v := a.get(k)
			if v == nil || !jsonContains(v, b.vals[i], false) {
				return false
			}
		}
		return true
	case 'a':
		if a.kind != 'a' {
			return false
		}
		for _, bv := range b.vals {
			found := false
			for _, av := range a.vals {
				if (bv.kind == 'o' || bv.kind == 'a') != (av.kind == 'o' || av.kind == 'a') {
					continue
				}
				if jsonContains(av, bv, false) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	if a.kind == 'a' && top {
		for _, av := range a.vals {
			if jsonScalarEqual(av, b) {
				return true
			}
		}
		return false
	}
	return jsonScalarEqual(a, b)
}

func jsonScalarEqual(a, b *jnode) bool {
	if a.kind != b.kind {
		return false
	}
	if a.kind == 'n' {
		x, err1 := types.ParseText(a.s, types.Numeric, nil)
		y, err2 := types.ParseText(b.s, types.Numeric, nil)
		if err1 == nil && err2 == nil {
			return x.Decimal().Cmp(y.Decimal()) == 0
		}
	}
	return a.s == b.s
}

func jsonExists(n *jnode, key string) bool {
	switch n.kind {
	case 'o':
		return n.get(key) != nil
	case 'a':
		for _, v := range n.vals {
			if v.kind == 's' && v.s == key {
				return true
			}
		}
	case 's':
		return n.s == key
	}
	return false
}

func jsonConcat(a, b *jnode) *jnode {
	if a.kind == 'o' && b.kind == 'o' {
		r := &jnode{kind: 'o'}
		r.keys = append(append(r.keys, a.keys...), b.keys...)
		r.vals = append(append(r.vals, a.vals...), b.vals...)
		return r
	}
	r := &jnode{kind: 'a'}
	for _, x := range []*jnode{a, b} {
		if x.kind == 'a' {
			r.vals = append(r.vals, x.vals...)
		} else {
			r.vals = append(r.vals, x)
		}
	}
	return r
}

func jsonDeleteKey(n *jnode, key string) *jnode {
	switch n.kind {
	case 'o':
		r := &jnode{kind: 'o'}
		for i, k := range n.keys {
			if k != key {
				r.keys = append(r.keys, k)
				r.vals = append(r.vals, n.vals[i])
			}
		}
		return r
	case 'a':
		r := &jnode{kind: 'a'}
		for _, v := range n.vals {
			if !(v.kind == 's' && v.s == key) {
				r.vals = append(r.vals, v)
			}
		}
		return r
	}
	return n
}

func jsonDeletePath(n *jnode, path []types.Datum) *jnode {
	if len(path) == 0 || n == nil {
		return n
	}
	switch n.kind {
	case 'o':
		r := &jnode{kind: 'o'}
		for i, k := range n.keys {
			v := n.vals[i]
			if k == path[0].S {
				if len(path) == 1 {
					continue
				}
				v = jsonDeletePath(v, path[1:])
			}
			r.keys = append(r.keys, k)
			r.vals = append(r.vals, v)
		}
		return r
	case 'a':
		idx, err := strconv.ParseInt(path[0].S, 10, 64)
		if err != nil {
			return n
		}
		if idx < 0 {
			idx += int64(len(n.vals))
		}
		r := &jnode{kind: 'a'}
		for i, v := range n.vals {
			if int64(i) == idx {
				if len(path) == 1 {
					continue
				}
				v = jsonDeletePath(v, path[1:])
			}
			r.vals = append(r.vals, v)
		}
		return r
	}
	return n
}

// jsonSet implements jsonb_set.
func jsonSet(n *jnode, path []types.Datum, val *jnode, create bool) *jnode {
	if len(path) == 0 {
		return val
	}
	switch n.kind {
	case 'o':
		r := &jnode{kind: 'o', keys: append([]string(nil), n.keys...), vals: append([]*jnode(nil), n.vals...)}
		for i, k := range r.keys {
			if k == path[0].S {
				r.vals[i] = jsonSet(r.vals[i], path[1:], val, create)
				return r
			}
		}
		if create && len(path) == 1 {
			r.keys = append(r.keys, path[0].S)
			r.vals = append(r.vals, val)
		}
		return r
	case 'a':
		idx, err := strconv.ParseInt(path[0].S, 10, 64)
		if err != nil {
			return n
		}
		r := &jnode{kind: 'a', vals: append([]*jnode(nil), n.vals...)}
		if idx < 0 {
			idx += int64(len(r.vals))
		}
		if idx >= 0 && idx < int64(len(r.vals)) {
			r.vals[idx] = jsonSet(r.vals[idx], path[1:], val, create)
			return r
		}
		if create && len(path) == 1 {
			if idx < 0 {
				r.vals = append([]*jnode{val}, r.vals...)
			} else {
				r.vals = append(r.vals, val)
			}
		}
		return r
	}
	return n
}

func jsonStripNulls(n *jnode) *jnode {
	switch n.kind {
	case 'o':
		r := &jnode{kind: 'o'}
		for i, k := range n.keys {
			if n.vals[i].kind == 'z' {
				continue
			}
			r.keys = append(r.keys, k)
			r.vals = append(r.vals, jsonStripNulls(n.vals[i]))
		}
		return r
	case 'a':
		r := &jnode{kind: 'a'}
		for _, v := range n.vals {
			r.vals = append(r.vals, jsonStripNulls(v))
		}
		return r
	}
	return n
}

// jsonPretty prints like jsonb_pretty (4-space indentation).
func jsonPretty(buf []byte, n *jnode, indent int) []byte {
	pad := func(b []byte, k int) []byte {
		for i := 0; i < k; i++ {
			b = append(b, "    "...)
		}
		return b
	}
	switch n.kind {
	case 'o':
		if len(n.keys) == 0 {
			// Postgres prints empty containers over two lines.
			buf = append(buf, "{\n"...)
			return append(pad(buf, indent), '}')
		}
		n.normalizeObject()
		buf = append(buf, "{\n"...)
		for i, k := range n.keys {
			if i > 0 {
				buf = append(buf, ",\n"...)
			}
			buf = pad(buf, indent+1)
			buf = types.AppendJSONString(buf, k)
			buf = append(buf, ": "...)
			buf = jsonPretty(buf, n.vals[i], indent+1)
		}
		buf = append(buf, '\n')
		buf = pad(buf, indent)
		return append(buf, '}')
	case 'a':
		if len(n.vals) == 0 {
			buf = append(buf, "[\n"...)
			return append(pad(buf, indent), ']')
		}
		buf = append(buf, "[\n"...)
		for i, v := range n.vals {
			if i > 0 {
				buf = append(buf, ",\n"...)
			}
			buf = pad(buf, indent+1)
			buf = jsonPretty(buf, v, indent+1)
		}
		buf = append(buf, '\n')
		buf = pad(buf, indent)
		return append(buf, ']')
	}
	return n.appendCanonical(buf)
}

// datumToJSON converts a SQL value to JSON as to_jsonb does.
func datumToJSON(ctx *Context, d types.Datum, t *types.T) (*jnode, error) {
	if d.IsNull() {
		return &jnode{kind: 'z'}, nil
	}
	switch t.Family {
	case types.BoolFamily:
		if d.Bool() {
			return &jnode{kind: 't'}, nil
		}
		return &jnode{kind: 'f'}, nil
	case types.IntFamily:
		if !isOidType(t) {
			return &jnode{kind: 'n', s: strconv.FormatInt(d.I, 10)}, nil
		}
	case types.FloatFamily, types.NumericFamily:
		s, err := textOut(ctx, d, t)
		if err != nil {
			return nil, err
		}
		if s == "NaN" || strings.Contains(s, "Infinity") {
			return &jnode{kind: 's', s: s}, nil
		}
		if t.Family == types.NumericFamily {
			return &jnode{kind: 'n', s: s}, nil
		}
		// Floats print with an exponent sometimes; canonicalise as numeric.
		if c, err := types.CanonicalJSON(s); err == nil {
			return &jnode{kind: 'n', s: c}, nil
		}
		return &jnode{kind: 'n', s: s}, nil
	case types.JSONFamily:
		return jsonArg(d)
	case types.ArrayFamily:
		a := d.Array()
		return arrayToJSON(ctx, a, t.Elem, a.Dims, a.Elems)
	case types.TimestampFamily, types.TimestampTZFamily, types.DateFamily:
		s, err := textOut(ctx, d, t)
		if err != nil {
			return nil, err
		}
		if t.Family != types.DateFamily && finiteTS(d.I) {
			s = strings.Replace(s, " ", "T", 1)
			if t.Family == types.TimestampTZFamily && len(s) > 3 && (s[len(s)-3] == '+' || s[len(s)-3] == '-') {
				s += ":00"
			}
		}
		return &jnode{kind: 's', s: s}, nil
	}
	s, err := textOut(ctx, d, t)
	if err != nil {
		return nil, err
	}
	return &jnode{kind: 's', s: s}, nil
}

func arrayToJSON(ctx *Context, a *types.Array, elem *types.T, dims []int, elems []types.Datum) (*jnode, error) {
	r := &jnode{kind: 'a'}
	if len(dims) == 0 {
		return r, nil
	}
	if len(dims) == 1 {
		for _, e := range elems {
			v, err := datumToJSON(ctx, e, elem)
			if err != nil {
				return nil, err
			}
			r.vals = append(r.vals, v)
		}
		return r, nil
	}
	step := len(elems) / dims[0]
	for i := 0; i < dims[0]; i++ {
		v, err := arrayToJSON(ctx, a, elem, dims[1:], elems[i*step:(i+1)*step])
		if err != nil {
			return nil, err
		}
		r.vals = append(r.vals, v)
	}
	return r, nil
}

// jsonInsert implements jsonb_insert: a new array element before (or after)
// the one the path names, or a new object member (an existing one is an
// error).
func jsonInsert(n *jnode, path []types.Datum, val *jnode, after bool) (*jnode, error) {
	if len(path) == 0 {
		return n, nil
	}
	switch n.kind {
	case 'o':
		r := &jnode{kind: 'o', keys: append([]string(nil), n.keys...), vals: append([]*jnode(nil), n.vals...)}
		for i, k := range r.keys {
			if k == path[0].S {
				if len(path) == 1 {
					return nil, types.Errorf(types.CodeInvalidParameterValue, "cannot replace existing key")
				}
				v, err := jsonInsert(r.vals[i], path[1:], val, after)
				if err != nil {
					return nil, err
				}
				r.vals[i] = v
				return r, nil
			}
		}
		if len(path) == 1 {
			r.keys = append(r.keys, path[0].S)
			r.vals = append(r.vals, val)
		}
		return r, nil
	case 'a':
		idx, err := strconv.ParseInt(strings.TrimSpace(path[0].S), 10, 64)
		if err != nil {
			return nil, types.Errorf(types.CodeInvalidTextRepresentation, "path element at position 1 is not an integer: \"%s\"", path[0].S)
		}
		r := &jnode{kind: 'a', vals: append([]*jnode(nil), n.vals...)}
		if idx < 0 {
			idx += int64(len(r.vals))
		}
		if len(path) > 1 {
			if idx >= 0 && idx < int64(len(r.vals)) {
				v, err := jsonInsert(r.vals[idx], path[1:], val, after)
				if err != nil {
					return nil, err
				}
				r.vals[idx] = v
			}
			return r, nil
		}
		pos := idx
		if after {
			pos++
		}
		pos = min(max(pos, 0), int64(len(r.vals)))
		r.vals = append(r.vals[:pos], append([]*jnode{val}, r.vals[pos:]...)...)
		return r, nil
	}
	return n, nil
}
