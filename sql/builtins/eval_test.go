package builtins

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamdb/streamdb/sql/types"
)

func testCtx() *Context {
	return &Context{
		StmtTime: time.Date(2024, 3, 15, 12, 30, 45, 123456000, time.UTC),
		Location: time.UTC,
	}
}

// arg is a typed literal: "int4:5", "text:abc", "unknown:x", "null:int4".
func parseArg(t *testing.T, ctx *Context, s string) (types.Datum, *types.T) {
	t.Helper()
	i := strings.IndexByte(s, ':')
	tn, lit := s[:i], s[i+1:]
	if tn == "null" {
		typ := typeByName(t, lit)
		return types.Null, typ
	}
	typ := typeByName(t, tn)
	if typ.Oid == types.OidUnknown {
		return types.DString(lit), typ
	}
	d, err := textIn(ctx, lit, typ)
	if err != nil {
		t.Fatalf("parse %q as %s: %v", lit, tn, err)
	}
	return d, typ
}

// castTarget parses "varchar(3)", "numeric(5,2)" or a plain type name.
func castTarget(t *testing.T, n string) *types.T {
	t.Helper()
	base, mod, ok := strings.Cut(n, "(")
	typ := typeByName(t, base)
	if !ok {
		return typ
	}
	mod = strings.TrimSuffix(mod, ")")
	p, sc, two := strings.Cut(mod, ",")
	pi, _ := strconv.Atoi(p)
	if two {
		si, _ := strconv.Atoi(sc)
		return typ.WithTypmod(int32(pi<<16|si) + 4)
	}
	if typ.Oid == types.OidVarchar || typ.Oid == types.OidBPChar {
		return typ.WithTypmod(int32(pi) + 4)
	}
	return typ.WithTypmod(int32(pi))
}

func typeByName(t *testing.T, n string) *types.T {
	t.Helper()
	if n == "unknown" {
		return types.Unknown
	}
	oid, ok := builtinTypeOid(n)
	if !ok {
		t.Fatalf("no type %q", n)
	}
	return types.ByOid(oid)
}

// evalCall resolves and runs a function (or an operator when name starts
// with "op:"), returning the text output or "ERROR <code>: <message>".
func evalCall(t *testing.T, ctx *Context, name string, argLits ...string) string {
	t.Helper()
	ds := make([]types.Datum, len(argLits))
	ts := make([]*types.T, len(argLits))
	for i, a := range argLits {
		ds[i], ts[i] = parseArg(t, ctx, a)
	}
	var o *Overload
	var err error
	if tn, ok := strings.CutPrefix(name, "cast:"); ok {
		to := castTarget(t, tn)
		r, err := CastValue(ctx, ds[0], ts[0], to, true)
		if err != nil {
			return "ERROR " + types.Code(err) + ": " + err.Error()
		}
		if r.IsNull() {
			return "NULL"
		}
		s, _ := textOut(ctx, r, to)
		return s
	}
	switch {
	case strings.HasPrefix(name, "op:") && len(ts) == 2:
		o, err = ResolveOperator(name[3:], ts[0], ts[1])
	case strings.HasPrefix(name, "op:"):
		o, err = ResolveOperator(name[3:], nil, ts[0])
	default:
		o, err = ResolveFunction(name, ts)
	}
	if err != nil {
		return "ERROR " + types.Code(err) + ": " + err.Error()
	}
	for i := range ds {
		if ds[i], err = Cast(ctx, ds[i], ts[i], o.Args[i]); err != nil {
			return "ERROR " + types.Code(err) + ": " + err.Error()
		}
	}
	if !o.CalledOnNull {
		for _, d := range ds {
			if d.IsNull() {
				return "NULL"
			}
		}
	}
	if o.SetReturning {
		var rows []string
		err := o.SRF(ctx, ds, func(r types.Row) error {
			var cols []string
			for i, d := range r {
				if d.IsNull() {
					cols = append(cols, "NULL")
					continue
				}
				s, _ := textOut(ctx, d, o.SRFColumns[i].Type)
				cols = append(cols, s)
			}
			rows = append(rows, strings.Join(cols, "|"))
			return nil
		})
		if err != nil {
			return "ERROR " + types.Code(err) + ": " + err.Error()
		}
		return strings.Join(rows, ",")
	}
	r, err := o.Fn(ctx, ds)
	if err != nil {
		return "ERROR " + types.Code(err) + ": " + err.Error()
	}
	if r.IsNull() {
		return "NULL"
	}
	s, err := valueOut(ctx, r, o.Ret)
	if err != nil {
		return "ERROR " + err.Error()
	}
	return s
}

type evalCase struct {
	name string
	args []string
	want string
}

func runEvalCases(t *testing.T, cases []evalCase) {
	t.Helper()
	ctx := testCtx()
	for _, c := range cases {
		got := evalCall(t, ctx, c.name, c.args...)
		if got != c.want {
			t.Errorf("%s(%s) = %q, want %q", c.name, strings.Join(c.args, ", "), got, c.want)
		}
	}
}

func TestArithmetic(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"op:+", []string{"int4:1", "int4:2"}, "3"},
		{"op:+", []string{"int4:2147483647", "int4:1"}, "ERROR 22003: integer out of range"},
		{"op:+", []string{"int2:32767", "int2:1"}, "ERROR 22003: smallint out of range"},
		{"op:*", []string{"int8:9223372036854775807", "int8:2"}, "ERROR 22003: bigint out of range"},
		{"op:-", []string{"int8:-9223372036854775808"}, "ERROR 22003: bigint out of range"},
		{"op:/", []string{"int4:7", "int4:2"}, "3"},
		{"op:/", []string{"int4:-7", "int4:2"}, "-3"},
		{"op:/", []string{"int4:1", "int4:0"}, "ERROR 22012: division by zero"},
		{"op:%", []string{"int4:-7", "int4:3"}, "-1"},
		{"op:/", []string{"int4:-2147483648", "int4:-1"}, "ERROR 22003: integer out of range"},
		{"op:/", []string{"numeric:1", "numeric:3"}, "0.33333333333333333333"},
		{"op:/", []string{"numeric:10", "numeric:3"}, "3.3333333333333333"},
		{"op:/", []string{"numeric:1.0", "numeric:2"}, "0.50000000000000000000"},
		{"op:/", []string{"numeric:1", "numeric:0"}, "ERROR 22012: division by zero"},
		{"op:*", []string{"numeric:1.5", "numeric:2.25"}, "3.375"},
		{"op:+", []string{"numeric:1.50", "int4:1"}, "2.50"},
		{"op:+", []string{"float8:0.1", "float8:0.2"}, "0.30000000000000004"},
		{"op:/", []string{"float8:1", "float8:0"}, "ERROR 22012: division by zero"},
		{"op:*", []string{"float8:1e308", "float8:10"}, "ERROR 22003: value out of range: overflow"},
		{"op:^", []string{"int4:2", "int4:10"}, "1024"},
		{"op:^", []string{"numeric:2", "numeric:10"}, "1024.0000000000000000"},
		{"op:&", []string{"int4:12", "int4:10"}, "8"},
		{"op:<<", []string{"int4:1", "int4:4"}, "16"},
		{"op:%", []string{"numeric:10.5", "numeric:3"}, "1.5"},
		{"round", []string{"numeric:2.5"}, "3"},
		{"round", []string{"numeric:-2.5"}, "-3"},
		{"round", []string{"float8:2.5"}, "2"},
		{"round", []string{"numeric:3.14159", "int4:2"}, "3.14"},
		{"round", []string{"numeric:1234.5", "int4:-2"}, "1200"},
		{"trunc", []string{"numeric:-3.789", "int4:1"}, "-3.7"},
		{"ceil", []string{"numeric:1.1"}, "2"},
		{"floor", []string{"float8:-1.1"}, "-2"},
		{"abs", []string{"int4:-5"}, "5"},
		{"mod", []string{"int4:10", "int4:3"}, "1"},
		{"sqrt", []string{"numeric:2"}, "1.414213562373095"},
		{"sqrt", []string{"float8:-1"}, "ERROR 2201F: cannot take square root of a negative number"},
		{"power", []string{"float8:2", "float8:0.5"}, "1.4142135623730951"},
		{"ln", []string{"float8:0"}, "ERROR 2201E: cannot take logarithm of zero"},
		{"log", []string{"numeric:100"}, "2.0000000000000000"},
		{"exp", []string{"numeric:1"}, "2.7182818284590452"},
		{"div", []string{"numeric:9", "numeric:4"}, "2"},
		{"gcd", []string{"int4:12", "int4:18"}, "6"},
		{"lcm", []string{"int4:4", "int4:6"}, "12"},
		{"sign", []string{"numeric:-3.2"}, "-1"},
		{"width_bucket", []string{"float8:5.35", "float8:0.024", "float8:10.06", "int4:5"}, "3"},
		{"degrees", []string{"float8:3.141592653589793"}, "180"},
		// Checked against PostgreSQL 15.
		{"ln", []string{"numeric:2"}, "0.6931471805599453"},
		{"ln", []string{"numeric:10"}, "2.3025850929940457"},
		{"op:^", []string{"numeric:2", "numeric:0.5"}, "1.4142135623730950"},
		{"power", []string{"numeric:2", "numeric:-1"}, "0.5000000000000000"},
		{"round", []string{"unknown:1.5"}, "2"},
	})
}

func TestCasts(t *testing.T) {
	ctx := testCtx()
	cases := []struct {
		from, to *types.T
		in       string
		explicit bool
		want     string
	}{
		{types.Text, types.Int4, "42", false, "42"},
		{types.Text, types.Int4, "abc", false, "ERROR 22P02"},
		{types.Int8, types.Int4, "3000000000", false, "ERROR 22003: integer out of range"},
		{types.Int4, types.Int2, "40000", false, "ERROR 22003: smallint out of range"},
		{types.Float8, types.Int4, "2.5", false, "2"},
		{types.Float8, types.Int4, "3.5", false, "4"},
		{types.Float8, types.Int4, "-2.5", false, "-2"},
		{types.Numeric, types.Int4, "2.5", false, "3"},
		{types.Numeric, types.Int4, "-2.5", false, "-3"},
		{types.Text, types.Varchar.WithTypmod(3 + 4), "abcd", false, "ERROR 22001: value too long for type character varying(3)"},
		{types.Text, types.Varchar.WithTypmod(3 + 4), "abcd", true, "abc"},
		{types.Text, types.Varchar.WithTypmod(3 + 4), "abc  ", false, "abc"},
		{types.Text, types.BPChar.WithTypmod(5 + 4), "ab", false, "ab   "},
		{types.Numeric, types.Numeric.WithTypmod((5<<16 | 2) + 4), "123.456", false, "123.46"},
		{types.Numeric, types.Numeric.WithTypmod((5<<16 | 2) + 4), "1234.5", false, "ERROR 22003: numeric field overflow"},
		{types.Float8, types.Numeric, "0.1", false, "0.1"},
		{types.Int4, types.Bool, "0", true, "false"},
		{types.Bool, types.Text, "true", false, "true"},
		{types.Int4, types.Text, "-17", false, "-17"},
		{types.Date, types.Timestamp, "2024-01-02", false, "2024-01-02 00:00:00"},
		{types.Timestamp, types.Date, "2024-01-02 23:59:59", false, "2024-01-02"},
		{types.Text, types.JSONB, `{"b":1, "a": [1, 2]}`, true, `{"a": [1, 2], "b": 1}`},
		{types.JSONB, types.Int4, `42`, true, "42"},
		{types.JSONB, types.Int4, `"x"`, true, "ERROR 22023: cannot cast jsonb string to type integer"},
		{types.Text, types.Int4Array, `{1,2,3}`, true, "{1,2,3}"},
		{types.Int4Array, types.TextArray, `{1,2,3}`, true, "{1,2,3}"},
		{types.Text, types.RegType, `integer`, true, "integer"},
		{types.Interval, types.Time, `25:30:00`, false, "01:30:00"},
	}
	for _, c := range cases {
		d, err := textIn(ctx, c.in, c.from)
		if err != nil {
			t.Errorf("parse %q: %v", c.in, err)
			continue
		}
		r, err := CastValue(ctx, d, c.from, c.to, c.explicit)
		var got string
		if err != nil {
			got = "ERROR " + types.Code(err)
			if strings.Contains(c.want, ":") {
				got += ": " + err.Error()
			}
		} else {
			got, _ = textOut(ctx, r, c.to)
		}
		if got != c.want {
			t.Errorf("%q::%s = %q, want %q", c.in, c.to.String(), got, c.want)
		}
	}
}

func TestCastContexts(t *testing.T) {
	cases := []struct {
		from, to *types.T
		want     CastContext
	}{
		{types.Int4, types.Int8, CastImplicit},
		{types.Int8, types.Int4, CastAssignment},
		{types.Int4, types.Numeric, CastImplicit},
		{types.Numeric, types.Float8, CastImplicit},
		{types.Float8, types.Numeric, CastAssignment},
		{types.Int4, types.Text, CastAssignment},
		{types.Text, types.Int4, CastExplicit},
		{types.Varchar, types.Text, CastImplicit},
		{types.Date, types.Timestamp, CastImplicit},
		{types.Timestamp, types.TimestampTZ, CastImplicit},
		{types.TimestampTZ, types.Timestamp, CastAssignment},
		{types.Int4, types.Bool, CastExplicit},
		{types.Int8, types.Bool, CastNone},
		{types.Unknown, types.Date, CastImplicit},
		{types.Int4Array, types.Int8Array, CastImplicit},
		{types.JSONB, types.Text, CastAssignment},
		{types.Text, types.RegClass, CastImplicit},
		{types.Date, types.Int4, CastNone},
	}
	for _, c := range cases {
		if got := CastContextOf(c.from, c.to); got != c.want {
			t.Errorf("%s -> %s: %d, want %d", c.from.Name(), c.to.Name(), got, c.want)
		}
	}
}

func TestStringFunctions(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"op:||", []string{"unknown:a", "unknown:b"}, "ab"},
		{"op:||", []string{"text:a", "int4:1"}, "a1"},
		{"op:||", []string{"int4:1", "text:a"}, "1a"},
		{"op:~~", []string{"text:hello", "unknown:h%o"}, "t"},
		{"op:~~", []string{"text:hello", "unknown:h_llo"}, "t"},
		{"op:~~", []string{"text:hello", "unknown:H%"}, "f"},
		{"op:~~*", []string{"text:hello", "unknown:H%"}, "t"},
		{"op:!~~", []string{"text:hello", "unknown:%x%"}, "t"},
		{"op:~~", []string{"text:50%", "unknown:50\\%"}, "t"},
		{"op:~~", []string{"text:a", "unknown:a\\"}, "ERROR 22025: LIKE pattern must not end with escape character"},
		{"op:~~", []string{"text:aXbXc", "unknown:%a%b%c"}, "t"},
		{"op:~~", []string{"text:aXbXcd", "unknown:%a%b%c"}, "f"},
		{"op:~~", []string{"text:ab", "unknown:a_%"}, "t"},
		{"op:~~", []string{"text:a", "unknown:a_%"}, "f"},
		{"op:~~", []string{"text:" + strings.Repeat("a", 200), "unknown:" + strings.Repeat("%a", 30) + "%b"}, "f"},
		{"op:~", []string{"text:the cat", "unknown:\\mcat\\M"}, "t"},
		{"op:~", []string{"text:abc123", "unknown:[0-9]+$"}, "t"},
		{"op:~*", []string{"text:ABC", "unknown:^abc"}, "t"},
		{"op:!~", []string{"text:ABC", "unknown:^abc"}, "t"},
		{"length", []string{"text:héllo"}, "5"},
		{"octet_length", []string{"text:héllo"}, "6"},
		{"upper", []string{"text:abc"}, "ABC"},
		{"initcap", []string{"text:hello wORLD-foo"}, "Hello World-Foo"},
		{"substring", []string{"text:hello", "int4:2", "int4:3"}, "ell"},
		{"substring", []string{"text:hello", "int4:0", "int4:2"}, "h"},
		{"substr", []string{"text:hello", "int4:3"}, "llo"},
		{"substring", []string{"text:abc123def", "unknown:[0-9]+"}, "123"},
		{"position", []string{"text:hello", "text:ll"}, "3"},
		{"btrim", []string{"text:  x  "}, "x"},
		{"ltrim", []string{"text:xxaxx", "text:x"}, "axx"},
		{"lpad", []string{"text:5", "int4:3", "text:0"}, "005"},
		{"rpad", []string{"text:abc", "int4:2"}, "ab"},
		{"left", []string{"text:abcde", "int4:-2"}, "abc"},
		{"right", []string{"text:abcde", "int4:2"}, "de"},
		{"repeat", []string{"text:ab", "int4:3"}, "ababab"},
		{"replace", []string{"text:aXbX", "text:X", "text:-"}, "a-b-"},
		{"reverse", []string{"text:abc"}, "cba"},
		{"split_part", []string{"text:a,b,c", "text:,", "int4:2"}, "b"},
		{"split_part", []string{"text:a,b,c", "text:,", "int4:-1"}, "c"},
		{"concat", []string{"text:a", "int4:1", "null:text", "bool:true"}, "a1t"},
		{"concat_ws", []string{"text:-", "text:a", "null:text", "int4:2"}, "a-2"},
		{"format", []string{"text:%s is %I and %L", "text:x", "text:My Col", "text:it's"}, `x is "My Col" and 'it''s'`},
		{"format", []string{"text:%2$s %1$s", "text:a", "text:b"}, "b a"},
		{"md5", []string{"text:abc"}, "900150983cd24fb0d6963f7d28e17f72"},
		{"starts_with", []string{"text:abc", "text:ab"}, "t"},
		{"ascii", []string{"text:A"}, "65"},
		{"chr", []string{"int4:65"}, "A"},
		{"translate", []string{"text:12345", "text:143", "text:ax"}, "a2x5"},
		{"regexp_replace", []string{"text:foobarbaz", "text:b..", "text:X"}, "fooXbaz"},
		{"regexp_replace", []string{"text:foobarbaz", "text:b(.)(.)", "text:<\\2\\1>", "text:g"}, "foo<ra><za>"},
		{"regexp_replace", []string{"text:ABC", "text:b", "text:x", "text:i"}, "AxC"},
		{"regexp_match", []string{"text:foobarbequebaz", "text:(bar)(beque)"}, "{bar,beque}"},
		{"regexp_match", []string{"text:abc", "text:x"}, "NULL"},
		{"regexp_split_to_array", []string{"text:a1b22c", "text:[0-9]+"}, "{a,b,c}"},
		{"string_to_array", []string{"text:a,b,,c", "text:,"}, "{a,b,\"\",c}"},
		{"string_to_array", []string{"text:a,b,x", "text:,", "text:x"}, "{a,b,NULL}"},
		{"array_to_string", []string{"int4[]:{1,NULL,3}", "text:-"}, "1-3"},
		{"array_to_string", []string{"bool[]:{t,f}", "text:,"}, "t,f"},
		{"array_to_string", []string{"int4[]:{1,NULL,3}", "text:-", "text:*"}, "1-*-3"},
		{"quote_ident", []string{"text:abc"}, "abc"},
		// Checked against PostgreSQL 15.
		{"op:||", []string{"unknown:x", "bool:true"}, "xtrue"},
		{"concat", []string{"bool:true", "numeric:1.50"}, "t1.50"},
		{"format", []string{"text:%s|%5s|%-5s|", "bool:true", "text:a", "text:b"}, "t|    a|b    |"},
		{"quote_literal", []string{`text:a\b`}, `E'a\\b'`},
		{"regexp_replace", []string{"text:abc", "text:(b)", `text:[\1\&]`}, "a[bb]c"},
		{"split_part", []string{"text:a,b", "text:,", "int4:5"}, ""},
		{"initcap", []string{"text:hello bar_baz 1st"}, "Hello Bar_Baz 1st"},
		{"pg_size_pretty", []string{"int8:10239"}, "10239 bytes"},
		{"pg_size_pretty", []string{"int8:10240"}, "10 kB"},
		{"pg_size_pretty", []string{"int8:1234567890"}, "1177 MB"},
		{"quote_ident", []string{"text:Abc"}, `"Abc"`},
		{"quote_ident", []string{"text:select"}, `"select"`},
		{"quote_literal", []string{"text:O'Reilly"}, "'O''Reilly'"},
		{"quote_nullable", []string{"null:text"}, "NULL"},
		{"to_hex", []string{"int4:255"}, "ff"},
		{"to_hex", []string{"int4:-1"}, "ffffffff"},
		{"encode", []string{"bytea:\\x616263", "text:base64"}, "YWJj"},
		{"encode", []string{"bytea:\\x616263", "text:hex"}, "616263"},
		{"decode", []string{"text:YWJj", "text:base64"}, "\\x616263"},
		{"convert_from", []string{"bytea:\\x616263", "text:UTF8"}, "abc"},
	})
}

func TestDatetimeFunctions(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"op:+", []string{"date:2024-01-31", "int4:1"}, "2024-02-01"},
		{"op:-", []string{"date:2024-03-01", "date:2024-02-01"}, "29"},
		{"op:+", []string{"date:2024-01-31", "interval:1 month"}, "2024-02-29 00:00:00"},
		{"op:+", []string{"timestamp:2024-01-31 10:00", "interval:1 month 1 day 2 hours"}, "2024-03-01 12:00:00"},
		{"op:-", []string{"timestamp:2024-03-02 12:00", "timestamp:2024-03-01 10:30"}, "1 day 01:30:00"},
		{"op:*", []string{"interval:1 day", "float8:1.5"}, "1 day 12:00:00"},
		{"op:/", []string{"interval:1 month", "float8:2"}, "15 days"},
		{"op:+", []string{"interval:1 hour", "interval:30 minutes"}, "01:30:00"},
		{"op:+", []string{"time:23:30", "interval:1 hour"}, "00:30:00"},
		{"date_trunc", []string{"text:month", "timestamp:2024-03-15 12:34:56"}, "2024-03-01 00:00:00"},
		{"date_trunc", []string{"text:week", "timestamp:2024-03-15 12:34:56"}, "2024-03-11 00:00:00"},
		{"date_trunc", []string{"text:quarter", "timestamp:2024-05-15"}, "2024-04-01 00:00:00"},
		{"date_trunc", []string{"text:hour", "timestamp:2024-03-15 12:34:56.789"}, "2024-03-15 12:00:00"},
		{"date_trunc", []string{"text:decade", "timestamp:2024-03-15"}, "2020-01-01 00:00:00"},
		{"date_trunc", []string{"text:century", "timestamp:2024-03-15"}, "2001-01-01 00:00:00"},
		{"date_trunc", []string{"text:bogus", "timestamp:2024-03-15"}, `ERROR 22023: unit "bogus" not recognized for type timestamp without time zone`},
		{"date_trunc", []string{"text:day", "timestamptz:2024-03-15 01:00:00+00", "text:America/New_York"}, "2024-03-14 04:00:00+00"},
		{"date_trunc", []string{"text:hour", "interval:3 days 04:05:06"}, "3 days 04:00:00"},
		{"extract", []string{"text:year", "timestamp:2024-03-15 12:34:56.5"}, "2024"},
		{"extract", []string{"text:second", "timestamp:2024-03-15 12:34:56.5"}, "56.500000"},
		{"extract", []string{"text:milliseconds", "timestamp:2024-03-15 12:34:56.5"}, "56500.000"},
		{"extract", []string{"text:epoch", "timestamp:1970-01-02 00:00:00"}, "86400.000000"},
		{"extract", []string{"text:dow", "date:2024-03-17"}, "0"},
		{"extract", []string{"text:isodow", "date:2024-03-17"}, "7"},
		{"extract", []string{"text:doy", "date:2024-03-01"}, "61"},
		{"extract", []string{"text:week", "date:2024-01-01"}, "1"},
		{"extract", []string{"text:quarter", "date:2024-08-01"}, "3"},
		{"extract", []string{"text:century", "date:2000-12-31"}, "20"},
		{"extract", []string{"text:epoch", "date:1970-01-02"}, "86400"},
		{"extract", []string{"text:hour", "date:1970-01-02"}, `ERROR 0A000: unit "hour" not supported for type date`},
		{"extract", []string{"text:epoch", "interval:1 day 1 second"}, "86401.000000"},
		{"extract", []string{"text:hour", "interval:1 day 25:00:00"}, "25"},
		{"extract", []string{"text:minute", "time:10:20:30"}, "20"},
		{"date_part", []string{"text:hour", "timestamp:2024-03-15 12:34:56"}, "12"},
		{"date_part", []string{"text:epoch", "timestamptz:2024-01-01 00:00:00+00"}, "1704067200"},
		{"age", []string{"timestamp:2024-03-15", "timestamp:2023-01-20"}, "1 year 1 mon 26 days"},
		{"age", []string{"timestamp:2001-04-10", "timestamp:1957-06-13"}, "43 years 9 mons 27 days"},
		{"make_date", []string{"int4:2024", "int4:2", "int4:29"}, "2024-02-29"},
		{"make_date", []string{"int4:2023", "int4:2", "int4:29"}, "ERROR 22008: date field value out of range: 2023-02-29"},
		{"make_interval", []string{"int4:1", "int4:2"}, "1 year 2 mons"},
		{"make_timestamp", []string{"int4:2024", "int4:1", "int4:2", "int4:3", "int4:4", "float8:5.5"}, "2024-01-02 03:04:05.5"},
		{"to_timestamp", []string{"float8:0"}, "1970-01-01 00:00:00+00"},
		{"to_timestamp", []string{"text:2024-03-15 14:05:06", "text:YYYY-MM-DD HH24:MI:SS"}, "2024-03-15 14:05:06+00"},
		{"to_date", []string{"text:15 Mar 2024", "text:DD Mon YYYY"}, "2024-03-15"},
		{"to_date", []string{"text:20240315", "text:YYYYMMDD"}, "2024-03-15"},
		{"to_char", []string{"timestamp:2024-03-05 14:05:06.789", "text:YYYY-MM-DD HH24:MI:SS.MS"}, "2024-03-05 14:05:06.789"},
		{"to_char", []string{"timestamp:2024-03-05 14:05:06", "text:HH12:MI AM"}, "02:05 PM"},
		{"to_char", []string{"timestamp:2024-03-05 14:05:06", "text:Day, DD Month YYYY"}, "Tuesday  , 05 March     2024"},
		{"to_char", []string{"timestamp:2024-03-05 14:05:06", "text:FMDay, FMDD FMMonth YYYY"}, "Tuesday, 5 March 2024"},
		{"to_char", []string{"timestamp:2024-03-05", "text:Dy Mon DDD D IW WW Q"}, "Tue Mar 065 3 10 10 1"},
		{"to_char", []string{"timestamp:2024-03-05", "text:DDth \"of\" MON"}, "05th of MAR"},
		{"to_char", []string{"timestamptz:2024-03-05 10:00:00+00", "text:YYYY-MM-DD HH24 TZ"}, "2024-03-05 10 UTC"},
		{"to_char", []string{"interval:25 hours 3 minutes", "text:HH24:MI"}, "25:03"},
		{"to_char", []string{"numeric:1234.567", "text:9999.99"}, " 1234.57"},
		{"to_char", []string{"numeric:-1234.567", "text:9,999.99"}, "-1,234.57"},
		{"to_char", []string{"int4:42", "text:00000"}, " 00042"},
		{"to_char", []string{"int4:42", "text:FM99999"}, "42"},
		{"to_char", []string{"int4:12345", "text:999"}, " ###"},
		{"to_char", []string{"numeric:3.5", "text:FM999.90"}, "3.50"},
		{"to_char", []string{"numeric:-5", "text:999PR"}, "<5>"},
		{"to_char", []string{"numeric:5", "text:S999"}, "  +5"},
		{"to_char", []string{"float8:0.5", "text:0.99"}, " 0.50"},
		{"to_number", []string{"text:1,234.50", "text:9G999D99"}, "1234.50"},
		// The first checked against PostgreSQL 15, the others from its
		// documentation.
		{"to_char", []string{"numeric:1234.5", "text:9.99EEEE"}, " 1.23e+03"},
		{"to_char", []string{"int4:485", "text:RN"}, "        CDLXXXV"},
		{"to_char", []string{"numeric:-0.000123", "text:9.9EEEE"}, "-1.2e-04"},
		{"to_char", []string{"int4:1987", "text:RN"}, "     MCMLXXXVII"},
		{"to_char", []string{"int4:4", "text:FMrn"}, "iv"},
		// Checked against PostgreSQL 15.
		{"to_char", []string{"numeric:0.5", "text:9.99"}, "  .50"},
		{"to_char", []string{"numeric:-0.5", "text:9.99"}, " -.50"},
		{"to_char", []string{"int4:12", "text:9G999"}, "    12"},
		{"to_char", []string{"int4:0", "text:999"}, "   0"},
		{"to_char", []string{"numeric:3.0", "text:FM999.99"}, "3."},
		{"to_char", []string{"int4:5", "text:999MI"}, "  5 "},
		{"to_char", []string{"int4:-5", "text:999MI"}, "  5-"},
		{"to_char", []string{"numeric:1234567.891", "text:9,999,999.99"}, " 1,234,567.89"},
		{"to_char", []string{"numeric:-1234567.891", "text:S9,999,999.99"}, "-1,234,567.89"},
		{"to_char", []string{"int4:42", "text:FM0000"}, "0042"},
		{"to_char", []string{"numeric:0.05", "text:FM0.00"}, "0.05"},
		{"to_char", []string{"interval:25 hours 3 minutes", "text:HH:MI"}, "01:03"},
		{"extract", []string{"text:julian", "timestamp:2024-03-15 10:00"}, "2460385.41666666666666666667"},
		{"extract", []string{"text:epoch", "interval:1 year"}, "31557600.000000"},
		{"extract", []string{"text:second", "time:10:20:30.5"}, "30.500000"},
		{"extract", []string{"text:millennium", "date:2001-01-01"}, "3"},
		{"extract", []string{"text:decade", "date:2024-01-01"}, "202"},
		{"date_trunc", []string{"text:millennium", "timestamp:2024-03-17"}, "2001-01-01 00:00:00"},
		{"op:/", []string{"interval:1 month", "float8:3"}, "10 days"},
		{"op:*", []string{"interval:1 day", "float8:0.3"}, "07:12:00"},
		{"to_timestamp", []string{"float8:1.5"}, "1970-01-01 00:00:01.5+00"},
		{"date_bin", []string{"interval:15 minutes", "timestamp:2024-03-15 12:38:00", "timestamp:2000-01-01"}, "2024-03-15 12:30:00"},
		{"justify_hours", []string{"interval:27 hours"}, "1 day 03:00:00"},
		{"justify_days", []string{"interval:35 days"}, "1 mon 5 days"},
		{"justify_interval", []string{"interval:1 mon -1 hour"}, "29 days 23:00:00"},
		{"isfinite", []string{"timestamp:infinity"}, "f"},
		{"timezone", []string{"text:America/New_York", "timestamptz:2024-07-01 12:00:00+00"}, "2024-07-01 08:00:00"},
		{"timezone", []string{"text:UTC", "timestamp:2024-07-01 12:00:00"}, "2024-07-01 12:00:00+00"},
		{"now", nil, "2024-03-15 12:30:45.123456+00"},
		{"current_date", nil, "2024-03-15"},
	})
}

func TestTimestampTZInLocation(t *testing.T) {
	ctx := testCtx()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata")
	}
	ctx.Location = ny
	// One day across the DST change is 23 hours.
	got := evalCall(t, ctx, "op:+", "timestamptz:2024-03-09 12:00:00-05", "interval:1 day")
	if got != "2024-03-10 12:00:00-04" {
		t.Errorf("got %s", got)
	}
	got = evalCall(t, ctx, "date_trunc", "text:day", "timestamptz:2024-03-10 12:00:00-04")
	if got != "2024-03-10 00:00:00-05" {
		t.Errorf("date_trunc got %s", got)
	}
}

func TestJSONB(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"op:->", []string{`jsonb:{"a": {"b": [1, 2]}}`, "unknown:a"}, `{"b": [1, 2]}`},
		{"op:->>", []string{`jsonb:{"a": "x"}`, "unknown:a"}, `x`},
		{"op:->>", []string{`jsonb:{"a": null}`, "unknown:a"}, `NULL`},
		{"op:->", []string{`jsonb:[1, 2, 3]`, "int4:-1"}, `3`},
		{"op:->", []string{`jsonb:[1, 2, 3]`, "int4:-4"}, `NULL`},
		{"op:->", []string{`jsonb:[1, 2, 3]`, "int4:3"}, `NULL`},
		{"op:->", []string{`jsonb:{"a": 1}`, "int4:0"}, `NULL`},
		{"op:->", []string{`jsonb:[{"a": "x"}, [1]]`, "int4:1"}, `[1]`},
		{"op:->>", []string{`jsonb:{"a\"b": "c\nd"}`, `unknown:a"b`}, "c\nd"},
		{"op:->>", []string{`jsonb:{"a": {"b": "}"}, "c": "{"}`, "unknown:c"}, "{"},
		{"op:->", []string{`json:{"a": 1, "a": [2,3]}`, "unknown:a"}, "[2,3]"},
		{"op:->>", []string{`jsonb:"x"`, "unknown:a"}, "NULL"},
		{"op:#>", []string{`jsonb:{"a": {"b": [1, 2]}}`, "unknown:{a,b,1}"}, `2`},
		{"op:#>>", []string{`jsonb:{"a": {"b": ["x"]}}`, "unknown:{a,b,0}"}, `x`},
		{"op:@>", []string{`jsonb:{"a": 1, "b": [1, 2]}`, `jsonb:{"b": [2]}`}, "t"},
		{"op:@>", []string{`jsonb:{"a": 1}`, `jsonb:{"a": 2}`}, "f"},
		{"op:<@", []string{`jsonb:{"a": 1}`, `jsonb:{"a": 1, "b": 2}`}, "t"},
		{"op:?", []string{`jsonb:{"a": 1}`, "unknown:a"}, "t"},
		{"op:=", []string{`jsonb:{"a": [1.0, "x"]}`, `jsonb:{"a": [1, "x"]}`}, "t"},
		{"op:<>", []string{`jsonb:{"a": 1}`, `jsonb:{"a": 2}`}, "t"},
		{"op:=", []string{`jsonb:{"a": 1}`, `jsonb:{"a": 1, "b": 2}`}, "f"},
		{"op:?|", []string{`jsonb:{"a": 1}`, "unknown:{x,a}"}, "t"},
		{"op:?&", []string{`jsonb:{"a": 1}`, "unknown:{x,a}"}, "f"},
		{"op:||", []string{`jsonb:{"a": 1}`, `jsonb:{"b": 2}`}, `{"a": 1, "b": 2}`},
		{"op:||", []string{`jsonb:[1]`, `jsonb:2`}, `[1, 2]`},
		{"op:-", []string{`jsonb:{"a": 1, "b": 2}`, "unknown:a"}, `{"b": 2}`},
		{"op:-", []string{`jsonb:[1, 2, 3]`, "int4:1"}, `[1, 3]`},
		{"op:#-", []string{`jsonb:{"a": {"b": 1, "c": 2}}`, "unknown:{a,b}"}, `{"a": {"c": 2}}`},
		{"jsonb_build_object", []string{"text:a", "int4:1", "text:b", "bool:true"}, `{"a": 1, "b": true}`},
		{"jsonb_build_array", []string{"int4:1", "text:x", "null:int4"}, `[1, "x", null]`},
		{"to_jsonb", []string{"text:a\"b"}, `"a\"b"`},
		{"to_jsonb", []string{"int4[]:{1,2}"}, `[1, 2]`},
		{"to_jsonb", []string{"timestamp:2024-01-02 03:04:05"}, `"2024-01-02T03:04:05"`},
		{"to_jsonb", []string{"float8:1e20"}, `100000000000000000000`},
		{"to_jsonb", []string{"numeric:NaN"}, `"NaN"`},
		{"to_jsonb", []string{"timestamptz:2024-01-01 00:00+05:30"}, `"2023-12-31T18:30:00+00:00"`},
		{"jsonb_typeof", []string{`jsonb:[1]`}, "array"},
		{"jsonb_array_length", []string{`jsonb:[1, 2]`}, "2"},
		{"jsonb_extract_path_text", []string{`jsonb:{"a": {"b": 5}}`, "text:a", "text:b"}, "5"},
		{"jsonb_set", []string{`jsonb:{"a": 1}`, "text[]:{b}", `jsonb:2`}, `{"a": 1, "b": 2}`},
		{"jsonb_strip_nulls", []string{`jsonb:{"a": null, "b": 1}`}, `{"b": 1}`},
		{"jsonb_pretty", []string{`jsonb:{"a": [1]}`}, "{\n    \"a\": [\n        1\n    ]\n}"},
		{"jsonb_object_keys", []string{`jsonb:{"b": 1, "a": 2}`}, "a,b"},
		{"jsonb_each_text", []string{`jsonb:{"a": "x", "b": 2}`}, "a|x,b|2"},
		{"jsonb_array_elements", []string{`jsonb:[1, "a"]`}, `1,"a"`},
		{"jsonb_array_elements_text", []string{`jsonb:[1, "a"]`}, `1,a`},
	})
}

func TestArraysAndSRFs(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"op:||", []string{"int4[]:{1,2}", "int4[]:{3}"}, "{1,2,3}"},
		{"op:||", []string{"int4[]:{1,2}", "int4:3"}, "{1,2,3}"},
		{"op:||", []string{"int4:0", "int4[]:{1,2}"}, "{0,1,2}"},
		{"op:@>", []string{"int4[]:{1,2,3}", "int4[]:{3,1}"}, "t"},
		{"op:<@", []string{"int4[]:{1,4}", "int4[]:{1,2,3}"}, "f"},
		{"op:&&", []string{"int4[]:{1,4}", "int4[]:{4,5}"}, "t"},
		{"array_length", []string{"int4[]:{1,2,3}", "int4:1"}, "3"},
		{"array_length", []string{"int4[]:{}", "int4:1"}, "NULL"},
		{"cardinality", []string{"int4[]:{{1,2},{3,4}}"}, "4"},
		{"array_ndims", []string{"int4[]:{{1,2},{3,4}}"}, "2"},
		{"array_append", []string{"int4[]:{1}", "int4:2"}, "{1,2}"},
		{"array_prepend", []string{"int4:0", "int4[]:{1}"}, "{0,1}"},
		{"array_cat", []string{"text[]:{a}", "text[]:{b,c}"}, "{a,b,c}"},
		{"array_position", []string{"text[]:{a,b,c}", "text:b"}, "2"},
		{"array_remove", []string{"int4[]:{1,2,1}", "int4:1"}, "{2}"},
		{"array_replace", []string{"int4[]:{1,2,1}", "int4:1", "int4:9"}, "{9,2,9}"},
		{"generate_series", []string{"int4:1", "int4:3"}, "1,2,3"},
		{"generate_series", []string{"int4:5", "int4:1", "int4:-2"}, "5,3,1"},
		{"generate_series", []string{"int4:1", "int4:3", "int4:0"}, "ERROR 22023: step size cannot equal zero"},
		{"generate_series", []string{"numeric:0.5", "numeric:1.5", "numeric:0.5"}, "0.5,1.0,1.5"},
		{"generate_series", []string{"timestamp:2024-01-31", "timestamp:2024-04-30", "interval:1 month"}, "2024-01-31 00:00:00,2024-02-29 00:00:00,2024-03-29 00:00:00,2024-04-29 00:00:00"},
		{"unnest", []string{"text[]:{a,NULL}"}, "a,NULL"},
		{"generate_subscripts", []string{"text[]:{a,b}", "int4:1"}, "1,2"},
		{"_pg_expandarray", []string{"int4[]:{5,7}"}, "5|1,7|2"},
		{"pg_options_to_table", []string{"text[]:{fillfactor=70,x}"}, "fillfactor|70,x|NULL"},
		{"regexp_matches", []string{"text:a1b22", "text:[0-9]+", "text:g"}, "{1},{22}"},
		{"string_to_table", []string{"text:a,b", "text:,"}, "a,b"},
		{"like_escape", []string{"text:a#%b", "text:#"}, `a\%b`},
		{"similar_to_escape", []string{"text:a%|b_"}, `^(?:a.*|b.)$`},
	})
	o, err := ResolveFunction("information_schema._pg_expandarray", []*types.T{types.Int2Vector})
	if err != nil || o.SRFColumns[0].Type.Oid != types.OidInt2 || o.SRFColumns[1].Type.Oid != types.OidInt4 {
		t.Errorf("_pg_expandarray(int2vector): %v %v", o, err)
	}
	o, err = ResolveFunction("unnest", []*types.T{types.Int8Array})
	if err != nil || o.Ret.Oid != types.OidInt8 || o.SRFColumns[0].Type.Oid != types.OidInt8 {
		t.Errorf("unnest(bigint[]): %v %v", o, err)
	}
}

func TestSysFunctions(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"pg_typeof", []string{"int4:1"}, "integer"},
		{"pg_typeof", []string{"unknown:x"}, "unknown"},
		{"concat", []string{"unknown:x", "unknown:y"}, "xy"},
		{"jsonb_build_object", []string{"unknown:k", "unknown:v"}, `{"k": "v"}`},
		{"format_type", []string{"oid:1043", "int4:14"}, "character varying(10)"},
		{"format_type", []string{"oid:1700", "null:int4"}, "numeric"},
		{"num_nulls", []string{"int4:1", "null:int4", "null:text"}, "2"},
		{"num_nonnulls", []string{"int4:1", "null:int4"}, "1"},
		{"pg_size_pretty", []string{"int8:1000"}, "1000 bytes"},
		{"pg_size_pretty", []string{"int8:1048576"}, "1024 kB"},
		{"pg_size_pretty", []string{"int8:10485760"}, "10 MB"},
		{"has_table_privilege", []string{"unknown:t", "unknown:select"}, "t"},
		{"current_setting", []string{"text:nosuch"}, `ERROR 42704: unrecognized configuration parameter "nosuch"`},
		{"current_setting", []string{"text:nosuch", "bool:true"}, `NULL`},
		{"nextval", []string{"unknown:123"}, "ERROR 0A000: sequences is not supported"},
	})
	if len(Functions()) < 300 {
		t.Errorf("only %d functions", len(Functions()))
	}
	seen := map[uint32]bool{}
	for _, o := range Functions() {
		if seen[o.Oid] {
			t.Errorf("duplicate oid %d (%s)", o.Oid, o.Name)
		}
		seen[o.Oid] = true
	}
}

func BenchmarkJSONFieldText(b *testing.B) {
	o, err := ResolveOperator("->>", types.JSONB, types.Text)
	if err != nil {
		b.Fatal(err)
	}
	doc := types.DJSON(`{"after": {"id": 42, "name": "widget", "price": 9.99, "tags": ["a", "b"]}, "op": "c", "source": {"db": "shop", "table": "orders", "ts_ms": 1700000000000}, "ts_ms": 1700000000001}`)
	args := []types.Datum{doc, types.DString("op")}
	ctx := testCtx()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := o.Fn(ctx, args); err != nil {
			b.Fatal(err)
		}
	}
}
