package bench

import "testing"

// BenchmarkPlaceholder keeps `make bench` meaningful until the Nexmark
// benchmarks replace it.
func BenchmarkPlaceholder(b *testing.B) {
	sum := 0
	for i := range b.N {
		sum += i
	}
	_ = sum
}
