package pgwire

import (
	"io"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamdb/streamdb/sql/types"
)

func copyFormats(format int16, ncols int) (byte, []uint16, error) {
	if format != 0 && format != 1 {
		return 0, nil, types.Errorf(types.CodeInternalError, "invalid COPY format %d", format)
	}
	codes := make([]uint16, ncols)
	for i := range codes {
		codes[i] = uint16(format)
	}
	return byte(format), codes, nil
}

// startCopyIn sends CopyInResponse and returns the reader of the client's
// CopyData stream.
func (c *conn) startCopyIn(format int16, ncols int) (io.Reader, error) {
	overall, codes, err := copyFormats(format, ncols)
	if err != nil {
		return nil, err
	}
	c.send(&pgproto3.CopyInResponse{OverallFormat: overall, ColumnFormatCodes: codes})
	if err := c.flush(); err != nil {
		return nil, err
	}
	return &copyInReader{c: c}, nil
}

// copyInReader reads the payloads of CopyData messages up to CopyDone.
type copyInReader struct {
	c *conn
	// pending is the unread part of the last CopyData; it points into the
	// receive buffer, valid until the next Receive.
	pending []byte
	err     error
}

// Read is part of io.Reader.
func (r *copyInReader) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		msg, err := r.c.rd.Receive()
		if err != nil {
			// The frame stream is broken: the connection ends once the
			// session returns.
			r.c.fatalErr = err
			r.err = types.Errorf(types.CodeConnectionFailure, "connection lost during COPY")
			continue
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			r.pending = m.Data
		case *pgproto3.CopyDone:
			r.err = io.EOF
		case *pgproto3.CopyFail:
			r.err = types.Errorf(types.CodeQueryCanceled, "COPY from stdin failed: %s", m.Message)
		case *pgproto3.Flush, *pgproto3.Sync:
			// Postgres tolerates these during COPY (some drivers send them
			// right after CopyDone in the extended protocol).
		default:
			r.err = types.Errorf(types.CodeProtocolViolation, "unexpected message type 0x%02X during COPY from stdin", frontendMessageType(msg))
		}
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// startCopyOut sends CopyOutResponse and returns the writer whose each
// Write is one CopyData.
func (c *conn) startCopyOut(format int16, ncols int) (io.Writer, error) {
	overall, codes, err := copyFormats(format, ncols)
	if err != nil {
		return nil, err
	}
	c.send(&pgproto3.CopyOutResponse{OverallFormat: overall, ColumnFormatCodes: codes})
	return copyOutWriter{c: c}, c.writeErr
}

type copyOutWriter struct{ c *conn }

// Write is part of io.Writer.
func (w copyOutWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	w.c.send(&pgproto3.CopyData{Data: p})
	if w.c.writeErr != nil {
		return 0, w.c.writeErr
	}
	return len(p), nil
}
