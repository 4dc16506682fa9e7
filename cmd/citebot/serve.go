package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"citebot/access"
	"citebot/bot"
	"citebot/corpus"
	"citebot/docfolder"
	"citebot/httpapi"
	"citebot/loader"
	"citebot/retrieval"
	"citebot/watch"
	"citebot/web"
)

// defaultAddr is where serve listens, and health asks, unless told.
const defaultAddr = "127.0.0.1:8080"

// serveFlags are the flags only serve has.
type serveFlags struct {
	addr            *string
	adminToken      *string
	rateLimit       *float64
	rateBurst       *int
	logLevel        *string
	logFormat       *string
	logQuestions    *bool
	answerCache     *int
	shutdownTimeout *time.Duration
	telegramAllow   *string
	telegramAdmins  *string
	webhookURL      *string
	webhookSecret   *string
	watch           *bool
	watchDelay      *time.Duration
	weaviatePoll    *time.Duration
	maxConns        *int
	maxClientConns  *int
	apiKeys         *string
	metricsAuth     *bool
	corsOrigins     *string
}

func addServeFlags(f *commonFlags) serveFlags {
	fs := f.fs
	return serveFlags{
		addr:            fs.String("addr", defaultAddr, "address to serve HTTP on"),
		adminToken:      fs.String("admin-token", "", "bearer token that enables POST /v1/reindex, adding or removing documents over HTTP, and the web page's maintenance view, /admin (prefer CITEBOT_ADMIN_TOKEN: flags show in ps)"),
		rateLimit:       fs.Float64("rate-limit", 0, "requests per second per client on /v1/ routes (0: no limit)"),
		rateBurst:       fs.Int("rate-burst", 0, "requests a client may send at once above the rate (0: the rate, at least 1)"),
		logLevel:        fs.String("log-level", "info", "debug, info, warn or error"),
		logFormat:       fs.String("log-format", "text", "text or json"),
		logQuestions:    fs.Bool("log-questions", false, "log question text at info level (otherwise only at debug)"),
		answerCache:     fs.Int("answer-cache", 1024, "answers kept for repeated questions, per index (0: off)"),
		shutdownTimeout: fs.Duration("shutdown-timeout", 30*time.Second, "how long requests in flight may take to finish on SIGINT/SIGTERM"),
		telegramAllow:   fs.String("telegram-allow", "", "Telegram user or chat ids answered, comma-separated (empty: everyone)"),
		telegramAdmins:  fs.String("telegram-admins", "", "Telegram user ids that may run /reindex, send documents to add them, /remove and /documents, comma-separated"),
		webhookURL:      fs.String("telegram-webhook-url", "", "public HTTPS URL that reaches POST /telegram/webhook of this server; switches the bot from long polling to a webhook"),
		webhookSecret:   fs.String("telegram-webhook-secret", "", "secret token Telegram sends with each webhook update (random when empty; set it when several replicas share the webhook)"),
		watch:           fs.Bool("watch", false, "reindex live when files in --docs are added, changed, renamed or removed"),
		watchDelay:      fs.Duration("watch-delay", 2*time.Second, "with --watch, how long changes must settle before the reindex"),
		weaviatePoll:    fs.Duration("weaviate-poll", 2*time.Second, "with --store weaviate, how often to check whether another replica reindexed (0: never)"),
		maxConns:        fs.Int("max-conns", 0, "connections held at once; at the limit the longest idle one is closed for a new one (0: three quarters of the file limit)"),
		maxClientConns:  fs.Int("max-conns-per-client", 0, "connections one client address may hold (0: a quarter of --max-conns, at least 16)"),
		apiKeys:         fs.String("api-keys", "", "file of API keys, one per line as 'name: key' or 'key' (# comments); the read routes and the web page then need Authorization: Bearer <key> (reread on SIGHUP)"),
		metricsAuth:     fs.Bool("metrics-auth", false, "/metrics needs the admin token (--admin-token)"),
		corsOrigins:     fs.String("cors-origins", "", "origins whose browser pages may call the /v1/ routes, comma-separated (https://app.example), or * for the read routes only"),
	}
}

func (s serveFlags) logger(stderr io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(*s.logLevel)); err != nil {
		return nil, usagef("log-level must be debug, info, warn or error, got %q", *s.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch *s.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, opts)), nil
	}
	return nil, usagef("log-format must be text or json, got %q", *s.logFormat)
}

func (s serveFlags) validate() error {
	switch {
	case *s.rateLimit < 0:
		return usagef("rate-limit must be ≥ 0, got %v", *s.rateLimit)
	case *s.rateBurst < 0:
		return usagef("rate-burst must be ≥ 0, got %d", *s.rateBurst)
	case *s.answerCache < 0:
		return usagef("answer-cache must be ≥ 0, got %d", *s.answerCache)
	case *s.shutdownTimeout <= 0:
		return usagef("shutdown-timeout must be positive, got %v", *s.shutdownTimeout)
	case *s.weaviatePoll < 0:
		return usagef("weaviate-poll must be ≥ 0, got %v", *s.weaviatePoll)
	case *s.maxConns < 0:
		return usagef("max-conns must be ≥ 0, got %d", *s.maxConns)
	case *s.maxClientConns < 0:
		return usagef("max-conns-per-client must be ≥ 0, got %d", *s.maxClientConns)
	case *s.watchDelay <= 0:
		return usagef("watch-delay must be positive, got %v", *s.watchDelay)
	case strings.TrimSpace(*s.adminToken) != *s.adminToken:
		return usagef("admin-token has surrounding spaces; a bearer token cannot carry them")
	case *s.webhookURL != "" && !strings.HasPrefix(*s.webhookURL, "https://") && !strings.HasPrefix(*s.webhookURL, "http://"):
		return usagef("telegram-webhook-url must be an http(s) URL, got %q", *s.webhookURL)
	case !webhookSecretRe().MatchString(*s.webhookSecret):
		return usagef("telegram-webhook-secret may hold only A-Z, a-z, 0-9, _ and - (at most 256), as Telegram requires")
	case *s.metricsAuth && *s.adminToken == "":
		return usagef("metrics-auth limits /metrics to the admin token, and none is set (--admin-token or CITEBOT_ADMIN_TOKEN)")
	}
	if _, err := httpapi.ParseOrigins(*s.corsOrigins); err != nil {
		return usagef("cors-origins: %v", err)
	}
	for _, l := range []struct{ name, v string }{{"telegram-allow", *s.telegramAllow}, {"telegram-admins", *s.telegramAdmins}} {
		if _, err := parseIDs(l.v); err != nil {
			return usagef("%s: %v", l.name, err)
		}
	}
	return nil
}

// The regular expressions here are compiled on first use, not at init:
// compiled at init, every citebot command paid for them at start.

var webhookSecretRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{0,256}$`) })

// parseIDs reads a comma-separated list of Telegram ids ("12345, -100987").
func parseIDs(s string) ([]int64, error) {
	var ids []int64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a Telegram id (a whole number)", f)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// runServe serves the HTTP API and the web page until ctx is canceled (SIGINT, SIGTERM),
// then lets requests in flight finish and returns nil. The listener opens
// first, so /healthz answers at once; /readyz turns 200 when the index is
// loaded. SIGHUP reindexes live.
func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	f := newFlags("serve", stderr)
	sf := addServeFlags(f)
	lf := addLLMFlags(f.fs)
	c, rest, err := parse(f, args, getenv)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("serve takes no arguments, got %q", rest)
	}
	if err := sf.validate(); err != nil {
		return err
	}
	log, err := sf.logger(stderr)
	if err != nil {
		return err
	}
	llm, err := lf.resolve(getenv)
	if err != nil {
		return err
	}
	rc, err := retrievalConfig(c)
	if err != nil {
		return err
	}
	var keys *access.Keyring
	if *sf.apiKeys != "" {
		if keys, err = access.Open(*sf.apiKeys); err != nil {
			return usagef("api-keys: %w", err)
		}
	}

	// Whichever way serve returns, everything started below stops.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	metrics := httpapi.NewMetrics()
	store := storeFor(c, rc, false)
	var meters meterSlot
	updater := func(ctx context.Context, prev *retrieval.Index) (retrieval.UpdateResult, error) {
		return store.update(meters.start(ctx), c, prev)
	}
	gen := generative(c, llm, log, metrics.LLMFallback)
	compose := composer(c, gen)
	live := corpus.New(ctx, updater, compose, corpus.Options{CacheSize: *sf.answerCache, Observer: settlingObserver{metrics, getenv},
		Streamer: streamer(gen), Conversational: gen != nil})
	defer live.Wait()
	// The admin's changes to the documents (HTTP, Telegram) go into --docs;
	// a replica that serves a shared store without a folder has none.
	var docs *docfolder.Folder
	if c.Docs != "" {
		docs = docfolder.New(c.Docs, c.MaxFileBytes, live)
		if removed, err := docs.Clean(); len(removed) > 0 {
			log.Info("removed the temporary files of uploads a crash cut short", "docs", c.Docs, "files", removed)
		} else if err != nil {
			log.Debug("could not look for leftover uploads", "docs", c.Docs, "err", err)
		}
	}

	var tgBot *bot.Bot
	if token := getenv("TELEGRAM_BOT_TOKEN"); token != "" {
		allow, _ := parseIDs(*sf.telegramAllow)
		admins, _ := parseIDs(*sf.telegramAdmins)
		bc := bot.Config{Token: token, APIURL: getenv("TELEGRAM_API_URL"), Allow: allow, Admins: admins,
			WebhookURL: *sf.webhookURL, WebhookSecret: *sf.webhookSecret, K: c.K, Logger: log,
			DrainTimeout: *sf.shutdownTimeout}
		if docs != nil { // a nil *Folder in the interface would not read as none
			bc.Documents = docs
		}
		tgBot, err = bot.New(ctx, bc, live)
		if err != nil {
			return err
		}
	} else if *sf.webhookURL != "" {
		return usagef("telegram-webhook-url is set but TELEGRAM_BOT_TOKEN is not")
	}
	if strings.HasPrefix(*sf.webhookURL, "http://") && getenv("TELEGRAM_API_URL") == "" {
		return usagef("telegram-webhook-url must be https:// (Telegram refuses plain HTTP webhooks; only a self-hosted Bot API server, TELEGRAM_API_URL, accepts them)")
	}
	apiCfg := httpapi.Config{
		AdminToken: *sf.adminToken, DefaultK: c.K,
		RateLimit: *sf.rateLimit, RateBurst: *sf.rateBurst, LogQuestions: *sf.logQuestions,
		MetricsAuth: *sf.metricsAuth,
	}
	apiCfg.CORSOrigins, _ = httpapi.ParseOrigins(*sf.corsOrigins) // checked by validate
	if keys != nil {
		apiCfg.Keys = keys // only when set: a nil *Keyring in the interface would guard with no keys
	}
	if tgBot != nil && *sf.webhookURL != "" {
		apiCfg.TelegramWebhook = tgBot.WebhookHandler()
	}
	// The web page answers on the same port, from the same corpus, and
	// changes the documents through the same folder as the API; with
	// read keys, its sign-in form lets browsers in.
	webCfg := web.Config{AdminToken: *sf.adminToken, DefaultK: c.K, LogQuestions: *sf.logQuestions}
	if docs != nil { // a nil *Folder in an interface would not read as none
		apiCfg.Documents, webCfg.Documents = docs, docs
	}
	if keys != nil {
		webCfg.Keys = keys
	}
	pages := web.New(webCfg, live, live, log)
	apiCfg.Pages = pages
	if keys != nil {
		apiCfg.Session, apiCfg.SignIn = pages.Session, "/signin"
	}
	api := httpapi.NewServer(apiCfg, live, log, metrics)
	ln, err := net.Listen("tcp", *sf.addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv := httpapi.NewHTTPServer(*sf.addr, api, log)
	maxConns := cmp.Or(*sf.maxConns, httpapi.DefaultMaxConns())
	guard := httpapi.NewConnGuard(maxConns, cmp.Or(*sf.maxClientConns, max(16, maxConns/4)), 5*time.Second)
	ln = guard.Listener(ln)
	srv.ConnState = guard.ConnState
	// SIGHUP is caught before anyone can learn the address: uncaught, it
	// would end the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	log.Info("listening", "addr", ln.Addr().String(), "docs", c.Docs, "index", store.where, "reindex_enabled", *sf.adminToken != "",
		"api_keys", keys.Len(), "cors_origins", strings.Join(apiCfg.CORSOrigins, ","))
	if keys == nil && !isLoopback(ln.Addr()) {
		log.Warn("listening beyond this machine without --api-keys: anyone who reaches the port can ask, read every document and call the chat API",
			"addr", ln.Addr().String())
	}

	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // before wg.Wait: the goroutines end with ctx
	wg.Add(2)
	nothingToServe := make(chan error, 1)
	go func() {
		defer wg.Done()
		// The first index of a large folder takes a while: its
		// progress is logged until it is ready.
		pctx, stop := context.WithCancel(ctx)
		go logProgress(pctx, log, &meters, 5*time.Second)
		err := loadFirst(ctx, live, store, c, log)
		stop()
		if err != nil {
			nothingToServe <- err
		}
	}()
	// SIGHUP also re-arms the watcher: whatever happened to the folder,
	// it then watches the folder as it is now.
	rearmWatch := make(chan struct{}, 1)
	if *sf.watch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := watch.Folder(ctx, c.Docs, watch.Options{Quiet: *sf.watchDelay, Rearm: rearmWatch}, log, func(ctx context.Context, changed []string) {
				log.Info("documents changed; reindexing", "files", len(changed), "changed", firstFew(changed, 10))
				// A reindex running now may have read the folder before
				// these changes: wait for one that starts after them.
				res, err := live.Changed(ctx)
				logReindex(log, res, err)
				if err == nil {
					metrics.DocumentsChanged(res.Added, res.Changed, res.Removed)
				}
			})
			if err != nil {
				log.Error("watching the documents stopped; reindex by SIGHUP or POST /v1/reindex", "err", err)
			}
		}()
	}
	if store.shared && *sf.weaviatePoll > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			followStore(ctx, live, store, *sf.weaviatePoll, log)
		}()
	}
	if tgBot != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := tgBot.Run(ctx); err != nil {
				log.Error("telegram bot stopped", "err", err)
			}
		}()
	}
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				reloadKeys(keys, log)
				log.Info("SIGHUP: reindexing")
				select {
				case rearmWatch <- struct{}{}:
				default: // a re-arm is already waiting
				}
				res, err := live.Reindex(ctx)
				logReindex(log, res, err)
			}
		}
	}()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case err := <-nothingToServe:
		srv.Close() // nothing was served, so nothing is in flight
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: waiting for requests in flight", "timeout", *sf.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), *sf.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: requests still running after %v were cut off: %w", *sf.shutdownTimeout, err)
	}
	log.Info("stopped")
	return nil
}

// reloadKeys rereads the --api-keys file (on SIGHUP). A file that cannot
// be read or holds a mistake leaves the keys as they were: a half-saved
// edit must not lock every client out, nor let everyone in.
func reloadKeys(keys *access.Keyring, log *slog.Logger) {
	if keys == nil {
		return
	}
	if err := keys.Reload(); err != nil {
		log.Error("SIGHUP: the API keys were not reloaded; the previous keys stay", "err", err)
		return
	}
	log.Info("SIGHUP: API keys reloaded", "file", keys.File(), "keys", keys.Len())
}

// isLoopback reports whether a listener is reachable from this machine
// only (127.0.0.0/8, ::1); 0.0.0.0 and every other address are not.
func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// loadFirst loads the first index. When the documents cannot be indexed
// (the folder is missing, say) but the store holds an index, that one
// serves, as it was saved or as another replica left it, so a restart
// never turns a working service into a dead one. With neither, a documents
// folder that is missing, not a folder or empty is returned as the error
// index gives for it: serving 503 "still loading" forever would hide the
// mistake. Any other failure (a store that is down) leaves /readyz at 503
// until a reindex succeeds.
func loadFirst(ctx context.Context, live *corpus.Live, store indexStore, c config, log *slog.Logger) error {
	res, loadErr := live.Load(ctx)
	if loadErr == nil {
		logReindex(log, res, nil)
		return nil
	}
	if ctx.Err() != nil {
		return nil
	}
	log.Error("could not index the documents", "docs", c.Docs, "err", loadErr)
	st, err := store.open(ctx)
	var ix *retrieval.Index
	if err == nil {
		ix, err = st.Open(ctx, nil)
	}
	if err != nil {
		if errors.Is(loadErr, loader.ErrNoDocuments) && errors.Is(err, retrieval.ErrNoIndex) {
			log.Error("nothing to serve: no documents, and no index saved before", "docs", c.Docs, "index", store.where)
			// Live wraps the update's error once ("reindex: …"); the
			// message is the loader's own, as index prints it.
			if inner := errors.Unwrap(loadErr); inner != nil {
				return inner
			}
			return loadErr
		}
		log.Error("no index to serve: /readyz answers 503 until a reindex (POST /v1/reindex or SIGHUP) succeeds", "index", store.where, "err", err)
		return nil
	}
	if live.Fallback(ix) {
		log.Warn("serving the index saved before; fix the documents and reindex", "index", store.where, "documents", len(ix.Documents()))
	}
	return nil
}

// followStore reloads whenever a shared store holds another generation
// than the served index: another replica reindexed (or the store was
// rebuilt), and this one must answer from the same documents. It only
// reads the store: writing is for explicit reindexes, so replicas whose
// folders differ (a rolling update, a stale mount) never overwrite each
// other in turn.
func followStore(ctx context.Context, live *corpus.Live, store indexStore, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := store.open(ctx)
		if err != nil {
			log.Warn("the store is not reachable; will check again", "err", err)
			continue
		}
		shared, ok := st.(retrieval.Shared)
		if !ok {
			return
		}
		gen, ok, err := shared.Generation(ctx)
		if err != nil || !ok {
			if err != nil {
				log.Warn("reading the store's manifest failed; will check again", "err", err)
			}
			continue
		}
		ix := live.Index()
		if ix != nil && ix.Generation() >= gen {
			continue
		}
		next, err := st.Open(ctx, ix)
		if err != nil {
			log.Warn("reloading from the store failed; the served index stays", "generation", gen, "err", err)
			continue
		}
		if live.Follow(next) {
			log.Info("the store changed (another replica reindexed); reloaded", "generation", next.Generation(),
				"documents", len(next.Documents()), "chunks", next.NumChunks())
		}
	}
}

func logReindex(log *slog.Logger, res corpus.Result, err error) {
	switch {
	case errors.Is(err, context.Canceled):
	case err != nil:
		log.Error("reindex failed; the previous index keeps serving", "err", err)
	default:
		s := res.Summary
		log.Info("index ready", "added", s.Added, "changed", s.Changed, "removed", s.Removed, "unchanged", s.Unchanged,
			"skipped", len(s.Skipped), "chunks", s.Chunks, "took_ms", s.TookMS)
		if len(s.Skipped) > 0 {
			// One line for them all: a folder of 100,000 unreadable
			// files must not write 100,000 lines at every start.
			byReason := retrieval.SkippedByReason(s.Skipped)
			reasons := make([]string, 0, len(byReason))
			for r, n := range byReason {
				reasons = append(reasons, fmt.Sprintf("%s: %d", r, n))
			}
			slices.Sort(reasons)
			first := make([]string, 0, 5)
			for _, sk := range s.Skipped[:min(5, len(s.Skipped))] {
				first = append(first, sk.Document)
			}
			log.Warn("files skipped (citebot index --json and the web page's document list name them all)", "count", len(s.Skipped),
				"by_reason", strings.Join(reasons, "; "), "first", strings.Join(first, ", "))
		}
		if res.Warning != "" {
			log.Warn("the new index serves but could not be saved", "warning", res.Warning)
		}
	}
}

// firstFew names at most n of the changed paths, for a log line.
func firstFew(paths []string, n int) string {
	if len(paths) <= n {
		return strings.Join(paths, ", ")
	}
	return strings.Join(paths[:n], ", ") + fmt.Sprintf(" and %d more", len(paths)-n)
}
