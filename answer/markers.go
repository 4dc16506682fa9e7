package answer

import "strconv"

// Marker is a citation marker "[n]" in an answer's text: bytes Start to
// End of it, naming citation N.
type Marker struct{ Start, End, N int }

// Markers lists the [n] markers of an answer's text, in order: one to four
// digits in brackets. The front ends turn those that name a citation into
// links (the web page) or bold (Telegram), each in its own markup, so that
// what counts as a marker is decided once.
func Markers(text string) []Marker {
	var out []Marker
	for i := 0; i < len(text); i++ {
		if text[i] != '[' {
			continue
		}
		j := i + 1
		for j < len(text) && j-i <= 4 && text[j] >= '0' && text[j] <= '9' {
			j++
		}
		if j == i+1 || j >= len(text) || text[j] != ']' {
			continue
		}
		n, err := strconv.Atoi(text[i+1 : j])
		if err != nil {
			continue
		}
		out = append(out, Marker{Start: i, End: j + 1, N: n})
		i = j
	}
	return out
}
