package types

import (
	"testing"
	"time"
)

func benchRow() Row {
	dec, _ := ParseDecimal("12345.678")
	return Row{DInt(123456789), DString("hello world"), DDecimal(dec), DTimestampTZ(1706708700123456), DFloat(3.25), DBool(true), Null, DDate(19753)}
}

func BenchmarkAppendText(b *testing.B) {
	row := benchRow()
	typs := []*T{Int8, Text, Numeric, TimestampTZ, Float8, Bool, Int4, Date}
	ny, _ := time.LoadLocation("America/New_York")
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for i, d := range row {
			buf = AppendText(buf, d, typs[i], ny)
		}
	}
}

func BenchmarkParseTextTimestampTZ(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseText("2024-01-31 13:45:00.123456+05:30", TimestampTZ, time.UTC); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendKey(b *testing.B) {
	row := benchRow()
	cols := []int{0, 1, 2, 3}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = HashKey(buf[:0], row, cols)
	}
}

func BenchmarkRowRoundTrip(b *testing.B) {
	row := benchRow()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendRow(buf[:0], row)
		if _, err := DecodeRow(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRowDecoder(b *testing.B) {
	row := benchRow()
	buf := AppendRow(nil, row)
	var dec RowDecoder
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dec.Decode(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeRow(b *testing.B) {
	row := benchRow()
	buf := AppendRow(nil, row)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRow(buf); err != nil {
			b.Fatal(err)
		}
	}
}
