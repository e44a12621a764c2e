package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/internal/kafkaconn"
	"github.com/streamdb/streamdb/pgwire"
	sinkkafka "github.com/streamdb/streamdb/sinks/kafka"
	"github.com/streamdb/streamdb/sql/parser"
	"github.com/streamdb/streamdb/sql/types"
)

// connectorDDL runs the dialect statements of sql/parser/dialect_format.go
// (CREATE SOURCE, CREATE SINK, DROP SINK, DROP SOURCE).
func (sess *session) connectorDDL(ctx context.Context, st parser.Statement, w pgwire.ResultWriter) error {
	if handled, err := sess.blackholeSinkDDL(ctx, st, w); handled { // blackhole_sink.go
		return err
	}
	switch st.Kind {
	case parser.CreateSource:
		cs := st.AST.GetCreateStmt()
		cs.Options = append(cs.Options, &pg_query.Node{Node: &pg_query.Node_DefElem{DefElem: &pg_query.DefElem{
			Defname: optAppendOnly, Arg: pg_query.MakeStrNode("true")}}})
		if !hasOption(cs.Options, "connector") {
			return types.Errorf(types.CodeInvalidParameterValue, "CREATE SOURCE needs WITH (connector = 'kafka', ...)")
		}
		return sess.createTable(cs, tagRewriter{ResultWriter: w, tag: "CREATE SOURCE"})
	case parser.DropSource:
		return sess.drop(ctx, st.AST.GetDropStmt(), tagRewriter{ResultWriter: w, tag: "DROP SOURCE"})
	case parser.CreateSink:
		return sess.createSink(st.AST.GetViewStmt(), w)
	case parser.DropSink:
		return sess.dropSink(st.AST.GetDropStmt(), w)
	}
	return types.Unsupported(statementName(st.AST))
}

// tagRewriter completes with tag instead of the underlying statement's.
type tagRewriter struct {
	pgwire.ResultWriter
	tag string
}

func (t tagRewriter) Complete(string) error { return t.ResultWriter.Complete(t.tag) }

func hasOption(opts []*pg_query.Node, name string) bool {
	for _, o := range opts {
		if d := o.GetDefElem(); d != nil && d.Defname == name {
			return true
		}
	}
	return false
}

func (sess *session) createSink(vs *pg_query.ViewStmt, w pgwire.ResultWriter) error {
	schema, err := sess.createSchemaFor(vs.View)
	if err != nil {
		return err
	}
	name := vs.View.Relname
	opts := map[string]string{}
	for _, o := range vs.Options {
		d := o.GetDefElem()
		key := d.Defname
		if d.Defnamespace != "" {
			key = d.Defnamespace + "." + key
		}
		val := ""
		if d.Arg != nil {
			val = defString(d.Arg)
		}
		opts[key] = val
	}
	ifNotExists := opts[parser.OptionIfNotExists] == "true"
	delete(opts, parser.OptionIfNotExists)
	if _, exists := sess.srv.cat.LookupRelation(schema, name); exists {
		if ifNotExists {
			_ = w.Notice("NOTICE", types.CodeDuplicateObject, fmt.Sprintf("relation %q already exists, skipping", name))
			return w.Complete("CREATE SINK")
		}
		return types.Errorf(types.CodeDuplicateObject, "relation %q already exists", name)
	}
	if c := opts["connector"]; !strings.EqualFold(c, "kafka") {
		if c == "" {
			return types.Errorf(types.CodeInvalidParameterValue, "CREATE SINK needs WITH (connector = 'kafka', topic = '...', properties.bootstrap.server = '...')")
		}
		return types.Errorf(types.CodeFeatureNotSupported, "sink connector %q is not supported (only 'kafka')", c)
	}
	if opts["topic"] == "" {
		return types.Errorf(types.CodeInvalidParameterValue, "option \"topic\" is required")
	}
	if _, err := kafkaconn.Parse(opts); err != nil {
		return types.WithCode(err, types.CodeInvalidParameterValue)
	}
	format, err := sinkkafka.ParseFormat(opts[parser.OptionFormat], opts[parser.OptionEncode])
	if err != nil {
		return err
	}
	rv := plainSelectStar(vs.Query)
	if rv == nil {
		return types.Unsupported("CREATE SINK AS a query other than SELECT * FROM a relation (create a materialized view and a sink FROM it)")
	}
	input, err := sess.srv.cat.ResolveRelation(rv.Relname, rv.Schemaname, sess.settings.searchPath())
	if err != nil {
		return err
	}
	if input.Kind != catalog.KindTable && input.Kind != catalog.KindMaterializedView {
		return types.Unsupported(fmt.Sprintf("sinks from a %s (only tables, CDC tables, sources and materialized views)", kindWord(input.Kind)))
	}
	if format == sinkkafka.FormatPlain && input.Options[optAppendOnly] != "true" {
		return types.Unsupported("FORMAT PLAIN sinks from an input that can retract (a table accepts UPDATE and DELETE); use FORMAT UPSERT or DEBEZIUM, or sink from a source")
	}
	key := input.PrimaryKey
	if pk := opts["primary_key"]; pk != "" {
		key = nil
		for _, c := range strings.Split(pk, ",") {
			s := findSlot(input, strings.TrimSpace(c))
			if s < 0 || input.Columns[s].Hidden {
				return types.Errorf(types.CodeUndefinedColumn, "primary_key column %q does not exist in %q", strings.TrimSpace(c), input.Name)
			}
			key = append(key, s)
		}
	}
	if format != sinkkafka.FormatPlain && len(key) == 0 {
		return types.Errorf(types.CodeInvalidParameterValue, "FORMAT %s sinks need primary_key = 'col,...' (the input %q has no primary key)", strings.ToUpper(opts[parser.OptionFormat]), input.Name)
	}
	keyStrs := make([]string, len(key))
	for i, s := range key {
		keyStrs[i] = strconv.Itoa(s)
	}
	offs, err := sess.srv.cat.AllocOID()
	if err != nil {
		return err
	}
	opts[optOffsetsOID] = strconv.FormatUint(uint64(offs), 10)
	opts[optSinkInput] = strconv.FormatUint(uint64(input.OID), 10)
	opts[optSinkKey] = strings.Join(keyStrs, ",")
	desc := &catalog.Descriptor{Kind: catalog.KindSink, Namespace: schema, Name: name, Owner: sess.info.User,
		Query: "SELECT * FROM " + quoteIdentIfNeeded(input.Namespace) + "." + quoteIdentIfNeeded(input.Name), Options: opts, DependsOn: []uint32{input.OID}}
	if err := sess.srv.cat.Create(desc); err != nil {
		return err
	}
	if sess.srv.kafka != nil {
		if err := sess.srv.kafka.startSink(desc); err != nil {
			return err
		}
	}
	return w.Complete("CREATE SINK")
}

// plainSelectStar returns the relation of "SELECT * FROM rel", else nil.
func plainSelectStar(q *pg_query.Node) *pg_query.RangeVar {
	s := q.GetSelectStmt()
	if s == nil || len(s.FromClause) != 1 || s.WhereClause != nil || len(s.GroupClause) > 0 || s.HavingClause != nil ||
		len(s.SortClause) > 0 || s.LimitCount != nil || s.LimitOffset != nil || len(s.DistinctClause) > 0 || s.WithClause != nil ||
		len(s.TargetList) != 1 || s.Op != pg_query.SetOperation_SETOP_NONE {
		return nil
	}
	rt := s.TargetList[0].GetResTarget()
	if rt == nil || rt.Val.GetColumnRef() == nil || len(rt.Val.GetColumnRef().Fields) != 1 || rt.Val.GetColumnRef().Fields[0].GetAStar() == nil {
		return nil
	}
	return s.FromClause[0].GetRangeVar()
}

func (sess *session) dropSink(ds *pg_query.DropStmt, w pgwire.ResultWriter) error {
	for _, o := range ds.Objects {
		names := nameStrings(o.GetList().GetItems())
		schema, name := "", names[len(names)-1]
		if len(names) > 1 {
			schema = names[len(names)-2]
		}
		d, err := sess.srv.cat.ResolveRelation(name, schema, sess.settings.searchPath())
		if err != nil || d.Kind != catalog.KindSink {
			if ds.MissingOk {
				_ = w.Notice("NOTICE", types.CodeSuccessfulCompletion, fmt.Sprintf("sink %q does not exist, skipping", name))
				continue
			}
			return types.Errorf(types.CodeUndefinedObject, "sink %q does not exist", name)
		}
		if err := sess.srv.cat.Drop(d.OID); err != nil {
			return err
		}
		sess.srv.kafka.dropped(d)
	}
	return w.Complete("DROP SINK")
}

// refuseSourceWrites refuses INSERT, UPDATE, DELETE and COPY FROM on a
// source (CREATE SOURCE): its rows come from Kafka only, append-only.
// Tables with a connector (CDC tables) accept writes, which the stream
// may later overwrite by primary key.
func refuseSourceWrites(d *catalog.Descriptor) error {
	if d.Options[optAppendOnly] == "true" {
		return types.Errorf(types.CodeFeatureNotSupported, "cannot write to source %q: its rows come from Kafka only", d.Name)
	}
	return nil
}
