package receiver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/store"
)

// Receiver receives the webhooks of one family and runs each delivery
// through the pipeline described in the package documentation. Build it
// with New; serve it with ServeHTTP, Mount or Handler. It is safe for
// concurrent use.
type Receiver struct {
	fam      *runtime.Family
	policy   runtime.DeliveryPolicy
	dispatch runtime.Dispatch

	store    store.Store
	ownStore bool
	order    store.OrderStore
	inbox    store.Inbox // nil when the store keeps no inbox
	mode     Mode
	workers  *workerPool // durable mode only
	byName   map[string]*endpoint

	maxAttempts             int
	backoffBase, backoffMax time.Duration
	keep                    time.Duration // record retention
	stopJanitor             chan struct{}
	janitorDone             chan struct{}
	auth                    Authenticator
	dl                      DeadLetter
	log                     *slog.Logger
	metrics                 *metrics
	inFlight                prometheus.Gauge
	series                  *seriesCache
	gatherer                prometheus.Gatherer
	clock                   func() time.Time
	strict                  bool
	poisonAck               bool
	ops                     bool
	lease                   time.Duration
	retention               time.Duration
	timeout                 time.Duration
	storeTimeout            time.Duration
	idHeaders               []string
	redact                  redaction
	// headerAuth is true when the authenticator reads only headers, query
	// and path, so that it runs before the body is read.
	headerAuth bool
	stages     []stage

	endpoints []*endpoint
	byPath    map[string]*endpoint
	templated *mux.Router // endpoints whose path holds mux variables; nil if none

	bufs sync.Pool // *bytes.Buffer, one per delivery

	mu       sync.Mutex
	inflight int
	draining bool
	closed   bool
	idle     chan struct{} // closed when draining and inflight reaches 0

	handlerOnce sync.Once
	handler     http.Handler
}

// maxPooledBuffer is the largest body buffer returned to the pool.
const maxPooledBuffer = 256 << 10

// New builds the receiver of fam, calling dispatch for every delivery that
// passes the pipeline. It fails with an error wrapping runtime.ErrConfig
// when the family is incomplete, when an option is invalid, or when the
// family declares security and the secrets needed for it are missing (the
// error names the scheme).
func New(fam *runtime.Family, dispatch runtime.Dispatch, opts ...Option) (*Receiver, error) {
	if fam == nil {
		return nil, fmt.Errorf("%w: receiver: nil family", runtime.ErrConfig)
	}
	if dispatch == nil {
		return nil, fmt.Errorf("%w: receiver: family %s: nil dispatch", runtime.ErrConfig, fam.Name)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	r := &Receiver{
		fam:       fam,
		policy:    fam.Delivery.Defaults(),
		dispatch:  dispatch,
		store:     cfg.store,
		order:     cfg.order,
		dl:        cfg.deadLetter,
		log:       cfg.logger,
		clock:     cfg.clock,
		strict:    cfg.strict,
		poisonAck: cfg.poisonAck,
		ops:       cfg.ops,
		lease:     cfg.lease,
		retention: cfg.retention,
		timeout:   cfg.handlerTimeout,
		byPath:    make(map[string]*endpoint),
		idle:      make(chan struct{}),
		redact:    newRedaction(fam),
		stages:    syncStages,
		byName:    make(map[string]*endpoint),

		maxAttempts: cfg.maxAttempts,
		backoffBase: cfg.backoffBase,
		backoffMax:  cfg.backoffMax,
		keep:        cfg.keep,
	}
	r.bufs.New = func() any { return bytes.NewBuffer(make([]byte, 0, 8<<10)) }
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.clock == nil {
		r.clock = time.Now
	}
	r.storeTimeout = cfg.storeTimeout
	if r.timeout <= 0 {
		r.timeout = r.lease
	}
	for _, sc := range fam.Schemes {
		if sc.Signature != nil && sc.Signature.IDHeader != "" && !slices.Contains(r.idHeaders, sc.Signature.IDHeader) {
			r.idHeaders = append(r.idHeaders, sc.Signature.IDHeader)
		}
	}
	slices.Sort(r.idHeaders)

	if err := r.setupAuth(cfg); err != nil {
		return nil, err
	}
	if err := r.setupEndpoints(cfg.paths); err != nil {
		return nil, err
	}
	if err := r.setupMetrics(cfg.registerer); err != nil {
		return nil, err
	}
	if r.store == nil {
		r.store, r.ownStore = store.NewMemory(store.WithClock(r.clock)), true
	}
	if r.order == nil {
		r.order, _ = r.store.(store.OrderStore)
	}
	r.inbox = probeInbox(r.store)
	if r.dl == nil && r.inbox == nil {
		// A store without an inbox cannot keep quarantined deliveries.
		r.dl = NewMemoryDeadLetter(DefaultDeadLetterSize)
	}
	if err := r.setupMode(cfg); err != nil {
		if r.ownStore {
			_ = r.store.Close()
		}
		return nil, err
	}
	if r.inbox != nil {
		r.stopJanitor, r.janitorDone = make(chan struct{}), make(chan struct{})
		go func() {
			defer close(r.janitorDone)
			r.janitor(cfg.purgeEvery, r.stopJanitor)
		}()
	}
	if r.order == nil {
		for _, ep := range r.endpoints {
			if ep.wh.Order != nil {
				if r.ownStore {
					_ = r.store.Close()
				}
				return nil, fmt.Errorf("%w: receiver: family %s webhook %s declares ordering but the store is no store.OrderStore: use WithOrderStore",
					runtime.ErrConfig, fam.Name, ep.wh.Name)
			}
		}
	}
	return r, nil
}

// setupMode picks the acknowledgement mode and, for durable mode, starts
// the workers.
func (r *Receiver) setupMode(cfg config) error {
	r.mode = cfg.mode
	if r.mode == 0 {
		r.mode = DefaultMode(r.policy)
		if r.mode == Durable && r.inbox == nil {
			r.mode = Sync
		}
	}
	if r.mode != Durable {
		return nil
	}
	if r.inbox == nil {
		return fmt.Errorf("%w: receiver: family %s: durable mode needs a store with an inbox (store.Inbox)", runtime.ErrConfig, r.fam.Name)
	}
	r.stages = durableStages
	r.workers = &workerPool{r: r, n: cfg.workers, poll: cfg.poll}
	r.workers.start()
	return nil
}

// probeInbox returns s's inbox, or nil when s has none or its inbox
// answers store.ErrUnsupported (the Redis backend).
func probeInbox(s store.Store) store.Inbox {
	in, ok := s.(store.Inbox)
	if !ok {
		return nil
	}
	if _, err := in.List(context.Background(), store.Query{Limit: 1}); errors.Is(err, store.ErrUnsupported) {
		return nil
	}
	return in
}

// Mode returns the receiver's acknowledgement mode.
func (r *Receiver) Mode() Mode { return r.mode }

// Inbox returns the inbox the receiver keeps deliveries in (durable
// hand-off, records, dead letter), or nil when its store has none.
func (r *Receiver) Inbox() store.Inbox { return r.inbox }

// setupAuth builds or checks the authenticator against the family's
// security requirements. The rules for secrets are auth.New's.
func (r *Receiver) setupAuth(cfg config) error {
	fam := r.fam
	switch {
	case cfg.auth != nil && cfg.secretsSet:
		return fmt.Errorf("%w: receiver: family %s: WithAuthenticator and WithSecrets are exclusive", runtime.ErrConfig, fam.Name)
	case cfg.auth != nil:
		r.auth = cfg.auth
		if ho, ok := cfg.auth.(interface{ HeadersOnly() bool }); ok {
			r.headerAuth = ho.HeadersOnly()
		}
		return nil
	case cfg.secretsSet:
		a, err := auth.New(fam, cfg.secrets, auth.WithClock(r.clock))
		if err != nil {
			return fmt.Errorf("receiver: family %s: %w", fam.Name, err)
		}
		if a.Enforced() {
			r.auth = a
			r.headerAuth = !usesSignature(fam)
		}
		return nil
	}
	// No credentials configured: allowed only when every operation's
	// security is absent or optional (an empty requirement).
	// Each operation is checked with its own requirements.
	var names []string
	for _, list := range fam.SecurityLists() {
		if runtime.Optional(list) {
			continue
		}
		for _, req := range list {
			for _, n := range req {
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("%w: receiver: family %s requires a secret for security scheme %s: use WithSecrets or WithAuthenticator",
		runtime.ErrConfig, fam.Name, quoteJoin(names))
}

// usesSignature reports whether any security requirement of fam names a
// body signature scheme (which needs the body to be checked).
func usesSignature(fam *runtime.Family) bool {
	for _, list := range append(fam.SecurityLists(), fam.Security) {
		for _, req := range list {
			for _, name := range req {
				if sc, ok := fam.Schemes[name]; !ok || sc.Kind == runtime.Signature {
					return true
				}
			}
		}
	}
	return false
}

func quoteJoin(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, " or ")
}

// setupEndpoints builds one endpoint per webhook.
func (r *Receiver) setupEndpoints(paths map[string]string) error {
	fam := r.fam
	if len(fam.Webhooks) == 0 {
		return fmt.Errorf("%w: receiver: family %s has no webhooks", runtime.ErrConfig, fam.Name)
	}
	for name := range paths {
		if !slices.ContainsFunc(fam.Webhooks, func(w runtime.Webhook) bool { return w.Name == name }) {
			return fmt.Errorf("%w: receiver: WithPath: family %s has no webhook %q", runtime.ErrConfig, fam.Name, name)
		}
	}
	for i := range fam.Webhooks {
		wh := &fam.Webhooks[i]
		path := wh.Path
		if p, ok := paths[wh.Name]; ok {
			path = p
		}
		ep, err := newEndpoint(r, wh, path)
		if err != nil {
			return err
		}
		if strings.Contains(path, "{") {
			if r.templated == nil {
				r.templated = mux.NewRouter()
			}
			r.templated.Handle(path, ep)
		} else {
			if _, dup := r.byPath[path]; dup {
				return fmt.Errorf("%w: receiver: family %s: two webhooks at path %s", runtime.ErrConfig, fam.Name, path)
			}
			r.byPath[path] = ep
		}
		r.endpoints = append(r.endpoints, ep)
		r.byName[wh.Name] = ep
	}
	return nil
}

func (r *Receiver) setupMetrics(reg prometheus.Registerer) error {
	if reg == nil {
		pr := prometheus.NewRegistry()
		reg, r.gatherer = pr, pr
	} else if g, ok := reg.(prometheus.Gatherer); ok {
		r.gatherer = g
	}
	m, err := newMetrics(reg)
	if err != nil {
		return fmt.Errorf("%w: receiver: family %s: metrics: %w", runtime.ErrConfig, r.fam.Name, err)
	}
	r.metrics = m
	r.inFlight = m.inFlight.WithLabelValues(r.fam.Name)
	r.series = &seriesCache{m: m, family: r.fam.Name}
	return nil
}

// ServeHTTP serves the family's webhooks at their paths (404 elsewhere).
func (r *Receiver) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	if ep, ok := r.byPath[hr.URL.Path]; ok {
		ep.ServeHTTP(w, hr)
		return
	}
	if r.templated != nil {
		r.templated.ServeHTTP(w, hr)
		return
	}
	http.NotFound(w, hr)
}

// Mount registers every webhook on router at its path (Webhook.Path, or the
// one given with WithPath), for every method: the pipeline itself answers
// 405 with Allow for methods the webhook does not accept.
func (r *Receiver) Mount(router *mux.Router) {
	for _, ep := range r.endpoints {
		router.Handle(ep.path, ep)
	}
}

// Handler returns an http.Handler with the webhooks mounted at their paths
// plus, unless WithOpsEndpoints(false), GET /healthz (200 until Close),
// GET /readyz (200 until Shutdown or Close starts, then 503) and GET
// /metrics (when the registerer is a prometheus.Gatherer, as the default
// private registry is). Every call returns the same handler.
func (r *Receiver) Handler() http.Handler {
	r.handlerOnce.Do(func() {
		router := mux.NewRouter()
		r.Mount(router)
		if r.ops {
			router.HandleFunc("/healthz", r.serveHealth).Methods(http.MethodGet, http.MethodHead)
			router.HandleFunc("/readyz", r.serveReady).Methods(http.MethodGet, http.MethodHead)
			if r.gatherer != nil {
				router.Handle("/metrics", promhttp.HandlerFor(r.gatherer, promhttp.HandlerOpts{})).Methods(http.MethodGet)
			}
		}
		r.handler = router
	})
	return r.handler
}

func (r *Receiver) serveHealth(w http.ResponseWriter, _ *http.Request) {
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	writeStatus(w, !closed)
}

func (r *Receiver) serveReady(w http.ResponseWriter, _ *http.Request) {
	r.mu.Lock()
	ready := !r.draining && !r.closed
	r.mu.Unlock()
	writeStatus(w, ready)
}

func writeStatus(w http.ResponseWriter, ok bool) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if ok {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("ok\n"))
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte("unavailable\n"))
}

// DeadLetter returns the dead letter given with WithDeadLetter, else nil
// when the store keeps quarantined deliveries in its inbox (see Inbox),
// else the in-memory dead letter the receiver created.
func (r *Receiver) DeadLetter() DeadLetter { return r.dl }

// Shutdown stops accepting deliveries (new ones are answered 503 with
// Retry-After, and /readyz turns 503) and waits until the deliveries in
// flight have finished and, in durable mode, until the workers have
// settled the entries they were running (they lease no new ones), or until
// ctx is done, whichever is first; then it cancels the handlers still
// running. Entries still pending stay in the inbox and are run by the next
// receiver on the same store. It does not close the store; call Close
// afterwards.
func (r *Receiver) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	r.startDrainLocked()
	idle := r.idle
	r.mu.Unlock()
	select {
	case <-idle:
	case <-ctx.Done():
		_ = r.workers.stop(ctx)
		return fmt.Errorf("receiver: shutdown: %w", ctx.Err())
	}
	return r.workers.stop(ctx)
}

func (r *Receiver) startDrainLocked() {
	if r.draining {
		return
	}
	r.draining = true
	if r.inflight == 0 {
		close(r.idle)
	}
}

// Close stops accepting deliveries at once, stops the durable workers
// (cancelling the handlers they run and waiting for them to settle) and
// the purge of expired records, and closes the default store if the
// receiver created it. Deliveries still in flight may then fail with a
// store error (answered 503, so nothing is lost); call Shutdown first for a
// graceful stop. Close is safe to call twice.
func (r *Receiver) Close() error {
	r.mu.Lock()
	r.startDrainLocked()
	already := r.closed
	r.closed = true
	r.mu.Unlock()
	if already {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // do not wait: cancel the handlers, wait for them to settle
	_ = r.workers.stop(ctx)
	if r.stopJanitor != nil {
		close(r.stopJanitor)
		<-r.janitorDone
	}
	if !r.ownStore {
		return nil
	}
	if err := r.store.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
		return fmt.Errorf("receiver: close store: %w", err)
	}
	return nil
}

// enter registers a delivery in flight; false when draining.
func (r *Receiver) enter() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.draining {
		return false
	}
	r.inflight++
	return true
}

func (r *Receiver) leave() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inflight--
	if r.draining && r.inflight == 0 {
		close(r.idle)
	}
}
