// Package planner turns parsed SQL into plans: the binder resolves names and
// types against the catalog and produces a tree of plain-data plan nodes
// (plan.go) over typed expressions (expr.go). The executor runs those trees,
// as one-shot dataflows for ad-hoc queries and as standing dataflows for
// materialized views.
//
// Plans are plain data: no method here executes anything, and the planner
// never imports the executor or the state store.
package planner
