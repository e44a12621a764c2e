package types

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/cockroachdb/apd/v3"
)

// The row storage format: uvarint column count, then each datum as its
// Kind byte followed by a kind-specific payload:
//
//	KNull                          nothing
//	KBool                          one byte
//	KInt, KDate, KTime, KTimestamp*  zigzag varint
//	KFloat                         8 bytes little endian
//	KDecimal                       flags byte (form, sign), varint exponent, uvarint length + big-endian coefficient
//	KString, KBytes, KJSON         uvarint length + bytes
//	KInterval                      varint months, varint days, varint micros
//	KArray                         uvarint elem OID, varint elem typmod, uvarint ndims, uvarint dims, uvarint count, datums

// sharedStringRowMax is the largest encoded row whose strings decodeRow
// slices from one shared copy.
const sharedStringRowMax = 4096

// rowFormatMaxDepth bounds array nesting when decoding untrusted bytes.
const rowFormatMaxDepth = 8

func appendRow(buf []byte, r Row) []byte {
	// Grow once: appending datum by datum to a small buffer (a fresh
	// record, a key prefix) would reallocate it several times per row.
	size := binary.MaxVarintLen64
	for i := range r {
		size += 1 + binary.MaxVarintLen64 + len(r[i].S)
	}
	buf = slices.Grow(buf, size)
	buf = binary.AppendUvarint(buf, uint64(len(r)))
	for i := range r {
		buf = appendRowDatum(buf, &r[i])
	}
	return buf
}

func appendRowDatum(buf []byte, d *Datum) []byte {
	buf = append(buf, byte(d.K))
	switch d.K {
	case KBool:
		return append(buf, byte(d.I&1))
	case KInt, KDate, KTime, KTimestamp, KTimestampTZ:
		return binary.AppendVarint(buf, d.I)
	case KFloat:
		return binary.LittleEndian.AppendUint64(buf, uint64(d.I))
	case KDecimal:
		dec := d.Decimal()
		flags := byte(dec.Form)
		if dec.Negative {
			flags |= 0x80
		}
		buf = append(buf, flags)
		buf = binary.AppendVarint(buf, int64(dec.Exponent))
		if dec.Coeff.IsUint64() {
			// Small coefficients (the common case) without allocation.
			var tmp [8]byte
			binary.BigEndian.PutUint64(tmp[:], dec.Coeff.Uint64())
			b := tmp[:]
			for len(b) > 0 && b[0] == 0 {
				b = b[1:]
			}
			buf = binary.AppendUvarint(buf, uint64(len(b)))
			return append(buf, b...)
		}
		b := dec.Coeff.Bytes()
		buf = binary.AppendUvarint(buf, uint64(len(b)))
		return append(buf, b...)
	case KString, KBytes, KJSON:
		buf = binary.AppendUvarint(buf, uint64(len(d.S)))
		return append(buf, d.S...)
	case KInterval:
		iv := d.Interval()
		buf = binary.AppendVarint(buf, int64(iv.Months))
		buf = binary.AppendVarint(buf, int64(iv.Days))
		return binary.AppendVarint(buf, iv.Micros)
	case KArray:
		a := d.Array()
		var oid uint32
		typmod := int32(-1)
		if a.Elem != nil {
			oid, typmod = a.Elem.Oid, a.Elem.Typmod
		}
		buf = binary.AppendUvarint(buf, uint64(oid))
		buf = binary.AppendVarint(buf, int64(typmod))
		buf = binary.AppendUvarint(buf, uint64(len(a.Dims)))
		for _, n := range a.Dims {
			buf = binary.AppendUvarint(buf, uint64(n))
		}
		buf = binary.AppendUvarint(buf, uint64(len(a.Elems)))
		for i := range a.Elems {
			buf = appendRowDatum(buf, &a.Elems[i])
		}
		return buf
	}
	return buf
}

func errCorruptRow() error {
	return Errorf(CodeDataCorrupted, "corrupt row encoding")
}

// rowReader decodes the row format; any malformed input sets ok to false.
type rowReader struct {
	b   []byte
	pos int
	// s, when set, is string(b): strings are sliced from it, not copied.
	s string
}

func (r *rowReader) uvarint() (uint64, bool) {
	v, n := binary.Uvarint(r.b[r.pos:])
	if n <= 0 {
		return 0, false
	}
	r.pos += n
	return v, true
}

func (r *rowReader) varint() (int64, bool) {
	v, n := binary.Varint(r.b[r.pos:])
	if n <= 0 {
		return 0, false
	}
	r.pos += n
	return v, true
}

// bytes reads a uvarint length and that many bytes.
func (r *rowReader) bytes() ([]byte, bool) {
	n, ok := r.uvarint()
	if !ok || n > uint64(len(r.b)-r.pos) {
		return nil, false
	}
	b := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return b, true
}

func decodeRow(b []byte) (Row, error) {
	return decodeRowFrom(b, nil)
}

// decodeRowFrom decodes one row. With a RowDecoder the row's datums are
// carved from the decoder's slab; without one each row allocates its own.
func decodeRowFrom(b []byte, dec *RowDecoder) (Row, error) {
	r := rowReader{b: b}
	n, ok := r.uvarint()
	// Every datum takes at least one byte.
	if !ok || n > uint64(len(b)-r.pos) {
		return nil, errCorruptRow()
	}
	var row Row
	if dec != nil {
		row = dec.row(int(n))
	} else {
		row = make(Row, n)
	}
	// The strings of a small row share one copy of its bytes: one
	// allocation per row instead of one per string column. (A large row
	// copies each string, so a value kept long after the row, such as a
	// grouping key, does not pin the rest.)
	if len(b) <= sharedStringRowMax {
		r.s = string(b)
	}
	for i := range row {
		if row[i], ok = r.datum(0); !ok {
			return nil, errCorruptRow()
		}
	}
	if r.pos != len(b) {
		return nil, errCorruptRow()
	}
	return row, nil
}

// RowDecoder decodes many rows (a change-log scan) with one allocation
// per row fewer than DecodeRow: their datums come from slabs of up to
// ChunkCapacity rows (starting at rowFirstSlabRows and doubling, so a scan
// of a few rows does not pay for a thousand). Fixed-width values need no
// memory of their own; a small row's strings share one copy of its bytes,
// as with DecodeRow.
//
// A decoded row may be kept as long as wanted: a slab is never reused and
// lives as long as any row carved from it, the trade-off chunkBuilder
// makes for operator output. The consumers that keep input rows (join and
// aggregate state) copy the datums into their own rows first. Strings and
// decimals are deliberately not carved from shared arenas: a kept string
// or decimal would pin its whole arena, which join state keeps for a
// small fraction of its input.
//
// The zero value is ready to use; a RowDecoder is not safe for concurrent
// use.
type RowDecoder struct {
	datums []Datum
	// rows sizes the next slab.
	rows int
}

// rowFirstSlabRows is the size of a RowDecoder's first slab, in rows.
const rowFirstSlabRows = 16

// Decode decodes a row encoded by AppendRow. b may be reused by the caller
// once Decode returns.
func (d *RowDecoder) Decode(b []byte) (Row, error) {
	return decodeRowFrom(b, d)
}

func (d *RowDecoder) row(n int) Row {
	if len(d.datums) < n {
		d.rows = min(max(2*d.rows, rowFirstSlabRows), ChunkCapacity)
		d.datums = make([]Datum, max(n*d.rows, n))
	}
	r := d.datums[:n:n]
	d.datums = d.datums[n:]
	return Row(r)
}

func (r *rowReader) datum(depth int) (Datum, bool) {
	if r.pos >= len(r.b) {
		return Null, false
	}
	k := Kind(r.b[r.pos])
	r.pos++
	switch k {
	case KNull:
		return Null, true
	case KBool:
		if r.pos >= len(r.b) || r.b[r.pos] > 1 {
			return Null, false
		}
		r.pos++
		return DBool(r.b[r.pos-1] == 1), true
	case KInt, KDate, KTime, KTimestamp, KTimestampTZ:
		v, ok := r.varint()
		return Datum{K: k, I: v}, ok
	case KFloat:
		if len(r.b)-r.pos < 8 {
			return Null, false
		}
		v := binary.LittleEndian.Uint64(r.b[r.pos:])
		r.pos += 8
		return Datum{K: KFloat, I: int64(v)}, true
	case KDecimal:
		if r.pos >= len(r.b) {
			return Null, false
		}
		flags := r.b[r.pos]
		r.pos++
		form := apd.Form(flags & 0x7F)
		if form > apd.NaN {
			return Null, false
		}
		exp, ok := r.varint()
		if !ok || exp > math.MaxInt32 || exp < math.MinInt32 {
			return Null, false
		}
		coeff, ok := r.bytes()
		if !ok {
			return Null, false
		}
		d := &apd.Decimal{Form: form, Negative: flags&0x80 != 0, Exponent: int32(exp)}
		if len(coeff) <= 8 {
			var v uint64
			for _, c := range coeff {
				v = v<<8 | uint64(c)
			}
			d.Coeff.SetUint64(v)
		} else {
			d.Coeff.SetBytes(coeff)
		}
		return DDecimal(d), true
	case KString, KBytes, KJSON:
		b, ok := r.bytes()
		if !ok {
			return Null, false
		}
		if r.s != "" {
			return Datum{K: k, S: r.s[r.pos-len(b) : r.pos]}, true
		}
		return Datum{K: k, S: string(b)}, true
	case KInterval:
		m, ok1 := r.varint()
		d, ok2 := r.varint()
		us, ok3 := r.varint()
		if !ok1 || !ok2 || !ok3 || m != int64(int32(m)) || d != int64(int32(d)) {
			return Null, false
		}
		return DInterval(IntervalValue{Months: int32(m), Days: int32(d), Micros: us}), true
	case KArray:
		if depth >= rowFormatMaxDepth {
			return Null, false
		}
		return r.array(depth)
	}
	return Null, false
}

func (r *rowReader) array(depth int) (Datum, bool) {
	oid, ok1 := r.uvarint()
	typmod, ok2 := r.varint()
	ndims, ok3 := r.uvarint()
	if !ok1 || !ok2 || !ok3 || oid > math.MaxUint32 || typmod != int64(int32(typmod)) || ndims > maxArrayDims {
		return Null, false
	}
	a := &Array{Elem: elemTypeFor(uint32(oid), int32(typmod))}
	remaining := uint64(len(r.b) - r.pos)
	total := uint64(1)
	if ndims > 0 {
		a.Dims = make([]int, ndims)
	}
	for i := range a.Dims {
		n, ok := r.uvarint()
		if !ok || n > remaining {
			return Null, false
		}
		a.Dims[i] = int(n)
		total *= n
		if total > remaining {
			return Null, false
		}
	}
	count, ok := r.uvarint()
	if !ok || count > uint64(len(r.b)-r.pos) {
		return Null, false
	}
	if (ndims > 0 && total != count) || (ndims == 0 && count != 0) {
		return Null, false
	}
	if count > 0 {
		a.Elems = make([]Datum, count)
	}
	for i := range a.Elems {
		e, ok := r.datum(depth + 1)
		if !ok {
			return Null, false
		}
		a.Elems[i] = e
	}
	return DArray(a), true
}
