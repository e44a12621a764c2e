package server

import (
	"slices"

	"github.com/streamdb/streamdb/catalog"
)

// Relations created inside a transaction block are dropped again when the
// block rolls back (ROLLBACK, a failed block ended by COMMIT, ROLLBACK TO
// a savepoint taken before them, a multi-statement query that fails, or a
// disconnect), as Postgres does: migration tools wrap each migration in
// BEGIN/COMMIT and expect a migration that fails halfway to leave nothing
// behind. Other schema changes (ALTER, DROP, CREATE INDEX on an existing
// table) still take effect at once and stay.

// relationsBefore returns the catalog's relations before a statement in a
// transaction block runs (a shared, immutable slice: no copy).
func (sess *session) relationsBefore() []*catalog.Descriptor {
	return sess.srv.cat.Relations()
}

// noteCreated records the relations that the statement just run created:
// those in the catalog now that were not in before.
func (sess *session) noteCreated(before []*catalog.Descriptor) {
	after := sess.srv.cat.Relations()
	if len(after) == len(before) && (len(after) == 0 || after[0] == before[0] && after[len(after)-1] == before[len(before)-1]) {
		return
	}
	known := make(map[uint32]bool, len(before))
	for _, d := range before {
		known[d.OID] = true
	}
	for _, d := range after {
		if !known[d.OID] {
			sess.created = append(sess.created, d.OID)
		}
	}
}

// undoCreations drops, newest first, the relations recorded since mark,
// with their data, dataflows, sinks and owned sequences. A relation that
// is already gone is skipped; one that another session has since built on
// is kept and logged.
func (sess *session) undoCreations(mark int) {
	cat := sess.srv.cat
	for i := len(sess.created) - 1; i >= mark; i-- {
		d, ok := cat.ByOID(sess.created[i])
		if !ok {
			continue
		}
		oids := []uint32{d.OID}
		for _, dep := range cat.Dependents(d.OID) {
			if !slices.Contains(sess.created[mark:], dep.OID) {
				sess.srv.logger.Warn("rollback keeps a relation created in the transaction: another object depends on it",
					"relation", d.Name, "dependent", dep.Name)
				oids = nil
				break
			}
		}
		if oids == nil {
			continue
		}
		dropped := []*catalog.Descriptor{d}
		for _, s := range cat.OwnedSequences(d.OID) {
			oids = append(oids, s.OID)
			dropped = append(dropped, s)
		}
		if err := cat.Drop(oids...); err != nil {
			sess.srv.logger.Error("rollback could not drop a relation created in the transaction", "relation", d.Name, "err", err)
			continue
		}
		for _, x := range dropped {
			sess.dropData(x)
		}
	}
	sess.created = sess.created[:mark]
}
