package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"citebot/answer"
)

func TestReadQA(t *testing.T) {
	const (
		evidenceRow = `{"id":"e","lang":"en","question":"When?","answerable":true,"document":"a.txt","evidence":"in 1871"}`
		spansRow    = `{"id":"s","lang":"ru","question":"Когда?","answerable":true,"document":"a.txt","spans":[[16,21],[30,40]]}`
		refusedRow  = `{"id":"u","question":"Why?","answerable":false,"document":"a.txt","spans":[]}`
	)
	tests := []struct {
		name    string
		content string
		want    []qaRow
		wantErr string // a part of the error; "" for none
	}{
		{"evidence row", evidenceRow + "\n",
			[]qaRow{{ID: "e", Lang: "en", Question: "When?", Answerable: true, Document: "a.txt", Evidence: "in 1871"}}, ""},
		{"spans row", spansRow + "\n",
			[]qaRow{{ID: "s", Lang: "ru", Question: "Когда?", Answerable: true, Document: "a.txt", Spans: [][]int{{16, 21}, {30, 40}}}}, ""},
		{"both formats, blank lines, an unanswerable row without gold", evidenceRow + "\n\n" + spansRow + "\n" + refusedRow, []qaRow{
			{ID: "e", Lang: "en", Question: "When?", Answerable: true, Document: "a.txt", Evidence: "in 1871"},
			{ID: "s", Lang: "ru", Question: "Когда?", Answerable: true, Document: "a.txt", Spans: [][]int{{16, 21}, {30, 40}}},
			{ID: "u", Question: "Why?", Document: "a.txt", Spans: [][]int{}},
		}, ""},
		{"empty span", evidenceRow + "\n" + `{"question":"q","answerable":true,"document":"a.txt","spans":[[5,5]]}`, nil, "line 2: span [5 5]"},
		{"reversed span", `{"question":"q","answerable":true,"document":"a.txt","spans":[[16,21],[9,3]]}`, nil, "line 1: span [9 3]"},
		{"negative start", `{"question":"q","answerable":true,"document":"a.txt","spans":[[-1,3]]}`, nil, "line 1: span [-1 3]"},
		{"three numbers", `{"question":"q","answerable":true,"document":"a.txt","spans":[[1,2,3]]}`, nil, "line 1: span [1 2 3]"},
		{"one number", `{"question":"q","answerable":true,"document":"a.txt","spans":[[1]]}`, nil, "line 1: span [1]"},
		{"spans without a document", `{"question":"q","answerable":true,"spans":[[1,2]]}`, nil, "line 1: spans need the document"},
		{"answerable without gold", evidenceRow + "\n" + `{"question":"q","answerable":true,"document":"a.txt"}`, nil, "line 2: needs a question, and evidence or spans"},
		{"answerable with no spans", `{"question":"q","answerable":true,"document":"a.txt","spans":[]}`, nil, "line 1: needs a question, and evidence or spans"},
		{"no question", `{"answerable":false}`, nil, "line 1: needs a question"},
		{"bad JSON", evidenceRow + "\n" + `{"question": "q",`, nil, "line 2: unexpected end of JSON input"},
		{"spans not numbers", `{"question":"q","answerable":true,"document":"a.txt","spans":[["a","b"]]}`, nil, "line 1: json: cannot unmarshal"},
		{"no rows", "\n\n", nil, "no questions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "qa.jsonl")
			writeFile(t, path, tt.content)
			got, err := readQA(path)
			if tt.wantErr != "" {
				var ue usageError
				if !errors.As(err, &ue) {
					t.Fatalf("readQA = %v, want a usage error", err)
				}
				if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, tt.wantErr) {
					t.Errorf("error %q, want it to name %s and say %q", msg, path, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// A passage or citation holds a gold span as bench/xquad/score.py has it:
// same document, overlapping at least half of the span's bytes.
func TestQAHolds(t *testing.T) {
	spans := qaRow{Document: "a.txt", Spans: [][]int{{10, 20}, {100, 103}}}
	evidence := qaRow{Evidence: "in 1871"}
	evidenceIn := qaRow{Document: "a.txt", Evidence: "in 1871"}
	tests := []struct {
		name       string
		row        qaRow
		doc        string
		start, end int
		text       string
		want       bool
	}{
		{"inside", spans, "a.txt", 0, 50, "", true},
		{"exactly half", spans, "a.txt", 15, 30, "", true},
		{"under half", spans, "a.txt", 16, 30, "", false},
		{"half from the left", spans, "a.txt", 0, 15, "", true},
		{"touching", spans, "a.txt", 20, 30, "", false},
		{"odd length, 2 of 3 bytes", spans, "a.txt", 101, 110, "", true},
		{"odd length, 1 of 3 bytes", spans, "a.txt", 102, 110, "", false},
		{"another document", spans, "b.txt", 0, 50, "", false},
		{"evidence, any document", evidence, "b.txt", 0, 9, "built in 1871.", true},
		{"evidence, cut", evidence, "b.txt", 0, 9, "built in 18", false},
		{"evidence, its document", evidenceIn, "a.txt", 0, 9, "built in 1871.", true},
		{"evidence, another document", evidenceIn, "b.txt", 0, 9, "built in 1871.", false},
	}
	for _, tt := range tests {
		if got := tt.row.Holds(tt.doc, tt.start, tt.end, tt.text); got != tt.want {
			t.Errorf("%s: holds(%s, %d, %d) = %v, want %v", tt.name, tt.doc, tt.start, tt.end, got, tt.want)
		}
	}
}

// TestEvalQAMetrics checks the figures on canned answers.
func TestEvalQAMetrics(t *testing.T) {
	cite := func(s, e int) answer.Citation { return answer.Citation{Document: "a.txt", Start: s, End: e} }
	pass := func(s, e int) answer.Passage { return answer.Passage{Document: "a.txt", Start: s, End: e} }
	gold := [][]int{{10, 20}}
	rows := []qaRow{
		{ID: "en-first", Lang: "en", Question: "q1", Answerable: true, Document: "a.txt", Spans: gold},
		{ID: "en-second", Lang: "en", Question: "q2", Answerable: true, Document: "a.txt", Spans: gold},
		{ID: "en-refused", Lang: "en", Question: "q3", Answerable: true, Document: "a.txt", Spans: gold},
		{ID: "en-unanswerable", Lang: "en", Question: "q4", Document: "a.txt"},
		{ID: "ru-uncited", Lang: "ru", Question: "q5", Answerable: true, Document: "a.txt", Spans: gold},
		{ID: "ru-answered", Lang: "ru", Question: "q6", Document: "a.txt"},
		{ID: "none", Question: "q7", Answerable: true, Evidence: "1871"},
	}
	answers := map[string]answer.Answer{
		"q1": {Found: true, Confidence: 0.9, Passages: []answer.Passage{pass(0, 100)}, Citations: []answer.Citation{cite(10, 20)}},
		"q2": {Found: true, Confidence: 0.5, Passages: []answer.Passage{pass(200, 300), pass(0, 100)}, Citations: []answer.Citation{cite(40, 50), cite(12, 30)}},
		"q3": {Found: false, Passages: []answer.Passage{pass(200, 300), pass(300, 400)}},
		"q4": {Found: false},
		"q5": {Found: true, Passages: []answer.Passage{pass(0, 100)}, Citations: []answer.Citation{cite(40, 50)}},
		"q6": {Found: true, Answer: "made up", Citations: []answer.Citation{cite(40, 50)}},
		"q7": {Found: true, Passages: []answer.Passage{{Document: "b.txt", Text: "built in 1871"}},
			Citations: []answer.Citation{{Document: "b.txt", Quote: "built in 1871"}}},
	}
	ask := func(_ context.Context, q string, k int) (answer.Answer, error) {
		if k != 5 {
			t.Errorf("asked with k = %d, want 5", k)
		}
		return answers[q], nil
	}
	r, err := evalQA(context.Background(), ask, rows, 5)
	if err != nil {
		t.Fatal(err)
	}
	// Answerable: q1, q2, q3, q5, q7; R@5: q1, q2, q5, q7; hit: q1, q2, q7;
	// hit@1: q1, q7; refused: q3 of them, q4 of q4 and q6.
	checks := []struct {
		name      string
		got, want float64
	}{
		{"questions", float64(r.Questions), 7},
		{"answerable", float64(r.Answerable), 5},
		{"unanswerable", float64(r.Unanswerable), 2},
		{"recall", r.RecallAtK, 4.0 / 5},
		{"MRR", r.MRR, (1 + 0.5 + 1 + 1) / 5},
		{"hit", r.CitedHit, 3.0 / 5},
		{"hit@1", r.CitedHit1, 2.0 / 5},
		{"answerable refused", float64(r.FalseRefusals), 1},
		{"answerable refused rate", r.FalseRefusalRate, 1.0 / 5},
		{"unanswerable refused", float64(r.Refused), 1},
		{"unanswerable refused rate", r.RefusedRate, 1.0 / 2},
		{"en recall", r.ByLang["en"].RecallAtK, 2.0 / 3},
		{"en hit", r.ByLang["en"].CitedHit, 2.0 / 3},
		{"en hit@1", r.ByLang["en"].CitedHit1, 1.0 / 3},
		{"en refused rate", r.ByLang["en"].RefusedRate, 1},
		{"en false refusal rate", r.ByLang["en"].FalseRefusalRate, 1.0 / 3},
		{"ru recall", r.ByLang["ru"].RecallAtK, 1},
		{"ru hit", r.ByLang["ru"].CitedHit, 0},
		{"ru refused rate", r.ByLang["ru"].RefusedRate, 0},
		{`"" hit@1`, r.ByLang[""].CitedHit1, 1},
		{"mean confidence", r.MeanConfidence, 1.4 / 7},
		{"en mean confidence", r.ByLang["en"].MeanConfidence, 1.4 / 4},
		{"recall by lang, en", r.RecallByLang["en"], 2.0 / 3},
		{"cited hit by lang, ru", r.CitedHitsByLang["ru"], 0},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	wantLangs := map[string]qaLang{
		"en": {Questions: 4, Answerable: 3, Unanswerable: 1, FalseRefusals: 1, Refused: 1},
		"ru": {Questions: 2, Answerable: 1, Unanswerable: 1},
		"":   {Questions: 1, Answerable: 1},
	}
	if len(r.ByLang) != len(wantLangs) {
		t.Errorf("%d languages, want %d", len(r.ByLang), len(wantLangs))
	}
	for l, w := range wantLangs {
		g := r.ByLang[l]
		if g == nil {
			t.Errorf("no figures for language %q", l)
			continue
		}
		if g.Questions != w.Questions || g.Answerable != w.Answerable || g.Unanswerable != w.Unanswerable ||
			g.FalseRefusals != w.FalseRefusals || g.Refused != w.Refused {
			t.Errorf("language %q: %+v, want counts %+v", l, *g, w)
		}
	}
	var misses []string
	for _, m := range r.Misses {
		misses = append(misses, m.ID+": "+m.What)
	}
	wantMisses := []string{
		"en-second: gold span cited, but not by the first citation",
		"en-refused: refused an answerable question",
		"en-refused: gold span not in the top 5 passages",
		"ru-uncited: gold span not cited",
		"ru-answered: answered an unanswerable question",
	}
	if !reflect.DeepEqual(misses, wantMisses) {
		t.Errorf("misses:\n%s\nwant:\n%s", strings.Join(misses, "\n"), strings.Join(wantMisses, "\n"))
	}
}

// TestEvalSpans runs `eval --set` on a QA set with gold byte spans over a
// small folder of documents, and checks its figures against the answers
// `ask --json` gives, scored as bench/xquad/score.py scores them.
func TestEvalSpans(t *testing.T) {
	dir := t.TempDir()
	docs, ix, set := filepath.Join(dir, "docs"), filepath.Join(dir, "index"), filepath.Join(dir, "qa.jsonl")
	texts := map[string]string{
		"lighthouse.txt": "Lighthouses of the North\n\n" +
			"The Kettle Point lighthouse was built in 1871 by the harbour board. Its lamp burned whale oil until 1904, when a paraffin burner replaced it.\n\n" +
			"The keeper, Ann Morrow, kept the light for thirty years. Her daughter Jean Morrow kept it after her.\n",
		"marsh.txt": "Salt marshes\n\n" +
			"Salt marshes trap sediment carried in by the tides. Cordgrass grows in the low marsh, where the water covers it twice a day. Sea lavender grows higher up.\n",
	}
	for name, text := range texts {
		writeFile(t, filepath.Join(docs, name), text)
	}
	span := func(doc, s string) [][]int {
		i := strings.Index(texts[doc], s)
		if i < 0 {
			t.Fatalf("%q is not in %s", s, doc)
		}
		return [][]int{{i, i + len(s)}}
	}
	rows := []qaRow{
		{ID: "built", Lang: "en", Question: "When was the Kettle Point lighthouse built?", Answerable: true, Document: "lighthouse.txt", Spans: span("lighthouse.txt", "1871")},
		{ID: "keeper", Lang: "en", Question: "Who kept the light, and what did the lamp burn?", Answerable: true, Document: "lighthouse.txt", Spans: span("lighthouse.txt", "Ann Morrow")},
		{ID: "ethanol", Lang: "en", Question: "What is the boiling point of ethanol?", Document: "marsh.txt"},
		{ID: "built-ru", Lang: "ru", Question: "Когда был построен маяк Кеттл-Пойнт?", Answerable: true, Document: "lighthouse.txt", Spans: span("lighthouse.txt", "1871")},
		{ID: "ethanol-ru", Lang: "ru", Question: "Какова температура кипения этанола?", Document: "marsh.txt"},
		{ID: "cordgrass", Question: "What grows in the low marsh?", Answerable: true, Document: "marsh.txt", Spans: span("marsh.txt", "Cordgrass")},
	}
	var lines []string
	for _, r := range rows {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	writeFile(t, set, strings.Join(lines, "\n")+"\n")
	mustRun(t, nil, "", "index", "--docs", docs, "--index", ix)

	// What score.py would say of `ask --json --k 5`, per language.
	type figures struct{ n, answerable, unanswerable, r5, hit, hit1, refused, falseRefused int }
	want := map[string]*figures{}
	covers := func(doc string, s, e int, g qaRow) bool {
		if doc != g.Document {
			return false
		}
		for _, sp := range g.Spans {
			if float64(min(e, sp[1])-max(s, sp[0])) >= 0.5*float64(sp[1]-sp[0]) {
				return true
			}
		}
		return false
	}
	for _, g := range rows {
		a := decodeAnswer(t, []byte(mustRun(t, nil, "", "ask", "--json", "--k", "5", "--docs", docs, "--index", ix, g.Question).stdout))
		f := want[g.Lang]
		if f == nil {
			f = &figures{}
			want[g.Lang] = f
		}
		f.n++
		if !g.Answerable {
			f.unanswerable++
			if !a.Found {
				f.refused++
			}
			continue
		}
		f.answerable++
		if !a.Found {
			f.falseRefused++
		}
		for _, p := range a.Passages[:min(5, len(a.Passages))] {
			if covers(p.Document, p.Start, p.End, g) {
				f.r5++
				break
			}
		}
		for i, c := range a.Citations {
			if covers(c.Document, c.Start, c.End, g) {
				f.hit++
				if i == 0 {
					f.hit1++
				}
				break
			}
		}
	}
	rate := func(n, d int) float64 {
		if d == 0 {
			return 0
		}
		return float64(n) / float64(d)
	}

	var rep qaReport
	out := mustRun(t, nil, "", "eval", "--json", "--docs", docs, "--index", ix, "--set", set).stdout
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, out)
	}
	var keys struct {
		ByLang map[string]map[string]json.RawMessage `json:"by_lang"`
	}
	json.Unmarshal([]byte(out), &keys)
	for _, k := range []string{"questions", "recall_at_k", "cited_evidence_hit", "cited_evidence_hit_at_1", "answerable_refused", "unanswerable_refused"} {
		if _, ok := keys.ByLang["en"][k]; !ok {
			t.Errorf("by_lang.en has no %q: %s", k, out)
		}
	}
	if rep.Questions != len(rows) || rep.Answerable != 4 || rep.Unanswerable != 2 {
		t.Errorf("%d questions (%d answerable, %d unanswerable), want 6 (4, 2)", rep.Questions, rep.Answerable, rep.Unanswerable)
	}
	if len(rep.ByLang) != len(want) {
		t.Errorf("figures for %d languages, want %d (en, ru and \"\")", len(rep.ByLang), len(want))
	}
	for l, w := range want {
		g := rep.ByLang[l]
		if g == nil {
			t.Errorf("no figures for language %q", l)
			continue
		}
		t.Logf("%q: %+v", l, *g)
		got := []float64{float64(g.Questions), g.RecallAtK, g.CitedHit, g.CitedHit1, g.FalseRefusalRate, g.RefusedRate}
		exp := []float64{float64(w.n), rate(w.r5, w.answerable), rate(w.hit, w.answerable), rate(w.hit1, w.answerable),
			rate(w.falseRefused, w.answerable), rate(w.refused, w.unanswerable)}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("%q: questions, R@5, hit, hit@1, false refusals, unanswerable refused = %v, score.py's way %v", l, got, exp)
		}
	}
	// The set tells hit@1 from hit when the answers are as they are now
	// (the keeper question cites the lamp first); say so if that changes.
	if en := want["en"]; en.hit1 == en.hit {
		t.Logf("en: every hit is a first citation; the set no longer tells hit@1 from hit")
	}

	text := mustRun(t, nil, "", "eval", "-v", "--docs", docs, "--index", ix, "--set", set).stdout
	en := rep.ByLang["en"]
	for _, s := range []string{
		"cited-evidence hit@1",
		"lang  questions  Recall@5  hit    hit@1  answerable refused  unanswerable refused",
		fmt.Sprintf("en    3          %.3f     %.3f  %.3f  %d/2", en.RecallAtK, en.CitedHit, en.CitedHit1, en.FalseRefusals),
		"\nru    2 ",
		"\n\"\"    1 ",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("eval output lacks %q:\n%s", s, text)
		}
	}
	for _, m := range rep.Misses {
		if want := "question: " + m.Question + "\n"; !strings.Contains(text, want) {
			t.Errorf("eval -v does not show the question of miss %s (%q):\n%s", m.ID, want, text)
		}
	}
}
