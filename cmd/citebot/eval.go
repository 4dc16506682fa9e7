package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"golang.org/x/sync/errgroup"

	"citebot/answer"
	"citebot/document"
	"citebot/internal/beir"
	"citebot/qaset"
	"citebot/retrieval"
)

func runEval(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("eval", stderr)
	set := f.fs.String("set", "", "QA file (JSON lines: question, answerable, document, evidence or spans, lang)")
	beir := f.fs.String("beir", "", "BEIR folder (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv)")
	split := f.fs.String("split", "test", "BEIR qrels split")
	verbose := f.fs.Bool("v", false, "list every miss")
	c, rest, err := parse(f, args, getenv)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("eval takes no arguments, got %q", rest)
	}
	switch {
	case (*set == "") == (*beir == ""):
		return usagef("eval needs exactly one of --set FILE or --beir DIR")
	case *set != "":
		rows, err := readQA(*set)
		if err != nil {
			return err
		}
		ix, _, err := openIndex(ctx, c, stderr)
		if err != nil {
			return err
		}
		r, err := evalQA(ctx, newExtractive(ix, c).Answer, rows, c.K)
		if err != nil {
			return err
		}
		if *f.json {
			return json.NewEncoder(stdout).Encode(r)
		}
		r.write(stdout, *verbose)
		return nil
	default:
		rc, err := retrievalConfig(c)
		if err != nil {
			return err
		}
		store := storeFor(c, rc, true)
		build := func(ctx context.Context, docs []document.Document) (*retrieval.Index, error) {
			st, err := store.open(ctx)
			if err != nil {
				return nil, err
			}
			res, err := st.Update(ctx, nil, retrieval.FromDocuments(docs, nil))
			return res.Index, err
		}
		r, err := evalBEIR(ctx, *beir, *split, build)
		if err != nil {
			return err
		}
		r.Store = c.Store
		if *f.json {
			return json.NewEncoder(stdout).Encode(r)
		}
		r.write(stdout)
		return nil
	}
}

// qaRow is one line of a QA set (package qaset).
type qaRow = qaset.Row

// readQA reads a QA set; a file that is missing or not a QA set is the
// user's mistake.
func readQA(path string) ([]qaRow, error) {
	rows, err := qaset.Read(path)
	if err != nil && (errors.Is(err, qaset.ErrInvalid) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)) {
		return nil, usagef("%w", err)
	}
	return rows, err
}

// qaReport holds the QA metrics, defined as bench/xquad/score.py defines
// them (see qaset.Row.Holds for when a passage or citation holds the gold
// answer): Recall@k, a top-k passage holds it; MRR, over the rank of the
// first such passage; cited hit, a citation holds it; cited hit@1, the
// first citation does; refusals are answers with found false.
type qaReport struct {
	K int `json:"k"`
	// qaLang holds the figures over all questions, ByLang per language.
	qaLang
	MRR             float64            `json:"mrr"`
	AbstentionRate  float64            `json:"abstention_accuracy"`
	MeanMS          float64            `json:"mean_ms"`
	Misses          []qaMiss           `json:"misses"`
	RecallByLang    map[string]float64 `json:"recall_by_lang"`
	CitedHitsByLang map[string]float64 `json:"cited_hit_by_lang"`
	// ByLang has the figures per language (the rows' lang field; rows
	// without one count under "").
	ByLang map[string]*qaLang `json:"by_lang"`
}

// qaLang is the figures of a set of questions: all of a report's, or one
// language's.
type qaLang struct {
	Questions        int     `json:"questions"`
	Answerable       int     `json:"answerable"`
	Unanswerable     int     `json:"unanswerable"`
	RecallAtK        float64 `json:"recall_at_k"`
	CitedHit         float64 `json:"cited_evidence_hit"`
	CitedHit1        float64 `json:"cited_evidence_hit_at_1"`
	FalseRefusals    int     `json:"answerable_refused"`
	Refused          int     `json:"unanswerable_refused"`
	FalseRefusalRate float64 `json:"answerable_refused_rate"`
	RefusedRate      float64 `json:"unanswerable_refused_rate"`
	MeanConfidence   float64 `json:"mean_confidence"`

	recall, cited, cited1 int
	confidence            float64
}

// add counts one answer: to an answerable question or not, found or
// refused, the gold in a top-k passage or not, and the index of the first
// citation that holds the gold (-1 for none).
func (l *qaLang) add(answerable, found, recalled bool, cited int, confidence float64) {
	l.Questions++
	l.confidence += confidence
	if !answerable {
		l.Unanswerable++
		if !found {
			l.Refused++
		}
		return
	}
	l.Answerable++
	if !found {
		l.FalseRefusals++
	}
	if recalled {
		l.recall++
	}
	if cited == 0 {
		l.cited1++
	}
	if cited >= 0 {
		l.cited++
	}
}

func (l *qaLang) finish() {
	if l.Questions > 0 {
		l.MeanConfidence = l.confidence / float64(l.Questions)
	}
	if l.Answerable > 0 {
		n := float64(l.Answerable)
		l.RecallAtK, l.CitedHit, l.CitedHit1 = float64(l.recall)/n, float64(l.cited)/n, float64(l.cited1)/n
		l.FalseRefusalRate = float64(l.FalseRefusals) / n
	}
	if l.Unanswerable > 0 {
		l.RefusedRate = float64(l.Refused) / float64(l.Unanswerable)
	}
}

type qaMiss struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	What     string `json:"what"`
	Answer   string `json:"answer"`
}

// askFunc answers a question from k retrieved passages.
type askFunc func(ctx context.Context, question string, k int) (answer.Answer, error)

func evalQA(ctx context.Context, ask askFunc, rows []qaRow, k int) (qaReport, error) {
	r := qaReport{K: k, Misses: []qaMiss{}, RecallByLang: map[string]float64{},
		CitedHitsByLang: map[string]float64{}, ByLang: map[string]*qaLang{}}
	var rr float64
	var took time.Duration
	for _, row := range rows {
		start := time.Now()
		a, err := ask(ctx, row.Question, k)
		took += time.Since(start)
		if err != nil {
			return r, fmt.Errorf("eval %s: %w", row.ID, err)
		}
		miss := func(what string) {
			r.Misses = append(r.Misses, qaMiss{row.ID, row.Question, what, a.Answer})
		}
		lang := r.ByLang[row.Lang]
		if lang == nil {
			lang = &qaLang{}
			r.ByLang[row.Lang] = lang
		}
		rank, cited := 0, -1
		if row.Answerable {
			for i, p := range a.Passages[:min(k, len(a.Passages))] {
				if row.Holds(p.Document, p.Start, p.End, p.Text) {
					rank = i + 1
					break
				}
			}
			for i, c := range a.Citations {
				if row.Holds(c.Document, c.Start, c.End, c.Quote) {
					cited = i
					break
				}
			}
		}
		for _, l := range []*qaLang{lang, &r.qaLang} {
			l.add(row.Answerable, a.Found, rank > 0, cited, a.Confidence)
		}
		switch {
		case !row.Answerable:
			if a.Found {
				miss("answered an unanswerable question")
			}
			continue
		case !a.Found:
			miss("refused an answerable question")
		}
		if rank > 0 {
			rr += 1 / float64(rank)
		} else {
			miss(row.Gold() + " not in the top " + strconv.Itoa(k) + " passages")
		}
		switch {
		case cited > 0:
			miss(row.Gold() + " cited, but not by the first citation")
		case cited < 0 && a.Found:
			miss(row.Gold() + " not cited")
		}
	}
	r.finish()
	if r.Answerable > 0 {
		r.MRR = rr / float64(r.Answerable)
	}
	if r.Questions > 0 {
		r.AbstentionRate = float64(r.Refused+r.Answerable-r.FalseRefusals) / float64(r.Questions)
		r.MeanMS = float64(took.Microseconds()) / 1000 / float64(r.Questions)
	}
	for l, lang := range r.ByLang {
		lang.finish()
		if lang.Answerable > 0 {
			r.RecallByLang[l] = lang.RecallAtK
			r.CitedHitsByLang[l] = lang.CitedHit
		}
	}
	return r, nil
}

func (r qaReport) write(w io.Writer, verbose bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "questions\t%d (%d answerable, %d unanswerable)\n", r.Questions, r.Answerable, r.Unanswerable)
	fmt.Fprintf(tw, "Recall@%d\t%.3f\n", r.K, r.RecallAtK)
	fmt.Fprintf(tw, "MRR\t%.3f\n", r.MRR)
	fmt.Fprintf(tw, "cited-evidence hit\t%.3f\n", r.CitedHit)
	fmt.Fprintf(tw, "cited-evidence hit@1\t%.3f\n", r.CitedHit1)
	fmt.Fprintf(tw, "unanswerable refused\t%d/%d (%.3f)\n", r.Refused, r.Unanswerable, r.RefusedRate)
	fmt.Fprintf(tw, "answerable refused\t%d/%d (%.3f)\n", r.FalseRefusals, r.Answerable, r.FalseRefusalRate)
	fmt.Fprintf(tw, "mean confidence\t%.3f\n", r.MeanConfidence)
	fmt.Fprintf(tw, "mean time per question\t%.1f ms\n", r.MeanMS)
	tw.Flush()

	fmt.Fprintln(w)
	langs := make([]string, 0, len(r.ByLang))
	for l := range r.ByLang {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "lang\tquestions\tRecall@%d\thit\thit@1\tanswerable refused\tunanswerable refused\n", r.K)
	for _, l := range langs {
		x, name := r.ByLang[l], l
		if name == "" {
			name = `""`
		}
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t%d/%d (%.3f)\t%d/%d (%.3f)\n", name, x.Questions, x.RecallAtK, x.CitedHit, x.CitedHit1,
			x.FalseRefusals, x.Answerable, x.FalseRefusalRate, x.Refused, x.Unanswerable, x.RefusedRate)
	}
	tw.Flush()
	if verbose {
		for _, m := range r.Misses {
			fmt.Fprintf(w, "miss %s: %s\n    question: %s\n    answer: %s\n", m.ID, m.What, m.Question, m.Answer)
		}
	}
}

// beirReport holds document-ranking metrics (binary relevance from qrels).
type beirReport struct {
	Split     string  `json:"split"`
	Queries   int     `json:"queries"`
	Documents int     `json:"documents"`
	Chunks    int     `json:"chunks"`
	NDCG10    float64 `json:"ndcg_at_10"`
	Recall10  float64 `json:"recall_at_10"`
	Recall100 float64 `json:"recall_at_100"`
	MRR10     float64 `json:"mrr_at_10"`
	IndexMS   int64   `json:"index_ms"`
	QueryP50  float64 `json:"query_p50_ms"`
	QueryP99  float64 `json:"query_p99_ms"`
	// QPS is queries answered per second with 8 clients at once.
	QPS   float64 `json:"queries_per_second"`
	Store string  `json:"store"`
}

// buildFunc indexes a benchmark's documents: in memory, or in Weaviate.
type buildFunc func(ctx context.Context, docs []document.Document) (*retrieval.Index, error)

func evalBEIR(ctx context.Context, dir, split string, build buildFunc) (beirReport, error) {
	r := beirReport{Split: split}
	docs, err := beir.ReadCorpus(filepath.Join(dir, "corpus.jsonl"))
	if err != nil {
		return r, usagef("beir: %w", err)
	}
	queries, err := beir.ReadQueries(filepath.Join(dir, "queries.jsonl"))
	if err != nil {
		return r, usagef("beir: %w", err)
	}
	qrels, err := beir.ReadQrels(filepath.Join(dir, "qrels", split+".tsv"))
	if err != nil {
		return r, usagef("beir: %w", err)
	}
	start := time.Now()
	ix, err := build(ctx, docs)
	if err != nil {
		return r, err
	}
	r.IndexMS = time.Since(start).Milliseconds()
	r.Documents, r.Chunks = len(docs), ix.NumChunks()

	ids := qrels.QueryIDs()
	ranked := make(map[string][]string, len(ids))
	var times []float64
	for _, qid := range ids {
		q, ok := queries[qid]
		if !ok {
			return r, fmt.Errorf("beir: query %s of the qrels is not in queries.jsonl", qid)
		}
		t0 := time.Now()
		found, err := ix.SearchDocuments(ctx, q, 100)
		if err != nil {
			return r, err
		}
		times = append(times, float64(time.Since(t0).Microseconds())/1000)
		for _, d := range found {
			ranked[qid] = append(ranked[qid], d.DocID)
		}
	}
	m := beir.Score(qrels, ranked)
	r.Queries, r.NDCG10, r.Recall10, r.Recall100, r.MRR10 = m.Queries, m.NDCG10, m.Recall10, m.Recall100, m.MRR10
	if len(times) > 0 {
		sort.Float64s(times)
		r.QueryP50 = times[len(times)/2]
		r.QueryP99 = times[min(len(times)-1, len(times)*99/100)]
	}
	// Throughput: every query again, 8 at a time; the first error wins and
	// stops the rest, as does canceling ctx.
	start = time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, id := range ids {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			_, err := ix.SearchDocuments(gctx, queries[id], 100)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return r, err
	}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	r.QPS = float64(len(ids)) / time.Since(start).Seconds()
	return r, nil
}

func (r beirReport) write(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "split\t%s (%d queries, %d documents, %d chunks)\n", r.Split, r.Queries, r.Documents, r.Chunks)
	fmt.Fprintf(tw, "nDCG@10\t%.4f\n", r.NDCG10)
	fmt.Fprintf(tw, "Recall@10\t%.4f\n", r.Recall10)
	fmt.Fprintf(tw, "Recall@100\t%.4f\n", r.Recall100)
	fmt.Fprintf(tw, "MRR@10\t%.4f\n", r.MRR10)
	fmt.Fprintf(tw, "index time\t%d ms\n", r.IndexMS)
	fmt.Fprintf(tw, "store\t%s\n", r.Store)
	fmt.Fprintf(tw, "query p50, p99\t%.2f ms, %.2f ms\n", r.QueryP50, r.QueryP99)
	fmt.Fprintf(tw, "throughput\t%.0f queries/s (8 at a time)\n", r.QPS)
	tw.Flush()
}
