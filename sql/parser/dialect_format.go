package parser

import (
	"regexp"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Dialect statements of the Kafka connectors. Their Statement carries an
// AST of an equivalent Postgres statement (see connectorDialect) so that the
// generic statement machinery (transactions, ddl dispatch) treats them as
// DDL; the Kind tells the server what they really are. The values are kept
// away from the ones parser.go allocates with iota.
const (
	// CreateSource is CREATE SOURCE; AST is the CREATE TABLE it maps to.
	CreateSource DialectKind = 100 + iota
	// CreateSink is CREATE SINK; AST is a CREATE VIEW with the sink's name,
	// query (FROM rel becomes SELECT * FROM rel) and WITH options.
	CreateSink
	// DropSink is DROP SINK; AST is the equivalent DROP VIEW.
	DropSink
	// DropSource is DROP SOURCE; AST is the equivalent DROP TABLE.
	DropSource
)

// Option keys under which the FORMAT ... ENCODE ... clause is passed on in
// the WITH options of the rewritten statement.
const (
	OptionFormat = "format"
	OptionEncode = "encode"
	// OptionIfNotExists carries CREATE SINK IF NOT EXISTS.
	OptionIfNotExists = "if_not_exists"
)

var (
	formatTail   = regexp.MustCompile(`(?is)\s+FORMAT\s+([A-Za-z_]+)\s+ENCODE\s+([A-Za-z_]+)\s*$`)
	createTable  = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s`)
	createSource = regexp.MustCompile(`(?is)^CREATE\s+SOURCE\s`)
	createSink   = regexp.MustCompile(`(?is)^CREATE\s+SINK\s+(IF\s+NOT\s+EXISTS\s+)?`)
	dropObject   = regexp.MustCompile(`(?is)^DROP\s+(SINK|SOURCE)\s+(IF\s+EXISTS\s+)?(.+)$`)
	sinkFrom     = regexp.MustCompile(`(?is)^("(?:[^"]|"")+"|[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?)\s+(FROM|AS)\s+(.+)$`)
	dottedKey    = regexp.MustCompile(`^[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*){2,}`)
)

// connectorDialect recognises the streaming DDL of the Kafka connectors,
// which pg_query cannot parse, and maps it onto Postgres statements:
//
//   - a trailing "FORMAT x ENCODE y" clause becomes the WITH options
//     format = 'x', encode = 'y';
//   - option names with more than one dot (properties.bootstrap.server)
//     are quoted, since the Postgres grammar allows only name.name;
//   - CREATE SOURCE is parsed as CREATE TABLE (Kind CreateSource);
//   - CREATE SINK name {FROM rel | AS query} [WITH (...)] is parsed as
//     CREATE VIEW name WITH (...) AS {SELECT * FROM rel | query};
//   - DROP SINK / DROP SOURCE become DROP VIEW / DROP TABLE.
//
// text is the statement without surrounding blanks and semicolon; offset is
// its position in the query string. It returns false for anything else
// (plain Postgres statements are never touched).
func connectorDialect(text string, offset int) ([]Statement, bool) {
	kind := NotDialect
	rewritten := ""
	switch {
	case createTable.MatchString(text), createSource.MatchString(text):
		body, format, encode := splitFormat(text)
		quoted, changed := quoteDottedOptions(body)
		isSource := createSource.MatchString(text)
		if format == "" && !changed && !isSource {
			return nil, false
		}
		if isSource {
			kind = CreateSource
			quoted = "CREATE TABLE " + quoted[len(createSource.FindString(quoted)):]
		}
		rewritten = addOptions(quoted, format, encode)
	case createSink.MatchString(text):
		kind = CreateSink
		body, format, encode := splitFormat(text)
		head := createSink.FindStringSubmatch(body)
		rest := body[len(head[0]):]
		var opts []string
		if i := trailingWith(rest); i >= 0 {
			clause := strings.TrimSpace(rest[i+4:])
			if inner := strings.TrimSpace(clause[1 : len(clause)-1]); inner != "" {
				quoted, _ := quoteDottedOptions(inner)
				opts = append(opts, quoted)
			}
			rest = strings.TrimSpace(rest[:i])
		}
		if format != "" {
			opts = append(opts, OptionFormat+" = '"+format+"', "+OptionEncode+" = '"+encode+"'")
		}
		if head[1] != "" {
			// IF NOT EXISTS travels as an option: CREATE VIEW has none.
			opts = append(opts, OptionIfNotExists+" = 'true'")
		}
		m := sinkFrom.FindStringSubmatch(rest)
		if m == nil {
			return nil, false
		}
		query := m[3]
		if strings.EqualFold(m[2], "FROM") {
			query = "SELECT * FROM " + query
		}
		rewritten = "CREATE VIEW " + m[1]
		if len(opts) > 0 {
			rewritten += " WITH (" + strings.Join(opts, ", ") + ")"
		}
		rewritten += " AS " + query
	default:
		m := dropObject.FindStringSubmatch(text)
		if m == nil {
			return nil, false
		}
		word := "VIEW"
		kind = DropSink
		if strings.EqualFold(m[1], "SOURCE") {
			word, kind = "TABLE", DropSource
		}
		rewritten = "DROP " + word + " " + m[2] + m[3]
	}
	res, err := pg_query.Parse(rewritten)
	if err != nil || len(res.Stmts) != 1 {
		return nil, false
	}
	return []Statement{{AST: res.Stmts[0].Stmt, Kind: kind, SQL: text, Offset: offset}}, true
}

// splitFormat cuts a trailing FORMAT ... ENCODE ... clause off text.
func splitFormat(text string) (body, format, encode string) {
	m := formatTail.FindStringSubmatchIndex(text)
	if m == nil {
		return text, "", ""
	}
	return text[:m[0]], strings.ToLower(text[m[2]:m[3]]), strings.ToLower(text[m[4]:m[5]])
}

// addOptions appends format and encode to the trailing WITH (...) of a
// CREATE TABLE, or adds a WITH clause after its column list.
func addOptions(stmt, format, encode string) string {
	if format == "" {
		return stmt
	}
	extra := OptionFormat + " = '" + format + "', " + OptionEncode + " = '" + encode + "'"
	if i := trailingWith(stmt); i >= 0 {
		return stmt[:i] + "WITH (" + extra + ", " + strings.TrimLeft(stmt[i+4:], " \t\r\n")[1:]
	}
	return stmt + " WITH (" + extra + ")"
}

// trailingWith returns the offset of a "WITH (...)" clause that ends text,
// or -1.
func trailingWith(text string) int {
	t := strings.TrimRight(text, " \t\r\n")
	if !strings.HasSuffix(t, ")") {
		return -1
	}
	depth := 0
	inQuote := false
	for i := len(t) - 1; i >= 0; i-- {
		c := t[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
		case inQuote:
		case c == ')':
			depth++
		case c == '(':
			depth--
			if depth == 0 {
				head := strings.TrimRight(t[:i], " \t\r\n")
				if len(head) >= 4 && strings.EqualFold(head[len(head)-4:], "WITH") && (len(head) == 4 || !isIdentByte(head[len(head)-5])) {
					return len(head) - 4
				}
				return -1
			}
		}
	}
	return -1
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '"'
}

// quoteDottedOptions double-quotes option names with two or more dots
// (properties.bootstrap.server) outside string literals, so that the
// Postgres grammar accepts them as one name.
func quoteDottedOptions(text string) (string, bool) {
	var b strings.Builder
	changed := false
	inQuote := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '\'' {
			inQuote = !inQuote
		}
		if !inQuote && (i == 0 || !isIdentByte(text[i-1]) && text[i-1] != '.') {
			if m := dottedKey.FindString(text[i:]); m != "" {
				b.WriteString(`"` + m + `"`)
				i += len(m) - 1
				changed = true
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String(), changed
}
