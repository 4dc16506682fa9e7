package qaset

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func write(t testing.TB, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "qa.jsonl")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRead(t *testing.T) {
	tests := []struct {
		name, body string
		rows       int
		invalid    bool
	}{
		{"evidence", `{"id":"a","question":"When?","answerable":true,"evidence":"in 1871"}`, 1, false},
		{"spans and a blank line", "\n" + `{"id":"b","question":"Q?","answerable":true,"document":"d.txt","spans":[[1,5]]}` + "\n\n", 1, false},
		{"unanswerable without gold", `{"id":"c","question":"Q?","answerable":false}`, 1, false},
		{"not JSON", `{"id":`, 0, true},
		{"no question", `{"id":"d","answerable":false}`, 0, true},
		{"answerable without gold", `{"id":"e","question":"Q?","answerable":true}`, 0, true},
		{"spans without a document", `{"question":"Q?","answerable":true,"spans":[[1,5]]}`, 0, true},
		{"an empty span", `{"question":"Q?","answerable":true,"document":"d","spans":[[5,5]]}`, 0, true},
		{"a span of three", `{"question":"Q?","answerable":true,"document":"d","spans":[[1,2,3]]}`, 0, true},
		{"a negative span", `{"question":"Q?","answerable":true,"document":"d","spans":[[-1,2]]}`, 0, true},
		{"empty file", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := Read(write(t, tt.body))
			if got := errors.Is(err, ErrInvalid); got != tt.invalid {
				t.Fatalf("Read: %v, want invalid %v", err, tt.invalid)
			}
			if len(rows) != tt.rows {
				t.Errorf("%d rows, want %d", len(rows), tt.rows)
			}
		})
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.jsonl")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
}

func TestHolds(t *testing.T) {
	spans := Row{Document: "a.txt", Spans: [][]int{{10, 20}, {100, 103}}}
	evidence := Row{Evidence: "in 1871"}
	tests := []struct {
		name       string
		row        Row
		doc        string
		start, end int
		text       string
		want       bool
	}{
		{"half of a span", spans, "a.txt", 15, 40, "", true},
		{"less than half", spans, "a.txt", 16, 40, "", false},
		{"another document", spans, "b.txt", 0, 200, "", false},
		{"two of three bytes", spans, "a.txt", 101, 110, "", true},
		{"evidence anywhere", evidence, "x.txt", 0, 9, "… in 1871 …", true},
		{"evidence cut", evidence, "x.txt", 0, 9, "… in 187", false},
	}
	for _, tt := range tests {
		if got := tt.row.Holds(tt.doc, tt.start, tt.end, tt.text); got != tt.want {
			t.Errorf("%s: Holds = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// FuzzRead: whatever a file holds, Read returns rows that pass its own
// checks, or an error, and never panics.
func FuzzRead(f *testing.F) {
	f.Add(`{"id":"b","question":"Q?","answerable":true,"document":"d.txt","spans":[[1,5]]}`)
	f.Add(`{"question":"Q?","answerable":true,"evidence":"x"}` + "\n" + `{"question":"R?"}`)
	f.Add("\xff\n{}")
	f.Fuzz(func(t *testing.T, body string) {
		rows, err := Read(write(t, body))
		if err != nil {
			return
		}
		for _, r := range rows {
			if err := r.check(); err != nil {
				t.Fatalf("Read returned a row that fails its check: %v", err)
			}
		}
	})
}
