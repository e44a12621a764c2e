package pgwire

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamdb/streamdb/sql/types"
)

// Startup packet codes (the first int32 of the body after the length).
const (
	protocolVersion30   = 3 << 16
	sslRequestCode      = 80877103
	gssEncRequestCode   = 80877104
	cancelRequestCode   = 80877102
	maxStartupPacketLen = 10000 // MAX_STARTUP_PACKET_LENGTH
)

// startupPacket is a decoded startup-phase packet.
type startupPacket struct {
	code   uint32
	body   []byte // after the code
	params map[string]string
}

// readStartupPacket reads one length-prefixed startup packet straight from
// the socket: no read-ahead, so nothing is lost when TLS starts after an
// SSLRequest.
func (c *conn) readStartupPacket() (startupPacket, error) {
	var p startupPacket
	var hdr [8]byte
	if _, err := io.ReadFull(c.nc, hdr[:4]); err != nil {
		return p, errors.Mark(err, errConnectionGone)
	}
	n := int(int32(binary.BigEndian.Uint32(hdr[:4])))
	if n < 8 || n > maxStartupPacketLen {
		return p, types.Errorf(types.CodeProtocolViolation, "invalid length of startup packet")
	}
	buf := make([]byte, n-4)
	if _, err := io.ReadFull(c.nc, buf); err != nil {
		return p, errors.Mark(err, errConnectionGone)
	}
	p.code = binary.BigEndian.Uint32(buf)
	p.body = buf[4:]
	return p, nil
}

// parseStartupParams decodes the key\0value\0...\0 list of a StartupMessage.
func parseStartupParams(b []byte) (map[string]string, error) {
	params := make(map[string]string)
	for {
		if len(b) == 0 {
			return nil, types.Errorf(types.CodeProtocolViolation, "invalid startup packet layout: expected terminator as last byte")
		}
		if b[0] == 0 {
			if len(b) != 1 {
				return nil, types.Errorf(types.CodeProtocolViolation, "invalid startup packet layout: expected terminator as last byte")
			}
			return params, nil
		}
		k := indexNul(b)
		if k < 0 {
			return nil, types.Errorf(types.CodeProtocolViolation, "invalid startup packet layout: expected terminator as last byte")
		}
		key := string(b[:k])
		b = b[k+1:]
		v := indexNul(b)
		if v < 0 {
			return nil, types.Errorf(types.CodeProtocolViolation, "invalid startup packet layout: expected terminator as last byte")
		}
		params[key] = string(b[:v])
		b = b[v+1:]
	}
}

func indexNul(b []byte) int {
	for i, ch := range b {
		if ch == 0 {
			return i
		}
	}
	return -1
}

// startup runs the startup phase up to the first ReadyForQuery; false when
// the connection must close (cancel request, error, EOF).
func (c *conn) startup() bool {
	_ = c.raw.SetDeadline(time.Now().Add(c.srv.opts.AuthenticationTimeout))
	params, ok := c.readStartupMessage()
	if !ok {
		return false
	}
	c.in = &errRecordingReader{r: c.nc}
	c.rd = pgproto3.NewBackend(c.in, nil)
	c.rd.SetMaxBodyLen(c.srv.opts.MaxMessageSize)

	if !c.srv.acquireSlot(c) {
		c.sendFatal(types.Errorf(types.CodeTooManyConnections, "sorry, too many clients already"))
		return false
	}
	c.user = params["user"]
	if c.user == "" {
		c.refuse(types.Errorf(types.CodeInvalidAuthorizationSpec, "no PostgreSQL user name specified in startup packet"))
		return false
	}
	database := params["database"]
	if database == "" {
		database = c.user
	}
	if err := c.authenticate(database); err != nil {
		if !errors.Is(err, errConnectionGone) {
			c.log.Info("pgwire: authentication failed", "user", c.user, "err", err)
			c.refuse(err)
		}
		return false
	}
	c.send(&pgproto3.AuthenticationOk{})
	if !c.srv.slotAllowed(c.user) {
		c.refuse(types.Errorf(types.CodeTooManyConnections, "remaining connection slots are reserved for roles with the SUPERUSER attribute"))
		return false
	}

	c.pid = c.srv.nextPID.Add(1)
	_, _ = rand.Read(c.secret[:])
	c.srv.registerKey(c)

	session, sessionParams, err := c.srv.backend.NewSession(c.ctx, StartupInfo{
		User:       c.user,
		Database:   database,
		Params:     params,
		RemoteAddr: c.raw.RemoteAddr(),
		BackendPID: c.pid,
	})
	if err != nil {
		c.refuse(err)
		return false
	}
	c.session = session
	c.startNotifications() // notify.go
	_ = c.raw.SetDeadline(time.Time{})

	for _, kv := range c.initialParameterStatus(params, sessionParams) {
		c.parameterStatus(kv[0], kv[1])
	}
	c.send(&pgproto3.BackendKeyData{ProcessID: uint32(c.pid), SecretKey: c.secret[:]})
	c.readyForQuery()
	return c.writeErr == nil
}

// refuse ends the startup with a FATAL error, freeing the slot first.
func (c *conn) refuse(err error) {
	c.srv.releaseSlot(c)
	c.sendFatal(err)
}

// readStartupMessage answers SSLRequest/GSSEncRequest and CancelRequest
// until a StartupMessage arrives, and returns its parameters.
func (c *conn) readStartupMessage() (map[string]string, bool) {
	tlsDone := false
	for {
		p, err := c.readStartupPacket()
		if err != nil {
			if !errors.Is(err, errConnectionGone) {
				c.sendFatal(err)
			}
			return nil, false
		}
		switch {
		case p.code == sslRequestCode && len(p.body) == 0:
			if c.srv.opts.TLSConfig == nil || tlsDone {
				if _, err := c.nc.Write([]byte{'N'}); err != nil {
					return nil, false
				}
				continue
			}
			if _, err := c.nc.Write([]byte{'S'}); err != nil {
				return nil, false
			}
			tc := tls.Server(c.raw, c.srv.opts.TLSConfig)
			if err := tc.HandshakeContext(c.ctx); err != nil {
				c.log.Info("pgwire: TLS handshake failed", "err", err)
				return nil, false
			}
			c.nc = tc
			c.wr.Reset(tc)
			tlsDone = true
		case p.code == gssEncRequestCode && len(p.body) == 0:
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return nil, false
			}
		case p.code == cancelRequestCode:
			if len(p.body) < 8 {
				return nil, false
			}
			pid := int32(binary.BigEndian.Uint32(p.body))
			c.srv.cancelRequest(pid, p.body[4:])
			return nil, false
		case p.code>>16 == 3:
			params, err := parseStartupParams(p.body)
			if err != nil {
				c.sendFatal(err)
				return nil, false
			}
			if c.srv.opts.RequireTLS && !tlsDone {
				c.sendFatal(types.Errorf(types.CodeInvalidAuthorizationSpec,
					"no pg_hba.conf entry for host %q, user %q, database %q, no encryption", remoteHost(c.raw), params["user"], params["database"]))
				return nil, false
			}
			// Protocol 3.x with x > 0 and _pq_ options are negotiated down
			// to 3.0 with NegotiateProtocolVersion, like Postgres 16.
			var unrecognized []string
			for k := range params {
				if strings.HasPrefix(k, "_pq_.") {
					unrecognized = append(unrecognized, k)
					delete(params, k)
				}
			}
			if p.code != protocolVersion30 || len(unrecognized) > 0 {
				sort.Strings(unrecognized)
				c.send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unrecognized})
			}
			return params, true
		default:
			c.sendFatal(types.Errorf(types.CodeFeatureNotSupported,
				"unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", p.code>>16, p.code&0xffff))
			return nil, false
		}
	}
}

// initialParameterStatus lists the ParameterStatus messages of the
// greeting: pgwire's defaults, overridden and extended by the session's.
func (c *conn) initialParameterStatus(startup, session map[string]string) [][2]string {
	isSuperuser := "off"
	if c.user == c.srv.opts.Superuser {
		isSuperuser = "on"
	}
	list := [][2]string{
		{"application_name", startup["application_name"]},
		{"client_encoding", "UTF8"},
		{"DateStyle", "ISO, MDY"},
		{"default_transaction_read_only", "off"},
		{"in_hot_standby", "off"},
		{"integer_datetimes", "on"},
		{"IntervalStyle", "postgres"},
		{"is_superuser", isSuperuser},
		{"server_encoding", "UTF8"},
		{"server_version", c.srv.opts.ServerVersion},
		{"session_authorization", c.user},
		{"standard_conforming_strings", "on"},
		{"TimeZone", "UTC"},
	}
	seen := make(map[string]bool, len(list))
	for i := range list {
		seen[list[i][0]] = true
		if v, ok := session[list[i][0]]; ok {
			list[i][1] = v
		}
	}
	var extra []string
	for k := range session {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		list = append(list, [2]string{k, session[k]})
	}
	return list
}

// remoteHost is the client's address without the port, for error messages.
func remoteHost(nc net.Conn) string {
	addr := nc.RemoteAddr().String()
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
