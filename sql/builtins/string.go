package builtins

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/streamdb/streamdb/sql/types"
)

// valueOut is a type's output function (what concat and format print):
// like textOut, except booleans print as t/f.
func valueOut(ctx *Context, d types.Datum, t *types.T) (string, error) {
	if t.Family == types.BoolFamily {
		if d.Bool() {
			return "t", nil
		}
		return "f", nil
	}
	return textOut(ctx, d, t)
}

func textFn1(f func(s string) types.Datum) Fn {
	return func(_ *Context, a []types.Datum) (types.Datum, error) { return f(a[0].S), nil }
}

func strFn(f func(s string) string) Fn {
	return func(_ *Context, a []types.Datum) (types.Datum, error) { return types.DString(f(a[0].S)), nil }
}

func registerStringFuncs(b *registryBuilder) {
	T, I := types.Text, types.Int4
	for _, name := range []string{"length", "char_length", "character_length"} {
		b.fn(&Overload{Name: name, Args: args(T), Ret: I, Fn: textFn1(func(s string) types.Datum {
			return types.DInt(int64(utf8.RuneCountInString(s)))
		})})
	}
	b.fn(&Overload{Name: "length", Args: args(types.Bytea), Ret: I, Fn: textFn1(func(s string) types.Datum {
		return types.DInt(int64(len(s)))
	})})
	b.fn(&Overload{Name: "octet_length", Args: args(T), Ret: I, Fn: textFn1(func(s string) types.Datum { return types.DInt(int64(len(s))) })})
	b.fn(&Overload{Name: "octet_length", Args: args(types.Bytea), Ret: I, Fn: textFn1(func(s string) types.Datum { return types.DInt(int64(len(s))) })})
	b.fn(&Overload{Name: "bit_length", Args: args(T), Ret: I, Fn: textFn1(func(s string) types.Datum { return types.DInt(int64(8 * len(s))) })})
	b.fn(&Overload{Name: "lower", Args: args(T), Ret: T, Fn: strFn(strings.ToLower)})
	b.fn(&Overload{Name: "upper", Args: args(T), Ret: T, Fn: strFn(strings.ToUpper)})
	b.fn(&Overload{Name: "initcap", Args: args(T), Ret: T, Fn: strFn(initcap)})
	b.fn(&Overload{Name: "reverse", Args: args(T), Ret: T, Fn: strFn(func(s string) string {
		r := []rune(s)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r)
	})})
	b.fn(&Overload{Name: "md5", Args: args(T), Ret: T, Fn: strFn(func(s string) string {
		h := md5.Sum([]byte(s))
		return hex.EncodeToString(h[:])
	})})
	b.fn(&Overload{Name: "md5", Args: args(types.Bytea), Ret: T, Fn: strFn(func(s string) string {
		h := md5.Sum([]byte(s))
		return hex.EncodeToString(h[:])
	})})
	substr := func(_ *Context, a []types.Datum) (types.Datum, error) {
		r := []rune(a[0].S)
		start := a[1].I
		end := int64(len(r)) + 1
		if len(a) > 2 {
			if a[2].I < 0 {
				return types.Null, types.Errorf("22011", "negative substring length not allowed")
			}
			end = start + a[2].I
			if end < start { // overflow
				end = int64(len(r)) + 1
			}
		}
		start = max(start, 1)
		end = min(end, int64(len(r))+1)
		if start >= end {
			return types.DString(""), nil
		}
		return types.DString(string(r[start-1 : end-1])), nil
	}
	for _, name := range []string{"substring", "substr"} {
		b.fn(&Overload{Name: name, Args: args(T, I), Ret: T, Fn: substr})
		b.fn(&Overload{Name: name, Args: args(T, I, I), Ret: T, Fn: substr})
	}
	b.fnBound(&Overload{Name: "substring", Args: args(T, T), Ret: T}, func(_ []*types.T, _ *types.T) Fn {
		cache := &regexCache{}
		return func(_ *Context, a []types.Datum) (types.Datum, error) {
			re, err := cache.get(a[1].S, "")
			if err != nil {
				return types.Null, err
			}
			m := re.FindStringSubmatchIndex(a[0].S)
			if m == nil {
				return types.Null, nil
			}
			if len(m) > 2 {
				if m[2] < 0 {
					return types.Null, nil
				}
				return types.DString(a[0].S[m[2]:m[3]]), nil
			}
			return types.DString(a[0].S[m[0]:m[1]]), nil
		}
	})
	strpos := func(_ *Context, a []types.Datum) (types.Datum, error) {
		i := strings.Index(a[0].S, a[1].S)
		if i < 0 {
			return types.DInt(0), nil
		}
		return types.DInt(int64(utf8.RuneCountInString(a[0].S[:i])) + 1), nil
	}
	b.fn(&Overload{Name: "strpos", Args: args(T, T), Ret: I, Fn: strpos})
	b.fn(&Overload{Name: "position", Args: args(T, T), Ret: I, Fn: strpos})
	trims := []struct {
		name        string
		left, right bool
	}{{"btrim", true, true}, {"trim", true, true}, {"ltrim", true, false}, {"rtrim", false, true}}
	for _, tr := range trims {
		left, right := tr.left, tr.right
		f := func(_ *Context, a []types.Datum) (types.Datum, error) {
			cut := " "
			if len(a) > 1 {
				cut = a[1].S
			}
			s := a[0].S
			if left {
				s = strings.TrimLeft(s, cut)
			}
			if right {
				s = strings.TrimRight(s, cut)
			}
			return types.DString(s), nil
		}
		b.fn(&Overload{Name: tr.name, Args: args(T), Ret: T, Fn: f})
		b.fn(&Overload{Name: tr.name, Args: args(T, T), Ret: T, Fn: f})
	}
	pad := func(left bool) Fn {
		return func(_ *Context, a []types.Datum) (types.Datum, error) {
			fill := " "
			if len(a) > 2 {
				fill = a[2].S
			}
			n := a[1].I
			if n > 10_000_000 {
				return types.Null, types.Errorf(types.CodeProgramLimitExceeded, "requested length too large")
			}
			r := []rune(a[0].S)
			if n <= 0 {
				return types.DString(""), nil
			}
			if int64(len(r)) >= n {
				return types.DString(string(r[:n])), nil
			}
			f := []rune(fill)
			if len(f) == 0 {
				return types.DString(a[0].S), nil
			}
			padding := make([]rune, 0, n-int64(len(r)))
			for i := 0; int64(len(padding)) < n-int64(len(r)); i++ {
				padding = append(padding, f[i%len(f)])
			}
			if left {
				return types.DString(string(padding) + a[0].S), nil
			}
			return types.DString(a[0].S + string(padding)), nil
		}
	}
	b.fn(&Overload{Name: "lpad", Args: args(T, I), Ret: T, Fn: pad(true)})
	b.fn(&Overload{Name: "lpad", Args: args(T, I, T), Ret: T, Fn: pad(true)})
	b.fn(&Overload{Name: "rpad", Args: args(T, I), Ret: T, Fn: pad(false)})
	b.fn(&Overload{Name: "rpad", Args: args(T, I, T), Ret: T, Fn: pad(false)})
	b.fn(&Overload{Name: "left", Args: args(T, I), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		r := []rune(a[0].S)
		n := a[1].I
		if n < 0 {
			n = max(int64(len(r))+n, 0)
		}
		return types.DString(string(r[:min(n, int64(len(r)))])), nil
	}})
	b.fn(&Overload{Name: "right", Args: args(T, I), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		r := []rune(a[0].S)
		n := a[1].I
		if n < 0 {
			n = max(int64(len(r))+n, 0)
		}
		n = min(n, int64(len(r)))
		return types.DString(string(r[int64(len(r))-n:])), nil
	}})
	b.fn(&Overload{Name: "repeat", Args: args(T, I), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		if a[1].I <= 0 {
			return types.DString(""), nil
		}
		if int64(len(a[0].S))*a[1].I > 1<<30 {
			return types.Null, types.Errorf(types.CodeProgramLimitExceeded, "requested length too large")
		}
		return types.DString(strings.Repeat(a[0].S, int(a[1].I))), nil
	}})
	b.fn(&Overload{Name: "replace", Args: args(T, T, T), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		if a[1].S == "" {
			return a[0], nil
		}
		return types.DString(strings.ReplaceAll(a[0].S, a[1].S, a[2].S)), nil
	}})
	b.fn(&Overload{Name: "split_part", Args: args(T, T, I), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		n := a[2].I
		if n == 0 {
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "field position must not be zero")
		}
		return types.DString(splitPart(a[0].S, a[1].S, n)), nil
	}})
	b.fn(&Overload{Name: "starts_with", Args: args(T, T), Ret: types.Bool, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DBool(strings.HasPrefix(a[0].S, a[1].S)), nil
	}})
	b.fn(&Overload{Name: "ascii", Args: args(T), Ret: I, Fn: textFn1(func(s string) types.Datum {
		if s == "" {
			return types.DInt(0)
		}
		r, _ := utf8.DecodeRuneInString(s)
		return types.DInt(int64(r))
	})})
	b.fn(&Overload{Name: "chr", Args: args(I), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		c := a[0].I
		switch {
		case c < 0:
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "character number must be positive")
		case c == 0:
			return types.Null, types.Errorf(types.CodeProgramLimitExceeded, "null character not permitted")
		case c > unicode.MaxRune:
			return types.Null, types.Errorf(types.CodeProgramLimitExceeded, "requested character too large for encoding: %d", c)
		case c >= 0xD800 && c <= 0xDFFF:
			return types.Null, types.Errorf(types.CodeProgramLimitExceeded, "requested character not valid for encoding: %d", c)
		}
		return types.DString(string(rune(c))), nil
	}})
	b.fn(&Overload{Name: "translate", Args: args(T, T, T), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		from, to := []rune(a[1].S), []rune(a[2].S)
		var sb strings.Builder
		for _, r := range a[0].S {
			idx := -1
			for i, f := range from {
				if f == r {
					idx = i
					break
				}
			}
			switch {
			case idx < 0:
				sb.WriteRune(r)
			case idx < len(to):
				sb.WriteRune(to[idx])
			}
		}
		return types.DString(sb.String()), nil
	}})
	b.fn(&Overload{Name: "to_hex", Args: args(types.Int8), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DString(strconv.FormatUint(uint64(a[0].I), 16)), nil
	}})
	b.fn(&Overload{Name: "to_hex", Args: args(I), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DString(strconv.FormatUint(uint64(uint32(a[0].I)), 16)), nil
	}})
	b.fn(&Overload{Name: "quote_ident", Args: args(T), Ret: T, Fn: strFn(quoteIdent)})
	b.fn(&Overload{Name: "quote_literal", Args: args(T), Ret: T, Fn: strFn(quoteLiteral)})
	b.fn(&Overload{Name: "quote_nullable", Args: args(T), Ret: T, CalledOnNull: true, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		if a[0].IsNull() {
			return types.DString("NULL"), nil
		}
		return types.DString(quoteLiteral(a[0].S)), nil
	}})
	b.fnBound(&Overload{Name: "concat", Args: nil, Variadic: types.Any, Ret: T, CalledOnNull: true}, func(ts []*types.T, _ *types.T) Fn {
		return func(ctx *Context, a []types.Datum) (types.Datum, error) {
			var sb strings.Builder
			for i, d := range a {
				if d.IsNull() {
					continue
				}
				s, err := valueOut(ctx, d, ts[i])
				if err != nil {
					return types.Null, err
				}
				sb.WriteString(s)
			}
			return types.DString(sb.String()), nil
		}
	})
	b.fnBound(&Overload{Name: "concat_ws", Args: args(T), Variadic: types.Any, Ret: T, CalledOnNull: true}, func(ts []*types.T, _ *types.T) Fn {
		return func(ctx *Context, a []types.Datum) (types.Datum, error) {
			if a[0].IsNull() {
				return types.Null, nil
			}
			var sb strings.Builder
			first := true
			for i := 1; i < len(a); i++ {
				if a[i].IsNull() {
					continue
				}
				s, err := valueOut(ctx, a[i], ts[i])
				if err != nil {
					return types.Null, err
				}
				if !first {
					sb.WriteString(a[0].S)
				}
				first = false
				sb.WriteString(s)
			}
			return types.DString(sb.String()), nil
		}
	})
	b.fnBound(&Overload{Name: "format", Args: args(T), Variadic: types.Any, Ret: T, CalledOnNull: true}, func(ts []*types.T, _ *types.T) Fn {
		return func(ctx *Context, a []types.Datum) (types.Datum, error) {
			if a[0].IsNull() {
				return types.Null, nil
			}
			return formatText(ctx, a[0].S, a[1:], ts[1:])
		}
	})
	regexReplace := func(_ []*types.T, _ *types.T) Fn {
		cache := &regexCache{}
		return func(_ *Context, a []types.Datum) (types.Datum, error) {
			flags := ""
			if len(a) > 3 {
				flags = a[3].S
			}
			re, err := cache.get(a[1].S, flags)
			if err != nil {
				return types.Null, err
			}
			repl := convertReplacement(a[2].S)
			if strings.Contains(flags, "g") {
				return types.DString(re.ReplaceAllString(a[0].S, repl)), nil
			}
			m := re.FindStringSubmatchIndex(a[0].S)
			if m == nil {
				return a[0], nil
			}
			var out []byte
			out = append(out, a[0].S[:m[0]]...)
			out = re.ExpandString(out, repl, a[0].S, m)
			out = append(out, a[0].S[m[1]:]...)
			return types.DString(string(out)), nil
		}
	}
	b.fnBound(&Overload{Name: "regexp_replace", Args: args(T, T, T), Ret: T}, regexReplace)
	b.fnBound(&Overload{Name: "regexp_replace", Args: args(T, T, T, T), Ret: T}, regexReplace)
	// regexpMatch returns the submatch indexes of regexp_match's call (nil:
	// no match).
	regexpMatch := func(cache *regexCache, a []types.Datum) ([]int, error) {
		flags := ""
		if len(a) > 2 {
			flags = a[2].S
		}
		if strings.Contains(flags, "g") {
			return nil, types.Errorf(types.CodeInvalidParameterValue, "regexp_match() does not support the \"global\" option")
		}
		re, err := cache.get(a[1].S, flags)
		if err != nil {
			return nil, err
		}
		return re.FindStringSubmatchIndex(a[0].S), nil
	}
	regexMatch := func(_ []*types.T, _ *types.T) Fn {
		cache := &regexCache{}
		return func(_ *Context, a []types.Datum) (types.Datum, error) {
			m, err := regexpMatch(cache, a)
			if m == nil || err != nil {
				return types.Null, err
			}
			return types.DArray(matchArray(m, a[0].S)), nil
		}
	}
	// regexMatchElement is (regexp_match(...))[i] without the array.
	regexMatchElement := func() func(*Context, []types.Datum, int64) (types.Datum, error) {
		cache := &regexCache{}
		return func(_ *Context, a []types.Datum, i int64) (types.Datum, error) {
			m, err := regexpMatch(cache, a)
			if m == nil || err != nil {
				return types.Null, err
			}
			if len(m) == 2 { // no groups: the array holds the whole match
				if i != 1 {
					return types.Null, nil
				}
				return types.DString(a[0].S[m[0]:m[1]]), nil
			}
			if i < 1 || i >= int64(len(m)/2) || m[2*i] < 0 {
				return types.Null, nil
			}
			return types.DString(a[0].S[m[2*i]:m[2*i+1]]), nil
		}
	}
	b.fnBound(&Overload{Name: "regexp_match", Args: args(T, T), Ret: types.TextArray, Element: regexMatchElement()}, regexMatch)
	b.fnBound(&Overload{Name: "regexp_match", Args: args(T, T, T), Ret: types.TextArray, Element: regexMatchElement()}, regexMatch)
	regexSplit := func(_ []*types.T, _ *types.T) Fn {
		cache := &regexCache{}
		return func(_ *Context, a []types.Datum) (types.Datum, error) {
			flags := ""
			if len(a) > 2 {
				flags = a[2].S
			}
			re, err := cache.get(a[1].S, flags)
			if err != nil {
				return types.Null, err
			}
			parts := re.Split(a[0].S, -1)
			out := make([]types.Datum, len(parts))
			for i, p := range parts {
				out[i] = types.DString(p)
			}
			return newArray(types.Text, out), nil
		}
	}
	b.fnBound(&Overload{Name: "regexp_split_to_array", Args: args(T, T), Ret: types.TextArray}, regexSplit)
	b.fnBound(&Overload{Name: "regexp_split_to_array", Args: args(T, T, T), Ret: types.TextArray}, regexSplit)
	regexLike := func(_ []*types.T, _ *types.T) Fn {
		cache := &regexCache{}
		return func(_ *Context, a []types.Datum) (types.Datum, error) {
			flags := ""
			if len(a) > 2 {
				flags = a[2].S
			}
			re, err := cache.get(a[1].S, flags)
			if err != nil {
				return types.Null, err
			}
			return types.DBool(re.MatchString(a[0].S)), nil
		}
	}
	b.fnBound(&Overload{Name: "regexp_like", Args: args(T, T), Ret: types.Bool}, regexLike)
	b.fnBound(&Overload{Name: "regexp_like", Args: args(T, T, T), Ret: types.Bool}, regexLike)

	B := types.Bytea
	b.fn(&Overload{Name: "encode", Args: args(B, T), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		switch strings.ToLower(a[1].S) {
		case "hex":
			return types.DString(hex.EncodeToString([]byte(a[0].S))), nil
		case "base64":
			return types.DString(base64Wrap(base64.StdEncoding.EncodeToString([]byte(a[0].S)))), nil
		case "escape":
			return types.DString(escapeBytes(a[0].S)), nil
		}
		return types.Null, types.Errorf(types.CodeInvalidParameterValue, "unrecognized encoding: \"%s\"", a[1].S)
	}})
	b.fn(&Overload{Name: "decode", Args: args(T, T), Ret: B, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		switch strings.ToLower(a[1].S) {
		case "hex":
			v, err := hex.DecodeString(strings.Join(strings.Fields(a[0].S), ""))
			if err != nil {
				return types.Null, types.Errorf(types.CodeInvalidParameterValue, "invalid hexadecimal data")
			}
			return types.DBytes(v), nil
		case "base64":
			v, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(a[0].S), ""))
			if err != nil {
				return types.Null, types.Errorf(types.CodeInvalidParameterValue, "invalid base64 end sequence")
			}
			return types.DBytes(v), nil
		case "escape":
			return types.ParseText(a[0].S, types.Bytea, nil)
		}
		return types.Null, types.Errorf(types.CodeInvalidParameterValue, "unrecognized encoding: \"%s\"", a[1].S)
	}})
	checkUTF8 := func(enc string) error {
		switch strings.ToLower(strings.ReplaceAll(enc, "-", "")) {
		case "utf8", "unicode", "sql_ascii":
			return nil
		}
		return types.Errorf(types.CodeInvalidParameterValue, "invalid destination encoding name \"%s\"", enc)
	}
	b.fn(&Overload{Name: "convert_from", Args: args(B, T), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		if err := checkUTF8(a[1].S); err != nil {
			return types.Null, err
		}
		if !utf8.ValidString(a[0].S) {
			return types.Null, types.Errorf(types.CodeCharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\"")
		}
		return types.DString(a[0].S), nil
	}})
	b.fn(&Overload{Name: "convert_to", Args: args(T, T), Ret: B, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		if err := checkUTF8(a[1].S); err != nil {
			return types.Null, err
		}
		return types.DBytes([]byte(a[0].S)), nil
	}})
}

func initcap(s string) string {
	var sb strings.Builder
	inWord := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if inWord {
				sb.WriteRune(unicode.ToLower(r))
			} else {
				sb.WriteRune(unicode.ToUpper(r))
			}
			inWord = true
		} else {
			sb.WriteRune(r)
			inWord = false
		}
	}
	return sb.String()
}

// reservedKeywords are the keywords quote_ident must quote.
var reservedKeywords = map[string]bool{
	"all": true, "analyse": true, "analyze": true, "and": true, "any": true, "array": true, "as": true, "asc": true,
	"asymmetric": true, "both": true, "case": true, "cast": true, "check": true, "collate": true, "column": true,
	"constraint": true, "create": true, "current_catalog": true, "current_date": true, "current_role": true,
	"current_time": true, "current_timestamp": true, "current_user": true, "default": true, "deferrable": true,
	"desc": true, "distinct": true, "do": true, "else": true, "end": true, "except": true, "false": true,
	"fetch": true, "for": true, "foreign": true, "from": true, "grant": true, "group": true, "having": true,
	"in": true, "initially": true, "intersect": true, "into": true, "lateral": true, "leading": true, "limit": true,
	"localtime": true, "localtimestamp": true, "not": true, "null": true, "offset": true, "on": true, "only": true,
	"or": true, "order": true, "placing": true, "primary": true, "references": true, "returning": true,
	"select": true, "session_user": true, "some": true, "symmetric": true, "table": true, "then": true, "to": true,
	"trailing": true, "true": true, "union": true, "unique": true, "user": true, "using": true, "variadic": true,
	"when": true, "where": true, "window": true, "with": true,
}

func quoteIdent(s string) string {
	safe := s != "" && !reservedKeywords[s]
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || (i > 0 && (r >= '0' && r <= '9' || r == '$'))) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func quoteLiteral(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		return "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

// formatText implements format(): %s, %I, %L and %%, with optional
// argument positions (%2$s) and widths (%-10s, %*s).
func formatText(ctx *Context, f string, vals []types.Datum, ts []*types.T) (types.Datum, error) {
	var sb strings.Builder
	next := 0
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			sb.WriteByte(c)
			continue
		}
		i++
		if i >= len(f) {
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "unterminated format() type specifier")
		}
		if f[i] == '%' {
			sb.WriteByte('%')
			continue
		}
		// [n$][-][width]type
		j := i
		for j < len(f) && f[j] >= '0' && f[j] <= '9' {
			j++
		}
		argIdx := -1
		if j < len(f) && f[j] == '$' && j > i {
			n, _ := strconv.Atoi(f[i:j])
			if n == 0 {
				return types.Null, types.Errorf(types.CodeInvalidParameterValue, "format specifies argument 0, but arguments are numbered from 1")
			}
			argIdx = n - 1
			i = j + 1
		}
		left := false
		if i < len(f) && f[i] == '-' {
			left = true
			i++
		}
		width := 0
		for i < len(f) && f[i] >= '0' && f[i] <= '9' {
			width = width*10 + int(f[i]-'0')
			i++
		}
		if i >= len(f) {
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "unterminated format() type specifier")
		}
		if argIdx < 0 {
			argIdx = next
		}
		next = argIdx + 1
		if argIdx >= len(vals) {
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "too few arguments for format()")
		}
		v, t := vals[argIdx], ts[argIdx]
		var s string
		switch f[i] {
		case 's':
			if !v.IsNull() {
				var err error
				if s, err = valueOut(ctx, v, t); err != nil {
					return types.Null, err
				}
			}
		case 'I':
			if v.IsNull() {
				return types.Null, types.Errorf(types.CodeNullValueNotAllowed, "null values cannot be formatted as an SQL identifier")
			}
			str, err := valueOut(ctx, v, t)
			if err != nil {
				return types.Null, err
			}
			s = quoteIdent(str)
		case 'L':
			if v.IsNull() {
				s = "NULL"
			} else {
				str, err := valueOut(ctx, v, t)
				if err != nil {
					return types.Null, err
				}
				s = quoteLiteral(str)
			}
		default:
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "unrecognized format() type specifier \"%c\"", f[i])
		}
		if n := utf8.RuneCountInString(s); n < width {
			if left {
				s += strings.Repeat(" ", width-n)
			} else {
				s = strings.Repeat(" ", width-n) + s
			}
		}
		sb.WriteString(s)
	}
	return types.DString(sb.String()), nil
}

// convertReplacement turns Postgres's \1 and \& references into Go's ${1}
// and ${0}, escaping literal dollars.
func convertReplacement(r string) string {
	if !strings.ContainsAny(r, `\$`) {
		return r
	}
	var sb strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '$':
			sb.WriteString("$$")
		case c == '\\' && i+1 < len(r):
			n := r[i+1]
			switch {
			case n >= '0' && n <= '9':
				sb.WriteString("${" + string(n) + "}")
			case n == '&':
				sb.WriteString("${0}")
			default:
				sb.WriteByte(n)
			}
			i++
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// matchArray is regexp_match's result: the capture groups, or the whole
// match when there are none.
// splitPart is split_part(s, sep, n) for n != 0: the n-th field (from
// the end when n < 0), found by scanning, without splitting s into a slice of
// every field.
func splitPart(s, sep string, n int64) string {
	if s == "" {
		return ""
	}
	if sep == "" {
		if n == 1 || n == -1 {
			return s
		}
		return ""
	}
	if n < 0 {
		// Fields are delimited left to right (overlapping separators
		// count once, as in Postgres), so count them rather than search
		// from the end.
		n += int64(strings.Count(s, sep)) + 2
		if n < 1 {
			return ""
		}
	}
	for ; n > 1; n-- {
		i := strings.Index(s, sep)
		if i < 0 {
			return ""
		}
		s = s[i+len(sep):]
	}
	if i := strings.Index(s, sep); i >= 0 {
		return s[:i]
	}
	return s
}

func matchArray(m []int, s string) *types.Array {
	// Two allocations: the array header with its one dimension, and the
	// elements (the strings are slices of s).
	groups := len(m)/2 - 1
	if groups == 0 {
		groups = 1
	}
	buf := &struct {
		a    types.Array
		dims [1]int
	}{}
	elems := make([]types.Datum, groups)
	if len(m) == 2 {
		elems[0] = types.DString(s[m[0]:m[1]])
	} else {
		for g := 1; g <= groups; g++ {
			if m[2*g] >= 0 {
				elems[g-1] = types.DString(s[m[2*g]:m[2*g+1]])
			}
		}
	}
	buf.dims[0] = groups
	buf.a = types.Array{Elem: types.Text, Dims: buf.dims[:], Elems: elems}
	return &buf.a
}

func base64Wrap(s string) string {
	if len(s) <= 76 {
		return s
	}
	var sb strings.Builder
	for len(s) > 76 {
		sb.WriteString(s[:76])
		sb.WriteByte('\n')
		s = s[76:]
	}
	sb.WriteString(s)
	return sb.String()
}

func escapeBytes(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			sb.WriteString(`\\`)
		case c < 0x20 || c >= 0x7f:
			sb.WriteString(`\` + strconv.FormatInt(int64(c)+01000, 8)[1:])
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}
