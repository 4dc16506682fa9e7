// Package qaset reads question sets with gold answers and judges whether a
// span of a document holds a question's gold answer. The evaluation
// (citebot eval --set) and the answer model's training (tools/train) both
// use it, so that what is measured is what is learned.
//
// A set is JSON lines, one question each: {"id", "lang", "question",
// "answerable", "document", "evidence", "spans"}. The gold answer is an
// evidence string (the text must contain it whole) or byte spans of the
// document (as the XQuAD scorer counts: a span of the same document that
// overlaps at least half of a gold span's bytes holds it); a row may give
// both, and any one counts.
package qaset

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Row is one question of a set.
type Row struct {
	ID         string  `json:"id"`
	Lang       string  `json:"lang"`
	Question   string  `json:"question"`
	Answerable bool    `json:"answerable"`
	Document   string  `json:"document"`
	Evidence   string  `json:"evidence"`
	Spans      [][]int `json:"spans"`
}

// ErrInvalid marks a set that is not one: bad JSON, a row without a
// question or without gold for an answerable question, a malformed span.
var ErrInvalid = errors.New("invalid QA set")

// Read reads a set, checking every row.
func Read(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("QA set: %w", err)
	}
	defer f.Close()
	var rows []Row
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var r Row
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("%w: %s line %d: %w", ErrInvalid, path, n, err)
		}
		if err := r.check(); err != nil {
			return nil, fmt.Errorf("%w: %s line %d: %w", ErrInvalid, path, n, err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("QA set %s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: %s: no questions", ErrInvalid, path)
	}
	return rows, nil
}

func (r Row) check() error {
	if r.Question == "" || (r.Answerable && r.Evidence == "" && len(r.Spans) == 0) {
		return errors.New("needs a question, and evidence or spans when answerable")
	}
	if len(r.Spans) > 0 && r.Document == "" {
		return errors.New("spans need the document they are offsets into")
	}
	for _, s := range r.Spans {
		if len(s) != 2 || s[0] < 0 || s[0] >= s[1] {
			return fmt.Errorf("span %v is not [start, end] with 0 <= start < end", s)
		}
	}
	return nil
}

// Holds reports whether a passage or citation (document, byte span, its
// text) holds the row's gold answer: it contains the whole evidence string
// (in the row's document when it names one), or it is in the row's
// document and overlaps at least half of the bytes of one of the gold
// spans.
func (r Row) Holds(doc string, start, end int, text string) bool {
	if r.Evidence != "" && (r.Document == "" || doc == r.Document) && strings.Contains(text, r.Evidence) {
		return true
	}
	if doc != r.Document {
		return false
	}
	for _, s := range r.Spans {
		if 2*(min(end, s[1])-max(start, s[0])) >= s[1]-s[0] {
			return true
		}
	}
	return false
}

// Gold names what the row's gold answer is, for lists of misses.
func (r Row) Gold() string {
	if r.Evidence != "" {
		return "evidence"
	}
	return "gold span"
}
