package pgwire

import (
	"encoding/binary"
	"io"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamdb/streamdb/sql/types"
)

// maxRetainedScratch bounds the scratch buffer kept between messages, so one
// huge row does not pin its memory for the life of the connection.
const maxRetainedScratch = 1 << 20

// send encodes msg and appends it to the write buffer.
func (c *conn) send(msg pgproto3.BackendMessage) {
	if c.writeErr != nil {
		return
	}
	buf, err := msg.Encode(c.scratch[:0])
	if err != nil {
		// Only messages over 1 GiB fail to encode.
		c.writeErr = err
		return
	}
	c.write(buf)
	c.keepScratch(buf)
}

func (c *conn) keepScratch(buf []byte) {
	if cap(buf) > maxRetainedScratch {
		c.scratch = nil
	} else {
		c.scratch = buf[:0]
	}
}

// write appends an encoded message to the write buffer.
func (c *conn) write(b []byte) {
	if c.writeErr != nil {
		return
	}
	if _, err := c.wr.Write(b); err != nil {
		c.writeErr = err
	}
}

// flush sends the buffered messages.
func (c *conn) flush() error {
	if c.writeErr != nil {
		return c.writeErr
	}
	if err := c.wr.Flush(); err != nil {
		c.writeErr = err
	}
	return c.writeErr
}

// readyForQuery ends a request cycle and flushes.
func (c *conn) readyForQuery() {
	status := byte('I')
	if c.session != nil {
		status = c.session.TxStatus()
	}
	c.notificationsBeforeReady() // notify.go
	c.send(&pgproto3.ReadyForQuery{TxStatus: status})
	_ = c.flush()
}

// parameterStatus sends a ParameterStatus and tracks TimeZone, which the
// value codecs need.
func (c *conn) parameterStatus(name, value string) {
	if name == "TimeZone" {
		c.setTimeZone(value)
	}
	c.send(&pgproto3.ParameterStatus{Name: name, Value: value})
}

func (c *conn) setTimeZone(name string) {
	// The same rules the server applied when it accepted the setting
	// (IANA names, numeric and POSIX offsets), so output matches them.
	loc, err := types.LoadZone(name)
	if err != nil {
		// A zone the server accepted but this cannot load: keep the
		// previous location rather than fail the statement.
		c.log.Warn("pgwire: unknown TimeZone; keeping the previous one", "timezone", name, "err", err)
		return
	}
	c.loc = loc
}

// rowDescription sends the RowDescription of cols with the given format per
// column (nil: all text).
func (c *conn) rowDescription(cols types.Schema, formats []int16) {
	fields := c.fields[:0]
	for i, col := range cols {
		var format int16
		if formats != nil {
			format = formats[i]
		}
		t := col.Type
		if t == nil {
			t = types.Unknown
		}
		fields = append(fields, pgproto3.FieldDescription{
			Name:                 []byte(col.Name),
			TableOID:             col.TableOID,
			TableAttributeNumber: uint16(col.AttrNum),
			DataTypeOID:          t.Oid,
			DataTypeSize:         t.Size(),
			TypeModifier:         t.Typmod,
			Format:               format,
		})
	}
	c.fields = fields
	c.send(&pgproto3.RowDescription{Fields: fields})
}

// appendDataRow appends the DataRow message of row to buf, each value in
// its column's type and format (nil formats: all text).
func (c *conn) appendDataRow(buf []byte, row types.Row, cols types.Schema, formats []int16) ([]byte, error) {
	if len(row) != len(cols) {
		return buf, types.Errorf(types.CodeInternalError, "result row has %d columns but the result was described with %d", len(row), len(cols))
	}
	start := len(buf)
	buf = append(buf, 'D', 0, 0, 0, 0)
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(row)))
	for i := range row {
		d := &row[i]
		if d.IsNull() {
			buf = binary.BigEndian.AppendUint32(buf, 0xffffffff)
			continue
		}
		lenAt := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		t := cols[i].Type
		if t == nil {
			t = types.Text
		}
		if formats != nil && formats[i] == 1 {
			var err error
			if buf, err = types.AppendBinary(buf, *d, t); err != nil {
				return buf[:start], err
			}
		} else {
			buf = types.AppendText(buf, *d, t, c.loc)
		}
		binary.BigEndian.PutUint32(buf[lenAt:], uint32(len(buf)-lenAt-4))
	}
	binary.BigEndian.PutUint32(buf[start+1:], uint32(len(buf)-start-1))
	return buf, nil
}

// resultWriter is the ResultWriter handed to Session.SimpleQuery and
// Statement.Execute. One is reused for every statement of a connection.
type resultWriter struct {
	c *conn
	// extended is set for Statement.Execute: the columns come from the
	// portal and Columns is ignored.
	extended bool
	cols     types.Schema
	formats  []int16
	// portal, when set, receives the rows instead of the wire (Execute with
	// a row limit).
	portal    *portal
	inCopyOut bool
}

var _ ResultWriter = (*resultWriter)(nil)

func (w *resultWriter) resetSimple() {
	*w = resultWriter{c: w.c}
}

func (w *resultWriter) resetExtended(cols types.Schema, formats []int16, buffer *portal) {
	*w = resultWriter{c: w.c, extended: true, cols: cols, formats: formats, portal: buffer}
}

// Columns is part of the ResultWriter interface.
func (w *resultWriter) Columns(cols types.Schema) error {
	if w.extended {
		return nil
	}
	w.cols = cols
	w.c.rowDescription(cols, nil)
	return w.c.writeErr
}

// Row is part of the ResultWriter interface.
func (w *resultWriter) Row(r types.Row) error {
	c := w.c
	if w.portal != nil {
		var err error
		w.portal.rows, err = c.appendDataRow(w.portal.rows, r, w.cols, w.formats)
		if err != nil {
			return err
		}
		w.portal.rowEnds = append(w.portal.rowEnds, len(w.portal.rows))
		return nil
	}
	if c.writeErr != nil {
		return c.writeErr
	}
	buf, err := c.appendDataRow(c.scratch[:0], r, w.cols, w.formats)
	if err != nil {
		return err
	}
	c.write(buf)
	c.keepScratch(buf)
	return c.writeErr
}

// Complete is part of the ResultWriter interface.
func (w *resultWriter) Complete(tag string) error {
	if w.inCopyOut {
		w.c.send(&pgproto3.CopyDone{})
		w.inCopyOut = false
	}
	if w.portal != nil {
		w.portal.tag = tag
		return nil
	}
	w.c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	if !w.extended {
		w.cols = nil
	}
	return w.c.writeErr
}

// EmptyQuery is part of the ResultWriter interface.
func (w *resultWriter) EmptyQuery() error {
	w.c.send(&pgproto3.EmptyQueryResponse{})
	return w.c.writeErr
}

// Notice is part of the ResultWriter interface.
func (w *resultWriter) Notice(severity, code, message string) error {
	w.c.send(&pgproto3.NoticeResponse{Severity: severity, SeverityUnlocalized: severity, Code: code, Message: message})
	return w.c.writeErr
}

// ParameterStatus is part of the ResultWriter interface.
func (w *resultWriter) ParameterStatus(name, value string) error {
	w.c.parameterStatus(name, value)
	return w.c.writeErr
}

// CopyIn is part of the ResultWriter interface.
func (w *resultWriter) CopyIn(format int16, ncols int) (io.Reader, error) {
	if w.portal != nil {
		return nil, types.Unsupported("COPY FROM STDIN in a portal with a row limit")
	}
	return w.c.startCopyIn(format, ncols)
}

// CopyOut is part of the ResultWriter interface.
func (w *resultWriter) CopyOut(format int16, ncols int) (io.Writer, error) {
	if w.portal != nil {
		return nil, types.Unsupported("COPY TO STDOUT in a portal with a row limit")
	}
	out, err := w.c.startCopyOut(format, ncols)
	if err == nil {
		w.inCopyOut = true
	}
	return out, err
}
