package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/sql/exec"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// copyOptions are the options of a COPY statement.
type copyOptions struct {
	csv       bool
	header    bool
	delimiter byte
	null      string
	quote     byte
	escape    byte
	binary    bool // FORMAT binary (copy_binary.go)
}

func parseCopyOptions(opts []*pg_query.Node) (copyOptions, error) {
	o := copyOptions{delimiter: '\t', null: `\N`, quote: '"', escape: '"'}
	delimSet, nullSet := false, false
	for _, n := range opts {
		d := n.GetDefElem()
		val := ""
		if d.Arg != nil {
			val = defString(d.Arg)
		}
		switch d.Defname {
		case "format":
			switch strings.ToLower(val) {
			case "csv":
				o.csv = true
			case "text":
			case "binary":
				o.binary = true
			default:
				return o, types.Errorf(types.CodeInvalidParameterValue, "COPY format %q not recognized", val)
			}
		case "header":
			o.header = d.Arg == nil || val == "true" || val == "1" || strings.EqualFold(val, "on") || strings.EqualFold(val, "true")
		case "delimiter":
			if len(val) != 1 {
				return o, types.Errorf(types.CodeFeatureNotSupported, "COPY delimiter must be a single one-byte character")
			}
			o.delimiter, delimSet = val[0], true
		case "null":
			o.null, nullSet = val, true
		case "quote":
			if len(val) != 1 {
				return o, types.Errorf(types.CodeFeatureNotSupported, "COPY quote must be a single one-byte character")
			}
			o.quote = val[0]
		case "escape":
			if len(val) != 1 {
				return o, types.Errorf(types.CodeFeatureNotSupported, "COPY escape must be a single one-byte character")
			}
			o.escape = val[0]
		case "encoding":
			if !strings.EqualFold(strings.ReplaceAll(val, "-", ""), "utf8") {
				return o, types.Unsupported("COPY encodings other than UTF8")
			}
		case "freeze", "force_quote", "force_not_null", "force_null":
		default:
			return o, types.Errorf(types.CodeSyntaxError, "option %q not recognized", d.Defname)
		}
	}
	if o.csv {
		if !delimSet {
			o.delimiter = ','
		}
		if !nullSet {
			o.null = ""
		}
	}
	return o, nil
}

func (sess *session) copyStmt(ctx context.Context, st parser.Statement, cs *pg_query.CopyStmt, w pgwire.ResultWriter) error {
	if cs.Filename != "" || cs.IsProgram {
		return types.Errorf(types.CodeInsufficientPrivilege, "COPY to or from a file or program is not allowed; use COPY ... FROM STDIN / TO STDOUT (psql: \\copy)")
	}
	opts, err := parseCopyOptions(cs.Options)
	if err != nil {
		return err
	}
	if cs.IsFrom {
		return sess.copyFrom(ctx, st, cs, opts, w)
	}
	return sess.copyTo(ctx, st, cs, opts, w)
}

func (sess *session) copyTo(ctx context.Context, st parser.Statement, cs *pg_query.CopyStmt, opts copyOptions, w pgwire.ResultWriter) error {
	var node planner.Node
	if cs.Query != nil {
		n, err := sess.bindCheckedSelect(st, nil, cs.Query)
		if err != nil {
			return err
		}
		node = n
	} else {
		d, err := sess.relationFor(cs.Relation)
		if err != nil {
			return err
		}
		if err := sess.checkRelation(sess.currentRole(), d, catalog.PrivSelect); err != nil { // privileges.go
			return err
		}
		if d.Kind != catalog.KindTable && d.Kind != catalog.KindView {
			return types.Errorf(types.CodeWrongObjectType, "cannot copy from %s %q", kindWord(d.Kind), d.Name)
		}
		if d.Kind == catalog.KindView {
			return withHint(types.Errorf(types.CodeWrongObjectType, "cannot copy from view %q", d.Name), "Try the COPY (SELECT ...) TO variant.")
		}
		scan := planner.ScanOf(d)
		node = scan
		cols := nameStrings(cs.Attlist)
		if len(cols) > 0 {
			p := &planner.Project{Input: scan}
			for _, c := range cols {
				idx := -1
				for i, sc := range scan.Cols {
					if sc.Name == c && !sc.Hidden {
						idx = i
					}
				}
				if idx < 0 {
					return types.Errorf(types.CodeUndefinedColumn, "column %q of relation %q does not exist", c, d.Name)
				}
				p.Exprs = append(p.Exprs, &planner.ColRef{Idx: idx, Typ: scan.Cols[idx].Type})
				p.Cols = append(p.Cols, scan.Cols[idx])
			}
			node = p
		}
	}
	cols := node.Columns()
	keep := visibleIdx(cols)
	out, err := w.CopyOut(opts.format(), len(keep))
	if err != nil {
		return err
	}
	if opts.binary {
		return sess.copyToBinary(ctx, node, keep, out, w) // copy_binary.go
	}
	loc := sess.settings.location()
	var buf []byte
	if opts.header && opts.csv {
		for i, k := range keep {
			if i > 0 {
				buf = append(buf, opts.delimiter)
			}
			buf = appendCSVField(buf, cols[k].Name, opts, false)
		}
		buf = append(buf, '\n')
	}
	n := 0
	err = sessRun(ctx, sess, node, func(r types.Row) error {
		for i, k := range keep {
			if i > 0 {
				buf = append(buf, opts.delimiter)
			}
			d := r[k]
			if d.IsNull() {
				buf = append(buf, opts.null...)
				continue
			}
			text := types.AppendText(nil, d, cols[k].Type, loc)
			if opts.csv {
				buf = appendCSVField(buf, string(text), opts, string(text) == opts.null)
			} else {
				buf = appendTextField(buf, text, opts.delimiter)
			}
		}
		buf = append(buf, '\n')
		n++
		var err error
		buf, err = flushCopyBatch(out, buf)
		return err
	})
	if err != nil {
		return err
	}
	if len(buf) > 0 {
		if _, err := out.Write(buf); err != nil {
			return err
		}
	}
	return w.Complete(fmt.Sprintf("COPY %d", n))
}

// appendTextField escapes a value for COPY text format.
func appendTextField(buf, text []byte, delim byte) []byte {
	for _, c := range text {
		switch c {
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			if c == delim {
				buf = append(buf, '\\', c)
			} else {
				buf = append(buf, c)
			}
		}
	}
	return buf
}

func appendCSVField(buf []byte, s string, o copyOptions, forceQuote bool) []byte {
	need := forceQuote || s == "" && o.null == "" && false
	if strings.ContainsAny(s, string([]byte{o.delimiter, o.quote, '\n', '\r'})) || (s != "" && (s[0] == ' ' || s[len(s)-1] == ' ')) || s == `\.` {
		need = true
	}
	if !need {
		return append(buf, s...)
	}
	buf = append(buf, o.quote)
	for i := 0; i < len(s); i++ {
		if s[i] == o.quote || s[i] == o.escape {
			buf = append(buf, o.escape)
		}
		buf = append(buf, s[i])
	}
	return append(buf, o.quote)
}

func sessRun(ctx context.Context, sess *session, node planner.Node, fn func(types.Row) error) error {
	rows, err := sess.collect(ctx, sess.env(nil), node)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (sess *session) copyFrom(ctx context.Context, st parser.Statement, cs *pg_query.CopyStmt, opts copyOptions, w pgwire.ResultWriter) error {
	if cs.WhereClause != nil {
		return types.Unsupported("COPY FROM ... WHERE")
	}
	d, err := sess.relationFor(cs.Relation)
	if err != nil {
		return err
	}
	if d.Kind != catalog.KindTable {
		return types.Errorf(types.CodeWrongObjectType, "cannot copy to %s %q", kindWord(d.Kind), d.Name)
	}
	var slots []int
	if names := nameStrings(cs.Attlist); len(names) > 0 {
		for _, n := range names {
			s := findSlot(d, n)
			if s < 0 {
				return types.Errorf(types.CodeUndefinedColumn, "column %q of relation %q does not exist", n, d.Name)
			}
			slots = append(slots, s)
		}
	} else {
		for i := range d.Columns {
			if !d.Columns[i].Dropped && !d.Columns[i].Hidden {
				slots = append(slots, i)
			}
		}
	}
	// Defaults for the columns COPY does not fill: bind "INSERT INTO t
	// DEFAULT VALUES" once and evaluate it per row.
	b := planner.NewBinder(sess.srv.cat, sess.settings.searchPath(), "", nil)
	defaults, err := b.BindInsert(&pg_query.InsertStmt{Relation: cs.Relation})
	if err != nil {
		return err
	}
	if err := sess.checkAccess(b); err != nil { // privileges.go
		return err
	}
	values, ok := defaults.Source.(*planner.Values)
	if !ok || len(values.Rows) != 1 {
		return types.Errorf(types.CodeInternalError, "unexpected default row plan")
	}
	env := sess.env(nil)
	// Columns COPY does not fill take their defaults, compiled once.
	defaultExprs := make([]*exec.Compiled, len(values.Rows[0]))
	for i, e := range values.Rows[0] {
		if isTargetSlot(slots, i) {
			continue
		}
		if defaultExprs[i], err = exec.Compile(e); err != nil {
			return err
		}
	}
	wr, err := sess.newWriter(ctx, env, defaults.Target, nil, w, false)
	if err != nil {
		return err
	}
	in, err := w.CopyIn(opts.format(), len(slots))
	if err != nil {
		return err
	}
	loc := sess.settings.location()
	lineNo := 0
	var batch []types.Row
	total := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := wr.insertRows(batch, nil)
		total += n
		batch = batch[:0]
		return err
	}
	// newRow starts a row with the defaults of the columns COPY does not
	// fill; addRow queues it for insertion.
	newRow := func() (types.Row, error) {
		row := make(types.Row, len(d.Columns))
		for i, ce := range defaultExprs {
			if ce == nil {
				continue
			}
			v, err := ce.Eval(ctx, env, nil)
			if err != nil {
				return nil, err
			}
			row[i] = v
		}
		return row, nil
	}
	addRow := func(row types.Row) error {
		batch = append(batch, row)
		if len(batch) >= 1024 {
			return flush()
		}
		return nil
	}
	makeRow := func(fields []string, nulls []bool) error {
		if len(fields) != len(slots) {
			if len(fields) < len(slots) {
				return copyErr(types.Errorf("22P04", "missing data for column %q", d.Columns[slots[len(fields)]].Name), d.Name, lineNo)
			}
			return copyErr(types.Errorf("22P04", "extra data after last expected column"), d.Name, lineNo)
		}
		row, err := newRow()
		if err != nil {
			return err
		}
		for k, s := range slots {
			if nulls[k] {
				row[s] = types.Null
				continue
			}
			v, err := types.ParseText(fields[k], d.Columns[s].Type(), loc)
			if err == nil {
				v, err = castTo(sess, v, d.Columns[s].Type().WithTypmod(-1), d.Columns[s].Type())
			}
			if err != nil {
				return copyErr(err, d.Name, lineNo)
			}
			row[s] = v
		}
		return addRow(row)
	}
	if opts.binary {
		br := newCopyBinaryReader(in, len(slots)) // copy_binary.go
		for {
			fields, ok, err := br.next()
			if err != nil {
				return copyErr(err, d.Name, lineNo+1)
			}
			if !ok {
				break
			}
			lineNo++
			row, err := newRow()
			if err != nil {
				return err
			}
			for k, s := range slots {
				if fields[k] == nil {
					continue
				}
				v, err := parseCopyBinaryField(fields[k], d.Columns[s].Type().WithTypmod(-1))
				if err == nil {
					v, err = castTo(sess, v, d.Columns[s].Type().WithTypmod(-1), d.Columns[s].Type())
				}
				if err != nil {
					return copyErr(err, d.Name, lineNo)
				}
				row[s] = v
			}
			if err := addRow(row); err != nil {
				return err
			}
		}
	} else if opts.csv {
		r := csv.NewReader(in)
		r.Comma = rune(opts.delimiter)
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		r.ReuseRecord = true
		first := true
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return copyErr(types.WithCode(err, "22P04"), d.Name, lineNo+1)
			}
			lineNo++
			if first && opts.header {
				first = false
				continue
			}
			first = false
			if len(rec) == 1 && rec[0] == `\.` {
				break
			}
			nulls := make([]bool, len(rec))
			for i, f := range rec {
				nulls[i] = f == opts.null
			}
			if err := makeRow(rec, nulls); err != nil {
				return err
			}
		}
	} else {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 1<<30)
		first := true
		for sc.Scan() {
			line := sc.Bytes()
			lineNo++
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			if first && opts.header {
				first = false
				continue
			}
			first = false
			if bytes.Equal(line, []byte(`\.`)) {
				break
			}
			fields, nulls, err := splitTextLine(line, opts)
			if err != nil {
				return copyErr(err, d.Name, lineNo)
			}
			if err := makeRow(fields, nulls); err != nil {
				return err
			}
		}
		if err := sc.Err(); err != nil {
			return err
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return w.Complete(fmt.Sprintf("COPY %d", total))
}

func isTargetSlot(slots []int, i int) bool {
	for _, s := range slots {
		if s == i {
			return true
		}
	}
	return false
}

func copyErr(err error, table string, line int) error {
	return withDetail(err, fmt.Sprintf("COPY %s, line %d", table, line))
}

// splitTextLine splits one line of COPY text format, undoing its escapes.
func splitTextLine(line []byte, o copyOptions) ([]string, []bool, error) {
	var fields []string
	var nulls []bool
	var cur []byte
	raw := []byte{}
	for i := 0; i <= len(line); i++ {
		if i == len(line) || line[i] == o.delimiter {
			if string(raw) == o.null {
				fields = append(fields, "")
				nulls = append(nulls, true)
			} else {
				fields = append(fields, string(cur))
				nulls = append(nulls, false)
			}
			cur, raw = cur[:0], raw[:0]
			continue
		}
		c := line[i]
		raw = append(raw, c)
		if c != '\\' || i+1 >= len(line) {
			cur = append(cur, c)
			continue
		}
		i++
		n := line[i]
		raw = append(raw, n)
		switch n {
		case 'n':
			cur = append(cur, '\n')
		case 'r':
			cur = append(cur, '\r')
		case 't':
			cur = append(cur, '\t')
		case 'b':
			cur = append(cur, '\b')
		case 'f':
			cur = append(cur, '\f')
		case 'v':
			cur = append(cur, '\v')
		case 'N':
			cur = append(cur, '\\', 'N')
		default:
			if n >= '0' && n <= '7' {
				v := int(n - '0')
				for k := 0; k < 2 && i+1 < len(line) && line[i+1] >= '0' && line[i+1] <= '7'; k++ {
					i++
					raw = append(raw, line[i])
					v = v*8 + int(line[i]-'0')
				}
				cur = append(cur, byte(v))
			} else {
				cur = append(cur, n)
			}
		}
	}
	return fields, nulls, nil
}

// copyBatchBytes is how much COPY TO output collects before one write.
const copyBatchBytes = 64 << 10

// flushCopyBatch writes buf once it holds more than copyBatchBytes and
// returns it emptied; otherwise it returns buf unchanged.
func flushCopyBatch(out io.Writer, buf []byte) ([]byte, error) {
	if len(buf) <= copyBatchBytes {
		return buf, nil
	}
	if _, err := out.Write(buf); err != nil {
		return buf, err
	}
	return buf[:0], nil
}
