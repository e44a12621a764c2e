package server

import (
	"regexp"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/exec"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/types"
)

// optWatermarkDelayMicros records a WATERMARK clause's delay in
// microseconds, for the view runtime (the user's text stays in
// watermark.delay).
const optWatermarkDelayMicros = "watermark.delay_us"

// Interval typmod field bits (Postgres' INTERVAL_MASK) for the single-field
// forms INTERVAL '4' SECOND etc.
var intervalFieldUnits = map[int64]string{
	1 << 2: "years", 1 << 1: "months", 1 << 3: "days", 1 << 10: "hours", 1 << 11: "minutes", 1 << 12: "seconds",
}

var bareNumber = regexp.MustCompile(`^\s*[0-9]+(\.[0-9]+)?\s*$`)

// validateWatermark checks the watermark.column / watermark.delay options a
// WATERMARK FOR clause became (sql/parser/dialect_watermark.go): the column
// must exist and be a timestamp, the delay a constant interval without
// months, not negative. It records the delay in microseconds.
func validateWatermark(desc *catalog.Descriptor) error {
	col, ok := desc.Options[parser.OptionWatermarkColumn]
	if !ok {
		return nil
	}
	slot := findSlot(desc, col)
	if slot < 0 {
		return types.Errorf(types.CodeUndefinedColumn, "column %q named in WATERMARK FOR does not exist", col)
	}
	if f := desc.Columns[slot].Type().Family; f != types.TimestampFamily && f != types.TimestampTZFamily {
		return types.Errorf(types.CodeDatatypeMismatch, "WATERMARK FOR column %q must be of type timestamp or timestamp with time zone", col)
	}
	delay := strings.TrimSpace(desc.Options[parser.OptionWatermarkDelay])
	micros := int64(0)
	if delay != "0" {
		iv, err := constantInterval(delay)
		if err != nil {
			return err
		}
		if iv.Months != 0 || iv.Days < 0 || iv.Micros < 0 {
			return types.Errorf(types.CodeInvalidParameterValue, "the WATERMARK delay must be a non-negative interval without months or years")
		}
		micros = int64(iv.Days)*86_400_000_000 + iv.Micros
	}
	desc.Options[optWatermarkDelayMicros] = strconv.FormatInt(micros, 10)
	return nil
}

// constantInterval evaluates INTERVAL 'text' [field] or 'text'::interval.
func constantInterval(expr string) (types.IntervalValue, error) {
	bad := types.Errorf(types.CodeInvalidParameterValue, "the WATERMARK delay must be an interval literal such as INTERVAL '4' SECOND, not %s", expr)
	res, err := pg_query.Parse("SELECT " + expr)
	if err != nil || len(res.Stmts) != 1 {
		return types.IntervalValue{}, bad
	}
	sel := res.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil || len(sel.TargetList) != 1 {
		return types.IntervalValue{}, bad
	}
	tc := sel.TargetList[0].GetResTarget().GetVal().GetTypeCast()
	if tc == nil || tc.Arg.GetAConst() == nil || tc.Arg.GetAConst().GetSval() == nil {
		return types.IntervalValue{}, bad
	}
	names := nameStrings(tc.TypeName.Names)
	if len(names) == 0 || names[len(names)-1] != "interval" {
		return types.IntervalValue{}, bad
	}
	text := tc.Arg.GetAConst().GetSval().Sval
	if len(tc.TypeName.Typmods) > 0 && bareNumber.MatchString(text) {
		if c := tc.TypeName.Typmods[0].GetAConst(); c != nil && c.GetIval() != nil {
			if unit, ok := intervalFieldUnits[int64(c.GetIval().Ival)]; ok {
				text += " " + unit
			}
		}
	}
	v, err := builtins.CastValue(&builtins.Context{}, types.DString(text), types.Text, types.Interval, true)
	if err != nil {
		return types.IntervalValue{}, err
	}
	return v.Interval(), nil
}

// optEmitOnWindowClose is the view option EMIT ON WINDOW CLOSE becomes
// (sql/parser/dialect_watermark.go).
const optEmitOnWindowClose = parser.OptionEmitOnWindowClose

// dataflowOptions are the options of a view's dataflow: its state table
// ids, the WATERMARK clauses of the tables and sources it reads, and EMIT
// ON WINDOW CLOSE.
func (m *viewManager) dataflowOptions(d *catalog.Descriptor) exec.DataflowOptions {
	return exec.DataflowOptions{
		StateBase:         stateBase(d.OID),
		EmitOnWindowClose: d.Options[optEmitOnWindowClose] == "true",
		InputWatermark: func(oid uint32) (int, int64, bool) {
			src, ok := m.srv.cat.ByOID(oid)
			if !ok || src.Kind != catalog.KindTable {
				return 0, 0, false
			}
			col, ok := src.Options[parser.OptionWatermarkColumn]
			if !ok {
				return 0, 0, false
			}
			slot := findSlot(src, col)
			delay, err := strconv.ParseInt(src.Options[optWatermarkDelayMicros], 10, 64)
			if slot < 0 || err != nil {
				return 0, 0, false
			}
			return slot, delay, true
		},
	}
}

// watermarkDatum shows a dataflow's input watermark in
// streamdb.dataflows: NULL when it has none (yet).
func watermarkDatum(df *exec.Dataflow) types.Datum {
	if df == nil {
		return types.Null
	}
	if wm, ok := df.InputWatermark(); ok {
		return types.DTimestampTZ(wm)
	}
	return types.Null
}

// lateRows counts the rows a view dropped for arriving behind the
// watermark.
func lateRows(df *exec.Dataflow) int64 {
	if df == nil {
		return 0
	}
	return df.LateRows()
}

// registerWatermarkMetrics exports the late rows of every view:
// streamdb_view_late_rows_total.
func (s *Server) registerWatermarkMetrics() {
	m := s.views
	s.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "streamdb_view_late_rows_total",
		Help: "Rows dropped by materialized views for arriving behind their input's watermark.",
	}, func() float64 {
		if m == nil {
			return 0
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		var n int64
		for _, v := range m.views {
			n += lateRows(v.df)
		}
		return float64(n)
	}))
}
