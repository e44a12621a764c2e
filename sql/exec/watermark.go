package exec

import (
	"context"

	"github.com/streamdb/streamdb/sql/types"
)

// Watermarks: event-time progress in a standing dataflow.
//
// A types.Watermark{Col, Micros} on an input port of an operator is a
// promise: no row arriving later on that port, insert or retraction alike,
// has a value below Micros in column Col (a timestamp or timestamptz column:
// Micros is the Datum's value, microseconds since 2000-01-01, the same
// integer types.DTimestamp / types.DTimestampTZ hold). NULLs in Col are not
// covered by the promise.
//
// Where watermarks come from: an input relation with a WATERMARK FOR col AS
// col - INTERVAL 'd' clause. At each barrier its watermark becomes
// max(col seen so far) - d (never moving back); it is persisted with the
// epoch. Rows arriving with col below the watermark already in force are
// late: the runtime drops them at the input and counts them
// (Dataflow.LateRows), which is what makes the promise hold.
//
// How they move: the runtime (watermark_propagate.go) derives every
// operator's output watermarks from its inputs' at each barrier, from the
// plan: a filter keeps them; a projection keeps a column's watermark when
// the column passes through and derives one for an expression monotone in
// a watermarked column (date_bin, the TUMBLE/HOP window_start, and a
// constant interval added or subtracted: window_end); a HOP expansion
// gives window_start the first window start of the watermark; an aggregate
// keeps the watermarks of its group columns; a hash join keeps, on its
// equi-key columns, the minimum of both sides' watermarks on the paired key
// columns; a union takes, per column, the minimum over its inputs. An
// operator implementing WatermarkForwarder computes its own instead.
//
// Call order within one epoch, for every operator:
//
//  1. Push for every chunk of the epoch, on every input;
//  2. OnWatermark, if the operator is a WatermarkObserver: once per input
//     port and per watermarked column of that input, ports in order, at
//     every barrier (also when the value did not move);
//  3. Barrier.
//
// After Barrier, the runtime asks a StateExpirer which persisted input rows
// it has dropped and deletes them from the state store in the epoch's
// batch.

// WatermarkObserver is implemented by operators that act on event-time
// progress: close windows, emit results that became final, expire state.
//
// OnWatermark delivers the watermark wm of input port `input` (wm.Col is a
// column index of that port's rows). For a given (input, wm.Col) the
// Micros values never decrease. The operator may emit to out (for example
// the final rows of windows the watermark closed, EMIT ON WINDOW CLOSE) and
// may drop working state that no future row can change. Dropping state
// must not emit retractions: expired results stay in the view, as
// emitted. An operator that also needs the barrier (to flush) gets it right
// after, through Barrier.
type WatermarkObserver interface {
	OnWatermark(ctx context.Context, input int, wm types.Watermark, out Emitter) error
}

// StateExpirer is implemented by WatermarkObservers whose persisted state
// (the input rows the runtime stores for them, see dataflow_state.go) must
// shrink when they drop working state.
//
// ExpiryColumns is called once, when the dataflow is built (before any
// row): it names the columns of input port `input` that ExpiredInputs may
// return bounds on (the runtime indexes the stored rows by them); nil: the
// port's stored rows never expire.
//
// After each Barrier the runtime calls ExpiredInputs for every input port:
// every stored row r of that port with r[w.Col] < w.Micros for any
// returned w (w.Col one of ExpiryColumns) is deleted from the state store
// in the epoch's batch, and is not restored after a restart. Return nil to
// expire nothing. The bounds may repeat earlier ones.
type StateExpirer interface {
	ExpiryColumns(input int) []int
	ExpiredInputs(input int) []types.Watermark
}

// WatermarkForwarder is implemented by operators whose output watermarks
// do not follow from their plan node by the generic rules (an interval
// join, say). inputs[i] are the watermarks in force on input port i; the
// result are the watermarks of the operator's output columns. The runtime
// calls it at every barrier, after Barrier.
type WatermarkForwarder interface {
	OutputWatermarks(inputs [][]types.Watermark) []types.Watermark
}

// findWatermark returns the watermark on column col among wms.
func findWatermark(wms []types.Watermark, col int) (int64, bool) {
	for _, w := range wms {
		if w.Col == col {
			return w.Micros, true
		}
	}
	return 0, false
}
