// Package types is the leaf vocabulary shared by every layer of streamdb:
// SQL types (T) and their Postgres OIDs, values (Datum), rows, changelog
// chunks (Op, Chunk), epochs, barriers and watermarks, the text, binary and
// key encodings of values, and the helpers that attach a Postgres SQLSTATE
// and a statement position to an error.
//
// Rows are stored in the compact row format of rowenc.go. DecodeRow
// allocates each row; a RowDecoder, for scans of many rows, carves rows,
// the strings of small rows and decimals from slabs instead, with no
// allocation per row.
//
// It imports nothing of ours but internal/, so pgwire, the planner, the
// executor, the state store and the catalog can all speak it.
package types
