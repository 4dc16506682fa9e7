package bot

import (
	"context"
	"regexp"
	"strings"
)

// maxExamples is how many example questions /start shows.
const maxExamples = 3

// genericSection names sections that make no useful question.
var genericSection = regexp.MustCompile(`(?i)^(introduction|conclusions?|references|bibliography|abstract|acknowledge?ments?|.*review.*|appendix.*)$`)

var sectionNumber = regexp.MustCompile(`^(\d{1,2}\.)+(\d{1,2})?\.?\s+`)

// examples are questions drawn from the corpus that it answers: made from
// document titles and section headings, kept only when the answerer finds
// an answer, one document at a time so that they show the corpus's range.
// They are worked out once per index.
func (b *Bot) examples(ctx context.Context) []string {
	v, ok := b.lib.View()
	if !ok {
		return nil
	}
	// One chat works them out; others asking at the same time wait for it.
	b.exampleMu.Lock()
	defer b.exampleMu.Unlock()
	b.mu.Lock()
	if b.example.view == v {
		qs := b.example.qs
		b.mu.Unlock()
		return qs
	}
	b.mu.Unlock()

	var perDoc [][]string
	for _, d := range v.Documents() {
		var cands []string
		for _, s := range v.Sections(d.ID) {
			s = strings.TrimSpace(sectionNumber.ReplaceAllString(s, ""))
			if n := len(strings.Fields(s)); n >= 2 && n <= 14 && !genericSection.MatchString(s) {
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
	for round := 0; len(qs) < maxExamples; round++ {
		more := false
		for _, cands := range perDoc {
			if round >= len(cands) || len(qs) == maxExamples || tried >= 40 {
				continue
			}
			more = true
			tried++
			if a, err := b.lib.Ask(ctx, cands[round], b.cfg.K); err == nil && a.Found {
				qs = append(qs, cands[round])
			}
		}
		if !more {
			break
		}
	}
	b.mu.Lock()
	b.example.view, b.example.qs = v, qs
	b.mu.Unlock()
	return qs
}
