package server

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/errors"
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/exec"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
	"github.com/streamdb/streamdb/state"
)

// txnStatus is the session's transaction block state.
type txnStatus uint8

const (
	txnIdle   txnStatus = iota // autocommit: each statement is its own transaction
	txnOpen                    // inside BEGIN ... COMMIT
	txnFailed                  // an error happened inside the block: only ROLLBACK works
)

// session is the server side of one client connection.
type session struct {
	srv      *Server
	info     pgwire.StartupInfo
	settings *settings
	started  time.Time

	status     txnStatus
	txn        *state.Txn
	txnStart   time.Time
	savepoints []namedSavepoint
	// lazy guards the lazy begin of txn (lookup_txn.go).
	lazy lazyTxnLock
	// plans are the bound plans of prepared SELECTs (lookup_plan.go).
	plans sessionPlans
	// created lists the relations and indexes created in the open
	// transaction block, dropped again if it rolls back (txn_ddl.go).
	created []createdObject
	// currval is the last value nextval returned per sequence.
	currval map[uint32]int64
	// viewSnap pins the state store while a statement reads views.
	viewSnap *viewSnapshot
	// cursors are the open SQL cursors by name (cursor.go).
	cursors map[string]*cursor
	// notify is the LISTEN/NOTIFY state (notify.go).
	notify sessionNotify

	// activity for pg_stat_activity.
	query      string
	queryStart time.Time
	state      string
}

type namedSavepoint struct {
	name string
	sp   state.Savepoint
	// created is len(session.created) when the savepoint was taken.
	created int
	// notify marks the LISTEN/NOTIFY of the transaction so far (notify.go).
	notify notifyMark
}

// NewSession implements pgwire.Backend.
func (s *Server) NewSession(ctx context.Context, info pgwire.StartupInfo) (pgwire.Session, map[string]string, error) {
	if info.Database != "" && info.Database != "streamdb" {
		return nil, nil, types.Errorf(types.CodeInvalidCatalogName, "database %q does not exist", info.Database)
	}
	if _, ok := s.cat.RoleByName(info.User); !ok {
		if _, configured := s.opts.Users[info.User]; !configured {
			return nil, nil, types.Errorf(types.CodeInvalidAuthorizationSpec, "role %q does not exist", info.User)
		}
	}
	sess := &session{srv: s, info: info, started: time.Now(), state: "idle"}
	sess.settings = newSettings(info.User)
	report := map[string]string{}
	for k, v := range info.Params {
		switch strings.ToLower(k) {
		case "user", "database", "replication":
			continue
		case "options":
			// -c name=value pairs (PGOPTIONS).
			for _, f := range strings.Fields(v) {
				f = strings.TrimPrefix(f, "-c")
				if name, val, ok := strings.Cut(f, "="); ok {
					_ = sess.settings.set(name, val)
				}
			}
			continue
		}
		if err := sess.settings.set(k, v); err != nil {
			return nil, nil, err
		}
	}
	for _, name := range reportedSettings {
		report[settingDisplayName(name)] = sess.settings.get(name)
	}
	report["server_version"] = serverVersion
	report["is_superuser"] = "off"
	if sess.currentRole().Superuser { // roles.go
		report["is_superuser"] = "on"
	}
	report["session_authorization"] = info.User
	s.mu.Lock()
	s.sessions[info.BackendPID] = sess
	s.mu.Unlock()
	return sess, report, nil
}

// Close implements pgwire.Session.
func (sess *session) Close() {
	if sess.txn != nil {
		sess.txn.Rollback()
		sess.txn = nil
	}
	sess.undoCreations(0)
	sess.releaseAdvisoryLocks() // advisory.go
	sess.closeNotify()          // notify.go
	sess.srv.mu.Lock()
	delete(sess.srv.sessions, sess.info.BackendPID)
	sess.srv.mu.Unlock()
}

// TxStatus implements pgwire.Session.
func (sess *session) TxStatus() byte {
	switch sess.status {
	case txnOpen:
		return 'T'
	case txnFailed:
		return 'E'
	}
	return 'I'
}

// Sync implements pgwire.Session: nothing is pending between messages,
// since every statement outside a block commits when it completes.
func (sess *session) Sync(ctx context.Context) error { return nil }

// SimpleQuery implements pgwire.Session.
func (sess *session) SimpleQuery(ctx context.Context, sql string, w pgwire.ResultWriter) error {
	if isShowMaterializedViews(sql) {
		return sess.showMaterializedViews(w)
	}
	stmts, err := parser.Parse(sql)
	if err != nil {
		sess.noteError(err)
		return err
	}
	if len(stmts) == 0 {
		return w.EmptyQuery()
	}
	// Several statements in one Query message run as one transaction
	// unless they contain transaction control themselves (Postgres rule).
	implicit := false
	if len(stmts) > 1 && sess.status == txnIdle {
		implicit = true
		for _, st := range stmts {
			if st.AST != nil && st.AST.GetTransactionStmt() != nil {
				implicit = false
			}
			// FLUSH waits for earlier writes: they must be committed.
			if st.Kind == parser.Flush {
				implicit = false
			}
		}
	}
	if implicit {
		sess.beginTxn()
		sess.status = txnOpen
	}
	for _, st := range stmts {
		if err := sess.runStatement(ctx, st, nil, nil, w, true); err != nil {
			if implicit {
				sess.endTxn(false)
			}
			return err
		}
	}
	if implicit && sess.status != txnIdle {
		if sess.status == txnFailed {
			sess.endTxn(false)
			return nil
		}
		if err := sess.commitTxn(); err != nil {
			sess.noteError(err)
			return err
		}
	}
	return nil
}

// preparedStmt is a statement of the extended protocol.
type preparedStmt struct {
	sess       *session
	st         parser.Statement
	paramTypes []*types.T
	cols       types.Schema
}

func (p *preparedStmt) ParamTypes() []*types.T { return p.paramTypes }
func (p *preparedStmt) Columns() types.Schema  { return p.cols }
func (p *preparedStmt) Close()                 {}
func (p *preparedStmt) Execute(ctx context.Context, params []types.Datum, w pgwire.ResultWriter) error {
	return p.sess.runStatement(ctx, p.st, p.paramTypes, params, w, false)
}

// emptyStmt is a prepared empty query.
type emptyStmt struct{}

func (emptyStmt) ParamTypes() []*types.T { return nil }
func (emptyStmt) Columns() types.Schema  { return nil }
func (emptyStmt) Close()                 {}
func (emptyStmt) Execute(ctx context.Context, params []types.Datum, w pgwire.ResultWriter) error {
	return w.EmptyQuery()
}

// Prepare implements pgwire.Session.
func (sess *session) Prepare(ctx context.Context, sql string, paramOIDs []uint32) (pgwire.Statement, error) {
	stmts, err := parser.Parse(sql)
	if err != nil {
		return nil, err
	}
	if len(stmts) == 0 {
		return emptyStmt{}, nil
	}
	if len(stmts) > 1 {
		return nil, types.Errorf(types.CodeSyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	paramTypes := make([]*types.T, len(paramOIDs))
	for i, oid := range paramOIDs {
		if oid != 0 {
			t := types.ByOid(oid)
			if t == nil {
				return nil, types.Errorf(types.CodeUndefinedObject, "type with OID %d does not exist", oid)
			}
			paramTypes[i] = t
		}
	}
	p := &preparedStmt{sess: sess, st: stmts[0]}
	ptypes, cols, err := sess.describe(stmts[0], paramTypes)
	if err != nil {
		return nil, err
	}
	p.paramTypes, p.cols = ptypes, cols
	return p, nil
}

// describe binds a statement to learn its parameter types and result
// columns without running it.
func (sess *session) describe(st parser.Statement, paramTypes []*types.T) ([]*types.T, types.Schema, error) {
	if st.AST == nil {
		return paramTypes, nil, nil
	}
	b := sess.binder(st, paramTypes)
	n := st.AST
	if _, ok := savepointURL(n); ok {
		return paramTypes, savepointColumns, nil
	}
	switch {
	case n.GetSelectStmt() != nil:
		node, err := b.BindSelect(n)
		if err != nil {
			return nil, nil, err
		}
		return b.ParamTypes(), visible(node.Columns()), nil
	case n.GetInsertStmt() != nil:
		p, err := b.BindInsert(n.GetInsertStmt())
		if err != nil {
			return nil, nil, err
		}
		return b.ParamTypes(), returningCols(p.Returning), nil
	case n.GetUpdateStmt() != nil:
		p, err := b.BindUpdate(n.GetUpdateStmt())
		if err != nil {
			return nil, nil, err
		}
		return b.ParamTypes(), returningCols(p.Returning), nil
	case n.GetDeleteStmt() != nil:
		p, err := b.BindDelete(n.GetDeleteStmt())
		if err != nil {
			return nil, nil, err
		}
		return b.ParamTypes(), returningCols(p.Returning), nil
	case n.GetVariableShowStmt() != nil:
		name := n.GetVariableShowStmt().Name
		if strings.EqualFold(name, "all") {
			return nil, showAllCols, nil
		}
		return nil, types.Schema{{Name: strings.ToLower(name), Type: types.Text}}, nil
	case n.GetExplainStmt() != nil:
		return nil, types.Schema{{Name: "QUERY PLAN", Type: types.Text}}, nil
	case n.GetFetchStmt() != nil:
		cols, err := sess.cursorColumns(n.GetFetchStmt()) // cursor.go
		return paramTypes, cols, err
	case n.GetDeclareCursorStmt() != nil && n.GetDeclareCursorStmt().Query.GetSelectStmt() != nil:
		// DECLARE returns no rows; its query's parameters are the statement's.
		if _, err := b.BindSelect(n.GetDeclareCursorStmt().Query); err != nil {
			return nil, nil, err
		}
		return b.ParamTypes(), nil, nil
	}
	return paramTypes, nil, nil
}

func returningCols(r *planner.Returning) types.Schema {
	if r == nil {
		return nil
	}
	return r.Cols
}

// visible drops hidden columns (they never reach clients).
func visible(cols types.Schema) types.Schema {
	for _, c := range cols {
		if c.Hidden {
			out := make(types.Schema, 0, len(cols))
			for _, c := range cols {
				if !c.Hidden {
					out = append(out, c)
				}
			}
			return out
		}
	}
	return cols
}

func (sess *session) binder(st parser.Statement, paramTypes []*types.T) *planner.Binder {
	return planner.NewBinder(sess.srv.cat, sess.settings.searchPath(), sqlForLocations(st), paramTypes)
}

// sqlForLocations returns the text AST locations are relative to.
func sqlForLocations(st parser.Statement) string {
	// Locations are byte offsets in the whole query string; the statement
	// text starts at Offset. Padding keeps offsets valid for positions.
	return strings.Repeat(" ", st.Offset) + st.SQL
}

func (sess *session) noteError(err error) {
	code := types.Code(err)
	sess.srv.metrics.errors.WithLabelValues(code[:2]).Inc()
}

// runStatement runs one statement: in the open transaction block, or as
// its own transaction.
func (sess *session) runStatement(ctx context.Context, st parser.Statement, paramTypes []*types.T, params []types.Datum, w pgwire.ResultWriter, simple bool) (err error) {
	sess.query, sess.queryStart, sess.state = st.SQL, time.Now(), "active"
	defer func() {
		// Release the statement's pinned view snapshot.
		sess.viewSnap.release()
		sess.viewSnap = nil
		sess.state = "idle"
		if sess.status != txnIdle {
			sess.state = "idle in transaction"
		}
		if r := recover(); r != nil {
			err = types.Errorf(types.CodeInternalError, "internal error: %v", r)
			sess.srv.logger.Error("panic while running a statement", "sql", st.SQL, "panic", r, "stack", string(debugStack()))
		}
		if err != nil {
			sess.noteError(err)
			if ctx.Err() != nil && types.Code(err) == types.CodeInternalError {
				err = types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
			}
		}
	}()
	if st.AST != nil {
		if ts := st.AST.GetTransactionStmt(); ts != nil {
			return sess.transactionStmt(ts, w)
		}
	}
	if sess.status == txnFailed {
		return types.Errorf(types.CodeInFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	sess.srv.metrics.statements.WithLabelValues(statementKind(st)).Inc()
	if d := parseDurationSetting(sess.settings.get("statement_timeout")); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
		defer func() {
			if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
				err = types.Errorf(types.CodeQueryCanceled, "canceling statement due to statement timeout")
			}
		}()
	}
	if sess.status == txnOpen {
		sp := sess.txn.Savepoint()
		before := sess.relationsBefore()
		err := sess.execute(ctx, st, paramTypes, params, w, simple)
		sess.noteCreated(st, before)
		if err != nil {
			sess.txn.RollbackTo(sp)
			sess.status = txnFailed
		}
		return err
	}
	if lazyTxnStatement(st) { // lookup_txn.go: a view read needs no table transaction
		sess.beginLazyTxn()
	} else {
		sess.beginTxn()
	}
	err = sess.execute(ctx, st, paramTypes, params, w, simple)
	if err != nil {
		sess.endTxn(false)
		return err
	}
	return sess.commitTxn()
}

func statementKind(st parser.Statement) string {
	if st.AST == nil {
		return "flush"
	}
	switch {
	case st.AST.GetSelectStmt() != nil:
		return "select"
	case st.AST.GetInsertStmt() != nil:
		return "insert"
	case st.AST.GetUpdateStmt() != nil:
		return "update"
	case st.AST.GetDeleteStmt() != nil:
		return "delete"
	case st.AST.GetCopyStmt() != nil:
		return "copy"
	}
	return "other"
}

func (sess *session) beginTxn() {
	sess.txn = sess.srv.tables.Begin()
	sess.txnStart = time.Now()
	sess.savepoints = nil
}

func (sess *session) endTxn(commit bool) {
	sess.endCursorsTxn(commit) // cursor.go
	if sess.txn != nil && !commit {
		sess.txn.Rollback()
	}
	if !commit {
		sess.undoCreations(0)
	}
	sess.created = nil
	sess.releaseXactLocks()
	sess.endNotifyTxn(commit) // notify.go
	sess.txn = nil
	sess.status = txnIdle
	sess.savepoints = nil
}

func (sess *session) commitTxn() error {
	tx := sess.txn
	sess.txn = nil
	sess.status = txnIdle
	sess.savepoints = nil
	created := sess.created
	sess.created = nil
	sess.releaseXactLocks()
	if tx == nil {
		sess.endCursorsTxn(true) // cursor.go
		sess.endNotifyTxn(true)  // notify.go
		return nil
	}
	writes := tx.HasWrites()
	if err := tx.Commit(); err != nil {
		// The block failed to commit, so it rolled back, CREATEs included.
		sess.created = created
		sess.undoCreations(0)
		sess.endCursorsTxn(false) // cursor.go
		sess.endNotifyTxn(false)  // notify.go
		return err
	}
	sess.endCursorsTxn(true)
	sess.endNotifyTxn(true) // notify.go
	if writes {
		sess.srv.metrics.commits.Inc()
		// implicit_flush: the write is visible in every view when the
		// statement (or COMMIT) returns.
		return sess.implicitFlush()
	}
	return nil
}

func (sess *session) transactionStmt(ts *pg_query.TransactionStmt, w pgwire.ResultWriter) error {
	switch ts.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
		if sess.status != txnIdle {
			_ = w.Notice("WARNING", types.CodeActiveSQLTransaction, "there is already a transaction in progress")
			return w.Complete("BEGIN")
		}
		sess.beginTxn()
		sess.status = txnOpen
		return w.Complete("BEGIN")
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
		switch sess.status {
		case txnIdle:
			_ = w.Notice("WARNING", types.CodeNoActiveSQLTransaction, "there is no transaction in progress")
			return w.Complete("COMMIT")
		case txnFailed:
			sess.endTxn(false)
			return w.Complete("ROLLBACK")
		}
		if err := sess.commitTxn(); err != nil {
			return err
		}
		return w.Complete("COMMIT")
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		if sess.status == txnIdle {
			_ = w.Notice("WARNING", types.CodeNoActiveSQLTransaction, "there is no transaction in progress")
		}
		sess.endTxn(false)
		return w.Complete("ROLLBACK")
	case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		if sess.status == txnIdle {
			return types.Errorf(types.CodeNoActiveSQLTransaction, "SAVEPOINT can only be used in transaction blocks")
		}
		if sess.status == txnFailed {
			return types.Errorf(types.CodeInFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
		}
		sess.savepoints = append(sess.savepoints, namedSavepoint{name: ts.SavepointName, sp: sess.txn.Savepoint(), created: len(sess.created), notify: sess.notifyMark()})
		return w.Complete("SAVEPOINT")
	case pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:
		i := sess.findSavepoint(ts.SavepointName)
		if i < 0 {
			return types.Errorf("3B001", "savepoint %q does not exist", ts.SavepointName)
		}
		if sess.status == txnFailed {
			return types.Errorf(types.CodeInFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
		}
		sess.savepoints = sess.savepoints[:i]
		return w.Complete("RELEASE")
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		i := sess.findSavepoint(ts.SavepointName)
		if i < 0 {
			return types.Errorf("3B001", "savepoint %q does not exist", ts.SavepointName)
		}
		sess.txn.RollbackTo(sess.savepoints[i].sp)
		sess.undoCreations(sess.savepoints[i].created)
		sess.closeCursorsAfterSavepoint(i) // cursor.go
		sess.rollbackNotifyTo(sess.savepoints[i].notify)
		sess.savepoints = sess.savepoints[:i+1]
		sess.status = txnOpen
		return w.Complete("ROLLBACK")
	case pg_query.TransactionStmtKind_TRANS_STMT_PREPARE, pg_query.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED, pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED:
		return types.Unsupported("two-phase commit")
	}
	return types.Unsupported("this transaction statement")
}

func (sess *session) findSavepoint(name string) int {
	if sess.status == txnIdle {
		return -1
	}
	for i := len(sess.savepoints) - 1; i >= 0; i-- {
		if sess.savepoints[i].name == name {
			return i
		}
	}
	return -1
}

// env returns what the executor needs for one statement.
func (sess *session) env(params []types.Datum) *exec.Env {
	now := sess.txnStart
	if now.IsZero() {
		now = time.Now()
	}
	return &exec.Env{
		Eval: &builtins.Context{
			StmtTime: now,
			Location: sess.settings.location(),
			Session:  sess,
			Catalog:  &catalogInfo{sess: sess},
		},
		Params:  params,
		Tables:  viewReader{txnReader: txnReader{tx: sess.txn, sess: sess}, views: sess.srv.views, snap: sess.statementSnapshot()},
		Virtual: &virtualTables{sess: sess},
	}
}

// txnReader reads tables through the session's transaction (begun at the
// first read when tx is nil: lookup_txn.go).
type txnReader struct {
	tx   *state.Txn
	sess *session
}

func (r txnReader) ScanTable(ctx context.Context, t planner.TableRef, fn func(types.Row) error) error {
	return r.transaction().Scan(ctx, t.ID, func(_ []byte, row types.Row) error { return fn(row) })
}

// ScanTablePrefix reads the rows whose primary key starts with prefix:
// the same merged read of snapshot and own writes as ScanTable, bounded.
func (r txnReader) ScanTablePrefix(ctx context.Context, t planner.TableRef, prefix []byte, fn func(types.Row) error) error {
	return r.transaction().ScanPrefix(ctx, t.ID, prefix, func(_ []byte, row types.Row) error { return fn(row) })
}

// execute runs one statement inside the current transaction.
func (sess *session) execute(ctx context.Context, st parser.Statement, paramTypes []*types.T, params []types.Datum, w pgwire.ResultWriter, simple bool) error {
	if st.Kind == parser.Flush {
		if sess.srv.views != nil {
			if err := sess.srv.views.flush(ctx); err != nil {
				return err
			}
		}
		return w.Complete("FLUSH")
	}
	n := st.AST
	switch {
	case n.GetSelectStmt() != nil:
		if url, ok := savepointURL(n); ok {
			return sess.savepoint(ctx, url, w)
		}
		return sess.runSelect(ctx, st, paramTypes, params, w, simple)
	case n.GetInsertStmt() != nil:
		return sess.runInsert(ctx, st, paramTypes, params, w, simple)
	case n.GetUpdateStmt() != nil:
		return sess.runUpdate(ctx, st, paramTypes, params, w, simple)
	case n.GetDeleteStmt() != nil:
		return sess.runDelete(ctx, st, paramTypes, params, w, simple)
	case n.GetVariableSetStmt() != nil:
		return sess.setStmt(n.GetVariableSetStmt(), w)
	case n.GetVariableShowStmt() != nil:
		return sess.showStmt(n.GetVariableShowStmt(), w, simple)
	case n.GetExplainStmt() != nil:
		return sess.explain(ctx, st, n.GetExplainStmt(), paramTypes, w, simple)
	case n.GetCopyStmt() != nil:
		return sess.copyStmt(ctx, st, n.GetCopyStmt(), w)
	case n.GetDeclareCursorStmt() != nil: // cursor.go
		return sess.declareCursor(ctx, st, n.GetDeclareCursorStmt(), paramTypes, params, w)
	case n.GetFetchStmt() != nil:
		return sess.fetchCursor(n.GetFetchStmt(), w, simple)
	case n.GetClosePortalStmt() != nil:
		return sess.closeCursor(n.GetClosePortalStmt(), w)
	case n.GetDiscardStmt() != nil:
		sess.settings = newSettings(sess.info.User)
		sess.cursors = nil // cursor.go
		return w.Complete("DISCARD ALL")
	case n.GetDeallocateStmt() != nil:
		return w.Complete("DEALLOCATE")
	case n.GetCheckPointStmt() != nil:
		return sess.checkpointNow(ctx, w)
	case n.GetListenStmt() != nil, n.GetUnlistenStmt() != nil, n.GetNotifyStmt() != nil:
		return sess.listenStmt(n, w) // notify.go
	case n.GetLockStmt() != nil:
		// Transactions are serialised at commit; table locks add nothing.
		return w.Complete("LOCK TABLE")
	case n.GetPrepareStmt() != nil, n.GetExecuteStmt() != nil:
		return types.Unsupported("SQL-level PREPARE/EXECUTE (use the extended protocol)")
	case n.GetDoStmt() != nil:
		return types.Unsupported("DO blocks")
	case n.GetCreatedbStmt() != nil, n.GetDropdbStmt() != nil:
		return types.Unsupported("CREATE/DROP DATABASE")
	case n.GetCreateExtensionStmt() != nil:
		return types.Unsupported("extensions")
	case n.GetVacuumStmt() != nil:
		return w.Complete("VACUUM")
	}
	return sess.ddl(ctx, st, w)
}

// Implementation of builtins.SessionInfo.

func (sess *session) User() string         { return sess.info.User }
func (sess *session) Database() string     { return "streamdb" }
func (sess *session) SearchPath() []string { return sess.settings.searchPath() }
func (sess *session) BackendPID() int32    { return sess.info.BackendPID }
func (sess *session) Setting(name string) (string, bool) {
	return sess.settings.lookup(name)
}
func (sess *session) SetSetting(name, value string, isLocal bool) error {
	return sess.settings.set(name, value)
}

// parseDurationSetting reads a time setting: a number of milliseconds or
// a number with a unit (ms, s, min, h, d).
func parseDurationSetting(v string) time.Duration {
	v = strings.TrimSpace(strings.ToLower(v))
	if v == "" || v == "0" {
		return 0
	}
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.') {
		i++
	}
	num, err := strconv.ParseFloat(v[:i], 64)
	if err != nil {
		return 0
	}
	unit := map[string]time.Duration{"": time.Millisecond, "ms": time.Millisecond, "s": time.Second, "min": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "us": time.Microsecond}[strings.TrimSpace(v[i:])]
	return time.Duration(num * float64(unit))
}

var _ = errors.New
var _ = catalog.KindTable

// statementSnapshot returns the current statement's view snapshot holder
// (created on first use; released when the statement ends).
func (sess *session) statementSnapshot() *viewSnapshot {
	if sess.viewSnap == nil {
		sess.viewSnap = &viewSnapshot{}
	}
	return sess.viewSnap
}
