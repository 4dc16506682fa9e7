// Command scalecorpus writes a synthetic corpus for the scale figures of
// bench/scale.sh: N documents of about SIZE bytes of English-like prose
// in paragraphs, each with a few unique facts (names and numbers), spread
// over subfolders of a hundred files each.
package main

import (
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
	flag.Parse()
	if *out == "" {
		log.Fatal("scalecorpus: -out is required")
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
