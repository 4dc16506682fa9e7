package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"citebot/answer"
)

// maxStdinLine bounds one question read from standard input; longer lines
// are reported, not silently cut.
const maxStdinLine = 1 << 20

func runAsk(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	f := newFlags("ask", stderr)
	lf := addLLMFlags(f.fs)
	c, rest, err := parse(f, args, getenv)
	if err != nil {
		return err
	}
	llm, err := lf.resolve(getenv)
	if err != nil {
		return err
	}
	var question string
	if len(rest) > 0 {
		question = strings.Join(rest, " ")
		if err := answer.CheckQuestion(question); err != nil {
			return usageError{err}
		}
	}
	ix, _, err := openIndex(ctx, c, stderr)
	if err != nil {
		return err
	}
	ask := composer(c, generative(c, llm, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), nil))(ix)
	if len(rest) > 0 {
		a, err := ask(ctx, question, c.K)
		if err != nil {
			return err
		}
		if *f.json {
			return json.NewEncoder(stdout).Encode(a)
		}
		writeAnswer(stdout, a)
		return nil
	}

	// One question per line; every line gets one line of output, so that a
	// script can pair questions and answers by position. A person at a
	// terminal who forgot the question is told what is awaited.
	if f, ok := stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintln(stderr, "citebot: reading questions from standard input, one per line (end with Ctrl-D)")
		}
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64<<10), maxStdinLine)
	enc := json.NewEncoder(stdout)
	for sc.Scan() {
		q := sc.Text()
		if strings.TrimSpace(q) == "" {
			continue
		}
		a, err := ask(ctx, q, c.K)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if *f.json {
				enc.Encode(struct {
					Question string `json:"question"`
					Error    string `json:"error"`
				}{q, err.Error()})
			} else {
				fmt.Fprintf(stdout, "error: %s\n", visibleLine(err.Error()))
			}
			continue
		}
		if *f.json {
			if err := enc.Encode(a); err != nil {
				return err
			}
			continue
		}
		writeAnswerLine(stdout, a)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read questions: %w", err)
	}
	return nil
}

// writeAnswer prints an answer for a person: the answer, then each source
// with its title, file, lines and the exact quote, then the confidence (for
// a refusal, how near the closest sentence came).
func writeAnswer(w io.Writer, a answer.Answer) {
	fmt.Fprintln(w, visibleText(a.Answer))
	if a.Note != "" {
		fmt.Fprintf(w, "(%s)\n", visibleText(a.Note))
	}
	conf := confidenceText(a)
	if len(a.Citations) == 0 {
		if conf != "" {
			fmt.Fprintf(w, "(%s)\n", conf)
		}
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Sources:")
	for _, c := range a.Citations {
		fmt.Fprintf(w, "[%d] %s\n    %s, %s\n", c.N, visibleLine(c.Title), visibleLine(c.Document), lines(c.Page, c.LineStart, c.LineEnd))
		for _, l := range strings.Split(strings.TrimRight(c.Quote, "\r\n"), "\n") {
			fmt.Fprintf(w, "    > %s\n", visibleLine(strings.TrimRight(l, "\r")))
		}
	}
	if conf != "" {
		fmt.Fprintln(w)
		fmt.Fprintln(w, conf)
	}
}

// writeAnswerLine prints an answer on one line, sources and confidence
// inline.
func writeAnswerLine(w io.Writer, a answer.Answer) {
	var b strings.Builder
	b.WriteString(visibleLine(a.Answer))
	for _, c := range a.Citations {
		fmt.Fprintf(&b, " | [%d] %s %s", c.N, visibleLine(c.Document), lines(c.Page, c.LineStart, c.LineEnd))
	}
	if conf := confidenceText(a); conf != "" {
		b.WriteString(" | " + conf)
	}
	fmt.Fprintln(w, b.String())
}

// confidenceText renders the answer model's confidence: "confidence 0.87" for
// an answer, "closest: confidence 0.12" for a refusal (how near the best
// sentence came to answering). It is "" when there is no such figure: an
// answer a language model wrote (confidence 0), or no sentence to judge.
func confidenceText(a answer.Answer) string {
	if a.Confidence <= 0 {
		return ""
	}
	if a.Found {
		return fmt.Sprintf("confidence %.2f", a.Confidence)
	}
	return fmt.Sprintf("closest: confidence %.2f", a.Confidence)
}

func lines(page, a, b int) string {
	if page > 0 {
		return "p. " + strconv.Itoa(page) + ", " + lines(0, a, b)
	}
	if a == b {
		return fmt.Sprintf("line %d", a)
	}
	return fmt.Sprintf("lines %d-%d", a, b)
}
