// Command scalecorpus writes a synthetic corpus for the scale figures of
// bench/scale.sh: N documents of about SIZE bytes of prose in paragraphs,
// each with a few unique facts (names and numbers), spread over subfolders
// of a hundred files each. The prose is real scientific sentences drawn at
// random from a BEIR corpus (-sentences, SciFact's abstracts: a real
// vocabulary, real sentence lengths), or, without one, English-like
// sentences of a hundred common words.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

var words = strings.Fields(`the of and to in a is that for on with as by at from this be are it an was which or its
their has have been were not also but more can after other into than about between during under over
agreement cooperation security information states members treaty council summit policy network
national international regional law legal norms report analysis measures threats data systems
development committee working group commission secretary ministers conference declaration
framework strategy digital technology infrastructure protection cyber research archive harbour`)

func main() {
	n := flag.Int("n", 10000, "documents")
	size := flag.Int("size", 10000, "bytes per document, about")
	out := flag.String("out", "", "folder to write")
	seed := flag.Uint64("seed", 1, "random seed")
	sentencesFrom := flag.String("sentences", "", "BEIR corpus.jsonl whose abstracts' sentences make the prose (default: sentences of common words)")
	flag.Parse()
	if *out == "" {
		log.Fatal("scalecorpus: -out is required")
	}
	var pool []string // real sentences, if any
	if *sentencesFrom != "" {
		var err error
		if pool, err = readSentences(*sentencesFrom); err != nil {
			log.Fatalf("scalecorpus: %v", err)
		}
	}
	r := rand.New(rand.NewPCG(*seed, 2))
	for i := range *n {
		var b strings.Builder
		fmt.Fprintf(&b, "Report %d on the archive of Station%05d\n\n", i, i)
		for b.Len() < *size {
			sentences := 3 + r.IntN(4)
			for s := range sentences {
				if s == 0 && r.IntN(3) == 0 {
					fmt.Fprintf(&b, "The archive of Station%05d holds %d maps from %d. ", i, 100+r.IntN(9000), 1800+r.IntN(220))
					continue
				}
				if pool != nil {
					b.WriteString(pool[r.IntN(len(pool))])
					b.WriteByte(' ')
					continue
				}
				w := 8 + r.IntN(14)
				for k := range w {
					word := words[r.IntN(len(words))]
					if k == 0 {
						word = strings.ToUpper(word[:1]) + word[1:]
					}
					b.WriteString(word)
					if k < w-1 {
						b.WriteByte(' ')
					}
				}
				b.WriteString(". ")
			}
			b.WriteString("\n\n")
		}
		path := filepath.Join(*out, fmt.Sprintf("part%03d", i/100), fmt.Sprintf("doc%05d.txt", i))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// readSentences splits the abstracts of a BEIR corpus.jsonl into
// sentences: at a full stop, question or exclamation mark followed by a
// space and a capital letter or digit, which is right for nearly all of
// SciFact's; sentences shorter than 20 bytes are left out.
func readSentences(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		var d struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, n, err)
		}
		text := strings.Join(strings.Fields(d.Text), " ")
		start := 0
		for i := 0; i+2 < len(text); i++ {
			c, next := text[i], text[i+2]
			if (c == '.' || c == '?' || c == '!') && text[i+1] == ' ' && (next >= 'A' && next <= 'Z' || next >= '0' && next <= '9') {
				out = appendSentence(out, text[start:i+1])
				start = i + 2
			}
		}
		out = appendSentence(out, text[start:])
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no sentences", path)
	}
	return out, nil
}

func appendSentence(out []string, s string) []string {
	if s = strings.TrimSpace(s); len(s) >= 20 {
		out = append(out, s)
	}
	return out
}
