package types

import (
	"bytes"
	"testing"
	"time"
)

// fuzzTypes are the types the fuzz targets pick from with their first
// input byte.
var fuzzTypes = []*T{
	Bool, Int2, Int4, Int8, Oid, Float4, Float8, Numeric, Text, Name, Char, Bytea, Date, Time,
	Timestamp, TimestampTZ, Interval, JSONB, JSON, Int4Array, TextArray, NumericArray,
	TimestampArray, IntervalArray, JSONBArray, Int2Vector, Float8Array, DateArray,
}

func fuzzType(i uint8) *T { return fuzzTypes[int(i)%len(fuzzTypes)] }

func FuzzParseText(f *testing.F) {
	for _, c := range textCases {
		for i, typ := range fuzzTypes {
			if typ == c.t {
				f.Add(uint8(i), c.in)
			}
		}
	}
	f.Fuzz(func(t *testing.T, ti uint8, s string) {
		typ := fuzzType(ti)
		d, err := ParseText(s, typ, time.UTC)
		if err != nil || d.IsNull() {
			return
		}
		out := AppendText(nil, d, typ, time.UTC)
		d2, err := ParseText(string(out), typ, time.UTC)
		if err != nil {
			t.Fatalf("%s: output %q of %q does not parse: %v", typ.Name(), out, s, err)
		}
		if out2 := AppendText(nil, d2, typ, time.UTC); !bytes.Equal(out, out2) {
			t.Fatalf("%s: %q prints %q, which prints %q", typ.Name(), s, out, out2)
		}
		b, err := AppendBinary(nil, d, typ)
		if err != nil {
			t.Fatalf("%s: AppendBinary(%q): %v", typ.Name(), s, err)
		}
		d3, err := ParseBinary(b, typ)
		if err != nil {
			t.Fatalf("%s: binary of %q does not parse: %v", typ.Name(), s, err)
		}
		if Compare(d, d3) != 0 {
			t.Fatalf("%s: binary round trip of %q differs", typ.Name(), s)
		}
	})
}

func FuzzParseBinary(f *testing.F) {
	for _, c := range textCases {
		d, err := ParseText(c.in, c.t, time.UTC)
		if err != nil || d.IsNull() {
			continue
		}
		for i, typ := range fuzzTypes {
			if typ == c.t {
				if b, err := AppendBinary(nil, d, typ); err == nil {
					f.Add(uint8(i), b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, ti uint8, b []byte) {
		typ := fuzzType(ti)
		d, err := ParseBinary(b, typ)
		if err != nil {
			if Code(err) == CodeInternalError {
				t.Fatalf("%s: internal error %v", typ.Name(), err)
			}
			return
		}
		if d.IsNull() {
			return
		}
		out, err := AppendBinary(nil, d, typ)
		if err != nil {
			return // e.g. a numeric whose scale overflows on the way out
		}
		d2, err := ParseBinary(out, typ)
		if err != nil {
			t.Fatalf("%s: re-encoded %x does not parse: %v", typ.Name(), out, err)
		}
		if Compare(d, d2) != 0 {
			t.Fatalf("%s: binary round trip differs", typ.Name())
		}
		_ = AppendText(nil, d, typ, time.UTC)
	})
}

func FuzzDecodeRow(f *testing.F) {
	var row Row
	for _, c := range textCases {
		if d, err := ParseText(c.in, c.t, time.UTC); err == nil {
			row = append(row, d)
			f.Add(AppendRow(nil, Row{d}))
		}
	}
	f.Add(AppendRow(nil, row))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRow(b)
		if err != nil {
			if Code(err) != CodeDataCorrupted {
				t.Fatalf("code %s", Code(err))
			}
			return
		}
		enc := AppendRow(nil, r)
		r2, err := DecodeRow(enc)
		if err != nil {
			t.Fatalf("re-encoded row does not decode: %v", err)
		}
		if !bytes.Equal(AppendRow(nil, r2), enc) {
			t.Fatal("row encoding is not a fixpoint")
		}
		// A RowDecoder decodes the same bytes to the same row, and
		// rejects what DecodeRow rejects.
		var dec RowDecoder
		r3, err := dec.Decode(b)
		if err != nil {
			t.Fatalf("RowDecoder rejects what DecodeRow accepts: %v", err)
		}
		if !bytes.Equal(AppendRow(nil, r3), enc) {
			t.Fatal("RowDecoder decodes differently from DecodeRow")
		}
	})
}

func FuzzDecodeKey(f *testing.F) {
	for _, c := range textCases {
		if d, err := ParseText(c.in, c.t, time.UTC); err == nil {
			f.Add(AppendKey(nil, d, false), false)
			f.Add(AppendKey(nil, d, true), true)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, desc bool) {
		d, rest, err := DecodeKey(b, desc)
		if err != nil {
			return
		}
		if len(rest) > len(b) {
			t.Fatal("rest longer than input")
		}
		enc := AppendKey(nil, d, desc)
		d2, rest2, err := DecodeKey(enc, desc)
		if err != nil || len(rest2) != 0 {
			t.Fatalf("re-encoded key does not decode: %v", err)
		}
		if Compare(d, d2) != 0 || !bytes.Equal(AppendKey(nil, d2, desc), enc) {
			t.Fatal("key encoding is not a fixpoint")
		}
	})
}
