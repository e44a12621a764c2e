package types

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// uuidTextCases were checked against PostgreSQL 15 ('...'::uuid).
var uuidTextCases = []struct {
	in, out string // out "" means 22P02
}{
	{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	{"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	{"{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	{"a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	{"{a0eebc999c0b4ef8bb6d6bb9bd380a11}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	{"a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	{"00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000"},
	{"ffffffff-ffff-ffff-ffff-ffffffffffff", "ffffffff-ffff-ffff-ffff-ffffffffffff"},
	{"", ""},
	{"x", ""},
	{"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ""},
	{"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}}", ""},
	{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-", ""},
	{" a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ""},
	{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 ", ""},
	{"a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11", ""},
	{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", ""},
	{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111", ""},
	{"a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11", ""},
	{"g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ""},
	{"a0eebc999c0b4ef8bb6d6bb9bd380a-11", ""},
}

func TestUUIDText(t *testing.T) {
	for _, c := range uuidTextCases {
		d, err := ParseText(c.in, UUID, time.UTC)
		if c.out == "" {
			if err == nil {
				t.Errorf("%q: parsed as %s, want 22P02", c.in, AppendText(nil, d, UUID, nil))
				continue
			}
			if code := Code(err); code != CodeInvalidTextRepresentation {
				t.Errorf("%q: SQLSTATE %s, want 22P02", c.in, code)
			}
			if want := `invalid input syntax for type uuid: "` + c.in + `"`; err.Error() != want {
				t.Errorf("%q: error %q, want %q", c.in, err.Error(), want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := string(AppendText(nil, d, UUID, nil)); got != c.out {
			t.Errorf("%q: prints %q, want %q", c.in, got, c.out)
		}
	}
}

func TestUUIDBinary(t *testing.T) {
	d, err := ParseText("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", UUID, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := AppendBinary(nil, d, UUID)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}
	if !bytes.Equal(b, want) {
		t.Fatalf("binary %x, want %x", b, want)
	}
	back, err := ParseBinary(b, UUID)
	if err != nil || Compare(back, d) != 0 {
		t.Fatalf("binary round trip: %v, %v", back, err)
	}
	for _, n := range []int{0, 15, 17} {
		if _, err := ParseBinary(make([]byte, n), UUID); err == nil {
			t.Errorf("%d bytes: no error", n)
		}
	}
	// A text-typed value sent as uuid (an untyped literal) is parsed first.
	if b2, err := AppendBinary(nil, DString("A0EEBC999C0B4EF8BB6D6BB9BD380A11"), UUID); err != nil || !bytes.Equal(b2, want) {
		t.Fatalf("string sent as uuid: %x, %v", b2, err)
	}
	if _, err := AppendBinary(nil, DBytes([]byte{1, 2}), UUID); err == nil {
		t.Fatal("2-byte value sent as uuid: no error")
	}
}

// TestUUIDOrder checks that uuids order bytewise (Postgres uuid_cmp is
// memcmp), in Compare and in the key encoding, and that arrays of uuid
// print and parse.
func TestUUIDOrder(t *testing.T) {
	ordered := []string{
		"00000000-0000-0000-0000-000000000000",
		"00000000-0000-0000-0000-000000000001",
		"0fffffff-ffff-ffff-ffff-ffffffffffff",
		"7fffffff-ffff-ffff-ffff-ffffffffffff",
		"80000000-0000-0000-0000-000000000000",
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"ffffffff-ffff-ffff-ffff-ffffffffffff",
	}
	var prevKey []byte
	var prev Datum
	for i, s := range ordered {
		d, err := ParseUUID(s)
		if err != nil {
			t.Fatal(err)
		}
		key := AppendKey(nil, d, false)
		if i > 0 {
			if Compare(prev, d) >= 0 {
				t.Errorf("Compare(%s, %s) >= 0", ordered[i-1], s)
			}
			if bytes.Compare(prevKey, key) >= 0 {
				t.Errorf("key of %s >= key of %s", ordered[i-1], s)
			}
		}
		back, rest, err := DecodeKey(key, false)
		if err != nil || len(rest) != 0 || Compare(back, d) != 0 {
			t.Errorf("key round trip of %s: %v", s, err)
		}
		prev, prevKey = d, key
	}
	arr, err := ParseText("{"+strings.Join(ordered[:2], ",")+",NULL}", UUIDArray, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "{" + strings.Join(ordered[:2], ",") + ",NULL}"
	if got := string(AppendText(nil, arr, UUIDArray, nil)); got != want {
		t.Fatalf("array prints %q, want %q", got, want)
	}
	b, err := AppendBinary(nil, arr, UUIDArray)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseBinary(b, UUIDArray)
	if err != nil || Compare(back, arr) != 0 {
		t.Fatalf("array binary round trip: %v", err)
	}
	if ByOid(OidUUID) != UUID || ArrayOf(UUID) != UUIDArray || UUID.Size() != 16 {
		t.Fatal("uuid type table")
	}
}

// FuzzParseUUID: text input never panics; what parses prints in the
// canonical form, which parses back to the same value, and its binary form
// round-trips.
func FuzzParseUUID(f *testing.F) {
	for _, c := range uuidTextCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseText(s, UUID, nil)
		if err != nil {
			if Code(err) != CodeInvalidTextRepresentation {
				t.Fatalf("%q: %v (SQLSTATE %s)", s, err, Code(err))
			}
			return
		}
		out := AppendText(nil, d, UUID, nil)
		if len(out) != 36 || strings.ToLower(string(out)) != string(out) {
			t.Fatalf("%q prints %q", s, out)
		}
		if strings.ReplaceAll(strings.Trim(strings.ToLower(s), "{}"), "-", "") != strings.ReplaceAll(string(out), "-", "") {
			t.Fatalf("%q prints %q: other digits", s, out)
		}
		d2, err := ParseText(string(out), UUID, nil)
		if err != nil || Compare(d, d2) != 0 {
			t.Fatalf("%q prints %q, which does not parse back: %v", s, out, err)
		}
		b, err := AppendBinary(nil, d, UUID)
		if err != nil {
			t.Fatal(err)
		}
		d3, err := ParseBinary(b, UUID)
		if err != nil || Compare(d, d3) != 0 {
			t.Fatalf("binary round trip of %q: %v", s, err)
		}
	})
}

// FuzzParseUUIDBinary: binary input never panics; exactly 16 bytes are a
// uuid that sends back the same bytes; any other length is an error.
func FuzzParseUUIDBinary(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, 16))
	f.Add(bytes.Repeat([]byte{0xff}, 16))
	f.Add(make([]byte, 17))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseBinary(b, UUID)
		if len(b) != 16 {
			if err == nil {
				t.Fatalf("%d bytes parsed", len(b))
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		out, err := AppendBinary(nil, d, UUID)
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("%x sends %x (%v)", b, out, err)
		}
		if _, err := ParseText(string(AppendText(nil, d, UUID, nil)), UUID, nil); err != nil {
			t.Fatal(err)
		}
	})
}
