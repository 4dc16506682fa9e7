package wordvec

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
)

func model(tb testing.TB) *Model {
	tb.Helper()
	m, err := Default()
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// words returns the vocabulary entries text resolves to, for tokenizer tests.
func words(m *Model, text string) []string {
	a := accumulator{m: m, sum: make([]float32, m.dim), track: true}
	if err := m.scan(context.Background(), text, &a); err != nil {
		panic(err)
	}
	out := []string{}
	for _, r := range a.rows {
		out = append(out, m.word(r))
	}
	return out
}

// TestEmbeddedFile validates every entry of the committed file, which load
// skips for speed: structure, finite numbers, frequency order, and that each
// word is found by lookup and is exactly what the tokenizer makes of it.
func TestEmbeddedFile(t *testing.T) {
	m := model(t)
	if m.Dim() != 100 {
		t.Errorf("Dim = %d, want 100", m.Dim())
	}
	if m.Len() < 90000 {
		t.Fatalf("only %d words, want >= 90000", m.Len())
	}
	if len(embedded) > 16<<20 {
		t.Errorf("vectors.bin is %d bytes, over 16 MiB", len(embedded))
	}
	prevP := float32(math.Inf(1))
	for row := range m.Len() {
		w := m.word(row)
		if w == "" {
			t.Fatalf("row %d: empty word", row)
		}
		if got := m.lookup([]byte(w)); got != row {
			t.Fatalf("lookup(%q) = %d, want %d", w, got, row)
		}
		if got := words(m, w); len(got) != 1 || got[0] != w {
			t.Fatalf("tokenizer turns vocabulary word %q into %q", w, got)
		}
		s, p := m.f32(m.scales, row), m.f32(m.probs, row)
		if !(s > 0) || math.IsInf(float64(s), 0) {
			t.Fatalf("row %d (%q): scale %v", row, w, s)
		}
		if !(p > 0 && p < 1) || p > prevP {
			t.Fatalf("row %d (%q): p(w) %v not in (0,1) or not non-increasing (prev %v)", row, w, p, prevP)
		}
		prevP = p
	}
	empty := 0
	for j := range len(m.table) / 4 {
		if le32(m.table, j) == 0 {
			empty++
		}
	}
	if empty == 0 {
		t.Fatal("hash table has no empty slot")
	}
	if m.word(0) != "the" {
		t.Errorf("row 0 is %q, want the most frequent word %q", m.word(0), "the")
	}
}

func TestLoadRejectsDamage(t *testing.T) {
	for name, data := range map[string]string{
		"empty":     "",
		"magic":     "XXXX" + embedded[4:],
		"truncated": embedded[:len(embedded)-1],
		"trailing":  embedded + "x",
		"version":   embedded[:4] + "\x02\x00\x00\x00" + embedded[8:],
	} {
		if _, err := load(data); err == nil {
			t.Errorf("%s: load succeeded", name)
		}
	}
}

func TestTokenize(t *testing.T) {
	m := model(t)
	for _, tc := range []struct {
		text string
		want string
	}{
		{"The Cat SAT", "the cat sat"},
		{"well-known state-of-the-art", "well-known state-of-the-art"},
		{"cyber-security", "cyber security"}, // unknown compound splits
		{"pre--war", "pre war"},              // a double hyphen is a dash
		{"-network- threat-", "network threat"},
		{"don't can't won't it's they're", "do not can not will not it they"},
		{"students' O'Neill", "students neill"},
		{"it\u2019s don\u2019t", "it do not"},
		{"Café NAÏVE Straße Łódź", "cafe naive strasse lodz"},
		{"cafe\u0301 docu\u00adment", "cafe document"},
		{"H1N1 mp3 1990 3.5 x", "h1n1 mp3"}, // pure numbers and single letters are not in the vocabulary
		{"日本語 Ελλάδα", ""},
		{"e-mail, email; E-MAIL.", "e-mail email e-mail"},
	} {
		if got := strings.Join(words(m, tc.text), " "); got != tc.want {
			t.Errorf("words(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestEmbed(t *testing.T) {
	m := model(t)
	for _, tc := range []struct {
		name string
		text string
		zero bool
	}{
		{"sentence", "The cat rested on the carpet.", false},
		{"single word", "security", false},
		{"stop words only", "the of and", false},
		{"empty", "", true},
		{"spaces", "   \n\t ", true},
		{"numbers", "1990 2024 3.14 42", true},
		{"punctuation", "!?.,;:()[]", true},
		{"unknown words", "zzqxv qwxyzzy", true},
		{"other script", "日本語のテキスト", true},
		{"invalid utf-8", "\xff\xfe\xfd", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := m.Embed(tc.text)
			if len(v) != m.Dim() {
				t.Fatalf("len = %d, want %d", len(v), m.Dim())
			}
			n := norm(v)
			if tc.zero {
				if n != 0 {
					t.Fatalf("norm = %v, want zero vector", n)
				}
				return
			}
			if math.Abs(n-1) > 1e-5 {
				t.Fatalf("norm = %v, want 1", n)
			}
		})
	}
}

func TestCaseInsensitive(t *testing.T) {
	m := model(t)
	a, b := m.Embed("Network Security ATTACK"), m.Embed("network security attack")
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("component %d differs: %v vs %v", i, a[i], b[i])
		}
	}
}

func TestSimilarity(t *testing.T) {
	m := model(t)
	for _, tc := range []struct{ a, near, far string }{
		{"cyber security attack", "network threat hacking", "banana recipe"},
		{"the cat rested on the carpet", "the kitten slept on the rug", "the desk was in the study room"},
		{"protein folding in cells", "molecular biology of enzymes", "football championship final"},
		{"stock market crash", "financial crisis and recession", "wedding flowers"},
	} {
		a, near, far := m.Embed(tc.a), m.Embed(tc.near), m.Embed(tc.far)
		cn, cf := cosine(a, near), cosine(a, far)
		if !(cn > cf) {
			t.Errorf("cos(%q, %q) = %.3f not above cos(…, %q) = %.3f", tc.a, tc.near, cn, tc.far, cf)
		}
	}
}

// TestSIFWeights checks that function words barely move an embedding while
// content words do, which is the point of the weighting.
func TestSIFWeights(t *testing.T) {
	m := model(t)
	base := m.Embed("vaccine trial results")
	if c := cosine(base, m.Embed("the results of the vaccine trial and of the")); c < 0.97 {
		t.Errorf("adding stop words moved the embedding to cosine %.3f", c)
	}
	if c := cosine(base, m.Embed("vaccine trial results football")); c > 0.97 {
		t.Errorf("adding a content word left cosine at %.3f", c)
	}
}

func TestEmbeddingFunc(t *testing.T) {
	m := model(t)
	f := m.EmbeddingFunc()
	v, err := f(context.Background(), "network threat hacking")
	if err != nil {
		t.Fatal(err)
	}
	if w := m.Embed("network threat hacking"); cosine(v, w) < 0.999999 {
		t.Error("EmbeddingFunc and Embed disagree")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f(ctx, "network"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: err = %v", err)
	}
	// Cancellation is also noticed part-way through a long text.
	ctx, cancel = context.WithCancel(context.Background())
	long := strings.Repeat("word ", 10*ctxCheckEvery)
	a := accumulator{m: m, sum: make([]float32, m.dim)}
	cancel()
	if err := m.scan(ctx, long, &a); !errors.Is(err, context.Canceled) {
		t.Errorf("scan with cancelled ctx: err = %v", err)
	}
	if a.found > ctxCheckEvery {
		t.Errorf("scan kept going for %d words after cancellation", a.found)
	}
}

func TestConcurrent(t *testing.T) {
	m := model(t)
	want := m.Embed("concurrent readers share one model")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				d, err := Default()
				if err != nil || d != m {
					t.Error("Default returned a different model")
					return
				}
				if cosine(d.Embed("concurrent readers share one model"), want) < 0.999999 {
					t.Error("concurrent Embed differs")
					return
				}
			}
		})
	}
	wg.Wait()
}

func FuzzEmbed(f *testing.F) {
	for _, s := range []string{"", "hello world", "don't-stop o'neill's", "Ünïcödé ß", "--'-'--", "\xff", "1,000.5", "a\u0301\u00ad-b"} {
		f.Add(s)
	}
	m := model(f)
	f.Fuzz(func(t *testing.T, text string) {
		v := m.Embed(text)
		if len(v) != m.Dim() {
			t.Fatalf("len %d", len(v))
		}
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("non-finite component in %v", v)
			}
		}
		if n := norm(v); n != 0 && math.Abs(n-1) > 1e-5 {
			t.Fatalf("norm %v", n)
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := load(embedded); err != nil {
			b.Fatal(err)
		}
	}
}

// benchParagraph is a typical 1,000-byte chunk of English prose.
var benchParagraph = func() string {
	const p = "Security researchers reported that the attackers exploited a vulnerability in the network's authentication service, " +
		"gaining access to internal systems for several weeks before the breach was detected. The company's incident response team " +
		"isolated the affected servers, rotated credentials and notified regulators, while independent analysts questioned whether " +
		"basic patch management would have prevented the intrusion. According to the report, well-known weaknesses in legacy " +
		"software remain the most common entry point for such campaigns, and small organisations with limited budgets are hit " +
		"hardest. The authors recommend multi-factor authentication, regular audits and staff training, noting that technical " +
		"controls alone cannot stop determined adversaries who combine phishing with social engineering. Governments, they argue, " +
		"should fund shared threat intelligence so that defenders learn from each attack quickly and respond in hours, not days. " +
		"Critics reply that funding alone changes little without accountability."
	return p[:1000]
}()

func BenchmarkEmbed(b *testing.B) {
	m := model(b)
	b.SetBytes(int64(len(benchParagraph)))
	b.ReportAllocs()
	for b.Loop() {
		m.Embed(benchParagraph)
	}
}
