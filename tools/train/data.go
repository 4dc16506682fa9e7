package main

import (
	"context"
	"fmt"
	"strings"

	"citebot/answer"
	"citebot/document"
	"citebot/qaset"
)

// dataSet is a document folder with questions about it.
type dataSet struct {
	name, docs, qa string
}

// question is one question with its candidates, labelled.
type question struct {
	id, lang, set string
	text          string
	group         string // the article: folds never split one
	answerable    bool
	retrieved     bool // a top passage holds the gold
	cands         []answer.Candidate
	labels        []bool
	quotes        []string // the candidates' text, for reports
}

func (q *question) quote(i int) string {
	if i < 0 || i >= len(q.quotes) {
		return "(none)"
	}
	return strings.Join(strings.Fields(q.quotes[i]), " ")
}

func (s dataSet) questions(ctx context.Context, k int) ([]question, error) {
	rows, err := qaset.Read(s.qa)
	if err != nil {
		return nil, err
	}
	ix, err := newIndex(ctx, s.docs)
	if err != nil {
		return nil, err
	}
	ex := answer.Extractive{Index: ix, Tuning: answer.DefaultTuning}
	out := make([]question, 0, len(rows))
	for _, r := range rows {
		cands, ps, err := ex.Candidates(ctx, r.Question, k)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", s.name, r.ID, err)
		}
		lang := r.Lang
		if lang == "" {
			lang = "en"
		}
		q := question{text: r.Question, id: r.ID, lang: lang, set: s.name, group: s.name + "/" + r.Document, answerable: r.Answerable, cands: cands}
		if r.Document == "" {
			q.group = s.name
		}
		holds := func(doc string, start, end int) bool {
			d, ok := ix.Document(doc)
			return r.Answerable && ok && end <= len(d.Text) && r.Holds(doc, start, end, d.Text[start:end])
		}
		for _, p := range ps {
			if holds(p.DocID, p.Start, p.End) {
				q.retrieved = true
			}
		}
		q.labels = make([]bool, len(cands))
		for i, c := range cands {
			q.labels[i] = holds(c.Document, c.Start, c.End)
			if d, ok := ix.Document(c.Document); ok {
				q.quotes = append(q.quotes, d.Text[c.Start:c.End])
			}
		}
		out = append(out, q)
	}
	return out, nil
}

// offTopicEvery: every how many questions of an article are also asked
// of the collection without it.
const offTopicEvery = 3

// offTopic makes unanswerable questions of the kind people ask most: about
// a subject the documents do not cover at all (XQuAD's own unanswerable
// questions are about a left-out paragraph of an article that is there).
// Every n-th question about an article is asked of the collection without
// that article. They belong to the article's fold.
func (s dataSet) offTopic(ctx context.Context, k, every int) ([]question, error) {
	rows, err := qaset.Read(s.qa)
	if err != nil {
		return nil, err
	}
	docs, err := loadDocs(s.docs)
	if err != nil {
		return nil, err
	}
	var out []question
	for _, d := range docs {
		var others []document.Document
		for _, o := range docs {
			if o.ID != d.ID {
				others = append(others, o)
			}
		}
		ix, err := buildIndex(ctx, others)
		if err != nil {
			return nil, err
		}
		ex := answer.Extractive{Index: ix, Tuning: answer.DefaultTuning}
		n := 0
		for _, r := range rows {
			if r.Document != d.ID {
				continue
			}
			n++
			if n%every != 0 {
				continue
			}
			cands, _, err := ex.Candidates(ctx, r.Question, k)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", s.name, r.ID, err)
			}
			q := question{text: r.Question, id: r.ID + "-off", lang: r.Lang, set: s.name + "-off", group: s.name + "/" + r.Document,
				cands: cands, labels: make([]bool, len(cands))}
			for _, c := range cands {
				if dd, ok := ix.Document(c.Document); ok {
					q.quotes = append(q.quotes, dd.Text[c.Start:c.End])
				}
			}
			out = append(out, q)
		}
	}
	return out, nil
}
