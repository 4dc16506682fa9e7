package answer

import (
	"sync"

	"citebot/retrieval"
)

// textAnalysis is what the composer derives from a passage's text alone:
// its sentences with their terms, and all its terms. The same passages come
// back question after question, and tokenizing them was most of an
// answer's time, so analyses are memoized.
type textAnalysis struct {
	sentences []sentence
	terms     map[string]bool
}

type sentence struct {
	span  retrieval.Span
	seq   []string        // terms in order
	terms map[string]bool // the same, as a set
	date  bool            // holds a year or a month
	num   bool            // holds a digit
}

// memo maps a text to its analysis. It depends on the text only (and on the
// tokenizer, fixed in a process), so one memo serves every index. Its
// size is bounded by an estimate of the bytes held: when full, entries are
// dropped at random (map order) until a quarter of the budget is free.
// Its maps are shared: read them, never write.
type memo struct {
	mu     sync.RWMutex
	budget int // bytes
	used   int
	m      map[string]*textAnalysis
}

// analysisCost estimates the heap an analysis holds: measured at about
// ten times the text (term strings, slices and maps per sentence).
func analysisCost(text string) int { return 10*len(text) + 256 }

func newMemo(budget int) *memo { return &memo{budget: budget, m: map[string]*textAnalysis{}} }

// 32 MB holds the passages of a few thousand questions' answers.
var passages, contexts = newMemo(32 << 20), newMemo(4 << 20)

func (c *memo) get(text string, build func(string) *textAnalysis) *textAnalysis {
	c.mu.RLock()
	a, ok := c.m[text]
	c.mu.RUnlock()
	if ok {
		return a
	}
	a = build(text)
	cost := analysisCost(text)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[text]; ok {
		return a
	}
	if c.used+cost > c.budget {
		for k := range c.m {
			delete(c.m, k)
			c.used -= analysisCost(k)
			if c.used+cost <= c.budget*3/4 {
				break
			}
		}
	}
	if cost <= c.budget {
		c.m[text] = a
		c.used += cost
	}
	return a
}

// analyzePassage splits a passage into sentences and tokenizes them.
func analyzePassage(text string) *textAnalysis {
	return passages.get(text, func(string) *textAnalysis {
		a := &textAnalysis{terms: termSet(text)}
		for _, s := range retrieval.SplitSentences(text, retrieval.Span{Start: 0, End: len(text)}) {
			st := text[s.Start:s.End]
			seq := retrieval.Terms(st)
			terms := make(map[string]bool, len(seq))
			for _, t := range seq {
				terms[t] = true
			}
			a.sentences = append(a.sentences, sentence{span: s, seq: seq, terms: terms, date: kind(st, "date"), num: kind(st, "number")})
		}
		return a
	})
}

// contextTerms are the terms of a passage's section heading and title.
func contextTerms(section, title string) map[string]bool {
	return contexts.get(section+"\n"+title, func(s string) *textAnalysis {
		return &textAnalysis{terms: termSet(s)}
	}).terms
}

// holds reports whether a sentence holds the kind of fact wanted.
func (s sentence) holds(want string) bool {
	switch want {
	case "date":
		return s.date
	case "number":
		return s.num
	}
	return false
}
