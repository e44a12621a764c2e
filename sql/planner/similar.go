package planner

import (
	"strings"

	"github.com/streamdb/streamdb/sql/types"
)

// similarToRegex translates a SQL SIMILAR TO pattern into an anchored
// POSIX regular expression, as Postgres' similar_to_escape does: % and _
// are the SQL wildcards, the regex metacharacters | * + ? {m,n} ( ) [ ]
// keep their meaning, a dot is literal, and escape (default backslash)
// quotes the next character.
func similarToRegex(pat string, escape rune, hasEscape bool) (string, error) {
	if !hasEscape {
		escape = '\\'
	}
	var sb strings.Builder
	sb.WriteString("^(?:")
	inBracket := false
	escaped := false
	for _, c := range pat {
		if escaped {
			switch c {
			case '.', '^', '$', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '\\':
				sb.WriteRune('\\')
			}
			sb.WriteRune(c)
			escaped = false
			continue
		}
		if hasEscape || escape == '\\' {
			if c == escape && escape != 0 {
				escaped = true
				continue
			}
		}
		if inBracket {
			if c == ']' {
				inBracket = false
			}
			if c == '\\' {
				sb.WriteString(`\\`)
				continue
			}
			sb.WriteRune(c)
			continue
		}
		switch c {
		case '%':
			sb.WriteString(".*")
		case '_':
			sb.WriteByte('.')
		case '.', '^', '$':
			sb.WriteRune('\\')
			sb.WriteRune(c)
		case '[':
			inBracket = true
			sb.WriteRune(c)
		default:
			sb.WriteRune(c)
		}
	}
	if escaped {
		return "", types.Errorf(types.CodeInvalidEscapeSequence, "invalid escape string")
	}
	sb.WriteString(")$")
	return sb.String(), nil
}
