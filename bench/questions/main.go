// Command questions writes a file of questions that never repeat, as
// request bodies for bench/httpload (JSON lines {"question": ..., "k": K}),
// so that a load test of POST /v1/ask measures answers computed, not the
// answer cache. Real questions come first (QA sets of JSON lines with a
// "question" field, and plain files of one question a line), each once;
// then each real question with a lead-in and a tail ("Please tell me: …
// according to the documents"); then questions made from templates and
// the words and word pairs of the documents folder, so that the load stays
// on the subject of the documents even without the question sets. Every
// line is different from every other; the order is shuffled with -seed.
//
//	questions -docs seeds -sets testdata/seeds-dev.jsonl -lines q.en.txt -n 400000 -out q.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
)

type options struct {
	docs  string
	sets  string
	lines string
	n     int
	k     int
	seed  uint64
	out   string
}

func main() {
	var o options
	flag.StringVar(&o.docs, "docs", "seeds", "folder of .txt documents whose words the generated questions use")
	flag.StringVar(&o.sets, "sets", "", "comma-separated QA sets (JSON lines with a \"question\" field)")
	flag.StringVar(&o.lines, "lines", "", "comma-separated files of one question a line")
	flag.IntVar(&o.n, "n", 400000, "questions to write")
	flag.IntVar(&o.k, "k", 5, "the k of every request")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed")
	flag.StringVar(&o.out, "out", "", "file to write (required)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "questions:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.out == "" {
		return errors.New("-out is required")
	}
	if o.n < 1 {
		return errors.New("-n must be at least 1")
	}
	real, err := readQuestions(o.sets, o.lines)
	if err != nil {
		return err
	}
	words, pairs, err := vocabulary(o.docs)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(o.seed, 17))
	qs := generate(r, real, words, pairs, o.n)
	f, err := os.Create(o.out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, q := range qs {
		if err := enc.Encode(struct {
			Question string `json:"question"`
			K        int    `json:"k"`
		}{q, o.k}); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "questions: %d unique questions (%d real ones, %d words and %d word pairs of %s) in %s\n",
		len(qs), len(real), len(words), len(pairs), o.docs, o.out)
	return nil
}

var (
	leadIns = []string{"", "Please tell me: ", "Quick question: ", "I would like to know: ", "Can you tell me ",
		"Do you know ", "Tell me, ", "One more thing: ", "Could you check: ", "I wonder: ", "Question: ",
		"Hello! ", "Hi, ", "Briefly: ", "In short, ", "Help me understand: "}
	tails = []string{"", " According to the documents?", " Please cite the source.", " Thanks!", " (briefly)",
		" In one sentence.", " What do the documents say?", " Is that stated anywhere?", " Any details?",
		" And why?", " Please be precise.", " Where is it written?", " Thank you.", " I need the exact wording."}
	oneWord = []string{"What does the text say about %s?", "What is %s?", "Who is responsible for %s?",
		"When was the %s established?", "Why does %s matter?", "Which measures concern %s?",
		"How is %s defined?", "Where is %s mentioned?", "What is the role of %s?", "Who decides on %s?"}
	twoWords = []string{"How does %s relate to %s?", "What role does %s play in %s?", "Why is %s important for %s?",
		"What is said about %s and %s?", "Is %s part of %s?", "Who coordinates %s with %s?",
		"What links %s to %s?", "Does %s affect %s?"}
)

// generate is n different questions: the real ones, their variants, then
// template questions, shuffled.
func generate(r *rand.Rand, real, words, pairs []string, n int) []string {
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	add := func(q string) {
		if len(out) < n && !seen[q] {
			seen[q] = true
			out = append(out, q)
		}
	}
	for _, q := range real {
		add(q)
	}
	// At most a third of the rest as variants of the real questions.
	for _, lead := range leadIns {
		for _, tail := range tails {
			for _, q := range real {
				if len(out) >= n/3 {
					break
				}
				add(lead + lowerFirst(q, lead) + tail)
			}
		}
	}
	terms := append(slices.Clone(words), pairs...)
	if len(terms) == 0 && len(out) < n {
		return out
	}
	// Draws until n are found; 100,000 draws in a row that make nothing
	// new (the templates exhausted) end it.
	for misses := 0; len(out) < n && misses < 100000; {
		var q string
		if r.IntN(2) == 0 {
			q = fmt.Sprintf(oneWord[r.IntN(len(oneWord))], terms[r.IntN(len(terms))])
		} else {
			q = fmt.Sprintf(twoWords[r.IntN(len(twoWords))], terms[r.IntN(len(terms))], terms[r.IntN(len(terms))])
		}
		if r.IntN(3) == 0 {
			lead := leadIns[r.IntN(len(leadIns))]
			q = lead + lowerFirst(q, lead) + tails[r.IntN(len(tails))]
		}
		before := len(out)
		add(q)
		if len(out) == before {
			misses++
		} else {
			misses = 0
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// lowerFirst lowercases the question's first letter after a lead-in,
// unless it starts a name ("SCO", "Belarus": a second capital or a word
// the documents capitalise are kept as they are).
func lowerFirst(q, lead string) string {
	if lead == "" || q == "" {
		return q
	}
	rs := []rune(q)
	if len(rs) > 1 && unicode.IsUpper(rs[1]) {
		return q
	}
	first, _, _ := strings.Cut(q, " ")
	switch strings.ToLower(first) {
	case "what", "when", "who", "why", "how", "which", "where", "is", "does", "do", "in", "according", "under", "that":
		rs[0] = unicode.ToLower(rs[0])
	}
	return string(rs)
}

// readQuestions reads the real questions of the QA sets and the plain
// files, each once, in order.
func readQuestions(sets, lines string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(q string) {
		q = strings.TrimSpace(q)
		if q != "" && !seen[q] {
			seen[q] = true
			out = append(out, q)
		}
	}
	for _, path := range splitList(sets) {
		err := eachLine(path, func(n int, line string) error {
			var row struct {
				Question string `json:"question"`
			}
			if err := json.Unmarshal([]byte(line), &row); err != nil {
				return fmt.Errorf("%s:%d: %w", path, n, err)
			}
			add(row.Question)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, path := range splitList(lines) {
		if err := eachLine(path, func(_ int, line string) error { add(line); return nil }); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func eachLine(path string, fn func(n int, line string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			if err := fn(n, line); err != nil {
				return err
			}
		}
	}
	return sc.Err()
}

// stop holds the words too common to ask about.
var stop = map[string]bool{}

func init() {
	for w := range strings.FieldsSeq(`about above after again against also among been before being below between both
		but by can could did does doing down during each from further had has have having here into its itself
		just more most must only other over same shall should some such than that their theirs them then there
		these they this those through under until upon very was were what when where which while who whom why
		will with within would your the and for are not all any our out you his her she him how may new one
		two three well were also were being`) {
		stop[w] = true
	}
}

// vocabulary is the documents' content words (four letters or more, not
// stop words) and the pairs of them that follow each other in the text,
// each once, in order of first appearance.
func vocabulary(dir string) (words, pairs []string, err error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, nil, err
	}
	if len(paths) == 0 {
		return nil, nil, fmt.Errorf("no .txt documents in %s", dir)
	}
	slices.Sort(paths)
	seenW, seenP := map[string]bool{}, map[string]bool{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		prev := ""
		for tok := range strings.FieldsFuncSeq(string(b), func(r rune) bool { return !unicode.IsLetter(r) && r != '-' }) {
			w := strings.ToLower(strings.Trim(tok, "-"))
			if len([]rune(w)) < 4 || stop[w] {
				prev = ""
				continue
			}
			if !seenW[w] {
				seenW[w] = true
				words = append(words, w)
			}
			if prev != "" {
				pair := prev + " " + w
				if !seenP[pair] {
					seenP[pair] = true
					pairs = append(pairs, pair)
				}
			}
			prev = w
		}
	}
	return words, pairs, nil
}
