package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/sql/exec"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// searchPathOption stores the creator's search path with a view, so that
// the query binds to the same relations when the server restarts.
const searchPathOption = "search_path"

// createMaterializedView runs CREATE MATERIALIZED VIEW: validate and plan
// the query for streaming, record the descriptor, then backfill and commit
// the view's first epoch before answering.
func (sess *session) createMaterializedView(ctx context.Context, st parser.Statement, ct *pg_query.CreateTableAsStmt, w pgwire.ResultWriter) error {
	views := sess.srv.views
	if views == nil {
		return types.Unsupported("materialized views (the view runtime is not running)")
	}
	into := ct.Into
	if into == nil || into.Rel == nil {
		return types.Errorf(types.CodeSyntaxError, "CREATE MATERIALIZED VIEW without a name")
	}
	if into.SkipData {
		return types.Unsupported("CREATE MATERIALIZED VIEW ... WITH NO DATA")
	}
	schema, name, exists, err := sess.newRelationName(into.Rel, ct.IfNotExists, w)
	if err != nil || exists {
		if exists {
			return w.Complete("CREATE MATERIALIZED VIEW")
		}
		return err
	}
	opts := map[string]string{}
	for _, o := range into.Options {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		key := strings.ToLower(d.Defname)
		opts[key] = defString(d.Arg)
	}
	if err := validateViewTTL(opts); err != nil { // ttl_view.go
		return err
	}
	plan, cols, err := sess.planMaterializedView(st, ct)
	if err != nil {
		return err
	}
	query, err := deparseQuery(ct.Query)
	if err != nil {
		return err
	}
	opts[searchPathOption] = strings.Join(sess.settings.searchPath(), ",")
	desc := &catalog.Descriptor{Kind: catalog.KindMaterializedView, Namespace: schema, Name: name, Owner: sess.info.User, Query: query, Options: opts}
	aliases := nameStrings(into.ColNames)
	if len(aliases) > len(cols) {
		return types.Errorf(types.CodeSyntaxError, "too many column names were specified")
	}
	seen := map[string]bool{}
	for i, c := range cols {
		cname := c.Name
		if i < len(aliases) {
			cname = aliases[i]
		}
		if seen[cname] {
			return types.Errorf(types.CodeDuplicateColumn, "column %q specified more than once", cname)
		}
		seen[cname] = true
		desc.Columns = append(desc.Columns, catalog.Column{Name: cname, TypeOid: c.Type.Oid, Typmod: c.Type.Typmod, AttNum: int16(i + 1)})
	}
	desc.DependsOn = sess.dependencies(ct.Query)
	names, err := recordBoundNames(sess.srv.cat, desc.DependsOn, ct.Query)
	if err != nil {
		return err
	}
	opts[boundNamesOption] = names
	if err := sess.srv.cat.Create(desc); err != nil {
		return err
	}
	if err := views.create(ctx, desc, plan); err != nil {
		// Leave nothing behind: the view never answered.
		_ = sess.srv.cat.Drop(desc.OID)
		_ = views.drop(desc.OID)
		return err
	}
	return w.Complete("CREATE MATERIALIZED VIEW")
}

// planMaterializedView binds a view's query for streaming and returns the
// plan (hidden columns projected away) and its columns.
func (sess *session) planMaterializedView(st parser.Statement, ct *pg_query.CreateTableAsStmt) (planner.Node, types.Schema, error) {
	b := sess.binder(st, nil)
	plan, err := b.BindMaterializedView(ct.Query)
	if err != nil {
		return nil, nil, err
	}
	if err := sess.checkAccess(b); err != nil { // privileges.go
		return nil, nil, err
	}
	if len(b.ParamTypes()) > 0 {
		return nil, nil, types.Errorf(types.CodeUndefinedParameter, "there is no parameter $1")
	}
	plan = visibleOnly(plan)
	return plan, plan.Columns(), nil
}

// explainMaterializedView answers EXPLAIN CREATE MATERIALIZED VIEW: the
// streaming plan with the state each operator keeps.
func (sess *session) explainMaterializedView(st parser.Statement, ct *pg_query.CreateTableAsStmt) ([]string, error) {
	plan, _, err := sess.planMaterializedView(st, ct)
	if err != nil {
		return nil, err
	}
	name := "?"
	if ct.Into != nil && ct.Into.Rel != nil {
		name = ct.Into.Rel.Relname
	}
	lines := []string{fmt.Sprintf("StreamMaterialize %s  [view rows by key group, max_parallelism %d]", name, maxParallelism)}
	lines = append(lines, indent(exec.ExplainStream(plan))...)
	workers, err := sess.srv.views.explainWorkers(context.Background(), plan, ct.Into) // views_parallel.go
	if err != nil {
		return nil, err
	}
	return append(lines, workers...), nil
}

// showMaterializedViews answers SHOW MATERIALIZED VIEWS.
func (sess *session) showMaterializedViews(w pgwire.ResultWriter) error {
	if err := w.Columns(types.Schema{{Name: "Name", Type: types.Text}}); err != nil {
		return err
	}
	path := sess.settings.searchPath()
	for _, d := range sess.srv.cat.Relations() {
		if d.Kind != catalog.KindMaterializedView {
			continue
		}
		onPath := false
		for _, s := range path {
			onPath = onPath || s == d.Namespace
		}
		if !onPath {
			continue
		}
		if err := w.Row(types.Row{types.DString(d.Name)}); err != nil {
			return err
		}
	}
	return w.Complete("SHOW")
}

// isShowMaterializedViews recognises the dialect statement, which the
// Postgres parser does not know.
func isShowMaterializedViews(sql string) bool {
	f := strings.Fields(strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(sql), ";"))))
	return len(f) == 3 && f[0] == "show" && f[1] == "materialized" && f[2] == "views"
}

// implicitFlush waits for the views to cover the commit just made when
// implicit_flush is on (every committed write, autocommit or COMMIT).
func (sess *session) implicitFlush() error {
	if sess.srv.views == nil {
		return nil
	}
	if v := strings.ToLower(sess.settings.get("implicit_flush")); v != "on" && v != "true" && v != "1" && v != "yes" {
		return nil
	}
	return sess.srv.views.flush(context.Background())
}

// viewReader routes scans of materialized views to the state store and
// everything else to the session's transaction.
type viewReader struct {
	txnReader
	views *viewManager
	// snap pins the state store for the statement (nil: scan the latest).
	snap *viewSnapshot
}

func (r viewReader) ScanTable(ctx context.Context, t planner.TableRef, fn func(types.Row) error) error {
	if r.views != nil && r.views.isView(t.ID) {
		if d, ok := r.views.srv.cat.ByOID(t.ID); ok && isBlackholeSink(d) { // blackhole_sink.go
			return errReadBlackholeSink(d.Name)
		}
		fn = r.views.srv.ttl.userRead(t.ID, fn) // ttl_view_read.go: a user's read refreshes TTL
		if r.snap != nil {
			return r.views.scanRowsAt(ctx, r.snap.get(r.views), t.ID, fn)
		}
		return r.views.scanRows(ctx, t.ID, fn)
	}
	return r.txnReader.ScanTable(ctx, t, fn)
}

// ScanTablePrefix is ScanTable restricted to the rows whose key starts with
// prefix (exec.TablePrefixReader): a view's leading columns, a table's
// leading primary key columns.
func (r viewReader) ScanTablePrefix(ctx context.Context, t planner.TableRef, prefix []byte, fn func(types.Row) error) error {
	if r.views != nil && r.views.isView(t.ID) {
		if d, ok := r.views.srv.cat.ByOID(t.ID); ok && isBlackholeSink(d) { // blackhole_sink.go
			return errReadBlackholeSink(d.Name)
		}
		fn = r.views.srv.ttl.userRead(t.ID, fn) // ttl_view_read.go: a user's read refreshes TTL
		if r.snap != nil {
			return r.views.lookupRows(ctx, r.snap, t.ID, prefix, fn) // lookup.go: through the row cache
		}
		return r.views.scanRowsPrefixAt(ctx, r.views.store.DB(), t.ID, prefix, fn)
	}
	return r.txnReader.ScanTablePrefix(ctx, t, prefix, fn)
}

var (
	_ exec.TableReader       = viewReader{}
	_ exec.TablePrefixReader = viewReader{}
)

// boundNamesOption stores, with a view, the names its query used for the
// relations and columns it reads. The query is re-bound from its text at
// every start; renaming a table or a column later must not break it (views
// refer to relations by OID, as in Postgres), so the re-binding resolves
// the recorded names to the recorded OIDs and sees their columns under the
// recorded names.
const boundNamesOption = "bound_names"

type boundRelation struct {
	OID       uint32           `json:"oid"`
	Namespace string           `json:"schema"`
	Name      string           `json:"name"`
	Columns   map[int16]string `json:"columns"`
	// Used lists the columns the query may read (by name, so a same-named
	// column of another relation counts too: conservative); UsedAll is set
	// when the query has a * (every column).
	Used    []int16 `json:"used,omitempty"`
	UsedAll bool    `json:"used_all,omitempty"`
}

// columnRefs collects the column names a query refers to, and whether it
// uses *.
func columnRefs(q *pg_query.Node) (map[string]bool, bool) {
	names := map[string]bool{}
	star := false
	walkMessage(q.ProtoReflect(), func(m protoreflect.Message) {
		cr, ok := m.Interface().(*pg_query.ColumnRef)
		if !ok || len(cr.Fields) == 0 {
			return
		}
		last := cr.Fields[len(cr.Fields)-1]
		if last.GetAStar() != nil {
			star = true
			return
		}
		if str := last.GetString_(); str != nil {
			names[str.Sval] = true
		}
	})
	return names, star
}

func recordBoundNames(cat *catalog.Catalog, deps []uint32, q *pg_query.Node) (string, error) {
	used, star := columnRefs(q)
	var rels []boundRelation
	for _, oid := range deps {
		d, ok := cat.ByOID(oid)
		if !ok {
			continue
		}
		r := boundRelation{OID: oid, Namespace: d.Namespace, Name: d.Name, Columns: map[int16]string{}}
		r.UsedAll = star
		for _, c := range d.Columns {
			if !c.Dropped {
				r.Columns[c.AttNum] = c.Name
				if used[c.Name] {
					r.Used = append(r.Used, c.AttNum)
				}
			}
		}
		rels = append(rels, r)
	}
	b, err := json.Marshal(rels)
	return string(b), err
}

// boundNamesCatalog resolves a view's recorded names to the recorded
// relations (see boundNamesOption), and other names as the catalog does.
type boundNamesCatalog struct {
	cat  *catalog.Catalog
	rels []boundRelation
}

func newBoundNamesCatalog(cat *catalog.Catalog, d *catalog.Descriptor) planner.Catalog {
	var rels []boundRelation
	if s := d.Options[boundNamesOption]; s != "" {
		_ = json.Unmarshal([]byte(s), &rels)
	}
	return &boundNamesCatalog{cat: cat, rels: rels}
}

func (b *boundNamesCatalog) ResolveRelation(name, schema string, searchPath []string) (*catalog.Descriptor, error) {
	var match *boundRelation
	for i := range b.rels {
		r := &b.rels[i]
		if r.Name != name || (schema != "" && r.Namespace != schema) {
			continue
		}
		if match == nil || schema == "" && pathRank(searchPath, r.Namespace) < pathRank(searchPath, match.Namespace) {
			match = r
		}
	}
	if match == nil {
		return b.cat.ResolveRelation(name, schema, searchPath)
	}
	d, ok := b.cat.ByOID(match.OID)
	if !ok {
		return nil, types.Errorf(types.CodeUndefinedTable, "relation %q does not exist", name)
	}
	d = d.Clone()
	d.Namespace, d.Name = match.Namespace, match.Name
	for i := range d.Columns {
		c := &d.Columns[i]
		if old, ok := match.Columns[c.AttNum]; ok && !c.Dropped {
			c.Name = old
		}
	}
	return d, nil
}

func pathRank(path []string, schema string) int {
	for i, s := range path {
		if s == schema {
			return i
		}
	}
	return len(path)
}

// checkViewColumnDrop refuses to drop a column of table a materialized
// view reads (2BP01, as Postgres does).
func (sess *session) checkViewColumnDrop(table *catalog.Descriptor, col catalog.Column, cascade bool) error {
	for _, dep := range sess.srv.cat.Dependents(table.OID) {
		if dep.Kind != catalog.KindMaterializedView {
			continue
		}
		var rels []boundRelation
		if s := dep.Options[boundNamesOption]; s != "" {
			_ = json.Unmarshal([]byte(s), &rels)
		}
		reads := len(rels) == 0 // no record: assume it does
		for _, r := range rels {
			if r.OID != table.OID {
				continue
			}
			reads = reads || r.UsedAll || slices.Contains(r.Used, col.AttNum)
		}
		if !reads {
			continue
		}
		if cascade {
			return types.Unsupported("ALTER TABLE DROP COLUMN ... CASCADE of a column a materialized view reads")
		}
		return withHint(withDetail(types.Errorf(types.CodeDependentObjectsStillExist, "cannot drop column %s of table %s because other objects depend on it", col.Name, table.Name),
			fmt.Sprintf("materialized view %s depends on column %s of table %s", dep.Name, col.Name, table.Name)), "Use DROP ... CASCADE to drop the dependent objects too.")
	}
	return nil
}
