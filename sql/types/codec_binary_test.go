package types

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"
)

func TestBinaryRoundTrip(t *testing.T) {
	for _, c := range textCases {
		d, err := ParseText(c.in, c.t, time.UTC)
		if err != nil || d.IsNull() {
			continue
		}
		b, err := AppendBinary(nil, d, c.t)
		if err != nil {
			t.Errorf("AppendBinary(%s %q): %v", c.t.Name(), c.in, err)
			continue
		}
		d2, err := ParseBinary(b, c.t)
		if err != nil {
			t.Errorf("ParseBinary(%s %q, %x): %v", c.t.Name(), c.in, b, err)
			continue
		}
		want := string(AppendText(nil, d, c.t, time.UTC))
		got := string(AppendText(nil, d2, c.t, time.UTC))
		if got != want || Compare(d, d2) != 0 {
			t.Errorf("%s %q: binary round trip gives %q, want %q", c.t.Name(), c.in, got, want)
		}
	}
}

func TestBinaryVectors(t *testing.T) {
	cases := []struct {
		t   *T
		in  string
		hex string
	}{
		{Bool, "t", "01"},
		{Int2, "-2", "fffe"},
		{Int4, "1", "00000001"},
		{Int8, "256", "0000000000000100"},
		{Oid, "4294967295", "ffffffff"},
		{Float4, "1.5", "3fc00000"},
		{Float8, "-2", "c000000000000000"},
		{Numeric, "0", "0000000000000000"},
		{Numeric, "0.00", "0000000000000002"},
		{Numeric, "1.50", "00020000000000020001" + "1388"},
		{Numeric, "12345.678", "0003000100000003" + "0001" + "0929" + "1a7c"},
		{Numeric, "0.0001", "0001ffff00000004" + "0001"},
		{Numeric, "-10000", "0001000140000000" + "0001"},
		{Numeric, "NaN", "00000000c0000000"},
		{Numeric, "-Infinity", "00000000f0000020"},
		{Text, "héllo", hex.EncodeToString([]byte("héllo"))},
		{Bytea, `\x00ff`, "00ff"},
		{Date, "2000-01-01", "00000000"},
		{Date, "1999-12-31", "ffffffff"},
		{Date, "infinity", "7fffffff"},
		{Time, "00:00:01", "00000000000f4240"},
		{Timestamp, "2000-01-01 00:00:01", "00000000000f4240"},
		{TimestampTZ, "2000-01-01 00:00:00+00", "0000000000000000"},
		{Timestamp, "-infinity", "8000000000000000"},
		{Interval, "1 mon 2 days 00:00:01", "00000000000f4240" + "00000002" + "00000001"},
		{JSONB, `{"a":1}`, "01" + hex.EncodeToString([]byte(`{"a": 1}`))},
		{JSON, `{"a":1}`, hex.EncodeToString([]byte(`{"a":1}`))},
		{Int4Array, "{1,NULL}", "00000001" + "00000001" + "00000017" + "00000002" + "00000001" + "00000004" + "00000001" + "ffffffff"},
		{Int4Array, "{}", "00000000" + "00000000" + "00000017"},
		{TextArray, "{{a},{b}}", "00000002" + "00000000" + "00000019" + "00000002" + "00000001" + "00000001" + "00000001" + "00000001" + "61" + "00000001" + "62"},
	}
	for _, c := range cases {
		d, err := ParseText(c.in, c.t, time.UTC)
		if err != nil {
			t.Fatalf("ParseText(%q): %v", c.in, err)
		}
		b, err := AppendBinary(nil, d, c.t)
		if err != nil {
			t.Errorf("AppendBinary(%s %q): %v", c.t.Name(), c.in, err)
			continue
		}
		if got := hex.EncodeToString(b); got != c.hex {
			t.Errorf("%s %q: got %s, want %s", c.t.Name(), c.in, got, c.hex)
		}
		want, _ := hex.DecodeString(c.hex)
		d2, err := ParseBinary(want, c.t)
		if err != nil {
			t.Errorf("ParseBinary(%s %s): %v", c.t.Name(), c.hex, err)
			continue
		}
		if got, want := string(AppendText(nil, d2, c.t, time.UTC)), string(AppendText(nil, d, c.t, time.UTC)); got != want {
			t.Errorf("%s %s: decoded %q, want %q", c.t.Name(), c.hex, got, want)
		}
	}
}

func TestBinaryNumericTruncatesToDscale(t *testing.T) {
	// 1.2345 sent with dscale 2 reads as 1.23, as numeric_recv truncates.
	b, _ := hex.DecodeString("0002000000000002" + "0001" + "0929")
	d, err := ParseBinary(b, Numeric)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(AppendText(nil, d, Numeric, nil)); got != "1.23" {
		t.Errorf("got %q", got)
	}
}

func TestBinaryErrors(t *testing.T) {
	cases := []struct {
		t   *T
		hex string
	}{
		{Int4, "000001"}, {Int4, "0000000001"}, {Int8, ""}, {Bool, ""}, {Float8, "00"},
		{Numeric, "0001"}, {Numeric, "0001000000000000"}, {Numeric, "0001000000000000ffff"}, {Numeric, "0000000012340000"},
		{Date, "00"}, {Interval, "00000000"}, {JSONB, ""}, {JSONB, "02" + "7b7d"}, {JSONB, "01" + "7b"},
		{Int4Array, "00000001"}, {Int4Array, "00000007000000000000001700000001"}, {Int4Array, "000000010000000000000017" + "7fffffff00000001"},
		{Int4Array, "000000010000000000000017" + "0000000100000001" + "00000004"}, {Int4Array, "000000010000000000000019" + "0000000100000001" + "00000001" + "61"},
		{Text, "ff"}, {Time, "ffffffffffffffff"},
	}
	for _, c := range cases {
		b, _ := hex.DecodeString(c.hex)
		if _, err := ParseBinary(b, c.t); err == nil {
			t.Errorf("ParseBinary(%s, %s): want error", c.t.Name(), c.hex)
		} else if code := Code(err); code == CodeInternalError {
			t.Errorf("ParseBinary(%s, %s): internal error %v", c.t.Name(), c.hex, err)
		}
	}
}

func TestBinaryAllBuiltinsNoPanic(t *testing.T) {
	inputs := [][]byte{nil, {0}, {1}, bytes.Repeat([]byte{0xff}, 16), bytes.Repeat([]byte{0}, 24)}
	for _, typ := range Builtins() {
		for _, in := range inputs {
			d, err := ParseBinary(in, typ)
			if err == nil && !d.IsNull() {
				_, _ = AppendBinary(nil, d, typ)
				_ = AppendText(nil, d, typ, time.UTC)
			}
		}
	}
}
