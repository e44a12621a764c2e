package pgwire

import (
	"crypto/subtle"
	"fmt"
	"net"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamdb/streamdb/sql/types"
)

// AuthMethod is how a user must authenticate (the method column of
// pg_hba.conf).
type AuthMethod int

// The supported authentication methods.
const (
	// AuthTrust lets the user in without a password.
	AuthTrust AuthMethod = iota
	// AuthCleartext asks for the password in clear (AuthenticationCleartextPassword).
	AuthCleartext
	// AuthSCRAMSHA256 runs SCRAM-SHA-256 (RFC 5802/7677) without channel binding.
	AuthSCRAMSHA256
	// AuthReject refuses the connection.
	AuthReject
)

func (m AuthMethod) String() string {
	switch m {
	case AuthTrust:
		return "trust"
	case AuthCleartext:
		return "password"
	case AuthSCRAMSHA256:
		return "scram-sha-256"
	case AuthReject:
		return "reject"
	}
	return fmt.Sprintf("AuthMethod(%d)", int(m))
}

// Authenticator decides how a user authenticates and knows the stored
// passwords. It is called from connection goroutines concurrently.
type Authenticator interface {
	// Method returns the authentication method for user connecting from
	// remote.
	Method(user string, remote net.Addr) AuthMethod
	// Password returns the stored password of user: either the plain
	// password or a SCRAM verifier in the Postgres format
	// (SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>, see
	// MakeSCRAMVerifier). ok is false for an unknown user.
	Password(user string) (stored string, ok bool)
}

// TrustAuthenticator lets everyone in without a password.
type TrustAuthenticator struct{}

// Method is part of the Authenticator interface.
func (TrustAuthenticator) Method(string, net.Addr) AuthMethod { return AuthTrust }

// Password is part of the Authenticator interface.
func (TrustAuthenticator) Password(string) (string, bool) { return "", false }

// StaticAuthenticator authenticates every user with one method against a
// fixed map of stored passwords (plain or SCRAM verifiers).
type StaticAuthenticator struct {
	AuthMethod AuthMethod
	Passwords  map[string]string
}

// Method is part of the Authenticator interface.
func (a StaticAuthenticator) Method(string, net.Addr) AuthMethod { return a.AuthMethod }

// Password is part of the Authenticator interface.
func (a StaticAuthenticator) Password(user string) (string, bool) {
	p, ok := a.Passwords[user]
	return p, ok
}

// errPasswordFailed is the one error of every failed password check, so a
// client cannot tell an unknown user from a wrong password.
func errPasswordFailed(user string) error {
	return types.Errorf(types.CodeInvalidPassword, "password authentication failed for user %q", user)
}

// authenticate runs the authentication exchange for c.user; a non-nil error
// is sent as FATAL and the connection closed.
func (c *conn) authenticate(database string) error {
	auth := c.srv.opts.Authenticator
	switch method := auth.Method(c.user, c.raw.RemoteAddr()); method {
	case AuthTrust:
		return nil
	case AuthCleartext:
		return c.authCleartext(auth)
	case AuthSCRAMSHA256:
		return c.authSCRAM(auth)
	case AuthReject:
		host := "[local]"
		if a := c.raw.RemoteAddr(); a != nil {
			host = a.String()
			if h, _, err := net.SplitHostPort(host); err == nil {
				host = h
			}
		}
		return types.Errorf(types.CodeInvalidAuthorizationSpec,
			"pg_hba.conf rejects connection for host %q, user %q, database %q", host, c.user, database)
	default:
		return types.Errorf(types.CodeInternalError, "unknown authentication method %v", method)
	}
}

// receiveAuthResponse flushes the pending authentication request and reads
// the client's answer, decoded as authType expects.
func (c *conn) receiveAuthResponse(authType uint32) (pgproto3.FrontendMessage, error) {
	if err := c.flush(); err != nil {
		return nil, err
	}
	if err := c.rd.SetAuthType(authType); err != nil {
		return nil, err
	}
	msg, err := c.rd.Receive()
	if err != nil {
		return nil, c.classifyReadError(err)
	}
	return msg, nil
}

func (c *conn) authCleartext(auth Authenticator) error {
	c.send(&pgproto3.AuthenticationCleartextPassword{})
	msg, err := c.receiveAuthResponse(pgproto3.AuthTypeCleartextPassword)
	if err != nil {
		return err
	}
	pm, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		return types.Errorf(types.CodeProtocolViolation, "expected password response, got message type %d", frontendMessageType(msg))
	}
	stored, known := auth.Password(c.user)
	if !known || !checkPassword(stored, pm.Password) {
		return errPasswordFailed(c.user)
	}
	return nil
}

// checkPassword compares a cleartext password against a stored plain
// password or SCRAM verifier, in constant time.
func checkPassword(stored, password string) bool {
	if v, ok := parseSCRAMVerifier(stored); ok {
		return v.check(password)
	}
	if password == "" {
		// Postgres never accepts an empty password.
		return false
	}
	return subtle.ConstantTimeCompare([]byte(stored), []byte(password)) == 1
}
