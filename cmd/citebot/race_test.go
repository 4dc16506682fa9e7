//go:build race

package main

// raceEnabled: the race detector slows code down several times over; the
// browser tests then report their timings without holding them to the
// targets.
const raceEnabled = true
