package builtins

import (
	"regexp"
	"strings"
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
	// Fast paths for the common shapes: 'abc', 'abc%', '%abc', '%abc%'.
	if !strings.ContainsAny(pattern, "_\\") && (escape == '\\' || escape == 0) {
		inner := strings.Trim(pattern, "%")
		if !strings.Contains(inner, "%") {
			pre, suf := strings.HasPrefix(pattern, "%"), strings.HasSuffix(pattern, "%") && len(pattern) > len(inner)
			switch {
			case !pre && !suf:
				return s == inner, nil
			case !pre:
				return strings.HasPrefix(s, inner), nil
			case pre && !suf:
				return strings.HasSuffix(s, inner), nil
			default:
				return strings.Contains(s, inner), nil
			}
		}
	}
	toks := make([]likeToken, 0, len(pattern))
	for i := 0; i < len(pattern); {
		r, n := utf8.DecodeRuneInString(pattern[i:])
		i += n
		switch {
		case escape != 0 && r == escape:
			if i >= len(pattern) {
				return false, types.Errorf(types.CodeInvalidEscapeSequence, "LIKE pattern must not end with escape character")
			}
			r, n = utf8.DecodeRuneInString(pattern[i:])
			i += n
			toks = append(toks, likeToken{kind: likeLit, r: r})
		case r == '%':
			if len(toks) == 0 || toks[len(toks)-1].kind != likeAny {
				toks = append(toks, likeToken{kind: likeAny})
			}
		case r == '_':
			toks = append(toks, likeToken{kind: likeOne})
		default:
			toks = append(toks, likeToken{kind: likeLit, r: r})
		}
	}
	return likeTokens(s, toks), nil
}

const (
	likeLit = iota
	likeOne
	likeAny
)

type likeToken struct {
	kind int
	r    rune
}

// likeTokens matches with the classic wildcard algorithm: on a mismatch,
// retry from the last % one character further (linear in practice, no
// exponential backtracking).
func likeTokens(s string, toks []likeToken) bool {
	si, ti := 0, 0
	starTok, starS := -1, 0
	for si < len(s) {
		if ti < len(toks) {
			t := toks[ti]
			switch t.kind {
			case likeAny:
				starTok, starS = ti, si
				ti++
				continue
			case likeOne:
				_, n := utf8.DecodeRuneInString(s[si:])
				si += n
				ti++
				continue
			default:
				r, n := utf8.DecodeRuneInString(s[si:])
				if r == t.r {
					si += n
					ti++
					continue
				}
			}
		}
		if starTok < 0 {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starS:])
		starS += n
		si, ti = starS, starTok+1
	}
	for ti < len(toks) && toks[ti].kind == likeAny {
		ti++
	}
	return ti == len(toks)
}

// compileRegex translates a Postgres (ARE) regular expression to Go's RE2
// syntax for the common constructs.
func compileRegex(pattern, flags string) (*compiledRegex, error) {
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
	// Postgres word-boundary escapes, which RE2 spells \b.
	p := strings.NewReplacer("[[:<:]]", `\b`, "[[:>:]]", `\b`, `\m`, `\b`, `\M`, `\b`, `\y`, `\b`, `\Y`, `\B`).Replace(pattern)
	if prefix != "" {
		p = "(?" + prefix + ")" + p
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, types.Errorf(types.CodeInvalidRegularExpression, "invalid regular expression: %s", err.Error())
	}
	return newCompiledRegex(re, p), nil
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
