package pgwire

import (
	"context"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/streamdb/streamdb/sql/types"
)

// fakeBackend implements Backend with a toy statement language, enough to
// drive every protocol path:
//
//	SELECT item, ...          item: $n::type | literal[::type] (int or 'text')
//	SELECT generate_series(1, N)
//	SELECT 1/0                 fails at execution with 22012
//	SLEEP                      blocks until cancelled (returns the bare ctx error)
//	COPY t FROM STDIN | COPY t TO STDOUT
//	BEGIN | COMMIT | NOTICE | INSERT | SET TimeZone 'x' | SYNTAX ERROR
type fakeBackend struct {
	mu       sync.Mutex
	sessions []*fakeSession
	closed   int
	copyIn   []byte
	// sleeping is signalled when a SLEEP starts.
	sleeping chan struct{}
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{sleeping: make(chan struct{}, 16)}
}

func (b *fakeBackend) NewSession(ctx context.Context, info StartupInfo) (Session, map[string]string, error) {
	if info.Database == "nosuchdb" {
		return nil, nil, types.Errorf(types.CodeInvalidCatalogName, "database %q does not exist", info.Database)
	}
	s := &fakeSession{b: b, info: info}
	b.mu.Lock()
	b.sessions = append(b.sessions, s)
	b.mu.Unlock()
	return s, map[string]string{"streamdb_fake": "yes"}, nil
}

func (b *fakeBackend) numClosed() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

type fakeSession struct {
	b    *fakeBackend
	info StartupInfo
	inTx bool
}

func (s *fakeSession) TxStatus() byte {
	if s.inTx {
		return 'T'
	}
	return 'I'
}

func (s *fakeSession) Sync(ctx context.Context) error { return nil }

func (s *fakeSession) Close() {
	s.b.mu.Lock()
	s.b.closed++
	s.b.mu.Unlock()
}

func (s *fakeSession) SimpleQuery(ctx context.Context, sql string, w ResultWriter) error {
	stmts := splitStatements(sql)
	if len(stmts) == 0 {
		return w.EmptyQuery()
	}
	for _, text := range stmts {
		st, err := s.Prepare(ctx, text, nil)
		if err != nil {
			return err
		}
		if len(st.ParamTypes()) > 0 {
			return types.Errorf(types.CodeUndefinedParameter, "there is no parameter $1")
		}
		if cols := st.Columns(); cols != nil {
			if err := w.Columns(cols); err != nil {
				return err
			}
		}
		if err := st.Execute(ctx, nil, w); err != nil {
			return err
		}
	}
	return nil
}

// splitStatements splits on semicolons outside quotes and drops empty ones.
func splitStatements(sql string) []string {
	var out []string
	inQuote := false
	start := 0
	for i := 0; i < len(sql); i++ {
		switch sql[i] {
		case '\'':
			inQuote = !inQuote
		case ';':
			if !inQuote {
				if s := strings.TrimSpace(sql[start:i]); s != "" {
					out = append(out, s)
				}
				start = i + 1
			}
		}
	}
	if s := strings.TrimSpace(sql[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// fakeItem is one SELECT item: a parameter or a constant.
type fakeItem struct {
	param int // 1-based; 0 for a constant
	value types.Datum
}

type fakeStmt struct {
	s      *fakeSession
	kind   string
	params []*types.T
	cols   types.Schema
	items  []fakeItem
	n      int
	arg    string
}

func (s *fakeSession) Prepare(ctx context.Context, sql string, paramOIDs []uint32) (Statement, error) {
	sql = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(sql), ";"))
	upper := strings.ToUpper(sql)
	st := &fakeStmt{s: s}
	switch {
	case sql == "":
		st.kind = "empty"
	case upper == "SELECT 1/0":
		st.kind = "div0"
		st.cols = types.Schema{{Name: "?column?", Type: types.Int4}}
	case strings.HasPrefix(upper, "SELECT GENERATE_SERIES(1,"):
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(sql[len("SELECT generate_series(1,"):], ")")))
		if err != nil {
			return nil, types.Errorf(types.CodeSyntaxError, "bad generate_series")
		}
		st.kind, st.n = "series", n
		st.cols = types.Schema{{Name: "generate_series", Type: types.Int4}}
	case strings.HasPrefix(upper, "SELECT "):
		st.kind = "select"
		if err := st.parseItems(sql[len("SELECT "):], paramOIDs); err != nil {
			return nil, err
		}
	case upper == "SLEEP":
		st.kind = "sleep"
	case upper == "COPY T FROM STDIN":
		st.kind = "copyin"
	case upper == "COPY T TO STDOUT":
		st.kind = "copyout"
	case upper == "BEGIN", upper == "COMMIT", upper == "NOTICE", upper == "INSERT":
		st.kind = strings.ToLower(upper)
	case strings.HasPrefix(upper, "SET TIMEZONE "):
		st.kind = "settz"
		st.arg = strings.Trim(strings.TrimSpace(sql[len("SET TimeZone "):]), "'")
	default:
		return nil, types.WithPosition(types.Errorf(types.CodeSyntaxError, "syntax error at or near %q", strings.Fields(sql)[0]), 1)
	}
	return st, nil
}

var fakeTypeNames = map[string]*types.T{"int": types.Int4, "int4": types.Int4, "int8": types.Int8, "bigint": types.Int8, "text": types.Text, "timestamptz": types.TimestampTZ}

func (st *fakeStmt) parseItems(list string, paramOIDs []uint32) error {
	for _, raw := range splitItems(list) {
		item := strings.TrimSpace(raw)
		var typ *types.T
		if i := strings.LastIndex(item, "::"); i >= 0 && !strings.Contains(item[i:], "'") {
			typ = fakeTypeNames[strings.TrimSpace(item[i+2:])]
			if typ == nil {
				return types.Errorf(types.CodeUndefinedObject, "type %q does not exist", strings.TrimSpace(item[i+2:]))
			}
			item = strings.TrimSpace(item[:i])
		}
		item = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(item, "("), ")"))
		var it fakeItem
		switch {
		case strings.HasPrefix(item, "$"):
			n, err := strconv.Atoi(item[1:])
			if err != nil || n < 1 {
				return types.Errorf(types.CodeSyntaxError, "bad parameter %q", item)
			}
			for len(st.params) < n {
				st.params = append(st.params, nil)
			}
			if typ == nil && n <= len(paramOIDs) && paramOIDs[n-1] != 0 {
				typ = types.ByOid(paramOIDs[n-1])
			}
			if typ == nil {
				typ = types.Text
			}
			st.params[n-1] = typ
			it.param = n
		case len(item) >= 2 && item[0] == '\'' && item[len(item)-1] == '\'':
			it.value = types.DString(strings.ReplaceAll(item[1:len(item)-1], "''", "'"))
			if typ == nil {
				typ = types.Text
			}
			if typ.Family == types.IntFamily {
				i, err := strconv.ParseInt(it.value.S, 10, 64)
				if err != nil {
					return types.Errorf(types.CodeInvalidTextRepresentation, "invalid input syntax for type integer: %q", it.value.S)
				}
				it.value = types.DInt(i)
			}
		case strings.EqualFold(item, "null"):
			if typ == nil {
				typ = types.Text
			}
		default:
			i, err := strconv.ParseInt(strings.ReplaceAll(item, " ", ""), 10, 64)
			if err != nil {
				return types.Errorf(types.CodeSyntaxError, "syntax error at or near %q", item)
			}
			it.value = types.DInt(i)
			if typ == nil {
				typ = types.Int4
			}
			if typ.Family == types.StringFamily {
				it.value = types.DString(strconv.FormatInt(i, 10))
			}
		}
		name := typ.TypName()
		if it.param == 0 && typ == types.Int4 {
			name = "?column?"
		}
		st.cols = append(st.cols, types.Column{Name: name, Type: typ})
		st.items = append(st.items, it)
	}
	for i, t := range st.params {
		if t == nil {
			st.params[i] = types.Unknown
		}
	}
	return nil
}

func splitItems(list string) []string {
	var out []string
	inQuote, depth, start := false, 0, 0
	for i := 0; i < len(list); i++ {
		switch list[i] {
		case '\'':
			inQuote = !inQuote
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if !inQuote && depth == 0 {
				out = append(out, list[start:i])
				start = i + 1
			}
		}
	}
	return append(out, list[start:])
}

func (st *fakeStmt) ParamTypes() []*types.T { return st.params }
func (st *fakeStmt) Columns() types.Schema  { return st.cols }
func (st *fakeStmt) Close()                 {}

func (st *fakeStmt) Execute(ctx context.Context, params []types.Datum, w ResultWriter) error {
	switch st.kind {
	case "empty":
		return w.EmptyQuery()
	case "div0":
		return types.Errorf(types.CodeDivisionByZero, "division by zero")
	case "series":
		row := make(types.Row, 1)
		for i := 1; i <= st.n; i++ {
			row[0] = types.DInt(int64(i))
			if err := w.Row(row); err != nil {
				return err
			}
		}
		return w.Complete("SELECT " + strconv.Itoa(st.n))
	case "select":
		row := make(types.Row, len(st.items))
		for i, it := range st.items {
			if it.param > 0 {
				row[i] = params[it.param-1]
			} else {
				row[i] = it.value
			}
		}
		if err := w.Row(row); err != nil {
			return err
		}
		return w.Complete("SELECT 1")
	case "sleep":
		select {
		case st.s.b.sleeping <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return ctx.Err()
	case "copyin":
		r, err := w.CopyIn(0, 1)
		if err != nil {
			return err
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		st.s.b.mu.Lock()
		st.s.b.copyIn = append(st.s.b.copyIn, data...)
		st.s.b.mu.Unlock()
		return w.Complete("COPY " + strconv.Itoa(strings.Count(string(data), "\n")))
	case "copyout":
		out, err := w.CopyOut(0, 1)
		if err != nil {
			return err
		}
		for i := 1; i <= 3; i++ {
			if _, err := out.Write([]byte(strconv.Itoa(i) + "\n")); err != nil {
				return err
			}
		}
		return w.Complete("COPY 3")
	case "begin":
		st.s.inTx = true
		return w.Complete("BEGIN")
	case "commit":
		st.s.inTx = false
		return w.Complete("COMMIT")
	case "notice":
		if err := w.Notice("NOTICE", "00000", "hello from the fake"); err != nil {
			return err
		}
		return w.Complete("DO")
	case "insert":
		return w.Complete("INSERT 0 1")
	case "settz":
		if err := w.ParameterStatus("TimeZone", st.arg); err != nil {
			return err
		}
		return w.Complete("SET")
	}
	return types.Errorf(types.CodeInternalError, "unknown fake statement %s", st.kind)
}
