package pgwire

import (
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgproto3"
)

// notifyState is the connection's part of LISTEN/NOTIFY: notifications is
// the session's queue (nil if it has none); mu guards waitingForInput, which
// is true while the connection's goroutine waits for a message and so lets
// a wakeup use the writer.
type notifyState struct {
	notifications   NotificationSource
	notifyMu        sync.Mutex
	waitingForInput bool
	wakePending     atomic.Bool
}

// Notification is one LISTEN/NOTIFY event for the client: it becomes a
// NotificationResponse ('A') message.
type Notification struct {
	// PID is the backend PID of the session that sent it.
	PID     int32
	Channel string
	Payload string
}

// NotificationSource is implemented by sessions that support LISTEN and
// NOTIFY. Notifications reach the client the way Postgres delivers them:
// never inside a transaction block, right before the ReadyForQuery that
// ends a command, or at once when the connection is idle waiting for the
// client (pgx's WaitForNotification, psql between commands).
type NotificationSource interface {
	// SetNotificationWakeup gives the session the function to call, from
	// any goroutine, when notifications are queued for the client. The
	// function does not block on the network for long: it writes only
	// when the connection is idle.
	SetNotificationWakeup(wake func())
	// TakeNotifications returns the queued notifications and forgets them.
	// It is called from the connection's goroutine, or from the goroutine
	// of wake while the connection's goroutine waits for input.
	TakeNotifications() []Notification
}

// startNotifications hooks the session's notifications up to c.
func (c *conn) startNotifications() {
	if ns, ok := c.session.(NotificationSource); ok {
		c.notifications = ns
		ns.SetNotificationWakeup(c.wakeNotifications)
	}
}

// wakeNotifications is the session's wakeup. It returns at once: a
// goroutine (at most one pending at a time) delivers the queued
// notifications if the connection's goroutine waits for input (which then
// does not touch the writer until it takes notifyMu back), and otherwise
// leaves them to that goroutine, which delivers them before its next
// ReadyForQuery or wait. So a client that does not read blocks only its
// own delivery, never the sender's COMMIT.
func (c *conn) wakeNotifications() {
	if !c.wakePending.CompareAndSwap(false, true) {
		return // the pending delivery has not taken the queue yet
	}
	go func() {
		c.notifyMu.Lock()
		defer c.notifyMu.Unlock()
		c.wakePending.Store(false)
		if c.waitingForInput {
			c.sendNotifications()
		}
	}()
}

// sendNotifications writes the queued notifications and flushes, outside
// a transaction block only. Called with notifyMu held, by the goroutine
// that may use the writer.
func (c *conn) sendNotifications() {
	if c.notifications == nil || c.writeErr != nil || c.session.TxStatus() != 'I' {
		return
	}
	ns := c.notifications.TakeNotifications()
	if len(ns) == 0 {
		return
	}
	for _, n := range ns {
		c.send(&pgproto3.NotificationResponse{PID: uint32(n.PID), Channel: n.Channel, Payload: n.Payload})
	}
	_ = c.flush()
}

// beginWaitForInput is called before reading the next message: queued
// notifications go out now, and later ones as they arrive.
func (c *conn) beginWaitForInput() {
	if c.notifications == nil {
		return
	}
	c.notifyMu.Lock()
	c.waitingForInput = true
	c.sendNotifications()
	c.notifyMu.Unlock()
}

// endWaitForInput is called when a message (or a read error) arrived: the
// connection's goroutine owns the writer again.
func (c *conn) endWaitForInput() {
	if c.notifications == nil {
		return
	}
	c.notifyMu.Lock()
	c.waitingForInput = false
	c.notifyMu.Unlock()
}

// notificationsBeforeReady sends the queued notifications ahead of a
// ReadyForQuery, as Postgres does after a command that committed.
func (c *conn) notificationsBeforeReady() {
	if c.notifications == nil {
		return
	}
	c.notifyMu.Lock()
	c.sendNotifications()
	c.notifyMu.Unlock()
}
