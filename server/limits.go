package server

import "time"

// IdleInTransactionTimeout implements pgwire.IdleInTransactionLimiter:
// the session's idle_in_transaction_session_timeout (0 = none). pgwire
// ends a session idle in a transaction block longer than this with FATAL
// 25P03.
func (sess *session) IdleInTransactionTimeout() time.Duration {
	return parseDurationSetting(sess.settings.get("idle_in_transaction_session_timeout"))
}
