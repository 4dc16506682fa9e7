//go:build !race

package extracttest

const raceEnabled = false
