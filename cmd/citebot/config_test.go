package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The shipped configs/citebot.yaml documents every setting with its
// default: loading it must give exactly the built-in defaults.
func TestShippedConfigIsTheDefaults(t *testing.T) {
	var stderr bytes.Buffer
	f := newFlags("ask", &stderr)
	c, _, err := parse(f, []string{"--config", "../../configs/citebot.yaml"}, noenv)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c, defaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("configs/citebot.yaml gives\n%+v\nwant the defaults\n%+v", got, want)
	}
}

// Every flag, not only docs/index/k, takes CITEBOT_<FLAG> (upper case,
// dashes as underscores) and a top-level key of the config file, as users
// are promised.
func TestEveryFlagHasEnvAndFileKey(t *testing.T) {
	ix := seedIndex(t)
	q := "Where was the Digital International Relations conference held?"
	isJSON := func(s string) bool { return json.Valid([]byte(s)) }

	if r := mustRun(t, map[string]string{"CITEBOT_JSON": "true"}, "", "ask", "--docs", "../../seeds", "--index", ix, q); !isJSON(r.stdout) {
		t.Errorf("CITEBOT_JSON=true: not JSON:\n%s", r.stdout)
	}
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(cfg, []byte("json: true\nset: ignored-by-ask.jsonl\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := mustRun(t, nil, "", "ask", "--config", cfg, "--docs", "../../seeds", "--index", ix, q); !isJSON(r.stdout) {
		t.Errorf("json: true in the file: not JSON:\n%s", r.stdout)
	}
	if r := mustRun(t, map[string]string{"CITEBOT_JSON": "true"}, "", "ask", "--json=false", "--docs", "../../seeds", "--index", ix, q); isJSON(r.stdout) {
		t.Errorf("--json=false did not override CITEBOT_JSON")
	}
	if r := cli(t, map[string]string{"CITEBOT_JSON": "maybe"}, "", "ask", "--docs", "../../seeds", "--index", ix, q); r.code != 2 {
		t.Errorf("CITEBOT_JSON=maybe: exit %d, want 2", r.code)
	}
	if err := os.WriteFile(cfg, []byte("jsn: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := cli(t, nil, "", "ask", "--config", cfg, q); r.code != 2 {
		t.Errorf("misspelt key: exit %d, want 2", r.code)
	}
}

func TestFlagsAfterQuestion(t *testing.T) {
	ix := seedIndex(t)
	tests := []struct {
		name     string
		args     []string
		question string
		k        int
	}{
		{"flags first", []string{"--k", "3", "--json", "What", "is", "MGIMO?"}, "What is MGIMO?", 3},
		{"flags after", []string{"What is MGIMO?", "--k", "2", "--json"}, "What is MGIMO?", 2},
		{"double dash keeps dashes", []string{"--json", "--", "--k", "7"}, "--k 7", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"ask", "--docs", "../../seeds", "--index", ix}, tt.args...)
			a := decodeAnswer(t, []byte(mustRun(t, nil, "", args...).stdout))
			if a.Question != tt.question {
				t.Errorf("question %q, want %q", a.Question, tt.question)
			}
			if len(a.Passages) > tt.k {
				t.Errorf("%d passages, want at most %d", len(a.Passages), tt.k)
			}
		})
	}
}

// An index folder that cannot be written must not stop answers: ask warns
// and answers from the index it built in memory; index fails (exit 1); the
// folder keeps its old snapshot.
func TestAskReadOnlyIndex(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes to read-only folders")
	}
	docs := copySeeds(t)
	ix := filepath.Join(t.TempDir(), "index")
	mustRun(t, nil, "", "index", "--docs", docs, "--index", ix)
	before, err := os.ReadFile(filepath.Join(ix, "index.snap"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(docs, "new.txt"), "Harbour notes\n\nThe harbour of Vardø froze in 1966.\n")
	if err := os.Chmod(ix, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(ix, 0o755) })

	r := mustRun(t, nil, "", "ask", "--docs", docs, "--index", ix, "When did the harbour of Vardø freeze?")
	if !strings.Contains(r.stdout, "froze in 1966") || !strings.Contains(r.stderr, "could not be saved") {
		t.Errorf("ask with a read-only index: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if r := cli(t, nil, "", "index", "--docs", docs, "--index", ix); r.code != 1 {
		t.Errorf("index with a read-only index folder: exit %d, want 1", r.code)
	}
	after, err := os.ReadFile(filepath.Join(ix, "index.snap"))
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("the old snapshot changed (err %v)", err)
	}
}

// The shipped file's serve settings are serve's defaults.
func TestShippedConfigServeDefaults(t *testing.T) {
	var stderr bytes.Buffer
	f := newFlags("serve", &stderr)
	sf := addServeFlags(f)
	addLLMFlags(f.fs)
	defaults := map[string]string{}
	f.fs.VisitAll(func(fl *flag.Flag) { defaults[fl.Name] = fl.DefValue })
	if _, _, err := parse(f, []string{"--config", "../../configs/citebot.yaml"}, noenv); err != nil {
		t.Fatal(err)
	}
	f.fs.VisitAll(func(fl *flag.Flag) {
		if fl.Name == "config" {
			return
		}
		if got := fl.Value.String(); got != defaults[fl.Name] {
			t.Errorf("configs/citebot.yaml sets %s to %q; the default is %q", fl.Name, got, defaults[fl.Name])
		}
	})
	if *sf.addr != "127.0.0.1:8080" {
		t.Errorf("addr %q", *sf.addr)
	}
	raw, err := os.ReadFile("../../configs/citebot.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"addr", "admin-token", "rate-limit", "rate-burst", "log-level", "log-format", "log-questions", "answer-cache", "shutdown-timeout",
		"telegram-allow", "telegram-admins", "telegram-webhook-url", "telegram-webhook-secret",
		"llm-url", "llm-model", "llm-key", "llm-timeout", "watch", "watch-delay", "api-keys", "metrics-auth", "cors-origins",
		"store", "weaviate-url", "weaviate-grpc", "weaviate-prefix", "weaviate-poll"} {
		if f.fs.Lookup(name) == nil || !strings.Contains(string(raw), "\n"+name+": ") {
			t.Errorf("serve setting %s is not a flag or not documented in configs/citebot.yaml", name)
		}
	}
}

// TestRemovedAnswerSettings: a config file from before the answer model
// names a removed setting and says what to do instead, rather than
// starting as if it applied.
func TestRemovedAnswerSettings(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"answer:\n  min_coverage: 0.5\n", "answer.min_coverage was removed: the answer model now decides"},
		{"answer:\n  max_sentences: 2\n  context_weight: 0.5\n", ".yaml:3: answer.context_weight was removed"},
		{"answer:\n  length_penalty: 0.1\n", "answer.length_penalty was removed"},
	}
	for _, tt := range tests {
		file := filepath.Join(t.TempDir(), "citebot.yaml")
		writeFile(t, file, tt.yaml)
		r := cli(t, nil, "", "ask", "--config", file, "--docs", seeds, "--index", seedIndex(t), "When?")
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tt.yaml, r.code, r.stderr, tt.want)
		}
	}
	file := filepath.Join(t.TempDir(), "citebot.yaml")
	writeFile(t, file, "answer:\n  min_confidence: 0.5\n  max_sentences: 1\n")
	mustRun(t, nil, "", "ask", "--config", file, "--docs", seeds, "--index", seedIndex(t), "When?")
}

// The config refuses exactly the values it refused when it checked them
// itself, now that the settings' own Validate methods check them, with
// the same messages, except that bm25's name the one setting at fault and
// that NaN and +Inf, which slipped past the range checks and break the
// ranking, are refused too. Each is a usage error (exit 2).
func TestConfigRefusesBadSettings(t *testing.T) {
	tests := []struct {
		yaml string
		want string // "" when accepted
	}{
		{"", ""},
		{"chunk:\n  max_bytes: 200\n", ""},
		{"chunk:\n  max_bytes: 3000\n", ""},
		{"chunk:\n  max_bytes: 199\n", "chunk.max_bytes must be between 200 and 3000, got 199"},
		{"chunk:\n  max_bytes: 3001\n", "chunk.max_bytes must be between 200 and 3000, got 3001"},
		{"chunk:\n  max_bytes: 0\n", "chunk.max_bytes must be between 200 and 3000, got 0"},

		{"bm25:\n  k1: 0\n  b: 0\n  title_weight: 0\n  section_weight: 0\n", ""},
		{"bm25:\n  b: 1\n", ""},
		{"bm25:\n  k1: -1\n", "bm25.k1 must be ≥ 0, got -1"},
		{"bm25:\n  b: -0.1\n", "bm25.b must be within [0, 1], got -0.1"},
		{"bm25:\n  b: 1.1\n", "bm25.b must be within [0, 1], got 1.1"},
		{"bm25:\n  title_weight: -1\n", "bm25.title_weight must be ≥ 0, got -1"},
		{"bm25:\n  section_weight: -0.5\n", "bm25.section_weight must be ≥ 0, got -0.5"},
		{"bm25:\n  k1: .nan\n", "bm25.k1 must be ≥ 0, got NaN"},
		{"bm25:\n  k1: .inf\n", "bm25.k1 must be finite, got +Inf"},
		{"bm25:\n  b: .nan\n", "bm25.b must be within [0, 1], got NaN"},
		{"bm25:\n  title_weight: .inf\n", "bm25.title_weight must be finite, got +Inf"},

		{"fusion:\n  method: rrf\n", ""},
		{"fusion:\n  method: weighted\n  vector_weight: 0\n", ""},
		{"fusion:\n  vector_weight: 1\n  rrf_k: 0.5\n", ""},
		{"fusion:\n  candidates: 1\n", ""},
		{"fusion:\n  candidates: 10000\n", ""},
		{"fusion:\n  method: linear\n", `fusion.method must be weighted or rrf, got "linear"`},
		{"fusion:\n  method: RRF\n", `fusion.method must be weighted or rrf, got "RRF"`},
		{"fusion:\n  method: \"\"\n", `fusion.method must be weighted or rrf, got ""`},
		{"fusion:\n  vector_weight: -0.1\n", "fusion.vector_weight must be within [0, 1]"},
		{"fusion:\n  vector_weight: 1.1\n", "fusion.vector_weight must be within [0, 1]"},
		{"fusion:\n  vector_weight: .nan\n", "fusion.vector_weight must be within [0, 1]"},
		{"fusion:\n  rrf_k: 0\n", "fusion.rrf_k must be positive, got 0"},
		{"fusion:\n  rrf_k: -60\n", "fusion.rrf_k must be positive, got -60"},
		{"fusion:\n  rrf_k: .nan\n", "fusion.rrf_k must be positive, got NaN"},
		{"fusion:\n  rrf_k: .inf\n", "fusion.rrf_k must be finite, got +Inf"},
		{"fusion:\n  candidates: 0\n", "fusion.candidates must be between 1 and 10000, got 0"},
		{"fusion:\n  candidates: 10001\n", "fusion.candidates must be between 1 and 10000, got 10001"},

		{"answer:\n  min_confidence: 0\n  max_sentences: 1\n", ""},
		{"answer:\n  min_confidence: 1\n  max_sentences: 3\n", ""},
		{"answer:\n  min_confidence: -0.1\n", "answer.min_confidence must be within [0, 1] (0 keeps the model's threshold)"},
		{"answer:\n  min_confidence: 1.1\n", "answer.min_confidence must be within [0, 1] (0 keeps the model's threshold)"},
		{"answer:\n  min_confidence: .nan\n", "answer.min_confidence must be within [0, 1] (0 keeps the model's threshold)"},
		{"answer:\n  max_sentences: 0\n", "answer.max_sentences must be 1, 2 or 3"},
		{"answer:\n  max_sentences: 4\n", "answer.max_sentences must be 1, 2 or 3"},

		// The checks of settings that are not a part's stay the config's.
		{"k: 51\n", "k must be between 1 and 50, got 51"},
		{"store: s3\n", `store must be embedded or weaviate, got "s3"`},
	}
	for _, tt := range tests {
		file := filepath.Join(t.TempDir(), "citebot.yaml")
		writeFile(t, file, tt.yaml)
		var stderr bytes.Buffer
		_, _, err := parse(newFlags("ask", &stderr), []string{"--config", file}, noenv)
		var usage usageError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v, want it accepted", tt.yaml, err)
		case tt.want != "" && err == nil:
			t.Errorf("%q accepted, want %q", tt.yaml, tt.want)
		case tt.want != "" && err.Error() != tt.want:
			t.Errorf("%q: %q, want %q", tt.yaml, err, tt.want)
		case tt.want != "" && !errors.As(err, &usage):
			t.Errorf("%q: %v is not a usage error (exit 2)", tt.yaml, err)
		}
	}
}

// A setting the file misspells or mistypes is named by its path and line,
// FILE:LINE: as compilers and editors write it, with the setting it most
// likely meant; never by the Go types behind it.
func TestConfigNamesBadSettings(t *testing.T) {
	tests := []struct {
		yaml string
		want string // after "FILE:"
	}{
		{"k: 3\nanswer: {max_sentence: 2}\n", "2: unknown setting answer.max_sentence (did you mean answer.max_sentences?)"},
		{"answer:\n  min_confidence: 0.5\n  max-sentences: 2\n", "3: unknown setting answer.max-sentences (did you mean answer.max_sentences?)"},
		{"bm25:\n  k2: 1\n", "2: unknown setting bm25.k2 (did you mean bm25.k1?)"},
		{"fusion:\n  weight: 0.2\n", "2: unknown setting fusion.weight"},
		{"chunk:\n  max_byte: 500\n", "2: unknown setting chunk.max_byte (did you mean chunk.max_bytes?)"},
		{"chunk:\n  nothing_like_it: 1\n", "2: unknown setting chunk.nothing_like_it"},
		{"dosc: ./seeds\n", "1: unknown setting dosc (did you mean docs?)"},
		{"\n\nmax_conns: 5\n", "3: unknown setting max_conns (did you mean max-conns?)"},
		{"min_confidence: 0.5\n", "1: unknown setting min_confidence (did you mean answer.min_confidence, under answer:?)"},
		{"answer:\n  max_sentences: two\n", `2: answer.max_sentences: want a whole number, got "two"`},
		{"bm25:\n  b: [0.4]\n", "2: bm25.b: want a number, got a list"},
		{"fusion:\n  method: {name: rrf}\n", "2: fusion.method: want text, got a mapping"},
		{"chunk:\n  boilerplate: 'no time to read'\n", `2: chunk.boilerplate: want a list, got "no time to read"`},
		{"fusion: rrf\n", `1: fusion: want its settings under it, one per line (method, vector_weight, rrf_k, candidates), got "rrf"`},
		{"docs: [a, b]\n", "1: docs: want a single value"},
	}
	for _, tt := range tests {
		file := filepath.Join(t.TempDir(), "citebot.yaml")
		writeFile(t, file, tt.yaml)
		r := cli(t, nil, "", "index", "--config", file)
		if want := "citebot: " + file + ":" + tt.want + "\n"; r.code != 2 || r.stderr != want {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tt.yaml, r.code, r.stderr, want)
		}
	}
	// What the checks let through still decodes: an empty section, and
	// every setting at its place.
	file := filepath.Join(t.TempDir(), "citebot.yaml")
	writeFile(t, file, "answer:\nbm25: {k1: 1.2, b: 0.75}\nchunk:\n  extra_boilerplate: ['^ad$']\n")
	var stderr bytes.Buffer
	c, _, err := parse(newFlags("index", &stderr), []string{"--config", file}, noenv)
	if err != nil || c.BM25.K1 != 1.2 || c.BM25.B != 0.75 || c.Answer != defaultConfig().Answer || len(c.Chunk.ExtraBoilerplate) != 1 {
		t.Errorf("parse: %+v, %v", c, err)
	}
}

func TestNearest(t *testing.T) {
	known := []string{"docs", "index", "k", "json", "max-conns", "max-conns-per-client", "serve", "version"}
	tests := []struct{ name, want string }{
		{"dosc", "docs"},    // swapped
		{"doc", "docs"},     // missed
		{"jsn", "json"},     // short names allow one edit
		{"indexx", "index"}, // doubled
		{"max_conns", "max-conns"},
		{"Docs", "docs"}, // case
		{"verison", "version"},
		{"serv", "serve"},
		{"kk", "k"},
		{"docs", ""}, // not misspelt
		{"frob", ""}, // nothing near
		{"js", ""},   // two edits from json: too far for so short a name
		{"", ""},
	}
	for _, tt := range tests {
		if got := nearest(tt.name, known); got != tt.want {
			t.Errorf("nearest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
