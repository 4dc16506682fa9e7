package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"citebot/answer"
)

// jsonAlphabet is what random strings are made of: plain text, the
// characters JSON or HTML escape, control bytes, Cyrillic, U+2028 and
// U+2029, a four-byte rune and bytes that are not UTF-8.
var jsonAlphabet = []string{"a", "Z", " ", "0", ".", "\"", "\\", "<", ">", "&", "'", "\n", "\r", "\t", "\b", "\f",
	"\x00", "\x1f", "\x7f", "ж", "Ё", "\u2028", "\u2029", "\u2027", "😀", "\xff", "\xe2\x80", "\xc3", "é",
	"plain ascii text ", "The agreement came into effect on January 5, 2012 [1]. "}

func randomString(r *rand.Rand) string {
	var b bytes.Buffer
	for range r.IntN(40) {
		b.WriteString(jsonAlphabet[r.IntN(len(jsonAlphabet))])
	}
	return b.String()
}

var jsonFloats = []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 0.8123, 1e-6, 9.99e-7, 1e-7, -1e-9, 1e20, 1e21, 1.5e21, 5e-324,
	math.MaxFloat64, 123456789.125, 1e-10, 3e-100}

// fill sets every field of the value v points to at random, slices of
// structs included (nil, empty or a few elements), so that a field added
// to an answer one day is in the comparison too.
func fill(r *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(randomString(r))
	case reflect.Int, reflect.Int64:
		if r.IntN(3) == 0 {
			v.SetInt(0)
		} else {
			v.SetInt(r.Int64N(1<<40) - 1<<20)
		}
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Float64:
		if r.IntN(2) == 0 {
			v.SetFloat(jsonFloats[r.IntN(len(jsonFloats))])
		} else {
			v.SetFloat(r.NormFloat64() * math.Pow(10, float64(r.IntN(40)-20)))
		}
	case reflect.Slice:
		switch n := r.IntN(5); n {
		case 0:
			v.Set(reflect.Zero(v.Type()))
		default:
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := range n - 1 {
				fill(r, s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			fill(r, v.Field(i))
		}
	default:
		panic("fill: no case for " + v.Kind().String())
	}
}

// appendAnswer writes what encoding/json's Encoder writes, for random
// answers, and refuses what it refuses.
func TestAppendAnswerIsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 20000 {
		var a answer.Answer
		fill(r, reflect.ValueOf(&a).Elem())
		var want bytes.Buffer
		err := json.NewEncoder(&want).Encode(a)
		got, ok := appendAnswer(nil, &a)
		if ok != (err == nil) {
			t.Fatalf("answer %d: appendAnswer ok %v, encoding/json error %v", i, ok, err)
		}
		if ok && !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("answer %d:\n got %s\nwant %s", i, got, want.Bytes())
		}
	}
	for c := range 256 {
		s := string([]byte{byte(c)}) + "01234567" + string([]byte{byte(c)})
		if want, _ := json.Marshal(s); !bytes.Equal(appendJSONString(nil, s), want) {
			t.Fatalf("appendJSONString(%q) = %s, encoding/json %s", s, appendJSONString(nil, s), want)
		}
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		for _, a := range []answer.Answer{{Confidence: bad}, {Citations: []answer.Citation{{Score: bad}}}, {Passages: []answer.Passage{{Score: bad}}}} {
			if b, ok := appendAnswer([]byte("x"), &a); ok || string(b) != "x" {
				t.Errorf("an answer holding %v: appendAnswer = %q, %v", bad, b, ok)
			}
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonAlphabet {
		f.Add(s + "abcdefgh" + s + "ijklmnopq")
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendJSONString(%q) = %s, encoding/json %s", s, got, want)
		}
	})
}

func BenchmarkEncodeAnswer(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	var a answer.Answer
	a.Question = "When did the SCO agreement come into effect?"
	a.Answer = "The agreement came into effect on January 5, 2012 [1]."
	for range 5 {
		var p answer.Passage
		fill(r, reflect.ValueOf(&p).Elem())
		p.Text = string(bytes.Repeat([]byte("The Shanghai Cooperation Organisation's members agreed on it. "), 20))
		a.Passages = append(a.Passages, p)
	}
	var buf bytes.Buffer
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			_ = json.NewEncoder(&buf).Encode(a)
		}
	})
	b.Run("appendAnswer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			out, _ := appendAnswer(buf.AvailableBuffer(), &a)
			buf.Write(out)
		}
	})
}

// plainASCII8 flags a word exactly when one of its bytes is not
// htmlSafe: every pair of byte values, in several pairs of places.
func TestPlainASCII8(t *testing.T) {
	for _, at := range [][2]int{{0, 1}, {0, 7}, {3, 4}, {6, 7}, {7, 0}, {2, 2}} {
		for b1 := range 256 {
			for b2 := range 256 {
				w := []byte("abcdefgh")
				w[at[0]], w[at[1]] = byte(b1), byte(b2)
				want := true
				for _, c := range w {
					want = want && htmlSafe(c)
				}
				if got := plainASCII8(load8(string(w))); got != want {
					t.Fatalf("plainASCII8(%q) = %v, want %v", w, got, want)
				}
			}
		}
	}
}
