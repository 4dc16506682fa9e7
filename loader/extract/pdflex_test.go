package extract

import (
	"fmt"
	"strings"
	"testing"
)

// tokens renders the tokens of s, one per element.
func tokens(s string, max int64) []string {
	l := newLexer(strings.NewReader(s), max)
	var out []string
	for {
		t := l.next()
		switch t.kind {
		case tEOF:
			return out
		case tNum:
			out = append(out, fmt.Sprintf("num:%g/%v", t.num, t.isInt))
		case tString:
			out = append(out, fmt.Sprintf("str:%q", t.str))
		case tName:
			out = append(out, "name:"+string(t.str))
		case tKeyword:
			out = append(out, "kw:"+string(t.str))
		default:
			out = append(out, map[tokKind]string{tArrayOpen: "[", tArrayClose: "]", tDictOpen: "<<", tDictClose: ">>", tBrace: "{}"}[t.kind])
		}
	}
}

func TestLexer(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
	}{
		{"1 -2 +3.5 .5 -.25 4. 12345678901234567890", `num:1/true num:-2/true num:3.5/false num:0.5/false num:-0.25/false num:4/false num:1.234567890123457e+19/false`},
		{"/Name /A#42C /Bad#zz /#20 /", "name:Name name:ABC name:Bad#zz name:  name:"},
		{`(a(b)c) (\(\)\\) (\101\60\1a) (x\` + "\n" + `y) (\q)`, `str:"a(b)c" str:"()\\" str:"A0\x01a" str:"xy" str:"q"`},
		{"<48 65\n6c6C 6f> <4> <> <zz41>", `str:"Hello" str:"@" str:"" str:"A"`},
		{"[1 (a)] << /K /V >> { } BT Tj ' \" true null", `[ num:1/true str:"a" ] << name:K name:V >> {} {} kw:BT kw:Tj kw:' kw:" kw:true kw:null`},
		{"1 % comment (not a string)\r2 %\n3", "num:1/true num:2/true num:3/true"},
		{"a)b>c", "kw:a kw:b kw:c"},
		// Cut off inside each construct: the input ends, the token too.
		{"(open", `str:"open"`},
		{"<4142", `str:"AB"`},
		{"(esc\\", `str:"esc"`},
		{"(oct\\12", `str:"oct\n"`},
		{"/Na#4", "name:Na#4"},
		{"% only a comment", ""},
	} {
		if got := strings.Join(tokens(c.in, 0), " "); got != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestLexerBounds(t *testing.T) {
	// Reading stops at max bytes, and says so.
	l := newLexer(strings.NewReader(strings.Repeat("1 ", 1000)), 100)
	n := 0
	for l.next().kind != tEOF {
		n++
	}
	if n != 50 || !l.over || l.n != 100 {
		t.Errorf("%d tokens, over %v, %d bytes read", n, l.over, l.n)
	}
	// One token keeps at most maxTokenBytes.
	l = newLexer(strings.NewReader("("+strings.Repeat("x", maxTokenBytes+10)+") (y)"), 0)
	if tok := l.next(); len(tok.str) != maxTokenBytes {
		t.Errorf("string of %d bytes", len(tok.str))
	}
	if tok := l.next(); string(tok.str) != "y" {
		t.Errorf("next token %q", tok.str)
	}
	// A token across the buffer's refills is whole.
	long := strings.Repeat("a", 100000)
	if got := tokens("/"+long+" "+long, 0); len(got) != 2 || got[0] != "name:"+long || got[1] != "kw:"+long {
		t.Error("a token across refills is cut")
	}
}

func TestCMapRanges(t *testing.T) {
	m := &cmap{chars: map[uint64]string{codeKey(1, 0x41): "a"}}
	m.space[0] = []codeRange{{0x00, 0x7F}}
	m.space[1] = []codeRange{{0x8000, 0xFFFF}}
	m.ranges = []bfRange{
		{n: 2, lo: 0x8100, hi: 0x81FF, dst: []byte{0x00, 0xF0}},       // its destination crosses a byte boundary
		{n: 2, lo: 0x8010, hi: 0x8012, dsts: []string{"x", "y", "z"}}, // an array
		{n: 1, lo: 0x30, hi: 0x39, dst: []byte{0x00, 0x30}},
	}
	m.finish()
	for in, want := range map[string]string{
		"\x81\x00\x81\x0F\x81\x10": "\u00F0\u00FF\u0100",
		"\x80\x10\x80\x12\x80\x13": "xz",
		"A05\x82\x00B":             "a05",
	} {
		if got := m.Decode(in); got != want {
			t.Errorf("Decode(%q) = %q, want %q", in, got, want)
		}
	}
}
