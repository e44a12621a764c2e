package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// COPY binary format (Postgres "COPY ... (FORMAT binary)", what pgx's
// CopyFrom sends): an 11-byte signature, an int32 flags word, an int32
// header-extension length and that many bytes, then tuples: an int16 field
// count followed by, per field, an int32 length (-1 for NULL) and the
// value in its type's binary send format; an int16 -1 ends the data.
// Field values are decoded by sql/types' binary decoders, the same ones the
// extended protocol uses for parameters.

// copyBinarySignature starts every binary COPY stream.
const copyBinarySignature = "PGCOPY\n\xff\r\n\x00"

// codeBadCopyFileFormat is SQLSTATE bad_copy_file_format.
const codeBadCopyFileFormat = "22P04"

// copyBinaryOIDsFlag is the flags bit of the obsolete WITH OIDS layout.
const copyBinaryOIDsFlag = 1 << 16

func errBadCopyFile(msg string) error {
	return types.Errorf(codeBadCopyFileFormat, "%s", msg)
}

// copyBinaryReader decodes a binary COPY stream tuple by tuple.
type copyBinaryReader struct {
	r      *bufio.Reader
	ncols  int
	header bool
	done   bool
	// fields and buf are reused from tuple to tuple: a field is valid
	// until the next call to next.
	fields  [][]byte
	lengths []int32
	buf     []byte
	scr     [4]byte
}

func newCopyBinaryReader(r io.Reader, ncols int) *copyBinaryReader {
	return &copyBinaryReader{r: bufio.NewReaderSize(r, 64<<10), ncols: ncols}
}

func (c *copyBinaryReader) readFull(b []byte) error {
	if _, err := io.ReadFull(c.r, b); err != nil {
		if isEOF(err) {
			return errBadCopyFile("unexpected EOF in COPY data")
		}
		return err
	}
	return nil
}

func isEOF(err error) bool { return err == io.EOF || err == io.ErrUnexpectedEOF }

// appendN reads n bytes onto buf, growing it as the bytes arrive (a
// corrupt length cannot make it allocate more than the data holds).
func (c *copyBinaryReader) appendN(n int) error {
	for n > 0 {
		chunk := min(n, 64<<10)
		start := len(c.buf)
		c.buf = slices.Grow(c.buf, chunk)[:start+chunk]
		if err := c.readFull(c.buf[start:]); err != nil {
			return err
		}
		n -= chunk
	}
	return nil
}

func (c *copyBinaryReader) readHeader() error {
	var sig [11]byte
	if _, err := io.ReadFull(c.r, sig[:]); err != nil {
		if isEOF(err) {
			return errBadCopyFile("COPY file signature not recognized")
		}
		return err
	}
	if string(sig[:]) != copyBinarySignature {
		return errBadCopyFile("COPY file signature not recognized")
	}
	if _, err := io.ReadFull(c.r, c.scr[:4]); err != nil {
		return errBadCopyFile("invalid COPY file header (missing flags)")
	}
	flags := binary.BigEndian.Uint32(c.scr[:4])
	if flags&copyBinaryOIDsFlag != 0 {
		return errBadCopyFile("invalid COPY file header (WITH OIDS)")
	}
	if (flags&^copyBinaryOIDsFlag)>>16 != 0 {
		return errBadCopyFile("unrecognized critical flags in COPY file header")
	}
	if _, err := io.ReadFull(c.r, c.scr[:4]); err != nil {
		return errBadCopyFile("invalid COPY file header (missing length)")
	}
	ext := int32(binary.BigEndian.Uint32(c.scr[:4]))
	if ext < 0 {
		return errBadCopyFile("invalid COPY file header (missing length)")
	}
	if _, err := io.CopyN(io.Discard, c.r, int64(ext)); err != nil {
		return errBadCopyFile("invalid COPY file header (wrong length)")
	}
	return nil
}

// next returns the next tuple's fields (nil for NULL), or ok false after
// the trailer or at the end of the data.
func (c *copyBinaryReader) next() (fields [][]byte, ok bool, err error) {
	if c.done {
		return nil, false, nil
	}
	if !c.header {
		if err := c.readHeader(); err != nil {
			return nil, false, err
		}
		c.header = true
	}
	if _, err := io.ReadFull(c.r, c.scr[:2]); err != nil {
		if err == io.EOF {
			// Postgres accepts the end of the data in place of the trailer.
			c.done = true
			return nil, false, nil
		}
		return nil, false, errBadCopyFile("unexpected EOF in COPY data")
	}
	n := int16(binary.BigEndian.Uint16(c.scr[:2]))
	if n == -1 {
		c.done = true
		return nil, false, nil
	}
	if int(n) != c.ncols {
		return nil, false, types.Errorf(codeBadCopyFileFormat, "row field count is %d, expected %d", n, c.ncols)
	}
	// Read every field's bytes into buf first, then slice it, so growing
	// buf never leaves an earlier field pointing at old memory.
	c.buf = c.buf[:0]
	lengths := c.lengths[:0]
	for i := 0; i < int(n); i++ {
		if err := c.readFull(c.scr[:4]); err != nil {
			return nil, false, err
		}
		l := int32(binary.BigEndian.Uint32(c.scr[:4]))
		if l < -1 {
			return nil, false, errBadCopyFile("invalid field size")
		}
		lengths = append(lengths, l)
		c.lengths = lengths
		if l <= 0 {
			continue
		}
		if int64(len(c.buf))+int64(l) > math.MaxInt32 {
			return nil, false, errBadCopyFile("invalid field size")
		}
		if err := c.appendN(int(l)); err != nil {
			return nil, false, err
		}
	}
	c.fields = c.fields[:0]
	off := 0
	for _, l := range lengths {
		switch {
		case l < 0:
			c.fields = append(c.fields, nil)
		default:
			c.fields = append(c.fields, c.buf[off:off+int(l):off+int(l)])
			off += int(l)
		}
	}
	return c.fields, true, nil
}

// parseCopyBinaryField decodes one non-NULL field of column type t. The
// reader reuses its buffer, so the bytes are copied first for the types
// whose datum may keep them; the common scalar types decode into values
// or copy by themselves, and need no copy per field.
func parseCopyBinaryField(b []byte, t *types.T) (types.Datum, error) {
	switch t.Family {
	case types.BoolFamily, types.IntFamily, types.FloatFamily, types.NumericFamily, types.StringFamily,
		types.DateFamily, types.TimeFamily, types.TimestampFamily, types.TimestampTZFamily, types.IntervalFamily:
		return types.ParseBinary(b, t)
	}
	return types.ParseBinary(bytes.Clone(b), t)
}

// appendCopyBinaryHeader starts a binary COPY TO stream.
func appendCopyBinaryHeader(buf []byte) []byte {
	buf = append(buf, copyBinarySignature...)
	return append(buf, 0, 0, 0, 0, 0, 0, 0, 0) // flags, header extension length
}

// appendCopyBinaryTuple appends one row of a binary COPY TO stream.
func appendCopyBinaryTuple(buf []byte, r types.Row, keep []int, cols types.Schema) ([]byte, error) {
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(keep)))
	for _, k := range keep {
		if r[k].IsNull() {
			buf = binary.BigEndian.AppendUint32(buf, math.MaxUint32) // -1
			continue
		}
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		var err error
		buf, err = types.AppendBinary(buf, r[k], cols[k].Type)
		if err != nil {
			return buf, err
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf, nil
}

// appendCopyBinaryTrailer ends a binary COPY TO stream.
func appendCopyBinaryTrailer(buf []byte) []byte { return append(buf, 0xff, 0xff) }

// format is the COPY format code of CopyInResponse/CopyOutResponse.
func (o copyOptions) format() int16 {
	if o.binary {
		return 1
	}
	return 0
}

// copyToBinary writes node's rows as a binary COPY TO stream.
func (sess *session) copyToBinary(ctx context.Context, node planner.Node, keep []int, out io.Writer, w pgwire.ResultWriter) error {
	cols := node.Columns()
	buf := appendCopyBinaryHeader(nil)
	n := 0
	err := sessRun(ctx, sess, node, func(r types.Row) error {
		var err error
		if buf, err = appendCopyBinaryTuple(buf, r, keep, cols); err != nil {
			return err
		}
		n++
		buf, err = flushCopyBatch(out, buf)
		return err
	})
	if err != nil {
		return err
	}
	if _, err := out.Write(appendCopyBinaryTrailer(buf)); err != nil {
		return err
	}
	return w.Complete("COPY " + strconv.Itoa(n))
}
