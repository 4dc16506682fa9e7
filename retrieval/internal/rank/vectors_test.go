package rank

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/philippgille/chromem-go"
)

// A row set from a fresh vector must hold the bits of the row set from
// chromem-go's copy of it, read back from a segment.
func TestUnitVectorIsChromemGos(t *testing.T) {
	ctx := context.Background()
	noEmbedding := func(context.Context, string) ([]float32, error) { return nil, fmt.Errorf("no embedding") }
	coll, err := chromem.NewDB().CreateCollection("c", nil, noEmbedding)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 100 {
		v := make([]float32, 100)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		id := fmt.Sprint(i)
		if err := coll.AddDocument(ctx, chromem.Document{ID: id, Embedding: v, Content: "x"}); err != nil {
			t.Fatal(err)
		}
		d, err := coll.GetByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := UnitVector(v); !slices.Equal(got, d.Embedding) {
			t.Fatalf("vector %d: UnitVector differs from chromem-go's stored copy", i)
		}
		if got := UnitVector(d.Embedding); !slices.Equal(got, d.Embedding) {
			t.Fatalf("vector %d: UnitVector changes chromem-go's stored copy", i)
		}
	}
}
