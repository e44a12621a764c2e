package pgwire

import (
	"context"
	"fmt"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamdb/streamdb/sql/types"
)

// Severities of ErrorResponse and NoticeResponse.
const (
	severityError = "ERROR"
	severityFatal = "FATAL"
)

func errorsWithDetail(msg, detail string) error {
	return errors.WithDetail(errors.New(msg), detail)
}

// errorResponse builds the ErrorResponse for err. A bare context error (the
// session noticed a cancel without saying so) becomes 57014, or 57P01 when
// the whole connection is going away.
func (c *conn) errorResponse(err error, severity string) *pgproto3.ErrorResponse {
	code := types.Code(err)
	msg := err.Error()
	if code == types.CodeInternalError {
		switch {
		case errors.Is(err, context.Canceled) && c.ctx.Err() != nil:
			code, msg = types.CodeAdminShutdown, "terminating connection due to administrator command"
		case errors.Is(err, context.Canceled):
			code, msg = types.CodeQueryCanceled, "canceling statement due to user request"
		case errors.Is(err, context.DeadlineExceeded):
			code, msg = types.CodeQueryCanceled, "canceling statement due to statement timeout"
		default:
			c.log.Error("pgwire: internal error", "err", fmt.Sprintf("%+v", err))
		}
	}
	resp := &c.errResp
	*resp = pgproto3.ErrorResponse{
		Severity:            severity,
		SeverityUnlocalized: severity,
		Code:                code,
		Message:             msg,
		Detail:              errors.FlattenDetails(err),
		Hint:                errors.FlattenHints(err),
	}
	if pos := types.Position(err); pos > 0 {
		resp.Position = int32(pos)
	}
	return resp
}

// sendError sends err as an ERROR.
func (c *conn) sendError(err error) {
	c.send(c.errorResponse(err, severityError))
}

// sendFatal sends err as a FATAL error and flushes: the caller closes the
// connection next.
func (c *conn) sendFatal(err error) {
	c.send(c.errorResponse(err, severityFatal))
	_ = c.flush()
}

// protocolError is the error of a frame that could not be decoded.
func protocolError(err error) error {
	var tooLarge *pgproto3.ExceededMaxBodyLenErr
	switch {
	case errors.As(err, &tooLarge):
		return types.Errorf(types.CodeProtocolViolation, "message too large")
	case strings.HasPrefix(err.Error(), "unknown message type: "):
		// pgproto3 prints the type byte with %c; Postgres prints its number.
		typ := []rune(strings.TrimPrefix(err.Error(), "unknown message type: "))
		if len(typ) == 1 {
			return types.Errorf(types.CodeProtocolViolation, "invalid frontend message type %d", typ[0])
		}
		return types.Errorf(types.CodeProtocolViolation, "invalid frontend message type")
	case strings.HasPrefix(err.Error(), "invalid message length"):
		return types.Errorf(types.CodeProtocolViolation, "invalid message length")
	}
	return types.WithCode(errors.Wrap(err, "invalid message format"), types.CodeProtocolViolation)
}
