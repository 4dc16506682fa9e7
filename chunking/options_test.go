package chunking

import (
	"regexp"
	"testing"
)

func TestChunkOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opt  Options
		want string // "" for valid
	}{
		{"the shipped size", Options{MaxBytes: 1000, Boilerplate: DefaultBoilerplate()}, ""},
		{"smallest", Options{MaxBytes: 200}, ""},
		{"largest", Options{MaxBytes: 3000}, ""},
		{"removal off", Options{MaxBytes: 1000, Boilerplate: []*regexp.Regexp{}}, ""},
		{"zero size", Options{}, "chunk.max_bytes must be between 200 and 3000, got 0"},
		{"too small", Options{MaxBytes: 199}, "chunk.max_bytes must be between 200 and 3000, got 199"},
		{"too large", Options{MaxBytes: 3001}, "chunk.max_bytes must be between 200 and 3000, got 3001"},
		{"negative", Options{MaxBytes: -1}, "chunk.max_bytes must be between 200 and 3000, got -1"},
		{"nil pattern", Options{MaxBytes: 1000, Boilerplate: []*regexp.Regexp{regexp.MustCompile("x"), nil}},
			"chunk boilerplate pattern 2 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opt.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Errorf("Validate() = nil, want %q", tt.want)
			case tt.want != "" && err.Error() != tt.want:
				t.Errorf("Validate() = %q, want %q", err, tt.want)
			}
		})
	}
}

// The index version hashes the defaults' sources without compiling them:
// they must be what the compiled expressions print, or an index would be
// rebuilt (or, worse, kept) for the wrong reason.
func TestDefaultBoilerplateSources(t *testing.T) {
	res, srcs := DefaultBoilerplate(), DefaultBoilerplateSources()
	if len(res) != len(srcs) {
		t.Fatalf("%d sources for %d patterns", len(srcs), len(res))
	}
	for i, re := range res {
		if re.String() != srcs[i] {
			t.Errorf("pattern %d: source %q, compiled %q", i, srcs[i], re.String())
		}
	}
}
