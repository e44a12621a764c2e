package exec

import (
	"context"
	"strconv"
	"testing"

	"github.com/streamdb/streamdb/sql/builtins"
	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// The Nexmark bid columns the expression benchmarks read.
const (
	bidAuction = iota
	bidBidder
	bidPrice
	bidChannel
	bidURL
	bidDateTime
	bidExtra
)

var bidTypes = []*types.T{types.Int8, types.Int8, types.Int8, types.Text, types.Text, types.Timestamp, types.Text}

// bidChunk is a chunk of bids shaped like the generator's: a tenth of the
// URLs without a channel_id, a few named channels.
func bidChunk() *types.Chunk {
	var c types.Chunk
	channels := []string{"Google", "Facebook", "Baidu", "Apple"}
	for i := range types.ChunkCapacity {
		channel := "channel-" + strconv.Itoa(i%97)
		if i%10 == 3 {
			channel = channels[i%len(channels)]
		}
		url := "https://www.nexmark.com/abcde/fghij/klmno/item.htm?query=1"
		if i%10 != 0 {
			url += "&channel_id=" + strconv.Itoa(1000000+i*7919)
		}
		c.Append(types.Insert, types.Row{
			types.DInt(int64(1000 + i)), types.DInt(int64(2000 + i%300)), types.DInt(int64(1000 + i*104729%60000000)),
			types.DString(channel), types.DString(url),
			types.DTimestamp(1700000000000000 + int64(i)*3_600_000_000/7),
			types.DString("ccbxcyzcabcdefghijklmnopqrstuvwxyzabcc"),
		})
	}
	return &c
}

func bidCol(i int) planner.Expr { return &planner.ColRef{Idx: i, Typ: bidTypes[i]} }

func textConst(s string) planner.Expr {
	return &planner.Const{Value: types.DString(s), Typ: types.Text}
}

func intConst(v int64, t *types.T) planner.Expr {
	return &planner.Const{Value: types.DInt(v), Typ: t}
}

func numConst(tb testing.TB, s string) planner.Expr {
	d, err := types.ParseDecimal(s)
	if err != nil {
		tb.Fatal(err)
	}
	return &planner.Const{Value: types.DDecimal(d), Typ: types.Numeric}
}

func callFn(tb testing.TB, name string, args ...planner.Expr) planner.Expr {
	ts := make([]*types.T, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	o, err := builtins.ResolveFunction(name, ts)
	if err != nil {
		tb.Fatal(err)
	}
	return &planner.Func{Fn: o, Args: args, Typ: o.Ret}
}

func binop(tb testing.TB, op string, l, r planner.Expr) planner.Expr {
	o, err := builtins.ResolveOperator(op, l.Type(), r.Type())
	if err != nil {
		tb.Fatal(err)
	}
	return &planner.Func{Fn: o, Args: []planner.Expr{l, r}, Typ: o.Ret}
}

// euroPrice is 0.908 * price, with the bigint price cast to numeric as the
// binder does.
func euroPrice(tb testing.TB) planner.Expr {
	return binop(tb, "*", numConst(tb, "0.908"), &planner.Cast{Arg: bidCol(bidPrice), Typ: types.Numeric})
}

// hourOf is extract(hour FROM date_time).
func hourOf(tb testing.TB) planner.Expr {
	return callFn(tb, "extract", textConst("hour"), bidCol(bidDateTime))
}

// channelID is (regexp_match(url, '(&|^)channel_id=([^&]*)'))[2].
func channelID(tb testing.TB) planner.Expr {
	m := callFn(tb, "regexp_match", bidCol(bidURL), textConst("(&|^)channel_id=([^&]*)"))
	return &planner.Subscript{Arg: m, Index: intConst(2, types.Int4), Typ: types.Text}
}

func lowerChannelIs(tb testing.TB, name string) planner.Expr {
	return binop(tb, "=", callFn(tb, "lower", bidCol(bidChannel)), textConst(name))
}

// exprBenchQueries are the filters and projections of the expression-heavy
// Nexmark queries, as the binder plans them (bench/nexmark/queries.sql).
func exprBenchQueries(tb testing.TB) map[string]struct {
	pred  planner.Expr // nil: no filter
	exprs []planner.Expr
} {
	type q = struct {
		pred  planner.Expr
		exprs []planner.Expr
	}
	hour := func(op string, v int64) planner.Expr {
		return binop(tb, op, hourOf(tb), numConst(tb, strconv.FormatInt(v, 10)))
	}
	q14Case := &planner.Case{Whens: []planner.CaseWhen{
		{Cond: &planner.And{Args: []planner.Expr{hour(">=", 8), hour("<=", 18)}}, Result: textConst("dayTime")},
		{Cond: &planner.Or{Args: []planner.Expr{hour("<=", 6), hour(">=", 20)}}, Result: textConst("nightTime")},
	}, Else: textConst("otherTime"), Typ: types.Text}
	cCounts := binop(tb, "-", callFn(tb, "length", bidCol(bidExtra)),
		callFn(tb, "length", callFn(tb, "replace", bidCol(bidExtra), textConst("c"), textConst(""))))
	names := []string{"apple", "google", "facebook", "baidu"}
	var q21Whens []planner.CaseWhen
	var inList []planner.Expr
	for i, n := range names {
		q21Whens = append(q21Whens, planner.CaseWhen{Cond: lowerChannelIs(tb, n), Result: textConst(strconv.Itoa(i))})
		inList = append(inList, textConst(n))
	}
	eqText, err := builtins.ResolveOperator("=", types.Text, types.Text)
	if err != nil {
		tb.Fatal(err)
	}
	dir := func(n int64) planner.Expr {
		return callFn(tb, "split_part", bidCol(bidURL), textConst("/"), intConst(n, types.Int4))
	}
	return map[string]q{
		"q1": {exprs: []planner.Expr{bidCol(bidAuction), bidCol(bidBidder), euroPrice(tb), bidCol(bidDateTime), bidCol(bidExtra)}},
		"q2": {pred: binop(tb, "=", binop(tb, "%", bidCol(bidAuction), intConst(123, types.Int8)), intConst(0, types.Int8)),
			exprs: []planner.Expr{bidCol(bidAuction), bidCol(bidPrice)}},
		"q14": {
			pred: &planner.And{Args: []planner.Expr{
				binop(tb, ">", euroPrice(tb), numConst(tb, "1000000")),
				binop(tb, "<", euroPrice(tb), numConst(tb, "50000000")),
			}},
			exprs: []planner.Expr{bidCol(bidAuction), bidCol(bidBidder), euroPrice(tb), q14Case, bidCol(bidDateTime), bidCol(bidExtra), cCounts},
		},
		"q21": {
			pred: &planner.Or{Args: []planner.Expr{
				&planner.IsNull{Arg: channelID(tb), Negate: true},
				&planner.InList{Arg: callFn(tb, "lower", bidCol(bidChannel)), List: inList, Eq: eqText},
			}},
			exprs: []planner.Expr{bidCol(bidAuction), bidCol(bidBidder), bidCol(bidPrice), bidCol(bidChannel),
				&planner.Case{Whens: q21Whens, Else: channelID(tb), Typ: types.Text}},
		},
		"q22": {exprs: []planner.Expr{bidCol(bidAuction), bidCol(bidBidder), bidCol(bidPrice), bidCol(bidChannel), dir(4), dir(5), dir(6)}},
	}
}

type discardEmitter struct{ rows int }

func (d *discardEmitter) Emit(_ context.Context, c *types.Chunk) error {
	d.rows += c.Len()
	return nil
}

// BenchmarkNexmarkExprs runs the filter and projection of q1, q2, q14, q21
// and q22 over one chunk of bids per op: the per-row cost of expression
// evaluation, without sources, state or the dataflow runtime.
//
//	go test -run '^$' -bench NexmarkExprs -benchmem ./sql/exec
func BenchmarkNexmarkExprs(b *testing.B) {
	chunk := bidChunk()
	for _, name := range []string{"q1", "q2", "q14", "q21", "q22"} {
		qq := exprBenchQueries(b)[name]
		b.Run(name, func(b *testing.B) {
			ec := newEvalCtx(context.Background(), nil)
			proj, err := newProject(ec, &planner.Project{Exprs: qq.exprs}, true)
			if err != nil {
				b.Fatal(err)
			}
			var op interface {
				Push(context.Context, int, *types.Chunk, Emitter) error
			} = proj
			sink := &discardEmitter{}
			if qq.pred != nil {
				f, err := newFilter(ec, &planner.Filter{Pred: qq.pred})
				if err != nil {
					b.Fatal(err)
				}
				op = &pipe{first: f, then: proj, out: sink}
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := op.Push(context.Background(), 0, chunk, sink); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*chunk.Len()), "ns/row")
		})
	}
}

// pipe feeds what first emits to then.
type pipe struct {
	first, then interface {
		Push(context.Context, int, *types.Chunk, Emitter) error
	}
	out Emitter
}

func (p *pipe) Push(ctx context.Context, in int, c *types.Chunk, _ Emitter) error {
	return p.first.Push(ctx, in, c, emitFunc(func(ctx context.Context, c *types.Chunk) error {
		return p.then.Push(ctx, 0, c, p.out)
	}))
}

type emitFunc func(context.Context, *types.Chunk) error

func (f emitFunc) Emit(ctx context.Context, c *types.Chunk) error { return f(ctx, c) }

// TestNexmarkExprs checks the benchmark's expressions compute what the
// queries mean on a few rows, so that the benchmark measures real work.
func TestNexmarkExprs(t *testing.T) {
	chunk := bidChunk()
	qs := exprBenchQueries(t)
	ec := newEvalCtx(context.Background(), nil)
	eval := func(e planner.Expr, row types.Row) types.Datum {
		fn, err := compileExpr(e)
		if err != nil {
			t.Fatal(err)
		}
		d, err := fn(ec, row)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	r1 := chunk.Rows[1]
	if got := formatDatum(eval(qs["q1"].exprs[2], r1)); got != "96001.932" {
		t.Errorf("q1 price of %v = %s", r1[bidPrice], got)
	}
	if got := eval(qs["q21"].exprs[4], r1); got.S != "1007919" {
		t.Errorf("q21 channel_id = %v", got)
	}
	if got := eval(qs["q21"].pred, chunk.Rows[0]); !got.IsNull() && got.Bool() {
		t.Errorf("q21 keeps a bid without channel_id on %q", chunk.Rows[0][bidChannel].S)
	}
	if got := eval(qs["q21"].exprs[4], chunk.Rows[3]); got.S != "0" && got.S != "1" && got.S != "2" && got.S != "3" {
		t.Errorf("q21 named channel %q: channel_id %v", chunk.Rows[3][bidChannel].S, got)
	}
	if got := eval(qs["q22"].exprs[5], r1); got.S != "fghij" {
		t.Errorf("q22 dir2 = %v", got)
	}
	if got := eval(qs["q14"].exprs[6], r1); got.I != 7 {
		t.Errorf("q14 c_counts = %v", got)
	}
	if got := eval(qs["q14"].exprs[3], r1); got.S != "nightTime" && got.S != "dayTime" && got.S != "otherTime" {
		t.Errorf("q14 bid_time_type = %v", got)
	}
}
