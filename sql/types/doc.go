// Package types is the leaf vocabulary shared by every layer of streamdb:
// SQL types (T) and their Postgres OIDs, values (Datum), rows, changelog
// chunks (Op, Chunk), epochs, barriers and watermarks, the text, binary and
// key encodings of values, and the helpers that attach a Postgres SQLSTATE
// and a statement position to an error.
//
// It imports nothing of ours but internal/, so pgwire, the planner, the
// executor, the state store and the catalog can all speak it.
package types
