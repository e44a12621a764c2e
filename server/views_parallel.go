package server

import (
	"context"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sql/exec"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// optParallelism is the view option WITH (parallelism = N): the number of
// workers of that view's dataflow, overriding views.parallelism.
const optParallelism = "parallelism"

// viewParallelism is the number of workers view d runs on: its own
// parallelism option, else the server's views.parallelism.
// A view with a TTL runs on one worker: the TTL is attached to the
// dataflow after it is built (Dataflow.EnableTTL), which does not reach the
// workers of a parallel one.
func (m *viewManager) viewParallelism(d *catalog.Descriptor) (int, error) {
	n := max(m.srv.opts.ViewParallelism, 1)
	if v, ok := d.Options[optParallelism]; ok {
		var err error
		n, err = strconv.Atoi(v)
		if err != nil || n < 1 || n > exec.MaxParallelism {
			return 0, types.Errorf(types.CodeInvalidParameterValue,
				"invalid value for option \"parallelism\": %q (want an integer from 1 to %d)", v, exec.MaxParallelism)
		}
	}
	for k := range d.Options {
		if strings.HasPrefix(k, "ttl") {
			return 1, nil
		}
	}
	return n, nil
}

// dataflowWorkers is the workers column of streamdb.dataflows.
func dataflowWorkers(df *exec.Dataflow) types.Datum {
	if df == nil {
		return types.DInt(1)
	}
	return types.DInt(int64(df.Workers()))
}

// explainWorkers describes how a view being explained would be split
// among workers (EXPLAIN CREATE MATERIALIZED VIEW): the same parallelism
// and options as creating it.
func (m *viewManager) explainWorkers(ctx context.Context, plan planner.Node, into *pg_query.IntoClause) ([]string, error) {
	if m == nil {
		return nil, nil
	}
	d := &catalog.Descriptor{Kind: catalog.KindMaterializedView, Options: map[string]string{}}
	if into != nil {
		for _, o := range into.Options {
			if def := o.GetDefElem(); def != nil {
				d.Options[strings.ToLower(def.Defname)] = defString(def.Arg)
			}
		}
	}
	workers, err := m.viewParallelism(d)
	if err != nil {
		return nil, err
	}
	df, err := exec.NewParallelDataflow(ctx, viewEnv(), plan, m.dataflowOptions(d), workers)
	if err != nil {
		return nil, err
	}
	return df.ExplainWorkers(), nil
}
