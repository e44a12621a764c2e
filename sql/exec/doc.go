// Package exec runs plans. Every operator consumes and produces changelog
// chunks (types.Chunk: + / - / U- / U+ rows) and barriers, so the same
// operators serve ad-hoc queries (a bounded input of inserts followed by a
// final barrier, ending in a collector) and materialized views (unbounded
// changelogs, state committed per epoch). Operators are deterministic state
// machines; goroutines, channels and barrier alignment live in the runtime.
//
// The pieces:
//
//   - operator.go: the Operator, Emitter and Source interfaces and the chunk
//     builder operators emit through.
//   - expr.go, subquery.go, cast.go: planner expressions compiled to
//     closures over an evalCtx (parameters, the outer-row stack of
//     correlated subqueries, the per-statement cache of uncorrelated ones).
//     Compiling folds immutable calls over constants once (not over types
//     whose values depend on the session) and passes integers straight to
//     numeric operators that read them (builtins.Overload.IntAsNumeric),
//     so the row loop allocates only the values it produces
//     (BenchmarkNexmarkExprs measures the Nexmark filters and projections).
//   - run.go: Run builds an operator per plan node and drives the tree
//     synchronously: each source pushes all its rows (the right side of a
//     join first), then its final barrier; a LIMIT that has its rows stops
//     the producers below it with a private sentinel.
//   - state.go: the keyed state operators keep (Go maps for now).
//   - watermark.go (the contract), watermark_runtime.go, watermark_state.go:
//     event time in views: input watermarks, late rows, propagation through
//     the plan, expiry of persisted state, the end of a bounded input
//     (Dataflow.EndInput: its watermark becomes +infinity); window_close.go and
//     window_close_partition.go close windows of aggregates and windowed
//     top-N (EMIT ON WINDOW CLOSE), hash_join_watermark.go expires joins on
//     window keys, interval_join.go runs joins whose condition bounds one
//     side's time by the other's and drops rows the watermark puts out of
//     reach.
//   - dataflow.go, dataflow_state.go: the standing dataflow of a view and
//     its persisted state by key group (input rows with counts, or, for
//     an aggregate of decomposable functions, accumulators per group:
//     aggregate_state.go); dataflow_parallel.go and
//     exchange.go run it on parallel workers, each owning a range of the
//     key groups, with exchanges in front of the stateful operators and
//     barriers aligned across workers.
//   - one file per operator; stateful ones (aggregate, hash_join, distinct,
//     set_op, topn) handle retractions and emit per barrier only what
//     changed; sort, limit, window and DISTINCT ON are batch only.
//
// Each operator has datadriven testdata under testdata/<operator> (see
// harness_test.go for the format); oracle_test.go checks that incremental
// maintenance under random changes agrees with a batch recomputation.
package exec
