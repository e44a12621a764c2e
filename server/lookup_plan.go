package server

import (
	"strings"

	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// Prepared SELECTs are bound once, not at every execution: binding a
// point SELECT (parse tree to plan, name resolution, type checking) was
// 26 µs of the 62 µs of server CPU per query in BenchmarkServingUnderIngest,
// more than the lookup. A session keeps the plans of the SELECTs it ran
// through the extended protocol, each valid while the catalog version and
// the search path it was bound under hold (every DDL, GRANT and ALTER
// bumps the catalog version); privileges are checked again at every
// execution, against the current role. Plans are read-only during
// execution (exec builds its operators from them), so one plan serves
// every execution.

// maxSessionPlans bounds the plans one session keeps; past it the cache
// starts afresh.
const maxSessionPlans = 64

// sessionPlans are a session's bound SELECT plans by statement text.
type sessionPlans map[string]*boundSelect

type boundSelect struct {
	catalogVersion uint64
	searchPath     string
	paramTypes     []*types.T
	binder         *planner.Binder
	node           planner.Node
}

// preparedSelect returns the plan of SELECT st, bound now or earlier under
// the same catalog version, search path and parameter types, after
// checking the session's privileges on what it reads.
func (sess *session) preparedSelect(st parser.Statement, paramTypes []*types.T) (planner.Node, error) {
	version := sess.srv.cat.Version() // before binding: a DDL meanwhile makes the plan stale, not wrong
	path := strings.Join(sess.settings.searchPath(), "\x00")
	key := sqlForLocations(st)
	if p := sess.plans[key]; p != nil && p.catalogVersion == version && p.searchPath == path && sameTypes(p.paramTypes, paramTypes) {
		if err := sess.checkAccess(p.binder); err != nil { // privileges.go
			return nil, err
		}
		return p.node, nil
	}
	b := sess.binder(st, paramTypes)
	node, err := b.BindSelect(st.AST)
	if err != nil {
		return nil, err
	}
	if err := sess.checkAccess(b); err != nil { // privileges.go
		return nil, err
	}
	if sess.plans == nil || len(sess.plans) >= maxSessionPlans {
		sess.plans = sessionPlans{}
	}
	sess.plans[key] = &boundSelect{catalogVersion: version, searchPath: path, paramTypes: append([]*types.T(nil), paramTypes...), binder: b, node: node}
	return node, nil
}

func sameTypes(a, b []*types.T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && (a[i] == nil || b[i] == nil || a[i].Oid != b[i].Oid || a[i].Typmod != b[i].Typmod) {
			return false
		}
	}
	return true
}
