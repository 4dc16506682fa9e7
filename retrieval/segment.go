package retrieval

import (
	wire "citebot/retrieval/internal/wire"
	"strconv"

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
	"strings"

	"github.com/philippgille/chromem-go"
)

// segmentDoc is one document to be written into a segment: its chunks
// and, for each chunk, its unit vector or nil.
type segmentDoc struct {
	doc     wire.SnapshotDoc
	vectors [][]float32
}

// segment is a segment file read back.
type segment struct {
	docs    map[string]*wire.SnapshotDoc
	vectors *chromem.Collection
}

// noEmbedding is the embedding function of the collections segments are
// written from and read into: they hold vectors made elsewhere, and
// chromem-go would otherwise fall back to OpenAI over the network.
func noEmbedding(context.Context, string) ([]float32, error) {
	return nil, errors.New("segment vectors are stored, not embedded")
}

// writeSegment writes docs into a new segment file in dir and returns its
// reference.
func writeSegment(dir string, docs []segmentDoc) (wire.SegmentRef, error) {
	name, err := newSegmentName()
	if err != nil {
		return wire.SegmentRef{}, err
	}
	db := chromem.NewDB()
	coll, err := db.CreateCollection(collectionName, nil, noEmbedding)
	if err != nil {
		return wire.SegmentRef{}, fmt.Errorf("segment vectors: %w", err)
	}
	ref := wire.SegmentRef{Name: name}
	data := wire.SegmentDocs{Docs: make([]wire.SnapshotDoc, len(docs))}
	ctx := context.Background()
	for i, d := range docs {
		data.Docs[i] = d.doc
		ref.TextBytes += int64(len(d.doc.Text))
		for k, v := range d.vectors {
			if v == nil {
				continue
			}
			if err := coll.AddDocument(ctx, chromem.Document{ID: vectorID(Chunk(d.doc.Chunks[k])), Embedding: v}); err != nil {
				return wire.SegmentRef{}, fmt.Errorf("segment vectors: %w", err)
			}
		}
	}
	h := sha256.New()
	err = writeAtomic(filepath.Join(dir, name), func(w io.Writer) error {
		cw := &countingWriter{w: io.MultiWriter(w, h)}
		if _, err := io.WriteString(cw, segmentMagic); err != nil {
			return err
		}
		if err := gob.NewEncoder(cw).Encode(&data); err != nil {
			return err
		}
		start := cw.n
		if err := db.ExportToWriter(cw, false, "", collectionName); err != nil {
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

// readSegment reads and verifies the segment ref names in dir.
func readSegment(dir string, ref wire.SegmentRef) (*segment, error) {
	docs, vectors, err := readSegmentFile(dir, ref)
	if err != nil {
		return nil, err
	}
	db := chromem.NewDB()
	if err := db.ImportFromReader(bytes.NewReader(vectors), ""); err != nil {
		return nil, fmt.Errorf("segment %s: vectors: %w", ref.Name, err)
	}
	s := &segment{docs: docs, vectors: db.GetCollection(collectionName, noEmbedding)}
	if s.vectors == nil {
		return nil, fmt.Errorf("segment %s: no vector collection", ref.Name)
	}
	return s, nil
}

// readSegmentDocs reads and verifies the segment ref names in dir, and
// decodes its documents only.
func readSegmentDocs(dir string, ref wire.SegmentRef) (map[string]*wire.SnapshotDoc, error) {
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
	body, sum, err := verifyChecksum(raw, segmentMagic)
	if err != nil {
		return nil, nil, fmt.Errorf("segment %s: %w", ref.Name, err)
	}
	if hex.EncodeToString(sum) != ref.SHA256 {
		return nil, nil, fmt.Errorf("segment %s: not the file the root lists (checksum %x, %s recorded)", ref.Name, sum, ref.SHA256)
	}
	if len(body) < len(segmentMagic)+8 {
		return nil, nil, fmt.Errorf("segment %s: too short", ref.Name)
	}
	end := len(body) - 8
	start := binary.BigEndian.Uint64(body[end:])
	if start < uint64(len(segmentMagic)) || start > uint64(end) {
		return nil, nil, fmt.Errorf("segment %s: vectors at %d, outside the file", ref.Name, start)
	}
	var data wire.SegmentDocs
	if err := gob.NewDecoder(bytes.NewReader(body[len(segmentMagic):start])).Decode(&data); err != nil {
		return nil, nil, fmt.Errorf("segment %s: %w", ref.Name, err)
	}
	docs := make(map[string]*wire.SnapshotDoc, len(data.Docs))
	for i := range data.Docs {
		docs[data.Docs[i].ID] = &data.Docs[i]
	}
	return docs, body[start:end], nil
}

// segmentDoc returns a document of the segment as a save rewrites it.
func (s *segment) segmentDoc(ctx context.Context, id string) (segmentDoc, error) {
	d, ok := s.docs[id]
	if !ok {
		return segmentDoc{}, fmt.Errorf("segment lacks %s", id)
	}
	sd := segmentDoc{doc: *d, vectors: make([][]float32, len(d.Chunks))}
	for k, c := range d.Chunks {
		if v, err := s.vectors.GetByID(ctx, vectorID(Chunk(c))); err == nil {
			sd.vectors[k] = v.Embedding
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

const collectionName = "chunks"

// vectorID names a chunk in the vector store; spans are unique within a
// document except for the header chunk, which may repeat another's span.
func vectorID(c Chunk) string {
	id := c.DocID + "#" + strconv.Itoa(c.Start) + "-" + strconv.Itoa(c.End)
	if c.Header {
		id += "h"
	}
	return id
}
