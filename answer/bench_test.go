package answer

import (
	"context"
	"testing"

	"citebot/retrieval"
)

// BenchmarkAnswerSeeds is one extractive answer over the shipped seeds,
// the work behind every POST /v1/ask that misses the answer cache.
func BenchmarkAnswerSeeds(b *testing.B) {
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		b.Fatal(err)
	}
	docs, skipped, err := retrieval.Load("../seeds", 1<<30, func(s string) string { return retrieval.DocumentTitle(s, cfg.Chunk.Boilerplate) })
	if err != nil {
		b.Fatal(err)
	}
	ix, _, err := retrieval.Build(context.Background(), docs, skipped, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
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
