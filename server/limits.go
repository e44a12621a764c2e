package server

import "time"

// IdleInTransactionTimeout implements pgwire.IdleInTransactionLimiter:
// the session's idle_in_transaction_session_timeout (0 = none). pgwire
// ends a session idle in a transaction block longer than this with FATAL
// 25P03.
func (sess *session) IdleInTransactionTimeout() time.Duration {
	return parseDurationSetting(sess.settings.get("idle_in_transaction_session_timeout"))
}

// reservedSlots maps superuser_reserved_connections to pgwire's option,
// where 0 means the default and a negative count none.
func reservedSlots(o Options) int {
	n := o.SettingInt("superuser_reserved_connections")
	if n == 0 {
		return -1
	}
	return n
}
