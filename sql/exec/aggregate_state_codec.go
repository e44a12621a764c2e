package exec

import (
	"encoding/binary"
	"math"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamdb/streamdb/sql/types"
)

// The accumulator encodings of the decomposable aggregate states
// (aggregate_state.go). Each encodes exactly the fields its add and result
// use, so a restored state continues bit for bit (float sums included).

// appendAcc appends the accumulators of s.
func appendAcc(f *aggFunc, s aggState, b []byte) []byte {
	switch s := s.(type) {
	case *countState:
		return binary.AppendVarint(b, s.n)
	case *sumState:
		return s.acc.appendAcc(b)
	case *avgState:
		return s.acc.appendAcc(b)
	case *boolState:
		return binary.AppendVarint(binary.AppendVarint(b, s.t), s.f)
	case *bitState:
		b = binary.AppendVarint(b, s.n)
		nonzero := 0
		for _, c := range s.bits {
			if c != 0 {
				nonzero++
			}
		}
		b = append(b, byte(nonzero))
		for i, c := range s.bits {
			if c != 0 {
				b = binary.AppendVarint(append(b, byte(i)), c)
			}
		}
		return b
	case *varianceState:
		b = binary.AppendVarint(b, s.n)
		b = appendAccDecimal(b, &s.sum)
		b = appendAccDecimal(b, &s.sumSq)
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(s.fsum))
		return binary.BigEndian.AppendUint64(b, math.Float64bits(s.fsxx))
	case *minMaxState:
		if !f.appendOnly {
			return b // the values are entries of their own
		}
		if !s.valid {
			return append(b, 0)
		}
		return appendAccRow(append(b, 1), types.Row{s.cur})
	case *distinctState:
		return appendAcc(f, s.inner, b)
	}
	panic("exec: accumulators of a non-decomposable aggregate state")
}

// decodeAcc reads the accumulators appendAcc wrote into s; errors set
// r.err.
func decodeAcc(f *aggFunc, s aggState, r *accReader) {
	switch s := s.(type) {
	case *countState:
		s.n = r.varint()
	case *sumState:
		s.acc.decodeAcc(r)
	case *avgState:
		s.acc.decodeAcc(r)
	case *boolState:
		s.t, s.f = r.varint(), r.varint()
	case *bitState:
		s.n = r.varint()
		for range int(r.byte()) {
			i := int(r.byte())
			c := r.varint()
			if i >= len(s.bits) {
				r.err = true
				return
			}
			s.bits[i] = c
		}
	case *varianceState:
		s.n = r.varint()
		r.decimal(&s.sum)
		r.decimal(&s.sumSq)
		s.fsum = r.float()
		s.fsxx = r.float()
	case *minMaxState:
		if !f.appendOnly {
			return
		}
		if r.byte() == 1 {
			row := r.row()
			if len(row) != 1 {
				r.err = true
				return
			}
			s.cur, s.valid = row[0], true
		}
	case *distinctState:
		decodeAcc(f, s.inner, r)
	default:
		r.err = true
	}
}

const (
	numAccDecimal  = 1 << iota // dec follows
	numAccFloat                // f follows
	numAccInterval             // months, days, micros follow
	numAccScales               // the numeric scale counts follow
)

func (a *numAcc) appendAcc(b []byte) []byte {
	var flags byte
	if a.dec != nil {
		flags |= numAccDecimal
	}
	if a.f != 0 || math.Signbit(a.f) {
		flags |= numAccFloat
	}
	if a.months != 0 || a.days != 0 || a.micros != 0 {
		flags |= numAccInterval
	}
	if len(a.scales) > 0 {
		flags |= numAccScales
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, a.n)
	b = binary.AppendVarint(b, a.i)
	if a.dec != nil {
		b = appendAccDecimal(b, a.dec)
	}
	if flags&numAccFloat != 0 {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(a.f))
	}
	if flags&numAccInterval != 0 {
		b = binary.AppendVarint(b, a.months)
		b = binary.AppendVarint(b, a.days)
		b = binary.AppendVarint(b, a.micros)
	}
	if flags&numAccScales != 0 {
		b = binary.AppendUvarint(b, uint64(len(a.scales)))
		for _, c := range a.scales {
			b = binary.AppendVarint(b, c)
		}
	}
	return b
}

func (a *numAcc) decodeAcc(r *accReader) {
	flags := r.byte()
	a.n = r.varint()
	a.i = r.varint()
	if flags&numAccDecimal != 0 {
		a.dec = new(apd.Decimal)
		r.decimal(a.dec)
	}
	if flags&numAccFloat != 0 {
		a.f = r.float()
	}
	if flags&numAccInterval != 0 {
		a.months, a.days, a.micros = r.varint(), r.varint(), r.varint()
	}
	if flags&numAccScales != 0 {
		n := r.uvarint()
		if n > 1000 {
			r.err = true
			return
		}
		a.scales = make([]int64, n)
		for i := range a.scales {
			a.scales[i] = r.varint()
		}
	}
}

// appendAccDecimal appends an exact decimal as its text (length-prefixed).
func appendAccDecimal(b []byte, d *apd.Decimal) []byte {
	start := len(b)
	b = append(b, 0)
	b = d.Append(b, 'E')
	n := len(b) - start - 1
	if n > 127 {
		// Rare: long decimals take a two-part length.
		text := append([]byte(nil), b[start+1:]...)
		return append(binary.AppendUvarint(b[:start], uint64(n)), text...)
	}
	b[start] = byte(n)
	return b
}

func appendAccRow(b []byte, row types.Row) []byte {
	start := len(b)
	b = types.AppendRow(b, row)
	enc := append([]byte(nil), b[start:]...)
	return append(binary.AppendUvarint(b[:start], uint64(len(enc))), enc...)
}

// accReader decodes accumulators; a malformed input sets err and makes
// every later read return zero.
type accReader struct {
	b   []byte
	err bool
}

func (r *accReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *accReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *accReader) byte() byte {
	if len(r.b) < 1 {
		r.err = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *accReader) bytes(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.err, r.b = true, nil
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *accReader) float() float64 {
	b := r.bytes(8)
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b))
}

func (r *accReader) decimal(d *apd.Decimal) {
	text := r.bytes(int(r.uvarint()))
	if r.err {
		return
	}
	if _, _, err := d.SetString(string(text)); err != nil {
		r.err = true
	}
}

func (r *accReader) row() types.Row {
	enc := r.bytes(int(r.uvarint()))
	if r.err {
		return nil
	}
	row, err := types.DecodeRow(enc)
	if err != nil {
		r.err = true
		return nil
	}
	return row
}
