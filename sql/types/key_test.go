package types

import (
	"bytes"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
)

// randDatum returns a random value of kind k, biased towards edge cases.
func randDatum(rng *rand.Rand, k Kind) Datum {
	pick := func(vals ...int64) int64 { return vals[rng.Intn(len(vals))] }
	switch k {
	case KNull:
		return Null
	case KBool:
		return DBool(rng.Intn(2) == 0)
	case KInt:
		if rng.Intn(3) == 0 {
			return DInt(pick(0, 1, -1, math.MaxInt64, math.MinInt64, math.MaxInt32, math.MinInt32))
		}
		return DInt(rng.Int63n(2000) - 1000)
	case KFloat:
		switch rng.Intn(4) {
		case 0:
			vals := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), 1, -1, 1e-300, -1e300, math.SmallestNonzeroFloat64}
			return DFloat(vals[rng.Intn(len(vals))])
		case 1:
			return DFloat(float64(rng.Intn(20) - 10))
		}
		return DFloat(rng.NormFloat64() * math.Pow(10, float64(rng.Intn(40)-20)))
	case KDecimal:
		switch rng.Intn(6) {
		case 0:
			forms := []*apd.Decimal{{Form: apd.NaN}, {Form: apd.Infinite}, {Form: apd.Infinite, Negative: true}}
			return DDecimal(forms[rng.Intn(len(forms))])
		}
		d := &apd.Decimal{Exponent: int32(rng.Intn(12) - 8), Negative: rng.Intn(2) == 0}
		if rng.Intn(4) == 0 {
			d.Coeff.SetString(strings.Repeat("9", rng.Intn(40)+1), 10)
		} else {
			d.Coeff.SetInt64(rng.Int63n(100000))
		}
		if d.IsZero() {
			d.Negative = false
		}
		return DDecimal(d)
	case KJSON:
		c, err := CanonicalJSON(jsonOrderSamples[rng.Intn(len(jsonOrderSamples))])
		if err != nil {
			panic(err)
		}
		return DJSON(c)
	case KString, KBytes:
		n := rng.Intn(6)
		b := make([]byte, n)
		for i := range b {
			b[i] = "a\x00\xffb z"[rng.Intn(6)]
		}
		return Datum{K: k, S: string(b)}
	case KDate:
		if rng.Intn(8) == 0 {
			return DDate(pick(NegInfinity, PosInfinity))
		}
		return DDate(rng.Int63n(200000) - 100000)
	case KTime:
		return DTime(rng.Int63n(MicrosPerDay + 1))
	case KTimestamp, KTimestampTZ:
		if rng.Intn(8) == 0 {
			return Datum{K: k, I: pick(NegInfinity, PosInfinity)}
		}
		return Datum{K: k, I: rng.Int63n(1<<50) - 1<<49}
	case KInterval:
		return DInterval(IntervalValue{
			Months: int32(rng.Intn(50) - 25),
			Days:   int32(rng.Intn(100) - 50),
			Micros: rng.Int63n(MicrosPerDay*4) - MicrosPerDay*2,
		})
	case KArray:
		n := rng.Intn(4)
		a := &Array{Elem: Int8}
		for i := 0; i < n; i++ {
			if rng.Intn(5) == 0 {
				a.Elems = append(a.Elems, Null)
			} else {
				a.Elems = append(a.Elems, DInt(rng.Int63n(5)))
			}
		}
		if n > 0 {
			a.Dims = []int{n}
		}
		return DArray(a)
	}
	return Null
}

var allKinds = []Kind{KNull, KBool, KInt, KFloat, KDecimal, KString, KBytes, KDate, KTime, KTimestamp, KTimestampTZ, KInterval, KJSON, KArray}

func sign(c int) int {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return 1
	}
	return 0
}

func TestKeyOrderMatchesCompare(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, k := range allKinds {
		vals := make([]Datum, 200)
		for i := range vals {
			if i%20 == 0 {
				vals[i] = Null
			} else {
				vals[i] = randDatum(rng, k)
			}
		}
		sorted := slices.Clone(vals)
		slices.SortStableFunc(sorted, Compare)
		for i := 1; i < len(sorted); i++ {
			ka, kb := AppendKey(nil, sorted[i-1], false), AppendKey(nil, sorted[i], false)
			if bytes.Compare(ka, kb) > 0 && !(k == KInterval && Compare(sorted[i-1], sorted[i]) == 0) {
				t.Fatalf("kind %d: keys of sorted %v, %v out of order", k, sorted[i-1], sorted[i])
			}
		}
		for _, desc := range []bool{false, true} {
			for i := 0; i < len(vals); i++ {
				a := vals[i]
				b := vals[(i*7+3)%len(vals)]
				ka := AppendKey(nil, a, desc)
				kb := AppendKey(nil, b, desc)
				want := sign(Compare(a, b))
				if desc {
					want = -want
				}
				got := sign(bytes.Compare(ka, kb))
				if want != got && !(k == KInterval && want == 0) {
					t.Fatalf("kind %d desc=%v: Compare(%v, %v)=%d but key order %d", k, desc, a, b, want, got)
				}
			}
		}
	}
}

func TestKeyDecode(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, k := range allKinds {
		for i := 0; i < 100; i++ {
			d := randDatum(rng, k)
			for _, desc := range []bool{false, true} {
				key := AppendKey([]byte("prefix"), d, desc)
				key = append(key, "rest"...)
				got, rest, err := DecodeKey(key[len("prefix"):], desc)
				if err != nil {
					t.Fatalf("DecodeKey(%v): %v", d, err)
				}
				if string(rest) != "rest" {
					t.Fatalf("DecodeKey(%v): rest %q", d, rest)
				}
				if got.K != d.K || Compare(got, d) != 0 {
					t.Fatalf("DecodeKey: got %v, want %v", got, d)
				}
				if k == KJSON && !strings.Contains(d.S, ".") && got.S != d.S {
					t.Fatalf("jsonb decoded %q, want %q", got.S, d.S)
				}
				if k == KInterval && got.Interval() != d.Interval() {
					t.Fatalf("interval decoded %v, want %v", got.Interval(), d.Interval())
				}
			}
		}
	}
}

func TestKeyEquality(t *testing.T) {
	// Integer widths share one encoding.
	if !bytes.Equal(AppendKey(nil, DInt(1), false), AppendKey(nil, DInt(1), false)) {
		t.Error("int keys differ")
	}
	d1, _ := ParseText("1.0", Numeric, nil)
	d2, _ := ParseText("1.00", Numeric, nil)
	d3, _ := ParseText("1", Numeric, nil)
	k1, k2, k3 := AppendKey(nil, d1, false), AppendKey(nil, d2, false), AppendKey(nil, d3, false)
	if !bytes.Equal(k1, k2) || !bytes.Equal(k1, k3) {
		t.Errorf("equal numerics give different keys: %x %x %x", k1, k2, k3)
	}
	if !bytes.Equal(AppendKey(nil, DFloat(0), false), AppendKey(nil, DFloat(math.Copysign(0, -1)), false)) {
		t.Error("-0 and 0 keys differ")
	}
	nan1 := DFloat(math.NaN())
	nan2 := Datum{K: KFloat, I: int64(math.Float64bits(math.NaN()) | 1)}
	if !bytes.Equal(AppendKey(nil, nan1, false), AppendKey(nil, nan2, false)) {
		t.Error("NaN keys differ")
	}
	// NULL sorts last ascending and first descending.
	if bytes.Compare(AppendKey(nil, Null, false), AppendKey(nil, DInt(math.MaxInt64), false)) <= 0 {
		t.Error("NULL not last")
	}
	if bytes.Compare(AppendKey(nil, Null, true), AppendKey(nil, DInt(math.MinInt64), true)) >= 0 {
		t.Error("NULL not first in desc")
	}
	row := Row{DInt(1), DString("a"), Null}
	if got := HashKey(nil, row, []int{2, 0}); !bytes.Equal(got, append(AppendKey(nil, Null, false), AppendKey(nil, DInt(1), false)...)) {
		t.Errorf("HashKey = %x", got)
	}
}

func TestKeyDecimalOrder(t *testing.T) {
	in := []string{"-Infinity", "-1e10", "-100", "-99.5", "-1", "-0.5", "-0.05", "0", "0.001", "0.01", "0.1", "0.12", "0.123", "1", "1.5", "9", "10", "100", "1e20", "Infinity", "NaN"}
	var keys [][]byte
	for _, s := range in {
		d, err := ParseText(s, Numeric, nil)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, AppendKey(nil, d, false))
	}
	if !slices.IsSortedFunc(keys, bytes.Compare) {
		t.Error("decimal keys out of order")
	}
	for i := 1; i < len(keys); i++ {
		if bytes.Equal(keys[i-1], keys[i]) {
			t.Errorf("%s and %s share a key", in[i-1], in[i])
		}
	}
}

func TestCompare(t *testing.T) {
	dec := func(s string) Datum { d, _ := ParseText(s, Numeric, nil); return d }
	iv := func(s string) Datum { d, _ := ParseText(s, Interval, nil); return d }
	ts := func(s string) Datum { d, _ := ParseText(s, Timestamp, nil); return d }
	date := func(s string) Datum { d, _ := ParseText(s, Date, nil); return d }
	cases := []struct {
		a, b Datum
		want int
	}{
		{DInt(1), DInt(2), -1},
		{DInt(2), DFloat(1.5), 1},
		{DInt(2), DFloat(2), 0},
		{DInt(math.MaxInt64), DFloat(9.3e18), -1},
		{DInt(1), DFloat(math.NaN()), -1},
		{DFloat(math.NaN()), DFloat(math.Inf(1)), 1},
		{DFloat(math.NaN()), DFloat(math.NaN()), 0},
		{DFloat(0), DFloat(math.Copysign(0, -1)), 0},
		{dec("1.0"), dec("1.00"), 0},
		{dec("1.5"), DInt(1), 1},
		{DInt(2), dec("2.000"), 0},
		{dec("NaN"), dec("Infinity"), 1},
		{dec("2.5"), DFloat(2.5), 0},
		{DFloat(2.4), dec("2.5"), -1},
		{DString("a"), DString("b"), -1},
		{DString("a"), DString("a\x00"), -1},
		{DString("é"), DString("z"), 1},
		{Null, DInt(1), 1},
		{DInt(1), Null, -1},
		{Null, Null, 0},
		{iv("1 mon"), iv("30 days"), 0},
		{iv("1 day"), iv("24 hours"), 0},
		{iv("1 day"), iv("23 hours"), 1},
		{iv("-1 day"), iv("1 second"), -1},
		{date("2024-01-31"), ts("2024-01-31 00:00:00"), 0},
		{date("2024-01-31"), ts("2024-01-31 00:00:01"), -1},
		{date("infinity"), ts("294000-01-01"), 1},
		{DBool(false), DBool(true), -1},
	}
	for _, c := range cases {
		if got := Compare(c.a, c.b); got != c.want {
			t.Errorf("Compare(%v, %v) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := Compare(c.b, c.a); got != -c.want {
			t.Errorf("Compare(%v, %v) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
	arr := func(s string) Datum { d, _ := ParseText(s, Int4Array, nil); return d }
	if Compare(arr("{1,2}"), arr("{1,2,3}")) != -1 || Compare(arr("{1,3}"), arr("{1,2,3}")) != 1 || Compare(arr("{1,NULL}"), arr("{1,5}")) != 1 {
		t.Error("array order")
	}
}

func TestRowRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for i := 0; i < 500; i++ {
		row := make(Row, rng.Intn(6))
		for j := range row {
			row[j] = randDatum(rng, allKinds[rng.Intn(len(allKinds))])
		}
		enc := AppendRow([]byte{}, row)
		got, err := DecodeRow(enc)
		if err != nil {
			t.Fatalf("DecodeRow: %v", err)
		}
		if len(got) != len(row) {
			t.Fatalf("len %d, want %d", len(got), len(row))
		}
		for j := range row {
			assertSameDatum(t, got[j], row[j])
		}
	}
	// Text-parsed values of every test type survive too (typmod'd array
	// elements, decimals with scale, multi-dimensional arrays).
	var row Row
	for _, c := range textCases {
		if d, err := ParseText(c.in, c.t, time.UTC); err == nil {
			row = append(row, d)
		}
	}
	varchar10 := Varchar.WithTypmod(14)
	row = append(row, DArray(&Array{Elem: varchar10, Dims: []int{1}, Elems: []Datum{DString("x")}}))
	got, err := DecodeRow(AppendRow(nil, row))
	if err != nil {
		t.Fatal(err)
	}
	for j := range row {
		assertSameDatum(t, got[j], row[j])
	}
	if got[len(got)-1].Array().Elem.Typmod != 14 {
		t.Error("array element typmod lost")
	}
}

// assertSameDatum checks that two datums are the same value with the same
// representation (decimal scale, interval fields, array shape).
func assertSameDatum(t *testing.T, got, want Datum) {
	t.Helper()
	if got.K != want.K || Compare(got, want) != 0 {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	switch want.K {
	case KFloat, KInt, KTime, KDate, KTimestamp, KTimestampTZ, KBool:
		if got.I != want.I {
			t.Fatalf("got %d, want %d", got.I, want.I)
		}
	case KDecimal:
		g, w := got.Decimal(), want.Decimal()
		if g.Form != w.Form || g.Negative != w.Negative || g.Exponent != w.Exponent || g.Coeff.Cmp(&w.Coeff) != 0 {
			t.Fatalf("decimal got %v, want %v", g, w)
		}
	case KString, KBytes, KJSON:
		if got.S != want.S {
			t.Fatalf("got %q, want %q", got.S, want.S)
		}
	case KInterval:
		if got.Interval() != want.Interval() {
			t.Fatalf("got %v, want %v", got.Interval(), want.Interval())
		}
	case KArray:
		g, w := got.Array(), want.Array()
		if !slices.Equal(g.Dims, w.Dims) || len(g.Elems) != len(w.Elems) || (g.Elem == nil) != (w.Elem == nil) || (g.Elem != nil && g.Elem.Oid != w.Elem.Oid) {
			t.Fatalf("array got %+v, want %+v", g, w)
		}
		for i := range w.Elems {
			assertSameDatum(t, g.Elems[i], w.Elems[i])
		}
	}
}

func TestDecodeRowCorrupt(t *testing.T) {
	row := Row{DInt(5), DString("hello"), DArray(&Array{Elem: Int4, Dims: []int{2}, Elems: []Datum{DInt(1), Null}}), randDatum(rand.New(rand.NewSource(4)), KDecimal)}
	enc := AppendRow(nil, row)
	for i := 0; i < len(enc); i++ {
		if _, err := DecodeRow(enc[:i]); err == nil {
			t.Errorf("truncated at %d: no error", i)
		} else if Code(err) != CodeDataCorrupted {
			t.Errorf("truncated at %d: code %s", i, Code(err))
		}
	}
	for i := 0; i < len(enc); i++ {
		for _, v := range []byte{0, 0x7f, 0xff} {
			c := slices.Clone(enc)
			c[i] = v
			_, _ = DecodeRow(c) // must not panic
		}
	}
}

func TestJSONKeyEquality(t *testing.T) {
	same := [][2]string{{`{"b":1, "a":[1.0]}`, `{"a":[1],"b":1}`}, {`1e2`, `100.00`}, {`{"a":1,"a":2}`, `{"a":2}`}}
	for _, p := range same {
		a, _ := ParseText(p[0], JSONB, nil)
		b, _ := ParseText(p[1], JSONB, nil)
		if Compare(a, b) != 0 || !bytes.Equal(AppendKey(nil, a, false), AppendKey(nil, b, false)) {
			t.Errorf("%s and %s should be equal", p[0], p[1])
		}
	}
	// A json (not jsonb) value as written still keys like its jsonb form.
	raw := DJSON(`{"b": 1,  "a": 2}`)
	canon, _ := ParseText(`{"a":2,"b":1}`, JSONB, nil)
	if !bytes.Equal(AppendKey(nil, raw, false), AppendKey(nil, canon, false)) {
		t.Error("raw json keys differently")
	}
}
