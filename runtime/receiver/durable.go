package receiver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/store"
)

// Mode is how a receiver acknowledges deliveries.
type Mode int

const (
	// Sync runs the handler while the sender waits and answers with its
	// outcome (a transient failure asks the sender to retry).
	Sync Mode = iota + 1
	// Durable authenticates and validates the delivery, persists it to the
	// store's inbox, acknowledges it, and lets workers run the handler
	// with bounded retries, backoff and a dead letter.
	Durable
)

// String returns "sync" or "durable".
func (m Mode) String() string {
	switch m {
	case Sync:
		return "sync"
	case Durable:
		return "durable"
	}
	return "unknown"
}

// ParseMode parses "sync" or "durable".
func ParseMode(s string) (Mode, bool) {
	switch s {
	case "sync":
		return Sync, true
	case "durable":
		return Durable, true
	}
	return 0, false
}

// DefaultMode is the mode of a family's receiver when WithMode is not
// given: Durable for senders that do not retry until success (a transient
// failure would lose their event), Sync for the others.
func DefaultMode(p runtime.DeliveryPolicy) Mode {
	if p.Defaults().Mode == runtime.RetryUntilSuccess {
		return Sync
	}
	return Durable
}

// durableStages are the stages of a durable delivery: read, authenticate
// and decode as in sync mode, then persist, the durable seam.
var durableStages = []stage{
	{"read", (*flight).admit},
	{"authenticate", (*flight).authenticateHeaders},
	{"read", (*flight).readBody},
	{"authenticate", (*flight).authenticateBody},
	{"decode", (*flight).decode},
	{"persist", (*flight).persist},
}

// persist is the durable stage: the raw delivery is put to the inbox, then
// acknowledged. A repeat of a delivery the inbox already holds is
// acknowledged as a duplicate (and counted on the entry).
func (f *flight) persist() *verdict {
	r := f.e.r
	e := f.entry()
	e.State = store.Pending
	err := r.inbox.Put(f.storeCtx(), e)
	switch {
	case errors.Is(err, store.ErrDuplicate):
		return &verdict{out: OutcomeDuplicate}
	case err != nil:
		return storeFailed("persist", err)
	}
	r.workers.wake()
	return &verdict{out: OutcomeAccepted}
}

// entry is the delivery as the inbox keeps it: the raw body and the
// request line and headers, credentials redacted.
func (f *flight) entry() store.Entry {
	r := f.e.r
	if f.id == "" {
		f.id = r.deliveryID(f.req, f.key)
	}
	h, q := r.redact.apply(f.req.Header, f.hr.URL.RawQuery)
	e := store.Entry{
		ID:         f.id,
		Family:     r.fam.Name,
		Webhook:    f.e.wh.Name,
		Event:      f.event,
		Key:        f.key,
		Method:     f.req.Method,
		Path:       f.req.Path,
		RawQuery:   q,
		Header:     h,
		Body:       bytes.Clone(f.req.Raw),
		ReceivedAt: f.start,
	}
	if f.ordered {
		e.Entity = f.pos.Entity
	}
	return e
}

// workerPool runs the durable workers of a receiver.
type workerPool struct {
	r       *Receiver
	n       int
	poll    time.Duration
	wakeC   chan struct{}
	stopC   chan struct{} // closed: lease no more
	ctx     context.Context
	cancel  context.CancelFunc // cancels the handlers (Close)
	wg      sync.WaitGroup
	once    sync.Once
	started bool
}

func (p *workerPool) wake() {
	if p == nil {
		return
	}
	select {
	case p.wakeC <- struct{}{}:
	default:
	}
}

// start starts the workers.
func (p *workerPool) start() {
	p.wakeC = make(chan struct{}, 1)
	p.stopC = make(chan struct{})
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.started = true
	for range p.n {
		p.wg.Go(p.loop)
	}
}

// stop stops leasing and waits for the jobs in flight, until ctx is done;
// then it cancels the handlers still running and waits for them to settle.
func (p *workerPool) stop(ctx context.Context) error {
	if p == nil || !p.started {
		return nil
	}
	p.once.Do(func() { close(p.stopC) })
	idle := make(chan struct{})
	go func() { p.wg.Wait(); close(idle) }()
	select {
	case <-idle:
		p.cancel()
		return nil
	case <-ctx.Done():
		p.cancel()
		<-idle
		return fmt.Errorf("receiver: shutdown: workers: %w", ctx.Err())
	}
}

// loop leases one due entry at a time and runs it, until stopped.
func (p *workerPool) loop() {
	r := p.r
	for {
		select {
		case <-p.stopC:
			return
		default:
		}
		ls, err := r.inbox.Lease(p.ctx, 1, r.lease)
		if err != nil && !errors.Is(err, context.Canceled) {
			r.log.LogAttrs(p.ctx, slog.LevelError, "inbox lease failed",
				slog.String("family", r.fam.Name), slog.String("error", runtime.Truncate(err.Error(), runtime.MaxDetail)))
		}
		if len(ls) == 0 {
			t := time.NewTimer(p.poll)
			select {
			case <-p.stopC:
				t.Stop()
				return
			case <-p.wakeC:
				t.Stop()
			case <-t.C:
			}
			continue
		}
		for _, l := range ls {
			r.runJob(p.ctx, l)
		}
	}
}

// pathParams matches path against the endpoint's path template again
// (the inbox keeps the path, not its variables); nil when it has none.
func (e *endpoint) pathParams(path string) map[string]string {
	if !strings.Contains(e.path, "{") {
		return nil
	}
	var m mux.RouteMatch
	hr := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: path}}
	if mux.NewRouter().Path(e.path).Match(hr, &m) {
		return m.Vars
	}
	return nil
}

// job is one leased inbox entry being processed by a worker.
type job struct {
	r     *Receiver
	l     store.Leased
	ep    *endpoint
	ev    runtime.Event
	pos   runtime.Position
	order bool
	// entity is the store entity; orderToken the hold on it ("" when none).
	entity     string
	orderToken string
}

// runJob processes one leased entry: decode, ordering guard, handler,
// settle. It never returns an error: every result is settled on the entry.
func (r *Receiver) runJob(ctx context.Context, l store.Leased) {
	j := &job{r: r, l: l, ep: r.byName[l.Webhook]}
	start := r.clock()
	v := j.run(ctx)
	j.settle(v)
	r.series.count(l.Webhook, l.Event, v.out, r.clock().Sub(start))
	if r.log.Enabled(ctx, v.out.level()) {
		attrs := []slog.Attr{
			slog.String("delivery_id", runtime.Truncate(l.ID, runtime.MaxDetail)),
			slog.String("key", runtime.Truncate(l.Key, runtime.MaxDetail)),
			slog.String("family", r.fam.Name),
			slog.String("webhook", l.Webhook),
			slog.String("event", runtime.Truncate(l.Event, runtime.MaxDetail)),
			slog.String("outcome", string(v.out)),
			slog.Int("attempt", l.Attempts),
			slog.Bool("worker", true),
		}
		if v.err != nil {
			attrs = append(attrs, slog.String("error", runtime.Truncate(v.err.Error(), runtime.MaxDetail)))
		}
		r.log.LogAttrs(ctx, v.out.level(), "delivery", attrs...)
	}
}

// run decodes the entry again (the typed value is not persisted), guards
// its entity and calls the handler with the lease kept alive.
func (j *job) run(ctx context.Context) verdict {
	r, l := j.r, j.l
	if j.ep == nil {
		return verdict{out: OutcomeInvalid, err: fmt.Errorf("%w: no webhook %q", runtime.ErrInvalidPayload, l.Webhook)}
	}
	req := &runtime.Request{
		Method: l.Method, Path: l.Path, Webhook: j.ep.wh.Name, Header: l.Header,
		Raw: l.Body, Body: l.Body, ReceivedAt: l.ReceivedAt,
	}
	if l.RawQuery != "" {
		req.Query, _ = url.ParseQuery(l.RawQuery)
	}
	req.PathParams = j.ep.pathParams(l.Path)
	if j.ep.wh.Encoding[l.Method] == runtime.QueryParams {
		body, err := j.ep.wh.QueryBody(req)
		if err != nil {
			return verdict{out: OutcomeInvalid, err: asInvalid(err)}
		}
		req.Body = body
	}
	ev, err := j.ep.wh.Decode(req, r.strict)
	if err != nil {
		if errors.Is(err, runtime.ErrUnknownEvent) {
			if r.strict {
				return verdict{out: OutcomeUnknownEvent, err: err}
			}
			return verdict{out: OutcomeUnhandled, err: err}
		}
		return verdict{out: OutcomeInvalid, err: asInvalid(err)}
	}
	j.ev = ev
	if v := j.guard(ctx, req); v != nil {
		return *v
	}
	d := &runtime.Delivery{
		ID: l.ID, Key: l.Key, Family: l.Family, Webhook: l.Webhook, Event: ev.Name,
		Attempt: l.Attempts, Header: l.Header, ReceivedAt: l.ReceivedAt, Raw: l.Body, Fence: l.Fence,
	}
	hctx, stop := r.keepAlive(ctx, j.extend)
	herr := r.call(hctx, d, ev)
	if lost := stop(); lost != nil {
		return verdict{out: OutcomeStoreError, err: fmt.Errorf("%w: %w", runtime.ErrStore, lost)}
	}
	return r.judge(herr)
}

// guard checks and holds the entry's entity (see (*flight).guard).
func (j *job) guard(ctx context.Context, req *runtime.Request) *verdict {
	r, wh := j.r, j.ep.wh
	if wh.Order == nil || r.order == nil {
		return nil
	}
	pos, ok, err := wh.Order(req, j.ev)
	if err != nil {
		return &verdict{out: OutcomeInvalid, err: asInvalid(err)}
	}
	if !ok {
		return nil
	}
	j.pos, j.order, j.entity = pos, true, r.fam.Name+":"+pos.Entity
	oc, err := r.order.Acquire(ctx, j.entity, storePosition(pos), j.holder(), r.lease)
	if err != nil {
		return storeFailed("order acquire", err)
	}
	switch oc.Verdict {
	case store.Accept:
		j.orderToken = oc.Token
		return nil
	case store.Stale:
		return &verdict{out: OutcomeDroppedStale}
	case store.AfterTerminal:
		return &verdict{out: OutcomeDroppedAfterTerminal}
	default:
		return &verdict{out: OutcomeInFlight, err: runtime.ErrInFlight, after: oc.Until.Sub(r.clock())}
	}
}

func (j *job) holder() string { return j.l.Family + ":" + j.l.ID }

// extend renews the inbox lease and the entity hold.
func (j *job) extend(ctx context.Context) error {
	r := j.r
	if err := r.inbox.ExtendLease(ctx, j.l.ID, j.l.Family, j.l.Token, r.lease); err != nil {
		return err
	}
	if j.orderToken != "" {
		oc, err := r.order.Acquire(ctx, j.entity, storePosition(j.pos), j.holder(), r.lease)
		if err != nil {
			return err
		}
		if oc.Verdict != store.Accept {
			return fmt.Errorf("entity hold: %s: %w", oc.Verdict, store.ErrLeaseLost)
		}
		j.orderToken = oc.Token
	}
	return nil
}

// settlement maps a worker's verdict to how the entry is settled: the
// durable counterpart of the acknowledgement table.
func (j *job) settlement(v verdict) (store.Settlement, bool) {
	r := j.r
	errText := ""
	if v.err != nil {
		errText = v.err.Error()
	}
	switch v.out {
	case OutcomeProcessed:
		return store.Settlement{State: store.EntryDone, Reason: store.ReasonProcessed}, true
	case OutcomeUnhandled:
		reason := store.ReasonUnhandled
		if errors.Is(v.err, runtime.ErrUnknownEvent) {
			reason = store.ReasonUnknownEvent
		}
		return store.Settlement{State: store.EntryDone, Reason: reason, Err: errText}, false
	case OutcomeDroppedStale:
		return store.Settlement{State: store.EntryDone, Reason: store.ReasonStale}, false
	case OutcomeDroppedAfterTerminal:
		return store.Settlement{State: store.EntryDone, Reason: store.ReasonAfterClose}, false
	case OutcomeQuarantined, OutcomeRejected, OutcomePanic:
		return store.Settlement{State: store.Dead, Reason: store.ReasonQuarantined, Err: errText}, false
	case OutcomeInvalid:
		return store.Settlement{State: store.Dead, Reason: store.ReasonInvalid, Err: errText}, false
	case OutcomeUnknownEvent:
		return store.Settlement{State: store.Dead, Reason: store.ReasonUnknownEvent, Err: errText}, false
	}
	// Retry, store error, entity busy: again later, or dead letter after
	// the last attempt.
	if j.l.Attempts >= r.maxAttempts {
		return store.Settlement{State: store.Dead, Reason: store.ReasonExhausted, Err: errText}, false
	}
	delay := r.backoff(j.l.Attempts)
	if v.after > delay {
		delay = v.after
	}
	return store.Settlement{State: store.Pending, NextAt: r.clock().Add(delay), Err: errText}, false
}

// settle commits or abandons the entity hold, then settles the entry.
func (j *job) settle(v verdict) {
	r, ctx := j.r, context.Background()
	s, commit := j.settlement(v)
	if j.orderToken != "" {
		var err error
		if commit {
			err = r.order.CommitOrder(ctx, j.entity, j.orderToken, storePosition(j.pos), r.retention)
		} else {
			err = r.order.AbandonOrder(ctx, j.entity, j.orderToken)
		}
		if err != nil && commit {
			// Not committed: process again later (the handler's effect
			// must be idempotent, as for any at-least-once delivery).
			s = store.Settlement{State: store.Pending, NextAt: r.clock().Add(r.backoff(j.l.Attempts)), Err: err.Error()}
		}
	}
	if err := r.inbox.Settle(ctx, j.l.ID, j.l.Family, j.l.Token, s); err != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "inbox settle failed",
			slog.String("delivery_id", runtime.Truncate(j.l.ID, runtime.MaxDetail)),
			slog.String("family", r.fam.Name),
			slog.String("error", runtime.Truncate(err.Error(), runtime.MaxDetail)))
	}
}

// backoff is the delay before attempt n+1: exponential from the base,
// capped, with equal jitter (half fixed, half random).
func (r *Receiver) backoff(n int) time.Duration {
	d := r.backoffMax
	if n < 30 {
		d = min(r.backoffBase<<max(n-1, 0), r.backoffMax)
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// janitor purges the family's done and dead entries older than the record
// retention, every purgeEvery, until stop is closed.
func (r *Receiver) janitor(every time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			r.purgeRecords()
		}
	}
}

// purgeRecords purges the family's done and dead entries received before
// now minus the record retention.
func (r *Receiver) purgeRecords() {
	ctx := context.Background()
	before := r.clock().Add(-r.keep)
	for _, st := range []store.EntryState{store.EntryDone, store.Dead} {
		if _, err := r.inbox.Purge(ctx, store.Query{Family: r.fam.Name, State: st, Before: before}); err != nil && !errors.Is(err, store.ErrClosed) {
			r.log.LogAttrs(ctx, slog.LevelWarn, "purging records failed",
				slog.String("family", r.fam.Name), slog.String("error", runtime.Truncate(err.Error(), runtime.MaxDetail)))
		}
	}
}
