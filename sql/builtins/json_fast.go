package builtins

import (
	"strconv"
	"strings"

	"github.com/streamdb/streamdb/sql/types"
)

// Field and element access (-> and ->>) is the hot path of JSON-heavy
// streams (Debezium payloads), so it scans the stored text for the member
// instead of building a tree of the whole document.

func jsonSkipWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// jsonSkipString returns the index just past the string starting at s[i]
// (a quote) and whether it contains escapes.
func jsonSkipString(s string, i int) (int, bool, bool) {
	escaped := false
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped, true
		}
	}
	return 0, false, false
}

// jsonSkipValue returns the index just past the value starting at s[i].
func jsonSkipValue(s string, i int) (int, bool) {
	if i >= len(s) {
		return 0, false
	}
	switch s[i] {
	case '"':
		end, _, ok := jsonSkipString(s, i)
		return end, ok
	case '{', '[':
		depth := 0
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '"':
				end, _, ok := jsonSkipString(s, j)
				if !ok {
					return 0, false
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	j := i
	for j < len(s) && strings.IndexByte(",}] \t\n\r", s[j]) < 0 {
		j++
	}
	return j, j > i
}

// jsonFieldText returns the text of member key of the object s; found is
// false when s is not an object or has no such member; ok is false when s
// is malformed.
func jsonFieldText(s, key string) (val string, found, ok bool) {
	i := jsonSkipWS(s, 0)
	if i >= len(s) || s[i] != '{' {
		return "", false, i < len(s)
	}
	i = jsonSkipWS(s, i+1)
	if i < len(s) && s[i] == '}' {
		return "", false, true
	}
	for i < len(s) {
		if s[i] != '"' {
			return "", false, false
		}
		end, escaped, good := jsonSkipString(s, i)
		if !good {
			return "", false, false
		}
		var match bool
		if escaped {
			k, err := (&jparser{s: s, i: i}).str()
			if err != nil {
				return "", false, false
			}
			match = k == key
		} else {
			match = s[i+1:end-1] == key
		}
		i = jsonSkipWS(s, end)
		if i >= len(s) || s[i] != ':' {
			return "", false, false
		}
		i = jsonSkipWS(s, i+1)
		vend, good := jsonSkipValue(s, i)
		if !good {
			return "", false, false
		}
		if match {
			// The last of duplicate keys wins (only json keeps duplicates).
			val, found = s[i:vend], true
		}
		i = jsonSkipWS(s, vend)
		if i < len(s) && s[i] == ',' {
			i = jsonSkipWS(s, i+1)
			continue
		}
		if i < len(s) && s[i] == '}' {
			return val, found, true
		}
		return "", false, false
	}
	return "", false, false
}

// jsonElemText returns the text of element idx (negative: from the end)
// of the array s.
func jsonElemText(s string, idx int64) (val string, found, ok bool) {
	i := jsonSkipWS(s, 0)
	if i >= len(s) || s[i] != '[' {
		return "", false, i < len(s)
	}
	var starts, ends []int
	i = jsonSkipWS(s, i+1)
	if i < len(s) && s[i] == ']' {
		return "", false, true
	}
	for n := int64(0); i < len(s); n++ {
		vend, good := jsonSkipValue(s, i)
		if !good {
			return "", false, false
		}
		if idx >= 0 && n == idx {
			return s[i:vend], true, true
		}
		if idx < 0 {
			starts, ends = append(starts, i), append(ends, vend)
		}
		i = jsonSkipWS(s, vend)
		if i < len(s) && s[i] == ',' {
			i = jsonSkipWS(s, i+1)
			continue
		}
		if i < len(s) && s[i] == ']' {
			if idx < 0 && int64(len(starts))+idx >= 0 {
				k := int64(len(starts)) + idx
				return s[starts[k]:ends[k]], true, true
			}
			return "", false, true
		}
		return "", false, false
	}
	return "", false, false
}

// jsonValueAsText is the ->> conversion of a member's text: strings are
// unquoted, null is SQL NULL, everything else is returned as written.
func jsonValueAsText(v string) (types.Datum, error) {
	switch {
	case v == "null":
		return types.Null, nil
	case len(v) > 0 && v[0] == '"':
		if strings.IndexByte(v, '\\') < 0 {
			return types.DString(v[1 : len(v)-1]), nil
		}
		p := &jparser{s: v}
		s, err := p.str()
		if err != nil {
			return types.Null, err
		}
		return types.DString(s), nil
	}
	return types.DString(v), nil
}

func jsonAccess(asText bool, lookup func(s string, a []types.Datum) (string, bool, bool)) Fn {
	return func(_ *Context, a []types.Datum) (types.Datum, error) {
		v, found, ok := lookup(a[0].S, a)
		if !ok {
			return types.Null, jsonSyntax()
		}
		if !found {
			return types.Null, nil
		}
		if asText {
			return jsonValueAsText(v)
		}
		return types.DJSON(v), nil
	}
}

func fieldLookup(s string, a []types.Datum) (string, bool, bool) { return jsonFieldText(s, a[1].S) }
func elemLookup(s string, a []types.Datum) (string, bool, bool)  { return jsonElemText(s, a[1].I) }

// pathLookup follows a #> path through the stored text.
func pathLookup(s string, a []types.Datum) (string, bool, bool) {
	cur := s
	for _, step := range a[1].Array().Elems {
		if step.IsNull() {
			return "", false, true
		}
		i := jsonSkipWS(cur, 0)
		if i >= len(cur) {
			return "", false, false
		}
		var found, ok bool
		switch cur[i] {
		case '{':
			cur, found, ok = jsonFieldText(cur, step.S)
		case '[':
			idx, err := strconv.ParseInt(strings.TrimSpace(step.S), 10, 64)
			if err != nil {
				return "", false, true
			}
			cur, found, ok = jsonElemText(cur, idx)
		default:
			return "", false, true
		}
		if !ok || !found {
			return "", found, ok
		}
	}
	return cur, true, true
}
