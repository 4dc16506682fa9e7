package answer

import (
	"reflect"
	"testing"
)

func TestMarkers(t *testing.T) {
	tests := []struct {
		text string
		want []Marker
	}{
		{"No markers.", nil},
		{"One [1].", []Marker{{4, 7, 1}}},
		{"Two [1][2] and [12].", []Marker{{4, 7, 1}, {7, 10, 2}, {15, 19, 12}}},
		{"Not [] nor [a] nor [12345] nor [3", nil},
		{"[9999] at the start", []Marker{{0, 6, 9999}}},
		{"Nested [[2]]", []Marker{{8, 11, 2}}},
	}
	for _, tt := range tests {
		if got := Markers(tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Markers(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}
