package server

import (
	"sync"
	"time"

	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/state"
)

// Autocommit SELECTs begin their table transaction lazily, at their first
// read of a plain table. state.TableStore.Begin takes the table store's
// commit mutex, which a writer holds while Pebble applies its batch (a
// nexmark chunk of 10,000 rows, a COPY): a point SELECT on a materialized
// view, which reads no plain table, used to wait behind every such apply
// twice (Begin, then the read-only Commit) and spent most of its latency
// there under ingest (BenchmarkServingUnderIngest, block profile).

// lazyTxnStatement reports whether st may run without a table
// transaction until it reads a table: a SELECT that writes nothing and
// locks nothing (no INTO, no FOR UPDATE/SHARE, no data-modifying WITH).
func lazyTxnStatement(st parser.Statement) bool {
	if st.AST == nil {
		return false
	}
	sel := st.AST.GetSelectStmt()
	if sel == nil || sel.IntoClause != nil || len(sel.LockingClause) > 0 {
		return false
	}
	if w := sel.WithClause; w != nil {
		for _, c := range w.Ctes {
			if cte := c.GetCommonTableExpr(); cte == nil || cte.Ctequery.GetSelectStmt() == nil {
				return false
			}
		}
	}
	if _, ok := savepointURL(st.AST); ok {
		return false
	}
	return true
}

// beginLazyTxn starts an autocommit statement whose table transaction
// begins at its first table read (lazyTxn).
func (sess *session) beginLazyTxn() {
	sess.txn = nil
	sess.txnStart = time.Now()
	sess.savepoints = nil
}

// lazyTxnLock guards a session's lazy begin.
type lazyTxnLock struct{ mu sync.Mutex }

// lazyTxn returns the session's transaction, beginning it if the
// statement has none yet. Scans of one statement may run concurrently.
func (sess *session) lazyTxn() *state.Txn {
	sess.lazy.mu.Lock()
	defer sess.lazy.mu.Unlock()
	if sess.txn == nil {
		sess.txn = sess.srv.tables.Begin()
	}
	return sess.txn
}

// transaction is the transaction a txnReader reads through.
func (r txnReader) transaction() *state.Txn {
	if r.tx != nil || r.sess == nil {
		return r.tx
	}
	return r.sess.lazyTxn()
}
