// Package parser parses SQL text with the real Postgres grammar
// (pg_query_go, libpg_query) and handles the few statements of streamdb's
// dialect that Postgres does not know (FLUSH; later FORMAT ... ENCODE,
// EMIT ON WINDOW CLOSE, CREATE SINK/SOURCE) by a small pre-parse.
//
// Syntax errors carry SQLSTATE 42601 and the 1-based character position of
// the offending token, so psql can draw its caret.
package parser
