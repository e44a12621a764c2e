// Package bench holds the Nexmark and checkpoint benchmarks run by
// `make bench` (DESIGN.md section 8). This is a placeholder until they land.
package bench
