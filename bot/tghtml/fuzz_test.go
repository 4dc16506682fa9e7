package tghtml

import (
	"strings"
	"testing"

	"citebot/answer"
	"citebot/bot/tghtml/tghtmltest"
)

var fuzzStyles = []string{"", "b", "i", "code", "pre", "blockquote", "u", "tg-spoiler", "bogus"}

// fuzzBlock makes a block of s repeated rep times, cut into spans at '|',
// the spans' styles taken in turn from fuzzStyles starting at style.
func fuzzBlock(s string, rep, style int) Block {
	var b Block
	for i, part := range strings.Split(strings.Repeat(s, rep), "|") {
		b.Spans = append(b.Spans, Span{Text: part, Style: fuzzStyles[(style+i)%len(fuzzStyles)]})
	}
	return b
}

func FuzzSplit(f *testing.F) {
	f.Add("Hello, world.", "", "", uint16(0), uint16(4096), uint8(0))
	f.Add("One. Two! Three? Four。Five", "a|b|c", "&<>\"'", uint16(7), uint16(0), uint8(30))
	f.Add(strings.Repeat("word ", 50), "x\n\ny\n \nz", "😀👨\u200d👩\u200d👧🇺🇦e\u0301", uint16(300), uint16(10), uint8(99))
	f.Add("a\xffb\xe2\x82 ", "<b>not a tag</b>", "&amp;", uint16(65535), uint16(1000), uint8(200))
	f.Add(strings.Repeat("&", 100), strings.Repeat("|", 20), "   \n\n   ", uint16(5), uint16(63), uint8(10))
	f.Fuzz(func(t *testing.T, a, b, c string, styles, limit uint16, rep uint8) {
		n := 64 + int(limit)%(4096-64+1)
		r := 1 + int(rep)%64
		blocks := []Block{
			fuzzBlock(a, r, int(styles)),
			fuzzBlock(b, 1+r/8, int(styles>>4)),
			fuzzBlock(c, r, int(styles>>8)),
		}
		msgs := Split(blocks, n)
		if err := checkSplit(blocks, n, msgs); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzAnswer(f *testing.F) {
	a := sampleAnswer()
	c := a.Citations[1]
	f.Add(a.Answer, c.Title, c.Document, c.Quote, uint16(120), true, uint8(0))
	f.Add("Not found [1] [2] [x] [99999] [01] [", "", "", "", uint16(0), false, uint8(3))
	f.Add("a&b<c>", "t\n\tt", "d\r\n", "q <b>x</b>  \n\n y", uint16(1), true, uint8(100))
	f.Add(strings.Repeat("😀 [1]. ", 40), "<script>&", "&&&", strings.Repeat("& ", 500), uint16(5000), false, uint8(255))
	f.Fuzz(func(t *testing.T, text, title, doc, quote string, quoteChars uint16, found bool, rep uint8) {
		text = strings.Repeat(text, 1+int(rep)%32)
		an := answer.Answer{
			Answer: text,
			Found:  found,
			Citations: []answer.Citation{
				{N: 1, Title: title, Document: doc, LineStart: 1, LineEnd: int(rep), Quote: quote},
				{N: 2, Title: quote, Document: title, LineStart: int(rep), LineEnd: 3, Quote: text},
			},
			Passages: []answer.Passage{
				{Rank: 1, Title: title, Document: doc, LineStart: 2, LineEnd: 2, Text: quote},
				{Rank: 2, Title: doc, Document: title, Text: text},
				{Rank: 3, Title: "", Document: doc, LineStart: int(rep), LineEnd: 9, Text: title},
				{Rank: 4, Title: quote, Document: quote, Text: quote},
			},
		}
		q := int(quoteChars) % 2000
		blocks := Answer(an, Labels{}, q)
		for _, b := range blocks {
			if err := tghtmltest.WellFormed(b.HTML()); err != nil {
				t.Fatalf("block %q: %v", b.HTML(), err)
			}
		}
		msgs := Split(blocks, 4096)
		if err := checkSplit(blocks, 4096, msgs); err != nil {
			t.Fatal(err)
		}
	})
}
