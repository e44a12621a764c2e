package nexmark

import (
	"testing"

	gen "github.com/streamdb/streamdb/sources/nexmark"
	"github.com/streamdb/streamdb/sql/types"
)

// BenchmarkGenerator is the generator's own cost, the in-process share a
// throughput run's per-core figure includes: one op is one event of the
// stream, produced the way the server does (one generator per source
// kind, each scanning the whole stream for its kind, 10,000 rows per
// call). It excludes writing the rows into the source tables, which the
// generator-only server run (VariantGenerator) includes.
func BenchmarkGenerator(b *testing.B) {
	kinds := []gen.Kind{gen.KindPerson, gen.KindAuction, gen.KindBid}
	gens := make([]*gen.Generator, len(kinds))
	for i := range kinds {
		g, err := gen.New(gen.DefaultConfig(int64(b.N)))
		if err != nil {
			b.Fatal(err)
		}
		gens[i] = g
	}
	rows := make([]types.Row, 0, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	produced := 0
	for i, g := range gens {
		for !g.Done() {
			rows = g.AppendRows(rows[:0], kinds[i], cap(rows), 1<<62)
			produced += len(rows)
		}
	}
	if produced != b.N {
		b.Fatalf("%d rows for %d events", produced, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
