package bot

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"citebot/answer"
	"citebot/corpus"
	"citebot/retrieval"
)

// testDocs is a small corpus with known facts.
var testDocs = map[string]string{
	"harbour.txt":   "Harbour notes\n\nThe harbour of Vardø froze in 1966, and again in 1987.\n\nFishing boats wintered in Kirkenes during the freeze.\n",
	"sub/treaty.md": "# The Treaty of Examples\n\n## Ratification\n\nThe Treaty of Examples was signed in Oslo on 3 March 1921.\n\nIt entered into force on 1 January 1922, after ratification by both parties.\n",
	"html.txt":      "Markup <b>notes</b> & more\n\nThe tag <script>alert(1)</script> & the entity &amp; appear in the Zorblax manual of 1999.\n",
}

// testLibrary is a real corpus over testDocs in a temp folder.
type testLibrary struct {
	*corpus.Live
	Docs string
}

func newTestLibrary(t testing.TB) *testLibrary {
	t.Helper()
	root := t.TempDir()
	docs := filepath.Join(root, "docs")
	for name, text := range testDocs {
		writeTestFile(t, filepath.Join(docs, name), text)
	}
	rc, err := retrieval.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	live := corpus.New(ctx,
		func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
			return retrieval.NewFolderStore(filepath.Join(root, "index"), rc).Update(ctx, prev, retrieval.FromFolder(docs, 1<<20))
		},
		func(ix *retrieval.Index) corpus.AnswerFunc {
			return answer.Extractive{Index: ix, Tuning: answer.DefaultTuning}.Answer
		}, corpus.Options{CacheSize: 16})
	if _, err := live.Load(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); live.Wait() })
	return &testLibrary{Live: live, Docs: docs}
}

func writeTestFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// privateText is a text message from a user in a private chat.
func privateText(user int64, lang, text string) models.Update {
	return models.Update{Message: &models.Message{ID: int(time.Now().UnixNano() % 1e6), Date: int(time.Now().Unix()),
		From: &models.User{ID: user, FirstName: "Ann", LanguageCode: lang},
		Chat: models.Chat{ID: user, Type: models.ChatTypePrivate}, Text: text}}
}
