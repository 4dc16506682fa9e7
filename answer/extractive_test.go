package answer

import (
	"context"
	"strings"
	"testing"
	"unicode"

	"citebot/chunking"
	"citebot/document"
	"citebot/embedding/wordvec"
	"citebot/retrieval"
)

// bylineDocs have a title, a byline and an affiliation, as the seeds do,
// and one document without a byline.
var bylineDocs = map[string]string{
	"glaciers.txt": "Translate this page:\n\nRetreat of the Northern Glaciers in the Twentieth Century\n\nMaria K. Olsen\n\n" +
		"Institute of Polar Studies, Tromsø\n\nAbstract: The glaciers of the northern range lost a third of their area. " +
		"The harbour of Vardø froze in 1966.\n\n1. Method of the Survey\n\nThe survey used aerial photographs taken every decade.\n",
	"news.txt": "Fishing Quotas Raised Again\n\nThe ministry raised the cod quota for the third year running. " +
		"Fishermen welcomed the decision at the spring meeting.\n",
}

func bylineIndex(t testing.TB) Extractive {
	t.Helper()
	m, err := wordvec.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg := retrieval.Config{BM25: retrieval.DefaultBM25, Fusion: retrieval.DefaultFusion,
		Chunk:    chunking.Options{MaxBytes: 1000},
		Embedder: retrieval.Embedder{Name: wordvec.Version, Embed: m.EmbeddingFunc()}}
	var docs []document.Document
	for _, id := range []string{"glaciers.txt", "news.txt"} {
		text := bylineDocs[id]
		docs = append(docs, document.Document{ID: id, Title: chunking.Title(text, nil), Text: text})
	}
	built, err := retrieval.NewMemoryStore(cfg).Update(context.Background(), nil, retrieval.FromDocuments(docs, nil))
	ix := built.Index
	if err != nil {
		t.Fatal(err)
	}
	return Extractive{Index: ix, Tuning: DefaultTuning}
}

func TestExtractiveBehaviours(t *testing.T) {
	ex := bylineIndex(t)
	tests := []struct {
		name, question string
		found          bool
		quote          string // a citation must hold it
	}{
		{"byline answers who wrote", "Who wrote the article about the northern glaciers?", true, "Maria K. Olsen"},
		{"byline of a document not asked about", "Who wrote the article about volcanoes?", false, ""},
		{"no byline: the documents don't say", "Who wrote the news about fishing quotas?", false, ""},
		{"irregular verb meets its past", "When did the harbour of Vardø freeze?", true, "froze in 1966"},
		{"a name the documents never mention is refused", "What is the population of Brazil?", false, ""},
		{"a heading is never the answer", "What method did the survey use?", true, "aerial photographs"},
		{"words about the documents need not be in them", "What do the documents say about aerial photographs?", true, "aerial photographs"},
		{"author asked by another phrasing", "Who is the author of the article on northern glaciers?", true, "Maria K. Olsen"},
		{"who wrote it names no document", "Who wrote it?", false, ""},
		{"a lone number asks nothing", "[1] what?", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ex.Answer(context.Background(), tt.question, 5)
			if err != nil {
				t.Fatal(err)
			}
			checkCitations(t, a, bylineDocs)
			if a.Found != tt.found {
				t.Fatalf("found = %v, want %v; answer %q", a.Found, tt.found, a.Answer)
			}
			if !tt.found {
				return
			}
			hit := false
			for _, c := range a.Citations {
				if strings.Contains(c.Quote, tt.quote) {
					hit = true
				}
				if strings.TrimSpace(c.Quote) == "1. Method of the Survey" {
					t.Errorf("cited a heading: %q", c.Quote)
				}
			}
			if !hit {
				t.Errorf("no citation holds %q; answer %q", tt.quote, a.Answer)
			}
		})
	}
}

func TestIsHeading(t *testing.T) {
	tests := []struct {
		text, section string
		want          bool
	}{
		{"3.1. The Effectiveness Analysis of Security\nText.", "", true},
		{"Second Peer Review\nText.", "Second Peer Review", true},
		{"Yuxi Hu *\nText.", "", false},
		{"Belarusian State University, Faculty of law, 220070, Minsk, Belarus\nText.", "", false},
		{"1. Polyakova, T.A. (2023). International information security.\nText.", "", false},
	}
	for _, tt := range tests {
		line := strings.IndexByte(tt.text, '\n')
		if got := isHeading(tt.text, document.Span{Start: 0, End: line}, tt.section); got != tt.want {
			t.Errorf("isHeading(%q) = %v, want %v", tt.text[:line], got, tt.want)
		}
	}
}

func TestKind(t *testing.T) {
	tests := []struct {
		sentence, want string
		ok             bool
	}{
		{"It entered into force on January 5, 2012.", "date", true},
		{"It entered into force in 2012.", "date", true},
		{"Signed 15 июня 2009 года.", "date", true},
		{"Подписано 9 МАЯ.", "date", true},
		{"The group has 12345 members.", "date", false},
		{"Room 2012b is closed.", "date", false},
		{"Version 1499 only.", "date", false},
		{"He said it at the summit.", "date", false},
		{"Remarks were made.", "date", false},
		{"They met in Mayhem.", "date", false}, // a word starting with a month is not one
		{"The mayor may come when he marched in.", "date", false},
		{"It was signed on May 5.", "date", true},
		{"It was signed on 5 May.", "date", true},
		{"Маяк виден в январе.", "date", true},
		{"Маяк виден издалека.", "date", false},
		{"There were 3 states.", "number", true},
		{"There were three states.", "number", false},
	}
	for _, tt := range tests {
		if got := kind(tt.sentence, tt.want); got != tt.ok {
			t.Errorf("kind(%q, %q) = %v, want %v", tt.sentence, tt.want, got, tt.ok)
		}
	}
}

// A sentence that a document repeats (or a copied file holds again) is
// quoted once: the same words twice say nothing new.
func TestExtractiveQuotesRepeatedSentenceOnce(t *testing.T) {
	m, err := wordvec.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg := retrieval.Config{BM25: retrieval.DefaultBM25, Fusion: retrieval.DefaultFusion,
		Chunk:    chunking.Options{MaxBytes: 1000},
		Embedder: retrieval.Embedder{Name: wordvec.Version, Embed: m.EmbeddingFunc()}}
	const fact = "The lighthouse at Cape Arrow was built in 1871 by the harbour board."
	text := "Harbour notes\n\n" + fact + "\n\n" + strings.Repeat("Ships called at the quay in summer and left before the ice. ", 30) + "\n\n" + fact + "\n"
	docs := []document.Document{{ID: "notes.txt", Title: "Harbour notes", Text: text}}
	built, err := retrieval.NewMemoryStore(cfg).Update(context.Background(), nil, retrieval.FromDocuments(docs, nil))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Extractive{Index: built.Index, Tuning: Tuning{MaxSentences: 3}}.Answer(context.Background(), "When was the lighthouse at Cape Arrow built?", 5)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range a.Citations {
		if c.Quote == fact {
			n++
		}
	}
	if !a.Found || n != 1 {
		t.Errorf("the repeated sentence is quoted %d times, want once: %+v", n, a.Citations)
	}
}

// FuzzFlatten holds flatten to what it was before it skipped the work a
// quote does not need: the answer text must not move a byte.
func FuzzFlatten(f *testing.F) {
	for _, s := range []string{"", " ", "one two", "one  two", " one", "one ", "one\ntwo", "one\u00a0two", "one\u0085two",
		"see [4] and [3, p. 32]", "[a] [1]", "x\xff y", "\t[12]\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := bracketRef().ReplaceAllString(strings.Join(strings.Fields(s), " "), "($1)")
		if got := flatten(s); got != want {
			t.Fatalf("flatten(%q) = %q, want %q", s, got, want)
		}
	})
}

// isAuthorQuestion skips the expression only where it cannot match.
func TestIsAuthorQuestion(t *testing.T) {
	for _, q := range []string{
		"Who wrote the article about the Union State?", "WHO AUTHORED it", "who  is the author of the report",
		"Whose article is it?", "Kто написал статью?", "кто написал статью", "КТО автор?", "Кто\u00a0написал?",
		"What is MGIMO?", "wh", "who", "How many workers?", "café who wrote", "Wholly wrote", "who wrote",
		"When did the SCO agreement come into effect?", "", "w\u0068o wrote", "кᲄᲂ написал статью?", "КТо автор",
		"Кт", "к", "WHo wROTE", "Кто-то написал", "Кто написал?", "who\u00a0wrote",
	} {
		if got, want := isAuthorQuestion(q), authorQuestion().MatchString(q); got != want {
			t.Errorf("isAuthorQuestion(%q) = %v, the expression says %v", q, got, want)
		}
	}
	// The first letters are looked for as they are written: neither w
	// nor к has another case-folding orbit than its two cases.
	for _, c := range "wк" {
		for r := unicode.SimpleFold(c); r != c; r = unicode.SimpleFold(r) {
			if r != unicode.ToUpper(c) {
				t.Errorf("%q folds to %q", c, r)
			}
		}
	}
}

func FuzzIsAuthorQuestion(f *testing.F) {
	for _, q := range []string{"Who wrote it?", "кто написал", "КᲄО автор", "What is it?", "who\u00a0wrote", "\xffwho wrote"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if got, want := isAuthorQuestion(q), authorQuestion().MatchString(q); got != want {
			t.Fatalf("isAuthorQuestion(%q) = %v, the expression says %v", q, got, want)
		}
	})
}
