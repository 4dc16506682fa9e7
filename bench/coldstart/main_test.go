package main

import (
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, tt := range []struct {
		in   []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{1, 2, 10}, 2}, {[]float64{1, 2, 4, 10}, 3}} {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRun(t *testing.T) {
	r, err := run(3, []string{"sh", "-c", "echo hi"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Runs != 3 || r.MinMS <= 0 || r.MinMS > r.MedianMS || r.MedianMS > r.MaxMS || r.PeakMB <= 0 {
		t.Errorf("implausible result %+v", r)
	}
	// A failing command stops the runs and says why.
	_, err = run(3, []string{"sh", "-c", "echo broken >&2; exit 3"})
	if err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("a failing command: error %v, want its stderr in it", err)
	}
	if _, err := run(3, nil); err == nil {
		t.Error("no command: no error")
	}
}
