// Package exec runs plans. Every operator consumes and produces changelog
// chunks (types.Chunk: + / - / U- / U+ rows) and barriers, so the same
// operators serve ad-hoc queries (a bounded input of inserts followed by a
// final barrier, ending in a collector) and materialized views (unbounded
// changelogs, state committed per epoch). Operators are deterministic state
// machines; goroutines, channels and barrier alignment live in the runtime.
//
// Each operator has its own file and datadriven testdata under
// testdata/<operator>.
package exec
