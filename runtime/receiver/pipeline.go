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
	"time"

	"github.com/gorilla/mux"

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
	e       *endpoint
	w       http.ResponseWriter
	hr      *http.Request
	start   time.Time
	id      string
	key     string // as returned by Webhook.Key
	event   string
	attempt int
}

// ServeHTTP runs one delivery through the pipeline.
func (e *endpoint) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	r := e.r
	f := flight{e: e, w: w, hr: hr, start: r.clock()}
	if !r.enter() {
		f.answerRetry(OutcomeShuttingDown, fmt.Errorf("%w: receiver shutting down", runtime.ErrTransient), 0)
		return
	}
	defer r.leave()
	r.inFlight.Inc()
	defer r.inFlight.Dec()

	// 1. Method.
	if !slices.Contains(e.methods, hr.Method) {
		w.Header().Set("Allow", e.allow)
		f.answerError(OutcomeMethodNotAllowed, runtime.ErrMethodNotAllowed)
		return
	}
	enc := e.wh.Encoding[hr.Method]
	if enc == 0 {
		enc = runtime.JSONBody
	}
	// 2. Content type.
	if enc == runtime.JSONBody && !e.acceptsContentType(hr.Header.Get("Content-Type")) {
		f.answerError(OutcomeUnsupportedMediaType, runtime.ErrUnsupportedMediaType)
		return
	}
	// 3. Bounded read into one pooled buffer.
	limit := r.policy.MaxBodyBytes
	if hr.ContentLength > limit {
		f.answerError(OutcomeTooLarge, runtime.ErrTooLarge)
		return
	}
	buf := r.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			r.bufs.Put(buf)
		}
	}()
	if hr.Body != nil {
		if _, err := buf.ReadFrom(http.MaxBytesReader(w, hr.Body, limit)); err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				f.answerError(OutcomeTooLarge, runtime.ErrTooLarge)
				return
			}
			f.answerError(OutcomeInvalid, &runtime.ValidationError{Errors: []runtime.FieldError{
				{Rule: "syntax", Message: "the body could not be read"},
			}})
			return
		}
	}
	raw := buf.Bytes()

	// 4. The runtime.Request.
	req := &runtime.Request{
		Method:     hr.Method,
		Path:       hr.URL.Path,
		Webhook:    e.wh.Name,
		Header:     hr.Header,
		PathParams: mux.Vars(hr),
		Raw:        raw,
		Body:       raw,
		ReceivedAt: f.start,
		RemoteAddr: hr.RemoteAddr,
	}
	if hr.URL.RawQuery != "" {
		req.Query = hr.URL.Query()
	} // else nil: reads work, no allocation
	var bodyErr error
	if enc == runtime.QueryParams {
		req.Body, bodyErr = e.wh.QueryBody(req)
	}

	// 5. Authenticate.
	if r.auth != nil {
		if err := r.auth.Authenticate(req); err != nil {
			f.answerUnauthorized(err)
			return
		}
	}
	if bodyErr != nil {
		f.invalid(req, asInvalid(bodyErr))
		return
	}

	// 6. Decode and validate.
	ev, err := e.wh.Decode(req, r.strict)
	f.event = ev.Name
	if err != nil {
		if errors.Is(err, runtime.ErrUnknownEvent) {
			f.unknownEvent(err)
			return
		}
		f.invalid(req, asInvalid(err))
		return
	}
	if len(ev.Warnings) > 0 {
		f.warn(ev.Warnings)
	}

	// 7. Idempotency key.
	if e.wh.Key != nil {
		f.key, err = e.wh.Key(req, ev)
		if err != nil {
			f.invalid(req, asInvalid(err))
			return
		}
	}
	f.id = r.deliveryID(req, f.key)
	skey := ""
	if f.key != "" {
		skey = r.fam.Name + ":" + f.key
	}
	sctx := context.WithoutCancel(hr.Context())

	// 8. Ordering guard.
	var pos runtime.Position
	ordered := false
	if e.wh.Order != nil && r.order != nil {
		pos, ordered, err = e.wh.Order(req, ev)
		if err != nil {
			f.invalid(req, asInvalid(err))
			return
		}
	}
	entity := ""
	if ordered {
		entity = r.fam.Name + ":" + pos.Entity
		if skey != "" {
			st, err := r.store.Get(sctx, skey)
			if err != nil {
				f.storeFailed("get", err)
				return
			}
			if st == store.Done {
				// An identical repeat of a completed message. Commit again
				// (idempotent, monotonic) in case the first commit failed.
				if err := r.order.Commit(sctx, entity, pos.Version, pos.HasVersion, pos.Terminal, r.retention); err != nil {
					f.logLine(slog.LevelWarn, "ordering commit on duplicate failed", OutcomeDuplicate, r.policy.SuccessStatus, err)
				}
				f.answerSuccess(OutcomeDuplicate)
				return
			}
		}
		v, err := r.order.Check(sctx, entity, pos.Version, pos.HasVersion, pos.Terminal)
		if err != nil {
			f.storeFailed("order check", err)
			return
		}
		switch v {
		case store.Stale:
			f.answerSuccess(OutcomeDroppedStale)
			return
		case store.AfterTerminal:
			f.answerSuccess(OutcomeDroppedAfterTerminal)
			return
		}
	}

	// 9. Claim.
	var claim store.Claim
	f.attempt = 1
	if skey != "" {
		claim, err = r.store.Claim(sctx, skey, r.lease)
		if err != nil {
			f.storeFailed("claim", err)
			return
		}
		if !claim.Won {
			if claim.State == store.Done {
				f.answerSuccess(OutcomeDuplicate)
				return
			}
			f.answerRetry(OutcomeInFlight, runtime.ErrInFlight, 0)
			return
		}
		if claim.Attempt > 0 {
			f.attempt = claim.Attempt
		}
	}

	// 10. Dispatch.
	d := &runtime.Delivery{
		ID:         f.id,
		Key:        f.key,
		Family:     r.fam.Name,
		Webhook:    e.wh.Name,
		Event:      ev.Name,
		Attempt:    f.attempt,
		Header:     hr.Header,
		ReceivedAt: f.start,
		Raw:        raw,
	}
	herr := r.call(hr.Context(), d, ev)

	// 11. Outcome.
	var oe *runtime.OutcomeError
	isOutcome := errors.As(herr, &oe)
	switch {
	case herr == nil:
		if skey != "" {
			if err := r.store.Complete(sctx, skey, claim.Token, r.retention); err != nil {
				f.storeFailed("complete", err)
				return
			}
		}
		if ordered {
			if err := r.order.Commit(sctx, entity, pos.Version, pos.HasVersion, pos.Terminal, r.retention); err != nil {
				f.storeFailed("order commit", err)
				return
			}
		}
		f.answerSuccess(OutcomeProcessed)

	case isOutcome && oe.Kind == runtime.ErrPermanent, errors.Is(herr, runtime.ErrHandlerPanic):
		outcome, reason := OutcomeRejected, "rejected"
		if !isOutcome {
			outcome, reason = OutcomePanic, "panic"
		}
		if err := f.quarantine(sctx, req, reason, herr); err != nil {
			f.release(sctx, skey, claim.Token)
			f.storeFailed("quarantine", err)
			return
		}
		// Quarantined is persisted: the key may be completed and the
		// delivery acknowledged even if Complete fails.
		if skey != "" {
			if err := r.store.Complete(sctx, skey, claim.Token, r.retention); err != nil {
				f.logLine(slog.LevelWarn, "complete after quarantine failed", outcome, 0, err)
			}
		}
		if r.policy.Mode == runtime.RetryUntilSuccess {
			f.answerSuccessErr(OutcomeQuarantined, herr)
			return
		}
		f.answerError(outcome, herr)

	case !isOutcome && errors.Is(herr, runtime.ErrNotHandled):
		// The generated Unimplemented type: the event is known to the
		// spec but the application does not handle it. Acknowledge it so
		// the sender stops, and count it as unhandled.
		if skey != "" {
			if err := r.store.Complete(sctx, skey, claim.Token, r.retention); err != nil {
				f.storeFailed("complete", err)
				return
			}
		}
		f.answerSuccessErr(OutcomeUnhandled, herr)

	case !isOutcome && errors.Is(herr, runtime.ErrUnknownEvent):
		// The dispatch does not know the event Decode named.
		if r.strict {
			f.release(sctx, skey, claim.Token)
			f.answerError(OutcomeUnknownEvent, herr)
			return
		}
		if skey != "" {
			if err := r.store.Complete(sctx, skey, claim.Token, r.retention); err != nil {
				f.storeFailed("complete", err)
				return
			}
		}
		f.answerSuccessErr(OutcomeUnhandled, herr)

	default: // runtime.Retry or any other error: transient.
		f.release(sctx, skey, claim.Token)
		after := time.Duration(0)
		if isOutcome && oe.Kind == runtime.ErrTransient {
			after = oe.RetryAfter
		} else {
			herr = runtime.Retry(herr, 0)
		}
		if r.policy.Mode == runtime.SingleAttempt {
			f.singleAttemptFailed(herr, after)
			return
		}
		f.answerRetry(OutcomeRetry, herr, after)
	}
}

// singleAttemptFailed answers a transient handler failure to a sender that
// will not retry. Today it answers like for retrying senders (retry status +
// Retry-After), which loses the event for a true single-attempt sender.
//
// This is the seam for durable mode: persist the delivery to the inbox
// here, then acknowledge with the success status and let a worker retry the
// handler with backoff.
func (f *flight) singleAttemptFailed(err error, after time.Duration) {
	f.answerRetry(OutcomeRetry, err, after)
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

// acceptsContentType reports whether ct (parameters ignored) is accepted. A
// missing Content-Type is accepted in lenient mode only.
func (e *endpoint) acceptsContentType(ct string) bool {
	if ct == "" {
		return !e.r.strict
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	for _, want := range e.ctypes {
		if strings.EqualFold(ct, want) {
			return true
		}
	}
	return false
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

// invalid handles a payload that failed validation after authentication.
func (f *flight) invalid(req *runtime.Request, err error) {
	r := f.e.r
	if r.policy.Mode == runtime.RetryUntilSuccess && r.poisonAck {
		if f.id == "" {
			f.id = r.deliveryID(req, f.key)
		}
		if qerr := f.quarantine(context.WithoutCancel(f.hr.Context()), req, "invalid", err); qerr != nil {
			f.storeFailed("quarantine", qerr)
			return
		}
		f.answerSuccessErr(OutcomeQuarantined, err)
		return
	}
	f.answerError(OutcomeInvalid, err)
}

// unknownEvent handles a well-formed payload naming no known event.
func (f *flight) unknownEvent(err error) {
	if f.e.r.strict {
		f.answerError(OutcomeUnknownEvent, err)
		return
	}
	f.answerSuccessErr(OutcomeUnhandled, err)
}

// warn counts and logs lenient-mode findings.
func (f *flight) warn(ws []runtime.FieldError) {
	r := f.e.r
	r.metrics.warnings.WithLabelValues(r.fam.Name, f.e.wh.Name, f.event).Add(float64(len(ws)))
	if !r.log.Enabled(f.hr.Context(), slog.LevelWarn) {
		return
	}
	findings := make([]string, len(ws))
	for i, w := range ws {
		findings[i] = w.Error()
	}
	r.log.LogAttrs(f.hr.Context(), slog.LevelWarn, "validation warnings",
		append(f.attrs("", 0), slog.Duration("duration", r.clock().Sub(f.start)), slog.Any("warnings", findings))...)
}

// quarantine stores the raw delivery in the dead letter.
func (f *flight) quarantine(ctx context.Context, req *runtime.Request, outcome string, cause error) error {
	r := f.e.r
	h, q := r.redact.apply(req.Header, f.hr.URL.RawQuery)
	return r.dl.Quarantine(ctx, Quarantined{
		ID:         f.id,
		Family:     r.fam.Name,
		Webhook:    f.e.wh.Name,
		Event:      f.event,
		Key:        f.key,
		Method:     req.Method,
		Path:       req.Path,
		RawQuery:   q,
		Header:     h,
		Body:       bytes.Clone(req.Raw),
		Outcome:    outcome,
		Reason:     cause.Error(),
		Attempt:    f.attempt,
		ReceivedAt: f.start,
	})
}

// release marks a claimed key failed so that the next attempt wins at once.
func (f *flight) release(ctx context.Context, skey, token string) {
	if skey == "" {
		return
	}
	if err := f.e.r.store.Release(ctx, skey, token); err != nil {
		// The lease will expire on its own; the answer stays a retry.
		f.logLine(slog.LevelWarn, "release failed", OutcomeRetry, 0, err)
	}
}

// storeFailed answers a store or dead letter failure: 503 + Retry-After,
// never an acknowledgement.
func (f *flight) storeFailed(op string, err error) {
	f.answerRetry(OutcomeStoreError, fmt.Errorf("%w: %s: %w", runtime.ErrStore, op, err), 0)
}

// answerSuccess acknowledges the delivery with the success status and an
// empty body.
func (f *flight) answerSuccess(out Outcome) { f.answerSuccessErr(out, nil) }

func (f *flight) answerSuccessErr(out Outcome, cause error) {
	status := f.e.r.policy.SuccessStatus
	f.w.Header().Set(OutcomeHeader, string(out))
	f.w.Header().Set("Content-Length", "0")
	f.w.WriteHeader(status)
	f.finish(out, status, cause)
}

// answerRetry answers err with its status (the retry status, or 503 for
// store errors) and Retry-After (after, or the policy's default).
func (f *flight) answerRetry(out Outcome, err error, after time.Duration) {
	if after <= 0 {
		after = f.e.r.policy.RetryAfter
	}
	secs := int64((after + time.Second - 1) / time.Second)
	f.w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	f.answerError(out, err)
}

// answerError answers err as a problem document, status from
// runtime.StatusFor.
func (f *flight) answerError(out Outcome, err error) {
	pr := runtime.ProblemFor(err, f.e.r.policy)
	if f.id != "" {
		pr.Instance = "urn:hookgen:delivery:" + f.id
	}
	f.w.Header().Set(OutcomeHeader, string(out))
	runtime.WriteProblem(f.w, pr)
	f.finish(out, pr.Status, err)
}

// answerUnauthorized answers tersely: no outcome header, no detail.
func (f *flight) answerUnauthorized(err error) {
	pr := runtime.ProblemFor(runtime.ErrUnauthorized, f.e.r.policy)
	runtime.WriteProblem(f.w, pr)
	if !errors.Is(err, runtime.ErrUnauthorized) {
		err = fmt.Errorf("%w: %w", runtime.ErrUnauthorized, err)
	}
	f.finish(OutcomeUnauthorized, pr.Status, err)
}

// finish counts and logs the answered delivery.
func (f *flight) finish(out Outcome, status int, err error) {
	r := f.e.r
	elapsed := r.clock().Sub(f.start)
	r.metrics.deliveries.WithLabelValues(r.fam.Name, f.e.wh.Name, f.event, string(out)).Inc()
	r.metrics.duration.WithLabelValues(r.fam.Name, f.e.wh.Name, string(out)).Observe(elapsed.Seconds())
	level := out.level()
	if !r.log.Enabled(f.hr.Context(), level) {
		return
	}
	attrs := f.attrs(out, status)
	attrs = append(attrs, slog.Duration("duration", elapsed))
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		if pe, ok := errors.AsType[*panicError](err); ok {
			attrs = append(attrs, slog.String("stack", pe.stack))
		}
	}
	r.log.LogAttrs(f.hr.Context(), level, "delivery", attrs...)
}

// logLine logs a side note of the delivery with the common attributes.
func (f *flight) logLine(level slog.Level, msg string, out Outcome, status int, err error) {
	r := f.e.r
	if !r.log.Enabled(f.hr.Context(), level) {
		return
	}
	attrs := append(f.attrs(out, status),
		slog.Duration("duration", r.clock().Sub(f.start)),
		slog.String("error", err.Error()))
	r.log.LogAttrs(f.hr.Context(), level, msg, attrs...)
}

// attrs are the attributes every log line of a delivery carries.
func (f *flight) attrs(out Outcome, status int) []slog.Attr {
	return []slog.Attr{
		slog.String("delivery_id", f.id),
		slog.String("key", f.key),
		slog.String("family", f.e.r.fam.Name),
		slog.String("webhook", f.e.wh.Name),
		slog.String("event", f.event),
		slog.String("outcome", string(out)),
		slog.Int("status", status),
		slog.Int("attempt", f.attempt),
	}
}
