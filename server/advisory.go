package server

import (
	"context"
	"sync"

	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/types"
)

// advisoryLocks is the server's table of advisory locks
// (pg_advisory_lock and friends). Its zero value is ready to use.
//
// As in Postgres, locks are re-entrant per session and counted: a session
// that took a lock twice must release it twice. Session-level and
// transaction-level holds are counted apart: pg_advisory_unlock releases
// only the former, the end of the transaction only the latter.
type advisoryLocks struct {
	mu   sync.Mutex
	held map[builtins.AdvisoryKey]map[advisoryHold]int
	// released is closed (and replaced) whenever a lock is released, to
	// wake the sessions waiting in pg_advisory_lock; a channel rather than
	// a sync.Cond so that a waiter can also watch its context.
	released chan struct{}
}

// advisoryHold is one session's hold of one mode and lifetime.
type advisoryHold struct {
	pid    int32
	shared bool
	xact   bool
}

// conflicts reports whether another session holds the lock in a mode
// incompatible with the one asked for. Called with mu held.
func (l *advisoryLocks) conflicts(key builtins.AdvisoryKey, pid int32, shared bool) bool {
	for h := range l.held[key] {
		if h.pid != pid && (!shared || !h.shared) {
			return true
		}
	}
	return false
}

func (l *advisoryLocks) lock(ctx context.Context, pid int32, key builtins.AdvisoryKey, shared, xact, wait bool) (bool, error) {
	l.mu.Lock()
	for l.conflicts(key, pid, shared) {
		if !wait {
			l.mu.Unlock()
			return false, nil
		}
		if l.released == nil {
			l.released = make(chan struct{})
		}
		released := l.released
		l.mu.Unlock()
		select {
		case <-released:
		case <-ctx.Done():
			return false, types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		}
		l.mu.Lock()
	}
	if l.held == nil {
		l.held = map[builtins.AdvisoryKey]map[advisoryHold]int{}
	}
	holds := l.held[key]
	if holds == nil {
		holds = map[advisoryHold]int{}
		l.held[key] = holds
	}
	holds[advisoryHold{pid: pid, shared: shared, xact: xact}]++
	l.mu.Unlock()
	return true, nil
}

func (l *advisoryLocks) unlock(pid int32, key builtins.AdvisoryKey, shared bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := advisoryHold{pid: pid, shared: shared}
	holds := l.held[key]
	if holds[h] == 0 {
		return false
	}
	if holds[h]--; holds[h] == 0 {
		delete(holds, h)
		if len(holds) == 0 {
			delete(l.held, key)
		}
		l.wake()
	}
	return true
}

// release drops every hold of the session: the transaction-level ones
// when xactOnly, else the session-level ones too (pg_advisory_unlock_all
// passes sessionOnly to keep the transaction's).
func (l *advisoryLocks) release(pid int32, xactOnly, sessionOnly bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	freed := false
	for key, holds := range l.held {
		for h := range holds {
			if h.pid != pid || (xactOnly && !h.xact) || (sessionOnly && h.xact) {
				continue
			}
			delete(holds, h)
			freed = true
		}
		if len(holds) == 0 {
			delete(l.held, key)
		}
	}
	if freed {
		l.wake()
	}
}

// wake wakes the waiters. Called with mu held.
func (l *advisoryLocks) wake() {
	if l.released != nil {
		close(l.released)
		l.released = nil
	}
}

// releaseAdvisoryLocks is called when the session ends.
func (sess *session) releaseAdvisoryLocks() {
	sess.srv.advisory.release(sess.info.BackendPID, false, false)
}

// releaseXactLocks is called when the session's transaction ends.
func (sess *session) releaseXactLocks() {
	sess.srv.advisory.release(sess.info.BackendPID, true, false)
}

func (ci *catalogInfo) AdvisoryLock(ctx context.Context, key builtins.AdvisoryKey, shared, xact, wait bool) (bool, error) {
	return ci.sess.srv.advisory.lock(ctx, ci.sess.info.BackendPID, key, shared, xact, wait)
}

func (ci *catalogInfo) AdvisoryUnlock(key builtins.AdvisoryKey, shared bool) bool {
	return ci.sess.srv.advisory.unlock(ci.sess.info.BackendPID, key, shared)
}

func (ci *catalogInfo) AdvisoryUnlockAll() {
	ci.sess.srv.advisory.release(ci.sess.info.BackendPID, false, true)
}

var _ builtins.AdvisoryLocks = (*catalogInfo)(nil)
