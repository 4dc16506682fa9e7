package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"citebot/answer"
	"citebot/retrieval"
)

// config is every setting, as read from the YAML file given by --config,
// then CITEBOT_* environment variables, then flags (CONTRACT.md:
// flag > env > file > default). The yaml keys are the flag names.
type config struct {
	Docs         string `yaml:"docs"`
	Index        string `yaml:"index"`
	K            int    `yaml:"k"`
	MaxFileBytes int64  `yaml:"max-file-bytes"`

	Chunk struct {
		MaxBytes int `yaml:"max_bytes"`
		// Boilerplate replaces the built-in site-chrome line patterns
		// when set (regular expressions matched against whole trimmed lines).
		Boilerplate []string `yaml:"boilerplate"`
		// ExtraBoilerplate is added to the built-in (or configured) patterns.
		ExtraBoilerplate []string `yaml:"extra_boilerplate"`
	} `yaml:"chunk"`
	BM25   retrieval.BM25Params `yaml:"bm25"`
	Fusion retrieval.Fusion     `yaml:"fusion"`
	Answer answer.Tuning        `yaml:"answer"`
}

func defaultConfig() config {
	c := config{Docs: "./seeds", Index: "./data/index", K: 5, MaxFileBytes: retrieval.DefaultMaxFileBytes}
	c.Chunk.MaxBytes = 1000 // about a paragraph: sharp BM25 scores, readable passages
	c.BM25 = retrieval.DefaultBM25
	c.Fusion = retrieval.DefaultFusion
	c.Answer = answer.DefaultTuning
	return c
}

// usageError marks a mistake in how citebot was called; main exits 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// commonFlags are the flags every command takes. Values given on the
// command line override the environment and the file; the others are left
// at the config's values.
type commonFlags struct {
	fs         *flag.FlagSet
	configFile *string
	docs       *string
	index      *string
	k          *int
	maxBytes   *int64
	json       *bool
}

func newFlags(name string, stderr io.Writer) *commonFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := defaultConfig()
	return &commonFlags{
		fs:         fs,
		configFile: fs.String("config", "", "YAML config file (every setting is documented in configs/citebot.yaml)"),
		docs:       fs.String("docs", d.Docs, "folder of documents to index (.txt and .md)"),
		index:      fs.String("index", d.Index, "index folder"),
		k:          fs.Int("k", d.K, "passages to retrieve (1-50)"),
		maxBytes:   fs.Int64("max-file-bytes", d.MaxFileBytes, "skip files larger than this"),
		json:       fs.Bool("json", false, "print JSON"),
	}
}

// load resolves the config: defaults, then the file, then the environment,
// then the flags that were set.
func (f *commonFlags) load(getenv func(string) string) (config, error) {
	c := defaultConfig()
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })

	file := *f.configFile
	if !set["config"] {
		file = getenv("CITEBOT_CONFIG")
	}
	if file != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			return c, usagef("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true) // a misspelt key must not be silently ignored
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, usagef("config %s: %w", file, err)
		}
	}
	for _, e := range []struct {
		flag string
		dst  any
	}{{"docs", &c.Docs}, {"index", &c.Index}, {"k", &c.K}, {"max-file-bytes", &c.MaxFileBytes}} {
		env := "CITEBOT_" + strings.ToUpper(strings.ReplaceAll(e.flag, "-", "_"))
		if v := getenv(env); v != "" && !set[e.flag] {
			if err := setFromString(e.dst, v); err != nil {
				return c, usagef("%s: %w", env, err)
			}
		}
	}
	if set["docs"] {
		c.Docs = *f.docs
	}
	if set["index"] {
		c.Index = *f.index
	}
	if set["k"] {
		c.K = *f.k
	}
	if set["max-file-bytes"] {
		c.MaxFileBytes = *f.maxBytes
	}
	return c, c.validate()
}

func (c config) validate() error {
	switch {
	case c.K < 1 || c.K > 50:
		return usagef("k must be between 1 and 50, got %d", c.K)
	case c.MaxFileBytes < 1:
		return usagef("max-file-bytes must be positive, got %d", c.MaxFileBytes)
	case c.Chunk.MaxBytes < 200 || c.Chunk.MaxBytes > retrieval.MaxPassageBytes:
		return usagef("chunk.max_bytes must be between 200 and %d, got %d", retrieval.MaxPassageBytes, c.Chunk.MaxBytes)
	case c.BM25.K1 < 0 || c.BM25.B < 0 || c.BM25.B > 1:
		return usagef("bm25: k1 must be ≥ 0 and b within [0, 1]")
	case c.Fusion.Method != "weighted" && c.Fusion.Method != "rrf":
		return usagef("fusion.method must be weighted or rrf, got %q", c.Fusion.Method)
	case c.Fusion.VectorWeight < 0 || c.Fusion.VectorWeight > 1:
		return usagef("fusion.vector_weight must be within [0, 1]")
	case c.Answer.MaxSentences < 1 || c.Answer.MaxSentences > 3:
		return usagef("answer.max_sentences must be 1, 2 or 3")
	}
	return nil
}

// setFromString parses an environment value into a config field.
func setFromString(dst any, v string) error {
	switch p := dst.(type) {
	case *string:
		*p = v
	case *int:
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("not an integer: %q", v)
		}
		*p = n
	case *int64:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("not an integer: %q", v)
		}
		*p = n
	default:
		return fmt.Errorf("unsupported setting type %s", reflect.TypeOf(dst))
	}
	return nil
}
