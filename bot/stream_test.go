package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"citebot/answer"
)

// streamingLibrary writes its answer in pieces, slowly, like a model.
type streamingLibrary struct {
	*testLibrary
	pieces []string
	pause  time.Duration
}

func (l *streamingLibrary) AskStream(ctx context.Context, q string, k int, onText func(string)) (answer.Answer, error) {
	a, err := l.testLibrary.Ask(ctx, q, k)
	if err != nil {
		return a, err
	}
	a.Mode = answer.ModeGenerative
	a.Answer = strings.Join(l.pieces, "")
	for _, p := range l.pieces {
		time.Sleep(l.pause)
		onText(p)
	}
	return a, nil
}

// A model's answer grows in place: sent after the first interval, edited
// at most once per interval, and finally edited into the whole answer with
// its sources and buttons.
func TestAnswerGrowsByEdits(t *testing.T) {
	old := editEvery
	editEvery = 200 * time.Millisecond
	t.Cleanup(func() { editEvery = old })
	lib := &streamingLibrary{testLibrary: newTestLibrary(t), pause: 60 * time.Millisecond,
		pieces: []string{"The harbour ", "of Vardø ", "froze ", "in 1966, ", "and again ", "in 1987 ", "[1]."}}
	for i := range 8 {
		lib.pieces = append(lib.pieces[:len(lib.pieces)-1], " more"+strings.Repeat(".", i), "[1].")
	}
	f := newFakeAPI(t)
	startBot(t, f, lib, Config{})
	f.push(privateText(42, "en", "When did the harbour of Vardø freeze?"))
	f.waitFor(t, "the final edit", func() bool {
		e := f.callsOf("editMessageText")
		return len(e) > 0 && strings.Contains(e[len(e)-1].Params["text"], "Sources")
	})
	sends, edits := f.callsOf("sendMessage"), f.callsOf("editMessageText")
	if len(sends) != 1 || sends[0].Params["reply_markup"] != "" || !strings.HasSuffix(sends[0].Params["text"], "…") {
		t.Errorf("the growing message: %d sends, first %+v", len(sends), sends)
	}
	if len(edits) < 2 {
		t.Errorf("%d edits, want the answer to grow in several", len(edits))
	}
	last := edits[len(edits)-1]
	if !strings.Contains(last.Params["reply_markup"], "callback_data") || !strings.Contains(last.Params["text"], "1987") {
		t.Errorf("final edit %+v, want the whole answer with its buttons", last.Params)
	}
	times := []time.Time{sends[0].At}
	for _, e := range edits {
		times = append(times, e.At)
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < editEvery-20*time.Millisecond {
			t.Errorf("edit %d came %v after the previous one, under %v", i, gap, editEvery)
		}
	}
}

// An answer that comes at once is sent once, with no edits.
func TestQuickAnswerNotEdited(t *testing.T) {
	f := newFakeAPI(t)
	startBot(t, f, newTestLibrary(t), Config{})
	f.push(privateText(42, "en", "When did the harbour of Vardø freeze?"))
	f.waitFor(t, "the answer", func() bool { return len(f.callsOf("sendMessage")) >= 1 })
	time.Sleep(100 * time.Millisecond)
	if n := len(f.callsOf("editMessageText")); n != 0 {
		t.Errorf("%d edits of a quick answer", n)
	}
}
