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
// tokenizer, fixed in a process), so one memo serves every index. It is
// bounded by emptying it when full: simple, and a working set that fits is
// rebuilt in a few answers. Its maps are shared: read them, never write.
type memo struct {
	mu  sync.RWMutex
	max int
	m   map[string]*textAnalysis
}

var analyses = &memo{max: 4096, m: map[string]*textAnalysis{}}

func (c *memo) get(text string, build func(string) *textAnalysis) *textAnalysis {
	c.mu.RLock()
	a, ok := c.m[text]
	c.mu.RUnlock()
	if ok {
		return a
	}
	a = build(text)
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[text] = a
	c.mu.Unlock()
	return a
}

// analyzePassage splits a passage into sentences and tokenizes them.
func analyzePassage(text string) *textAnalysis {
	return analyses.get("p\x00"+text, func(string) *textAnalysis {
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
	return analyses.get("c\x00"+section+"\n"+title, func(s string) *textAnalysis {
		return &textAnalysis{terms: termSet(section + "\n" + title)}
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
