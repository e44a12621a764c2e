package state

import (
	"encoding/binary"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/types"
)

// The tests use only int and string datums. Until the real codec of
// sql/types lands, they fall back to this minimal one.

func realCodecWorks() (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	b := types.AppendRow(nil, types.Row{types.DInt(1), types.DString("x")})
	r, err := types.DecodeRow(b)
	return err == nil && len(r) == 2 && r[0].Int() == 1 && r[1].Str() == "x"
}

func testEncodeRow(buf []byte, r types.Row) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(r)))
	for _, d := range r {
		buf = append(buf, byte(d.K))
		switch d.K {
		case types.KInt:
			buf = binary.AppendVarint(buf, d.I)
		case types.KString:
			buf = binary.AppendUvarint(buf, uint64(len(d.S)))
			buf = append(buf, d.S...)
		}
	}
	return buf
}

func testDecodeRow(b []byte) (types.Row, error) {
	n, k := binary.Uvarint(b)
	b = b[k:]
	r := make(types.Row, n)
	for i := range r {
		kind := types.Kind(b[0])
		b = b[1:]
		switch kind {
		case types.KNull:
		case types.KInt:
			v, k := binary.Varint(b)
			b = b[k:]
			r[i] = types.DInt(v)
		case types.KString:
			l, k := binary.Uvarint(b)
			r[i] = types.DString(string(b[k : k+int(l)]))
			b = b[k+int(l):]
		default:
			return nil, errors.Newf("test codec: kind %d", kind)
		}
	}
	return r, nil
}

// openTestTableStore opens a TableStore in dir with the codec the tests can
// use.
func openTestTableStore(t testing.TB, dir string) *TableStore {
	t.Helper()
	ts, err := OpenTableStore(dir, Options{BlockCacheSize: 8 << 20, MemtableSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if !realCodecWorks() {
		ts.encodeRow, ts.decodeRow = testEncodeRow, testDecodeRow
	}
	return ts
}
