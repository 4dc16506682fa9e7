package rank

import (
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"slices"

	"golang.org/x/sync/errgroup"
)

// The keyword index as segments store it: each chunk's term counts, so
// that opening an index reads them instead of tokenising and stemming
// every chunk again (at 200,000 chunks that was most of a cold start).

// Forward returns the counts of the given chunks, read back from the
// postings, each chunk's terms sorted: what a save writes into a segment.
// It costs one pass over every posting, whatever the number of chunks.
func (ix *KeywordIndex) Forward(chunks []int32) []ChunkCounts {
	pos := make([]int32, ix.N)
	for i := range pos {
		pos[i] = -1
	}
	for i, c := range chunks {
		pos[c] = int32(i)
	}
	names := make([]string, 0, len(ix.Terms))
	for t := range ix.Terms {
		names = append(names, t)
	}
	// Visiting the terms in order appends each chunk's terms in order.
	slices.Sort(names)
	sizes := make([]int, len(chunks))
	total := 0
	for _, t := range names {
		for _, p := range ix.Terms[t].postings {
			if k := pos[p.chunk()]; k >= 0 {
				sizes[k]++
				total++
			}
		}
	}
	flat := make([]TermCount, total)
	out := make([]ChunkCounts, len(chunks))
	at := 0
	for k, c := range chunks {
		l := ix.Lengths[c]
		out[k] = ChunkCounts{Terms: flat[at : at : at+sizes[k]], BodyLen: int(l.body), SectionLen: int(l.section), TitleLen: int(l.title)}
		at += sizes[k]
	}
	for _, t := range names {
		for _, p := range ix.Terms[t].postings {
			if k := pos[p.chunk()]; k >= 0 {
				out[k].Terms = append(out[k].Terms, TermCount{Term: t, Body: p.body(), Section: p.section(), Title: p.title()})
			}
		}
	}
	return out
}

// StoredChunks is the keyword data of one segment's chunks, for
// LoadKeywordIndex.
type StoredChunks struct {
	// Terms is the segment's dictionary, strictly ascending; Postings[t]
	// is how many of its chunks hold Terms[t].
	Terms    []string
	Postings []int
	// Chunks is each of the segment's chunks' number in the index, -1
	// for a chunk of a document the index no longer holds.
	Chunks []int32
	// Decode reads the chunks in order: for chunk i, chunk(i, its
	// fields' lengths), then term(dictionary index, field counts) for
	// each of its terms. It stops at the first error either returns.
	Decode func(chunk func(i, body, section, title int) error, term func(id int, body uint16, section, title uint8) error) error
}

// ErrStored is what LoadKeywordIndex wraps when stored counts contradict
// themselves.
var ErrStored = errors.New("stored term counts are inconsistent")

// LoadKeywordIndex builds the keyword index of n chunks of docs from the
// stored counts of parts, which together hold every chunk once: a
// KeywordLoad planned from the parts, filled by each part's Decode on
// all cores, and finished.
func LoadKeywordIndex(parts []StoredChunks, n int, docs []DocUnits, p BM25Params) (*KeywordIndex, error) {
	l, err := PlanKeywordLoad(parts, n)
	if err != nil {
		return nil, err
	}
	var fill errgroup.Group
	fill.SetLimit(runtime.GOMAXPROCS(0))
	for i := range parts {
		fill.Go(func() error { return l.Fill(i, parts[i].Decode) })
	}
	if err := fill.Wait(); err != nil {
		return nil, err
	}
	return l.Finish(docs, p)
}

// serialPostings is the number of postings below which Finish works on
// one goroutine (a variable for the tests, which try both ways).
var serialPostings = 1 << 14

// KeywordLoad is a keyword index being built from stored counts. It
// ranks exactly as UpdateKeywordIndex over the same counts: the same
// postings, in chunk order, and the same weights and bounds. Each term's
// postings get their place in one array from the counts the dictionaries
// record, before any count is read, so that each part can be filled as
// soon as it is read and its counts dropped: a cold start never holds
// every segment's counts at once (50 MB at 10,000 documents), and no
// posting is appended twice.
type KeywordLoad struct {
	ix      *KeywordIndex
	parts   []StoredChunks
	names   []string
	starts  []int     // each term's first place in flat, and the end
	cursors [][]int   // per part, where each of its terms' postings go
	flat    []posting // every term's postings
	seen    []bool    // chunks filled
}

// deadPosting holds the place of a posting of a chunk the index no longer
// holds; Finish drops it.
var deadPosting = posting{lo: 0xffff, hi: 0xffff}

// PlanKeywordLoad plans the keyword index of n chunks from the parts'
// dictionaries and chunk numbers (their Decode is not called).
func PlanKeywordLoad(parts []StoredChunks, n int) (*KeywordLoad, error) {
	l := &KeywordLoad{ix: &KeywordIndex{N: n, Lengths: make([]fieldLengths, n)}, parts: slices.Clone(parts)}
	for i := range l.parts {
		// What Decode reads may come later; whatever it holds now must
		// not stay alive with the plan.
		l.parts[i].Decode = nil
	}
	// Each term's number among all the parts' terms. One part's
	// dictionary, strictly ascending, numbers its terms already (an index
	// of one segment, the seeds', needs no map); for more, the largest
	// dictionary is a lower bound of the terms, so the map is not grown
	// term by term.
	var global map[string]int32
	if len(parts) > 1 {
		most := 0
		for _, part := range parts {
			most = max(most, len(part.Terms))
		}
		global = make(map[string]int32, most)
	}
	var sizes []int
	ids := make([][]int32, len(parts))
	for i, part := range parts {
		if len(part.Postings) != len(part.Terms) {
			return nil, fmt.Errorf("%w: %d terms, %d posting counts", ErrStored, len(part.Terms), len(part.Postings))
		}
		ids[i] = make([]int32, len(part.Terms))
		for t, term := range part.Terms {
			if t > 0 && part.Terms[t-1] >= term {
				return nil, fmt.Errorf("%w: dictionary out of order at %q", ErrStored, term)
			}
			if part.Postings[t] <= 0 || part.Postings[t] > len(part.Chunks) {
				return nil, fmt.Errorf("%w: %q in %d of %d chunks", ErrStored, term, part.Postings[t], len(part.Chunks))
			}
			g, ok := global[term]
			if !ok {
				g = int32(len(l.names))
				if global != nil {
					global[term] = g
				}
				l.names = append(l.names, term)
				sizes = append(sizes, 0)
			}
			ids[i][t] = g
			sizes[g] += part.Postings[t]
		}
		for _, c := range part.Chunks {
			if int(c) >= n {
				return nil, fmt.Errorf("%w: chunk %d of %d", ErrStored, c, n)
			}
		}
	}
	l.starts = make([]int, len(l.names)+1)
	for g, s := range sizes {
		l.starts[g+1] = l.starts[g] + s
	}
	// The parts in the order of their first chunks: after a first build
	// each holds a run of documents, and every term's postings then come
	// out in chunk order with no sort.
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	first := func(i int) int32 {
		if len(parts[i].Chunks) == 0 {
			return -1
		}
		return parts[i].Chunks[0]
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(first(a), first(b)) })
	next := slices.Clone(l.starts[:len(l.names)])
	l.cursors = make([][]int, len(parts))
	for _, i := range order {
		l.cursors[i] = make([]int, len(parts[i].Terms))
		for t, g := range ids[i] {
			l.cursors[i][t] = next[g]
			next[g] += parts[i].Postings[t]
		}
	}
	l.flat = make([]posting, l.starts[len(l.names)])
	l.seen = make([]bool, n)
	return l, nil
}

// Fill reads part i's counts with decode (its StoredChunks.Decode, or
// one over bytes read since). Parts may be filled concurrently, each
// once.
func (l *KeywordLoad) Fill(i int, decode func(chunk func(i, body, section, title int) error, term func(id int, body uint16, section, title uint8) error) error) error {
	part, cur := l.parts[i], l.cursors[i]
	flat, seen, lengths := l.flat, l.seen, l.ix.Lengths
	ends := make([]int, len(cur)) // where each term's share ends
	for t := range cur {
		ends[t] = cur[t] + part.Postings[t]
	}
	var chunk int32 = -1
	want, started := 0, false
	err := decode(func(k, body, section, title int) error {
		if k != want || k >= len(part.Chunks) {
			return fmt.Errorf("%w: chunk %d read as %d", ErrStored, want, k)
		}
		want, started = want+1, true
		chunk = part.Chunks[k]
		if chunk < 0 {
			return nil
		}
		if seen[chunk] {
			return fmt.Errorf("%w: chunk %d stored twice", ErrStored, chunk)
		}
		seen[chunk] = true
		if body < 0 || section < 0 || title < 0 {
			return fmt.Errorf("%w: negative length", ErrStored)
		}
		lengths[chunk] = fieldLengths{int32(body), int32(section), int32(title)}
		return nil
	}, func(t int, body uint16, section, title uint8) error {
		switch {
		case !started:
			return fmt.Errorf("%w: a term before the first chunk", ErrStored)
		case t < 0 || t >= len(cur):
			return fmt.Errorf("%w: term %d of %d", ErrStored, t, len(cur))
		case cur[t] >= ends[t]:
			return fmt.Errorf("%w: %q in more chunks than recorded", ErrStored, part.Terms[t])
		case body == 0 && section == 0 && title == 0:
			return fmt.Errorf("%w: %q counted 0 times", ErrStored, part.Terms[t])
		case chunk < 0:
			flat[cur[t]] = deadPosting
		default:
			flat[cur[t]] = newPosting(chunk, body, section, title)
		}
		cur[t]++
		return nil
	})
	if err != nil {
		return err
	}
	if want != len(part.Chunks) {
		return fmt.Errorf("%w: %d chunks read, %d stored", ErrStored, want, len(part.Chunks))
	}
	for t := range cur {
		if cur[t] != ends[t] {
			return fmt.Errorf("%w: %q in fewer chunks than recorded", ErrStored, part.Terms[t])
		}
	}
	return nil
}

// Finish makes the index of the filled parts, weighed with p over docs.
func (l *KeywordLoad) Finish(docs []DocUnits, p BM25Params) (*KeywordIndex, error) {
	ix, names, flat := l.ix, l.names, l.flat
	ix.params = p
	if c := slices.Index(l.seen, false); c >= 0 {
		return nil, fmt.Errorf("%w: chunk %d not stored", ErrStored, c)
	}
	ix.weigh()
	ix.Units = units(docs)
	df := unitCounter(docs, ix.N)
	entries := make([]termPostings, len(names))
	const termBlock = 256
	block := func(lo int) error {
		for g := lo; g < min(lo+termBlock, len(names)); g++ {
			ps := flat[l.starts[g]:l.starts[g+1]:l.starts[g+1]]
			// Postings of removed documents leave places behind,
			// unused until the segments holding them are compacted.
			if slices.Contains(ps, deadPosting) {
				ps = slices.DeleteFunc(ps, func(p posting) bool { return p == deadPosting })
				ps = ps[:len(ps):len(ps)]
			}
			ordered := true
			for k := 1; k < len(ps); k++ {
				if ps[k].chunk() <= ps[k-1].chunk() {
					ordered = false
					break
				}
			}
			if !ordered {
				// Parts written by later saves interleave with the
				// first build's documents.
				slices.SortFunc(ps, func(a, b posting) int { return cmp.Compare(a.chunk(), b.chunk()) })
				for k := 1; k < len(ps); k++ {
					if ps[k].chunk() == ps[k-1].chunk() {
						return fmt.Errorf("%w: %q twice in chunk %d", ErrStored, names[g], ps[k].chunk())
					}
				}
			}
			if len(ps) == 0 {
				continue // held by removed documents only
			}
			e := &entries[g]
			e.postings, e.df = ps, df(ps)
			e.minTF, e.maxTF = ix.tfRange(ps)
		}
		return nil
	}
	// A small index is finished on the caller's goroutine: the seeds'
	// holds some 6,000 postings, fewer than waking threads for them
	// costs, and a cold ask waits on it.
	var finish errgroup.Group
	finish.SetLimit(runtime.GOMAXPROCS(0))
	for lo := 0; lo < len(names); lo += termBlock {
		if len(flat) < serialPostings {
			if err := block(lo); err != nil {
				return nil, err
			}
			continue
		}
		finish.Go(func() error { return block(lo) })
	}
	if err := finish.Wait(); err != nil {
		return nil, err
	}
	ix.Terms = make(map[string]*termPostings, len(names))
	for g, t := range names {
		if len(entries[g].postings) > 0 {
			ix.Terms[t] = &entries[g]
		}
	}
	ix.accumulators.New = func() any {
		a := make([]float64, ix.N)
		return &a
	}
	return ix, nil
}
