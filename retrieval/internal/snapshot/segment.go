package snapshot

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/philippgille/chromem-go"

	"citebot/document"
	wire "citebot/retrieval/internal/wire"
)

// SegmentDoc is one document to be written into a segment: its chunks
// and, for each chunk, its unit vector or nil.
type SegmentDoc struct {
	Doc     wire.SnapshotDoc
	Vectors [][]float32
}

// Segment is a segment file read back.
type Segment struct {
	Docs    map[string]*wire.SnapshotDoc
	Vectors *chromem.Collection
}

// NoEmbedding is the embedding function of the collections segments are
// written from and read into: they hold vectors made elsewhere, and
// chromem-go would otherwise fall back to OpenAI over the network.
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
	db := chromem.NewDB()
	coll, err := db.CreateCollection(CollectionName, nil, NoEmbedding)
	if err != nil {
		return wire.SegmentRef{}, fmt.Errorf("segment vectors: %w", err)
	}
	ref := wire.SegmentRef{Name: name}
	data := wire.SegmentDocs{Docs: make([]wire.SnapshotDoc, len(docs))}
	ctx := context.Background()
	for i, d := range docs {
		data.Docs[i] = d.Doc
		ref.TextBytes += int64(len(d.Doc.Text))
		for k, v := range d.Vectors {
			if v == nil {
				continue
			}
			if err := coll.AddDocument(ctx, chromem.Document{ID: VectorID(document.Chunk(d.Doc.Chunks[k])), Embedding: v}); err != nil {
				return wire.SegmentRef{}, fmt.Errorf("segment vectors: %w", err)
			}
		}
	}
	h := sha256.New()
	err = writeAtomic(filepath.Join(dir, name), func(w io.Writer) error {
		cw := &countingWriter{w: io.MultiWriter(w, h)}
		if _, err := io.WriteString(cw, SegmentMagic); err != nil {
			return err
		}
		if err := gob.NewEncoder(cw).Encode(&data); err != nil {
			return err
		}
		start := cw.n
		if err := db.ExportToWriter(cw, false, "", CollectionName); err != nil {
			return err
		}
		if err := binary.Write(cw, binary.BigEndian, uint64(start)); err != nil {
			return err
		}
		ref.Size = cw.n + sha256.Size
		_, err := w.Write(h.Sum(nil))
		return err
	})
	if err != nil {
		return wire.SegmentRef{}, fmt.Errorf("write segment: %w", err)
	}
	ref.SHA256 = hex.EncodeToString(h.Sum(nil))
	return ref, nil
}

// ReadSegment reads and verifies the segment ref names in dir.
func ReadSegment(dir string, ref wire.SegmentRef) (*Segment, error) {
	docs, vectors, err := readSegmentFile(dir, ref)
	if err != nil {
		return nil, err
	}
	db := chromem.NewDB()
	if err := db.ImportFromReader(bytes.NewReader(vectors), ""); err != nil {
		return nil, fmt.Errorf("segment %s: vectors: %w", ref.Name, err)
	}
	s := &Segment{Docs: docs, Vectors: db.GetCollection(CollectionName, NoEmbedding)}
	if s.Vectors == nil {
		return nil, fmt.Errorf("segment %s: no vector collection", ref.Name)
	}
	return s, nil
}

// ReadSegmentDocs reads and verifies the segment ref names in dir, and
// decodes its documents only.
func ReadSegmentDocs(dir string, ref wire.SegmentRef) (map[string]*wire.SnapshotDoc, error) {
	docs, _, err := readSegmentFile(dir, ref)
	return docs, err
}

// readSegmentFile reads and verifies a segment file and returns its
// documents, by ID, and the bytes of its vectors' export.
func readSegmentFile(dir string, ref wire.SegmentRef) (map[string]*wire.SnapshotDoc, []byte, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ref.Name))
	if err != nil {
		return nil, nil, fmt.Errorf("segment: %w", err)
	}
	if int64(len(raw)) != ref.Size {
		return nil, nil, fmt.Errorf("segment %s: %d bytes, %d recorded", ref.Name, len(raw), ref.Size)
	}
	body, sum, err := VerifyChecksum(raw, SegmentMagic)
	if err != nil {
		return nil, nil, fmt.Errorf("segment %s: %w", ref.Name, err)
	}
	if hex.EncodeToString(sum) != ref.SHA256 {
		return nil, nil, fmt.Errorf("segment %s: not the file the root lists (checksum %x, %s recorded)", ref.Name, sum, ref.SHA256)
	}
	if len(body) < len(SegmentMagic)+8 {
		return nil, nil, fmt.Errorf("segment %s: too short", ref.Name)
	}
	end := len(body) - 8
	start := binary.BigEndian.Uint64(body[end:])
	if start < uint64(len(SegmentMagic)) || start > uint64(end) {
		return nil, nil, fmt.Errorf("segment %s: vectors at %d, outside the file", ref.Name, start)
	}
	var data wire.SegmentDocs
	if err := gob.NewDecoder(bytes.NewReader(body[len(SegmentMagic):start])).Decode(&data); err != nil {
		return nil, nil, fmt.Errorf("segment %s: %w", ref.Name, err)
	}
	docs := make(map[string]*wire.SnapshotDoc, len(data.Docs))
	for i := range data.Docs {
		docs[data.Docs[i].ID] = &data.Docs[i]
	}
	return docs, body[start:end], nil
}

// SegmentDoc returns a document of the segment as a save rewrites it.
func (s *Segment) SegmentDoc(ctx context.Context, id string) (SegmentDoc, error) {
	d, ok := s.Docs[id]
	if !ok {
		return SegmentDoc{}, fmt.Errorf("segment lacks %s", id)
	}
	sd := SegmentDoc{Doc: *d, Vectors: make([][]float32, len(d.Chunks))}
	for k, c := range d.Chunks {
		if v, err := s.Vectors.GetByID(ctx, VectorID(document.Chunk(c))); err == nil {
			sd.Vectors[k] = v.Embedding
		}
	}
	return sd, nil
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
