package httpapi

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the service's Prometheus metrics, served at /metrics. They
// also observe the corpus (answers, reindexes), whichever front end
// caused them.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	answers    *prometheus.CounterVec
	reindexes  *prometheus.CounterVec
	reindexDur prometheus.Histogram
	documents  prometheus.Gauge
	chunks     prometheus.Gauge
	fallbacks  *prometheus.CounterVec
	changes    *prometheus.CounterVec
	routes     routeCache
}

// NewMetrics registers citebot's metrics, with the Go runtime's and the
// process's, on a registry of their own (tests run several servers in one
// process).
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "citebot_http_requests_total", Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "citebot_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "citebot_answers_total", Help: "Questions answered, by result: found (cited) or refused (the documents don't say).",
		}, []string{"result"}),
		reindexes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "citebot_reindex_total", Help: "Reindexes, by result (ok or error).",
		}, []string{"result"}),
		reindexDur: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "citebot_reindex_duration_seconds", Help: "How long reindexes take.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 9), // 10 ms to 11 min
		}),
		documents: prometheus.NewGauge(prometheus.GaugeOpts{Name: "citebot_index_documents", Help: "Documents in the index being served."}),
		chunks:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "citebot_index_chunks", Help: "Chunks in the index being served."}),
	}
	m.fallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "citebot_llm_fallbacks_total", Help: "Generative answers that fell back to extractive ones, by reason.",
	}, []string{"reason"})
	m.changes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "citebot_document_changes_total", Help: "Documents added, changed or removed, as found by reindexes.",
	}, []string{"kind"})
	reg.MustRegister(m.requests, m.latency, m.answers, m.reindexes, m.reindexDur, m.documents, m.chunks, m.fallbacks, m.changes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, r := range []string{"found", "refused"} {
		m.answers.WithLabelValues(r) // present from the start, at 0
	}
	for _, r := range []string{"ok", "error"} {
		m.reindexes.WithLabelValues(r)
	}
	return m
}

// Registry is where other front ends register their metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *Metrics) observeRequest(route string, status int, took time.Duration) {
	m.routes.series(m, route, status).observe(took)
}

// routeSeries are one route's and status's request counter and latency
// histogram. Routes and statuses are few, and looking their series up by
// label values (hashing, a slice of them, the status as a string) on
// every request cost more than the counting.
type routeSeries struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

func (s routeSeries) observe(took time.Duration) {
	s.requests.Inc()
	s.latency.Observe(took.Seconds())
}

type routeStatus struct {
	route  string
	status int
}

type routeCache struct {
	mu sync.RWMutex
	m  map[routeStatus]routeSeries
}

func (c *routeCache) series(m *Metrics, route string, status int) routeSeries {
	k := routeStatus{route, status}
	c.mu.RLock()
	s, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return s
	}
	s = routeSeries{m.requests.WithLabelValues(route, strconv.Itoa(status)), m.latency.WithLabelValues(route)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[routeStatus]routeSeries{}
	}
	c.m[k] = s
	return s
}

// Answered counts an answer (corpus.Observer).
func (m *Metrics) Answered(found bool) {
	if found {
		m.answers.WithLabelValues("found").Inc()
	} else {
		m.answers.WithLabelValues("refused").Inc()
	}
}

// Reindexed records a reindex (corpus.Observer).
func (m *Metrics) Reindexed(took time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.reindexes.WithLabelValues(result).Inc()
	m.reindexDur.Observe(took.Seconds())
}

// Served records the size of the index now served (corpus.Observer).
func (m *Metrics) Served(docs, chunks int) {
	m.documents.Set(float64(docs))
	m.chunks.Set(float64(chunks))
}

// LLMFallback counts a generative answer that fell back to an extractive
// one (answer.Generative.OnFallback).
func (m *Metrics) LLMFallback(reason string) {
	m.fallbacks.WithLabelValues(reason).Inc()
}

// DocumentsChanged counts what a reindex found changed.
func (m *Metrics) DocumentsChanged(added, changed, removed int) {
	m.changes.WithLabelValues("added").Add(float64(added))
	m.changes.WithLabelValues("changed").Add(float64(changed))
	m.changes.WithLabelValues("removed").Add(float64(removed))
}
