//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"citebot/internal/testdocs"
	"citebot/retrieval"
)

// TestUploadSurvivesKill kills a real `citebot serve` process with SIGKILL
// in the middle of uploads: while a new file's bytes arrive, while a
// replacement's do, and at moments after the last byte (checking,
// renaming, reindexing). Each kill leaves the documents folder with every
// file whole (the old bytes or the new, never part of them; no visible
// temporary file) and an index that opens; the next start removes what
// the crash left once it is old enough and indexes the folder as it is.
func TestUploadSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds citebot and kills it many times")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "citebot")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	docs := smallDocs(t)
	const oldReport = "# Old report\n\nThe old report counted 17 lighthouses.\n"
	writeFile(t, filepath.Join(docs, "report.md"), oldReport)
	ix := filepath.Join(tmp, "index")
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	// A file large enough that its bytes take a while to arrive and its
	// reindex a while to run.
	var big strings.Builder
	for i := 0; big.Len() < 2<<20; i++ {
		fmt.Fprintf(&big, "Paragraph %d of the new report notes that lighthouse %s was repainted in %d.\n\n", i, stationName(i%4096), 1900+i%120)
	}
	newReport := big.String()
	whole := map[string][]string{ // the contents a file may have
		"harbour.txt":   {vardo},
		"sub/treaty.md": {string(testdocs.ReadFile(t, filepath.Join(docs, "sub", "treaty.md")))},
		"report.md":     {oldReport, newReport},
		"new.md":        {newReport},
	}

	// check looks at the folder and the index after a kill.
	check := func(what string) (temps []string) {
		t.Helper()
		for name, content := range testdocs.ReadTree(t, docs) {
			base := filepath.Base(name)
			if strings.HasPrefix(base, ".citebot-upload-") && filepath.Dir(name) == "." {
				temps = append(temps, name)
				continue
			}
			allowed, ok := whole[name]
			if !ok {
				t.Errorf("%s: unexpected file %s (%d bytes) in the folder", what, name, len(content))
				continue
			}
			if !contains(allowed, content) {
				t.Errorf("%s: %s holds %d bytes, neither its old nor its new content: a partial file", what, name, len(content))
			}
		}
		x, err := retrieval.NewFolderStore(ix, cfg).Open(context.Background(), nil)
		if err != nil {
			t.Fatalf("%s: the index does not open: %v", what, err)
		}
		for _, d := range x.Documents() {
			ok := false
			for _, c := range whole[d.ID] {
				ok = ok || d.SHA256 == testdocs.SHA256Hex(c)
			}
			if !ok {
				t.Errorf("%s: the index holds %s with bytes the folder never held whole", what, d.ID)
			}
		}
		return temps
	}

	env := []string{"CITEBOT_ADMIN_TOKEN=" + docsToken}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CITEBOT_") && !strings.HasPrefix(kv, "OPENAI_") {
			env = append(env, kv)
		}
	}
	// serve starts `citebot serve` and waits until it serves an index.
	serve := func() (*exec.Cmd, string, *lockedBuffer) {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(bin, "serve", "--addr", addr, "--docs", docs, "--index", ix, "--log-level", "info")
		cmd.Env = env
		logs := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			resp, err := http.Get("http://" + addr + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return cmd, "http://" + addr, logs
				}
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("serve did not get ready: %v\n%s", err, logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	kill := func(cmd *exec.Cmd) {
		t.Helper()
		cmd.Process.Kill()
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() {
			t.Errorf("serve ended with %v before the kill", err)
		}
	}
	// upload PUTs content to name: the first half at once, the rest once
	// rest is closed; sent is closed when the last byte has been read, and
	// abort ends the body (the client waits for it even when the server
	// has gone).
	upload := func(url, name, content string, rest <-chan struct{}) (sent <-chan struct{}, done <-chan error, abort func()) {
		pr, pw := io.Pipe()
		s, d := make(chan struct{}), make(chan error, 1)
		go func() {
			half := len(content) / 2
			pw.Write([]byte(content[:half]))
			if rest != nil {
				<-rest
			}
			pw.Write([]byte(content[half:]))
			pw.Close()
		}()
		req, _ := http.NewRequest(http.MethodPut, url+"/v1/documents/"+name, &sentReader{r: pr, left: len(content), sent: s})
		req.ContentLength = int64(len(content))
		req.Header.Set("Authorization", "Bearer "+docsToken)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != 200 {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			d <- err
		}()
		return s, d, func() { pr.CloseWithError(errors.New("the server was killed")) }
	}
	// waitTemp waits until an upload's temporary file holds some bytes.
	waitTemp := func() {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			matches, _ := filepath.Glob(filepath.Join(docs, ".citebot-upload-*"))
			for _, m := range matches {
				if fi, err := os.Stat(m); err == nil && fi.Size() > 0 {
					return
				}
			}
			time.Sleep(time.Millisecond)
		}
		t.Fatal("no temporary file appeared")
	}

	var leftovers []string
	// While the bytes of a new file, then of a replacement, arrive.
	for _, name := range []string{"new.md", "report.md"} {
		cmd, url, _ := serve()
		never := make(chan struct{})
		defer close(never)
		_, done, abort := upload(url, name, newReport, never)
		waitTemp()
		kill(cmd)
		abort()
		if err := <-done; err == nil {
			t.Errorf("%s: the upload succeeded though serve was killed in the middle", name)
		}
		temps := check("killed while " + name + " arrived")
		if len(temps) == 0 {
			t.Errorf("killed while %s arrived: no temporary file left, so the kill missed the upload", name)
		}
		leftovers = append(leftovers, temps...)
		if b, _ := os.ReadFile(filepath.Join(docs, "report.md")); string(b) != oldReport {
			t.Errorf("killed while %s arrived: report.md changed", name)
		}
	}

	// After the last byte: while the file is checked, renamed into place
	// and indexed.
	var outcomes []string
	for _, delay := range []time.Duration{0, time.Millisecond, 3 * time.Millisecond, 10 * time.Millisecond, 30 * time.Millisecond,
		100 * time.Millisecond, 300 * time.Millisecond, time.Second} {
		os.Remove(filepath.Join(docs, "new.md"))
		cmd, url, _ := serve()
		sent, done, abort := upload(url, "new.md", newReport, nil)
		<-sent
		time.Sleep(delay)
		kill(cmd)
		abort()
		err := <-done
		what := fmt.Sprintf("killed %v after the last byte", delay)
		leftovers = append(leftovers, check(what)...)
		_, statErr := os.Stat(filepath.Join(docs, "new.md"))
		outcomes = append(outcomes, fmt.Sprintf("%v: file in place %v, answered %v", delay, statErr == nil, err == nil))
	}
	t.Logf("kills after the last byte:\n\t%s", strings.Join(outcomes, "\n\t"))

	// The next start: the leftovers, once old enough, are removed, and the
	// index holds the folder as it is.
	old := time.Now().Add(-2 * time.Hour)
	for _, name := range leftovers {
		os.Chtimes(filepath.Join(docs, name), old, old)
	}
	cmd, url, logs := serve()
	defer kill(cmd)
	if temps := check("restarted"); len(temps) > 0 {
		t.Errorf("after the restart: temporary files %q are still there\n%s", temps, logs.String())
	}
	resp, err := http.Get(url + "/v1/documents")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for name, content := range testdocs.ReadTree(t, docs) {
		if !bytes.Contains(body, []byte(`"id":"`+name+`"`)) || !bytes.Contains(body, []byte(testdocs.SHA256Hex(content))) {
			t.Errorf("after the restart the index does not list %s as the folder holds it: %s", name, body)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sentReader closes sent once left bytes are read; closing it closes the
// pipe it reads, so that the writer stops when the request fails.
type sentReader struct {
	r    *io.PipeReader
	left int
	sent chan struct{}
}

func (s *sentReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if s.left > 0 {
		if s.left -= n; s.left <= 0 {
			close(s.sent)
		}
	}
	return n, err
}

func (s *sentReader) Close() error { return s.r.Close() }
