package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"citebot/answer"
	"citebot/chunking"
	"citebot/document"
	"citebot/loader"
	"citebot/retrieval"
)

// config is every setting, as read from the YAML file given by --config,
// then CITEBOT_* environment variables, then flags (precedence, as users
// are promised: flag > env > file > default). The yaml keys are the flag
// names.
type config struct {
	// The flag settings; the file sets them through their flags.
	Docs         string `yaml:"-"`
	Index        string `yaml:"-"`
	K            int    `yaml:"-"`
	MaxFileBytes int64  `yaml:"-"`
	// An external embedding model (both URL and model, or neither).
	EmbedURL   string `yaml:"-"`
	EmbedModel string `yaml:"-"`
	EmbedKey   string `yaml:"-"`
	// Where the index is kept: "embedded" (--index folder) or
	// "weaviate" (a Weaviate server, for stateless replicas).
	Store          string `yaml:"-"`
	WeaviateURL    string `yaml:"-"`
	WeaviateGRPC   string `yaml:"-"`
	WeaviatePrefix string `yaml:"-"`

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
	c := config{Docs: "./seeds", Index: "./data/index", K: 5, MaxFileBytes: loader.DefaultMaxFileBytes,
		Store: storeEmbedded, WeaviatePrefix: "Citebot"}
	c.Chunk.MaxBytes = document.DefaultChunkBytes // about a paragraph: sharp BM25 scores, readable passages
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
	embedURL   *string
	embedModel *string
	embedKey   *string
	store      *string
	wvURL      *string
	wvGRPC     *string
	wvPrefix   *string
}

func newFlags(name string, stderr io.Writer) *commonFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := defaultConfig()
	return &commonFlags{
		fs:         fs,
		configFile: fs.String("config", "", "YAML config file (every setting is documented in configs/citebot.yaml)"),
		docs:       fs.String("docs", d.Docs, "folder of documents to index (.txt, .md, .pdf, .docx, .html)"),
		index:      fs.String("index", d.Index, "index folder"),
		k:          fs.Int("k", d.K, "passages to retrieve (1-50)"),
		maxBytes:   fs.Int64("max-file-bytes", d.MaxFileBytes, "skip files larger than this"),
		json:       fs.Bool("json", false, "print JSON"),
		embedURL:   fs.String("embed-url", "", "OpenAI-compatible API base URL, e.g. http://localhost:11434/v1, whose embeddings replace the embedded word vectors (with --embed-model)"),
		embedModel: fs.String("embed-model", "", "the embedding model at --embed-url, e.g. nomic-embed-text"),
		embedKey:   fs.String("embed-key", "", "API key for --embed-url (default $OPENAI_API_KEY; prefer CITEBOT_EMBED_KEY: flags show in ps)"),
		store:      fs.String("store", d.Store, "where the index is kept: embedded (the --index folder) or weaviate (--weaviate-url; replicas share it)"),
		wvURL:      fs.String("weaviate-url", "", "with --store weaviate, the server's REST endpoint, e.g. http://127.0.0.1:8080"),
		wvGRPC:     fs.String("weaviate-grpc", "", "with --store weaviate, the server's gRPC host:port (default: the URL's host, port 50051)"),
		wvPrefix:   fs.String("weaviate-prefix", d.WeaviatePrefix, "with --store weaviate, the start of the collections' names (one corpus per prefix)"),
	}
}

// sections are the YAML file's nested settings; its other top-level keys
// are flag names.
var sections = map[string]bool{"chunk": true, "bm25": true, "fusion": true, "answer": true}

// commandFlags are the flags of every command: a config file shared by
// several commands may set a flag that only some of them have.
var commandFlags = map[string]bool{"docs": true, "index": true, "k": true, "max-file-bytes": true,
	"json": true, "embed-url": true, "embed-model": true, "embed-key": true, "set": true, "beir": true, "split": true, "v": true,
	"addr": true, "admin-token": true, "rate-limit": true, "rate-burst": true, "log-level": true, "log-format": true,
	"log-questions": true, "answer-cache": true, "shutdown-timeout": true,
	"telegram-allow": true, "telegram-admins": true, "telegram-webhook-url": true, "telegram-webhook-secret": true,
	"llm-url": true, "llm-model": true, "llm-key": true, "llm-timeout": true,
	"watch": true, "watch-delay": true, "max-conns": true, "max-conns-per-client": true, "api-keys": true, "metrics-auth": true, "cors-origins": true,
	"store": true, "weaviate-url": true, "weaviate-grpc": true, "weaviate-prefix": true, "weaviate-poll": true}

// envName is a flag's environment variable: CITEBOT_ and the flag's name
// in upper case, dashes as underscores.
func envName(flagName string) string {
	return "CITEBOT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// load resolves the config. Every flag is resolved the same way, flag >
// CITEBOT_<FLAG> > the file's top-level key > default; the file's sections
// hold the settings that have no flag.
func (f *commonFlags) load(getenv func(string) string) (config, error) {
	c := defaultConfig()
	if err := resolveFlags(f.fs, getenv, &c); err != nil {
		return c, err
	}
	c.Docs, c.Index, c.K, c.MaxFileBytes = *f.docs, *f.index, *f.k, *f.maxBytes
	c.EmbedURL, c.EmbedModel, c.EmbedKey = *f.embedURL, *f.embedModel, *f.embedKey
	c.Store, c.WeaviateURL, c.WeaviateGRPC, c.WeaviatePrefix = *f.store, *f.wvURL, *f.wvGRPC, *f.wvPrefix
	if c.EmbedKey == "" {
		c.EmbedKey = getenv("OPENAI_API_KEY")
	}
	return c, c.validate()
}

// resolveFlags sets each flag of fs that the command line did not, from
// CITEBOT_<FLAG>, else from the file's top-level key, else leaves its
// default; the file is the one fs's --config or CITEBOT_CONFIG names, and
// its sections go into c.
func resolveFlags(fs *flag.FlagSet, getenv func(string) string, c *config) error {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })

	file := fs.Lookup("config").Value.String()
	if !set["config"] {
		file = getenv("CITEBOT_CONFIG")
	}
	fileVals := map[string]string{}
	if file != "" {
		var err error
		if fileVals, err = readConfigFile(file, fs, c); err != nil {
			return err
		}
	}
	var err error
	fs.VisitAll(func(fl *flag.Flag) {
		if err != nil || set[fl.Name] || fl.Name == "config" {
			return
		}
		if v := getenv(envName(fl.Name)); v != "" {
			if e := fs.Set(fl.Name, v); e != nil {
				err = usagef("%s=%q: %v", envName(fl.Name), v, e)
			}
		} else if v, ok := fileVals[fl.Name]; ok {
			if e := fs.Set(fl.Name, v); e != nil {
				err = usagef("config %s: %s: %q: %v", file, fl.Name, v, e)
			}
		}
	})
	return err
}

// readConfigFile decodes the YAML file: sections into c, strictly (a
// misspelt key must not be silently ignored), and top-level flag keys into
// the returned map of flag values.
func readConfigFile(file string, fs *flag.FlagSet, c *config) (map[string]string, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, usagef("config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, usagef("config %s: %w", file, err)
	}
	vals := map[string]string{}
	if len(doc.Content) == 0 {
		return vals, nil // an empty file sets nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, usagef("config %s: want a mapping of settings at the top level", file)
	}
	secs := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch {
		case sections[k.Value]:
			if err := removedSettings(file, k.Value, v); err != nil {
				return nil, err
			}
			if err := checkSection(file, k.Value, v, sectionType(k.Value)); err != nil {
				return nil, err
			}
			secs.Content = append(secs.Content, k, v)
		case commandFlags[k.Value]:
			if v.Kind != yaml.ScalarNode {
				return nil, usagef("%s:%d: %s: want a single value", file, k.Line, k.Value)
			}
			if fs.Lookup(k.Value) != nil {
				vals[k.Value] = v.Value
			}
		default:
			return nil, usagef("%s:%d: unknown setting %s%s", file, k.Line, k.Value, didYouMean(nearestTopLevel(k.Value)))
		}
	}
	if len(secs.Content) > 0 {
		out, err := yaml.Marshal(secs)
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", file, err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(out))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
			return nil, usagef("config %s: %w", file, err)
		}
	}
	return vals, nil
}

// sectionType is the type a section of the file decodes into.
func sectionType(name string) reflect.Type {
	t, ok := settingType(reflect.TypeFor[config](), name)
	if !ok {
		panic("config has no section " + name)
	}
	return t
}

// settingType is the type of the field of struct t read from key name.
func settingType(t reflect.Type, name string) (reflect.Type, bool) {
	for i := range t.NumField() {
		if yamlName(t.Field(i)) == name {
			return t.Field(i).Type, true
		}
	}
	return nil, false
}

// yamlName is the key a struct field is read from ("" for none).
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

// settingNames are the keys of a section's settings, in the struct's order.
func settingNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if n := yamlName(t.Field(i)); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// nearestTopLevel is the setting a misspelt top-level key most likely
// meant: a flag or a section near it, or a section's setting of exactly
// that name written without its section.
func nearestTopLevel(key string) string {
	var known []string
	for name := range commandFlags {
		known = append(known, name)
	}
	for sec := range sections {
		known = append(known, sec)
		if slices.Contains(settingNames(sectionType(sec)), key) {
			return sec + "." + key + ", under " + sec + ":"
		}
	}
	return nearest(key, known)
}

// checkSection checks a section of the file (chunk, bm25, fusion, answer)
// against the settings it may hold, reporting the first key that names no
// setting and the first value that does not fit its setting as FILE:LINE:
// and the setting's path, as for top-level keys; the YAML decoder would
// name Go types instead ("field max_sentence not found in type
// answer.Tuning").
func checkSection(file, path string, n *yaml.Node, t reflect.Type) error {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if t.Kind() != reflect.Struct {
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			return usagef("%s:%d: %s: want %s, got %s", file, n.Line, path, kindName(t), nodeText(n))
		}
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // "answer:" with nothing under it sets nothing
	}
	names := settingNames(t)
	if n.Kind != yaml.MappingNode {
		return usagef("%s:%d: %s: want its settings under it, one per line (%s), got %s", file, n.Line, path, strings.Join(names, ", "), nodeText(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ft, ok := settingType(t, k.Value)
		if !ok {
			var meant string
			if m := nearest(k.Value, names); m != "" {
				meant = path + "." + m
			}
			return usagef("%s:%d: unknown setting %s.%s%s", file, k.Line, path, k.Value, didYouMean(meant))
		}
		if err := checkSection(file, path+"."+k.Value, v, ft); err != nil {
			return err
		}
	}
	return nil
}

// kindName says what a setting of type t takes, for a person.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "text"
	case reflect.Slice:
		return "a list"
	}
	return t.String()
}

// nodeText shows a value of the file in a message.
func nodeText(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

// removed are settings of earlier versions that no longer exist, with what
// to do instead: silently ignoring one would leave its user believing it
// still applies.
var removed = map[string]string{
	"answer.min_coverage":   "the answer model now decides when the documents don't say; set answer.min_confidence (0-1, 0 keeps the model's threshold) instead",
	"answer.context_weight": "the answer model weighs headings and titles itself; delete the line",
	"answer.length_penalty": "the answer model weighs sentence length itself; delete the line",
}

func removedSettings(file, section string, v *yaml.Node) error {
	if v.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k := v.Content[i]
		if why, ok := removed[section+"."+k.Value]; ok {
			return usagef("%s:%d: %s.%s was removed: %s", file, k.Line, section, k.Value, why)
		}
	}
	return nil
}

func (c config) validate() error {
	switch {
	case c.K < 1 || c.K > document.MaxK:
		return usagef("k must be between 1 and %d, got %d", document.MaxK, c.K)
	case c.MaxFileBytes < 1:
		return usagef("max-file-bytes must be positive, got %d", c.MaxFileBytes)
	case c.MaxFileBytes > loader.MaxFileBytes:
		return usagef("max-file-bytes must be at most %d (2 GiB), got %d", loader.MaxFileBytes, c.MaxFileBytes)
	}
	// The sections' settings check themselves, so that library callers
	// get the same rules; their messages already name the setting as the
	// config file writes it. The boilerplate patterns are compiled, and so
	// checked, when the index configuration is built.
	rc := retrieval.Config{Chunk: chunking.Options{MaxBytes: c.Chunk.MaxBytes}, BM25: c.BM25, Fusion: c.Fusion}
	if err := rc.Validate(); err != nil {
		return usageError{err}
	}
	if err := c.Answer.Validate(); err != nil {
		return usageError{err}
	}
	switch {
	case c.EmbedURL != "" && c.EmbedModel == "":
		return usagef("embed-url is set but embed-model is not: give both to use an external embedding model, or neither")
	case c.Store != storeEmbedded && c.Store != storeWeaviate:
		return usagef("store must be embedded or weaviate, got %q", c.Store)
	case c.Store == storeWeaviate && c.WeaviateURL == "":
		return usagef("store weaviate needs --weaviate-url (or CITEBOT_WEAVIATE_URL)")
	case c.EmbedModel != "" && c.EmbedURL == "":
		return usagef("embed-model is set but embed-url is not: give both to use an external embedding model, or neither")
	}
	return nil
}
