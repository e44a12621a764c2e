// Package types is the leaf vocabulary shared by every layer of streamdb:
// SQL types (T) and their Postgres OIDs, values (Datum), rows, changelog
// chunks (Op, Chunk), epochs, barriers and watermarks, the text, binary and
// key encodings of values, and the helpers that attach a Postgres SQLSTATE
// and a statement position to an error.
//
// Rows are stored in the compact row format of rowenc.go. DecodeRow
// allocates each row; a RowDecoder, for scans of many rows, carves the
// rows' datums from slabs instead (strings and decimals keep their own
// memory, so that state keeping a few values does not pin whole arenas).
//
// It imports nothing of ours but internal/, so pgwire, the planner, the
// executor, the state store and the catalog can all speak it.
package types
