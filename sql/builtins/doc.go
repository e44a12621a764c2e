// Package builtins holds the scalar functions, operators and casts of
// streamdb's SQL dialect, and the signatures of its aggregate and window
// functions: name resolution (Postgres overload and implicit-cast rules) for
// the planner, and the implementations the executor calls.
//
// It sits between sql/types and the two packages that use it (sql/planner,
// sql/exec), and imports only sql/types and internal/.
package builtins
