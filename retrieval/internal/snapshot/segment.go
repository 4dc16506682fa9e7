package snapshot

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/philippgille/chromem-go"

	"citebot/document"
	"citebot/retrieval/internal/rank"
	wire "citebot/retrieval/internal/wire"
)

// SegmentDoc is one document to be written into a segment: its chunks
// and, for each chunk, its unit vector or nil, and its term counts.
type SegmentDoc struct {
	Doc     wire.SnapshotDoc
	Vectors [][]float32
	Terms   []rank.ChunkCounts
}

// A segment stores what opening an index would otherwise work out again:
// each chunk's term counts (instead of tokenising and stemming every
// chunk) and its vector row as the index keeps it (int8 with a scale,
// instead of a chromem-go collection imported from gob and quantized
// again). Its sections, in order (format version 3):
//
//	magic   "citebot-segment\n3\n"
//	meta    varints: the documents (ID, SHA-256, text length, pages,
//	        chunks), the section headings, the vectors' dimension and the
//	        term dictionary with each term's number of postings
//	text    the documents' text, one after the other, as they are
//	vectors a byte per chunk (1: it has a vector), then per chunk its
//	        scale (float32, little-endian) and dim int8 (zeros for one
//	        without), as rank.Quantize makes them
//	terms   per chunk: its fields' lengths, its term count, then each
//	        term as the gap from the last term's dictionary index,
//	        body count (varints), section and title counts (a byte each)
//	export  chromem-go's export of the vectors' collection: the vectors
//	        as the embedded vector store holds them, for any tool that
//	        reads chromem-go; citebot writes through the collection and
//	        reads the rows above
//	footer  the five sections' lengths, uint64 big-endian, the export's
//	        SHA-256 and the text's
//	trailer SHA-256 of everything before it but the text and the
//	        export, which have their own in the footer: a cold start,
//	        which holds the documents already (their SHA-256 is in the
//	        meta), reads neither, and SegmentsIntact checks all three
//
// The text, when it is read, goes into one buffer that every document's
// Text slices, not copied per document; the other sections are read,
// decoded and dropped.

const footerLen = 5*8 + 2*sha256.Size

// Where the footer keeps the export's and the text's checksums.
const (
	exportSumAt = 5 * 8
	textSumAt   = exportSumAt + sha256.Size
)

// rowBytes is the size of one chunk's row in the vectors section.
func rowBytes(dim int) int { return 4 + dim }

// Segment is a segment file read back.
type Segment struct {
	// Docs holds the documents by ID, Order in the segment's order.
	Docs  map[string]*wire.SnapshotDoc
	Order []*wire.SnapshotDoc
	// Dim is the vectors' dimension, 0 when no chunk has one.
	Dim int

	chunks   int
	first    []int // each document's first chunk in the segment
	textLens []int
	valid    []byte
	vectors  []byte
	terms    []byte
	dict     []string
	counts   []int
	// meta and frame are the raw metadata and the frame it was read
	// with, kept by ReadSegmentMeta for ReadSegmentWith to check.
	meta  []byte
	frame frame

	offsetsOnce sync.Once
	offsets     []int // each chunk's start in terms, and the end
	offsetsErr  error
}

// NoEmbedding is the embedding function of the collections segments are
// written through: they hold vectors made elsewhere, and chromem-go would
// otherwise fall back to OpenAI over the network.
func NoEmbedding(context.Context, string) ([]float32, error) {
	return nil, errors.New("segment vectors are stored, not embedded")
}

// WriteSegment writes docs into a new segment file in dir and returns its
// reference.
func WriteSegment(dir string, docs []SegmentDoc) (wire.SegmentRef, error) {
	name, err := newSegmentName()
	if err != nil {
		return wire.SegmentRef{}, err
	}
	ref := wire.SegmentRef{Name: name}
	enc, err := encodeSegment(docs)
	if err != nil {
		return wire.SegmentRef{}, fmt.Errorf("write segment: %w", err)
	}
	for _, d := range docs {
		ref.TextBytes += int64(len(d.Doc.Text))
	}
	var sum []byte
	err = writeAtomic(filepath.Join(dir, name), func(w io.Writer) error {
		cw := &countingWriter{w: w}
		var err error
		sum, err = enc.write(cw)
		ref.Size = cw.n
		return err
	})
	if err != nil {
		return wire.SegmentRef{}, fmt.Errorf("write segment: %w", err)
	}
	ref.SHA256 = hex.EncodeToString(sum)
	return ref, nil
}

// encodedSegment is a segment's sections but its text, encoded.
type encodedSegment struct {
	docs                 []SegmentDoc
	meta, vectors, terms []byte
	db                   *chromem.DB
}

func encodeSegment(docs []SegmentDoc) (*encodedSegment, error) {
	db := chromem.NewDB()
	coll, err := db.CreateCollection(CollectionName, nil, NoEmbedding)
	if err != nil {
		return nil, fmt.Errorf("segment vectors: %w", err)
	}
	ctx := context.Background()
	dim, n := 0, 0
	sections := map[string]int{}
	var sectionList []string
	termIDs := map[string]int{}
	for _, d := range docs {
		if len(d.Vectors) != len(d.Doc.Chunks) || len(d.Terms) != len(d.Doc.Chunks) {
			return nil, fmt.Errorf("%s: %d chunks, %d vectors, %d term counts", d.Doc.ID, len(d.Doc.Chunks), len(d.Vectors), len(d.Terms))
		}
		n += len(d.Doc.Chunks)
		for k, v := range d.Vectors {
			if v == nil {
				continue
			}
			if dim == 0 {
				dim = len(v)
			} else if len(v) != dim {
				return nil, fmt.Errorf("%s: vectors of %d and %d dimensions", d.Doc.ID, dim, len(v))
			}
			if err := coll.AddDocument(ctx, chromem.Document{ID: VectorID(document.Chunk(d.Doc.Chunks[k])), Embedding: v}); err != nil {
				return nil, fmt.Errorf("segment vectors: %w", err)
			}
		}
		for _, c := range d.Doc.Chunks {
			if _, ok := sections[c.Section]; !ok {
				sections[c.Section] = len(sectionList)
				sectionList = append(sectionList, c.Section)
			}
		}
		for _, cc := range d.Terms {
			for _, tc := range cc.Terms {
				termIDs[tc.Term]++
			}
		}
	}
	dict := make([]string, 0, len(termIDs))
	for t := range termIDs {
		dict = append(dict, t)
	}
	slices.Sort(dict)
	postings := make([]int, len(dict))
	for i, t := range dict {
		postings[i] = termIDs[t]
		termIDs[t] = i
	}

	var meta []byte
	meta = binary.AppendUvarint(meta, uint64(len(docs)))
	for _, d := range docs {
		meta = appendString(meta, d.Doc.ID)
		meta = appendString(meta, d.Doc.SHA256)
		meta = binary.AppendUvarint(meta, uint64(len(d.Doc.Text)))
		meta = appendInts(meta, d.Doc.Pages)
		meta = binary.AppendUvarint(meta, uint64(len(d.Doc.Chunks)))
		for _, c := range d.Doc.Chunks {
			for _, v := range []int{c.Start, c.End, c.LineStart, c.LineEnd, sections[c.Section], c.Page} {
				meta = binary.AppendVarint(meta, int64(v))
			}
			header := byte(0)
			if c.Header {
				header = 1
			}
			meta = append(meta, header)
		}
	}
	meta = binary.AppendUvarint(meta, uint64(len(sectionList)))
	for _, s := range sectionList {
		meta = appendString(meta, s)
	}
	meta = binary.AppendUvarint(meta, uint64(dim))
	meta = binary.AppendUvarint(meta, uint64(len(dict)))
	for i, t := range dict {
		meta = appendString(meta, t)
		meta = binary.AppendUvarint(meta, uint64(postings[i]))
	}

	vectors := make([]byte, n, n+n*rowBytes(dim))
	terms := make([]byte, 0, n*16)
	q := make([]int8, dim)
	row := 0
	for _, d := range docs {
		for k, v := range d.Vectors {
			clear(q)
			var scale float32
			if v != nil {
				vectors[row] = 1
				scale = rank.Quantize(q, v)
			}
			vectors = binary.LittleEndian.AppendUint32(vectors, math.Float32bits(scale))
			for _, x := range q {
				vectors = append(vectors, byte(x))
			}
			row++
			cc := d.Terms[k]
			for _, l := range []int{cc.BodyLen, cc.SectionLen, cc.TitleLen} {
				terms = binary.AppendUvarint(terms, uint64(l))
			}
			terms = binary.AppendUvarint(terms, uint64(len(cc.Terms)))
			last := -1
			for _, tc := range cc.Terms {
				id := termIDs[tc.Term]
				if id <= last {
					return nil, fmt.Errorf("%s: chunk %d: terms not sorted or repeated", d.Doc.ID, k)
				}
				terms = binary.AppendUvarint(terms, uint64(id-last-1))
				terms = binary.AppendUvarint(terms, uint64(tc.Body))
				terms = append(terms, tc.Section, tc.Title)
				last = id
			}
		}
	}
	return &encodedSegment{docs: docs, meta: meta, vectors: vectors, terms: terms, db: db}, nil
}

// write writes the segment but its trailer.
// write writes the segment, trailer included, and returns the trailer.
func (e *encodedSegment) write(file io.Writer) ([]byte, error) {
	var lens [5]uint64
	h := sha256.New()
	w := io.MultiWriter(file, h)
	if _, err := io.WriteString(w, SegmentMagic); err != nil {
		return nil, err
	}
	if _, err := w.Write(e.meta); err != nil {
		return nil, err
	}
	lens[0] = uint64(len(e.meta))
	th := sha256.New()
	tw := io.MultiWriter(file, th)
	for _, d := range e.docs {
		if _, err := io.WriteString(tw, d.Doc.Text); err != nil {
			return nil, err
		}
		lens[1] += uint64(len(d.Doc.Text))
	}
	for i, b := range [][]byte{e.vectors, e.terms} {
		if _, err := w.Write(b); err != nil {
			return nil, err
		}
		lens[2+i] = uint64(len(b))
	}
	// The export has a checksum of its own, in the footer, so that
	// opening the index, which does not read it, need not hash it.
	eh := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(file, eh)}
	if err := e.db.ExportToWriter(cw, false, "", CollectionName); err != nil {
		return nil, err
	}
	lens[4] = uint64(cw.n)
	var footer [footerLen]byte
	for i, l := range lens {
		binary.BigEndian.PutUint64(footer[8*i:], l)
	}
	copy(footer[exportSumAt:], eh.Sum(nil))
	copy(footer[textSumAt:], th.Sum(nil))
	if _, err := w.Write(footer[:]); err != nil {
		return nil, err
	}
	sum := h.Sum(nil)
	_, err := file.Write(sum)
	return sum, err
}

// ErrOldSegment marks a segment of format version 1 (gob documents and a
// chromem-go export, no term counts): the index is rebuilt.
var ErrOldSegment = errors.New("segment of format version 1")

// ReadSegment reads and verifies the segment ref names in dir, but for
// the chromem-go export, which it does not read.
func ReadSegment(dir string, ref wire.SegmentRef) (*Segment, error) {
	return ReadSegmentWith(dir, ref, ReadOptions{})
}

// ReadOptions are what a cold start tells ReadSegmentWith so that the
// segment's text and vectors go straight where the index keeps them.
type ReadOptions struct {
	// Have gives the text of a document the caller holds already, by ID
	// and SHA-256 (of its file's bytes, which decide its text).
	Have func(id, sha string) (string, bool)
	// Rows, once the segment's documents are known, returns where each
	// chunk's vector goes: the rows are streamed to it, one at a time,
	// as integers and scale (the integers' slice is reused), not kept in
	// the Segment (whose Vector then reports none). The rows come before
	// the checksum is verified: on an error the caller discards what it
	// was given.
	Rows func(s *Segment) func(k int, q []int8, scale float32)
	// Meta is the segment as ReadSegmentMeta read it: its metadata is
	// not read again, and the result is Meta itself, completed.
	Meta *Segment
	// Scratch, when not nil, holds the term counts: they are read into
	// *Scratch when it is large enough, and *Scratch becomes the buffer
	// they were read into otherwise. A caller that reads many segments
	// one after another and is done with each one's counts before the
	// next (a cold start) then allocates the largest once, instead of
	// leaving a freed buffer of several megabytes behind per segment.
	Scratch *[]byte
}

// ReadSegmentWith is ReadSegment for a caller that holds documents
// already, as a cold start does, having loaded the folder: when opt.Have
// gives the text of every document of the segment, the documents share
// it, and the segment's text is not read at all: the text is read and in
// memory once, not twice. Likewise the vectors, with opt.Rows.
func ReadSegmentWith(dir string, ref wire.SegmentRef, opt ReadOptions) (*Segment, error) {
	f, err := openSegment(dir, ref)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, sum, err := readSegment(f, ref.Size, opt)
	if err != nil {
		return nil, fmt.Errorf("segment %s: %w", ref.Name, corrupt(err))
	}
	if hex.EncodeToString(sum) != ref.SHA256 {
		return nil, fmt.Errorf("segment %s: not the file the root lists (checksum %x, %s recorded)", ref.Name, sum, ref.SHA256)
	}
	return s, nil
}

// EncodeSegment is the bytes WriteSegment writes for docs.
func EncodeSegment(docs []SegmentDoc) ([]byte, error) {
	enc, err := encodeSegment(docs)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := enc.write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// DecodeSegment decodes a whole segment file held in memory: what
// ReadSegment does with a file, for tests.
func DecodeSegment(raw []byte) (*Segment, error) {
	s, _, err := readSegment(bytesReaderAt(raw), int64(len(raw)), ReadOptions{})
	if err != nil {
		return nil, corrupt(err)
	}
	return s, nil
}

// corrupt wraps err in ErrCorrupt, once.
func corrupt(err error) error {
	if errors.Is(err, ErrCorrupt) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// readSegment reads a segment of size bytes from r, verifies its
// checksum and decodes it; it returns the checksum trailer.
// frame is what a segment's first and last bytes say of it: the
// sections' lengths and the footer holding them, and where the footer
// starts.
type frame struct {
	lens   [5]uint64
	footer [footerLen]byte
	end    int64
}

// readFrame checks a segment's magic line and reads its footer.
func readFrame(r io.ReaderAt, size int64) (frame, error) {
	var f frame
	head := make([]byte, len(SegmentMagic))
	if size < int64(len(SegmentMagic)+footerLen+sha256.Size) {
		return f, errors.New("too short")
	}
	if _, err := r.ReadAt(head, 0); err != nil {
		return f, err
	}
	if string(head) != SegmentMagic {
		if string(head) == SegmentMagicV1 {
			return f, ErrOldSegment
		}
		return f, errors.New("not a citebot segment of this version")
	}
	f.end = size - sha256.Size - footerLen
	if _, err := r.ReadAt(f.footer[:], f.end); err != nil {
		return f, err
	}
	total := uint64(len(SegmentMagic))
	for i := range f.lens {
		f.lens[i] = binary.BigEndian.Uint64(f.footer[8*i:])
		if f.lens[i] > uint64(size) {
			return f, fmt.Errorf("section %d of %d bytes in a file of %d", i, f.lens[i], size)
		}
		total += f.lens[i]
	}
	if total != uint64(f.end) {
		return f, fmt.Errorf("sections of %d bytes, %d in the file", total, f.end)
	}
	return f, nil
}

// openSegment opens the segment ref names in dir, checking its size.
func openSegment(dir string, ref wire.SegmentRef) (*os.File, error) {
	f, err := os.Open(filepath.Join(dir, ref.Name))
	if err != nil {
		return nil, fmt.Errorf("segment: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("segment: %w", err)
	}
	if fi.Size() != ref.Size {
		f.Close()
		return nil, fmt.Errorf("segment %s: %d bytes, %d recorded", ref.Name, fi.Size(), ref.Size)
	}
	return f, nil
}

// ReadSegmentMeta reads the documents, chunks and term dictionary of the
// segment ref names in dir, and nothing else: what opening an index
// needs of every segment before it reads any counts (every term's
// postings get their place from all the dictionaries). Nothing is
// verified yet: ReadSegmentWith, given the result as ReadOptions.Meta,
// reads the rest and checks the whole.
func ReadSegmentMeta(dir string, ref wire.SegmentRef) (*Segment, error) {
	f, err := openSegment(dir, ref)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head, err := readFrame(f, ref.Size)
	if err != nil {
		return nil, fmt.Errorf("segment %s: %w", ref.Name, corrupt(err))
	}
	meta := make([]byte, head.lens[0])
	if _, err := f.ReadAt(meta, int64(len(SegmentMagic))); err != nil {
		return nil, fmt.Errorf("segment %s: %w", ref.Name, corrupt(err))
	}
	s, err := decodeMeta(meta, head.lens[1])
	if err != nil {
		return nil, fmt.Errorf("segment %s: %w", ref.Name, corrupt(err))
	}
	s.meta, s.frame = meta, head
	return s, nil
}

func readSegment(r io.ReaderAt, size int64, opt ReadOptions) (*Segment, []byte, error) {
	have := opt.Have
	head, err := readFrame(r, size)
	if err != nil {
		return nil, nil, err
	}
	lens, footer := head.lens, head.footer
	textAt := int64(len(SegmentMagic)) + int64(lens[0])
	restAt := textAt + int64(lens[1]) // the vectors, then the terms
	h := sha256.New()
	h.Write([]byte(SegmentMagic))
	var s *Segment
	var metaErr error
	if opt.Meta != nil {
		// Read before: the checksum below covers those bytes, so a file
		// changed in between is found.
		if opt.Meta.frame != head {
			return nil, nil, errors.New("changed while it was read")
		}
		h.Write(opt.Meta.meta)
		s = opt.Meta
	} else {
		meta := make([]byte, lens[0])
		if _, err := r.ReadAt(meta, int64(len(SegmentMagic))); err != nil {
			return nil, nil, err
		}
		h.Write(meta)
		// The metadata is decoded before the checksum is known, to learn
		// whether the caller has the text already; a checksum mismatch
		// is reported before anything it found.
		s, metaErr = decodeMeta(meta, lens[1])
	}
	// The caller's documents are the segment's when their SHA-256 is the
	// one the metadata records, which the trailer covers: the segment's
	// copy of their text is then neither read nor hashed.
	var texts []string
	if metaErr == nil && have != nil {
		texts = make([]string, len(s.Order))
		for i, d := range s.Order {
			t, ok := have(d.ID, d.SHA256)
			if !ok || len(t) != s.textLens[i] {
				texts = nil
				break
			}
			texts[i] = t
		}
	}
	var text []byte
	textErr := error(nil)
	if texts == nil {
		text = make([]byte, lens[1])
		if _, err := r.ReadAt(text, textAt); err != nil && !(errors.Is(err, io.EOF) && len(text) == 0) {
			return nil, nil, err
		}
		if sum := sha256.Sum256(text); !bytes.Equal(sum[:], footer[textSumAt:]) {
			textErr = errors.New("text checksum mismatch (truncated or damaged)")
		}
	}
	sr := bufio.NewReaderSize(io.NewSectionReader(r, restAt, head.end-restAt-int64(lens[4])), 1<<16)
	read := func(n uint64) ([]byte, error) {
		b := make([]byte, n)
		if _, err := io.ReadFull(sr, b); err != nil {
			return nil, err
		}
		h.Write(b)
		return b, nil
	}
	var sink func(k int, q []int8, scale float32)
	if metaErr == nil && opt.Rows != nil && lens[2] == uint64(s.chunks)*uint64(1+rowBytes(s.Dim)) {
		sink = opt.Rows(s)
	}
	var vectors []byte
	if sink != nil {
		valid, err := read(uint64(s.chunks))
		if err != nil {
			return nil, nil, err
		}
		raw, q := make([]byte, rowBytes(s.Dim)), make([]int8, s.Dim)
		for k, v := range valid {
			if _, err := io.ReadFull(sr, raw); err != nil {
				return nil, nil, err
			}
			h.Write(raw)
			if v == 1 {
				for j := range q {
					q[j] = int8(raw[4+j])
				}
				sink(k, q, math.Float32frombits(binary.LittleEndian.Uint32(raw)))
			}
		}
		vectors = valid
	} else if vectors, err = read(lens[2]); err != nil {
		return nil, nil, err
	}
	var terms []byte
	if opt.Scratch != nil && uint64(cap(*opt.Scratch)) >= lens[3] {
		terms = (*opt.Scratch)[:lens[3]]
		if _, err := io.ReadFull(sr, terms); err != nil {
			return nil, nil, err
		}
		h.Write(terms)
	} else if terms, err = read(lens[3]); err != nil {
		return nil, nil, err
	} else if opt.Scratch != nil {
		*opt.Scratch = terms
	}
	h.Write(footer[:])
	trailer := make([]byte, sha256.Size)
	if _, err := r.ReadAt(trailer, size-sha256.Size); err != nil && !(errors.Is(err, io.EOF) && len(trailer) == sha256.Size) {
		return nil, nil, err
	}
	if sum := h.Sum(nil); string(sum) != string(trailer) {
		return nil, nil, errors.New("checksum mismatch (truncated or damaged)")
	}
	if textErr != nil {
		return nil, nil, textErr
	}
	if metaErr != nil {
		return nil, nil, metaErr
	}
	if texts == nil {
		all := unsafe.String(unsafe.SliceData(text), len(text))
		at := 0
		for _, n := range s.textLens {
			texts = append(texts, all[at:at+n])
			at += n
		}
	}
	for i, d := range s.Order {
		d.Text = texts[i]
	}
	if err := s.attach(vectors, terms, sink != nil); err != nil {
		return nil, nil, err
	}
	return s, trailer, nil
}

// decodeMeta decodes a segment's metadata, whose text section is
// textLen bytes: the documents, without their text (textLens holds each
// one's length), and the dictionary.
func decodeMeta(meta []byte, textLen uint64) (*Segment, error) {
	d := decoder{b: meta}
	ndocs := d.count(len(meta))
	s := &Segment{Docs: make(map[string]*wire.SnapshotDoc, ndocs), Order: make([]*wire.SnapshotDoc, 0, ndocs), first: make([]int, 0, ndocs),
		textLens: make([]int, 0, ndocs)}
	at := 0
	type sectionRef struct {
		c *wire.Chunk
		i int
	}
	var refs []sectionRef
	docs := make([]wire.SnapshotDoc, ndocs)
	for i := range docs {
		sd := &docs[i]
		sd.ID = d.str()
		sd.SHA256 = d.str()
		n := d.count(int(min(textLen, math.MaxInt32)) - at)
		if d.err != nil {
			break
		}
		s.textLens = append(s.textLens, n)
		at += n
		if np := d.count(len(meta)); np > 0 {
			sd.Pages = make([]int, np)
			for p := range sd.Pages {
				sd.Pages[p] = d.int()
			}
		}
		nc := d.count(len(meta))
		sd.Chunks = make([]wire.Chunk, nc)
		for k := range sd.Chunks {
			c := &sd.Chunks[k]
			c.DocID = sd.ID
			c.Start, c.End, c.LineStart, c.LineEnd = d.int(), d.int(), d.int(), d.int()
			refs = append(refs, sectionRef{c, d.int()})
			c.Page = d.int()
			switch d.byte() {
			case 0:
			case 1:
				c.Header = true
			default:
				d.fail("header flag")
			}
			if d.err == nil && (c.Start < 0 || c.End > n || c.Start >= c.End) {
				d.fail(fmt.Sprintf("chunk %d-%d outside %s", c.Start, c.End, sd.ID))
			}
		}
		if _, dup := s.Docs[sd.ID]; dup && d.err == nil {
			d.fail("document " + sd.ID + " twice")
		}
		s.Docs[sd.ID] = sd
		s.Order = append(s.Order, sd)
		s.first = append(s.first, s.chunks)
		s.chunks += nc
	}
	sections := make([]string, d.count(len(meta)))
	for i := range sections {
		sections[i] = d.str()
	}
	for _, r := range refs {
		if r.i < 0 || r.i >= len(sections) {
			d.fail("section index")
			break
		}
		r.c.Section = sections[r.i]
	}
	s.Dim = d.count(1 << 20)
	s.dict = make([]string, d.count(len(meta)))
	s.counts = make([]int, len(s.dict))
	for i := range s.dict {
		s.dict[i] = d.str()
		s.counts[i] = d.count(s.chunks)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("bytes after the dictionary")
	}
	if d.err == nil && uint64(at) != textLen {
		d.fail(fmt.Sprintf("%d bytes of text, %d used", textLen, at))
	}
	if d.err != nil {
		return nil, d.err
	}
	return s, nil
}

// attach adds the vectors' and terms' sections to s.
// With streamed, vectors holds the flags only: the rows went to the
// caller.
func (s *Segment) attach(vectors, terms []byte, streamed bool) error {
	switch {
	case streamed:
		s.valid = vectors
	case uint64(len(vectors)) != uint64(s.chunks)*uint64(1+rowBytes(s.Dim)):
		return fmt.Errorf("vectors of %d bytes for %d chunks of %d dimensions", len(vectors), s.chunks, s.Dim)
	default:
		s.valid, s.vectors = vectors[:s.chunks], vectors[s.chunks:]
	}
	for _, v := range s.valid {
		if v > 1 {
			return errors.New("vector flag")
		}
	}
	s.terms = terms
	return nil
}

// Chunks is the number of chunks in the segment.
func (s *Segment) Chunks() int { return s.chunks }

// Vector copies the vector of the segment's chunk k into dst, of length
// Dim (its integers times its scale, as rank.Dequantize makes them), and
// reports whether the chunk has one; a segment whose rows were streamed
// to ReadOptions.Rows has none left.
func (s *Segment) Vector(k int, dst []float32) bool {
	if s.valid[k] == 0 || s.vectors == nil {
		return false
	}
	n := rowBytes(s.Dim)
	row := s.vectors[k*n : (k+1)*n]
	scale := math.Float32frombits(binary.LittleEndian.Uint32(row))
	for j := range dst {
		dst[j] = float32(int8(row[4+j])) * scale
	}
	return true
}

// First is where document i (of Order) starts among the segment's chunks.
func (s *Segment) First(i int) int { return s.first[i] }

// Keywords is the segment's keyword data for rank.LoadKeywordIndex, its
// chunks numbered in the index by global.
func (s *Segment) Keywords(global []int32) rank.StoredChunks {
	return rank.StoredChunks{Terms: s.dict, Postings: s.counts, Chunks: global,
		Decode: func(chunk func(i, body, section, title int) error, term func(id int, body uint16, section, title uint8) error) error {
			d := decoder{b: s.terms}
			for k := range s.chunks {
				if err := s.decodeChunk(&d, k, chunk, term); err != nil {
					return err
				}
			}
			if d.err == nil && len(d.b) != 0 {
				d.fail("bytes after the last chunk's terms")
			}
			return d.err
		}}
}

// decodeChunk decodes the terms of chunk k from d.
func (s *Segment) decodeChunk(d *decoder, k int, chunk func(i, body, section, title int) error, term func(id int, body uint16, section, title uint8) error) error {
	body, section, title := d.count(math.MaxInt32), d.count(math.MaxInt32), d.count(math.MaxInt32)
	n := d.count(len(s.dict))
	if d.err != nil {
		return d.err
	}
	if err := chunk(k, body, section, title); err != nil {
		return err
	}
	id := -1
	p := d.b // moved locally, and stored back only for the slow path
	for range n {
		var gap, b int
		var sec, tit byte
		g, i := shortUvarint(p)
		c, j := shortUvarint(p[i:])
		if i > 0 && j > 0 && len(p) >= i+j+2 {
			// The usual term: its gap and body count of at most two
			// bytes each (two fifths of opening a large index was
			// decoding varints one call at a time).
			gap, b, sec, tit = g, c, p[i+j], p[i+j+1]
			p = p[i+j+2:]
		} else {
			d.b = p
			gap, b = d.count(len(s.dict)), d.count(math.MaxUint16)
			sec, tit = d.byte(), d.byte()
			if d.err != nil {
				return d.err
			}
			p = d.b
		}
		id += gap + 1
		if id >= len(s.dict) {
			d.b = p
			d.fail("term index")
			return d.err
		}
		if err := term(id, uint16(b), sec, tit); err != nil {
			return err
		}
	}
	d.b = p
	return nil
}

// SegmentDoc returns a document of the segment as a save rewrites it.
func (s *Segment) SegmentDoc(_ context.Context, id string) (SegmentDoc, error) {
	d, ok := s.Docs[id]
	if !ok {
		return SegmentDoc{}, fmt.Errorf("segment lacks %s", id)
	}
	s.offsetsOnce.Do(s.findOffsets)
	if s.offsetsErr != nil {
		return SegmentDoc{}, s.offsetsErr
	}
	i := 0
	for s.Order[i] != d {
		i++
	}
	first := s.first[i]
	sd := SegmentDoc{Doc: *d, Vectors: make([][]float32, len(d.Chunks)), Terms: make([]rank.ChunkCounts, len(d.Chunks))}
	for k := range d.Chunks {
		v := make([]float32, s.Dim)
		if s.Vector(first+k, v) {
			sd.Vectors[k] = v
		}
		dec := decoder{b: s.terms[s.offsets[first+k]:s.offsets[first+k+1]]}
		cc := &sd.Terms[k]
		err := s.decodeChunk(&dec, first+k, func(_, body, section, title int) error {
			cc.BodyLen, cc.SectionLen, cc.TitleLen = body, section, title
			return nil
		}, func(id int, body uint16, section, title uint8) error {
			cc.Terms = append(cc.Terms, rank.TermCount{Term: s.dict[id], Body: body, Section: section, Title: title})
			return nil
		})
		if err != nil {
			return SegmentDoc{}, err
		}
	}
	return sd, nil
}

// findOffsets notes where each chunk's terms start.
func (s *Segment) findOffsets() {
	s.offsets = make([]int, 0, s.chunks+1)
	d := decoder{b: s.terms}
	for k := range s.chunks {
		s.offsets = append(s.offsets, len(s.terms)-len(d.b))
		if err := s.decodeChunk(&d, k, func(int, int, int, int) error { return nil }, func(int, uint16, uint8, uint8) error { return nil }); err != nil {
			s.offsetsErr = err
			return
		}
	}
	s.offsets = append(s.offsets, len(s.terms)-len(d.b))
}

// ReadSegmentDocs reads and verifies the segment ref names in dir, and
// returns its documents.
func ReadSegmentDocs(dir string, ref wire.SegmentRef) (map[string]*wire.SnapshotDoc, error) {
	s, err := ReadSegment(dir, ref)
	if err != nil {
		return nil, err
	}
	return s.Docs, nil
}

// decoder reads varints and strings off b; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s", ErrCorrupt, what)
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// shortUvarint decodes a varint of one or two bytes at the start of p:
// its value and length, or 0, 0 for anything else (longer, or cut
// short), which the caller decodes the slow way.
func shortUvarint(p []byte) (int, int) {
	switch {
	case len(p) >= 1 && p[0] < 0x80:
		return int(p[0]), 1
	case len(p) >= 2 && p[1] < 0x80 && p[1] != 0:
		return int(p[0]&0x7f) | int(p[1])<<7, 2
	}
	return 0, 0
}

// count reads a count of at most limit.
func (d *decoder) count(limit int) int {
	v := d.uvarint()
	if v > uint64(max(limit, 0)) {
		d.fail("count " + strconv.FormatUint(v, 10))
		return 0
	}
	return int(v)
}

func (d *decoder) int() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 || v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("integer")
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail("byte")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) str() string {
	n := d.count(len(d.b))
	if d.err != nil {
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendInts(b []byte, v []int) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	for _, x := range v {
		b = binary.AppendVarint(b, int64(x))
	}
	return b
}

// newSegmentName is a fresh segment file name: random, so that names
// never repeat, even across a crash or two processes.
func newSegmentName() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return strings.Replace(SegmentGlob, "*", hex.EncodeToString(b[:]), 1), nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

const CollectionName = "chunks"

// VectorID names a chunk in the vector store; spans are unique within a
// document except for the header chunk, which may repeat another's span.
func VectorID(c document.Chunk) string {
	id := c.DocID + "#" + strconv.Itoa(c.Start) + "-" + strconv.Itoa(c.End)
	if c.Header {
		id += "h"
	}
	return id
}

// VerifySegment checks a whole segment as r holds it, its size bytes:
// the trailer, against ref's checksum, and the text's and the export's
// checksums.
func VerifySegment(r io.ReaderAt, size int64, ref wire.SegmentRef) error {
	if size != ref.Size {
		return fmt.Errorf("segment %s: %d bytes, %d recorded", ref.Name, size, ref.Size)
	}
	head, err := readFrame(r, size)
	if err != nil {
		return fmt.Errorf("segment %s: %w", ref.Name, corrupt(err))
	}
	lens := head.lens
	textAt := int64(len(SegmentMagic)) + int64(lens[0])
	exportAt := head.end - int64(lens[4])
	h, th, eh := sha256.New(), sha256.New(), sha256.New()
	for _, part := range []struct {
		h        io.Writer
		from, to int64
	}{{h, 0, textAt}, {th, textAt, textAt + int64(lens[1])}, {h, textAt + int64(lens[1]), exportAt}, {eh, exportAt, head.end}} {
		if _, err := io.Copy(part.h, io.NewSectionReader(r, part.from, part.to-part.from)); err != nil {
			return fmt.Errorf("segment %s: %w", ref.Name, err)
		}
	}
	h.Write(head.footer[:])
	trailer := make([]byte, sha256.Size)
	if _, err := r.ReadAt(trailer, size-sha256.Size); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("segment %s: %w", ref.Name, err)
	}
	if sum := h.Sum(nil); !bytes.Equal(sum, trailer) || hex.EncodeToString(sum) != ref.SHA256 ||
		!bytes.Equal(th.Sum(nil), head.footer[textSumAt:]) || !bytes.Equal(eh.Sum(nil), head.footer[exportSumAt:textSumAt]) {
		return fmt.Errorf("segment %s: %w: checksum mismatch", ref.Name, ErrCorrupt)
	}
	return nil
}
