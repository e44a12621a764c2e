package catalog

import "strings"

// The lookups behind the pg_get_* catalog functions, over the same
// VirtualInput the catalog rows come from, so that the text a function
// returns always matches the rows a client joined on.

// IndexDefinition implements pg_get_indexdef(indexOID, column, pretty):
// column 0 gives the CREATE INDEX statement, column k > 0 the name of the
// k-th key column. ok is false when there is no such index (Postgres then
// returns NULL).
func IndexDefinition(in *VirtualInput, indexOID uint32, column int) (def string, ok bool) {
	v := newVirtualContext(in)
	for _, r := range v.rels {
		for i := range r.indexes {
			ix := &r.indexes[i]
			if ix.OID != indexOID {
				continue
			}
			if column == 0 {
				return indexDef(r.d, ix), true
			}
			names := slotNames(r.d, ix.Columns)
			if column < 0 || column > len(names) {
				return "", false
			}
			return quoteIdent(names[column-1]), true
		}
	}
	return "", false
}

// indexDef is the CREATE INDEX text of ix: its stored Def, or one built the
// way pg_get_indexdef prints it.
func indexDef(d *Descriptor, ix *Index) string {
	if ix.Def != "" {
		return ix.Def
	}
	var b strings.Builder
	b.WriteString("CREATE ")
	if ix.Unique {
		b.WriteString("UNIQUE ")
	}
	b.WriteString("INDEX ")
	b.WriteString(quoteIdent(ix.Name))
	b.WriteString(" ON ")
	b.WriteString(qualifiedName(d.Namespace, d.Name))
	b.WriteString(" USING btree (")
	b.WriteString(quotedList(slotNames(d, ix.Columns)))
	b.WriteString(")")
	return b.String()
}

func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ", ")
}

// ConstraintDefinition implements pg_get_constraintdef(constraintOID):
// "PRIMARY KEY (a, b)" or "CHECK ((a > 0))".
func ConstraintDefinition(in *VirtualInput, constraintOID uint32) (def string, ok bool) {
	v := newVirtualContext(in)
	for _, r := range v.rels {
		if pk := r.primaryIndex(); pk != nil && pkConstraintOID(r.d, pk) == constraintOID {
			return "PRIMARY KEY (" + quotedList(slotNames(r.d, pk.Columns)) + ")", true
		}
		for _, c := range r.d.Checks {
			if c.OID == constraintOID {
				return checkDef(c.Expr), true
			}
		}
	}
	return "", false
}

// checkDef prints a CHECK constraint the way pg_get_constraintdef does: the
// expression inside one pair of parentheses of its own plus the CHECK's.
func checkDef(expr string) string {
	if wrappedInParens(expr) {
		return "CHECK (" + expr + ")"
	}
	return "CHECK ((" + expr + "))"
}

// wrappedInParens reports whether s is one parenthesized group as a whole.
func wrappedInParens(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return false
	}
	depth := 0
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			inQuote = !inQuote
		case inQuote:
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 && i != len(s)-1 {
				return false
			}
		}
	}
	return depth == 0
}

// ViewDefinition implements pg_get_viewdef(viewOID): the defining query of
// a view or materialized view.
func ViewDefinition(in *VirtualInput, viewOID uint32) (def string, ok bool) {
	for _, d := range in.Relations {
		if d.OID == viewOID && (d.Kind == KindView || d.Kind == KindMaterializedView) {
			return ViewDefinitionText(d.Query), true
		}
	}
	return "", false
}

// ViewDefinitionText is a view's query the way pg_get_viewdef,
// pg_views.definition and information_schema.views print it: a leading
// space and a closing semicolon (psql's \d+ and \sv and the IDEs show it
// so). The query itself is the text the view was created with.
func ViewDefinitionText(query string) string {
	q := strings.TrimSpace(query)
	if q == "" {
		return ""
	}
	if !strings.HasSuffix(q, ";") {
		q += ";"
	}
	return " " + q
}

// RelationComment implements obj_description(oid, 'pg_class') and
// col_description(oid, attnum) (attnum 0 for the relation itself).
func RelationComment(in *VirtualInput, relOID uint32, attnum int16) (comment string, ok bool) {
	for _, d := range in.Relations {
		if d.OID != relOID {
			continue
		}
		if attnum == 0 {
			return d.Comment, d.Comment != ""
		}
		for i := range d.Columns {
			if attNum(d, i) == attnum && d.Columns[i].Comment != "" {
				return d.Columns[i].Comment, true
			}
		}
	}
	return "", false
}
