package kafka

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/streamdb/streamdb/sql/types"
)

// Format is the record format of a sink topic.
type Format uint8

const (
	// FormatUpsert: key = JSON object of the primary-key columns, value =
	// the JSON row, or null (a tombstone) for a delete.
	FormatUpsert Format = iota + 1
	// FormatDebezium: Debezium envelopes {"before","after","op"} without
	// the schema part; the key as for upsert.
	FormatDebezium
	// FormatPlain: append-only JSON rows, no key; a retraction is an error.
	FormatPlain
)

// ParseFormat maps the FORMAT word to a Format.
func ParseFormat(format, encode string) (Format, error) {
	if encode != "" && !strings.EqualFold(encode, "json") {
		return 0, types.Errorf(types.CodeFeatureNotSupported, "ENCODE %s is not supported for sinks (only ENCODE JSON)", strings.ToUpper(encode))
	}
	switch strings.ToLower(format) {
	case "upsert", "":
		return FormatUpsert, nil
	case "debezium":
		return FormatDebezium, nil
	case "plain":
		return FormatPlain, nil
	}
	return 0, types.Errorf(types.CodeFeatureNotSupported, "FORMAT %s is not supported for sinks (use UPSERT, DEBEZIUM or PLAIN)", strings.ToUpper(format))
}

// Column is one output column.
type Column struct {
	Name string
	Type *types.T
}

// Encoder turns changes into Kafka records.
type Encoder struct {
	format Format
	cols   []Column
	key    []int
	// pendingBefore is the U- row waiting for its U+.
	pendingBefore types.Row
}

// NewEncoder returns an encoder; key lists the primary-key slots
// (required for upsert and Debezium).
func NewEncoder(format Format, cols []Column, key []int) (*Encoder, error) {
	if format != FormatPlain && len(key) == 0 {
		return nil, types.Errorf(types.CodeInvalidParameterValue, "a sink with FORMAT UPSERT or DEBEZIUM needs primary_key = 'col,...' (or a source with a primary key)")
	}
	return &Encoder{format: format, cols: cols, key: key}, nil
}

// Message is one record to produce.
type Message struct {
	Key   []byte // nil for plain
	Value []byte // nil for a tombstone
}

// Encode appends the records for one change to dst. An update arrives as
// a U- row then a U+ row; a key change emits a delete of the old key.
func (e *Encoder) Encode(op types.Op, row types.Row, dst []Message) ([]Message, error) {
	switch e.format {
	case FormatPlain:
		if op != types.Insert {
			return dst, types.Errorf(types.CodeFeatureNotSupported, "FORMAT PLAIN sink received a retraction (its input is not append-only)")
		}
		return append(dst, Message{Value: e.rowJSON(nil, row)}), nil
	case FormatUpsert:
		switch op {
		case types.Insert:
			return append(dst, Message{Key: e.keyJSON(row), Value: e.rowJSON(nil, row)}), nil
		case types.Delete:
			return append(dst, Message{Key: e.keyJSON(row)}), nil
		case types.UpdateDelete:
			e.pendingBefore = row.Copy() // the caller reuses row
			return dst, nil
		case types.UpdateInsert:
			if e.pendingBefore != nil && !bytes.Equal(e.keyJSON(e.pendingBefore), e.keyJSON(row)) {
				dst = append(dst, Message{Key: e.keyJSON(e.pendingBefore)})
			}
			e.pendingBefore = nil
			return append(dst, Message{Key: e.keyJSON(row), Value: e.rowJSON(nil, row)}), nil
		}
	case FormatDebezium:
		switch op {
		case types.Insert:
			return append(dst, Message{Key: e.keyJSON(row), Value: e.envelope(nil, row, "c")}), nil
		case types.Delete:
			return append(dst, Message{Key: e.keyJSON(row), Value: e.envelope(row, nil, "d")}), nil
		case types.UpdateDelete:
			e.pendingBefore = row.Copy() // the caller reuses row
			return dst, nil
		case types.UpdateInsert:
			before := e.pendingBefore
			e.pendingBefore = nil
			if before != nil && !bytes.Equal(e.keyJSON(before), e.keyJSON(row)) {
				dst = append(dst, Message{Key: e.keyJSON(before), Value: e.envelope(before, nil, "d")})
				return append(dst, Message{Key: e.keyJSON(row), Value: e.envelope(nil, row, "c")}), nil
			}
			return append(dst, Message{Key: e.keyJSON(row), Value: e.envelope(before, row, "u")}), nil
		}
	}
	return dst, types.Errorf(types.CodeInternalError, "sink: unexpected change op %d", op)
}

func (e *Encoder) envelope(before, after types.Row, op string) []byte {
	b := []byte(`{"before":`)
	if before == nil {
		b = append(b, "null"...)
	} else {
		b = e.rowJSON(b, before)
	}
	b = append(b, `,"after":`...)
	if after == nil {
		b = append(b, "null"...)
	} else {
		b = e.rowJSON(b, after)
	}
	b = append(b, `,"op":"`...)
	b = append(b, op...)
	b = append(b, `","source":{"connector":"streamdb"}}`...)
	return b
}

func (e *Encoder) keyJSON(row types.Row) []byte {
	b := []byte{'{'}
	for i, s := range e.key {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, e.cols[s].Name)
		b = append(b, ':')
		b = appendJSONValue(b, row[s], e.cols[s].Type)
	}
	return append(b, '}')
}

func (e *Encoder) rowJSON(b []byte, row types.Row) []byte {
	b = append(b, '{')
	for i, c := range e.cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, c.Name)
		b = append(b, ':')
		b = appendJSONValue(b, row[i], c.Type)
	}
	return append(b, '}')
}

// appendJSONValue writes d as JSON: numbers and booleans natively (NaN and
// infinities as strings), json/jsonb embedded, everything else as the
// Postgres text form in a string.
func appendJSONValue(b []byte, d types.Datum, t *types.T) []byte {
	if d.IsNull() {
		return append(b, "null"...)
	}
	switch d.K {
	case types.KBool:
		return strconv.AppendBool(b, d.Bool())
	case types.KInt:
		return strconv.AppendInt(b, d.Int(), 10)
	case types.KFloat:
		f := d.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return appendJSONString(b, string(types.AppendText(nil, d, t, time.UTC)))
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case types.KDecimal:
		txt := types.AppendText(nil, d, t, time.UTC)
		if json.Valid(txt) {
			return append(b, txt...)
		}
		return appendJSONString(b, string(txt))
	case types.KJSON:
		return append(b, d.Str()...)
	}
	return appendJSONString(b, string(types.AppendText(nil, d, t, time.UTC)))
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// KeyJSON is the record key of row: a JSON object of the key columns.
func (e *Encoder) KeyJSON(row types.Row) []byte { return e.keyJSON(row) }

// RowJSON is row as a JSON object (the upsert value and the Debezium
// before/after image).
func (e *Encoder) RowJSON(row types.Row) []byte { return e.rowJSON(nil, row) }

// Diff returns the record for a key whose row went from before to after
// (JSON objects from RowJSON; nil for absent): a sink fed by snapshots of
// a materialized view rather than by a change log.
func (e *Encoder) Diff(key, before, after []byte) (Message, error) {
	switch e.format {
	case FormatUpsert:
		return Message{Key: key, Value: after}, nil
	case FormatDebezium:
		op := "u"
		switch {
		case before == nil:
			op = "c"
		case after == nil:
			op = "d"
		}
		b := []byte(`{"before":`)
		b = appendRaw(b, before)
		b = append(b, `,"after":`...)
		b = appendRaw(b, after)
		b = append(b, `,"op":"`+op+`","source":{"connector":"streamdb"}}`...)
		return Message{Key: key, Value: b}, nil
	}
	return Message{}, types.Errorf(types.CodeFeatureNotSupported, "FORMAT PLAIN sinks need an append-only input")
}

func appendRaw(b, js []byte) []byte {
	if js == nil {
		return append(b, "null"...)
	}
	return append(b, js...)
}
