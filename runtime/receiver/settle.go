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
	"github.com/hookgen/hookgen/runtime/store"
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
	// record is the Reason of the record kept in the store's inbox for the
	// outcome ("" keeps none).
	record string
	// recordLenient: a failure to keep the record is only logged (the
	// handler ran: answering a retry would run it again).
	recordLenient bool
}

// ackTable is the acknowledgement table: for every outcome, how the
// delivery is answered and what happens to its claim and its entity. It is
// the one place that decides; settle only follows it. Outcomes whose
// verdict carries keep are kept in the dead letter first, and answered 503
// when that fails.
var ackTable = map[Outcome]rule{
	OutcomeProcessed:            {answer: ackSuccess, key: keyComplete, commitOrder: true, record: store.ReasonProcessed, recordLenient: true},
	OutcomeAccepted:             {answer: ackSuccess},
	OutcomeDuplicate:            {answer: ackSuccess, record: store.ReasonProcessed, recordLenient: true},
	OutcomeInFlight:             {answer: ackRetry},
	OutcomeRetry:                {answer: ackRetry, key: keyRelease},
	OutcomeQuarantined:          {answer: ackSuccess, key: keyCompleteLenient},
	OutcomeRejected:             {answer: ackProblem, key: keyCompleteLenient},
	OutcomePanic:                {answer: ackProblem, key: keyCompleteLenient},
	OutcomeDroppedStale:         {answer: ackSuccess, record: store.ReasonStale},
	OutcomeDroppedAfterTerminal: {answer: ackSuccess, record: store.ReasonAfterClose},
	OutcomeUnhandled:            {answer: ackSuccess, key: keyComplete, record: store.ReasonUnhandled},
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
	// In durable mode the persist stage counted the duplicate already.
	if rl.record != "" && f.e.r.inbox != nil && f.req != nil && (f.e.r.mode == Sync || v.out != OutcomeDuplicate) {
		if err := f.record(ctx, store.EntryDone, recordReason(rl.record, v.err), v.err); err != nil {
			if !rl.recordLenient {
				v = *storeFailed("record", err)
				rl = ackTable[v.out]
			} else {
				f.logLine(slog.LevelWarn, "record failed", v.out, 0, err)
			}
		}
	}
	if f.won {
		f.won = false
		v = f.settleKey(ctx, rl.key, v)
		rl = ackTable[v.out]
	}
	if f.orderToken != "" {
		v = f.settleOrder(ctx, rl.commitOrder, v)
		rl = ackTable[v.out]
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

// settleOrder commits (the table says the message moved its entity) or
// abandons the entity hold. A failed commit becomes a store error.
func (f *flight) settleOrder(ctx context.Context, commit bool, v verdict) verdict {
	r, tok := f.e.r, f.orderToken
	f.orderToken = ""
	if commit {
		if err := r.order.CommitOrder(ctx, f.entity, tok, storePosition(f.pos), r.retention); err != nil {
			return *storeFailed("order commit", err)
		}
		return v
	}
	if err := r.order.AbandonOrder(ctx, f.entity, tok); err != nil {
		// The hold ends with its lease; the answer stands.
		f.logLine(slog.LevelWarn, "abandon order failed", v.out, 0, err)
	}
	return v
}

// storeFailed is the verdict for a store or dead letter failure: 503 +
// Retry-After, never an acknowledgement.
func storeFailed(op string, err error) *verdict {
	return &verdict{out: OutcomeStoreError, err: fmt.Errorf("%w: %s: %w", runtime.ErrStore, op, err)}
}

// quarantine keeps the raw delivery as a dead entry of the store's inbox
// (Reason "quarantined", or "invalid" for a payload that failed
// validation) and in the dead letter, if any.
func (f *flight) quarantine(ctx context.Context, why string, cause error) error {
	r := f.e.r
	if r.inbox != nil {
		reason := store.ReasonQuarantined
		if why == "invalid" {
			reason = store.ReasonInvalid
		}
		if err := f.record(ctx, store.Dead, reason, cause); err != nil {
			return err
		}
	}
	if r.dl == nil {
		return nil
	}
	if f.id == "" {
		f.id = r.deliveryID(f.req, f.key)
	}
	h, q := r.redact.apply(f.req.Header, f.hr.URL.RawQuery)
	text := ""
	if cause != nil {
		text = runtime.Truncate(cause.Error(), runtime.MaxDetail)
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
		Reason:     text,
		Attempt:    f.attempt,
		ReceivedAt: f.start,
	})
}

// record keeps the delivery in the store's inbox in state st with reason.
// A record the inbox already holds counts a duplicate on it and is no
// failure.
func (f *flight) record(ctx context.Context, st store.EntryState, reason string, cause error) error {
	e := f.entry()
	e.State, e.Reason = st, reason
	if cause != nil {
		e.LastError = runtime.Truncate(cause.Error(), runtime.MaxDetail)
	}
	if err := f.e.r.inbox.Put(ctx, e); err != nil && !errors.Is(err, store.ErrDuplicate) {
		return err
	}
	return nil
}

// recordReason refines the table's reason: an unhandled delivery whose
// event is unknown is kept as "unknown-event".
func recordReason(reason string, cause error) string {
	if reason == store.ReasonUnhandled && errors.Is(cause, runtime.ErrUnknownEvent) {
		return store.ReasonUnknownEvent
	}
	return reason
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
	r.series.count(f.e.wh.Name, f.event, out, elapsed)
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
