// Command citebot answers questions about a folder of documents, quoting
// the documents and citing the exact bytes it quotes.
//
// Usage:
//
//	citebot serve [--addr HOST:PORT] [--admin-token TOKEN]
//	citebot index [--docs DIR] [--index DIR] [--json]
//	citebot ask [--json] [--k N] ["QUESTION"]
//	citebot eval (--set FILE.jsonl | --beir DIR [--split test]) [--json]
//	citebot health [--addr HOST:PORT]
//	citebot version
//
// Every flag can also be set by a CITEBOT_<FLAG> environment variable or a
// key in the YAML file given by --config, before the command or after it
// (configs/citebot.yaml documents them all).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"citebot/answer"
	"citebot/chunking"
	"citebot/embedding"
	"citebot/loader"
	"citebot/retrieval"
	"citebot/retrieval/weaviatestore"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		// The signals are watched from here, beside run rather than
		// before it: watching them starts threads, which a cold ask
		// waited about 0.15 ms for.
		sctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		<-sctx.Done()
		cancel(context.Cause(sctx))
		// After the first signal, a second one ends the process at once
		// (serve waits for requests in flight, which may take a while).
		stop()
	}()
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	// No stop before the exit: unwatching the signals waits for the
	// threads that watch them, and the exit ends the watch anyway.
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err for a person and maps it to the process status: 2
// when the input or the invocation is wrong, 1 for everything else.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "citebot:", err)
	if errors.Is(err, os.ErrNotExist) && errors.Is(err, loader.ErrNoDocuments) {
		fmt.Fprintln(stderr, "citebot: run it from the repository root, or give the folder with --docs DIR")
	}
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, loader.ErrNoDocuments) {
		return 2
	}
	return 1
}

const usage = `citebot answers questions about a folder of documents, citing exact passages.

Usage: citebot [--config FILE] COMMAND [flags]

Commands:
  serve    answer over HTTP (JSON API, OpenAI-compatible chat) until stopped
  index    bring the index up to date with the documents (incrementally)
  ask      answer a question (or one per line of standard input)
  eval     measure retrieval and answers (--set QA.jsonl, or --beir DIR)
  health   exit 0 when the local serve is ready (for container health checks)
  version  the version and the revision it was built from

Run "citebot COMMAND -h" for a command's flags.
`

// commands are the commands dispatch knows, for suggestions.
var commands = []string{"serve", "index", "ask", "eval", "health", "version", "help"}

// run is the whole program; main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	rest := args[min(1, len(args)):]
	// --config may come before the command too, as in configs/citebot.yaml's
	// usage line; given there, it stands in for CITEBOT_CONFIG, so that
	// the command's own --config still wins.
	for len(rest) > 0 && strings.HasPrefix(rest[0], "-") && !isHelp(rest[0]) {
		name, file, hasValue := strings.Cut(strings.TrimLeft(rest[0], "-"), "=")
		if name != "config" {
			return usagef("%s comes before the command: flags go after it (citebot COMMAND %s); only --config may come before", rest[0], rest[0])
		}
		if !hasValue {
			if len(rest) < 2 {
				return usagef("%s needs a file", rest[0])
			}
			file, rest = rest[1], rest[1:]
		}
		rest = rest[1:]
		envGetenv := getenv
		getenv = func(k string) string {
			if k == "CITEBOT_CONFIG" {
				return file
			}
			return envGetenv(k)
		}
	}
	if len(rest) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given")
	}
	err := dispatch(ctx, rest[0], rest[1:], getenv, stdin, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // parseFlags has printed the command's flags
	}
	return err
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

func dispatch(ctx context.Context, cmd string, rest []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stderr)
	case "index":
		return runIndex(ctx, rest, getenv, stdout, stderr)
	case "ask":
		return runAsk(ctx, rest, getenv, stdin, stdout, stderr)
	case "eval":
		return runEval(ctx, rest, getenv, stdout, stderr)
	case "health":
		return runHealth(ctx, rest, getenv, stdout, stderr)
	case "version":
		return runVersion(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usagef("unknown command %q%s", cmd, didYouMean(nearest(cmd, commands)))
	}
}

// parse parses a command's flags, which may come before or after the
// positional arguments ("ask QUESTION --json" works as "ask --json
// QUESTION"); "--" ends the flags. Positional arguments are returned.
func parse(f *commonFlags, args []string, getenv func(string) string) (config, []string, error) {
	pos, err := parseFlags(f.fs, args)
	if err != nil {
		return config{}, nil, err
	}
	c, err := f.load(getenv)
	return c, pos, err
}

// parseFlags parses fs's flags among args, as parse, and returns the
// positional arguments. A mistake is one line, said once (by main): the
// flag package would print it, then every flag, and main the line again.
// -h prints the flags and returns flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	defer fs.SetOutput(out)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(out, "Usage of citebot %s:\n", fs.Name())
				fs.SetOutput(out)
				fs.PrintDefaults()
				return nil, err
			}
			return nil, flagError(fs, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	return pos, nil
}

// newFlagSet is an empty set of a command's flags; -h prints them to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// flagError is the flag package's error as a usage error naming the
// command; for a flag the command does not take, with the one most likely
// meant and where the list is.
func flagError(fs *flag.FlagSet, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return usagef("%s: %v", fs.Name(), err)
	}
	var known []string
	fs.VisitAll(func(fl *flag.Flag) { known = append(known, fl.Name) })
	meant := nearest(name, known)
	if meant != "" {
		meant = "--" + meant
	}
	return usagef("%s: unknown flag --%s%s; \"citebot %s -h\" lists its flags", fs.Name(), name, didYouMean(meant), fs.Name())
}

// retrievalConfig builds the index configuration from the settings.
func retrievalConfig(c config) (retrieval.Config, error) {
	rc := retrieval.Config{BM25: c.BM25, Fusion: c.Fusion}
	rc.Chunk.MaxBytes = c.Chunk.MaxBytes
	// Nil is the built-in patterns, compiled when something is first
	// chunked or titled: a command that only opens an index never pays
	// for them.
	if c.Chunk.Boilerplate != nil {
		bp, err := chunking.CompileBoilerplate(c.Chunk.Boilerplate)
		if err != nil {
			return rc, usagef("chunk.boilerplate: %w", err)
		}
		rc.Chunk.Boilerplate = bp
	}
	if len(c.Chunk.ExtraBoilerplate) > 0 {
		bp, err := chunking.CompileBoilerplate(c.Chunk.ExtraBoilerplate)
		if err != nil {
			return rc, usagef("chunk.extra_boilerplate: %w", err)
		}
		if rc.Chunk.Boilerplate == nil {
			rc.Chunk.Boilerplate = chunking.DefaultBoilerplate()
		}
		rc.Chunk.Boilerplate = append(rc.Chunk.Boilerplate, bp...)
	}
	if c.EmbedURL != "" {
		e, err := externalEmbedder(c, slog.Default())
		rc.Embedder = e
		return rc, err
	}
	var err error
	rc.Embedder, err = retrieval.DefaultEmbedder()
	return rc, err
}

// externalEmbedder is the OpenAI-compatible embeddings endpoint of
// --embed-url and --embed-model; log hears of its retries.
func externalEmbedder(c config, log *slog.Logger) (retrieval.Embedder, error) {
	o, err := embedding.NewOpenAI(embedding.OpenAIConfig{URL: c.EmbedURL, Model: c.EmbedModel, Key: c.EmbedKey, Logger: log})
	if err != nil {
		return retrieval.Embedder{}, usageError{err}
	}
	return retrieval.Embedder{Name: o.Name(), Embed: o.Embed, EmbedBatch: o.EmbedBatch, Dimension: o.Dimension}, nil
}

// remoteStore connects to the Weaviate server of --weaviate-url with the
// collections of --weaviate-prefix (plus suffix, for an evaluation's own).
// One store per configuration for the whole process, so that reloads
// share its HTTP connections instead of opening their own.
var (
	storesMu sync.Mutex
	stores   = map[weaviatestore.Config]*weaviatestore.Store{}
)

func remoteStore(ctx context.Context, c config, suffix string) (*weaviatestore.Store, error) {
	cfg := weaviatestore.Config{URL: c.WeaviateURL, GRPC: c.WeaviateGRPC, Prefix: c.WeaviatePrefix + suffix}
	storesMu.Lock()
	defer storesMu.Unlock()
	if s, ok := stores[cfg]; ok {
		return s, nil
	}
	s, err := weaviatestore.Open(ctx, cfg)
	if err != nil {
		if !errors.Is(err, weaviatestore.ErrUnavailable) {
			return nil, usageError{err}
		}
		return nil, err
	}
	stores[cfg] = s
	return s, nil
}

// Where --store keeps the index.
const (
	storeEmbedded = "embedded"
	storeWeaviate = "weaviate"
)

// indexStore is the store of --store, picked once: where names it in
// messages, and open connects to it. Connecting waits for each use, so
// that a Weaviate server down at start is tried again at the next reindex
// rather than keeping the service from starting; shared marks a store
// other replicas write too.
type indexStore struct {
	where  string
	shared bool
	open   func(ctx context.Context) (retrieval.Store, error)
}

// storeFor is the store of c's --store. scratch asks for one that an
// evaluation fills and throws away: in memory instead of the --index
// folder, collections of their own in Weaviate, never the corpus the
// service answers from.
func storeFor(c config, rc retrieval.Config, scratch bool) indexStore {
	switch c.Store {
	case storeWeaviate:
		suffix := ""
		if scratch {
			suffix = "Eval"
		}
		return indexStore{
			where:  "Weaviate at " + c.WeaviateURL + " (" + c.WeaviatePrefix + suffix + "*)",
			shared: !scratch,
			open: func(ctx context.Context) (retrieval.Store, error) {
				s, err := remoteStore(ctx, c, suffix)
				if err != nil {
					return nil, err
				}
				return retrieval.NewRemoteStore(s, rc), nil
			},
		}
	default:
		st := retrieval.NewFolderStore(c.Index, rc)
		if scratch {
			st = retrieval.NewMemoryStore(rc)
		}
		return indexStore{where: st.String(), open: func(context.Context) (retrieval.Store, error) { return st, nil }}
	}
}

// update brings the store up to date with the documents of --docs (none
// when it is empty: a replica that serves what the store holds); prev is
// the index in memory, nil for none.
func (s indexStore) update(ctx context.Context, c config, prev *retrieval.Index) (retrieval.UpdateResult, error) {
	st, err := s.open(ctx)
	if err != nil {
		return retrieval.UpdateResult{}, err
	}
	return st.Update(ctx, prev, retrieval.FromFolder(c.Docs, c.MaxFileBytes))
}

// openIndex brings the index up to date (building it when there is none,
// so that a newcomer's first command just works) and returns it.
func openIndex(ctx context.Context, c config, stderr io.Writer) (*retrieval.Index, retrieval.Config, error) {
	rc, err := retrievalConfig(c)
	if err != nil {
		return nil, rc, err
	}
	store := storeFor(c, rc, false)
	res, err := store.update(ctx, c, nil)
	if errors.Is(err, retrieval.ErrNotSaved) && res.Index != nil {
		// A read-only index folder must not stop answers: they come from
		// the index in memory, and the folder keeps what it had.
		fmt.Fprintf(stderr, "citebot: warning: answering from an index that could not be saved: %v\n", err)
		return res.Index, rc, nil
	}
	if err != nil {
		return nil, rc, err
	}
	if res.Saved {
		s := res.Summary
		fmt.Fprintf(stderr, "citebot: indexed %s into %s (%d added, %d changed, %d removed, %d chunks", c.Docs, store.where, s.Added, s.Changed, s.Removed, s.Chunks)
		if res.Rebuilt != "" && !res.First {
			fmt.Fprintf(stderr, "; rebuilt: %s", res.Rebuilt)
		}
		fmt.Fprintln(stderr, ")")
	}
	return res.Index, rc, nil
}

func newExtractive(ix *retrieval.Index, c config) answer.Extractive {
	return answer.Extractive{Index: ix, Tuning: c.Answer, CorpusScript: corpusScript(ix)}
}

// corpusScript is the script most of the documents are written in, from
// the first few kilobytes of each of up to a hundred documents.
func corpusScript(ix *retrieval.Index) string {
	var sample strings.Builder
	for i, d := range ix.Documents() {
		if i == 100 {
			break
		}
		if doc, ok := ix.Document(d.ID); ok {
			sample.WriteString(doc.Text[:min(len(doc.Text), 4096)])
		}
	}
	return answer.Script(sample.String())
}
