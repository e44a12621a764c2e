package types

import (
	"bytes"
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
		if got[0].S != row[0].S {
			t.Fatalf("decoded string changed with its input buffer: %q", got[0].S)
		}
	}
}
