package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"citebot/answer"
	"citebot/document"
)

// maxLineBytes is as much of a line of standard input as is kept: no
// question within document.MaxQuestionChars needs more (a character is at
// most 4 bytes), and a longer line is refused by its length alone, so a
// line of any length costs no more memory than this.
const maxLineBytes = 4 * document.MaxQuestionChars

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
	// Loading a large index, the heap would otherwise grow to twice
	// what is live before each collection: at 10,000 documents (104 MB
	// of text) the peak was 320-326 MB with the default pacing, 297-303
	// MB so, and the time the same.
	deferCollection(getenv, askGCPercent)
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

	// One question per line; every line gets one line of output, a blank
	// line or one over the limit an error result, so that a script can
	// pair questions and answers by position. A person at a
	// terminal who forgot the question is told what is awaited.
	if f, ok := stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintln(stderr, "citebot: reading questions from standard input, one per line (end with Ctrl-D)")
		}
	}
	in := bufio.NewReader(stdin)
	enc := json.NewEncoder(stdout)
	for {
		q, long, err := readLine(in, maxLineBytes)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read questions: %w", err)
		}
		var a answer.Answer
		if long {
			err = fmt.Errorf("%w: more than %d bytes, the limit is %d characters", answer.ErrQuestionTooLong, maxLineBytes, document.MaxQuestionChars)
		} else if err = answer.CheckQuestion(q); err == nil {
			a, err = ask(ctx, q, c.K)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if *f.json {
				enc.Encode(struct {
					Question string `json:"question"`
					Error    string `json:"error"`
				}{shortQuestion(q, long), err.Error()})
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
}

// readLine reads a line without its end (LF or CRLF), keeping at most max
// bytes of it; long reports that the line was longer. The rest of a long
// line is read and dropped, so that the next line is the next question.
// The last line needs no end; io.EOF is returned only when no line is left.
func readLine(r *bufio.Reader, max int) (line string, long bool, err error) {
	var b []byte
	read := false
	for {
		chunk, err := r.ReadSlice('\n')
		read = read || len(chunk) > 0
		if n := min(len(chunk), max+2-len(b)); n > 0 { // +2: room for the CRLF
			b = append(b, chunk[:n]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (!errors.Is(err, io.EOF) || !read) {
			return "", false, err
		}
		b = bytes.TrimSuffix(b, []byte("\n"))
		b = bytes.TrimSuffix(b, []byte("\r"))
		if len(b) > max {
			return string(b[:max]), true, nil
		}
		return string(b), false, nil
	}
}

// shortQuestion is a question as an error result repeats it: whole, unless
// it is over the limit (or was cut, long), when its first characters are
// enough to find it.
func shortQuestion(q string, long bool) string {
	if !long && utf8.RuneCountInString(q) <= document.MaxQuestionChars {
		return q
	}
	return string([]rune(q)[:80]) + "…"
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
