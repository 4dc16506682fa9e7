// Command coldstart runs a command n times, one after another, each a new
// process, and prints the median, fastest and slowest wall time and the
// median peak memory: the cold start figures of bench/coldask.sh. Timing
// in this process, rather than with date(1) around each run in the shell,
// leaves the shell's own forks out of the figure.
//
//	coldstart -n 20 -- citebot ask --docs seeds "When was the SCO group founded?"
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

// Result is what the runs measured.
type Result struct {
	Runs     int     `json:"runs"`
	MedianMS float64 `json:"median_ms"`
	MinMS    float64 `json:"min_ms"`
	MaxMS    float64 `json:"max_ms"`
	// CPUMS is the median of the runs' processor time, user and system:
	// a figure other processes on the machine disturb less than wall time.
	CPUMS float64 `json:"cpu_ms"`
	// PeakMB is the median of the runs' peak resident memory.
	PeakMB float64 `json:"peak_mb"`
}

func main() {
	n := flag.Int("n", 20, "runs")
	jsonOut := flag.Bool("json", false, "print the result as one JSON object")
	flag.Parse()
	r, err := run(*n, flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
	if *jsonOut {
		json.NewEncoder(os.Stdout).Encode(r)
		return
	}
	fmt.Printf("%d runs: median %.2f ms (min %.2f, max %.2f; CPU %.2f ms), peak memory %.1f MB\n", r.Runs, r.MedianMS, r.MinMS, r.MaxMS, r.CPUMS, r.PeakMB)
}

func run(n int, argv []string) (Result, error) {
	if len(argv) == 0 {
		return Result{}, errors.New("no command given (coldstart -n 20 -- command args...)")
	}
	if n < 1 {
		return Result{}, errors.New("-n must be at least 1")
	}
	times := make([]float64, 0, n)
	peaks := make([]float64, 0, n)
	cpus := make([]float64, 0, n)
	for i := range n {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdout = io.Discard
		var stderr limited
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return Result{}, fmt.Errorf("run %d of %q: %w; its stderr: %s", i+1, argv, err, stderr.b)
		}
		times = append(times, float64(time.Since(start).Microseconds())/1000)
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			peaks = append(peaks, float64(ru.Maxrss)/1024) // kilobytes on Linux
			cpus = append(cpus, float64((cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime()).Microseconds())/1000)
		}
	}
	slices.Sort(times)
	slices.Sort(peaks)
	slices.Sort(cpus)
	r := Result{Runs: n, MedianMS: median(times), MinMS: times[0], MaxMS: times[len(times)-1]}
	if len(peaks) > 0 {
		r.PeakMB = median(peaks)
		r.CPUMS = median(cpus)
	}
	return r, nil
}

// median of sorted values: the mean of the middle two for an even count.
func median(s []float64) float64 {
	m := len(s) / 2
	if len(s)%2 == 0 {
		return (s[m-1] + s[m]) / 2
	}
	return s[m]
}

// limited keeps the first 4 KB written to it, for an error message.
type limited struct{ b []byte }

func (l *limited) Write(p []byte) (int, error) {
	if room := 4096 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
