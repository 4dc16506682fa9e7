package testdocs

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"citebot/document"
)

// Synthetic makes n one-paragraph documents of Zipf-distributed words,
// each about 700 bytes, so each is exactly one chunk (its header chunk is
// the same span and dropped), the same for the same n on every run; and
// the vocabulary they are drawn from, for questions about them. It is the
// corpus of the search benchmarks at 10,000 to 200,000 chunks.
func Synthetic(n int) ([]document.Document, []string) {
	words := strings.Fields(`information security state union cooperation law international
		agreement organization member cyber network threat data protection policy legal framework
		national digital technology government development strategy research analysis system risk
		attack infrastructure treaty concept council regional global exchange standard practice
		model approach dialogue sovereignty resilience governance regulation crime terrorism
		communication platform exercise group mechanism committee assembly resolution report
		expert norm behavior responsibility capacity trust confidence measure implementation`)
	for i := range 3000 {
		words = append(words, fmt.Sprintf("term%d", i))
	}
	r := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(r, 1.1, 2, uint64(len(words)-1))
	docs := make([]document.Document, n)
	var b strings.Builder
	for i := range docs {
		b.Reset()
		fmt.Fprintf(&b, "Synthetic document number %d is about %s. ", i, words[z.Uint64()])
		for b.Len() < 700 {
			for range 12 {
				b.WriteString(words[z.Uint64()])
				b.WriteByte(' ')
			}
			b.WriteString("end.\n")
		}
		text := strings.ReplaceAll(b.String(), ".\n", ". ")
		docs[i] = document.Document{ID: fmt.Sprintf("doc%06d.txt", i), Title: fmt.Sprintf("Synthetic document number %d", i), Text: text}
	}
	return docs, words
}
