package server

import (
	"slices"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sql/parser"
)

// Relations and indexes created inside a transaction block are dropped
// again when the block rolls back (ROLLBACK, a failed block ended by
// COMMIT, ROLLBACK TO a savepoint taken before them, a multi-statement
// query that fails, or a disconnect), as Postgres does: migration tools
// wrap each migration in BEGIN/COMMIT and expect a migration that fails
// halfway to leave nothing behind. Other schema changes (ALTER TABLE
// ADD/DROP COLUMN, RENAME, DROP, COMMENT) still take effect at once and
// stay.

// createdObject is a relation, or an index of a relation, created in the
// open transaction block.
type createdObject struct {
	oid uint32
	// table is the OID of the index's table; 0 for a relation.
	table uint32
}

// relationsBefore returns the catalog's relations before a statement in a
// transaction block runs (a shared, immutable slice: no copy).
func (sess *session) relationsBefore() []*catalog.Descriptor {
	return sess.srv.cat.Relations()
}

// createTargets names what a statement creates: the relation names it
// creates (CREATE TABLE/VIEW/MATERIALIZED VIEW/SEQUENCE, CREATE SINK and
// SOURCE, which parse as those, CREATE TABLE AS, SELECT INTO), or the
// table it adds an index to (CREATE INDEX). Other statements create
// nothing.
func createTargets(st parser.Statement) (relations []string, indexOn string) {
	n := st.AST
	if n == nil {
		return nil, ""
	}
	switch {
	case n.GetCreateStmt() != nil:
		if r := n.GetCreateStmt().Relation; r != nil {
			relations = append(relations, r.Relname)
		}
	case n.GetViewStmt() != nil:
		if r := n.GetViewStmt().View; r != nil {
			relations = append(relations, r.Relname)
		}
	case n.GetCreateTableAsStmt() != nil:
		if in := n.GetCreateTableAsStmt().Into; in != nil && in.Rel != nil {
			relations = append(relations, in.Rel.Relname)
		}
	case n.GetCreateSeqStmt() != nil:
		if r := n.GetCreateSeqStmt().Sequence; r != nil {
			relations = append(relations, r.Relname)
		}
	case n.GetSelectStmt() != nil:
		if in := n.GetSelectStmt().IntoClause; in != nil && in.Rel != nil {
			relations = append(relations, in.Rel.Relname)
		}
	case n.GetIndexStmt() != nil:
		if r := n.GetIndexStmt().Relation; r != nil {
			indexOn = r.Relname
		}
	}
	return relations, indexOn
}

// noteCreated records what the statement just run created: relations in
// the catalog now that were not in before, and new indexes of relations
// that were. Only objects the statement itself names count: the catalog
// is shared, and a relation another session created meanwhile must never
// be dropped by this session's rollback.
func (sess *session) noteCreated(st parser.Statement, before []*catalog.Descriptor) {
	names, indexOn := createTargets(st)
	if len(names) == 0 && indexOn == "" {
		return
	}
	after := sess.srv.cat.Relations()
	if len(after) == len(before) && (len(after) == 0 || &after[0] == &before[0]) {
		return // the same cached slice: the catalog did not change
	}
	old := make(map[uint32]*catalog.Descriptor, len(before))
	for _, d := range before {
		old[d.OID] = d
	}
	for _, d := range after {
		prev, existed := old[d.OID]
		if !existed {
			if slices.Contains(names, d.Name) {
				sess.created = append(sess.created, createdObject{oid: d.OID})
			}
			continue
		}
		if prev == d || d.Name != indexOn {
			continue
		}
		for _, ix := range d.Indexes {
			if !slices.ContainsFunc(prev.Indexes, func(p catalog.Index) bool { return p.OID == ix.OID }) {
				sess.created = append(sess.created, createdObject{oid: ix.OID, table: d.OID})
			}
		}
	}
}

// undoCreations drops, newest first, what was recorded since mark: indexes,
// and relations with their data, dataflows, sinks and owned sequences. What
// is already gone is skipped; a relation that another session has since
// built on is kept and logged.
func (sess *session) undoCreations(mark int) {
	for i := len(sess.created) - 1; i >= mark; i-- {
		if c := sess.created[i]; c.table != 0 {
			sess.undoIndex(c)
		} else {
			sess.undoRelation(c.oid, sess.created[mark:])
		}
	}
	sess.created = sess.created[:mark]
}

func (sess *session) undoIndex(c createdObject) {
	d, ok := sess.srv.cat.ByOID(c.table)
	if !ok {
		return
	}
	i := slices.IndexFunc(d.Indexes, func(ix catalog.Index) bool { return ix.OID == c.oid })
	if i < 0 {
		return
	}
	d = d.Clone()
	d.Indexes = slices.Delete(d.Indexes, i, i+1)
	if err := sess.srv.cat.Update(d); err != nil {
		sess.srv.logger.Error("rollback could not drop an index created in the transaction", "table", d.Name, "err", err)
		return
	}
	if err := sess.srv.tables.DropTableData(c.oid); err != nil {
		sess.srv.logger.Error("rollback could not drop index entries", "table", d.Name, "err", err)
	}
}

func (sess *session) undoRelation(oid uint32, created []createdObject) {
	cat := sess.srv.cat
	d, ok := cat.ByOID(oid)
	if !ok {
		return
	}
	for _, dep := range cat.Dependents(d.OID) {
		if !slices.Contains(created, createdObject{oid: dep.OID}) {
			sess.srv.logger.Warn("rollback keeps a relation created in the transaction: another object depends on it",
				"relation", d.Name, "dependent", dep.Name)
			return
		}
	}
	oids := []uint32{d.OID}
	dropped := []*catalog.Descriptor{d}
	for _, s := range cat.OwnedSequences(d.OID) {
		oids = append(oids, s.OID)
		dropped = append(dropped, s)
	}
	if err := cat.Drop(oids...); err != nil {
		sess.srv.logger.Error("rollback could not drop a relation created in the transaction", "relation", d.Name, "err", err)
		return
	}
	for _, x := range dropped {
		sess.dropData(x)
	}
}
