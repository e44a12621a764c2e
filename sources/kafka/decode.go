package kafka

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/types"
)

// Format is the record format of a topic (FORMAT ... ENCODE JSON).
type Format uint8

const (
	// FormatDebezium: Debezium change envelopes (before/after/op), with or
	// without the schema part.
	FormatDebezium Format = iota + 1
	// FormatPlain: each record value is one JSON row; append-only.
	FormatPlain
	// FormatUpsert: the record key holds the primary key, the value the
	// row; a null value deletes the key.
	FormatUpsert
)

// ParseFormat maps the FORMAT word to a Format.
func ParseFormat(format, encode string) (Format, error) {
	if encode != "" && !strings.EqualFold(encode, "json") {
		return 0, types.Errorf(types.CodeFeatureNotSupported, "ENCODE %s is not supported (only ENCODE JSON)", strings.ToUpper(encode))
	}
	switch strings.ToLower(format) {
	case "debezium":
		return FormatDebezium, nil
	case "plain", "":
		return FormatPlain, nil
	case "upsert":
		return FormatUpsert, nil
	}
	return 0, types.Errorf(types.CodeFeatureNotSupported, "FORMAT %s is not supported (use DEBEZIUM, PLAIN or UPSERT)", strings.ToUpper(format))
}

func (f Format) String() string {
	switch f {
	case FormatDebezium:
		return "debezium"
	case FormatUpsert:
		return "upsert"
	}
	return "plain"
}

// Column is one declared column of the table a decoder fills.
type Column struct {
	Name string
	Type *types.T
}

// ChangeKind says what a decoded change does to the table.
type ChangeKind uint8

const (
	// Upsert inserts the row or replaces the row with the same key.
	Upsert ChangeKind = iota + 1
	// Delete removes the row with the key of Row (only the key columns of
	// Row are guaranteed to be set).
	Delete
)

// Change is one decoded change.
type Change struct {
	Kind ChangeKind
	Row  types.Row
}

// DecoderOptions configure a Decoder.
type DecoderOptions struct {
	Format  Format
	Columns []Column
	// Key lists the slots of the primary key (required for Debezium and
	// upsert; plain JSON ignores it).
	Key []int
	// MissingAsNull makes a declared column absent from a record NULL
	// instead of an error (WITH (missing_column_policy = 'null')).
	MissingAsNull bool
}

// Decoder decodes the records of one topic. It is not safe for concurrent
// use (it caches the last Debezium schema it parsed).
type Decoder struct {
	opts  DecoderOptions
	index map[string]int
	// lastSchema is the raw schema part of the last Debezium envelope with
	// one, and semantics what it says about each column: Debezium repeats
	// the same schema in every record, so it is parsed once.
	lastSchema []byte
	semantics  []semantic
	noSemantic []semantic
}

// semantic is what a Debezium schema says about one column.
type semantic struct {
	name  string // the logical type name (io.debezium.time.MicroTimestamp, ...)
	scale int    // Decimal scale
	known bool
}

// NewDecoder returns a decoder for opts.
func NewDecoder(opts DecoderOptions) (*Decoder, error) {
	if (opts.Format == FormatDebezium || opts.Format == FormatUpsert) && len(opts.Key) == 0 {
		return nil, types.Errorf(types.CodeInvalidTableDefinition, "FORMAT %s requires a PRIMARY KEY", strings.ToUpper(opts.Format.String()))
	}
	d := &Decoder{opts: opts, index: make(map[string]int, len(opts.Columns)), noSemantic: make([]semantic, len(opts.Columns))}
	for i, c := range opts.Columns {
		d.index[c.Name] = i
	}
	return d, nil
}

// Decode appends the changes of one record to dst. A tombstone (null value)
// of a Debezium topic yields no change; an error means the record is bad.
func (d *Decoder) Decode(key, value []byte, dst []Change) ([]Change, error) {
	switch d.opts.Format {
	case FormatDebezium:
		return d.decodeDebezium(value, dst)
	case FormatUpsert:
		return d.decodeUpsert(key, value, dst)
	default:
		if isNullJSON(value) {
			return dst, types.Errorf(types.CodeNullValueNotAllowed, "record has no value")
		}
		row, err := d.decodeRow(value, d.noSemantic, true)
		if err != nil {
			return dst, err
		}
		return append(dst, Change{Kind: Upsert, Row: row}), nil
	}
}

func isNullJSON(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "null"
}

// debeziumEnvelope is a Debezium record with or without the schema part.
type debeziumEnvelope struct {
	Schema  json.RawMessage `json:"schema"`
	Payload json.RawMessage `json:"payload"`
	debeziumPayload
}

// debeziumPayload is the part of an envelope the decoder reads.
type debeziumPayload struct {
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
	Op     string          `json:"op"`
}

func (d *Decoder) decodeDebezium(value []byte, dst []Change) ([]Change, error) {
	if isNullJSON(value) {
		return dst, nil // tombstone: follows a delete for log compaction
	}
	// One pass over the record: without the schema part the envelope's
	// fields are at the top; with it they are under "payload".
	var top debeziumEnvelope
	if err := json.Unmarshal(value, &top); err != nil {
		return dst, types.Errorf(types.CodeInvalidJSONText, "invalid Debezium JSON: %v", err)
	}
	sem := d.noSemantic
	pl := top.debeziumPayload
	if top.Payload != nil {
		if isNullJSON(top.Payload) {
			return dst, nil // a tombstone with a schema part
		}
		if !isNullJSON(top.Schema) {
			var err error
			if sem, err = d.schemaSemantics(top.Schema); err != nil {
				return dst, err
			}
		}
		pl = debeziumPayload{}
		if err := json.Unmarshal(top.Payload, &pl); err != nil {
			return dst, types.Errorf(types.CodeInvalidJSONText, "invalid Debezium payload: %v", err)
		}
	}
	switch pl.Op {
	case "c", "r":
		row, err := d.decodeRow(pl.After, sem, true)
		if err != nil {
			return dst, err
		}
		return append(dst, Change{Kind: Upsert, Row: row}), nil
	case "u":
		after, err := d.decodeRow(pl.After, sem, true)
		if err != nil {
			return dst, err
		}
		if !isNullJSON(pl.Before) {
			// A primary-key change arrives as one update: delete the old key.
			before, err := d.decodeRow(pl.Before, sem, false)
			if err != nil {
				return dst, err
			}
			if !d.sameKey(before, after) {
				dst = append(dst, Change{Kind: Delete, Row: before})
			}
		}
		return append(dst, Change{Kind: Upsert, Row: after}), nil
	case "d":
		before, err := d.decodeRow(pl.Before, sem, false)
		if err != nil {
			return dst, err
		}
		return append(dst, Change{Kind: Delete, Row: before}), nil
	case "":
		return dst, types.Errorf(types.CodeInvalidParameterValue, "Debezium record has no \"op\"")
	}
	return dst, types.Errorf(types.CodeFeatureNotSupported, "Debezium op %q is not supported", pl.Op)
}

func (d *Decoder) sameKey(a, b types.Row) bool {
	for _, s := range d.opts.Key {
		if types.Compare(a[s], b[s]) != 0 {
			return false
		}
	}
	return true
}

func (d *Decoder) decodeUpsert(key, value []byte, dst []Change) ([]Change, error) {
	var keyRow types.Row
	if !isNullJSON(key) {
		k := bytes.TrimSpace(key)
		if len(k) > 0 && k[0] != '{' {
			// A scalar key names the single key column.
			if len(d.opts.Key) != 1 {
				return dst, types.Errorf(types.CodeInvalidParameterValue, "record key %q is not a JSON object, but the primary key has %d columns", truncate(key, 64), len(d.opts.Key))
			}
			keyRow = make(types.Row, len(d.opts.Columns))
			s := d.opts.Key[0]
			v, err := convert(k, d.opts.Columns[s], semantic{})
			if err != nil {
				return dst, err
			}
			keyRow[s] = v
		} else {
			var err error
			if keyRow, err = d.decodeKeyObject(k); err != nil {
				return dst, err
			}
		}
	}
	if isNullJSON(value) {
		if keyRow == nil {
			return dst, types.Errorf(types.CodeNullValueNotAllowed, "upsert record has neither key nor value")
		}
		return append(dst, Change{Kind: Delete, Row: keyRow}), nil
	}
	row, err := d.decodeRowWithKey(value, keyRow)
	if err != nil {
		return dst, err
	}
	return append(dst, Change{Kind: Upsert, Row: row}), nil
}

// decodeKeyObject decodes a JSON object holding the key columns.
func (d *Decoder) decodeKeyObject(b []byte) (types.Row, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, types.Errorf(types.CodeInvalidJSONText, "invalid JSON record key: %v", err)
	}
	row := make(types.Row, len(d.opts.Columns))
	for _, s := range d.opts.Key {
		c := d.opts.Columns[s]
		raw, ok := obj[c.Name]
		if !ok || isNullJSON(raw) {
			return nil, types.Errorf(types.CodeNullValueNotAllowed, "record key lacks primary key column %q", c.Name)
		}
		v, err := convert(raw, c, semantic{})
		if err != nil {
			return nil, err
		}
		row[s] = v
	}
	return row, nil
}

// decodeRowWithKey decodes a value row; key columns absent from it come
// from keyRow.
func (d *Decoder) decodeRowWithKey(value []byte, keyRow types.Row) (types.Row, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(value, &obj); err != nil {
		return nil, types.Errorf(types.CodeInvalidJSONText, "invalid JSON row: %v", err)
	}
	if keyRow != nil {
		for _, s := range d.opts.Key {
			if _, ok := obj[d.opts.Columns[s].Name]; !ok {
				obj[d.opts.Columns[s].Name] = json.RawMessage(types.AppendText(nil, keyRow[s], d.opts.Columns[s].Type, time.UTC))
				if keyRow[s].K == types.KString {
					q, _ := json.Marshal(keyRow[s].S)
					obj[d.opts.Columns[s].Name] = q
				}
			}
		}
	}
	return d.rowFromObject(obj, d.noSemantic, true)
}

// decodeRow decodes a JSON object into a row. With full unset only the key
// columns must be present (the before image of a delete).
func (d *Decoder) decodeRow(b json.RawMessage, sem []semantic, full bool) (types.Row, error) {
	if isNullJSON(b) {
		if full {
			return nil, types.Errorf(types.CodeNullValueNotAllowed, "Debezium record lacks \"after\"")
		}
		return nil, types.Errorf(types.CodeNullValueNotAllowed, "Debezium record lacks \"before\" (is REPLICA IDENTITY set?)")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, types.Errorf(types.CodeInvalidJSONText, "invalid JSON row: %v", err)
	}
	return d.rowFromObject(obj, sem, full)
}

func (d *Decoder) rowFromObject(obj map[string]json.RawMessage, sem []semantic, full bool) (types.Row, error) {
	row := make(types.Row, len(d.opts.Columns))
	for i, c := range d.opts.Columns {
		raw, ok := obj[c.Name]
		if !ok {
			if !full && !d.isKey(i) {
				continue
			}
			if d.opts.MissingAsNull && !d.isKey(i) {
				continue
			}
			return nil, types.Errorf(types.CodeUndefinedColumn, "record lacks column %q", c.Name)
		}
		v, err := convert(raw, c, sem[i])
		if err != nil {
			return nil, err
		}
		row[i] = v
	}
	for _, s := range d.opts.Key {
		if row[s].IsNull() {
			return nil, types.Errorf(types.CodeNotNullViolation, "primary key column %q is null", d.opts.Columns[s].Name)
		}
	}
	return row, nil
}

func (d *Decoder) isKey(slot int) bool {
	for _, s := range d.opts.Key {
		if s == slot {
			return true
		}
	}
	return false
}

// debeziumSchema is the part of a Connect schema the decoder reads.
type debeziumSchema struct {
	Fields []struct {
		Field  string `json:"field"`
		Fields []struct {
			Field      string            `json:"field"`
			Name       string            `json:"name"`
			Parameters map[string]string `json:"parameters"`
		} `json:"fields"`
	} `json:"fields"`
}

// schemaSemantics returns the logical type of each column from the schema
// part of an envelope (the "after" struct, else "before").
func (d *Decoder) schemaSemantics(raw []byte) ([]semantic, error) {
	if d.semantics != nil && bytes.Equal(raw, d.lastSchema) {
		return d.semantics, nil
	}
	var s debeziumSchema
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, types.Errorf(types.CodeInvalidJSONText, "invalid Debezium schema: %v", err)
	}
	sem := make([]semantic, len(d.opts.Columns))
	for _, f := range s.Fields {
		if f.Field != "after" && f.Field != "before" {
			continue
		}
		for _, col := range f.Fields {
			i, ok := d.index[col.Field]
			if !ok || sem[i].known {
				continue
			}
			sem[i] = semantic{name: col.Name, known: true}
			if sc, ok := col.Parameters["scale"]; ok {
				n, err := strconv.Atoi(sc)
				if err != nil || n < -1000 || n > 1000 {
					return nil, types.Errorf(types.CodeInvalidParameterValue, "invalid decimal scale %q for column %q", sc, col.Field)
				}
				sem[i].scale = n
			}
		}
	}
	d.lastSchema = append(d.lastSchema[:0], raw...)
	d.semantics = sem
	return sem, nil
}

// convert maps one JSON value onto the column's type, following
// Debezium's encodings: dates as days since the epoch, timestamps as
// epoch milli/micro/nanoseconds (by the schema's logical type, else by
// magnitude), times as micro/milliseconds since midnight, decimals as
// strings, numbers or base64 big-endian unscaled values, bytes as base64,
// JSON columns as JSON text in a string.
func convert(raw json.RawMessage, c Column, sem semantic) (types.Datum, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return types.Datum{}, nil
	}
	t := c.Type
	isString := raw[0] == '"'
	var str string
	if isString {
		if err := json.Unmarshal(raw, &str); err != nil {
			return types.Datum{}, types.Errorf(types.CodeInvalidJSONText, "column %q: invalid JSON string: %v", c.Name, err)
		}
	} else if raw[0] == '{' || raw[0] == '[' {
		if t.Family == types.JSONFamily {
			return parse(c, string(raw))
		}
		if t.Family == types.StringFamily {
			return parse(c, string(raw))
		}
		return types.Datum{}, types.Errorf(types.CodeInvalidTextRepresentation, "column %q: cannot convert JSON %s to %s", c.Name, kindOfJSON(raw), t.Name())
	}
	switch t.Family {
	case types.IntFamily:
		if !isString {
			if raw[0] == 't' || raw[0] == 'f' {
				break
			}
			i, err := strconv.ParseInt(string(raw), 10, 64)
			if err == nil {
				return checkIntRange(c, i)
			}
			// 1.0 and 1e3 are integers too; anything else is an error.
			f, ferr := strconv.ParseFloat(string(raw), 64)
			if ferr == nil && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
				return checkIntRange(c, int64(f))
			}
			return types.Datum{}, types.Errorf(types.CodeInvalidTextRepresentation, "column %q: invalid input syntax for type %s: %q", c.Name, t.Name(), truncate(raw, 64))
		}
		return parse(c, str)
	case types.FloatFamily:
		if !isString && raw[0] != 't' && raw[0] != 'f' {
			f, err := strconv.ParseFloat(string(raw), 64)
			if err != nil {
				return types.Datum{}, types.Errorf(types.CodeNumericValueOutOfRange, "column %q: %q is out of range for type %s", c.Name, truncate(raw, 64), t.Name())
			}
			return types.DFloat(f), nil
		}
		if isString {
			return parse(c, str)
		}
	case types.NumericFamily:
		if !isString {
			return parse(c, string(raw))
		}
		if sem.name == "org.apache.kafka.connect.data.Decimal" {
			return decodeBase64Decimal(c, str, sem.scale)
		}
		d, err := parse(c, str)
		if err == nil || sem.known {
			return d, err
		}
		// Without a schema, a base64 string is Debezium's precise mode:
		// the scale is the column's.
		_, scale := t.NumericPrecisionScale()
		if scale < 0 {
			scale = 0
		}
		if dd, derr := decodeBase64Decimal(c, str, scale); derr == nil {
			return dd, nil
		}
		return d, err
	case types.DateFamily:
		if !isString {
			days, err := strconv.ParseInt(string(raw), 10, 64)
			if err != nil || days < -1e8 || days > 1e8 {
				return types.Datum{}, types.Errorf(types.CodeInvalidDatetimeFormat, "column %q: invalid date %q (expected days since 1970-01-01)", c.Name, truncate(raw, 64))
			}
			return types.DDate(days), nil
		}
		return parse(c, str)
	case types.TimestampFamily, types.TimestampTZFamily:
		if !isString {
			n, err := strconv.ParseInt(string(raw), 10, 64)
			if err != nil {
				return types.Datum{}, types.Errorf(types.CodeInvalidDatetimeFormat, "column %q: invalid timestamp %q", c.Name, truncate(raw, 64))
			}
			micros, err := epochMicros(c, n, sem.name)
			if err != nil {
				return types.Datum{}, err
			}
			if t.Family == types.TimestampFamily {
				return types.DTimestamp(micros), nil
			}
			return types.DTimestampTZ(micros), nil
		}
		return parse(c, str)
	case types.TimeFamily:
		if !isString {
			n, err := strconv.ParseInt(string(raw), 10, 64)
			if err != nil {
				return types.Datum{}, types.Errorf(types.CodeInvalidDatetimeFormat, "column %q: invalid time %q", c.Name, truncate(raw, 64))
			}
			switch sem.name {
			case "io.debezium.time.Time", "org.apache.kafka.connect.data.Time":
				n *= 1000
			case "io.debezium.time.NanoTime":
				n /= 1000
			}
			if n < 0 || n > 24*3600*1e6 {
				return types.Datum{}, types.Errorf(types.CodeDatetimeFieldOverflow, "column %q: time %d is out of range", c.Name, n)
			}
			return types.DTime(n), nil
		}
		return parse(c, str)
	case types.BytesFamily:
		if isString {
			b, err := base64.StdEncoding.DecodeString(str)
			if err != nil {
				return types.Datum{}, types.Errorf(types.CodeInvalidTextRepresentation, "column %q: bytes must be base64: %v", c.Name, err)
			}
			return types.DBytes(b), nil
		}
	case types.JSONFamily:
		if isString && sem.name != "" && sem.name != "io.debezium.data.Json" {
			q, _ := json.Marshal(str)
			return parse(c, string(q))
		}
		if isString && json.Valid([]byte(str)) {
			// Debezium sends json/jsonb columns as JSON text in a string.
			return parse(c, str)
		}
		return parse(c, string(raw))
	case types.BoolFamily:
		if !isString {
			switch string(raw) {
			case "true":
				return types.DBool(true), nil
			case "false":
				return types.DBool(false), nil
			}
		} else {
			return parse(c, str)
		}
	case types.StringFamily:
		if isString {
			return parse(c, str)
		}
		return parse(c, string(raw))
	case types.ArrayFamily:
		return types.Datum{}, types.Errorf(types.CodeFeatureNotSupported, "column %q: array columns are not supported in JSON sources", c.Name)
	default:
		if isString {
			return parse(c, str)
		}
		return parse(c, string(raw))
	}
	return types.Datum{}, types.Errorf(types.CodeInvalidTextRepresentation, "column %q: cannot convert JSON %s to %s", c.Name, kindOfJSON(raw), t.Name())
}

func parse(c Column, s string) (types.Datum, error) {
	d, err := types.ParseText(s, c.Type, time.UTC)
	if err != nil {
		return types.Datum{}, errors.Wrapf(err, "column %q", c.Name)
	}
	return d, nil
}

func checkIntRange(c Column, i int64) (types.Datum, error) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	switch c.Type.Oid {
	case types.OidInt2:
		lo, hi = math.MinInt16, math.MaxInt16
	case types.OidInt4:
		lo, hi = math.MinInt32, math.MaxInt32
	}
	if i < lo || i > hi {
		return types.Datum{}, types.Errorf(types.CodeNumericValueOutOfRange, "column %q: value %d is out of range for type %s", c.Name, i, c.Type.Name())
	}
	return types.DInt(i), nil
}

// epochMicros converts an epoch timestamp to microseconds. The unit comes
// from the Debezium logical type; without a schema it is guessed from the
// magnitude: below 1e14 milliseconds, below 1e17 microseconds, else
// nanoseconds (timestamps between 1970 and 5138 are read correctly).
func epochMicros(c Column, n int64, logical string) (int64, error) {
	unit := ""
	switch logical {
	case "io.debezium.time.Timestamp", "org.apache.kafka.connect.data.Timestamp":
		unit = "ms"
	case "io.debezium.time.MicroTimestamp":
		unit = "us"
	case "io.debezium.time.NanoTimestamp":
		unit = "ns"
	default:
		abs := n
		if abs < 0 {
			abs = -abs
		}
		switch {
		case abs < 1e14:
			unit = "ms"
		case abs < 1e17:
			unit = "us"
		default:
			unit = "ns"
		}
	}
	switch unit {
	case "ms":
		if n > math.MaxInt64/1000 || n < math.MinInt64/1000 {
			return 0, types.Errorf(types.CodeDatetimeFieldOverflow, "column %q: timestamp out of range", c.Name)
		}
		return n * 1000, nil
	case "ns":
		return n / 1000, nil
	}
	return n, nil
}

// decodeBase64Decimal decodes Kafka Connect's Decimal: the base64 of the
// big-endian two's-complement unscaled value.
func decodeBase64Decimal(c Column, s string, scale int) (types.Datum, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 || len(b) > 1024 {
		return types.Datum{}, types.Errorf(types.CodeInvalidTextRepresentation, "column %q: invalid Debezium decimal %q", c.Name, truncate([]byte(s), 64))
	}
	v := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	d := apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(v), int32(-scale))
	// Apply the column's typmod (rounding, precision check) through the
	// text path, which implements it.
	return parse(c, d.Text('f'))
}

func kindOfJSON(raw []byte) string {
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	}
	return "number"
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
