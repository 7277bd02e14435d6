package receiver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/store"
)

// endpoint is one webhook mounted at one path.
type endpoint struct {
	r       *Receiver
	wh      *runtime.Webhook
	path    string
	methods []string
	allow   string
	ctypes  []string // lower case, without parameters
}

func newEndpoint(r *Receiver, wh *runtime.Webhook, path string) (*endpoint, error) {
	fam := r.fam.Name
	switch {
	case wh.Decode == nil:
		return nil, fmt.Errorf("%w: receiver: family %s webhook %s: nil Decode", runtime.ErrConfig, fam, wh.Name)
	case len(wh.Methods) == 0:
		return nil, fmt.Errorf("%w: receiver: family %s webhook %s: no methods", runtime.ErrConfig, fam, wh.Name)
	case !strings.HasPrefix(path, "/"):
		return nil, fmt.Errorf("%w: receiver: family %s webhook %s: path %q must start with /", runtime.ErrConfig, fam, wh.Name, path)
	}
	ep := &endpoint{r: r, wh: wh, path: path}
	for _, m := range wh.Methods {
		m = strings.ToUpper(m)
		if !slices.Contains(ep.methods, m) {
			ep.methods = append(ep.methods, m)
		}
		if wh.Encoding[m] == runtime.QueryParams && wh.QueryBody == nil {
			return nil, fmt.Errorf("%w: receiver: family %s webhook %s: %s is query-encoded but QueryBody is nil", runtime.ErrConfig, fam, wh.Name, m)
		}
	}
	ep.allow = strings.Join(ep.methods, ", ")
	for _, ct := range wh.ContentTypes {
		ep.ctypes = append(ep.ctypes, strings.ToLower(strings.TrimSpace(ct)))
	}
	if len(ep.ctypes) == 0 {
		ep.ctypes = []string{"application/json"}
	}
	return ep, nil
}

// flight is the state of one delivery through the pipeline.
type flight struct {
	e     *endpoint
	w     http.ResponseWriter
	hr    *http.Request
	start time.Time

	enc      runtime.Encoding
	gzip     bool
	queryErr error // from parsing the query; see checkQuery
	buf      *bytes.Buffer
	req      *runtime.Request
	ev       runtime.Event

	id      string
	key     string // as returned by Webhook.Key
	skey    string // the store key: "<family>:<key>", "" when none
	event   string
	attempt int

	ordered bool
	pos     runtime.Position
	entity  string // the store entity: "<family>:<entity>"

	claim store.Claim
	won   bool // the flight holds claim and must complete or release it
	// orderToken is the hold on the entity ("" when none): settle commits
	// or abandons it.
	orderToken string
	// cancels end the contexts storeCtx made; called when the flight ends.
	cancels []context.CancelFunc
}

// verdict is what a stage decided: the outcome, the error behind it and,
// for retry answers, the delay to advertise (0: the policy's).
type verdict struct {
	out   Outcome
	err   error
	after time.Duration
	// keep names why the delivery is kept in the dead letter before it is
	// answered ("rejected", "panic", "invalid"); "" keeps nothing.
	keep string
}

// stage is one named step of the pipeline. It returns nil to go on, or the
// verdict that ends the delivery.
type stage struct {
	name string
	run  func(*flight) *verdict
}

// syncStages are the stages of a synchronous delivery, in order. The read
// stage is split around authentication so that header-only credentials
// are checked before the body is read (authenticate runs where the
// authenticator needs it, see (*Receiver).headerAuth).
var syncStages = []stage{
	{"read", (*flight).admit},
	{"authenticate", (*flight).authenticateHeaders},
	{"read", (*flight).readBody},
	{"authenticate", (*flight).authenticateBody},
	{"decode", (*flight).decode},
	{"claim", (*flight).claimKey},
	{"guard", (*flight).guard},
	{"handle", (*flight).handle},
}

// ServeHTTP runs one delivery through the stages, then settles it.
func (e *endpoint) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	r := e.r
	f := &flight{e: e, w: w, hr: hr, start: r.clock(), attempt: 1}
	defer f.endStoreCalls()
	if !r.enter() {
		f.settle(verdict{out: OutcomeShuttingDown, err: fmt.Errorf("%w: receiver shutting down", runtime.ErrTransient)})
		return
	}
	defer r.leave()
	r.inFlight.Inc()
	defer r.inFlight.Dec()
	defer f.releaseBuffer()
	f.settle(f.run(r.stages))
}

// run runs the stages until one returns a verdict. A delivery that passes
// every stage has been processed.
func (f *flight) run(stages []stage) verdict {
	for _, st := range stages {
		if v := st.run(f); v != nil {
			return *v
		}
	}
	return verdict{out: OutcomeProcessed}
}

// authenticateHeaders is the authenticate stage for authenticators that
// read only headers, query and path: it runs before the body is read.
func (f *flight) authenticateHeaders() *verdict {
	if f.e.r.auth == nil || !f.e.r.headerAuth {
		return nil
	}
	return f.authenticate()
}

// authenticateBody is the authenticate stage for authenticators that read
// the body (signatures): it runs after the bounded read.
func (f *flight) authenticateBody() *verdict {
	if f.e.r.auth == nil || f.e.r.headerAuth {
		return nil
	}
	return f.authenticate()
}

func (f *flight) authenticate() *verdict {
	if err := f.e.r.auth.Authenticate(f.req); err != nil {
		if !errors.Is(err, runtime.ErrUnauthorized) {
			err = fmt.Errorf("%w: %w", runtime.ErrUnauthorized, err)
		}
		return &verdict{out: OutcomeUnauthorized, err: err}
	}
	return nil
}

// decode is the decode stage: the query-encoded body, Webhook.Decode, the
// idempotency key and the ordering position.
func (f *flight) decode() *verdict {
	e, r := f.e, f.e.r
	if v := f.checkQuery(); v != nil {
		return v
	}
	if f.enc == runtime.QueryParams {
		body, err := e.wh.QueryBody(f.req)
		if err != nil {
			return f.invalid(err)
		}
		f.req.Body = body
	}
	ev, err := e.wh.Decode(f.req, r.strict)
	f.ev, f.event = ev, ev.Name
	if err != nil {
		if errors.Is(err, runtime.ErrUnknownEvent) {
			return f.unknownEvent(err)
		}
		return f.invalid(err)
	}
	if len(ev.Warnings) > 0 {
		f.warn(ev.Warnings)
	}
	if e.wh.Key != nil {
		if f.key, err = e.wh.Key(f.req, ev); err != nil {
			return f.invalid(err)
		}
	}
	f.id = r.deliveryID(f.req, f.key)
	if f.key != "" {
		f.skey = r.fam.Name + ":" + f.key
	}
	if e.wh.Order != nil && r.order != nil {
		if f.pos, f.ordered, err = e.wh.Order(f.req, ev); err != nil {
			return f.invalid(err)
		}
		if f.ordered {
			f.entity = r.fam.Name + ":" + f.pos.Entity
		}
	}
	return nil
}

// guard is the ordering stage, after the claim: the entity is checked and
// held in one atomic step (Acquire), so that no other message of the entity runs until this
// one settles. A stale or after-terminal message is dropped; an entity
// held by another message is answered like a delivery in flight.
func (f *flight) guard() *verdict {
	if !f.ordered {
		return nil
	}
	r, ctx := f.e.r, f.storeCtx()
	oc, err := r.order.Acquire(ctx, f.entity, storePosition(f.pos), f.holder(), r.lease)
	if err != nil {
		return storeFailed("order acquire", err)
	}
	switch oc.Verdict {
	case store.Accept:
		f.orderToken = oc.Token
		return nil
	case store.Stale:
		return &verdict{out: OutcomeDroppedStale}
	case store.AfterTerminal:
		return &verdict{out: OutcomeDroppedAfterTerminal}
	default: // Busy
		return &verdict{out: OutcomeInFlight, err: runtime.ErrInFlight, after: oc.Until.Sub(r.clock())}
	}
}

// holder names the flight to the order store: the store key when the
// delivery has one (a retry of it may take its own hold over), else the
// delivery id.
func (f *flight) holder() string {
	if f.skey != "" {
		return f.skey
	}
	return f.e.r.fam.Name + ":" + f.id
}

// storePosition converts a runtime position to the store's.
func storePosition(p runtime.Position) store.Position {
	return store.Position{Version: p.Version, HasVersion: p.HasVersion, Terminal: p.Terminal}
}

// claimKey is the claim stage: the idempotency claim on the key, before the
// entity is held, so that a duplicate never takes its original's hold. A
// completed duplicate is acknowledged; one in flight is asked to come back.
func (f *flight) claimKey() *verdict {
	if f.skey == "" {
		return nil
	}
	r := f.e.r
	c, err := r.store.Claim(f.storeCtx(), f.skey, r.lease)
	if err != nil {
		return storeFailed("claim", err)
	}
	if !c.Won {
		if c.State == store.Done {
			if f.ordered {
				// Commit again (idempotent, monotonic) in case the first
				// commit failed.
				if err := r.order.Commit(f.storeCtx(), f.entity, f.pos.Version, f.pos.HasVersion, f.pos.Terminal, r.retention); err != nil {
					f.logLine(slog.LevelWarn, "ordering commit on duplicate failed", OutcomeDuplicate, r.policy.SuccessStatus, err)
				}
			}
			return &verdict{out: OutcomeDuplicate}
		}
		return &verdict{out: OutcomeInFlight, err: runtime.ErrInFlight}
	}
	f.claim, f.won = c, true
	if c.Attempt > 0 {
		f.attempt = c.Attempt
	}
	return nil
}

// handle is the handle stage: it calls the handler, with its claim and
// entity hold kept alive, and turns its result into a verdict.
func (f *flight) handle() *verdict {
	r := f.e.r
	d := &runtime.Delivery{
		ID:         f.id,
		Key:        f.key,
		Family:     r.fam.Name,
		Webhook:    f.e.wh.Name,
		Event:      f.event,
		Attempt:    f.attempt,
		Header:     f.hr.Header,
		ReceivedAt: f.start,
		Raw:        f.req.Raw,
		Fence:      f.claim.Fence,
	}
	ctx, stop := r.keepAlive(f.hr.Context(), f.extend)
	herr := r.call(ctx, d, f.ev)
	if lost := stop(); lost != nil {
		// The claim was lost while the handler ran: another delivery may
		// hold the key now. Never acknowledge; settle will be refused.
		f.logLine(slog.LevelWarn, "lease lost while the handler ran", OutcomeStoreError, 0, lost)
	}
	v := r.judge(herr)
	return &v
}

// extend renews the flight's claim and entity hold. It is called every
// lease/3 while the handler runs.
func (f *flight) extend(ctx context.Context) error {
	r := f.e.r
	if f.won {
		if _, err := r.store.Extend(ctx, f.skey, f.claim.Token, r.lease); err != nil {
			return err
		}
	}
	if f.orderToken != "" {
		// The order store renews a hold by a new Acquire of the same
		// holder, which takes the hold over with a new token.
		oc, err := r.order.Acquire(ctx, f.entity, storePosition(f.pos), f.holder(), r.lease)
		if err != nil {
			return err
		}
		if oc.Verdict != store.Accept {
			return fmt.Errorf("entity hold: %s: %w", oc.Verdict, store.ErrLeaseLost)
		}
		f.orderToken = oc.Token
	}
	return nil
}

// judge maps a handler's result to a verdict, by the sender's delivery
// mode.
func (r *Receiver) judge(herr error) verdict {
	if herr == nil {
		return verdict{out: OutcomeProcessed}
	}
	oe, isOutcome := errors.AsType[*runtime.OutcomeError](herr)
	switch {
	case isOutcome && oe.Kind == runtime.ErrPermanent, errors.Is(herr, runtime.ErrHandlerPanic):
		out, keep := OutcomeRejected, "rejected"
		if !isOutcome {
			out, keep = OutcomePanic, "panic"
		}
		if r.policy.Mode == runtime.RetryUntilSuccess {
			out = OutcomeQuarantined
		}
		return verdict{out: out, err: herr, keep: keep}
	case !isOutcome && errors.Is(herr, runtime.ErrNotHandled):
		// The generated Unimplemented type: the event is known to the spec
		// but the application does not handle it.
		return verdict{out: OutcomeUnhandled, err: herr}
	case !isOutcome && errors.Is(herr, runtime.ErrUnknownEvent):
		// The dispatch does not know the event Decode named.
		if r.strict {
			return verdict{out: OutcomeUnknownEvent, err: herr}
		}
		return verdict{out: OutcomeUnhandled, err: herr}
	case isOutcome && oe.Kind == runtime.ErrTransient:
		return verdict{out: OutcomeRetry, err: herr, after: oe.RetryAfter}
	default: // any other error: transient.
		return verdict{out: OutcomeRetry, err: runtime.Retry(herr, 0)}
	}
}

// storeCtx is the context of the store calls of one step: the request's
// values, without its cancellation, so that a sender hanging up cannot
// leave a claim half-settled, and bounded by the store timeout, so that a
// store that does not answer is answered 503 instead of holding the
// sender.
func (f *flight) storeCtx() context.Context {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(f.hr.Context()), f.e.r.storeTimeout)
	f.cancels = append(f.cancels, cancel)
	return ctx
}

// endStoreCalls releases the contexts made by storeCtx.
func (f *flight) endStoreCalls() {
	for _, cancel := range f.cancels {
		cancel()
	}
}

// keepAlive runs extend every lease/3 until stop is called. When extend
// fails with store.ErrLeaseLost the returned context is cancelled (the
// handler should stop: another holder may run the same delivery), and stop
// returns that error. Other extend errors are retried at the next tick.
//
// No goroutine runs while the handler is shorter than lease/3: a timer
// calls the first extend, and each extend arms the next one.
func (r *Receiver) keepAlive(parent context.Context, extend func(context.Context) error) (context.Context, func() error) {
	ctx, cancel := context.WithCancelCause(parent)
	k := &keeper{ctx: ctx, cancel: cancel, extend: extend, every: max(r.lease/3, time.Millisecond), timeout: r.storeTimeout}
	k.mu.Lock()
	k.t = time.AfterFunc(k.every, k.tick)
	k.mu.Unlock()
	return ctx, k.stop
}

// keeper is the state of one keepAlive.
type keeper struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	extend func(context.Context) error
	every  time.Duration
	// timeout bounds one extend (the store timeout).
	timeout time.Duration

	// run is held while extend runs, so that stop waits for it.
	run sync.Mutex
	mu  sync.Mutex // guards the fields below
	t   *time.Timer
	// stopped is set by stop; a tick that starts after it does nothing.
	stopped bool
	lost    error
}

// tick runs extend once and arms the next tick.
func (k *keeper) tick() {
	k.run.Lock()
	defer k.run.Unlock()
	k.mu.Lock()
	stopped := k.stopped
	k.mu.Unlock()
	if stopped {
		return
	}
	ectx, ecancel := context.WithTimeout(context.WithoutCancel(k.ctx), k.timeout)
	err := k.extend(ectx)
	ecancel()
	k.mu.Lock()
	defer k.mu.Unlock()
	if errors.Is(err, store.ErrLeaseLost) {
		k.lost = err
		k.cancel(err)
		return
	}
	if !k.stopped {
		k.t.Reset(k.every)
	}
}

// stop ends the keepAlive, waits for a running extend and returns the
// lost-lease error, if any.
func (k *keeper) stop() error {
	k.mu.Lock()
	k.stopped = true
	k.t.Stop()
	k.mu.Unlock()
	k.run.Lock()   // wait for a tick in progress
	k.run.Unlock() //nolint:staticcheck // an empty critical section: waiting is the point
	k.cancel(nil)
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lost
}

// call runs the handler, bounded by the handler timeout, turning a panic
// into an error wrapping runtime.ErrHandlerPanic.
func (r *Receiver) call(ctx context.Context, d *runtime.Delivery, ev runtime.Event) (err error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = &panicError{value: fmt.Sprint(p), stack: string(debug.Stack())}
		}
	}()
	return r.dispatch(ctx, d, ev)
}

// panicError is a recovered handler panic.
type panicError struct {
	value string
	stack string
}

func (p *panicError) Error() string { return "handler panicked: " + p.value }
func (p *panicError) Unwrap() error { return runtime.ErrHandlerPanic }

// asInvalid makes sure err wraps runtime.ErrInvalidPayload.
func asInvalid(err error) error {
	if errors.Is(err, runtime.ErrInvalidPayload) {
		return err
	}
	return fmt.Errorf("%w: %w", runtime.ErrInvalidPayload, err)
}

// deliveryID is the sender's delivery id header when the family declares
// one, else derived from the key (stable across retries), else random.
func (r *Receiver) deliveryID(req *runtime.Request, key string) string {
	for _, h := range r.idHeaders {
		if v := req.Header.Get(h); v != "" && len(v) <= 200 {
			return v
		}
	}
	var sum uint64
	if key != "" {
		h := fnv.New64a()
		_, _ = h.Write([]byte(r.fam.Name))
		_, _ = h.Write([]byte{0})
		_, _ = h.Write([]byte(key))
		sum = h.Sum64()
	} else {
		sum = rand.Uint64()
	}
	var b [16]byte
	return string(strconv.AppendUint(b[:0], sum, 16))
}

// invalid is the verdict for a payload that failed validation after
// authentication: quarantined and acknowledged for a sender that retries
// until success (poison ack), else 400.
func (f *flight) invalid(err error) *verdict {
	err = asInvalid(err)
	r := f.e.r
	if r.policy.Mode == runtime.RetryUntilSuccess && r.poisonAck {
		return &verdict{out: OutcomeQuarantined, err: err, keep: "invalid"}
	}
	return &verdict{out: OutcomeInvalid, err: err}
}

// unknownEvent is the verdict for a well-formed payload naming no known
// event: 400 in strict mode, else acknowledged as unhandled.
func (f *flight) unknownEvent(err error) *verdict {
	if f.e.r.strict {
		return &verdict{out: OutcomeUnknownEvent, err: err}
	}
	return &verdict{out: OutcomeUnhandled, err: err}
}

// warn counts and logs lenient-mode findings.
func (f *flight) warn(ws []runtime.FieldError) {
	r := f.e.r
	r.metrics.warnings.WithLabelValues(r.fam.Name, f.e.wh.Name, f.event).Add(float64(len(ws)))
	if !r.log.Enabled(f.hr.Context(), slog.LevelWarn) {
		return
	}
	findings := make([]string, min(len(ws), runtime.MaxFindings))
	for i := range findings {
		findings[i] = runtime.Truncate(ws[i].Error(), runtime.MaxDetail)
	}
	r.log.LogAttrs(f.hr.Context(), slog.LevelWarn, "validation warnings",
		append(f.attrs("", 0), slog.Duration("duration", r.clock().Sub(f.start)), slog.Any("warnings", findings))...)
}
