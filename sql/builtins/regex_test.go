package builtins

import (
	"regexp"
	"slices"
	"testing"

	"github.com/streamdb/streamdb/sql/types"
)

var regexWindowPatterns = []string{
	`(&|^)channel_id=([^&]*)`,
	`(?:&|^)channel_id=([^&]*)`,
	`\bbar`,
	`(?m)^foo=(\d+)`,
	`(x)?abc`,
	`a.{0,3}bc`,
	`[a-z]{2}=(\d+)$`,
	`(?s).bc`,
	`(?i)abc`,
	`ab*c=`,
	`(a|bb|ccc)=x`,
	`é.=`,
	`(\B|^)q=`,
}

var regexWindowSubjects = []string{
	"", "abc", "xabc", "foo bar", "foobar", "bar",
	"https://www.nexmark.com/abc/item.htm?query=1&channel_id=1234",
	"channel_id=77&x=1", "a&xchannel_id=5&channel_id=6", "channel_idchannel_id=9",
	"x\nfoo=12", "foo=1\nfoo=2", "xx=12", "ab=1 cd=22", "zzabbbbc=", "aXYZbc", "aXYZWbc",
	"ccc=x", "bb=x", "a=x", "\xffé\xff=", "héé=", "aq=", " q=", "q=",
}

// checkRegexWindow compares compiledRegex's shortcuts with the plain
// regexp searches they stand for.
func checkRegexWindow(t *testing.T, pattern, s string) {
	t.Helper()
	re, err := regexp.Compile(pattern)
	if err != nil {
		return
	}
	c := newCompiledRegex(re, pattern)
	if got, want := c.MatchString(s), re.MatchString(s); got != want {
		t.Errorf("%q ~ %q: MatchString %v, want %v (lit %q, maxBefore %d)", s, pattern, got, want, c.lit, c.maxBefore)
	}
	if got, want := c.FindStringSubmatchIndex(s), re.FindStringSubmatchIndex(s); !slices.Equal(got, want) {
		t.Errorf("%q ~ %q: FindStringSubmatchIndex %v, want %v (lit %q, maxBefore %d)", s, pattern, got, want, c.lit, c.maxBefore)
	}
	if got, want := c.FindStringIndex(s), re.FindStringIndex(s); !slices.Equal(got, want) {
		t.Errorf("%q ~ %q: FindStringIndex %v, want %v", s, pattern, got, want)
	}
	if !c.MayMatch(s) && re.MatchString(s) {
		t.Errorf("%q ~ %q: MayMatch false for a match", s, pattern)
	}
}

func TestCompiledRegexWindow(t *testing.T) {
	for _, p := range regexWindowPatterns {
		for _, s := range regexWindowSubjects {
			checkRegexWindow(t, p, s)
		}
	}
	// The shortcuts apply where they should.
	c, err := compileRegex(`(&|^)channel_id=([^&]*)`, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.lit != "channel_id=" || c.maxBefore != 1 {
		t.Errorf("q21 pattern: literal %q, maxBefore %d; want \"channel_id=\", 1", c.lit, c.maxBefore)
	}
	if c, _ := compileRegex(`abc`, "i"); c.lit != "" {
		t.Errorf("case-insensitive pattern got literal %q", c.lit)
	}
}

func FuzzCompiledRegex(f *testing.F) {
	for i, p := range regexWindowPatterns {
		f.Add(p, regexWindowSubjects[i%len(regexWindowSubjects)])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 64 || len(s) > 256 {
			return
		}
		checkRegexWindow(t, pattern, s)
	})
}

func TestRegexCacheReusesCompilation(t *testing.T) {
	var c regexCache
	a, err := c.get(`x(\d)`, "")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.get(`y`, "")
	a2, _ := c.get(`x(\d)`, "")
	if a != a2 || a == b {
		t.Errorf("cache returned %p, %p, %p: want the first and third equal", a, b, a2)
	}
	if _, err := c.get(`(`, ""); err == nil {
		t.Error("invalid pattern: no error")
	}
}

func BenchmarkRegexpMatchQ21(b *testing.B) {
	ctx := testCtx()
	o, err := ResolveFunction("regexp_match", args(types.Text, types.Text))
	if err != nil {
		b.Fatal(err)
	}
	in := []types.Datum{types.DString("https://www.nexmark.com/abcde/fghij/klmno/item.htm?query=1&channel_id=1234567"), types.DString(`(&|^)channel_id=([^&]*)`)}
	b.ReportAllocs()
	for b.Loop() {
		if d, err := o.Fn(ctx, in); err != nil || d.IsNull() {
			b.Fatal(d, err)
		}
	}
}
