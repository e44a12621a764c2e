package builtins

import (
	"github.com/streamdb/streamdb/sql/types"
)

func registerWindows(b *registryBuilder) {
	b.win("row_number", WinRowNumber, types.Int8)
	b.win("rank", WinRank, types.Int8)
	b.win("dense_rank", WinDenseRank, types.Int8)
	b.win("percent_rank", WinPercentRank, types.Float8)
	b.win("cume_dist", WinCumeDist, types.Float8)
	b.win("ntile", WinNtile, types.Int4, types.Int4)
	for _, n := range []struct {
		name string
		kind WindowKind
	}{{"lag", WinLag}, {"lead", WinLead}} {
		b.win(n.name, n.kind, types.AnyElement, types.AnyElement)
		b.win(n.name, n.kind, types.AnyElement, types.AnyElement, types.Int4)
		b.win(n.name, n.kind, types.AnyElement, types.AnyElement, types.Int4, types.AnyElement)
	}
	b.win("first_value", WinFirstValue, types.AnyElement, types.AnyElement)
	b.win("last_value", WinLastValue, types.AnyElement, types.AnyElement)
	b.win("nth_value", WinNthValue, types.AnyElement, types.AnyElement, types.Int4)
}

// ResolveWindow picks the overload of a window function. An aggregate used
// with OVER resolves to Kind WinAggregate with the aggregate's types.
func ResolveWindow(name string, args []*types.T) (*WindowOverload, error) {
	wins := registry().wins[name]
	if len(wins) == 0 {
		agg, err := ResolveAggregate(name, args)
		if err != nil {
			return nil, err
		}
		return &WindowOverload{Name: name, Kind: WinAggregate, Args: agg.Args, Ret: agg.Ret}, nil
	}
	sigs := make([][]*types.T, len(wins))
	rets := make([]*types.T, len(wins))
	for i, w := range wins {
		sigs[i], rets[i] = w.Args, w.Ret
	}
	i, concrete, ret, err := resolveSignature(name, sigs, rets, args)
	if err != nil {
		return nil, err
	}
	return &WindowOverload{Name: name, Kind: wins[i].Kind, Args: concrete, Ret: ret}, nil
}
