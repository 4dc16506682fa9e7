package httpapi

import "testing"

func TestLoneSurrogate(t *testing.T) {
	for raw, want := range map[string]bool{
		`{"question":"plain"}`:                false,
		`{"question":"\ud83d\ude00 smile"}`:   false,
		`{"question":"\ud800 SCO"}`:           true,
		`{"question":"\udc00"}`:               true,
		`{"question":"\ud83d"}`:               true,
		`{"question":"\ud83dx"}`:              true,
		`{"question":"\ud83d\u0041"}`:         true,
		`{"question":"\\ud800 is text"}`:      false,
		`{"question":"\\\ud800"}`:             true,
		`{"question":"caf\u00e9 \"quoted\""}`: false,
		`{"question":"\u12"}`:                 false, // malformed: the decoder says so
	} {
		if got := loneSurrogate([]byte(raw)); got != want {
			t.Errorf("loneSurrogate(%s) = %v, want %v", raw, got, want)
		}
	}
}
