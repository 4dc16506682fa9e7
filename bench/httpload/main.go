// Command httpload is the HTTP load generator of bench/http.sh: c workers,
// each on its own keep-alive connection, send requests back to back for a
// duration (after a warm-up that is not measured) and it prints the
// throughput, latency percentiles, failures and mean response size. Bodies
// come from one file or from a file of JSON lines, used round-robin, so the
// load can cover many different questions.
//
//	httpload -url http://127.0.0.1:8080/v1/ask -bodies questions.jsonl -c 16 -d 10s
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type options struct {
	url         string
	method      string
	bodyFile    string
	bodies      string
	contentType string
	headers     headerFlags
	conns       int
	duration    time.Duration
	warmup      time.Duration
	requests    int
	timeout     time.Duration
	jsonOut     bool
	failOnError bool
	progress    bool
	serverPID   int
	once        bool
}

// headerFlags collects repeated -H "Name: value" flags.
type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "URL to send requests to (required)")
	flag.StringVar(&o.method, "method", "", "HTTP method (default POST with a body, else GET)")
	flag.StringVar(&o.bodyFile, "body-file", "", "file whose whole content is every request's body")
	flag.StringVar(&o.bodies, "bodies", "", "file of JSON lines, one request body per line, used round-robin")
	flag.StringVar(&o.contentType, "content-type", "application/json", "Content-Type of request bodies")
	flag.Var(&o.headers, "H", `extra request header "Name: value" (repeatable)`)
	flag.IntVar(&o.conns, "c", 16, "concurrent connections (one worker each)")
	flag.DurationVar(&o.duration, "d", 10*time.Second, "measured duration")
	flag.DurationVar(&o.warmup, "warmup", 1*time.Second, "unmeasured warm-up before the measured duration")
	flag.IntVar(&o.requests, "n", 0, "stop after this many measured requests instead of after -d (no warm-up then unless set)")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-request timeout (a timeout is a transport error)")
	flag.BoolVar(&o.jsonOut, "json", false, "print the result as one JSON object")
	flag.BoolVar(&o.failOnError, "fail-on-error", false, "exit 1 if any request (warm-up included) failed: non-2xx or a transport error")
	flag.BoolVar(&o.progress, "progress", false, "print requests/s and the slowest request of every second to stderr")
	flag.IntVar(&o.serverPID, "server-pid", 0, "process id of the server, to report its CPU use (Linux)")
	flag.BoolVar(&o.once, "once", false, "send each body of -bodies at most once (warm-up included), stopping early when they run out, so no request repeats")
	flag.Parse()

	res, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpload:", err)
		os.Exit(2)
	}
	if o.jsonOut {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
	} else {
		res.print(os.Stdout)
	}
	if o.failOnError && res.Failed() > 0 {
		fmt.Fprintf(os.Stderr, "httpload: %d requests failed\n", res.Failed())
		os.Exit(1)
	}
}

// Result is what one run measured. Latencies are in milliseconds.
type Result struct {
	URL          string  `json:"url"`
	Conns        int     `json:"conns"`
	Seconds      float64 `json:"seconds"`
	Requests     int     `json:"requests"`
	RPS          float64 `json:"rps"`
	P50          float64 `json:"p50_ms"`
	P90          float64 `json:"p90_ms"`
	P99          float64 `json:"p99_ms"`
	Max          float64 `json:"max_ms"`
	Mean         float64 `json:"mean_ms"`
	MeanBytes    float64 `json:"mean_bytes"`
	Non2xx       int     `json:"non_2xx"`
	Errors       int     `json:"transport_errors"`
	WarmupFailed int     `json:"warmup_failed"`
	// Exhausted says that -once ran out of bodies before the duration
	// ended: the run measured less time than asked.
	Exhausted bool `json:"bodies_exhausted,omitempty"`
	// Statuses counts the measured responses by status code.
	Statuses map[string]int `json:"statuses"`
	// FirstErrors holds up to five failures as text, to say what went wrong.
	FirstErrors []string `json:"first_errors,omitempty"`
	// CPU is where the processor time went while measuring (Linux only).
	CPU *CPU `json:"cpu,omitempty"`
}

// Failed is every failed request, warm-up included.
func (r *Result) Failed() int { return r.Non2xx + r.Errors + r.WarmupFailed }

func (r *Result) print(w io.Writer) {
	fmt.Fprintf(w, "%s: %d connections, %d requests in %.2fs\n", r.URL, r.Conns, r.Requests, r.Seconds)
	fmt.Fprintf(w, "  requests/s  %.0f\n", r.RPS)
	fmt.Fprintf(w, "  latency ms  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  mean %.3f\n", r.P50, r.P90, r.P99, r.Max, r.Mean)
	fmt.Fprintf(w, "  failed      non-2xx %d  transport errors %d  (warm-up %d)\n", r.Non2xx, r.Errors, r.WarmupFailed)
	fmt.Fprintf(w, "  mean response bytes  %.0f\n", r.MeanBytes)
	if r.Exhausted {
		fmt.Fprintf(w, "  -once: the bodies ran out before the duration ended\n")
	}
	codes := make([]string, 0, len(r.Statuses))
	for c := range r.Statuses {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Fprintf(w, "  status %s  %d\n", c, r.Statuses[c])
	}
	for _, e := range r.FirstErrors {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
	if r.CPU != nil {
		fmt.Fprintf(w, "  cpu         %s\n", r.CPU)
	}
}

// sample is one measured request.
type sample struct {
	took   time.Duration
	bytes  int64
	status int // 0: transport error
}

// worker is one connection's requests.
type worker struct {
	samples      []sample
	warmupFailed int
	errs         []string
}

func run(o options) (*Result, error) {
	if o.url == "" {
		return nil, errors.New("-url is required")
	}
	if o.conns < 1 {
		return nil, errors.New("-c must be at least 1")
	}
	if o.requests == 0 && o.duration <= 0 {
		return nil, errors.New("-d must be positive")
	}
	if o.bodyFile != "" && o.bodies != "" {
		return nil, errors.New("give -body-file or -bodies, not both")
	}
	if o.once && o.bodies == "" {
		return nil, errors.New("-once needs -bodies")
	}
	bodies, err := loadBodies(o.bodyFile, o.bodies)
	if err != nil {
		return nil, err
	}
	if o.method == "" {
		o.method = http.MethodGet
		if bodies != nil {
			o.method = http.MethodPost
		}
	}
	header := http.Header{}
	for _, h := range o.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return nil, fmt.Errorf("-H %q: want \"Name: value\"", h)
		}
		header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	if bodies != nil && header.Get("Content-Type") == "" {
		header.Set("Content-Type", o.contentType)
	}
	// Check the URL once rather than in every worker.
	if _, err := http.NewRequest(o.method, o.url, nil); err != nil {
		return nil, err
	}

	warmup := o.warmup
	if o.requests > 0 && !flagSet("warmup") {
		warmup = 0
	}
	var (
		next     atomic.Uint64 // round-robin position in bodies
		budget   atomic.Int64  // measured requests left, with -n
		measured atomic.Bool
		stop     atomic.Bool
		// exhausted: -once ran out of bodies.
		exhausted atomic.Bool
		perSec    = newTicker(o.progress)
	)
	budget.Store(int64(o.requests))

	var measureStart time.Time
	var cpu0 cpuSnap
	if warmup <= 0 {
		cpu0 = snapCPU(o.serverPID)
		measureStart = time.Now()
		measured.Store(true)
	}
	workers := make([]*worker, o.conns)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{}
		workers[i] = w
		// One transport, hence one keep-alive connection, per worker.
		tr := &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        1,
			MaxIdleConnsPerHost: 1,
			MaxConnsPerHost:     1,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		}
		client := &http.Client{Transport: tr, Timeout: o.timeout}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer tr.CloseIdleConnections()
			for !stop.Load() {
				isMeasured := measured.Load()
				if isMeasured && o.requests > 0 && budget.Add(-1) < 0 {
					return
				}
				var body []byte
				if bodies != nil {
					i := next.Add(1) - 1
					if o.once && i >= uint64(len(bodies)) {
						exhausted.Store(true)
						stop.Store(true)
						return
					}
					body = bodies[i%uint64(len(bodies))]
				}
				s, err := do(client, o.method, o.url, header, body)
				switch {
				case !isMeasured:
					if err != nil || s.status/100 != 2 {
						w.warmupFailed++
						w.noteError(s, err)
					}
				default:
					w.samples = append(w.samples, s)
					if err != nil || s.status/100 != 2 {
						w.noteError(s, err)
					}
					perSec.add(s.took)
				}
			}
		}()
	}

	if warmup > 0 {
		time.Sleep(warmup)
		cpu0 = snapCPU(o.serverPID)
		measureStart = time.Now()
		measured.Store(true)
	}
	perSec.start(measureStart)
	if o.requests == 0 {
		// The duration, or less if -once runs out of bodies first.
		deadline := time.Now().Add(o.duration)
		for !stop.Load() && time.Now().Before(deadline) {
			time.Sleep(min(10*time.Millisecond, time.Until(deadline)))
		}
		stop.Store(true)
	}
	wg.Wait()
	elapsed := time.Since(measureStart)
	cpu1 := snapCPU(o.serverPID)
	perSec.stop()

	r := summarize(o, workers, elapsed)
	r.CPU = cpuBetween(cpu0, cpu1)
	r.Exhausted = exhausted.Load()
	return r, nil
}

// do sends one request and reads the whole response, so the connection
// is reused.
func do(client *http.Client, method, url string, header http.Header, body []byte) (sample, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	if err != nil {
		return sample{}, err
	}
	req.Header = header.Clone()
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return sample{took: time.Since(t0)}, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s := sample{took: time.Since(t0), bytes: n, status: resp.StatusCode}
	if err != nil {
		s.status = 0
		return s, fmt.Errorf("reading the response: %w", err)
	}
	return s, nil
}

func (w *worker) noteError(s sample, err error) {
	if len(w.errs) >= 5 {
		return
	}
	if err != nil {
		w.errs = append(w.errs, err.Error())
	} else {
		w.errs = append(w.errs, fmt.Sprintf("status %d", s.status))
	}
}

func summarize(o options, workers []*worker, elapsed time.Duration) *Result {
	r := &Result{URL: o.url, Conns: o.conns, Seconds: elapsed.Seconds(), Statuses: map[string]int{}}
	var lat []time.Duration
	var bytesSum int64
	var okCount int
	for _, w := range workers {
		r.WarmupFailed += w.warmupFailed
		for _, e := range w.errs {
			if len(r.FirstErrors) < 5 {
				r.FirstErrors = append(r.FirstErrors, e)
			}
		}
		for _, s := range w.samples {
			lat = append(lat, s.took)
			switch {
			case s.status == 0:
				r.Errors++
				r.Statuses["error"]++
				continue
			case s.status/100 != 2:
				r.Non2xx++
			}
			r.Statuses[fmt.Sprint(s.status)]++
			bytesSum += s.bytes
			okCount++
		}
	}
	r.Requests = len(lat)
	if elapsed > 0 {
		r.RPS = float64(r.Requests) / elapsed.Seconds()
	}
	if okCount > 0 {
		r.MeanBytes = float64(bytesSum) / float64(okCount)
	}
	if len(lat) == 0 {
		return r
	}
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	r.P50 = ms(percentile(lat, 0.50))
	r.P90 = ms(percentile(lat, 0.90))
	r.P99 = ms(percentile(lat, 0.99))
	r.Max = ms(lat[len(lat)-1])
	r.Mean = ms(sum / time.Duration(len(lat)))
	return r
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(sorted))+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// loadBodies reads the request bodies: nil for none.
func loadBodies(bodyFile, linesFile string) ([][]byte, error) {
	switch {
	case bodyFile != "":
		b, err := os.ReadFile(bodyFile)
		if err != nil {
			return nil, err
		}
		return [][]byte{b}, nil
	case linesFile != "":
		f, err := os.Open(linesFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		var out [][]byte
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		for n := 1; sc.Scan(); n++ {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			if !json.Valid(line) {
				return nil, fmt.Errorf("%s:%d: not a JSON value", linesFile, n)
			}
			out = append(out, bytes.Clone(line))
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s holds no bodies", linesFile)
		}
		return out, nil
	}
	return nil, nil
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// ticker prints, with -progress, each second's requests and its slowest
// request, so a stall (a reindex, a GC pause) shows when it happened.
type ticker struct {
	on   bool
	mu   sync.Mutex
	n    int
	slow time.Duration
	done chan struct{}
	wg   sync.WaitGroup
}

func newTicker(on bool) *ticker { return &ticker{on: on, done: make(chan struct{})} }

func (t *ticker) add(d time.Duration) {
	if !t.on {
		return
	}
	t.mu.Lock()
	t.n++
	t.slow = max(t.slow, d)
	t.mu.Unlock()
}

func (t *ticker) start(from time.Time) {
	if !t.on {
		return
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			select {
			case <-t.done:
				return
			case now := <-tk.C:
				t.mu.Lock()
				n, slow := t.n, t.slow
				t.n, t.slow = 0, 0
				t.mu.Unlock()
				fmt.Fprintf(os.Stderr, "  t=%4.1fs  %6d req/s  slowest %.1f ms\n", now.Sub(from).Seconds(), n, ms(slow))
			}
		}
	}()
}

func (t *ticker) stop() {
	if !t.on {
		return
	}
	close(t.done)
	t.wg.Wait()
}
