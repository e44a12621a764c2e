//go:build race

package exec

// raceEnabled: the race detector is on. It allocates behind the code's
// back, so allocation-count assertions hold only without it.
const raceEnabled = true
