package server

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/streamdb/streamdb/sql/types"
)

// copyBinaryStream builds a binary COPY stream of tuples; a nil field is
// NULL.
func copyBinaryStream(flags uint32, ext []byte, tuples [][][]byte, trailer bool) []byte {
	buf := []byte(copyBinarySignature)
	buf = binary.BigEndian.AppendUint32(buf, flags)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(ext)))
	buf = append(buf, ext...)
	for _, tup := range tuples {
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(tup)))
		for _, f := range tup {
			if f == nil {
				buf = binary.BigEndian.AppendUint32(buf, 0xffffffff)
				continue
			}
			buf = binary.BigEndian.AppendUint32(buf, uint32(len(f)))
			buf = append(buf, f...)
		}
	}
	if trailer {
		buf = append(buf, 0xff, 0xff)
	}
	return buf
}

func readAllTuples(t *testing.T, data []byte, ncols int) ([][][]byte, error) {
	t.Helper()
	r := newCopyBinaryReader(bytes.NewReader(data), ncols)
	var out [][][]byte
	for {
		fields, ok, err := r.next()
		if err != nil || !ok {
			return out, err
		}
		tup := make([][]byte, len(fields))
		for i, f := range fields {
			if f != nil {
				tup[i] = bytes.Clone(f)
			}
		}
		out = append(out, tup)
	}
}

func TestCopyBinaryReader(t *testing.T) {
	int4 := func(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }
	tuples := [][][]byte{
		{int4(1), []byte("one")},
		{int4(2), nil},
		{int4(3), []byte{}},
		{int4(4), bytes.Repeat([]byte("x"), 200<<10)},
	}
	for _, ext := range [][]byte{nil, []byte("extension")} {
		for _, trailer := range []bool{true, false} {
			got, err := readAllTuples(t, copyBinaryStream(0, ext, tuples, trailer), 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tuples) {
				t.Fatalf("read %d tuples, want %d", len(got), len(tuples))
			}
			for i := range tuples {
				for k := range tuples[i] {
					if (got[i][k] == nil) != (tuples[i][k] == nil) || !bytes.Equal(got[i][k], tuples[i][k]) {
						t.Errorf("tuple %d field %d: %q, want %q", i, k, got[i][k], tuples[i][k])
					}
				}
			}
		}
	}
	// A field is decoded with the type's binary receive function.
	d, err := parseCopyBinaryField(int4(-7), types.Int4)
	if err != nil || d.Int() != -7 {
		t.Errorf("int4 field: %v %v", d, err)
	}

	bad := map[string][]byte{
		"signature":          append([]byte("PGCOPY\n\xff\r\n\x01"), make([]byte, 8)...),
		"short header":       []byte(copyBinarySignature[:5]),
		"WITH OIDS":          copyBinaryStream(1<<16, nil, nil, true),
		"critical flag":      copyBinaryStream(1<<20, nil, nil, true),
		"field count":        copyBinaryStream(0, nil, [][][]byte{{int4(1)}}, true),
		"truncated field":    copyBinaryStream(0, nil, [][][]byte{{int4(1), []byte("abc")}}, false)[:11+8+2+4+4+4+1],
		"negative length":    append(copyBinaryStream(0, nil, nil, false), 0, 2, 0xff, 0xff, 0xff, 0xfe),
		"truncated tuple":    append(copyBinaryStream(0, nil, nil, false), 0),
		"extension too long": append(copyBinaryStream(0, nil, nil, false)[:15], 0, 0, 1, 0),
	}
	for name, data := range bad {
		if _, err := readAllTuples(t, data, 2); types.Code(err) != codeBadCopyFileFormat {
			t.Errorf("%s: %v, want SQLSTATE %s", name, err, codeBadCopyFileFormat)
		}
	}
	// Unknown non-critical flag bits are ignored.
	if _, err := readAllTuples(t, copyBinaryStream(1<<3, nil, nil, true), 2); err != nil {
		t.Errorf("non-critical flag: %v", err)
	}
}

func TestCopyBinaryTupleRoundTrip(t *testing.T) {
	cols := types.Schema{{Name: "a", Type: types.Int8}, {Name: "b", Type: types.Text}, {Name: "c", Type: types.Float8}}
	rows := []types.Row{
		{types.DInt(42), types.DString("hello"), types.DFloat(1.5)},
		{types.DInt(-1), types.Null, types.DFloat(0)},
	}
	buf := appendCopyBinaryHeader(nil)
	for _, r := range rows {
		var err error
		if buf, err = appendCopyBinaryTuple(buf, r, []int{0, 1, 2}, cols); err != nil {
			t.Fatal(err)
		}
	}
	buf = appendCopyBinaryTrailer(buf)
	got, err := readAllTuples(t, buf, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("%d tuples", len(got))
	}
	for i, r := range rows {
		for k, c := range cols {
			if got[i][k] == nil {
				if !r[k].IsNull() {
					t.Errorf("row %d col %d: NULL, want %v", i, k, r[k])
				}
				continue
			}
			d, err := parseCopyBinaryField(got[i][k], c.Type)
			if err != nil {
				t.Fatal(err)
			}
			if types.Compare(d, r[k]) != 0 {
				t.Errorf("row %d col %d: %v, want %v", i, k, d, r[k])
			}
		}
	}
}

// FuzzCopyBinary feeds arbitrary bytes to the binary COPY decoder and the
// field decoders of a table (int4, text, float8, date, numeric): errors,
// never panics.
func FuzzCopyBinary(f *testing.F) {
	int4 := func(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }
	f.Add(copyBinaryStream(0, nil, [][][]byte{{int4(1), []byte("a"), make([]byte, 8), int4(10), nil}}, true))
	f.Add(copyBinaryStream(0, []byte("ext"), [][][]byte{{nil, nil, nil, nil, []byte{0, 1, 0, 0, 0, 0, 0, 0, 0, 7}}}, false))
	f.Add(copyBinaryStream(1<<16, nil, nil, true))
	f.Add([]byte("PGCOPY"))
	colTypes := []*types.T{types.Int4, types.Text, types.Float8, types.Date, types.Numeric}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newCopyBinaryReader(bytes.NewReader(data), len(colTypes))
		for {
			fields, ok, err := r.next()
			if err != nil || !ok {
				return
			}
			if len(fields) != len(colTypes) {
				t.Fatalf("%d fields", len(fields))
			}
			for k, fld := range fields {
				if fld != nil {
					_, _ = parseCopyBinaryField(fld, colTypes[k])
				}
			}
		}
	})
}
