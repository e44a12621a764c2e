package types

import (
	"time"
)

// Temporary stubs, replaced by the real codec files.

func appendText(buf []byte, d Datum, t *T, loc *time.Location) []byte { panic("unimplemented") }
func parseText(s string, t *T, loc *time.Location) (Datum, error)     { panic("unimplemented") }
func appendBinary(buf []byte, d Datum, t *T) ([]byte, error)          { panic("unimplemented") }
func parseBinary(b []byte, t *T) (Datum, error)                        { panic("unimplemented") }
func compare(a, b Datum) int                                           { panic("unimplemented") }
func appendKey(buf []byte, d Datum, desc bool) []byte                  { panic("unimplemented") }
func decodeKey(b []byte, desc bool) (Datum, []byte, error)             { panic("unimplemented") }
func appendRow(buf []byte, r Row) []byte                               { panic("unimplemented") }
func decodeRow(b []byte) (Row, error)                                  { panic("unimplemented") }
