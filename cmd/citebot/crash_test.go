//go:build unix

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"citebot/retrieval"
)

// The crash test's corpus: crashDocs generated documents beside the seeds,
// of which the new version drops every tenth (i%10 == 1), rewrites every
// third (i%3 == 0) and adds crashAdded more.
const (
	crashDocs  = 800
	crashAdded = 250
	// Kills: evenly over the run, at random over it, and evenly over
	// its Save.
	crashKills       = 20
	crashRandomKills = 5
	crashSaveKills   = 10
)

// TestIndexSurvivesKill kills a real `citebot index` process with SIGKILL
// at many moments of an incremental build and checks that each kill leaves
// an index that opens and answers, holding either the old corpus or the new
// one, and that the next run converges.
func TestIndexSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds citebot and indexes a large corpus many times")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "citebot")
	start := time.Now()
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built citebot in %v", time.Since(start).Round(time.Millisecond))

	// The child sees no citebot settings of whoever runs the tests: it
	// must embed with the built-in model, as retrieval.DefaultConfig does.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CITEBOT_") && !strings.HasPrefix(kv, "OPENAI_") {
			env = append(env, kv)
		}
	}
	docs := copySeeds(t)
	ix := filepath.Join(tmp, "index")
	cfg, err := retrieval.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}

	// run starts `citebot index` and, unless k.none, SIGKILLs it k.delay
	// after its start or, with k.afterSave, after a snapshot temporary
	// file it wrote appears (Save has begun). It reports whether the kill
	// ended the process (rather than the process finishing first), how
	// long it ran, and when Save began (-1 if that was not seen).
	run := func(k killAt) (killed bool, took, saveAt time.Duration, stdout string) {
		t.Helper()
		before := snapshotTemps(ix)
		cmd := exec.Command(bin, "index", "--docs", docs, "--index", ix, "--json")
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if !k.none && !k.afterSave {
			timer := time.AfterFunc(k.delay, func() { cmd.Process.Kill() })
			defer timer.Stop()
		}
		// Watch the index folder for the new snapshot's temporary file.
		saved := make(chan time.Duration, 1)
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			tick := time.NewTicker(time.Millisecond / 2)
			defer tick.Stop()
			for {
				select {
				case <-done:
					saved <- -1
					return
				case <-tick.C:
				}
				if !isSubset(snapshotTemps(ix), before) {
					saved <- time.Since(start)
					break
				}
			}
			if k.afterSave {
				select {
				case <-done:
				case <-time.After(k.delay):
					cmd.Process.Kill()
				}
			}
		})
		err := cmd.Wait()
		took = time.Since(start)
		close(done)
		wg.Wait()
		saveAt = <-saved
		var ee *exec.ExitError
		switch {
		case err == nil:
			return false, took, saveAt, out.String()
		case !k.none && errors.As(err, &ee):
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
				return true, took, saveAt, ""
			}
		}
		t.Fatalf("citebot index: %v\nstderr:\n%s", err, errb.String())
		return
	}
	complete := killAt{none: true}
	summary := func(stdout string) summaryJSON {
		t.Helper()
		var s summaryJSON
		if err := json.Unmarshal([]byte(stdout), &s); err != nil {
			t.Fatalf("index --json: %v\n%s", err, stdout)
		}
		return s
	}

	// The old corpus, indexed without interruption.
	for i := range crashDocs {
		writeFile(t, filepath.Join(docs, crashDocPath(i)), crashDoc(i, 1))
	}
	oldSet := corpusHashes(t, docs)
	_, took, _, out := run(complete)
	if s := summary(out); s.Added != len(oldSet) {
		t.Fatalf("first index: %+v, want %d added", s, len(oldSet))
	}
	t.Logf("old corpus: %d documents, indexed from scratch in %v", len(oldSet), took.Round(time.Millisecond))
	oldFiles := map[string][]byte{}
	entries, err := os.ReadDir(ix)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		oldFiles[e.Name()] = readFileT(t, filepath.Join(ix, e.Name()))
	}
	oldManifest := oldFiles[retrieval.ManifestFile]
	restoreOld := func() {
		t.Helper()
		// The old root, manifest and segments are put back. Temporary
		// files and segments a killed run left stay where they are, as
		// do the new index's segments: the next run must cope with them.
		for name, b := range oldFiles {
			if err := os.WriteFile(filepath.Join(ix, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The new corpus: documents removed, rewritten and added.
	for i := range crashDocs {
		p := filepath.Join(docs, crashDocPath(i))
		switch {
		case i%10 == 1:
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		case i%3 == 0:
			writeFile(t, p, crashDoc(i, 2))
		}
	}
	for j := range crashAdded {
		writeFile(t, filepath.Join(docs, crashAddedPath(j)), crashDoc(crashDocs+j, 1))
	}
	newSet := corpusHashes(t, docs)
	var changed, removed int
	for id, sum := range oldSet {
		if s, ok := newSet[id]; !ok {
			removed++
		} else if s != sum {
			changed++
		}
	}
	added := len(newSet) - (len(oldSet) - removed)

	// Facts the index must answer: one in a document both versions share,
	// and one whose number differs between them.
	stable := crashFact{doc: crashDocPath(2), i: 2, rev: 1}
	versioned := map[string]crashFact{
		"old": {doc: crashDocPath(0), i: 0, rev: 1},
		"new": {doc: crashDocPath(0), i: 0, rev: 2},
	}
	ctx := context.Background()

	// check opens the index as a server would and says which corpus it
	// holds; the manifest's corpus is returned beside it (it may lag by
	// one rename after a kill between the snapshot's and its own).
	opened := map[[sha256.Size]byte]string{}
	check := func(what string) (snap, manifest string, temps []string) {
		t.Helper()
		entries, err := os.ReadDir(ix)
		if err != nil {
			t.Fatal(err)
		}
		var segments []string
		for _, e := range entries {
			switch name := e.Name(); {
			case name == retrieval.SnapshotFile || name == retrieval.ManifestFile || name == ".lock":
			case isMatch(retrieval.SegmentGlob, name):
				segments = append(segments, name)
			case strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-"):
				temps = append(temps, name)
			default:
				t.Errorf("%s: unexpected file %s in the index folder", what, name)
			}
		}
		// Open is a function of the root snapshot's bytes and of the
		// segments it lists: an index already opened and searched (the
		// old one, put back or left alone by a kill) is not opened
		// again, which under -race takes a while.
		raw := readFileT(t, filepath.Join(ix, retrieval.SnapshotFile))
		h := sha256.New()
		h.Write(raw)
		for _, name := range segments {
			fi, err := os.Stat(filepath.Join(ix, name))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(h, "\n%s %d", name, fi.Size())
		}
		var sum [sha256.Size]byte
		h.Sum(sum[:0])
		snap, ok := opened[sum]
		if !ok {
			x, err := retrieval.NewFolderStore(ix, cfg).Open(ctx, nil)
			if err != nil {
				t.Fatalf("%s: the index does not open: %v", what, err)
			}
			got := map[string]string{}
			for _, d := range x.Documents() {
				got[d.ID] = d.SHA256
			}
			snap = whichCorpus(got, oldSet, newSet)
			if snap == "" {
				t.Fatalf("%s: the index holds %d documents, neither the old corpus (%d) nor the new one (%d)", what, len(got), len(oldSet), len(newSet))
			}
			for _, f := range []crashFact{stable, versioned[snap]} {
				f.check(t, ctx, x, what)
			}
			opened[sum] = snap
		}
		m, err := retrieval.ReadManifest(ix)
		if err != nil {
			t.Fatalf("%s: manifest: %v", what, err)
		}
		got := map[string]string{}
		for _, d := range m.Documents {
			got[d.ID] = d.SHA256
		}
		manifest = whichCorpus(got, oldSet, newSet)
		if manifest == "" {
			t.Errorf("%s: the manifest lists %d documents, neither the old corpus nor the new one", what, len(got))
		}
		trailer := hex.EncodeToString(raw[max(0, len(raw)-sha256.Size):])
		switch {
		case manifest == snap:
			if m.SnapshotSHA256 != trailer {
				t.Errorf("%s: the manifest describes snapshot %s, the folder holds %s", what, m.SnapshotSHA256, trailer)
			}
		case manifest != "old" || snap != "new":
			t.Errorf("%s: the manifest describes the %s corpus, the snapshot the %s one", what, manifest, snap)
		}
		// Segments the root does not list are leftovers, like temporary
		// files: the manifest, when it describes this root, says how
		// many it lists.
		if m.SnapshotSHA256 == trailer {
			for i := m.Segments; i < len(segments); i++ {
				temps = append(temps, "unlisted segment")
			}
		}
		if len(temps) > 3 {
			t.Errorf("%s: leftovers pile up: %q", what, temps)
		}
		return snap, manifest, temps
	}

	// Measure an uninterrupted update from the old index to the new
	// corpus, and when in it Save begins.
	var build, save time.Duration
	for range 2 {
		restoreOld()
		_, took, saveAt, out := run(complete)
		s := summary(out)
		if s.Added != added || s.Changed != changed || s.Removed != removed || s.Unchanged != len(newSet)-added-changed {
			t.Fatalf("update: %+v, want %d added, %d changed, %d removed", s, added, changed, removed)
		}
		build = max(build, took)
		if saveAt >= 0 {
			save = max(save, took-saveAt)
		}
	}
	if save == 0 {
		save = build / 5 // the temporary snapshot was never seen
	}
	start = time.Now()
	if snap, manifest, _ := check("after an uninterrupted update"); snap != "new" || manifest != "new" {
		t.Fatalf("after an uninterrupted update the index holds the %s corpus and the manifest the %s one", snap, manifest)
	}
	t.Logf("new corpus: %d documents (%d added, %d changed, %d removed); update run %v, of which saving and exiting %v (slowest of 2); checking an index takes %v",
		len(newSet), added, changed, removed, build.Round(time.Millisecond), save.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	// A kill between the snapshot's rename and the manifest's leaves the
	// new snapshot, the old manifest and the manifest's temporary file.
	// The kills below land there now and then; this makes sure of it.
	newManifest := readFileT(t, filepath.Join(ix, retrieval.ManifestFile))
	writeFile(t, filepath.Join(ix, retrieval.ManifestFile), string(oldManifest))
	writeFile(t, filepath.Join(ix, "."+retrieval.ManifestFile+".tmp-1234567890"), string(newManifest[:len(newManifest)/2]))
	_, _, _, out = run(complete)
	if s := summary(out); s.Unchanged != len(newSet) || s.Added+s.Changed+s.Removed != 0 {
		t.Errorf("index after a kill between the renames: %+v, want all %d unchanged", s, len(newSet))
	}
	if snap, manifest, temps := check("index after a kill between the renames"); snap != "new" || manifest != "new" || len(temps) > 0 {
		t.Errorf("index after a kill between the renames: snapshot %s, manifest %s, temporary files %q; want the new corpus and no temporary files (the run that repairs the manifest must also remove what the killed Save left)", snap, manifest, temps)
	}

	// The kill moments: evenly from 0 to 1.2 times the update and a few
	// at random, counted from the process's start; and, since saving is a
	// small part of a run whose length varies, a few counted from the
	// moment Save begins, evenly over 1.2 times its measured length.
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	span := build * 6 / 5
	var kills []killAt
	for i := range crashKills {
		kills = append(kills, killAt{delay: span * time.Duration(i) / (crashKills - 1)})
	}
	for range crashRandomKills {
		kills = append(kills, killAt{delay: time.Duration(rng.Int64N(int64(span)))})
	}
	for i := range crashSaveKills {
		kills = append(kills, killAt{afterSave: true, delay: save * 6 / 5 * time.Duration(i) / (crashSaveKills - 1)})
	}

	counts := map[string]int{}
	var lines []string
	var nOld, nNew, nFinished, nBetween int
	prev := "old"
	restoreOld()
	for n, k := range kills {
		// A kill that left the old index is followed by a run from that
		// state (temporary files and all); otherwise the old index is
		// put back, so that every run has an update to do.
		if prev != "old" {
			restoreOld()
		}
		killed, took, saveAt, _ := run(k)
		what := fmt.Sprintf("kill %d, %v after the start", n+1, k.delay.Round(time.Millisecond))
		if k.afterSave {
			what = fmt.Sprintf("kill %d, %v after Save began", n+1, k.delay.Round(time.Millisecond))
		}
		snap, manifest, temps := check(what)
		outcome := snap
		if !killed {
			outcome += " (finished)"
		}
		if manifest != snap {
			outcome += ", manifest " + manifest
		}
		if len(temps) > 0 {
			outcome += fmt.Sprintf(", %d temp", len(temps))
		}
		counts[outcome]++
		switch {
		case snap == "old":
			nOld++
		case !killed:
			nFinished++
		default:
			nNew++
		}
		if manifest != snap {
			nBetween++
		}
		ran := fmt.Sprintf("ran %v", took.Round(time.Millisecond))
		if saveAt >= 0 {
			ran += fmt.Sprintf(", Save from %v", saveAt.Round(time.Millisecond))
		}
		lines = append(lines, fmt.Sprintf("%s (%s): %s", what, ran, outcome))
		prev = snap
		if manifest != snap {
			// Killed between the snapshot's rename and the manifest's:
			// the next run must repair the manifest and clean up.
			_, _, _, out := run(complete)
			if s := summary(out); s.Unchanged != len(newSet) {
				t.Errorf("%s: the next index: %+v, want all %d unchanged", what, s, len(newSet))
			}
			if snap, manifest, temps := check(what + ", then index"); snap != "new" || manifest != "new" || len(temps) > 0 {
				t.Errorf("%s, then index: snapshot %s, manifest %s, temporary files %q; want the new corpus and no temporary files", what, snap, manifest, temps)
			}
		}
	}
	t.Logf("kill moments (seed %d):\n\t%s", seed, strings.Join(lines, "\n\t"))
	t.Logf("%d kills: %d left the old index, %d the new one (%d of them between the snapshot's rename and the manifest's); %d runs finished before their kill",
		len(kills), nOld, nNew, nBetween, nFinished)
	t.Logf("outcomes: %v", counts)

	// The next run converges, and the one after has nothing to do.
	_, _, _, out = run(complete)
	summary(out)
	if snap, manifest, temps := check("final index"); snap != "new" || manifest != "new" || len(temps) > 0 {
		t.Errorf("final index: snapshot %s, manifest %s, temporary files %q; want the new corpus and no temporary files", snap, manifest, temps)
	}
	_, _, _, out = run(complete)
	if s := summary(out); s.Unchanged != len(newSet) || s.Added+s.Changed+s.Removed != 0 {
		t.Errorf("index after the final one: %+v, want all %d unchanged", s, len(newSet))
	}
}

// killAt says when run kills `citebot index`.
type killAt struct {
	none      bool // never: let it finish
	afterSave bool // count delay from when Save begins, not from the start
	delay     time.Duration
}

// snapshotTemps lists the temporary files of snapshots (root and
// segments) in an index folder.
func snapshotTemps(dir string) []string {
	root, _ := filepath.Glob(filepath.Join(dir, "."+retrieval.SnapshotFile+".tmp-*"))
	segments, _ := filepath.Glob(filepath.Join(dir, "."+retrieval.SegmentGlob+".tmp-*"))
	return append(root, segments...)
}

// isMatch reports whether name matches the glob pattern.
func isMatch(pattern, name string) bool {
	ok, _ := filepath.Match(pattern, name)
	return ok
}

func isSubset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func crashDocPath(i int) string   { return fmt.Sprintf("gen/doc-%04d.md", i) }
func crashAddedPath(j int) string { return fmt.Sprintf("gen/added-%04d.md", j) }

// crashName is a made-up word unique to document i (i < 4096): three
// syllables of three letters, so no two names spell the same.
func crashName(i int) string {
	syl := []string{"kal", "mor", "vin", "tep", "dur", "pel", "sar", "gon", "fir", "bek", "lun", "hom", "zer", "nad", "rot", "wix"}
	n := syl[i>>8&15] + syl[i>>4&15] + syl[i&15]
	return strings.ToUpper(n[:1]) + n[1:]
}

// crashMaps is how many maps document i's archive holds in revision rev.
func crashMaps(i, rev int) int { return 100 + 7*i + 5000*rev }

var crashWords = strings.Fields(`river harbour council winter ledger survey merchant
	bridge festival granary orchard treaty lantern quarry mill chapel market ferry
	garrison beacon meadow parish tannery foundry school library canal road toll
	census harvest flood drought fleet guild charter museum observatory workshop
	printing press clockmaker weaver potter blacksmith shepherd fisherman miller
	recorded noted described measured repaired rebuilt expanded moved opened closed
	northern southern eastern western old new upper lower great small long narrow`)

// crashDoc is generated document i in revision rev: a few kilobytes of
// filler around one fact about its archive.
func crashDoc(i, rev int) string {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	name := crashName(i)
	var b strings.Builder
	fmt.Fprintf(&b, "# Field report on %s\n\n", name)
	for p := range 7 {
		if p == 3 {
			fmt.Fprintf(&b, "The archive of %s holds %d maps, catalogued in revision %d.\n\n", name, crashMaps(i, rev), rev)
		}
		for range 5 {
			n := 8 + r.IntN(8)
			for w := range n {
				word := crashWords[r.IntN(len(crashWords))]
				if w == 0 {
					word = strings.ToUpper(word[:1]) + word[1:]
				}
				b.WriteString(word)
				if w < n-1 {
					b.WriteByte(' ')
				}
			}
			b.WriteString(". ")
		}
		b.WriteString("\n\n")
	}
	return b.String()
}

// crashFact is the archive fact of document i in revision rev.
type crashFact struct {
	doc    string
	i, rev int
}

func (f crashFact) check(t *testing.T, ctx context.Context, x *retrieval.Index, what string) {
	t.Helper()
	q := fmt.Sprintf("How many maps does the archive of %s hold?", crashName(f.i))
	want := fmt.Sprintf("holds %d maps", crashMaps(f.i, f.rev))
	ps, err := x.Search(ctx, q, 5)
	if err != nil {
		t.Fatalf("%s: search %q: %v", what, q, err)
	}
	for _, p := range ps {
		if p.DocID == f.doc && strings.Contains(p.Text, want) {
			return
		}
	}
	var got []string
	for _, p := range ps {
		got = append(got, fmt.Sprintf("%s %q", p.DocID, p.Text[:min(len(p.Text), 80)]))
	}
	t.Errorf("%s: search %q finds no passage of %s saying %q; got:\n%s", what, q, f.doc, want, strings.Join(got, "\n"))
}

// corpusHashes maps each document of a docs folder to its sha256.
func corpusHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(path); ext != ".md" && ext != ".txt" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// whichCorpus says whether got is the old or the new corpus, or "".
func whichCorpus(got, old, new map[string]string) string {
	switch {
	case maps.Equal(got, old):
		return "old"
	case maps.Equal(got, new):
		return "new"
	}
	return ""
}

func readFileT(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
