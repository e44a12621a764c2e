package parser

import (
	"strings"
	"unicode/utf8"

	"github.com/cockroachdb/errors"
	pg_query "github.com/pganalyze/pg_query_go/v6"
	pgparser "github.com/pganalyze/pg_query_go/v6/parser"
	"github.com/streamdb/streamdb/sql/types"
)

// Statement is one parsed statement of a query string.
type Statement struct {
	// AST is the Postgres parse tree; nil for dialect statements (see Kind).
	AST *pg_query.Node
	// Kind is set for statements of our dialect that Postgres cannot parse.
	Kind DialectKind
	// SQL is the statement's own text (without the trailing semicolon).
	SQL string
	// Offset is the byte offset of SQL in the whole query string; AST node
	// locations are relative to the whole string.
	Offset int
}

// DialectKind names a streamdb-only statement.
type DialectKind uint8

const (
	// NotDialect: a Postgres statement (AST is set).
	NotDialect DialectKind = iota
	// Flush waits until every earlier write is visible in every view.
	Flush
)

// Parse splits sql into statements and parses each. An empty (or
// comment-only) string yields no statements.
func Parse(sql string) ([]Statement, error) {
	sql, err := rewriteEmitOnWindowClose(sql) // dialect_watermark.go
	if err != nil {
		return nil, err
	}
	if s, ok := dialect(sql); ok {
		return s, nil
	}
	res, err := pg_query.Parse(sql)
	if err != nil {
		// A multi-statement string may mix dialect and Postgres statements:
		// split with the scanner and try piece by piece.
		if pieces := splitStatements(sql); len(pieces) > 1 {
			if out, ok := parsePieces(sql, pieces); ok {
				return out, nil
			}
		}
		return nil, convertError(sql, err, 0)
	}
	out := make([]Statement, 0, len(res.Stmts))
	for _, raw := range res.Stmts {
		start := int(raw.StmtLocation)
		end := len(sql)
		if raw.StmtLen > 0 {
			end = start + int(raw.StmtLen)
		}
		text := strings.TrimSpace(sql[start:end])
		out = append(out, Statement{AST: raw.Stmt, SQL: text, Offset: start + strings.Index(sql[start:end], text)})
	}
	return out, nil
}

func parsePieces(sql string, pieces []string) ([]Statement, bool) {
	var out []Statement
	off := 0
	for _, p := range pieces {
		i := strings.Index(sql[off:], p)
		if i < 0 {
			return nil, false
		}
		base := off + i
		off = base + len(p)
		if d, ok := dialect(p); ok {
			for _, s := range d {
				s.Offset += base
				out = append(out, s)
			}
			continue
		}
		res, err := pg_query.Parse(p)
		if err != nil {
			return nil, false
		}
		for _, raw := range res.Stmts {
			// Locations inside this AST are relative to p; re-parse the whole
			// piece at its offset is not possible, so keep p's locations and
			// record the base: positions are adjusted by Offset.
			out = append(out, Statement{AST: raw.Stmt, SQL: strings.TrimSpace(p), Offset: base})
		}
	}
	return out, true
}

// splitStatements cuts sql at top-level semicolons, using the Postgres
// scanner so that semicolons inside strings, comments and dollar quotes do
// not count. (pg_query's own splitter drops statements it cannot parse,
// like FLUSH.)
func splitStatements(sql string) []string {
	res, err := pg_query.Scan(sql)
	if err != nil {
		return nil
	}
	var out []string
	start := 0
	for _, tok := range res.Tokens {
		if tok.Token == pg_query.Token_ASCII_59 {
			out = append(out, sql[start:tok.Start])
			start = int(tok.End)
		}
	}
	if strings.TrimSpace(sql[start:]) != "" {
		out = append(out, sql[start:])
	}
	return out
}

// dialect recognises a query string that is exactly one dialect statement.
// Leading comments are skipped: migration tools send a file's text as is
// ("-- migrate:down\nDROP SINK s").
func dialect(sql string) ([]Statement, bool) {
	t := skipLeadingComments(sql)
	t = strings.TrimSuffix(t, ";")
	t = strings.TrimSpace(t)
	if strings.EqualFold(t, "FLUSH") {
		return []Statement{{Kind: Flush, SQL: "FLUSH", Offset: strings.Index(sql, t)}}, true
	}
	// Hook: WATERMARK FOR in CREATE SOURCE/TABLE column lists, dialect_watermark.go.
	if s, ok := watermarkDialect(t, strings.Index(sql, t)); ok {
		return s, true
	}
	// Hook: Kafka connector DDL (FORMAT ... ENCODE, CREATE SOURCE/SINK), dialect_format.go.
	return connectorDialect(t, strings.Index(sql, t))
}

// skipLeadingComments returns sql without leading blanks, "--" line
// comments and (nested) "/* */" block comments, and without trailing blanks.
func skipLeadingComments(sql string) string {
	t := strings.TrimSpace(sql)
	for {
		switch {
		case strings.HasPrefix(t, "--"):
			end := strings.IndexByte(t, '\n')
			if end < 0 {
				return ""
			}
			t = strings.TrimSpace(t[end+1:])
		case strings.HasPrefix(t, "/*"):
			depth, i := 0, 0
			for i < len(t) {
				if strings.HasPrefix(t[i:], "/*") {
					depth, i = depth+1, i+2
				} else if strings.HasPrefix(t[i:], "*/") {
					depth, i = depth-1, i+2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
			if depth != 0 {
				return t // unterminated: let the Postgres parser report it
			}
			t = strings.TrimSpace(t[i:])
		default:
			return t
		}
	}
}

// convertError turns a pg_query error into a 42601 error with a character
// position relative to the whole query string.
func convertError(sql string, err error, base int) error {
	var pe *pgparser.Error
	if errors.As(err, &pe) {
		e := types.Errorf(types.CodeSyntaxError, "%s", pe.Message)
		if pe.Cursorpos > 0 {
			e = types.WithPosition(e, CharPosition(sql, base+pe.Cursorpos-1))
		}
		return e
	}
	return types.WithCode(err, types.CodeSyntaxError)
}

// CharPosition converts a byte offset in sql to Postgres' 1-based character
// position.
func CharPosition(sql string, byteOffset int) int {
	if byteOffset < 0 {
		return 0
	}
	if byteOffset > len(sql) {
		byteOffset = len(sql)
	}
	return utf8.RuneCountInString(sql[:byteOffset]) + 1
}
