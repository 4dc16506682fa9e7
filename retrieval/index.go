package retrieval

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/philippgille/chromem-go"

	"citebot/analysis"
	"citebot/chunking"
	"citebot/document"
	"citebot/embedding/wordvec"
	"citebot/loader/extract"
	"citebot/retrieval/internal/rank"
	wire "citebot/retrieval/internal/wire"
)

// Embedder turns text into a vector. Name is recorded in the manifest so that
// an index built by one model is never queried with another's vectors; the
// vectors' dimension is recorded beside it, since a server may change its
// model under the same name.
type Embedder struct {
	Name  string
	Embed chromem.EmbeddingFunc
	// EmbedBatch, when set, embeds many texts at once, in order: a
	// remote model takes them in batches rather than one request per
	// chunk. Nil embeds each text with Embed, on all cores.
	EmbedBatch func(ctx context.Context, texts []string) ([][]float32, error)
	// Dimension, when set, asks the model how long its vectors are now.
	// Updates call it to notice a model swapped behind the same name (a
	// server's, say) and re-embed everything; nil when the name fixes the
	// dimension, as the embedded model's does.
	Dimension func(ctx context.Context) (int, error)
	// Local marks an embedder that computes in process, in microseconds
	// for a question: a search waits for it without a deadline, which is
	// for services that may be down (and cost a timer each question).
	Local bool
}

// Config is everything that decides what an index contains and how it ranks.
type Config struct {
	Chunk    chunking.Options
	BM25     rank.BM25Params
	Fusion   rank.Fusion
	Embedder Embedder
}

// Duplicate is a file with the same bytes as an indexed one: found under
// its own name too, indexed once.
type Duplicate struct {
	Document string `json:"document"`
	SameAs   string `json:"same_as"`
}

// duplicatesOf lists the aliases of docs.
func duplicatesOf(docs []document.Document) []Duplicate {
	var out []Duplicate
	for _, d := range docs {
		for _, a := range d.Aliases {
			out = append(out, Duplicate{Document: a, SameAs: d.ID})
		}
	}
	return out
}

// Summary reports what an indexing run did; its JSON is what `citebot
// index --json` prints and POST /v1/reindex answers.
type Summary struct {
	Added     int                `json:"added"`
	Changed   int                `json:"changed"`
	Removed   int                `json:"removed"`
	Unchanged int                `json:"unchanged"`
	Skipped   []document.Skipped `json:"skipped"`
	Chunks    int                `json:"chunks"`
	TookMS    int64              `json:"took_ms"`
	// Duplicates lists files with the same bytes as an indexed one.
	Duplicates []Duplicate `json:"duplicates,omitempty"`
	// SkippedTotal and SkippedByReason count every skipped file when
	// Skipped lists only the first few (Brief).
	SkippedTotal    int            `json:"skipped_total,omitempty"`
	SkippedByReason map[string]int `json:"skipped_by_reason,omitempty"`
}

// Brief is s with at most n skipped files listed, and all of them counted
// by reason: a folder of 100,000 files the index cannot read must not make
// a response of megabytes. The full list stays with the index (`citebot
// index --json`, the web page's document list).
func (s Summary) Brief(n int) Summary {
	if len(s.Skipped) <= n {
		return s
	}
	s.SkippedTotal, s.SkippedByReason = len(s.Skipped), SkippedByReason(s.Skipped)
	s.Skipped = s.Skipped[:n:n]
	return s
}

// SkippedByReason counts skipped files by the kind of their reason: the
// reason before its details (a colon or a parenthesis: "too large",
// "unreadable", "unsupported file type"), so that reasons naming a size or
// an error count together.
func SkippedByReason(skipped []document.Skipped) map[string]int {
	out := map[string]int{}
	for _, sk := range skipped {
		kind := sk.Reason
		if i := strings.IndexAny(kind, ":("); i > 0 {
			kind = strings.TrimSpace(kind[:i])
		}
		out[kind]++
	}
	return out
}

// docEntry is one indexed document and where its chunks sit in Index.chunks.
type docEntry struct {
	document.Document
	lines      document.LineIndex
	firstChunk int
	numChunks  int
	// sections are the headings of the document's chunks (chunkRec).
	sections []string
}

// Index is an immutable, searchable index: safe for concurrent searches.
// A new corpus state produces a new Index (a Store's Update), which callers swap in
// atomically.
type Index struct {
	cfg      Config
	versions Versions
	docs     []*docEntry // sorted by ID
	byID     map[string]*docEntry
	chunks   []chunkRec
	chunkDoc []*docEntry
	// rk ranks the chunks: in memory (*localRanker) or in a remote
	// engine (*remoteState).
	rk      ranker
	skipped []document.Skipped
	// snapSHA and snapCreated identify the root snapshot the index was
	// opened from or saved to, so that Update can rewrite a manifest that
	// disagrees with it.
	snapSHA     string
	snapCreated time.Time
	// Where the documents are stored: segOf names the segment file in
	// the folder segDir holding each document ("" when none does yet),
	// and segments describes those files. A save into segDir writes only
	// the documents without one. Read-only once the index is shared.
	segDir   string
	segOf    map[string]string
	segments map[string]wire.SegmentRef
	// sounds indexes the corpus's terms by sound key (soundsLike), built
	// at the first question that needs it; copies of the index share it.
	sounds *soundIndex
}

// versions records the chunker's options beside its version: other
// boilerplate patterns or chunk sizes give other chunks, so they too force
// a rebuild.
func (c Config) versions() Versions {
	h := sha256.New()
	fmt.Fprintf(h, "%d\n", c.Chunk.MaxBytes)
	// Extracted documents' text comes from the extractors: other ones
	// give other text, offsets and chunks.
	fmt.Fprintf(h, "%s\n", extract.Version)
	// Hash the patterns the chunker applies: nil means the defaults, while
	// an empty list turns removal off; hashing the field as given would
	// make those two opposite settings look the same.
	if bp := c.Chunk.Boilerplate; bp != nil {
		for _, re := range bp {
			fmt.Fprintf(h, "%s\n", re)
		}
	} else {
		// The defaults' sources, as their String would give them.
		for _, src := range chunking.DefaultBoilerplateSources() {
			fmt.Fprintf(h, "%s\n", src)
		}
	}
	opts := hex.EncodeToString(h.Sum(nil))[:12]
	return Versions{Chunker: chunking.Version + "+" + opts, Tokenizer: analysis.TokenizerVersion, Embedder: c.Embedder.Name}
}

// build indexes docs in memory. Documents whose SHA256 and versions match prev are
// reused from it (chunks and vectors), so only new and changed documents are
// chunked and embedded. prev may be nil. When the embedder's vectors turn
// out to have another dimension than prev's, nothing of prev is reused.
func build(ctx context.Context, docs []document.Document, skipped []document.Skipped, cfg Config, prev *Index) (*Index, Summary, error) {
	start := time.Now()
	if cfg.Embedder.Embed == nil {
		// chromem-go would silently fall back to OpenAI over the network.
		return nil, Summary{}, errors.New("build index: no embedder configured")
	}
	if err := cfg.Validate(); err != nil {
		return nil, Summary{}, fmt.Errorf("build index: %w", err)
	}
	if prev != nil && !prev.versions.SameBuilder(cfg.versions()) {
		prev = nil
	}
	var sum Summary
	sum.Skipped = append([]document.Skipped{}, skipped...)

	results := make([]docVectors, len(docs))
	var todo, reused []int
	seen := make(map[string]bool, len(docs))
	for i, d := range docs {
		seen[d.ID] = true
		if prev != nil {
			if old, ok := prev.byID[d.ID]; ok && old.ID == d.ID {
				if old.SHA256 == d.SHA256 {
					results[i] = docVectors{from: old}
					reused = append(reused, i)
					sum.Unchanged++
					continue
				}
				sum.Changed++
			} else {
				sum.Added++
			}
		} else {
			sum.Added++
		}
		todo = append(todo, i)
	}
	if prev != nil {
		for _, d := range prev.docs {
			if !seen[d.ID] {
				sum.Removed++
			}
		}
	}

	dim, err := embedDocuments(ctx, docs, todo, results, cfg.Chunk, cfg.Embedder)
	if err != nil {
		return nil, Summary{}, err
	}
	var prevDim int
	if prev != nil {
		prevDim = prev.dimension()
	}
	if len(reused) > 0 && dim != 0 && prevDim != 0 && dim != prevDim {
		// The model changed under the same name: the reused vectors
		// cannot be compared with the new ones, so all are made anew.
		again, err := embedDocuments(ctx, docs, reused, results, cfg.Chunk, cfg.Embedder)
		if err != nil {
			return nil, Summary{}, err
		}
		if again != 0 && again != dim {
			return nil, Summary{}, fmt.Errorf("embed: %s changed its dimension while indexing (%d, then %d)", cfg.Embedder.Name, dim, again)
		}
		sum = Summary{Added: len(docs), Skipped: sum.Skipped}
		prevDim = 0
	}

	loc := &localRanker{}
	ix := &Index{rk: loc, sounds: new(soundIndex), cfg: cfg, versions: cfg.versions(), byID: make(map[string]*docEntry, len(docs)), skipped: sum.Skipped,
		segOf: make(map[string]string, len(docs))}
	if prev != nil {
		// Unchanged documents stay where prev's segments hold them.
		ix.segDir, ix.segments = prev.segDir, prev.segments
	}
	total := 0
	for i := range docs {
		total += results[i].numChunks()
	}
	ix.chunks = make([]chunkRec, 0, total)
	ix.chunkDoc = make([]*docEntry, 0, total)
	for i, d := range docs {
		e := &docEntry{Document: d, firstChunk: len(ix.chunks), numChunks: results[i].numChunks()}
		if old := results[i].from; old != nil {
			e.lines, e.sections = old.lines, old.sections
			if seg := prev.segOf[d.ID]; seg != "" {
				ix.segOf[d.ID] = seg
			}
		} else {
			e.lines = document.NewLineIndex(d.Text)
		}
		ix.docs = append(ix.docs, e)
		ix.byID[d.ID] = e
		for _, a := range d.Aliases {
			ix.byID[a] = e
		}
		if old := results[i].from; old != nil {
			ix.chunks = append(ix.chunks, prev.chunks[old.firstChunk:old.firstChunk+old.numChunks]...)
			for range old.numChunks {
				ix.chunkDoc = append(ix.chunkDoc, e)
			}
		} else {
			ix.appendChunks(e, results[i].chunks)
		}
	}
	loc.flat = &rank.FlatVectors{Valid: make([]bool, len(ix.chunks))}
	for i, e := range ix.docs {
		var err error
		if old := results[i].from; old != nil {
			err = loc.flat.CopyRows(e.firstChunk, prev.local().flat, old.firstChunk, old.numChunks)
		} else {
			for k, v := range results[i].vectors {
				if err = loc.flat.Set(e.firstChunk+k, v); err != nil {
					break
				}
			}
			// The rows are in flat now: the embedder's slices (80 MB at
			// 200,000 chunks) need not outlive the keyword index's
			// build, the most memory-hungry part.
			results[i].vectors = nil
		}
		if err != nil {
			return nil, Summary{}, fmt.Errorf("build index: %s: %w", e.ID, err)
		}
	}
	ix.versions.Dimension = cmp.Or(loc.flat.Dim, dim, prevDim)
	var reusedFrom []*docEntry
	for i := range docs {
		if old := results[i].from; old != nil {
			if reusedFrom == nil {
				reusedFrom = make([]*docEntry, len(docs))
			}
			reusedFrom[i] = old
		}
	}
	if reusedFrom == nil {
		prev = nil
	}
	ix.buildKeywords(prev, reusedFrom)
	sum.Chunks = len(ix.chunks)
	sum.TookMS = time.Since(start).Milliseconds()
	sum.Duplicates = duplicatesOf(docs)
	return ix, sum, nil
}

// docVectors is one document's chunks and their vectors, or, for a
// document reused from the previous index, its entry there.
type docVectors struct {
	chunks  []document.Chunk
	vectors [][]float32
	from    *docEntry
}

// numChunks is how many chunks the document has.
func (r docVectors) numChunks() int {
	if r.from != nil {
		return r.from.numChunks
	}
	return len(r.chunks)
}

// embedDocuments chunks and embeds docs[i] for each i in idx, into
// results[i], and returns the dimension of the vectors made (0 when none
// were). An embedder with EmbedBatch gets all the texts in one call, to
// send in batches; otherwise each text is embedded on its own, on all
// cores.
func embedDocuments(ctx context.Context, docs []document.Document, idx []int, results []docVectors, opts chunking.Options, e Embedder) (int, error) {
	m := meterFrom(ctx)
	m.toChunk(len(idx))
	err := forEach(ctx, len(idx), func(_ context.Context, j int) error {
		chunks := chunking.Split(docs[idx[j]], opts)
		results[idx[j]] = docVectors{chunks: chunks, vectors: make([][]float32, len(chunks))}
		m.chunkedDoc()
		return nil
	})
	if err != nil {
		return 0, err
	}
	type ref struct{ doc, chunk int }
	var refs []ref
	for _, i := range idx {
		for k := range results[i].chunks {
			refs = append(refs, ref{i, k})
		}
	}
	m.toEmbed(len(refs))
	defer m.built()
	texts := make([]string, len(refs))
	for j, r := range refs {
		texts[j] = embedText(docs[r.doc], results[r.doc].chunks[r.chunk])
	}
	vecs, err := embedTexts(ctx, e, texts, func(j int) string { return docs[refs[j].doc].ID }, m)
	if err != nil {
		return 0, fmt.Errorf("embed %d chunks of %d documents: %w", len(texts), len(idx), err)
	}
	for j, r := range refs {
		results[r.doc].vectors[r.chunk] = vecs[j]
	}
	// An empty vector is no vector (the chunk is found by its words only);
	// all others must agree, or cosine scores would mean nothing.
	dim, first := 0, ""
	for _, r := range refs {
		v := results[r.doc].vectors[r.chunk]
		switch {
		case len(v) == 0:
		case dim == 0:
			dim, first = len(v), docs[r.doc].ID
		case len(v) != dim:
			return 0, fmt.Errorf("embed: %s gave vectors of %d dimensions (%s) and of %d (%s)", e.Name, dim, first, len(v), docs[r.doc].ID)
		}
	}
	return dim, nil
}

// embedTexts embeds texts: in one call when the embedder has EmbedBatch
// (it sends them in batches), otherwise each on its own, on all cores;
// doc names the document of text j in errors. m hears of each embedded.
func embedTexts(ctx context.Context, e Embedder, texts []string, doc func(j int) string, m *Meter) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	if e.EmbedBatch != nil {
		vecs, err := e.EmbedBatch(ctx, texts)
		if err != nil {
			return nil, err
		}
		if len(vecs) != len(texts) {
			return nil, fmt.Errorf("%s returned %d vectors for %d chunks", e.Name, len(vecs), len(texts))
		}
		m.embeddedChunks(len(texts))
		return vecs, nil
	}
	vecs := make([][]float32, len(texts))
	err := forEach(ctx, len(texts), func(ctx context.Context, j int) error {
		v, err := e.Embed(ctx, texts[j])
		if err != nil {
			return fmt.Errorf("%s: %w", doc(j), err)
		}
		vecs[j] = v
		m.embeddedChunks(1)
		return nil
	})
	return vecs, err
}

// dimension is the length of the index's vectors: those it holds, else
// the one recorded (0 when unknown).
func (ix *Index) dimension() int {
	if l := ix.local(); l != nil && l.flat != nil && l.flat.Dim != 0 {
		return l.flat.Dim
	}
	return ix.versions.Dimension
}

// embedText is what a chunk's vector is made of: its own words plus the
// section heading that gives them context.
func embedText(d document.Document, c document.Chunk) string {
	body := d.Text[c.Start:c.End]
	if c.Section == "" || c.Header {
		return body
	}
	return c.Section + "\n" + body
}

// buildKeywords builds the keyword index. Chunks of documents reused from
// prev (reused[i] is the entry in prev of ix.docs[i], or nil) keep their
// postings there; only the others are tokenized.
func (ix *Index) buildKeywords(prev *Index, reused []*docEntry) {
	var reuse []int32
	if prev != nil {
		reuse = make([]int32, len(ix.chunks))
		for i := range reuse {
			reuse[i] = -1
		}
		for i, old := range reused {
			if old == nil {
				continue
			}
			e := ix.docs[i]
			for k := range e.numChunks {
				reuse[e.firstChunk+k] = int32(old.firstChunk + k)
			}
		}
	}
	titles := make(map[*docEntry][]string, len(ix.docs))
	for i, d := range ix.docs {
		if reused == nil || reused[i] == nil {
			titles[d] = analysis.Terms(d.Title)
		}
	}
	var prevKW *rank.KeywordIndex
	if prev != nil {
		prevKW = prev.local().kw
	}
	// Each chunk is counted as its postings are made: no chunk's counts
	// outlive it.
	ix.local().kw = rank.UpdateKeywordIndexFunc(prevKW, reuse, len(ix.chunks), func(i int) rank.ChunkCounts {
		d := ix.chunkDoc[i]
		return countChunk(d.Text, ix.chunk(i), titles[d])
	}, ix.docUnits(), ix.cfg.BM25)
}

// countChunk counts the terms of chunk c of text, in a document whose
// title's terms are title.
func countChunk(text string, c document.Chunk, title []string) rank.ChunkCounts {
	return rank.CountTerms(rank.FieldTerms{Body: analysis.Terms(text[c.Start:c.End]), Section: analysis.Terms(c.Section), Title: title})
}

// docUnits describes the documents to the keyword index.
func (ix *Index) docUnits() []rank.DocUnits {
	docs := make([]rank.DocUnits, len(ix.docs))
	for i, d := range ix.docs {
		docs[i] = rank.DocUnits{Short: len(d.Text) <= document.MaxPassageBytes, First: d.firstChunk, Count: d.numChunks}
	}
	return docs
}

// DocumentInfo describes an indexed document.
type DocumentInfo struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Bytes  int    `json:"bytes"`
	Chunks int    `json:"chunks"`
	SHA256 string `json:"sha256"`
	// Pages is the page count of a document with pages (PDF).
	Pages int `json:"pages,omitempty"`
	// SameAs, for a duplicate file, is the indexed document with its
	// bytes (citations name that one).
	SameAs string `json:"same_as,omitempty"`
}

// Documents lists the indexed documents, and duplicate files under their
// own names, sorted by ID.
func (ix *Index) Documents() []DocumentInfo {
	out := make([]DocumentInfo, 0, len(ix.docs))
	for _, d := range ix.docs {
		out = append(out, DocumentInfo{ID: d.ID, Title: d.Title, Bytes: len(d.Text), Chunks: d.numChunks, SHA256: d.SHA256, Pages: len(d.Pages)})
		for _, a := range d.Aliases {
			out = append(out, DocumentInfo{ID: a, Title: d.Title, Bytes: len(d.Text), Chunks: d.numChunks, SHA256: d.SHA256, Pages: len(d.Pages), SameAs: d.ID})
		}
	}
	if len(out) > len(ix.docs) {
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	}
	return out
}

// Document returns an indexed document's stored text and title.
func (ix *Index) Document(id string) (document.Document, bool) {
	d, ok := ix.byID[id]
	if !ok {
		return document.Document{}, false
	}
	return d.Document, true
}

// Skipped lists the files the last build could not index, with their
// reasons; the slice is the caller's.
func (ix *Index) Skipped() []document.Skipped { return slices.Clone(ix.skipped) }

// NumChunks is the number of indexed chunks.
func (ix *Index) NumChunks() int { return len(ix.chunks) }

// IDF is a term's inverse document frequency over chunks, and whether the
// corpus contains it; answer composers weigh question words with it.
func (ix *Index) IDF(term string) (float64, bool) {
	return ix.rk.idf(ix, term)
}

// DefaultEmbedder is the embedded word-vector model, the offline default.
func DefaultEmbedder() (Embedder, error) {
	m, err := wordvec.Default()
	if err != nil {
		return Embedder{}, fmt.Errorf("load embedded word vectors: %w", err)
	}
	return Embedder{Name: wordvec.Version, Embed: m.EmbeddingFunc(), Local: true}, nil
}

// DefaultConfig is the configuration citebot ships with: tuned BM25 and
// fusion, 1,000-byte chunks, the built-in boilerplate patterns and the
// embedded word vectors.
func DefaultConfig() (Config, error) {
	e, err := DefaultEmbedder()
	return Config{BM25: rank.DefaultBM25, Fusion: rank.DefaultFusion, Embedder: e,
		Chunk: chunking.Options{MaxBytes: document.DefaultChunkBytes, Boilerplate: chunking.DefaultBoilerplate()}}, err
}

// Sections lists the section headings of a document's chunks, in document
// order, each once (front ends draw example questions from them).
func (ix *Index) Sections(id string) []string {
	d, ok := ix.byID[id]
	if !ok {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range d.sections {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Versions identifies the code and model that built an index; any difference
// from the running program's forces a full rebuild.
type Versions = wire.Versions
