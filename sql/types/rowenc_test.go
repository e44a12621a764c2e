package types

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// TestRowStringsRoundTrip covers both ways decodeRow builds strings: sliced
// from one shared copy of a small row, copied one by one from a row above
// sharedStringRowMax; and appendRow after a non-empty prefix (the op byte
// of a change-log record, a view row's count).
func TestRowStringsRoundTrip(t *testing.T) {
	big := strings.Repeat("x", sharedStringRowMax)
	for _, row := range []Row{
		{DString("auction"), DInt(7), DString(""), DBytes([]byte{0, 1, 2}), Null, DString("https://www.nexmark.com/a/b/c")},
		{DString(big), DString("tail"), DInt(-1)},
	} {
		prefix := []byte{0xAB, 0xCD}
		enc := AppendRow(append([]byte(nil), prefix...), row)
		if !bytes.Equal(enc[:2], prefix) {
			t.Fatalf("prefix overwritten: %x", enc[:2])
		}
		got, err := DecodeRow(enc[2:])
		if err != nil {
			t.Fatal(err)
		}
		var dec RowDecoder
		fromDecoder, err := dec.Decode(enc[2:])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(AppendRow(nil, fromDecoder), enc[2:]) {
			t.Fatalf("RowDecoder: %v, want %v", fromDecoder, row)
		}
		if len(got) != len(row) {
			t.Fatalf("%d columns decoded, want %d", len(got), len(row))
		}
		for i := range row {
			if got[i].K != row[i].K || got[i].S != row[i].S || got[i].I != row[i].I {
				t.Fatalf("column %d: got %+v, want %+v", i, got[i], row[i])
			}
		}
		// The decoded strings must not alias the input buffer.
		for i := range enc {
			enc[i] = 0
		}
		if got[0].S != row[0].S || fromDecoder[0].S != row[0].S {
			t.Fatalf("decoded string changed with its input buffer: %q, %q", got[0].S, fromDecoder[0].S)
		}
	}
}

// TestRowDecoderKeepsRows decodes enough rows through one reused input
// buffer to fill several datum slabs, and checks that every row decoded
// earlier is unchanged: nothing a row holds is reused for a later one.
func TestRowDecoderKeepsRows(t *testing.T) {
	var dec RowDecoder
	var buf []byte
	var rows []Row
	var want [][]byte
	for i := range 3 * ChunkCapacity {
		dec1, err := ParseDecimal(strconv.Itoa(i) + ".25")
		if err != nil {
			t.Fatal(err)
		}
		row := Row{DInt(int64(i)), DString(strings.Repeat("s", i%97) + strconv.Itoa(i)), DDecimal(dec1), Null, DString("https://www.nexmark.com/x/" + strconv.Itoa(i))}
		buf = AppendRow(buf[:0], row)
		want = append(want, bytes.Clone(buf))
		got, err := dec.Decode(buf)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, got)
	}
	for i := range buf {
		buf[i] = 0xff
	}
	for i, r := range rows {
		if got := AppendRow(nil, r); !bytes.Equal(got, want[i]) {
			t.Fatalf("row %d changed after later decodes: %v", i, r)
		}
		if len(r) != cap(r) {
			t.Fatalf("row %d has spare capacity %d: an append would overwrite the next row", i, cap(r)-len(r))
		}
	}
}

// TestRowDecoderAllocations: decoding a typical row (strings, a decimal,
// integers) through a RowDecoder allocates the row's one string copy and
// its decimal, not the row itself (beyond the occasional new slab).
func TestRowDecoderAllocations(t *testing.T) {
	dec1, _ := ParseDecimal("12345.678")
	enc := AppendRow(nil, Row{DInt(1), DInt(2), DDecimal(dec1), DString("channel-1"), DString("https://www.nexmark.com/abc/def/ghi/item.htm?query=1"), DTimestamp(1), DString("extra")})
	var dec RowDecoder
	const rows = 1000
	allocs := testing.AllocsPerRun(5, func() {
		for range rows {
			if _, err := dec.Decode(enc); err != nil {
				t.Fatal(err)
			}
		}
	})
	plain := testing.AllocsPerRun(5, func() {
		if _, err := DecodeRow(enc); err != nil {
			t.Fatal(err)
		}
	})
	if perRow := allocs / rows; perRow > plain-0.95 {
		t.Fatalf("%.3f allocations per row through a RowDecoder, %.0f through DecodeRow: want one fewer", perRow, plain)
	}
}
