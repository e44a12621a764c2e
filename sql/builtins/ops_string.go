package builtins

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/streamdb/streamdb/sql/types"
)

func registerStringOps(b *registryBuilder) {
	t := types.Text
	b.op(&Overload{Name: "||", Args: args(t, t), Ret: t, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DString(a[0].S + a[1].S), nil
	}})
	b.opBound(&Overload{Name: "||", Args: args(t, AnyNonArray), Ret: t}, func(ts []*types.T, _ *types.T) Fn {
		rt := ts[1]
		return func(ctx *Context, a []types.Datum) (types.Datum, error) {
			s, err := textOut(ctx, a[1], rt)
			return types.DString(a[0].S + s), err
		}
	})
	b.opBound(&Overload{Name: "||", Args: args(AnyNonArray, t), Ret: t}, func(ts []*types.T, _ *types.T) Fn {
		lt := ts[0]
		return func(ctx *Context, a []types.Datum) (types.Datum, error) {
			s, err := textOut(ctx, a[0], lt)
			return types.DString(s + a[1].S), err
		}
	})
	b.op(&Overload{Name: "||", Args: args(types.Bytea, types.Bytea), Ret: types.Bytea, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.Datum{K: types.KBytes, S: a[0].S + a[1].S}, nil
	}})

	likeOps := []struct {
		name       string
		ci, negate bool
	}{{"~~", false, false}, {"!~~", false, true}, {"~~*", true, false}, {"!~~*", true, true}}
	for _, op := range likeOps {
		ci, negate := op.ci, op.negate
		for _, lt := range []*types.T{types.Text, types.BPChar, types.Name} {
			b.op(&Overload{Name: op.name, Args: args(lt, t), Ret: types.Bool, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
				s := a[0].S
				if lt == types.BPChar {
					s = strings.TrimRight(s, " ")
				}
				m, err := likeMatch(s, a[1].S, '\\', ci)
				return types.DBool(m != negate), err
			}})
		}
	}
	b.op(&Overload{Name: "~~", Args: args(types.Bytea, types.Bytea), Ret: types.Bool, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		m, err := likeMatch(a[0].S, a[1].S, '\\', false)
		return types.DBool(m), err
	}})

	regexOps := []struct {
		name       string
		ci, negate bool
	}{{"~", false, false}, {"!~", false, true}, {"~*", true, false}, {"!~*", true, true}}
	for _, op := range regexOps {
		ci, negate := op.ci, op.negate
		for _, lt := range []*types.T{types.Text, types.BPChar, types.Name} {
			b.opBound(&Overload{Name: op.name, Args: args(lt, t), Ret: types.Bool}, func(_ []*types.T, _ *types.T) Fn {
				cache := &regexCache{}
				return func(_ *Context, a []types.Datum) (types.Datum, error) {
					flags := ""
					if ci {
						flags = "i"
					}
					re, err := cache.get(a[1].S, flags)
					if err != nil {
						return types.Null, err
					}
					return types.DBool(re.MatchString(a[0].S) != negate), nil
				}
			})
		}
	}
	b.op(&Overload{Name: "^@", Args: args(t, t), Ret: types.Bool, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DBool(strings.HasPrefix(a[0].S, a[1].S)), nil
	}})
}

// likeMatch implements LIKE (ci: ILIKE) with the given escape character
// (0 for none).
func likeMatch(s, pattern string, escape rune, ci bool) (bool, error) {
	if ci {
		s, pattern = strings.ToLower(s), strings.ToLower(pattern)
	}
	// Validate the escape placement first, as Postgres does.
	for i := 0; i < len(pattern); {
		r, n := utf8.DecodeRuneInString(pattern[i:])
		i += n
		if escape != 0 && r == escape {
			if i >= len(pattern) {
				return false, types.Errorf(types.CodeInvalidEscapeSequence, "LIKE pattern must not end with escape character")
			}
			_, n := utf8.DecodeRuneInString(pattern[i:])
			i += n
		}
	}
	return likeRec(s, pattern, escape), nil
}

func likeRec(s, p string, escape rune) bool {
	for len(p) > 0 {
		r, n := utf8.DecodeRuneInString(p)
		switch {
		case r == '%':
			p = p[n:]
			for len(p) > 0 && p[0] == '%' {
				p = p[1:]
			}
			if len(p) == 0 {
				return true
			}
			for i := 0; i <= len(s); {
				if likeRec(s[i:], p, escape) {
					return true
				}
				if i == len(s) {
					break
				}
				_, m := utf8.DecodeRuneInString(s[i:])
				i += m
			}
			return false
		case r == '_':
			if len(s) == 0 {
				return false
			}
			_, m := utf8.DecodeRuneInString(s)
			s, p = s[m:], p[n:]
		default:
			if escape != 0 && r == escape {
				p = p[n:]
				r, n = utf8.DecodeRuneInString(p)
			}
			c, m := utf8.DecodeRuneInString(s)
			if len(s) == 0 || c != r {
				return false
			}
			s, p = s[m:], p[n:]
		}
	}
	return len(s) == 0
}

// regexCache remembers the last compiled pattern of one call site, so a
// constant pattern is compiled once per statement rather than per row.
type regexCache struct {
	mu      sync.Mutex
	pattern string
	flags   string
	re      *regexp.Regexp
}

func (c *regexCache) get(pattern, flags string) (*regexp.Regexp, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.re != nil && c.pattern == pattern && c.flags == flags {
		return c.re, nil
	}
	re, err := compileRegex(pattern, flags)
	if err != nil {
		return nil, err
	}
	c.pattern, c.flags, c.re = pattern, flags, re
	return re, nil
}

// compileRegex translates a Postgres (ARE) regular expression to Go's RE2
// syntax for the common constructs.
func compileRegex(pattern, flags string) (*regexp.Regexp, error) {
	prefix := ""
	for _, f := range flags {
		switch f {
		case 'i':
			prefix += "i"
		case 'n', 'm':
			prefix += "m"
		case 's':
			prefix += "s"
		case 'g', 'c':
		case 'x':
			// expanded syntax: strip white space and comments
			pattern = stripExpanded(pattern)
		default:
			return nil, types.Errorf(types.CodeInvalidParameterValue, "invalid regular expression option: \"%c\"", f)
		}
	}
	// Postgres character class shorthands inside brackets.
	p := strings.NewReplacer("[[:<:]]", `\b`, "[[:>:]]", `\b`).Replace(pattern)
	if prefix != "" {
		p = "(?" + prefix + ")" + p
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, types.Errorf(types.CodeInvalidRegularExpression, "invalid regular expression: %s", err.Error())
	}
	return re, nil
}

func stripExpanded(p string) string {
	var sb strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '\\' && i+1 < len(p) {
			sb.WriteByte(c)
			sb.WriteByte(p[i+1])
			i++
			continue
		}
		if c == '#' {
			for i < len(p) && p[i] != '\n' {
				i++
			}
			continue
		}
		if unicode.IsSpace(rune(c)) {
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}
