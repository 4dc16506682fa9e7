package corpus

import (
	"context"
	"regexp"
	"strings"
	"sync"
)

// Examples are questions the corpus answers, offered to people who do not
// know what to ask (the bot's /start, the web page's empty ask page). They
// are made from document titles and section headings, kept only when the
// library finds an answer, one document at a time so that they show the
// corpus's range, and worked out once per served view: a reindex gets new
// ones.
type Examples struct {
	lib Library
	k   int
	n   int

	work sync.Mutex // held while examples are worked out: one caller works, the others wait for it
	mu   sync.Mutex
	view View // the view qs were drawn from
	qs   []string
}

// maxExampleTries bounds the questions asked to find examples, so that a
// corpus whose headings make no answerable question costs little.
const maxExampleTries = 40

// NewExamples returns the examples of lib: up to n questions, each tried
// with k passages.
func NewExamples(lib Library, k, n int) *Examples {
	return &Examples{lib: lib, k: k, n: n}
}

// The regular expressions here are compiled on first use, not at init:
// compiled at init, every citebot command paid for them at start.

// genericSection names sections that make no useful question.
var genericSection = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)^(introduction|conclusions?|references|bibliography|abstract|acknowledge?ments?|.*review.*|appendix.*)$`)
})

var sectionNumber = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d{1,2}\.)+(\d{1,2})?\.?\s+`) })

// Questions returns the examples for the view being served, none before
// the first load. The slice is shared: callers must not change it.
func (e *Examples) Questions(ctx context.Context) []string {
	v, ok := e.lib.View()
	if !ok {
		return nil
	}
	e.work.Lock()
	defer e.work.Unlock()
	e.mu.Lock()
	if e.view == v {
		qs := e.qs
		e.mu.Unlock()
		return qs
	}
	e.mu.Unlock()

	var perDoc [][]string
	for _, d := range v.Documents() {
		var cands []string
		for _, s := range v.Sections(d.ID) {
			s = strings.TrimSpace(sectionNumber().ReplaceAllString(s, ""))
			if n := len(strings.Fields(s)); n >= 2 && n <= 14 && !genericSection().MatchString(s) {
				cands = append(cands, "What does the document say about “"+s+"”?")
			}
		}
		if t, _, _ := strings.Cut(d.Title, ":"); len(strings.Fields(t)) >= 2 && len(strings.Fields(t)) <= 16 {
			cands = append(cands, "What does “"+strings.TrimSpace(t)+"” say?")
		}
		perDoc = append(perDoc, cands)
	}
	var qs []string
	tried := 0
	// Round-robin over the documents: the first answerable candidate of
	// each, then the next, until there are enough.
	for round := 0; len(qs) < e.n; round++ {
		more := false
		for _, cands := range perDoc {
			if round >= len(cands) || len(qs) == e.n || tried >= maxExampleTries {
				continue
			}
			more = true
			tried++
			if a, err := e.lib.Ask(ctx, cands[round], e.k); err == nil && a.Found {
				qs = append(qs, cands[round])
			}
		}
		if !more {
			break
		}
	}
	if ctx.Err() != nil {
		return qs // cut short: worked out again next time
	}
	e.mu.Lock()
	e.view, e.qs = v, qs
	e.mu.Unlock()
	return qs
}
