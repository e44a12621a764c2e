package builtins

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// compiledRegex is a translated Postgres pattern compiled by Go's regexp,
// with a literal pre-filter that lets the common searches skip most of the
// subject.
//
// Go's regexp scans for an unanchored match from every start position, and
// on short subjects it runs its backtracker, which costs a few hundred
// nanoseconds per position: q21's '(&|^)channel_id=([^&]*)' over an 80-byte
// URL spent 21 % of the query's CPU there. Most patterns name a literal that
// every match must contain (here "channel_id="), preceded by a part of
// bounded width (here one byte at most). Then:
//
//   - a subject without the literal has no match at all (one strings.Index);
//   - a match cannot start earlier than maxBefore bytes before the first
//     occurrence of the literal, so the search can begin there. It begins
//     one byte earlier still, so that \b and the multi-line ^ see the byte
//     before each candidate start; a false "beginning of text" at the cut
//     itself cannot produce a match, because a match starting there would
//     reach the literal before its first occurrence.
//
// The methods that take these shortcuts shadow the embedded *regexp.Regexp's;
// the others (replace, split, find-all) use the pre-filter only to rule out
// subjects without the literal where the caller does so explicitly.
type compiledRegex struct {
	*regexp.Regexp
	// lit is a literal every match contains ("" when none was found).
	lit string
	// maxBefore bounds how many bytes of a match precede lit; -1 when the
	// width before it is unbounded (only the absence check applies).
	maxBefore int
}

func newCompiledRegex(re *regexp.Regexp, translated string) *compiledRegex {
	c := &compiledRegex{Regexp: re, maxBefore: -1}
	tree, err := syntax.Parse(translated, syntax.Perl)
	if err != nil {
		return c
	}
	c.lit, c.maxBefore = requiredLiteral(tree)
	return c
}

// requiredLiteral finds, in the top-level sequence of a parsed pattern, the
// first case-sensitive literal, and the largest number of bytes the items
// before it can match (-1 when unbounded).
func requiredLiteral(re *syntax.Regexp) (string, int) {
	items := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		items = re.Sub
	}
	before := 0
	for _, it := range items {
		if lit, ok := literalOf(it); ok {
			return lit, before
		}
		w := maxWidth(it)
		if w < 0 || before < 0 {
			before = -1
		} else {
			before += w
		}
	}
	return "", -1
}

// literalOf returns the text of a case-sensitive literal item (possibly
// inside a capture group).
func literalOf(re *syntax.Regexp) (string, bool) {
	if re.Op == syntax.OpCapture && len(re.Sub) == 1 {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpLiteral || re.Flags&syntax.FoldCase != 0 || len(re.Rune) == 0 {
		return "", false
	}
	return string(re.Rune), true
}

// maxWidth is the largest number of bytes re can match, or -1 if unbounded.
// A character matches at most utf8.UTFMax bytes (an invalid byte, which
// Go's regexp reads as U+FFFD, consumes one).
func maxWidth(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpNoMatch:
		return 0
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return len(re.Rune) * utf8.UTFMax
		}
		return len(string(re.Rune))
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpCapture, syntax.OpQuest:
		return maxWidth(re.Sub[0])
	case syntax.OpConcat:
		sum := 0
		for _, s := range re.Sub {
			w := maxWidth(s)
			if w < 0 {
				return -1
			}
			sum += w
		}
		return sum
	case syntax.OpAlternate:
		m := 0
		for _, s := range re.Sub {
			w := maxWidth(s)
			if w < 0 {
				return -1
			}
			m = max(m, w)
		}
		return m
	case syntax.OpRepeat:
		if re.Max < 0 {
			return -1
		}
		w := maxWidth(re.Sub[0])
		if w < 0 {
			return -1
		}
		return w * re.Max
	}
	return -1 // star, plus, anything unknown
}

// searchFrom returns where a search of s may start, and false when s cannot
// match at all.
func (c *compiledRegex) searchFrom(s string) (int, bool) {
	if c.lit == "" {
		return 0, true
	}
	i := strings.Index(s, c.lit)
	if i < 0 {
		return 0, false
	}
	if c.maxBefore < 0 {
		return 0, true
	}
	return max(i-c.maxBefore-1, 0), true
}

// MayMatch reports whether s can contain a match: false only when it lacks
// the pattern's required literal.
func (c *compiledRegex) MayMatch(s string) bool {
	_, ok := c.searchFrom(s)
	return ok
}

// MatchString reports whether s contains a match.
func (c *compiledRegex) MatchString(s string) bool {
	from, ok := c.searchFrom(s)
	if !ok {
		return false
	}
	return c.Regexp.MatchString(s[from:])
}

// FindStringSubmatchIndex is regexp's, searching only where a match can
// start.
func (c *compiledRegex) FindStringSubmatchIndex(s string) []int {
	from, ok := c.searchFrom(s)
	if !ok {
		return nil
	}
	m := c.Regexp.FindStringSubmatchIndex(s[from:])
	if from > 0 {
		for i, v := range m {
			if v >= 0 {
				m[i] = v + from
			}
		}
	}
	return m
}

// FindStringIndex is regexp's, searching only where a match can start.
func (c *compiledRegex) FindStringIndex(s string) []int {
	from, ok := c.searchFrom(s)
	if !ok {
		return nil
	}
	m := c.Regexp.FindStringIndex(s[from:])
	if m != nil && from > 0 {
		m[0] += from
		m[1] += from
	}
	return m
}

// regexCache remembers the compiled patterns of the call sites sharing a
// specialised overload, so that constant patterns are compiled once rather
// than per row. The last pattern used is checked first without a lock or a
// map probe (a constant pattern hits it every row); the map is bounded: a
// pattern that changes every row simply recompiles.
type regexCache struct {
	last atomic.Pointer[regexEntry]
	mu   sync.Mutex
	m    map[regexKey]*regexEntry
}

type regexKey struct{ pattern, flags string }

type regexEntry struct {
	key regexKey
	re  *compiledRegex
}

const regexCacheSize = 64

func (c *regexCache) get(pattern, flags string) (*compiledRegex, error) {
	if e := c.last.Load(); e != nil && e.key.pattern == pattern && e.key.flags == flags {
		return e.re, nil
	}
	key := regexKey{pattern, flags}
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if !ok {
		re, err := compileRegex(pattern, flags)
		if err != nil {
			return nil, err
		}
		e = &regexEntry{key: key, re: re}
		c.mu.Lock()
		if c.m == nil || len(c.m) >= regexCacheSize {
			c.m = make(map[regexKey]*regexEntry)
		}
		c.m[key] = e
		c.mu.Unlock()
	}
	c.last.Store(e)
	return e.re, nil
}
