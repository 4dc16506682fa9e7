package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"citebot/embedding/embeddingtest"
	"citebot/embedding/wordvec"
	"citebot/retrieval"
)

// index then ask --json with --embed-url pointing at a fake
// OpenAI-compatible server: the chunks are embedded there in batches, the
// manifest names the model and its dimension, and the answer cites the
// seeds exactly.
func TestAskWithExternalEmbeddings(t *testing.T) {
	srv := embeddingtest.New(t, 64)
	srv.Reverse(true)
	srv.RequireKey("sk-fake")
	env := map[string]string{"OPENAI_API_KEY": "sk-fake"}
	ix := filepath.Join(t.TempDir(), "index")
	embed := []string{"--docs", seeds, "--index", ix, "--embed-url", srv.BaseURL(), "--embed-model", "fake-embed"}

	r := mustRun(t, env, "", append([]string{"index", "--json"}, embed...)...)
	var sum retrieval.Summary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || sum.Added != 3 {
		t.Fatalf("index --json: %v\n%s", err, r.stdout)
	}
	if got, want := len(srv.Requests()), (sum.Chunks+63)/64; got != want {
		t.Errorf("%d requests for %d chunks, want %d (batches of 64)", got, sum.Chunks, want)
	}
	if srv.Texts() != sum.Chunks {
		t.Errorf("%d texts embedded, want one per chunk (%d)", srv.Texts(), sum.Chunks)
	}
	m, err := retrieval.ReadManifest(ix)
	if err != nil {
		t.Fatal(err)
	}
	if want := "openai:fake-embed@" + srv.BaseURL(); m.Versions.Embedder != want || m.Versions.Dimension != 64 {
		t.Errorf("manifest versions %+v, want embedder %s of dimension 64", m.Versions, want)
	}
	raw, _ := os.ReadFile(filepath.Join(ix, retrieval.ManifestFile))
	if strings.Contains(string(raw), "sk-fake") {
		t.Error("the manifest holds the API key")
	}

	srv.Reset()
	q := "Where was the Digital International Relations conference held?"
	r = mustRun(t, env, "", append([]string{"ask", "--json", q}, embed...)...)
	a := decodeAnswer(t, []byte(r.stdout))
	checkAnswer(t, a, q, 5, newDocReader(seeds))
	if !a.Found || len(a.Citations) == 0 || a.Citations[0].Document != "002_a2706c8e8d14140f.txt" || !strings.Contains(a.Citations[0].Quote, "held at MGIMO") {
		t.Errorf("answer does not cite the MGIMO sentence: %+v", a)
	}
	// The question was embedded by the fake (and the dimension checked);
	// no chunk was embedded again.
	if srv.Texts() == 0 || srv.Texts() > 2 {
		t.Errorf("ask sent %d texts, want the question (and the dimension probe)", srv.Texts())
	}
	for _, req := range srv.Requests() {
		if req.Authorization != "Bearer sk-fake" || req.Model != "fake-embed" {
			t.Errorf("request with authorization %q, model %q", req.Authorization, req.Model)
		}
	}

	// CITEBOT_EMBED_* work as the flags do.
	env2 := map[string]string{"CITEBOT_EMBED_URL": srv.BaseURL(), "CITEBOT_EMBED_MODEL": "fake-embed", "CITEBOT_EMBED_KEY": "sk-fake"}
	r = mustRun(t, env2, "", "index", "--docs", seeds, "--index", ix)
	if !strings.Contains(r.stdout, "unchanged 3") {
		t.Errorf("index with the same embedder from the environment:\n%s", r.stdout)
	}
}

// Changing the embedder, or the dimension of its vectors, re-embeds
// everything and says why; the word vectors and the external model swap
// both ways.
func TestIndexEmbedderChanges(t *testing.T) {
	srv := embeddingtest.New(t, 16)
	docs := copySeeds(t)
	ix := filepath.Join(t.TempDir(), "index")
	base := []string{"index", "--docs", docs, "--index", ix}
	ext := append(append([]string{}, base...), "--embed-url", srv.BaseURL(), "--embed-model", "fake-embed")

	mustRun(t, nil, "", base...)
	r := mustRun(t, nil, "", ext...)
	if !strings.Contains(r.stdout, "rebuilt from scratch: embedder changed ("+wordvec.Version+" -> openai:fake-embed@"+srv.BaseURL()+")") {
		t.Errorf("word vectors -> external:\n%s", r.stdout)
	}
	srv.SetDim(24)
	r = mustRun(t, nil, "", ext...)
	if !strings.Contains(r.stdout, "rebuilt from scratch: embedder dimension changed (16 -> 24)") || !strings.Contains(r.stdout, "added 3") {
		t.Errorf("16 -> 24 dimensions:\n%s", r.stdout)
	}
	r = mustRun(t, nil, "", ext...)
	if !strings.Contains(r.stdout, "unchanged 3") || strings.Contains(r.stdout, "rebuilt") {
		t.Errorf("same embedder again:\n%s", r.stdout)
	}
	r = mustRun(t, nil, "", base...)
	if !strings.Contains(r.stdout, "rebuilt from scratch: embedder changed (openai:fake-embed@") {
		t.Errorf("external -> word vectors:\n%s", r.stdout)
	}
}

// An embedding server that refuses the work fails index (exit 1) with a
// message naming the endpoint, the model and the status; the index folder
// keeps the previous snapshot.
func TestIndexEmbeddingFailureKeepsIndex(t *testing.T) {
	srv := embeddingtest.New(t, 16)
	srv.RequireKey("right")
	docs := copySeeds(t)
	ix := filepath.Join(t.TempDir(), "index")
	args := []string{"index", "--docs", docs, "--index", ix, "--embed-url", srv.BaseURL(), "--embed-model", "fake-embed"}
	mustRun(t, map[string]string{"CITEBOT_EMBED_KEY": "right"}, "", args...)
	before, err := os.ReadFile(filepath.Join(ix, retrieval.SnapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(docs, "new.txt"), "Harbour notes\n\nThe harbour of Vardø froze in 1966.\n")
	r := cli(t, map[string]string{"CITEBOT_EMBED_KEY": "wrong"}, "", args...)
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	for _, want := range []string{srv.BaseURL() + "/embeddings", "fake-embed", "HTTP 401", "Incorrect API key"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "wrong") {
		t.Errorf("stderr shows the key:\n%s", r.stderr)
	}
	after, err := os.ReadFile(filepath.Join(ix, retrieval.SnapshotFile))
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("the snapshot changed (err %v)", err)
	}
}

// --embed-url and --embed-model go together; a URL that is not one is a
// usage error too.
func TestEmbedFlagsUsage(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"url without model", nil, []string{"--embed-url", "http://localhost:11434/v1"}},
		{"model without url", nil, []string{"--embed-model", "nomic-embed-text"}},
		{"model from the environment only", map[string]string{"CITEBOT_EMBED_MODEL": "nomic-embed-text"}, nil},
		{"not a URL", nil, []string{"--embed-url", "localhost:11434", "--embed-model", "m"}},
	}
	for _, tt := range tests {
		for _, cmd := range []string{"index", "ask", "eval"} {
			t.Run(tt.name+"/"+cmd, func(t *testing.T) {
				args := append([]string{cmd, "--docs", seeds, "--index", t.TempDir()}, tt.args...)
				if cmd == "ask" {
					args = append(args, "What is MGIMO?")
				}
				if cmd == "eval" {
					args = append(args, "--set", devSet)
				}
				r := cli(t, tt.env, "", args...)
				if r.code != 2 || !strings.Contains(r.stderr, "embed") {
					t.Errorf("exit %d, stderr %q; want 2 and a word about the embed flags", r.code, r.stderr)
				}
			})
		}
	}
}

// Every command that builds or opens an index has the embed flags, and
// the shipped config documents them at their defaults.
func TestEmbedFlagsEverywhere(t *testing.T) {
	raw, err := os.ReadFile("../../configs/citebot.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	for _, cmd := range []string{"ask", "index", "eval", "serve"} {
		f := newFlags(cmd, &stderr)
		if cmd == "serve" {
			addServeFlags(f)
		}
		for _, name := range []string{"embed-url", "embed-model", "embed-key"} {
			fl := f.fs.Lookup(name)
			if fl == nil || !commandFlags[name] {
				t.Errorf("%s has no flag %s (or it is not in commandFlags)", cmd, name)
				continue
			}
			if !strings.Contains(string(raw), "\n"+name+": \"\"\n") || fl.DefValue != "" {
				t.Errorf("%s is not documented in configs/citebot.yaml at its default %q", name, fl.DefValue)
			}
		}
	}
	// OPENAI_API_KEY is the key's fallback; CITEBOT_EMBED_KEY wins.
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OPENAI_API_KEY": "a"}, "a"},
		{map[string]string{"OPENAI_API_KEY": "a", "CITEBOT_EMBED_KEY": "b"}, "b"},
	} {
		f := newFlags("ask", &stderr)
		c, _, err := parse(f, nil, func(k string) string { return tt.env[k] })
		if err != nil || c.EmbedKey != tt.want {
			t.Errorf("env %v: key %q, err %v; want %q", tt.env, c.EmbedKey, err, tt.want)
		}
	}
}
