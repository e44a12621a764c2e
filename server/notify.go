package server

import (
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/types"
)

// LISTEN / NOTIFY / UNLISTEN and pg_notify, with Postgres' semantics:
//
//   - NOTIFY ch [, 'payload'] and pg_notify(ch, payload) are queued in the
//     transaction and delivered when it commits (nothing on rollback), to
//     every session of the same database listening on ch, the sender
//     included, carrying the sender's backend PID. Identical notifications
//     (channel and payload) of one transaction are delivered once, in the
//     order they were first sent.
//   - LISTEN and UNLISTEN take effect when their transaction commits.
//   - Delivery (pgwire/notify.go) happens outside transaction blocks only:
//     before the ReadyForQuery ending a command, or at once to an idle
//     connection.
//
// Difference from Postgres: there is no global queue, so a session sees
// only notifications committed while it listened.

// maxNotifyPayload is Postgres' limit (NOTIFY_PAYLOAD_MAX_LENGTH - 1): the
// payload must be shorter than 8000 bytes.
const maxNotifyPayload = 7999

// maxChannelName is NAMEDATALEN - 1.
const maxChannelName = 63

// maxPendingNotifications bounds one session's undelivered notifications
// (a client that listens and never reads); beyond it the oldest are
// dropped and the drop is logged. Postgres instead fails senders once its
// 8 GB queue is full.
const maxPendingNotifications = 100_000

// notifyHub routes committed notifications to listening sessions. Its zero
// value is ready to use.
type notifyHub struct {
	mu        sync.Mutex
	listeners map[notifyChannel]map[*session]struct{}
}

// notifyChannel is a channel of one database.
type notifyChannel struct {
	database, channel string
}

// sessionNotify is a session's LISTEN/NOTIFY state.
type sessionNotify struct {
	// listening is the committed set of channels (owned by the session's
	// goroutine; the hub holds the same set under its own lock).
	listening map[string]struct{}
	// actions are the LISTEN/UNLISTEN of the open transaction, in order.
	actions []listenAction
	// pending are the notifications of the open transaction; seen
	// deduplicates them.
	pending []pgwire.Notification
	seen    map[[2]string]struct{}

	// inbox holds delivered notifications until pgwire takes them; wake
	// tells pgwire there are some. Both are used from other sessions'
	// goroutines, under mu.
	mu      sync.Mutex
	inbox   []pgwire.Notification
	dropped int
	wake    func()
}

// listenAction is one LISTEN (listen true) or UNLISTEN; an empty channel
// with listen false is UNLISTEN *.
type listenAction struct {
	channel string
	listen  bool
}

// SetNotificationWakeup implements pgwire.NotificationSource.
func (sess *session) SetNotificationWakeup(wake func()) {
	sess.notify.mu.Lock()
	sess.notify.wake = wake
	sess.notify.mu.Unlock()
}

// TakeNotifications implements pgwire.NotificationSource.
func (sess *session) TakeNotifications() []pgwire.Notification {
	sn := &sess.notify
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if sn.dropped > 0 {
		sess.srv.logger.Warn("dropped LISTEN notifications the client did not read", "pid", sess.info.BackendPID, "dropped", sn.dropped)
		sn.dropped = 0
	}
	out := sn.inbox
	sn.inbox = nil
	return out
}

var _ pgwire.NotificationSource = (*session)(nil)

// checkChannel validates a channel name as Postgres does (22023).
func checkChannel(channel string) error {
	if channel == "" {
		return types.Errorf(types.CodeInvalidParameterValue, "channel name cannot be empty")
	}
	if len(channel) > maxChannelName {
		return types.Errorf(types.CodeInvalidParameterValue, "channel name too long")
	}
	return nil
}

// queueNotify adds a notification to the open transaction.
func (sess *session) queueNotify(channel, payload string) error {
	if err := checkChannel(channel); err != nil {
		return err
	}
	if len(payload) > maxNotifyPayload {
		return types.Errorf(types.CodeInvalidParameterValue, "payload string too long")
	}
	sn := &sess.notify
	key := [2]string{channel, payload}
	if _, dup := sn.seen[key]; dup {
		return nil
	}
	if sn.seen == nil {
		sn.seen = make(map[[2]string]struct{})
	}
	sn.seen[key] = struct{}{}
	sn.pending = append(sn.pending, pgwire.Notification{PID: sess.info.BackendPID, Channel: channel, Payload: payload})
	return nil
}

// notifyMark is how much LISTEN/NOTIFY a transaction had done when a
// savepoint was taken.
type notifyMark struct {
	actions, pending int
}

func (sess *session) notifyMark() notifyMark {
	return notifyMark{actions: len(sess.notify.actions), pending: len(sess.notify.pending)}
}

// rollbackNotifyTo forgets the LISTEN, UNLISTEN and notifications queued
// after the mark (ROLLBACK TO SAVEPOINT).
func (sess *session) rollbackNotifyTo(m notifyMark) {
	sn := &sess.notify
	if m.actions < len(sn.actions) {
		sn.actions = sn.actions[:m.actions]
	}
	if m.pending < len(sn.pending) {
		for _, n := range sn.pending[m.pending:] {
			delete(sn.seen, [2]string{n.Channel, n.Payload})
		}
		sn.pending = sn.pending[:m.pending]
	}
}

// listenStmt runs LISTEN, UNLISTEN and NOTIFY.
func (sess *session) listenStmt(n *pg_query.Node, w pgwire.ResultWriter) error {
	switch {
	case n.GetListenStmt() != nil:
		ch := n.GetListenStmt().Conditionname
		if err := checkChannel(ch); err != nil {
			return err
		}
		sess.notify.actions = append(sess.notify.actions, listenAction{channel: ch, listen: true})
		return w.Complete("LISTEN")
	case n.GetUnlistenStmt() != nil:
		// UNLISTEN * parses with an empty condition name.
		sess.notify.actions = append(sess.notify.actions, listenAction{channel: n.GetUnlistenStmt().Conditionname})
		return w.Complete("UNLISTEN")
	}
	ns := n.GetNotifyStmt()
	if err := sess.queueNotify(ns.Conditionname, ns.Payload); err != nil {
		return err
	}
	return w.Complete("NOTIFY")
}

// endNotifyTxn applies (commit) or forgets the transaction's LISTEN,
// UNLISTEN and notifications. Called when the transaction ends, after the
// commit succeeded.
func (sess *session) endNotifyTxn(commit bool) {
	sn := &sess.notify
	actions, pending := sn.actions, sn.pending
	sn.actions, sn.pending, sn.seen = nil, nil, nil
	if !commit {
		return
	}
	if len(actions) > 0 {
		sess.srv.notify.apply(sess, actions)
	}
	if len(pending) > 0 {
		sess.srv.notify.deliver(sess.info.Database, pending)
	}
}

// closeNotify stops every LISTEN of a session that ends.
func (sess *session) closeNotify() {
	sess.notify.actions, sess.notify.pending, sess.notify.seen = nil, nil, nil
	if len(sess.notify.listening) > 0 {
		sess.srv.notify.apply(sess, []listenAction{{}})
	}
}

// apply records a session's committed LISTEN and UNLISTEN.
func (h *notifyHub) apply(sess *session, actions []listenAction) {
	sn := &sess.notify
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, a := range actions {
		switch {
		case a.listen:
			if sn.listening == nil {
				sn.listening = make(map[string]struct{})
			}
			sn.listening[a.channel] = struct{}{}
			key := notifyChannel{sess.info.Database, a.channel}
			if h.listeners == nil {
				h.listeners = make(map[notifyChannel]map[*session]struct{})
			}
			if h.listeners[key] == nil {
				h.listeners[key] = make(map[*session]struct{})
			}
			h.listeners[key][sess] = struct{}{}
		case a.channel == "": // UNLISTEN *
			for ch := range sn.listening {
				h.remove(notifyChannel{sess.info.Database, ch}, sess)
			}
			sn.listening = nil
		default:
			delete(sn.listening, a.channel)
			h.remove(notifyChannel{sess.info.Database, a.channel}, sess)
		}
	}
}

// remove drops one listener. Called with mu held.
func (h *notifyHub) remove(key notifyChannel, sess *session) {
	if set := h.listeners[key]; set != nil {
		delete(set, sess)
		if len(set) == 0 {
			delete(h.listeners, key)
		}
	}
}

// deliver queues committed notifications for their listeners and wakes
// them. Wakeups return at once (pgwire delivers on another goroutine), so a
// slow listener never holds up the sender.
func (h *notifyHub) deliver(database string, ns []pgwire.Notification) {
	h.mu.Lock()
	defer h.mu.Unlock()
	woken := make(map[*session]struct{})
	for _, n := range ns {
		for listener := range h.listeners[notifyChannel{database, n.Channel}] {
			listener.notify.enqueue(n)
			woken[listener] = struct{}{}
		}
	}
	for listener := range woken {
		listener.notify.mu.Lock()
		wake := listener.notify.wake
		listener.notify.mu.Unlock()
		if wake != nil {
			wake()
		}
	}
}

// enqueue adds a delivered notification to the inbox.
func (sn *sessionNotify) enqueue(n pgwire.Notification) {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if len(sn.inbox) >= maxPendingNotifications {
		sn.inbox = sn.inbox[1:]
		sn.dropped++
	}
	sn.inbox = append(sn.inbox, n)
}

// Notify implements builtins.Notifier (pg_notify).
func (ci *catalogInfo) Notify(channel, payload string) error {
	return ci.sess.queueNotify(channel, payload)
}

var _ builtins.Notifier = (*catalogInfo)(nil)
