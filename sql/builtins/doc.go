// Package builtins holds the scalar functions, operators and casts of
// streamdb's SQL dialect, and the signatures of its aggregate and window
// functions: name resolution (Postgres overload and implicit-cast rules) for
// the planner, and the implementations the executor calls.
//
// It sits between sql/types and the two packages that use it (sql/planner,
// sql/exec), and imports only sql/types and internal/.
//
// The contract is in api.go and resolve_api.go. The files by area:
//
//	registry.go      the table of overloads, built once (sync.OnceValue) and
//	                 immutable afterwards; OIDs hashed from the signature
//	resolve.go       ResolveFunction/ResolveOperator: exact match, implicit
//	                 casts, most exact matches, preferred types, unknown
//	                 literals (string category first), polymorphic types
//	common_type.go   CommonType (UNION/CASE/COALESCE, select_common_type)
//	cast.go          CastContextOf (pg_cast contexts) and Cast/CastValue
//	ops_*.go         operators: arithmetic, comparison, string/LIKE/regex,
//	                 date/time, jsonb, arrays
//	string.go math.go datetime.go tochar.go json*.go array.go sysfuncs.go
//	misc_funcs.go extra_funcs.go
//	                 scalar functions (json_fast.go: allocation-free -> and
//	                 ->> over the stored text)
//	pg_oids.go       Postgres 15's pg_proc/pg_operator OIDs for the
//	                 signatures we share with it
//	srf.go           set-returning functions (generate_series, unnest...)
//	agg_sigs.go window_sigs.go
//	                 aggregate and window signatures (implemented in exec)
//
// Resolution returns a specialised copy of a polymorphic or "any"-typed
// overload: its Args are the concrete types the planner casts arguments
// to, Ret is the concrete result, and Fn may close over the argument types
// (concat and to_jsonb print values by type, which Datums do not carry).
// Copies are memoised, so equal calls get the same *Overload. Untyped
// literals passed to "any" parameters stay types.Unknown (pg_typeof('x')).
//
// Cast applies assignment rules to type modifiers (22001 for a too long
// varchar); CastValue(..., explicit=true) gives a written cast's rules
// (truncation).
//
// Regular expressions (regex.go) are translated to Go's RE2 syntax and
// compiled once per pattern per call site (a bounded cache whose last entry
// is checked without a lock). Go's regexp tries every start position, so a
// pattern that names a literal every match contains, after a part of
// bounded width, is searched only from just before the literal's first
// occurrence, and not at all in a subject without it (q21: 6x faster).
//
// Sequences: nextval, currval and setval type-assert Context.Catalog to
// SequenceAccess (Context itself is frozen API).
//
// pg_compat_test.go holds expected results produced by PostgreSQL 15 for
// the same calls; keep new cases in that form when behaviour is subtle.
package builtins
