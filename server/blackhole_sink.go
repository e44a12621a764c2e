package server

import (
	"context"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/types"
)

// A black-hole sink runs a query as a dataflow and discards its output:
//
//	CREATE SINK s AS SELECT ... WITH (connector = 'blackhole');
//	DROP SINK s;
//
// It is what Flink and RisingWave attach their Nexmark queries to, so
// the benchmark (bench/nexmark, variant "blackhole") measures the same
// work they publish: the operators and their state, without keeping the
// result. It is a materialized view whose result rows are never written
// (viewManager.applyRows returns early), so it shares the view runtime:
// epochs, operator state, checkpoints and recovery. It is listed with the
// materialized views (the option blackholeSinkOption marks it); reading
// it is refused with 0A000 rather than answering an empty result.

// blackholeSinkOption marks a materialized view descriptor as a black-hole
// sink.
const blackholeSinkOption = "sink.connector"

func isBlackholeSink(d *catalog.Descriptor) bool {
	return d != nil && d.Kind == catalog.KindMaterializedView && strings.EqualFold(d.Options[blackholeSinkOption], "blackhole")
}

// errReadBlackholeSink answers a read of a black-hole sink.
func errReadBlackholeSink(name string) error {
	return types.Errorf(types.CodeFeatureNotSupported, "%q is a black-hole sink: its output is discarded, so it cannot be read", name)
}

// blackholeSinkDDL handles CREATE SINK ... WITH (connector = 'blackhole')
// and DROP SINK of a black-hole sink; handled is false for anything else
// (Kafka sinks).
func (sess *session) blackholeSinkDDL(ctx context.Context, st parser.Statement, w pgwire.ResultWriter) (handled bool, err error) {
	switch st.Kind {
	case parser.CreateSink:
		vs := st.AST.GetViewStmt()
		var connector string
		ifNotExists := false
		var keep []*pg_query.Node
		for _, o := range vs.Options {
			d := o.GetDefElem()
			switch {
			case d == nil:
			case d.Defname == "connector" && d.Defnamespace == "":
				connector = defString(d.Arg)
				continue
			case d.Defname == parser.OptionIfNotExists:
				ifNotExists = defString(d.Arg) == "true"
				continue
			}
			keep = append(keep, o)
		}
		if !strings.EqualFold(connector, "blackhole") {
			return false, nil
		}
		if len(keep) > 0 {
			return true, types.Errorf(types.CodeInvalidParameterValue, "a black-hole sink takes no option but connector")
		}
		opts := []*pg_query.Node{{Node: &pg_query.Node_DefElem{DefElem: &pg_query.DefElem{
			Defname: blackholeSinkOption, Arg: pg_query.MakeStrNode("blackhole")}}}}
		ct := &pg_query.CreateTableAsStmt{
			Query:       vs.Query,
			Into:        &pg_query.IntoClause{Rel: vs.View, Options: opts},
			Objtype:     pg_query.ObjectType_OBJECT_MATVIEW,
			IfNotExists: ifNotExists,
		}
		return true, sess.createMaterializedView(ctx, st, ct, tagRewriter{ResultWriter: w, tag: "CREATE SINK"})
	case parser.DropSink:
		ds := st.AST.GetDropStmt()
		for _, o := range ds.Objects {
			names := nameStrings(o.GetList().GetItems())
			schema, name := "", names[len(names)-1]
			if len(names) > 1 {
				schema = names[len(names)-2]
			}
			d, err := sess.srv.cat.ResolveRelation(name, schema, sess.settings.searchPath())
			if err != nil || !isBlackholeSink(d) {
				return false, nil
			}
		}
		asView := &pg_query.DropStmt{Objects: ds.Objects, RemoveType: pg_query.ObjectType_OBJECT_MATVIEW,
			Behavior: ds.Behavior, MissingOk: ds.MissingOk}
		return true, sess.drop(ctx, asView, tagRewriter{ResultWriter: w, tag: "DROP SINK"})
	}
	return false, nil
}
