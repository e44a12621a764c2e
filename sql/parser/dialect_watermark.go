package parser

import (
	"regexp"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/streamdb/streamdb/sql/types"
)

// Option keys under which a WATERMARK clause of CREATE SOURCE / CREATE
// TABLE is passed on in the statement's WITH options (and so lands in the
// descriptor's Options): the event-time column and the delay expression
// (an interval literal such as INTERVAL '4' SECOND, or "0").
const (
	OptionWatermarkColumn = "watermark.column"
	OptionWatermarkDelay  = "watermark.delay"
)

var (
	watermarkWord = regexp.MustCompile(`(?is)^WATERMARK\s+FOR\s+("(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s+AS\s+`)
	emitOnClose   = regexp.MustCompile(`(?is)\sEMIT\s+ON\s+WINDOW\s+CLOSE\s*;?\s*$`)
)

// watermarkDialect handles CREATE SOURCE/TABLE statements whose column list
// holds "WATERMARK FOR col AS col [- INTERVAL '...']", which is not
// Postgres syntax: the clause is cut out and recorded as the options
// watermark.column and watermark.delay, then the statement goes on as
// usual (connectorDialect, or a plain CREATE TABLE). It returns false when
// text has no watermark clause or the clause is malformed (the Postgres
// parser then reports the syntax error).
func watermarkDialect(text string, offset int) ([]Statement, bool) {
	if !createTable.MatchString(text) && !createSource.MatchString(text) {
		return nil, false
	}
	start, end, col, delay, ok := findWatermark(text)
	if !ok {
		return nil, false
	}
	opts := OptionWatermarkColumn + " = '" + strings.ReplaceAll(col, "'", "''") + "', " +
		OptionWatermarkDelay + " = '" + strings.ReplaceAll(delay, "'", "''") + "'"
	body := text[:start] + text[end:]
	tail := ""
	if j := formatTail.FindStringIndex(body); j != nil {
		body, tail = body[:j[0]], body[j[0]:]
	}
	if i := trailingWith(body); i >= 0 {
		rest := strings.TrimLeft(body[i+4:], " \t\r\n")[1:]
		body = body[:i] + "WITH (" + opts + ", " + rest
	} else {
		body += " WITH (" + opts + ")"
	}
	body += tail
	if out, ok := connectorDialect(body, offset); ok {
		for i := range out {
			out[i].SQL = text
		}
		return out, true
	}
	res, err := pg_query.Parse(body)
	if err != nil || len(res.Stmts) != 1 {
		return nil, false
	}
	return []Statement{{AST: res.Stmts[0].Stmt, SQL: text, Offset: offset}}, true
}

// findWatermark locates ", WATERMARK FOR col AS expr" at the top level of
// the column list; [start, end) is the span to cut (with its separating
// comma).
func findWatermark(text string) (start, end int, col, delay string, ok bool) {
	depth := 0
	inQuote, inIdent := false, false
	prevSep := -1 // offset of the last '(' or ',' at depth 1
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case inQuote:
			if c == '\'' {
				inQuote = false
			}
			continue
		case inIdent:
			if c == '"' {
				inIdent = false
			}
			continue
		case c == '\'':
			inQuote = true
		case c == '"':
			inIdent = true
		case c == '(':
			depth++
			if depth == 1 {
				prevSep = i
			}
		case c == ')':
			depth--
		case c == ',' && depth == 1:
			prevSep = i
		}
		if depth != 1 || prevSep < 0 || (c != 'w' && c != 'W') || strings.TrimSpace(text[prevSep+1:i]) != "" {
			continue
		}
		m := watermarkWord.FindStringSubmatch(text[i:])
		if m == nil {
			continue
		}
		col = m[1]
		exprStart := i + len(m[0])
		exprEnd := scanToSeparator(text, exprStart)
		if exprEnd < 0 {
			return 0, 0, "", "", false
		}
		expr := strings.TrimSpace(text[exprStart:exprEnd])
		if delay, ok = watermarkDelay(col, expr); !ok {
			return 0, 0, "", "", false
		}
		start, end = prevSep, exprEnd
		if text[prevSep] == '(' {
			// The first element: cut the comma after it instead.
			start = prevSep + 1
			if exprEnd < len(text) && text[exprEnd] == ',' {
				end = exprEnd + 1
			}
		}
		return start, end, strings.Trim(col, `"`), delay, true
	}
	return 0, 0, "", "", false
}

// scanToSeparator returns the offset of the ',' or ')' that ends the
// expression starting at i (at its parenthesis depth), or -1.
func scanToSeparator(text string, i int) int {
	depth := 0
	inQuote := false
	for ; i < len(text); i++ {
		c := text[i]
		switch {
		case inQuote:
			if c == '\'' {
				inQuote = false
			}
		case c == '\'':
			inQuote = true
		case c == '(':
			depth++
		case c == ')':
			if depth == 0 {
				return i
			}
			depth--
		case c == ',' && depth == 0:
			return i
		}
	}
	return -1
}

// watermarkDelay accepts "col" (delay 0) and "col - <interval>".
func watermarkDelay(col, expr string) (string, bool) {
	if strings.EqualFold(expr, col) {
		return "0", true
	}
	if len(expr) <= len(col) || !strings.EqualFold(expr[:len(col)], col) {
		return "", false
	}
	rest := strings.TrimSpace(expr[len(col):])
	if !strings.HasPrefix(rest, "-") {
		return "", false
	}
	rest = strings.TrimSpace(rest[1:])
	if rest == "" {
		return "", false
	}
	return rest, true
}

// OptionEmitOnWindowClose is the view option (value 'true') that EMIT ON
// WINDOW CLOSE at the end of CREATE MATERIALIZED VIEW becomes.
const OptionEmitOnWindowClose = "emit_on_window_close"

// matviewHead matches the head of [EXPLAIN] CREATE MATERIALIZED VIEW up to
// its AS: group 1 ends after the name (and column list), group 2 is the
// WITH (...) clause, if any, and group 3 its contents.
var matviewHead = regexp.MustCompile(`(?is)^(\s*(?:EXPLAIN\s+)?CREATE\s+MATERIALIZED\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?` +
	`(?:"(?:[^"]|"")+"|[\w$]+)(?:\.(?:"(?:[^"]|"")+"|[\w$]+))?(?:\s*\([^)]*\))?)\s*(WITH\s*\(([^)]*)\))?\s*AS\s`)

// rewriteEmitOnWindowClose turns CREATE MATERIALIZED VIEW ... EMIT ON
// WINDOW CLOSE, which is not Postgres syntax, into the view option
// emit_on_window_close = 'true' (added to its WITH clause), which the
// Postgres parser reads. Any other statement ending in EMIT ON WINDOW
// CLOSE is refused with 0A000.
func rewriteEmitOnWindowClose(sql string) (string, error) {
	loc := emitOnClose.FindStringIndex(sql)
	if loc == nil {
		return sql, nil
	}
	body := sql[:loc[0]]
	m := matviewHead.FindStringSubmatchIndex(body)
	if m == nil {
		return "", types.Unsupported("EMIT ON WINDOW CLOSE outside CREATE MATERIALIZED VIEW")
	}
	opt := OptionEmitOnWindowClose + " = 'true'"
	if m[4] >= 0 {
		// Inside the existing WITH (...): before its closing parenthesis.
		inner := strings.TrimSpace(body[m[6]:m[7]])
		sep := ", "
		if inner == "" {
			sep = ""
		}
		return body[:m[6]] + inner + sep + opt + body[m[7]:], nil
	}
	return body[:m[3]] + " WITH (" + opt + ")" + body[m[3]:], nil
}
