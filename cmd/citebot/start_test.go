package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The command links nothing of a Weaviate client: Go initialises every
// linked package at start, so a dependency unused by the embedded store
// still costs every command.
func TestNoWeaviateClientLinked(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/weaviate/", "google.golang.org/grpc", "github.com/go-openapi/", "go.mongodb.org/"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("citebot links %s", dep)
			}
		}
	}
}

// A cold ask on the seeds does little before main (package initialisation
// allocates within a budget: the Weaviate client's dependencies, the web
// templates and the regular expressions compiled at init took 35,000
// allocations, 4 MB) and collects garbage at most once (deferCollection
// keeps the collector off while it is small).
func TestColdAsk(t *testing.T) {
	if testing.Short() {
		t.Skip("builds citebot")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	bin := filepath.Join(t.TempDir(), "citebot")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ix := seedIndex(t)
	cmd := exec.Command(bin, "ask", "--docs", seeds, "--index", ix, "When did the SCO agreement come into effect?")
	cmd.Env = []string{"GODEBUG=inittrace=1,gctrace=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("ask: %v\n%s", err, stderr.String())
	}
	t.Logf("cold ask in %v (traced)", time.Since(start).Round(time.Microsecond))
	if !strings.Contains(stdout.String(), "January 5, 2012") {
		t.Errorf("the answer misses the fact:\n%s", stdout.String())
	}
	var packages, allocs, bytesAlloc, gcs int
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		// init PKG @T ms, C ms clock, B bytes, A allocs
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 11 && f[0] == "init":
			packages++
			b, errB := strconv.Atoi(f[7])
			a, errA := strconv.Atoi(f[9])
			if errB != nil || errA != nil {
				t.Fatalf("unexpected init trace line %q", sc.Text())
			}
			bytesAlloc += b
			allocs += a
		case len(f) > 2 && f[0] == "gc" && strings.HasPrefix(f[2], "@"):
			gcs++
		}
	}
	t.Logf("init: %d packages, %d allocations, %d bytes; %d collections", packages, allocs, bytesAlloc, gcs)
	if packages == 0 {
		t.Fatal("no init trace: GODEBUG=inittrace=1 printed nothing")
	}
	if allocs > 6000 || bytesAlloc > 1500000 {
		t.Errorf("package initialisation allocates %d times, %d bytes; budget 6,000 and 1.5 MB", allocs, bytesAlloc)
	}
	if gcs > 1 {
		t.Errorf("%d garbage collections in a cold ask on the seeds, want at most 1", gcs)
	}
}
