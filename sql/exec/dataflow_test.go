package exec

import (
	"context"
	"testing"

	"github.com/streamdb/streamdb/sql/planner"
	"github.com/streamdb/streamdb/sql/types"
)

// testScan is a scan of table id whose storage layout is its columns.
func testScan(id uint32, ts ...*types.T) *planner.Scan {
	s := &planner.Scan{Table: planner.TableRef{ID: id, Name: "t", NumPhysical: len(ts)}}
	for i, t := range ts {
		s.Phys = append(s.Phys, i)
		s.Cols = append(s.Cols, types.Column{Name: "c", Type: t})
	}
	return s
}

func TestDataflowJoinSmoke(t *testing.T) {
	a := testScan(1, types.Int4, types.Text)
	b := testScan(2, types.Int4, types.Text)
	plan := &planner.Join{Kind: planner.InnerJoin, Left: a, Right: b, LeftKeys: []int{0}, RightKeys: []int{0},
		Cols: append(append(types.Schema{}, a.Cols...), b.Cols...)}
	ctx := context.Background()
	df, err := NewDataflow(ctx, nil, plan)
	if err != nil {
		t.Fatal(err)
	}
	var c types.Chunk
	c.Append(types.Insert, types.Row{types.DInt(1), types.DString("p")})
	if err := df.Push(ctx, 1, &c); err != nil {
		t.Fatal(err)
	}
	c.Reset()
	c.Append(types.Insert, types.Row{types.DInt(1), types.DString("r")})
	if err := df.Push(ctx, 2, &c); err != nil {
		t.Fatal(err)
	}
	out, err := df.Barrier(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if out.Len() != 1 {
		t.Fatalf("got %d rows", out.Len())
	}
}
