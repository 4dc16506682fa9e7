//go:build race

package extracttest

// raceEnabled: the race detector slows code down several times over,
// which tests with time bounds allow for.
const raceEnabled = true
