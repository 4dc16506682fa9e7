package answer

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"citebot/analysis"
)

// Turn is one earlier message of a conversation.
type Turn struct {
	Role string // openai.ChatMessageRoleUser or openai.ChatMessageRoleAssistant
	Text string
}

// MaxTurns is how many earlier turns are used to understand a follow-up.
const MaxTurns = 6

type historyKey struct{}

// WithHistory attaches the earlier turns of a conversation to a question's
// context: a composer that can (a language model) reads a follow-up such
// as "and when did it enter into force?" in their light. Only the last
// MaxTurns are kept.
func WithHistory(ctx context.Context, turns []Turn) context.Context {
	if len(turns) > MaxTurns {
		turns = turns[len(turns)-MaxTurns:]
	}
	return context.WithValue(ctx, historyKey{}, turns)
}

// History returns the turns attached by WithHistory.
func History(ctx context.Context) []Turn {
	t, _ := ctx.Value(historyKey{}).([]Turn)
	return t
}

// scriptLanguages name a script's language for the model.
var scriptLanguages = map[string]string{"latin": "English", "cyrillic": "Russian", "greek": "Greek", "arabic": "Arabic", "hebrew": "Hebrew", "han": "Chinese"}

const rewritePrompt = `You turn the user's latest message into one standalone search question for a document collection.
Use the earlier conversation only to resolve what the message refers to ("it", "they", "that agreement", "and when?").
Write the question in %s, the language of the documents, whatever language the user wrote in.
Reply with the question only: no answer, no explanation, no quotes.`

// searchQuestion is what to retrieve with: the question itself, or, when
// it follows earlier turns or is written in another script than the
// documents, the model's standalone rewrite of it in the documents'
// language. Any trouble with the model keeps the question as asked.
func (g Generative) searchQuestion(ctx context.Context, question string) string {
	history := History(ctx)
	foreign := g.CorpusScript != "" && Script(question) != "" && Script(question) != g.CorpusScript
	if len(history) == 0 && !foreign {
		return question
	}
	lang := scriptLanguages[g.CorpusScript]
	if lang == "" {
		lang = "the documents' language"
	}
	var b strings.Builder
	if len(history) > 0 {
		b.WriteString("Earlier conversation:\n")
		for _, t := range history {
			role := "User"
			if t.Role == openai.ChatMessageRoleAssistant {
				role = "Assistant"
			}
			fmt.Fprintf(&b, "%s: %s\n", role, oneLineText(t.Text, 600))
		}
		b.WriteString("\n")
	}
	b.WriteString("Latest message: ")
	b.WriteString(question)
	timeout := min(g.timeout(), 15*time.Second)
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := g.Client.CreateChatCompletion(cctx, openai.ChatCompletionRequest{
		Model: g.Model, Temperature: 1e-6,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: fmt.Sprintf(rewritePrompt, lang)},
			{Role: openai.ChatMessageRoleUser, Content: b.String()},
		},
	})
	if err != nil || len(resp.Choices) == 0 {
		g.logf("could not rewrite the question for search (%v); searching with it as asked", err)
		return question
	}
	q := strings.Trim(strings.TrimSpace(resp.Choices[0].Message.Content), `"'«»“”`)
	if q == "" || strings.Contains(q, "\n") || utf8.RuneCountInString(q) > 1000 || CheckQuestion(q) != nil {
		g.logf("the model's rewrite of the question is unusable; searching with it as asked")
		return question
	}
	return q
}

func (g Generative) timeout() time.Duration {
	if g.Timeout <= 0 {
		return 30 * time.Second
	}
	return g.Timeout
}

// oneLineText shortens a turn for the rewrite prompt: whitespace collapsed,
// at most n runes.
func oneLineText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// promptQuestion is the question as the answering model sees it: as asked
// (it answers in that language), with the standalone form beside it when
// the question was rewritten.
func promptQuestion(asked, search string) string {
	if search == asked {
		return asked
	}
	return asked + "\n(Understood as: " + search + ")"
}

// claimTerms are the terms a claim is matched with, its words' translations
// into the documents' language included (analysis.KeyTerms).
func claimTerms(claim string) map[string]bool {
	terms := map[string]bool{}
	for _, kt := range analysis.KeyTerms(claim) {
		for _, t := range kt.Terms {
			terms[t] = true
		}
	}
	return terms
}
