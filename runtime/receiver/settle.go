package receiver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/hookgen/hookgen/runtime"
)

// answer is how a delivery is answered.
type answer int

const (
	// ackSuccess: the success status and an empty body.
	ackSuccess answer = iota + 1
	// ackRetry: a problem document with Retry-After (the retry status, or
	// 503 for store failures).
	ackRetry
	// ackProblem: a problem document, status from runtime.StatusFor.
	ackProblem
	// ackTerse: a problem document without detail or outcome header
	// (authentication failures).
	ackTerse
)

// keyStep is what settle does with a claim the flight holds.
type keyStep int

const (
	// keyRelease marks the key failed so that the next attempt wins at once.
	keyRelease keyStep = iota
	// keyComplete marks the key done; a failure is answered 503.
	keyComplete
	// keyCompleteLenient marks the key done; a failure is only logged,
	// because the delivery is already kept durably (quarantined).
	keyCompleteLenient
)

// rule is one row of the acknowledgement table.
type rule struct {
	answer answer
	key    keyStep
	// commitOrder advances the entity's ordering position.
	commitOrder bool
}

// ackTable is the acknowledgement table: for every outcome, how the
// delivery is answered and what happens to its claim and its entity. It is
// the one place that decides; settle only follows it. Outcomes whose
// verdict carries keep are kept in the dead letter first, and answered 503
// when that fails.
var ackTable = map[Outcome]rule{
	OutcomeProcessed:            {answer: ackSuccess, key: keyComplete, commitOrder: true},
	OutcomeDuplicate:            {answer: ackSuccess},
	OutcomeInFlight:             {answer: ackRetry},
	OutcomeRetry:                {answer: ackRetry, key: keyRelease},
	OutcomeQuarantined:          {answer: ackSuccess, key: keyCompleteLenient},
	OutcomeRejected:             {answer: ackProblem, key: keyCompleteLenient},
	OutcomePanic:                {answer: ackProblem, key: keyCompleteLenient},
	OutcomeDroppedStale:         {answer: ackSuccess},
	OutcomeDroppedAfterTerminal: {answer: ackSuccess},
	OutcomeUnhandled:            {answer: ackSuccess, key: keyComplete},
	OutcomeUnknownEvent:         {answer: ackProblem, key: keyRelease},
	OutcomeInvalid:              {answer: ackProblem},
	OutcomeUnauthorized:         {answer: ackTerse},
	OutcomeTooLarge:             {answer: ackProblem},
	OutcomeUnsupportedMediaType: {answer: ackProblem},
	OutcomeMethodNotAllowed:     {answer: ackProblem},
	OutcomeStoreError:           {answer: ackRetry, key: keyRelease},
	OutcomeShuttingDown:         {answer: ackRetry},
}

// settle is the one settle path: it keeps what must be kept, completes or
// releases the claim, advances the entity, and answers, all as the
// acknowledgement table says for the verdict's outcome. A failure to keep,
// complete or commit turns the verdict into a store error (503 +
// Retry-After), so nothing is acknowledged that is neither processed nor
// kept.
func (f *flight) settle(v verdict) {
	ctx := f.storeCtx()
	if v.keep != "" {
		if err := f.quarantine(ctx, v.keep, v.err); err != nil {
			v = *storeFailed("quarantine", err)
		}
	}
	rl := ackTable[v.out]
	if f.won {
		f.won = false
		v = f.settleKey(ctx, rl.key, v)
		rl = ackTable[v.out]
	}
	if rl.commitOrder && f.ordered {
		r := f.e.r
		if err := r.order.Commit(ctx, f.entity, f.pos.Version, f.pos.HasVersion, f.pos.Terminal, r.retention); err != nil {
			v = *storeFailed("order commit", err)
			rl = ackTable[v.out]
		}
	}
	switch rl.answer {
	case ackSuccess:
		f.answerSuccess(v.out, v.err)
	case ackRetry:
		f.answerRetry(v.out, v.err, v.after)
	case ackTerse:
		f.answerUnauthorized(v.err)
	default:
		f.answerError(v.out, v.err)
	}
}

// settleKey completes or releases the held claim; a failed Complete that
// the table does not tolerate becomes a store error (and the claim is
// released, so that the sender's retry wins at once).
func (f *flight) settleKey(ctx context.Context, step keyStep, v verdict) verdict {
	r := f.e.r
	switch step {
	case keyComplete, keyCompleteLenient:
		err := r.store.Complete(ctx, f.skey, f.claim.Token, r.retention)
		if err == nil {
			return v
		}
		if step == keyCompleteLenient {
			f.logLine(slog.LevelWarn, "complete after quarantine failed", v.out, 0, err)
			return v
		}
		v = *storeFailed("complete", err)
	}
	if err := r.store.Release(ctx, f.skey, f.claim.Token); err != nil {
		// The lease will expire on its own; the answer stays a retry.
		f.logLine(slog.LevelWarn, "release failed", v.out, 0, err)
	}
	return v
}

// storeFailed is the verdict for a store or dead letter failure: 503 +
// Retry-After, never an acknowledgement.
func storeFailed(op string, err error) *verdict {
	return &verdict{out: OutcomeStoreError, err: fmt.Errorf("%w: %s: %w", runtime.ErrStore, op, err)}
}

// quarantine stores the raw delivery in the dead letter.
func (f *flight) quarantine(ctx context.Context, why string, cause error) error {
	r := f.e.r
	if f.id == "" {
		f.id = r.deliveryID(f.req, f.key)
	}
	h, q := r.redact.apply(f.req.Header, f.hr.URL.RawQuery)
	reason := ""
	if cause != nil {
		reason = runtime.Truncate(cause.Error(), runtime.MaxDetail)
	}
	return r.dl.Quarantine(ctx, Quarantined{
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
		Outcome:    why,
		Reason:     reason,
		Attempt:    f.attempt,
		ReceivedAt: f.start,
	})
}

// answerSuccess acknowledges the delivery with the success status and an
// empty body.
func (f *flight) answerSuccess(out Outcome, cause error) {
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
		pr.Instance = "urn:hookgen:delivery:" + runtime.Truncate(f.id, runtime.MaxDetail)
	}
	f.w.Header().Set(OutcomeHeader, string(out))
	runtime.WriteProblem(f.w, pr)
	f.finish(out, pr.Status, err)
}

// answerUnauthorized answers tersely: no outcome header, no detail.
func (f *flight) answerUnauthorized(err error) {
	pr := runtime.ProblemFor(runtime.ErrUnauthorized, f.e.r.policy)
	runtime.WriteProblem(f.w, pr)
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
		attrs = append(attrs, slog.String("error", runtime.Truncate(err.Error(), runtime.MaxDetail)))
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
		slog.String("error", runtime.Truncate(err.Error(), runtime.MaxDetail)))
	r.log.LogAttrs(f.hr.Context(), level, msg, attrs...)
}

// attrs are the attributes every log line of a delivery carries, each cut
// to runtime.MaxDetail bytes (the key and the event come from the payload).
func (f *flight) attrs(out Outcome, status int) []slog.Attr {
	return []slog.Attr{
		slog.String("delivery_id", runtime.Truncate(f.id, runtime.MaxDetail)),
		slog.String("key", runtime.Truncate(f.key, runtime.MaxDetail)),
		slog.String("family", f.e.r.fam.Name),
		slog.String("webhook", f.e.wh.Name),
		slog.String("event", runtime.Truncate(f.event, runtime.MaxDetail)),
		slog.String("outcome", string(out)),
		slog.Int("status", status),
		slog.Int("attempt", f.attempt),
	}
}
