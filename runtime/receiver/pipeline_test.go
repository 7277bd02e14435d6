package receiver_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/receiver/internal/fixture"
	"github.com/hookgen/hookgen/runtime/store"
)

// orderedStore is what the memory store is: claims and ordering.
type orderedStore interface {
	store.Store
	store.OrderStore
}

// faultyStore fails the operations it is told to.
type faultyStore struct {
	orderedStore
	failGet, failClaim, failComplete, failRelease bool
	failCheck, failCommit                         bool
}

var errDisk = errors.New("disk on fire")

func (f *faultyStore) Get(ctx context.Context, key string) (store.State, error) {
	if f.failGet {
		return 0, errDisk
	}
	return f.orderedStore.Get(ctx, key)
}

func (f *faultyStore) Claim(ctx context.Context, key string, lease time.Duration) (store.Claim, error) {
	if f.failClaim {
		return store.Claim{}, errDisk
	}
	return f.orderedStore.Claim(ctx, key, lease)
}

func (f *faultyStore) Complete(ctx context.Context, key, tok string, retention time.Duration) error {
	if f.failComplete {
		return errDisk
	}
	return f.orderedStore.Complete(ctx, key, tok, retention)
}

func (f *faultyStore) Release(ctx context.Context, key, tok string) error {
	if f.failRelease {
		_ = f.orderedStore.Release(ctx, key, tok) // fail after the fact: the caller cannot tell
		return errDisk
	}
	return f.orderedStore.Release(ctx, key, tok)
}

// Acquire and CommitOrder fail on demand; the rest of the order store is
// the memory store's.
func (f *faultyStore) Acquire(ctx context.Context, entity string, pos store.Position, holder string, lease time.Duration) (store.OrderClaim, error) {
	if f.failCheck {
		return store.OrderClaim{}, errDisk
	}
	return f.orderedStore.Acquire(ctx, entity, pos, holder, lease)
}

func (f *faultyStore) CommitOrder(ctx context.Context, entity, token string, pos store.Position, retention time.Duration) error {
	if f.failCommit {
		return errDisk
	}
	return f.orderedStore.CommitOrder(ctx, entity, token, pos, retention)
}

// failingDeadLetter cannot store anything.
type failingDeadLetter struct{}

func (failingDeadLetter) Quarantine(context.Context, receiver.Quarantined) error { return errDisk }

// syncMode runs a single-attempt family in synchronous mode.
var syncMode = []receiver.Option{receiver.WithMode(receiver.Sync)}

const nid = "836f628c-1258-4500-b1c7-23884e00f439"

// TestPipeline has one row per situation of the delivery pipeline. Every
// row sends its deliveries over HTTP and asserts the answer (status,
// Hookgen-Outcome, Retry-After, problem document) and how many times the
// handler ran in total (setup included).
func TestPipeline(t *testing.T) {
	open1, open2, closeMsg := fixture.Open(nid, 1000), fixture.Open(nid, 2000), fixture.Close(nid)
	oversize := fixture.Open(nid, 1000)
	oversize = append(oversize[:len(oversize)-1], `,"pad":"`+strings.Repeat("x", 70<<10)+`"}`...)
	retryErr := func(int, *runtime.Delivery, runtime.Event) error { return runtime.Retry(errors.New("db down"), 0) }
	rejectErr := func(int, *runtime.Delivery, runtime.Event) error { return runtime.Reject(errors.New("never")) }
	panics := func(int, *runtime.Delivery, runtime.Event) error { panic("handler bug") }

	tests := []struct {
		name    string
		fam     func() *runtime.Family // default fixture.StackState
		opts    []receiver.Option
		behave  func(n int, d *runtime.Delivery, ev runtime.Event) error
		setup   func(t *testing.T, h *harness) (done func())
		req     request
		storeFn func(m *store.Memory) store.Store // wraps the store

		wantStatus     int
		wantOutcome    string
		wantRetryAfter string // "" = header absent
		wantProblem    string // problem type slug; "" = no problem body
		wantPointer    string
		wantCalls      int
		check          func(t *testing.T, h *harness, r response)
	}{
		{
			name:       "success is exactly 200 with an empty body",
			req:        request{body: open1},
			wantStatus: 200, wantOutcome: "processed", wantCalls: 1,
			check: func(t *testing.T, h *harness, r response) {
				assert.Empty(t, r.body)
				d := h.lastDelivery()
				assert.Equal(t, 1, d.Attempt)
				assert.Equal(t, nid+":open:1000", d.Key)
				assert.Equal(t, "stackstate", d.Family)
				assert.Equal(t, "notification", d.Webhook)
				assert.Equal(t, fixture.EventOpened, d.Event)
				assert.Equal(t, open1, d.Raw)
				assert.NotEmpty(t, d.ID)
			},
		},
		{
			name:       "content type parameters are ignored",
			req:        request{body: open1, contentType: "Application/JSON; charset=utf-8"},
			wantStatus: 200, wantOutcome: "processed", wantCalls: 1,
		},
		{
			name:       "missing content type is accepted in lenient mode",
			req:        request{body: open1, contentType: "-"},
			wantStatus: 200, wantOutcome: "processed", wantCalls: 1,
		},
		{
			name:       "missing content type is refused in strict mode",
			opts:       []receiver.Option{receiver.WithStrict(true)},
			req:        request{body: open1, contentType: "-"},
			wantStatus: 415, wantOutcome: "unsupported-media-type", wantProblem: "unsupported-media-type",
		},
		{
			name:       "handler retry asks a retrying sender to come back",
			behave:     retryErr,
			req:        request{body: open1},
			wantStatus: 503, wantOutcome: "retry", wantRetryAfter: "5", wantProblem: "transient", wantCalls: 1,
		},
		{
			name: "handler retry with its own delay",
			behave: func(int, *runtime.Delivery, runtime.Event) error {
				return runtime.Retry(nil, 90*time.Second+time.Millisecond)
			},
			req:        request{body: open1},
			wantStatus: 503, wantOutcome: "retry", wantRetryAfter: "91", wantProblem: "transient", wantCalls: 1,
		},
		{
			name:       "plain handler error is transient",
			behave:     func(int, *runtime.Delivery, runtime.Event) error { return errors.New("oops") },
			req:        request{body: open1},
			wantStatus: 503, wantOutcome: "retry", wantRetryAfter: "5", wantProblem: "transient", wantCalls: 1,
		},
		{
			name:       "handler retry to a single-attempt sender is 503 too (sync mode)",
			opts:       syncMode,
			fam:        fixture.SingleAttempt,
			behave:     retryErr,
			req:        request{path: fixture.TaskPath, body: fixture.TaskBody("t1")},
			wantStatus: 503, wantOutcome: "retry", wantRetryAfter: "5", wantProblem: "transient", wantCalls: 1,
		},
		{
			name:       "reject to a retry-until-success sender is quarantined and acknowledged",
			behave:     rejectErr,
			req:        request{body: open1},
			wantStatus: 200, wantOutcome: "quarantined", wantCalls: 1,
			check: func(t *testing.T, h *harness, _ response) {
				items := h.dl.List()
				require.Len(t, items, 1)
				q := items[0]
				assert.Equal(t, open1, q.Body)
				assert.Equal(t, "rejected", q.Outcome)
				assert.Equal(t, fixture.EventOpened, q.Event)
				assert.Equal(t, nid+":open:1000", q.Key)
				assert.Equal(t, "[REDACTED]", q.Header.Get(fixture.TokenHeader))
				assert.Contains(t, q.Reason, "never")
				// The key is completed: a retry is a duplicate.
				r := h.send(request{body: open1})
				assert.Equal(t, 200, r.status)
				assert.Equal(t, "duplicate", r.header.Get(receiver.OutcomeHeader))
			},
		},
		{
			name:       "reject to a single-attempt sender is 422 (sync mode)",
			opts:       syncMode,
			fam:        fixture.SingleAttempt,
			behave:     rejectErr,
			req:        request{path: fixture.TaskPath, body: fixture.TaskBody("t1")},
			wantStatus: 422, wantOutcome: "rejected", wantProblem: "rejected", wantCalls: 1,
			check: func(t *testing.T, h *harness, r response) {
				assert.NotContains(t, string(r.body), "never", "the handler's message is not echoed")
				require.Equal(t, 1, h.dl.Len())
				assert.Equal(t, fixture.TaskBody("t1"), h.dl.List()[0].Body)
			},
		},
		{
			name:       "panic to a retry-until-success sender is quarantined and acknowledged",
			behave:     panics,
			req:        request{body: open1},
			wantStatus: 200, wantOutcome: "quarantined", wantCalls: 2,
			check: func(t *testing.T, h *harness, _ response) {
				require.Equal(t, 1, h.dl.Len())
				assert.Equal(t, "panic", h.dl.List()[0].Outcome)
				// The server survived and serves the next delivery.
				h.behave = nil
				r := h.send(request{body: open2})
				assert.Equal(t, 200, r.status)
				assert.Equal(t, "processed", r.header.Get(receiver.OutcomeHeader))
			},
		},
		{
			name:       "panic to a single-attempt sender is 500 (sync mode)",
			opts:       syncMode,
			fam:        fixture.SingleAttempt,
			behave:     panics,
			req:        request{path: fixture.TaskPath, body: fixture.TaskBody("t1")},
			wantStatus: 500, wantOutcome: "panic", wantProblem: "handler-panic", wantCalls: 1,
			check: func(t *testing.T, h *harness, _ response) {
				assert.Equal(t, 1, h.dl.Len())
			},
		},
		{
			name: "duplicate of a completed delivery (ordered webhook)",
			setup: func(t *testing.T, h *harness) func() {
				require.Equal(t, 200, h.send(request{body: open1}).status)
				return nil
			},
			req:        request{body: open1},
			wantStatus: 200, wantOutcome: "duplicate", wantCalls: 1,
		},
		{
			name: "duplicate of a completed delivery (claim) (sync mode)",
			opts: syncMode,
			fam:  fixture.SingleAttempt,
			setup: func(t *testing.T, h *harness) func() {
				require.Equal(t, 200, h.send(request{path: fixture.TaskPath, body: fixture.TaskBody("t1")}).status)
				return nil
			},
			req:        request{path: fixture.TaskPath, body: fixture.TaskBody("t1")},
			wantStatus: 200, wantOutcome: "duplicate", wantCalls: 1,
		},
		{
			name: "concurrent duplicate while the first is in flight is never 2xx",
			setup: func(t *testing.T, h *harness) func() {
				entered, release := make(chan struct{}), make(chan struct{})
				h.behave = func(n int, _ *runtime.Delivery, _ runtime.Event) error {
					if n == 1 {
						close(entered)
						<-release
					}
					return nil
				}
				first := make(chan response, 1)
				go func() { first <- h.send(request{body: open1}) }()
				<-entered
				return func() {
					close(release)
					r := <-first
					assert.Equal(t, 200, r.status, "the first delivery still succeeds")
					assert.Equal(t, "processed", r.header.Get(receiver.OutcomeHeader))
				}
			},
			req:        request{body: open1},
			wantStatus: 503, wantOutcome: "in-flight", wantRetryAfter: "5", wantProblem: "in-flight", wantCalls: 1,
		},
		{
			name: "an earlier failed attempt is claimed again with Attempt 2",
			setup: func(t *testing.T, h *harness) func() {
				h.behave = func(n int, _ *runtime.Delivery, _ runtime.Event) error {
					if n == 1 {
						return runtime.Retry(nil, 0)
					}
					return nil
				}
				require.Equal(t, 503, h.send(request{body: open1}).status)
				return nil
			},
			req:        request{body: open1},
			wantStatus: 200, wantOutcome: "processed", wantCalls: 2,
			check: func(t *testing.T, h *harness, _ response) {
				assert.Equal(t, 2, h.lastDelivery().Attempt)
			},
		},
		{
			name: "an expired lease (the holder died) is claimed again",
			setup: func(t *testing.T, h *harness) func() {
				c, err := h.mem.Claim(context.Background(), "stackstate:"+nid+":open:1000", 5*time.Millisecond)
				require.NoError(t, err)
				require.True(t, c.Won)
				time.Sleep(20 * time.Millisecond) // never completed: the process "died"
				return nil
			},
			req:        request{body: open1},
			wantStatus: 200, wantOutcome: "processed", wantCalls: 1,
			check: func(t *testing.T, h *harness, _ response) {
				assert.Equal(t, 2, h.lastDelivery().Attempt)
			},
		},
		{
			name:       "invalid payload without poison ack is 400 with the pointer",
			opts:       []receiver.Option{receiver.WithPoisonAck(false)},
			req:        request{body: []byte(`{"event":{"type":"open","triggeredTimeMs":5}}`)},
			wantStatus: 400, wantOutcome: "invalid", wantProblem: "invalid-payload", wantPointer: "/notificationId",
		},
		{
			name:       "invalid payload to a single-attempt sender is 400 with the pointer (sync mode)",
			opts:       syncMode,
			fam:        fixture.SingleAttempt,
			req:        request{path: fixture.TaskPath, body: []byte(`{"status":"failed"}`)},
			wantStatus: 400, wantOutcome: "invalid", wantProblem: "invalid-payload", wantPointer: "/taskId",
		},
		{
			name:       "invalid payload to a retry-until-success sender is quarantined (poison ack)",
			req:        request{body: []byte(`{"event":{"type":"open","triggeredTimeMs":5}}`)},
			wantStatus: 200, wantOutcome: "quarantined",
			check: func(t *testing.T, h *harness, _ response) {
				require.Equal(t, 1, h.dl.Len())
				q := h.dl.List()[0]
				assert.Equal(t, "invalid", q.Outcome)
				assert.Equal(t, `{"event":{"type":"open","triggeredTimeMs":5}}`, string(q.Body))
			},
		},
		{
			name:       "poison ack that cannot be persisted is not acknowledged",
			opts:       []receiver.Option{receiver.WithDeadLetter(failingDeadLetter{})},
			req:        request{body: []byte(`{"event":{"type":"open"}}`)},
			wantStatus: 503, wantOutcome: "store-error", wantRetryAfter: "5", wantProblem: "store-unavailable",
		},
		{
			name:       "unknown event is acknowledged in lenient mode",
			req:        request{body: fixture.Event(nid, "escalate")},
			wantStatus: 200, wantOutcome: "unhandled",
		},
		{
			name:       "unknown event is 400 in strict mode",
			opts:       []receiver.Option{receiver.WithStrict(true)},
			req:        request{body: fixture.Event(nid, "escalate")},
			wantStatus: 400, wantOutcome: "unknown-event", wantProblem: "unknown-event",
		},
		{
			name:       "oversize body is 413",
			req:        request{body: oversize},
			wantStatus: 413, wantOutcome: "too-large", wantProblem: "too-large",
		},
		{
			name:       "oversize body without Content-Length is 413",
			req:        request{body: oversize, chunked: true},
			wantStatus: 413, wantOutcome: "too-large", wantProblem: "too-large",
		},
		{
			name:       "wrong content type is 415",
			req:        request{body: open1, contentType: "text/plain"},
			wantStatus: 415, wantOutcome: "unsupported-media-type", wantProblem: "unsupported-media-type",
		},
		{
			name:       "wrong method is 405 with Allow",
			req:        request{method: http.MethodPut, body: open1},
			wantStatus: 405, wantOutcome: "method-not-allowed", wantProblem: "method-not-allowed",
			check: func(t *testing.T, _ *harness, r response) {
				assert.Equal(t, "POST", r.header.Get("Allow"))
			},
		},
		{
			name:       "wrong method on a multi-method webhook lists every method (sync mode)",
			opts:       syncMode,
			fam:        fixture.SingleAttempt,
			req:        request{method: http.MethodDelete, path: fixture.TaskPath},
			wantStatus: 405, wantOutcome: "method-not-allowed", wantProblem: "method-not-allowed",
			check: func(t *testing.T, _ *harness, r response) {
				assert.Equal(t, "POST, GET", r.header.Get("Allow"))
			},
		},
		{
			name:       "query-encoded GET is decoded from the query (sync mode)",
			opts:       syncMode,
			fam:        fixture.SingleAttempt,
			req:        request{method: http.MethodGet, path: fixture.TaskPath + "?taskId=t9&status=failed", contentType: "-"},
			wantStatus: 200, wantOutcome: "processed", wantCalls: 1,
			check: func(t *testing.T, h *harness, _ response) {
				assert.Equal(t, "t9", h.lastDelivery().Key)
			},
		},
		{
			name:       "wrong token gets the auth failure status and no detail",
			req:        request{body: open1, token: wrongToken},
			wantStatus: 404, wantProblem: "unauthorized",
			check: func(t *testing.T, _ *harness, r response) {
				assert.Empty(t, problemOf(t, r).Detail)
				assert.NotContains(t, string(r.body), wrongToken)
			},
		},
		{
			name:       "missing token gets the auth failure status and no detail",
			req:        request{body: open1, token: "-"},
			wantStatus: 404, wantProblem: "unauthorized",
			check: func(t *testing.T, _ *harness, r response) {
				assert.Empty(t, problemOf(t, r).Detail)
			},
		},
		{
			name:       "authentication runs before validation",
			req:        request{body: []byte(`not json`), token: "-"},
			wantStatus: 404, wantProblem: "unauthorized",
		},
		{
			name: "update after close is dropped",
			setup: func(t *testing.T, h *harness) func() {
				require.Equal(t, 200, h.send(request{body: open1}).status)
				require.Equal(t, 200, h.send(request{body: closeMsg}).status)
				return nil
			},
			req:        request{body: open2},
			wantStatus: 200, wantOutcome: "dropped-after-terminal", wantCalls: 2,
		},
		{
			name: "stale version is dropped",
			setup: func(t *testing.T, h *harness) func() {
				require.Equal(t, 200, h.send(request{body: open2}).status)
				return nil
			},
			req:        request{body: open1},
			wantStatus: 200, wantOutcome: "dropped-stale", wantCalls: 1,
		},
		{
			name: "identical repeat of the close is a duplicate, not a drop",
			setup: func(t *testing.T, h *harness) func() {
				require.Equal(t, 200, h.send(request{body: open1}).status)
				require.Equal(t, 200, h.send(request{body: closeMsg}).status)
				return nil
			},
			req:        request{body: closeMsg},
			wantStatus: 200, wantOutcome: "duplicate", wantCalls: 2,
		},
		{
			name: "a failed handler does not advance the entity",
			setup: func(t *testing.T, h *harness) func() {
				h.behave = func(n int, _ *runtime.Delivery, _ runtime.Event) error {
					if n == 1 {
						return runtime.Retry(nil, 0)
					}
					return nil
				}
				require.Equal(t, 503, h.send(request{body: open2}).status)
				return nil
			},
			req:        request{body: open1},
			wantStatus: 200, wantOutcome: "processed", wantCalls: 2,
		},
		{
			name: "empty key is not deduplicated (sync mode)",
			opts: syncMode,
			fam: func() *runtime.Family {
				f := fixture.SingleAttempt()
				f.Webhooks[0].Key = func(*runtime.Request, runtime.Event) (string, error) { return "", nil }
				return f
			},
			setup: func(t *testing.T, h *harness) func() {
				require.Equal(t, 200, h.send(request{path: fixture.TaskPath, body: fixture.TaskBody("t1")}).status)
				return nil
			},
			req:        request{path: fixture.TaskPath, body: fixture.TaskBody("t1")},
			wantStatus: 200, wantOutcome: "processed", wantCalls: 2,
		},
		{
			name:       "store failure on claim is 503, handler not called",
			storeFn:    func(m *store.Memory) store.Store { return &faultyStore{orderedStore: m, failClaim: true} },
			req:        request{body: open1},
			wantStatus: 503, wantOutcome: "store-error", wantRetryAfter: "5", wantProblem: "store-unavailable",
			check: func(t *testing.T, _ *harness, r response) {
				assert.NotContains(t, string(r.body), "disk on fire")
			},
		},
		{
			name:       "store failure on complete is never acknowledged",
			storeFn:    func(m *store.Memory) store.Store { return &faultyStore{orderedStore: m, failComplete: true} },
			req:        request{body: open1},
			wantStatus: 503, wantOutcome: "store-error", wantRetryAfter: "5", wantProblem: "store-unavailable", wantCalls: 1,
		},
		{
			name:       "order store failure on check is 503, handler not called",
			storeFn:    func(m *store.Memory) store.Store { return &faultyStore{orderedStore: m, failCheck: true} },
			req:        request{body: open1},
			wantStatus: 503, wantOutcome: "store-error", wantRetryAfter: "5", wantProblem: "store-unavailable",
		},
		{
			name:       "order store failure on commit is never acknowledged (the retry is a duplicate)",
			storeFn:    func(m *store.Memory) store.Store { return &faultyStore{orderedStore: m, failCommit: true} },
			req:        request{body: open1},
			wantStatus: 503, wantOutcome: "store-error", wantRetryAfter: "5", wantProblem: "store-unavailable", wantCalls: 1,
		},
		{
			name:       "quarantine failure after a reject is 503 and the key is released",
			opts:       []receiver.Option{receiver.WithDeadLetter(failingDeadLetter{})},
			behave:     rejectErr,
			req:        request{body: open1},
			wantStatus: 503, wantOutcome: "store-error", wantRetryAfter: "5", wantProblem: "store-unavailable", wantCalls: 1,
			check: func(t *testing.T, h *harness, _ response) {
				st, err := h.mem.Get(context.Background(), "stackstate:"+nid+":open:1000")
				require.NoError(t, err)
				assert.Equal(t, store.Failed, st, "released: the retry wins at once")
			},
		},
		{
			name:       "an event the handler does not handle is acknowledged as unhandled",
			behave:     func(int, *runtime.Delivery, runtime.Event) error { return runtime.ErrNotHandled },
			req:        request{body: open1},
			wantStatus: 200, wantOutcome: "unhandled", wantCalls: 1,
			check: func(t *testing.T, h *harness, _ response) {
				r := h.send(request{body: open1})
				assert.Equal(t, "duplicate", r.header.Get(receiver.OutcomeHeader), "the key is completed")
			},
		},
		{
			name:       "an event the dispatch does not know is acknowledged in lenient mode",
			behave:     func(int, *runtime.Delivery, runtime.Event) error { return runtime.ErrUnknownEvent },
			req:        request{body: open1},
			wantStatus: 200, wantOutcome: "unhandled", wantCalls: 1,
		},
		{
			name:       "an event the dispatch does not know is 400 in strict mode, and the key is released",
			opts:       []receiver.Option{receiver.WithStrict(true)},
			behave:     func(int, *runtime.Delivery, runtime.Event) error { return runtime.ErrUnknownEvent },
			req:        request{body: open1},
			wantStatus: 400, wantOutcome: "unknown-event", wantProblem: "unknown-event", wantCalls: 1,
			check: func(t *testing.T, h *harness, _ response) {
				st, err := h.mem.Get(context.Background(), "stackstate:"+nid+":open:1000")
				require.NoError(t, err)
				assert.Equal(t, store.Failed, st)
			},
		},
		{
			name:       "release failure keeps the retry answer",
			storeFn:    func(m *store.Memory) store.Store { return &faultyStore{orderedStore: m, failRelease: true} },
			behave:     retryErr,
			req:        request{body: open1},
			wantStatus: 503, wantOutcome: "retry", wantRetryAfter: "5", wantProblem: "transient", wantCalls: 1,
			check: func(t *testing.T, _ *harness, _ response) {
				waitFor(t, func() bool { return strings.Contains(logs.String(), `"msg":"release failed"`) })
			},
		},
		{
			name: "a receiver shutting down answers 503 with Retry-After",
			setup: func(t *testing.T, h *harness) func() {
				require.NoError(t, h.rcv.Shutdown(context.Background()))
				return nil
			},
			req:        request{body: open1},
			wantStatus: 503, wantOutcome: "shutting-down", wantRetryAfter: "5", wantProblem: "transient",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fam := fixture.StackState
			if tt.fam != nil {
				fam = tt.fam
			}
			h := newHarnessWrap(t, fam(), tt.storeFn, tt.opts...)
			if tt.behave != nil {
				h.behave = tt.behave
			}
			var done func()
			if tt.setup != nil {
				done = tt.setup(t, h)
			}
			r := h.send(tt.req)
			if done != nil {
				done()
			}

			assert.Equal(t, tt.wantStatus, r.status, "body: %s", r.body)
			assert.Equal(t, tt.wantOutcome, r.header.Get(receiver.OutcomeHeader))
			assert.Equal(t, tt.wantRetryAfter, r.header.Get("Retry-After"))
			if tt.wantProblem == "" {
				assert.Empty(t, r.body)
			} else {
				pr := problemOf(t, r)
				assert.Equal(t, runtime.ProblemTypeBase+tt.wantProblem, pr.Type)
				assert.Equal(t, tt.wantStatus, pr.Status)
				if tt.wantPointer != "" {
					require.NotEmpty(t, pr.Errors)
					assert.Equal(t, tt.wantPointer, pr.Errors[0].Pointer)
				}
			}
			if tt.check != nil {
				tt.check(t, h, r)
			}
			assert.Equal(t, tt.wantCalls, int(h.calls.Load()), "handler calls")
		})
	}
}
