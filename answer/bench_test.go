package answer

import (
	"context"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"citebot/chunking"
	"citebot/loader"
	"citebot/retrieval"
)

// seedsIndex indexes the shipped seeds with the shipped configuration.
func seedsIndex(b *testing.B) *retrieval.Index {
	b.Helper()
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		b.Fatal(err)
	}
	docs, skipped, err := loader.Load("../seeds", 1<<30, func(s string) string { return chunking.Title(s, cfg.Chunk.Boilerplate) })
	if err != nil {
		b.Fatal(err)
	}
	built, err := retrieval.NewMemoryStore(cfg).Update(context.Background(), nil, retrieval.FromDocuments(docs, skipped))
	ix := built.Index
	if err != nil {
		b.Fatal(err)
	}
	return ix
}

// BenchmarkAnswerSeeds is one extractive answer over the shipped seeds,
// the work behind every POST /v1/ask that misses the answer cache.
func BenchmarkAnswerSeeds(b *testing.B) {
	ix := seedsIndex(b)
	ex := Extractive{Index: ix, Tuning: DefaultTuning}
	questions := []string{
		"When did the SCO agreement come into effect?",
		"What is MGIMO?",
		"Who wrote the article about the Union State?",
		"What is the boiling point of ethanol?",
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := ex.Answer(context.Background(), questions[i%len(questions)], 5); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerativeOverhead is a generative answer over the seeds against
// a fake model that replies at once (on loopback): what citebot itself
// adds to a model's time — retrieval, the prompt, the HTTP round trip and
// the citation check.
func BenchmarkGenerativeOverhead(b *testing.B) {
	ix := seedsIndex(b)
	f := newFakeLLM(b, func(openai.ChatCompletionRequest) (int, string) {
		return completion("The agreement came into effect on January 5, 2012 [1]. It concerns cooperation against terrorism [2].")
	})
	oc := openai.DefaultConfig("k")
	oc.BaseURL = f.server.URL + "/v1"
	g := Generative{Index: ix, Client: openai.NewClientWithConfig(oc), Model: "fake", Timeout: 5 * time.Second,
		Extractive: Extractive{Index: ix, Tuning: DefaultTuning}}
	b.ReportAllocs()
	for b.Loop() {
		a, err := g.Answer(context.Background(), "When did the SCO agreement come into effect?", 5)
		if err != nil || a.Mode != ModeGenerative {
			b.Fatalf("%v %q", err, a.Mode)
		}
	}
}

// BenchmarkAnswerUnique is extractive answers over the shipped seeds to
// questions that do not repeat within a thousand (the committed question
// sets in turn, most of them about other documents and refused): the
// work behind a POST /v1/ask whose question is new.
func BenchmarkAnswerUnique(b *testing.B) {
	ix := seedsIndex(b)
	ex := Extractive{Index: ix, Tuning: DefaultTuning, CorpusScript: "latin"}
	var questions []string
	for _, f := range []string{"../testdata/seeds-dev.jsonl", "../testdata/seeds-extra.jsonl", "../testdata/xquad/qa.jsonl"} {
		for _, q := range readQuestions(b, f) {
			questions = append(questions, q.Question)
		}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := ex.Answer(context.Background(), questions[i%len(questions)], 5); err != nil {
			b.Fatal(err)
		}
	}
}
