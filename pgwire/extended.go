package pgwire

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamdb/streamdb/sql/types"
)

// preparedStmt is a statement created by Parse. Portals keep it alive: the
// Statement is closed when neither the name nor a portal refers to it.
type preparedStmt struct {
	stmt       Statement
	paramTypes []*types.T
	cols       types.Schema
	refs       int
}

func (ps *preparedStmt) release() {
	ps.refs--
	if ps.refs == 0 {
		ps.stmt.Close()
	}
}

// portalState is how far a portal has run.
type portalState uint8

const (
	portalReady    portalState = iota // bound, not executed
	portalBuffered                    // executed; rows buffered for later Executes
	portalDone                        // every row handed out
)

// portal is a bound statement (Bind).
type portal struct {
	ps      *preparedStmt
	params  []types.Datum
	formats []int16 // one per result column
	state   portalState
	// rows holds the encoded DataRow messages of a buffered portal; rowEnds
	// the end offset of each, next the index of the next one to send.
	rows    []byte
	rowEnds []int
	next    int
	tag     string
}

func (p *portal) release() {
	p.rows, p.rowEnds = nil, nil
	p.ps.release()
}

// extended finishes an extended-protocol message: an error is sent and the
// rest of the batch is skipped until Sync.
func (c *conn) extended(err error) {
	if err != nil {
		c.sendError(err)
		c.ignoreTillSync = true
	}
}

func (c *conn) parse(m *pgproto3.Parse) error {
	if m.Name != "" {
		if _, ok := c.stmts[m.Name]; ok {
			return types.Errorf(types.CodeDuplicatePreparedStatement, "prepared statement %q already exists", m.Name)
		}
	}
	oids := append([]uint32(nil), m.ParameterOIDs...)
	ctx, done := c.beginQuery()
	stmt, err := c.session.Prepare(ctx, m.Query, oids)
	done()
	if err != nil {
		return err
	}
	ps := &preparedStmt{stmt: stmt, paramTypes: stmt.ParamTypes(), cols: stmt.Columns(), refs: 1}
	if old, ok := c.stmts[m.Name]; ok {
		old.release()
	}
	c.stmts[m.Name] = ps
	c.send(&pgproto3.ParseComplete{})
	return nil
}

func errNoStatement(name string) error {
	return types.Errorf(types.CodeUndefinedPreparedStatement, "prepared statement %q does not exist", name)
}

func errNoPortal(name string) error {
	return types.Errorf(types.CodeInvalidCursorName, "portal %q does not exist", name)
}

// paramType is the type a parameter is decoded as: unknown ones are text,
// as Postgres resolves them.
func paramType(t *types.T) *types.T {
	if t == nil || t.Family == types.UnknownFamily {
		return types.Text
	}
	return t
}

func (c *conn) bind(m *pgproto3.Bind) error {
	ps, ok := c.stmts[m.PreparedStatement]
	if !ok {
		return errNoStatement(m.PreparedStatement)
	}
	if m.DestinationPortal != "" {
		if _, ok := c.portals[m.DestinationPortal]; ok {
			return types.Errorf(types.CodeDuplicateCursor, "cursor %q already exists", m.DestinationPortal)
		}
	}
	nFormats, nParams := len(m.ParameterFormatCodes), len(m.Parameters)
	if nFormats > 1 && nFormats != nParams {
		return types.Errorf(types.CodeProtocolViolation, "bind message has %d parameter formats but %d parameters", nFormats, nParams)
	}
	if nParams != len(ps.paramTypes) {
		return types.Errorf(types.CodeProtocolViolation, "bind message supplies %d parameters, but prepared statement %q requires %d",
			nParams, m.PreparedStatement, len(ps.paramTypes))
	}
	var params []types.Datum
	if nParams > 0 {
		params = make([]types.Datum, nParams)
	}
	for i, raw := range m.Parameters {
		if raw == nil {
			continue // NULL
		}
		format := int16(0)
		if nFormats == 1 {
			format = m.ParameterFormatCodes[0]
		} else if nFormats > 1 {
			format = m.ParameterFormatCodes[i]
		}
		t := paramType(ps.paramTypes[i])
		var err error
		switch format {
		case 0:
			params[i], err = types.ParseText(string(raw), t, c.loc)
		case 1:
			// raw points into the receive buffer; the datum may keep it.
			params[i], err = types.ParseBinary(bytes.Clone(raw), t)
			if err != nil && types.Code(err) == types.CodeInternalError {
				err = types.WithCode(err, types.CodeInvalidBinaryRepresentation)
			}
		default:
			return types.Errorf(types.CodeProtocolViolation, "unsupported format code: %d", format)
		}
		if err != nil {
			return err
		}
	}
	formats, err := resultFormats(m.ResultFormatCodes, len(ps.cols))
	if err != nil {
		return err
	}
	if old, ok := c.portals[m.DestinationPortal]; ok {
		delete(c.portals, m.DestinationPortal)
		old.release()
	}
	ps.refs++
	c.portals[m.DestinationPortal] = &portal{ps: ps, params: params, formats: formats}
	c.send(&pgproto3.BindComplete{})
	return nil
}

// resultFormats expands Bind's result format codes to one per column.
func resultFormats(codes []int16, ncols int) ([]int16, error) {
	if len(codes) > 1 && len(codes) != ncols {
		return nil, types.Errorf(types.CodeProtocolViolation, "bind message has %d result formats but query has %d columns", len(codes), ncols)
	}
	for _, code := range codes {
		if code != 0 && code != 1 {
			return nil, types.Errorf(types.CodeProtocolViolation, "unsupported format code: %d", code)
		}
	}
	if ncols == 0 {
		return nil, nil
	}
	formats := make([]int16, ncols)
	switch len(codes) {
	case 0:
	case 1:
		for i := range formats {
			formats[i] = codes[0]
		}
	default:
		copy(formats, codes)
	}
	return formats, nil
}

func (c *conn) describe(m *pgproto3.Describe) error {
	switch m.ObjectType {
	case 'S':
		ps, ok := c.stmts[m.Name]
		if !ok {
			return errNoStatement(m.Name)
		}
		oids := make([]uint32, len(ps.paramTypes))
		for i, t := range ps.paramTypes {
			oids[i] = paramType(t).Oid
		}
		c.send(&pgproto3.ParameterDescription{ParameterOIDs: oids})
		if ps.cols == nil {
			c.send(&pgproto3.NoData{})
		} else {
			c.rowDescription(ps.cols, nil)
		}
	case 'P':
		p, ok := c.portals[m.Name]
		if !ok {
			return errNoPortal(m.Name)
		}
		if p.ps.cols == nil {
			c.send(&pgproto3.NoData{})
		} else {
			c.rowDescription(p.ps.cols, p.formats)
		}
	default:
		return types.Errorf(types.CodeProtocolViolation, "invalid DESCRIBE message subtype %d", m.ObjectType)
	}
	return nil
}

func (c *conn) execute(m *pgproto3.Execute) error {
	p, ok := c.portals[m.Portal]
	if !ok {
		return errNoPortal(m.Portal)
	}
	switch p.state {
	case portalDone:
		// Postgres: a finished query portal returns no more rows; a
		// finished command portal cannot be run again.
		if p.ps.cols == nil {
			return types.Errorf(types.CodeObjectNotInPrerequisiteState, "portal %q cannot be run", m.Portal)
		}
		c.send(&pgproto3.CommandComplete{CommandTag: []byte(rowCountTag(p.tag, 0))})
		return nil
	case portalReady:
		ctx, done := c.beginQuery()
		defer done()
		if m.MaxRows == 0 || p.ps.cols == nil {
			// The common case: stream every row straight to the client.
			p.state = portalDone
			c.rw.resetExtended(p.ps.cols, p.formats, nil)
			return p.ps.stmt.Execute(ctx, p.params, &c.rw)
		}
		// A row limit: run the statement once and hand its rows out in
		// pieces on this and the following Executes.
		c.rw.resetExtended(p.ps.cols, p.formats, p)
		if err := p.ps.stmt.Execute(ctx, p.params, &c.rw); err != nil {
			p.state = portalDone
			p.rows, p.rowEnds = nil, nil
			return err
		}
		p.state = portalBuffered
	}
	// portalBuffered
	remaining := len(p.rowEnds) - p.next
	n := remaining
	suspended := false
	if m.MaxRows > 0 && uint64(remaining) >= uint64(m.MaxRows) {
		// Like Postgres, a fetch that fills its limit suspends even when
		// no row is left: the executor does not look ahead.
		n, suspended = int(m.MaxRows), true
	}
	start := 0
	if p.next > 0 {
		start = p.rowEnds[p.next-1]
	}
	end := start
	if n > 0 {
		end = p.rowEnds[p.next+n-1]
	}
	c.write(p.rows[start:end])
	p.next += n
	if suspended {
		c.send(&pgproto3.PortalSuspended{})
		return nil
	}
	p.state = portalDone
	p.rows, p.rowEnds = nil, nil
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(rowCountTag(p.tag, n))})
	return nil
}

// rowCountTag is the tag of the last Execute of a query portal: Postgres
// counts the rows of that Execute for SELECT, and reports other commands
// (INSERT ... RETURNING) with their full tag.
func rowCountTag(tag string, n int) string {
	if tag == "" || tag == "SELECT" || strings.HasPrefix(tag, "SELECT ") {
		return "SELECT " + strconv.Itoa(n)
	}
	return tag
}

func (c *conn) close(m *pgproto3.Close) error {
	switch m.ObjectType {
	case 'S':
		if ps, ok := c.stmts[m.Name]; ok {
			delete(c.stmts, m.Name)
			ps.release()
		}
	case 'P':
		if p, ok := c.portals[m.Name]; ok {
			delete(c.portals, m.Name)
			p.release()
		}
	default:
		return types.Errorf(types.CodeProtocolViolation, "invalid CLOSE message subtype %d", m.ObjectType)
	}
	c.send(&pgproto3.CloseComplete{})
	return nil
}

// sync ends an extended-protocol batch.
func (c *conn) sync() {
	c.ignoreTillSync = false
	ctx, done := c.beginQuery()
	err := c.session.Sync(ctx)
	done()
	if err != nil {
		c.sendError(err)
	}
	c.dropPortalsIfIdle()
	c.readyForQuery()
}

// dropPortalsIfIdle closes every portal once no transaction is open:
// portals do not outlive their transaction, as in Postgres.
func (c *conn) dropPortalsIfIdle() {
	if len(c.portals) == 0 || c.session.TxStatus() != 'I' {
		return
	}
	for name, p := range c.portals {
		delete(c.portals, name)
		p.release()
	}
}
