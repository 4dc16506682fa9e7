package main

import (
	"bufio"
	"compress/gzip"
	"io"
	"math"
	"os"
	"regexp"
	"strings"
)

// The Mueller dictionary runs English→Russian, so it is read backwards:
// every Russian word among the leading translations of a headword's sense
// scores for that headword. A translation in an early sense, early in that
// sense and standing alone weighs most; usage examples ("to come into force
// вступать в силу") are ignored, since reading a sense stops at the first
// piece with Latin letters. A mild frequency prior comes from how often the
// headword occurs in the dictionary's own English examples.
//
// Entry layout, for reference:
//
//	force
//	   [fɘ:s]
//	   1. _n.
//	      1) сила; by force силой, насильно; ...
//	      2) насилие, принуждение; brute force грубая сила, насилие

var (
	// One English headword, letters only: phrases, hyphenated and
	// abbreviated forms would not survive the BM25 tokenizer whole.
	headRe = regexp.MustCompile(`^[A-Za-z]+$`)
	// Transcriptions [..], cross-reference notes {..} and glosses (..).
	dropRe = regexp.MustCompile(`\[[^\]]*\]|\{[^}]*\}|\([^()]*\)`)
	// Sense markers: "1)" numbered sense; "1." part-of-speech group and
	// "_I" homonym, both of which restart the sense numbering; "а)"
	// lettered sub-sense.
	senseRe = regexp.MustCompile(`(?:^|\s)(\d+\)|\d+\.|_[IVX]+|[абвгдеж]\))(?:\s|$)`)
	// Grammar and usage labels such as _n. _v. _pl. _воен.
	labelRe = regexp.MustCompile(`_[^\s.]+\.?`)
	// English words in usage examples, for the frequency estimate.
	latinWordRe = regexp.MustCompile(`[A-Za-z]+`)
)

func readMueller(path string) (scores, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".dz") || strings.HasSuffix(path, ".gz") {
		// dictzip is gzip with an extra header field; compress/gzip reads it.
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		r = zr
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	m := &mueller{s: scores{}, count: englishCounts(string(raw))}
	if err := readEntries(strings.NewReader(string(raw)), m.addEntry); err != nil {
		return nil, err
	}
	return m.s, nil
}

// readEntries splits the dictd text into entries: a headword line at column
// 0 followed by indented body lines, which are joined with spaces.
func readEntries(r io.Reader, fn func(head, body string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var head string
	var body strings.Builder
	flush := func() {
		if head != "" {
			fn(head, body.String())
		}
		head = ""
		body.Reset()
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			flush()
			head = strings.TrimSpace(line)
			continue
		}
		body.WriteByte(' ')
		body.WriteString(strings.TrimSpace(line))
	}
	flush()
	return sc.Err()
}

// englishCounts counts lower-cased English words in the entries' bodies,
// i.e. in the dictionary's English usage examples. Whole words, not stems,
// are counted so that "lawful" does not inherit the frequency of "law";
// headword lines are not counted, so no headword gets a free occurrence.
func englishCounts(text string) map[string]int {
	n := map[string]int{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || (line[0] != ' ' && line[0] != '\t') {
			continue
		}
		for _, w := range latinWordRe.FindAllString(line, -1) {
			n[strings.ToLower(w)]++
		}
	}
	return n
}

type mueller struct {
	s     scores
	count map[string]int // English word -> occurrences in examples
}

func (m *mueller) addEntry(head, body string) {
	if !headRe.MatchString(head) {
		return
	}
	en := strings.ToLower(head)
	if !usableEnglish(en) {
		return
	}
	text := body
	for { // strip innermost parentheses first, then any that enclosed them
		s := dropRe.ReplaceAllString(text, " ")
		if s == text {
			break
		}
		text = s
	}
	// Walk the senses: the text between one marker and the next.
	// Lettered sub-senses ("а) принять вызов") almost always translate the
	// idiom just before them, not the headword, so they are skipped.
	hom, pos, sense := 0, 0, 0
	prev, sub := 0, false
	marks := senseRe.FindAllStringSubmatchIndex(text, -1)
	for i := 0; i <= len(marks); i++ {
		end := len(text)
		if i < len(marks) {
			end = marks[i][0]
		}
		if !sub {
			m.addSense(en, text[prev:end], hom+pos, sense)
		}
		if i == len(marks) {
			break
		}
		prev = marks[i][1]
		switch mk := text[marks[i][2]:marks[i][3]]; {
		case mk[0] == '_': // homonym _I, _II, ...
			hom, pos, sense, sub = romanIndex(mk[1:]), 0, 0, false
		case strings.HasSuffix(mk, "."): // part of speech 1., 2., ...
			pos, sense, sub = atoi(mk)-1, 0, false
		case mk[0] >= '0' && mk[0] <= '9': // sense 1), 2), ...
			sense, sub = atoi(mk)-1, false
		default:
			sub = true
		}
	}
}

// atoi reads the leading digits of a sense marker.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// romanIndex maps a homonym number I, II, III, IV, anything later to 0..4.
func romanIndex(s string) int {
	switch s {
	case "I":
		return 0
	case "II":
		return 1
	case "III":
		return 2
	case "IV":
		return 3
	}
	return 4
}

// addSense reads the leading Russian translations of one sense: pieces
// separated by ';', ',' or ':' up to the first piece with Latin letters.
func (m *mueller) addSense(en, seg string, group, sense int) {
	seg = strings.TrimSpace(seg)
	if strings.HasPrefix(seg, "=") {
		return // "= other headword": a pure cross-reference
	}
	w0 := 1 / (1 + 0.3*float64(sense)) / (1 + 0.15*float64(group))
	if strings.Contains(seg, "_attr.") {
		w0 *= 0.5 // attributive use: "относящийся к ..." and the like
	}
	seg = labelRe.ReplaceAllString(seg, " ")
	// Kept mild so that it breaks near-ties rather than overruling sense
	// order: 1 for a word never used in an example, ~2.4 for one used 100
	// times.
	w0 *= 1 + 0.3*math.Log(1+float64(m.count[en]))
	piece := 0
	for _, part := range strings.FieldsFunc(seg, func(r rune) bool { return r == ';' || r == ',' || r == ':' }) {
		if latinRe.MatchString(part) {
			return
		}
		words := cyrWordRe.FindAllString(part, -1)
		if len(words) == 0 {
			continue
		}
		w := w0 / (1 + 0.2*float64(piece))
		if len(words) > 1 {
			w *= 0.5
		}
		for _, ru := range words {
			if usableRussian(ru) {
				m.s.add(ru, en, w)
			}
		}
		piece++
	}
}
