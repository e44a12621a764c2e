package kafka

import (
	"strings"
	"testing"
	"time"

	"github.com/streamdb/streamdb/sql/types"
)

func testColumns() []Column {
	return []Column{
		{Name: "id", Type: types.Int8},
		{Name: "name", Type: types.Text},
		{Name: "amount", Type: types.ByOid(types.OidNumeric).WithTypmod((10<<16 | 2) + 4)},
		{Name: "day", Type: types.ByOid(types.OidDate)},
		{Name: "at", Type: types.ByOid(types.OidTimestamp)},
		{Name: "atz", Type: types.ByOid(types.OidTimestampTZ)},
		{Name: "ok", Type: types.Bool},
		{Name: "doc", Type: types.ByOid(types.OidJSONB)},
	}
}

func render(t *testing.T, cols []Column, ch Change) string {
	t.Helper()
	var b strings.Builder
	if ch.Kind == Delete {
		b.WriteString("- ")
	} else {
		b.WriteString("+ ")
	}
	for i, d := range ch.Row {
		if i > 0 {
			b.WriteByte(' ')
		}
		if d.IsNull() {
			b.WriteString("NULL")
			continue
		}
		b.Write(types.AppendText(nil, d, cols[i].Type, time.UTC))
	}
	return b.String()
}

func decodeAll(t *testing.T, d *Decoder, cols []Column, key, value string) ([]string, error) {
	t.Helper()
	var k, v []byte
	if key != "" {
		k = []byte(key)
	}
	if value != "" {
		v = []byte(value)
	}
	chs, err := d.Decode(k, v, nil)
	var out []string
	for _, c := range chs {
		out = append(out, render(t, cols, c))
	}
	return out, err
}

func TestDebezium(t *testing.T) {
	cols := testColumns()
	d, err := NewDecoder(DecoderOptions{Format: FormatDebezium, Columns: cols, Key: []int{0}, MissingAsNull: true})
	if err != nil {
		t.Fatal(err)
	}
	schema := `{"type":"struct","fields":[{"type":"struct","field":"before","fields":[]},{"type":"struct","field":"after","fields":[
		{"type":"int64","field":"id"},
		{"type":"bytes","field":"amount","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}},
		{"type":"int64","field":"at","name":"io.debezium.time.Timestamp"},
		{"type":"string","field":"atz","name":"io.debezium.time.ZonedTimestamp"}]}]}`
	cases := []struct{ value, want, err string }{
		{`{"before":null,"after":{"id":1,"name":"a","amount":"12.5","day":19000,"at":1700000000123456,"atz":"2023-11-14T22:13:20Z","ok":true,"doc":"{\"b\":1,\"a\":[1]}"},"op":"c"}`,
			`+ 1 a 12.5 2022-01-08 2023-11-14 22:13:20.123456 2023-11-14 22:13:20+00 t {"a": [1], "b": 1}`, ""},
		{`{"schema":` + schema + `,"payload":{"before":null,"after":{"id":2,"amount":"BNI=","at":1700000000123},"op":"r"}}`,
			`+ 2 NULL 12.34 NULL 2023-11-14 22:13:20.123 NULL NULL NULL`, ""},
		{`{"schema":` + schema + `,"payload":{"before":null,"after":{"id":3,"amount":"/w==","at":1},"op":"c"}}`,
			`+ 3 NULL -0.01 NULL 1970-01-01 00:00:00.001 NULL NULL NULL`, ""},
		{`{"before":{"id":1},"after":{"id":1,"name":"b"},"op":"u"}`, `+ 1 b NULL NULL NULL NULL NULL NULL`, ""},
		{`{"before":{"id":1},"after":{"id":7,"name":"b"},"op":"u"}`, "- 1 NULL NULL NULL NULL NULL NULL NULL\n+ 7 b NULL NULL NULL NULL NULL NULL", ""},
		{`{"before":{"id":1,"name":"x"},"after":null,"op":"d"}`, `- 1 x NULL NULL NULL NULL NULL NULL`, ""},
		{``, ``, ""},
		{`null`, ``, ""},
		{`{"schema":{},"payload":null}`, ``, ""},
		{`{"before":null,"after":{"name":"x"},"op":"c"}`, ``, `lacks column "id"`},
		{`{"before":null,"after":{"id":"x"},"op":"c"}`, ``, `invalid input syntax`},
		{`{"after":{"id":1},"op":"t"}`, ``, `op "t" is not supported`},
		{`{"after":{"id":1}`, ``, `invalid Debezium JSON`},
		{`{"before":null,"after":{"id":1.5},"op":"c"}`, ``, `invalid input syntax for type bigint`},
	}
	for _, c := range cases {
		got, err := decodeAll(t, d, cols, "", c.value)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.value, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.value, err)
			continue
		}
		if s := strings.Join(got, "\n"); s != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.value, s, c.want)
		}
	}
}

func TestMissingColumnPolicy(t *testing.T) {
	cols := testColumns()[:2]
	d, _ := NewDecoder(DecoderOptions{Format: FormatPlain, Columns: cols})
	if _, err := decodeAll(t, d, cols, "", `{"id":1}`); err == nil || !strings.Contains(err.Error(), `lacks column "name"`) {
		t.Fatalf("got %v", err)
	}
	d, _ = NewDecoder(DecoderOptions{Format: FormatPlain, Columns: cols, MissingAsNull: true})
	got, err := decodeAll(t, d, cols, "", `{"id":1,"extra":2}`)
	if err != nil || got[0] != "+ 1 NULL" {
		t.Fatalf("got %v %v", got, err)
	}
}

func TestUpsert(t *testing.T) {
	cols := testColumns()[:2]
	d, _ := NewDecoder(DecoderOptions{Format: FormatUpsert, Columns: cols, Key: []int{0}})
	for _, c := range []struct{ key, value, want string }{
		{`{"id":5}`, `{"name":"x"}`, "+ 5 x"},
		{`5`, `{"id":5,"name":"y"}`, "+ 5 y"},
		{`{"id":5}`, ``, "- 5 NULL"},
		{`6`, `null`, "- 6 NULL"},
	} {
		got, err := decodeAll(t, d, cols, c.key, c.value)
		if err != nil || strings.Join(got, "\n") != c.want {
			t.Errorf("%s/%s: %v %v", c.key, c.value, got, err)
		}
	}
	if _, err := decodeAll(t, d, cols, "", ""); err == nil {
		t.Error("no key and no value must fail")
	}
}

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig(map[string]string{"topic": "t", "properties.bootstrap.server": "a:1,b:2", "scan.startup.mode": "latest",
		"properties.security.protocol": "SASL_SSL", "properties.sasl.mechanism": "SCRAM-SHA-512", "properties.sasl.username": "u", "properties.sasl.password": "p", "on_error": "skip"})
	if err != nil || len(c.Conn.Brokers) != 2 || !c.Conn.TLS || !c.SkipBadRecords {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := c.Conn.Options(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []map[string]string{
		{"topic": "t"},
		{"properties.bootstrap.server": "a:1"},
		{"topic": "t", "properties.bootstrap.server": "a:1", "scan.startup.mode": "soon"},
		{"topic": "t", "properties.bootstrap.server": "a:1", "properties.sasl.mechanism": "GSSAPI", "properties.sasl.username": "u"},
		{"topic": "t", "properties.bootstrap.server": "a:1", "on_error": "ignore"},
	} {
		if _, err := ParseConfig(bad); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func FuzzDebezium(f *testing.F) {
	f.Add([]byte(`{"before":null,"after":{"id":1,"name":"a","amount":"12.5","day":19000,"at":1700000000123456},"op":"c"}`))
	f.Add([]byte(`{"schema":{"fields":[{"field":"after","fields":[{"field":"amount","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}]}]},"payload":{"after":{"id":2,"amount":"BNI="},"op":"r"}}`))
	f.Add([]byte(`{"before":{"id":1},"after":null,"op":"d"}`))
	cols := testColumns()
	f.Fuzz(func(t *testing.T, value []byte) {
		d, _ := NewDecoder(DecoderOptions{Format: FormatDebezium, Columns: cols, Key: []int{0}, MissingAsNull: true})
		chs, err := d.Decode(nil, value, nil)
		if err == nil {
			for _, c := range chs {
				if len(c.Row) != len(cols) || c.Row[0].IsNull() {
					t.Fatalf("bad change %+v", c)
				}
			}
		}
	})
}

func FuzzPlainJSON(f *testing.F) {
	f.Add([]byte(`{"id":1,"name":"a","ok":false,"doc":{"x":[1,2]}}`), []byte(`{"id":1}`))
	f.Add([]byte(`{"id":"9223372036854775807","amount":1e3}`), []byte(`1`))
	cols := testColumns()
	f.Fuzz(func(t *testing.T, value, key []byte) {
		d, _ := NewDecoder(DecoderOptions{Format: FormatPlain, Columns: cols, MissingAsNull: true})
		_, _ = d.Decode(key, value, nil)
		u, _ := NewDecoder(DecoderOptions{Format: FormatUpsert, Columns: cols, Key: []int{0}, MissingAsNull: true})
		_, _ = u.Decode(key, value, nil)
	})
}
