package server

import "github.com/cockroachdb/errors"

// withDetail adds the DETAIL line of an error report.
func withDetail(err error, detail string) error { return errors.WithDetail(err, detail) }

// withHint adds the HINT line of an error report.
func withHint(err error, hint string) error { return errors.WithHint(err, hint) }
