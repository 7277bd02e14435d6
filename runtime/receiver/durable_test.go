package receiver_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/receiver/internal/fixture"
	"github.com/hookgen/hookgen/runtime/store"
)

// fastRetries makes durable retries quick enough for tests.
var fastRetries = []receiver.Option{
	receiver.WithBackoff(time.Millisecond, 5*time.Millisecond),
	receiver.WithPollInterval(5 * time.Millisecond),
}

// entries lists every inbox entry of the harness's store.
func entries(t *testing.T, h *harness) []store.Entry {
	t.Helper()
	p, err := h.mem.List(context.Background(), store.Query{Limit: store.MaxPageSize})
	require.NoError(t, err)
	return p.Entries
}

// settled waits until the store holds n entries, none of them pending,
// and returns them.
func settled(t *testing.T, h *harness, n int) []store.Entry {
	t.Helper()
	var es []store.Entry
	waitFor(t, func() bool {
		es = entries(t, h)
		if len(es) != n {
			return false
		}
		for _, e := range es {
			if e.State == store.Pending {
				return false
			}
		}
		return true
	})
	return es
}

func TestDefaultModes(t *testing.T) {
	assert.Equal(t, receiver.Sync, newHarness(t, fixture.StackState()).rcv.Mode(), "retry-until-success")
	assert.Equal(t, receiver.Durable, newHarness(t, fixture.SingleAttempt()).rcv.Mode(), "single-attempt")
	fam := fixture.SingleAttempt()
	fam.Delivery.Mode = runtime.LimitedRetries
	assert.Equal(t, receiver.Durable, newHarness(t, fam).rcv.Mode(), "limited-retries")
	assert.Equal(t, receiver.Durable, newHarness(t, fixture.StackState(), receiver.WithMode(receiver.Durable)).rcv.Mode())
	assert.Equal(t, receiver.Sync, newHarness(t, fixture.SingleAttempt(), receiver.WithMode(receiver.Sync)).rcv.Mode())
}

// TestDurable has one row per situation of a durable delivery: the HTTP
// answer, then how the worker settled the entry in the store.
func TestDurable(t *testing.T) {
	task := fixture.TaskBody("t1")
	tests := []struct {
		name   string
		fam    func() *runtime.Family
		opts   []receiver.Option
		behave func(n int, d *runtime.Delivery, ev runtime.Event) error
		setup  func(t *testing.T, h *harness)
		req    request
		wrap   func(m *store.Memory) store.Store

		wantStatus  int
		wantOutcome string
		wantEntries int // entries in the store at the end (0: none)
		wantState   store.EntryState
		wantReason  string
		wantCalls   int
		check       func(t *testing.T, h *harness, e store.Entry)
	}{
		{
			name:       "accepted, then processed by a worker",
			req:        request{path: fixture.TaskPath, body: task},
			wantStatus: 200, wantOutcome: "accepted",
			wantEntries: 1, wantState: store.EntryDone, wantReason: "processed", wantCalls: 1,
			check: func(t *testing.T, h *harness, e store.Entry) {
				assert.Equal(t, task, e.Body)
				assert.Equal(t, "t1", e.Key)
				assert.Equal(t, fixture.EventTaskFailed, e.Event)
				d := h.lastDelivery()
				assert.Equal(t, e.ID, d.ID)
				assert.Equal(t, 1, d.Attempt)
				assert.Positive(t, d.Fence)
				assert.Equal(t, task, d.Raw)
			},
		},
		{
			name:       "a query-encoded GET is persisted and decoded again by the worker",
			req:        request{method: "GET", path: fixture.TaskPath + "?taskId=t9&status=failed", contentType: "-"},
			wantStatus: 200, wantOutcome: "accepted",
			wantEntries: 1, wantState: store.EntryDone, wantReason: "processed", wantCalls: 1,
			check: func(t *testing.T, h *harness, _ store.Entry) {
				assert.Equal(t, "t9", h.lastDelivery().Key)
			},
		},
		{
			name: "transient failures are retried with backoff until success",
			behave: func(n int, _ *runtime.Delivery, _ runtime.Event) error {
				if n < 3 {
					return runtime.Retry(errors.New("db down"), 0)
				}
				return nil
			},
			req:        request{path: fixture.TaskPath, body: task},
			wantStatus: 200, wantOutcome: "accepted",
			wantEntries: 1, wantState: store.EntryDone, wantReason: "processed", wantCalls: 3,
			check: func(t *testing.T, h *harness, e store.Entry) {
				assert.Equal(t, 3, e.Attempts)
				assert.Equal(t, 3, h.lastDelivery().Attempt)
			},
		},
		{
			name:       "the last failed attempt goes to the dead letter",
			opts:       []receiver.Option{receiver.WithMaxAttempts(3)},
			behave:     func(int, *runtime.Delivery, runtime.Event) error { return errors.New("db down") },
			req:        request{path: fixture.TaskPath, body: task},
			wantStatus: 200, wantOutcome: "accepted",
			wantEntries: 1, wantState: store.Dead, wantReason: "exhausted", wantCalls: 3,
			check: func(t *testing.T, _ *harness, e store.Entry) {
				assert.Contains(t, e.LastError, "db down")
			},
		},
		{
			name:       "a rejected delivery is quarantined",
			behave:     func(int, *runtime.Delivery, runtime.Event) error { return runtime.Reject(errors.New("never")) },
			req:        request{path: fixture.TaskPath, body: task},
			wantStatus: 200, wantOutcome: "accepted",
			wantEntries: 1, wantState: store.Dead, wantReason: "quarantined", wantCalls: 1,
		},
		{
			name:       "a panicking handler is quarantined",
			behave:     func(int, *runtime.Delivery, runtime.Event) error { panic("bug") },
			req:        request{path: fixture.TaskPath, body: task},
			wantStatus: 200, wantOutcome: "accepted",
			wantEntries: 1, wantState: store.Dead, wantReason: "quarantined", wantCalls: 1,
		},
		{
			name:       "an event the handler does not handle is kept as unhandled",
			behave:     func(int, *runtime.Delivery, runtime.Event) error { return runtime.ErrNotHandled },
			req:        request{path: fixture.TaskPath, body: task},
			wantStatus: 200, wantOutcome: "accepted",
			wantEntries: 1, wantState: store.EntryDone, wantReason: "unhandled", wantCalls: 1,
		},
		{
			name:       "an event the dispatch does not know is kept as unknown-event",
			behave:     func(int, *runtime.Delivery, runtime.Event) error { return runtime.ErrUnknownEvent },
			req:        request{path: fixture.TaskPath, body: task},
			wantStatus: 200, wantOutcome: "accepted",
			wantEntries: 1, wantState: store.EntryDone, wantReason: "unknown-event", wantCalls: 1,
		},
		{
			name:       "an event the dispatch does not know is dead in strict mode",
			opts:       []receiver.Option{receiver.WithStrict(true)},
			behave:     func(int, *runtime.Delivery, runtime.Event) error { return runtime.ErrUnknownEvent },
			req:        request{path: fixture.TaskPath, body: task},
			wantStatus: 200, wantOutcome: "accepted",
			wantEntries: 1, wantState: store.Dead, wantReason: "unknown-event", wantCalls: 1,
		},
		{
			name: "a duplicate is acknowledged, counted and not run again",
			setup: func(t *testing.T, h *harness) {
				require.Equal(t, "accepted", h.send(request{path: fixture.TaskPath, body: task}).header.Get(receiver.OutcomeHeader))
			},
			req:        request{path: fixture.TaskPath, body: task},
			wantStatus: 200, wantOutcome: "duplicate",
			wantEntries: 1, wantState: store.EntryDone, wantReason: "processed", wantCalls: 1,
			check: func(t *testing.T, _ *harness, e store.Entry) {
				assert.Equal(t, 1, e.Duplicates)
			},
		},
		{
			name:       "an invalid payload is 400 and not kept",
			req:        request{path: fixture.TaskPath, body: []byte(`{"status":"failed"}`)},
			wantStatus: 400, wantOutcome: "invalid",
		},
		{
			name:       "an inbox that cannot persist is never acknowledged",
			wrap:       func(m *store.Memory) store.Store { return failingInbox{m} },
			req:        request{path: fixture.TaskPath, body: task},
			wantStatus: 503, wantOutcome: "store-error",
		},
		{
			name:       "a stale message is kept as stale",
			fam:        fixture.StackState,
			opts:       []receiver.Option{receiver.WithMode(receiver.Durable)},
			setup:      sendAndSettle(request{body: fixture.Open(nid, 2000)}),
			req:        request{body: fixture.Open(nid, 1000)},
			wantStatus: 200, wantOutcome: "accepted",
			wantEntries: 2, wantState: store.EntryDone, wantReason: "stale", wantCalls: 1,
		},
		{
			name:       "a message after close is kept as after-close",
			fam:        fixture.StackState,
			opts:       []receiver.Option{receiver.WithMode(receiver.Durable)},
			setup:      sendAndSettle(request{body: fixture.Close(nid)}),
			req:        request{body: fixture.Open(nid, 1000)},
			wantStatus: 200, wantOutcome: "accepted",
			wantEntries: 2, wantState: store.EntryDone, wantReason: "after-close", wantCalls: 1,
		},
		{
			name:       "a poison message to a retry-until-success sender is kept dead as invalid",
			fam:        fixture.StackState,
			opts:       []receiver.Option{receiver.WithMode(receiver.Durable)},
			req:        request{body: []byte(`{"event":{"type":"open","triggeredTimeMs":5}}`)},
			wantStatus: 200, wantOutcome: "quarantined",
			wantEntries: 1, wantState: store.Dead, wantReason: "invalid",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fam := fixture.SingleAttempt
			if tt.fam != nil {
				fam = tt.fam
			}
			h := newHarnessWrap(t, fam(), tt.wrap, append(append([]receiver.Option{}, fastRetries...), tt.opts...)...)
			h.behave = tt.behave
			if tt.setup != nil {
				tt.setup(t, h)
			}
			r := h.send(tt.req)
			assert.Equal(t, tt.wantStatus, r.status, "body: %s", r.body)
			assert.Equal(t, tt.wantOutcome, r.header.Get(receiver.OutcomeHeader))
			if tt.wantEntries == 0 {
				time.Sleep(20 * time.Millisecond)
				assert.Empty(t, entries(t, h))
			} else {
				es := settled(t, h, tt.wantEntries)
				e := es[0] // newest first
				assert.Equal(t, tt.wantState, e.State)
				assert.Equal(t, tt.wantReason, e.Reason)
				if tt.check != nil {
					tt.check(t, h, e)
				}
			}
			assert.Equal(t, tt.wantCalls, int(h.calls.Load()), "handler calls")
		})
	}
}

// sendAndSettle sends rq and waits until its entry is settled.
func sendAndSettle(rq request) func(t *testing.T, h *harness) {
	return func(t *testing.T, h *harness) {
		require.Equal(t, 200, h.send(rq).status)
		settled(t, h, 1)
		time.Sleep(time.Millisecond) // the next entry is received later
	}
}

// failingInbox is the memory store, except that nothing can be put.
type failingInbox struct{ *store.Memory }

func (failingInbox) Put(context.Context, store.Entry) error { return errDisk }

// TestDurableEntityOrder sends an entity's messages faster than the
// handler runs them: the workers run them one at a time, oldest first.
func TestDurableEntityOrder(t *testing.T) {
	h := newHarness(t, fixture.StackState(), append([]receiver.Option{receiver.WithMode(receiver.Durable), receiver.WithWorkers(4)}, fastRetries...)...)
	var running atomic.Int32
	var mu sync.Mutex
	var order []string
	h.behave = func(_ int, _ *runtime.Delivery, ev runtime.Event) error {
		if running.Add(1) > 1 {
			t.Error("two messages of one entity ran at once")
		}
		defer running.Add(-1)
		time.Sleep(5 * time.Millisecond)
		n := ev.Payload.(*fixture.Notification)
		v := int64(0)
		if n.Event.TriggeredTimeMs != nil {
			v = *n.Event.TriggeredTimeMs
		}
		mu.Lock()
		order = append(order, n.Event.Type+":"+time.UnixMilli(v).UTC().Format("05.000"))
		mu.Unlock()
		return nil
	}
	for _, b := range [][]byte{fixture.Open(nid, 1000), fixture.Open(nid, 2000), fixture.Open(nid, 3000), fixture.Close(nid)} {
		require.Equal(t, "accepted", h.send(request{body: b}).header.Get(receiver.OutcomeHeader))
		time.Sleep(time.Millisecond) // distinct ReceivedAt
	}
	settled(t, h, 4)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"open:01.000", "open:02.000", "open:03.000", "close:00.000"}, order)
}

// TestDurableShutdownDrainsAndResumes: Shutdown waits for the handler in
// flight and leases nothing more; the entry still pending is run by the
// next receiver opened on the same bolt file.
func TestDurableShutdownDrainsAndResumes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	mem, err := store.OpenBolt(path)
	require.NoError(t, err)
	entered, release := make(chan struct{}), make(chan struct{})
	var keys1 []string
	r1, err := receiver.New(fixture.SingleAttempt(), func(_ context.Context, d *runtime.Delivery, _ runtime.Event) error {
		keys1 = append(keys1, d.Key) // one worker: no race
		close(entered)
		<-release
		return nil
	}, receiver.WithStore(mem), receiver.WithWorkers(1), receiver.WithPollInterval(5*time.Millisecond))
	require.NoError(t, err)
	require.Equal(t, "accepted", serveOnce(r1, fixture.TaskBody("a")).Header().Get(receiver.OutcomeHeader))
	<-entered
	require.Equal(t, "accepted", serveOnce(r1, fixture.TaskBody("b")).Header().Get(receiver.OutcomeHeader))
	shut := make(chan error, 1)
	go func() { shut <- r1.Shutdown(context.Background()) }()
	select {
	case <-shut:
		t.Fatal("Shutdown returned with a handler in flight")
	case <-time.After(30 * time.Millisecond):
	}
	close(release)
	require.NoError(t, <-shut)
	require.NoError(t, r1.Close())
	assert.Equal(t, []string{"a"}, keys1, "nothing leased after Shutdown")
	p, err := mem.List(context.Background(), store.Query{State: store.Pending})
	require.NoError(t, err)
	require.Len(t, p.Entries, 1)
	assert.Equal(t, "b", p.Entries[0].Key)
	require.NoError(t, mem.Close())

	mem, err = store.OpenBolt(path)
	require.NoError(t, err)
	defer mem.Close()

	var ran atomic.Value
	r2, err := receiver.New(fixture.SingleAttempt(), func(_ context.Context, d *runtime.Delivery, _ runtime.Event) error {
		ran.Store(d.Key)
		return nil
	}, receiver.WithStore(mem), receiver.WithPollInterval(5*time.Millisecond))
	require.NoError(t, err)
	defer r2.Close()
	waitFor(t, func() bool { return ran.Load() == "b" })
}

// serveOnce sends one single-attempt delivery straight to rcv.
func serveOnce(rcv *receiver.Receiver, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, fixture.TaskPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	rcv.ServeHTTP(rec, req)
	return rec
}

// TestSyncRecords: in sync mode the store keeps a record of every
// processed delivery and of every one acknowledged without processing,
// with its reason, and counts duplicates on it.
func TestSyncRecords(t *testing.T) {
	h := newHarness(t, fixture.StackState())
	send := func(b []byte) string { return h.send(request{body: b}).header.Get(receiver.OutcomeHeader) }
	require.Equal(t, "processed", send(fixture.Open(nid, 2000)))
	require.Equal(t, "duplicate", send(fixture.Open(nid, 2000)))
	require.Equal(t, "dropped-stale", send(fixture.Open(nid, 1000)))
	require.Equal(t, "unhandled", send(fixture.Event(nid, "escalate")))
	h.behave = func(int, *runtime.Delivery, runtime.Event) error { return runtime.Reject(errors.New("no")) }
	require.Equal(t, "quarantined", send(fixture.Close(nid)))

	got := map[string]store.Entry{}
	for _, e := range entries(t, h) {
		got[e.Reason] = e
	}
	require.Len(t, got, 4)
	assert.Equal(t, store.EntryDone, got["processed"].State)
	assert.Equal(t, 1, got["processed"].Duplicates)
	assert.Equal(t, fixture.Open(nid, 2000), got["processed"].Body)
	assert.Equal(t, store.EntryDone, got["stale"].State)
	assert.Equal(t, store.EntryDone, got["unknown-event"].State)
	assert.Equal(t, store.Dead, got["quarantined"].State)
	assert.Equal(t, "[REDACTED]", got["quarantined"].Header.Get(fixture.TokenHeader))
}

// TestDurablePathParams: a worker sees the path variables of the request.
func TestDurablePathParams(t *testing.T) {
	got := make(chan string, 1)
	fam := fixture.SingleAttempt()
	decode := fam.Webhooks[0].Decode
	fam.Webhooks[0].Decode = func(req *runtime.Request, strict bool) (runtime.Event, error) {
		if req.PathParams["tenant"] != "" {
			got <- req.PathParams["tenant"]
		}
		return decode(req, strict)
	}
	rcv, err := receiver.New(fam, func(context.Context, *runtime.Delivery, runtime.Event) error { return nil },
		receiver.WithPath("taskFailed", "/hooks/{tenant}/task"), receiver.WithPollInterval(5*time.Millisecond))
	require.NoError(t, err)
	defer rcv.Close()
	router := mux.NewRouter()
	rcv.Mount(router)
	req := httptest.NewRequest(http.MethodPost, "/hooks/acme/task", bytes.NewReader(fixture.TaskBody("t")))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, req)
	require.Equal(t, "accepted", rec.Header().Get(receiver.OutcomeHeader))
	assert.Equal(t, "acme", <-got, "at the request")
	assert.Equal(t, "acme", <-got, "in the worker")
}

// TestDurableSlowHandlerNeverRunsTwice: a worker's handler that outlives
// the inbox lease keeps its lease alive, so no other worker leases the
// entry again while it runs.
func TestDurableSlowHandlerNeverRunsTwice(t *testing.T) {
	const lease = time.Second // renewed every 333 ms: a loaded machine does not miss that
	h := newHarness(t, fixture.SingleAttempt(), receiver.WithLease(lease), receiver.WithHandlerTimeout(5*time.Second),
		receiver.WithWorkers(4), receiver.WithPollInterval(2*time.Millisecond))
	h.behave = func(int, *runtime.Delivery, runtime.Event) error {
		time.Sleep(5 * lease / 2)
		return nil
	}
	require.Equal(t, "accepted", h.send(request{path: fixture.TaskPath, body: fixture.TaskBody("slow")}).header.Get(receiver.OutcomeHeader))
	es := settled(t, h, 1)
	assert.Equal(t, "processed", es[0].Reason)
	assert.Equal(t, 1, es[0].Attempts)
	assert.Equal(t, int32(1), h.calls.Load())
}

// TestRecordRetention: done and dead entries older than the record
// retention are purged; younger ones and pending ones are kept.
func TestRecordRetention(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	h := newHarness(t, fixture.StackState(), receiver.WithClock(clock),
		receiver.WithRecordRetention(24*time.Hour), receiver.WithPurgeInterval(5*time.Millisecond))
	require.Equal(t, "processed", h.send(request{body: fixture.Open(nid, 1000)}).header.Get(receiver.OutcomeHeader))
	h.behave = func(int, *runtime.Delivery, runtime.Event) error { return runtime.Reject(nil) }
	require.Equal(t, "quarantined", h.send(request{body: fixture.Open("other", 1000)}).header.Get(receiver.OutcomeHeader))
	now.Add(int64(23 * time.Hour))
	h.behave = nil
	require.Equal(t, "processed", h.send(request{body: fixture.Open("young", 1000)}).header.Get(receiver.OutcomeHeader))
	require.Len(t, entries(t, h), 3)
	pending := store.Entry{ID: "p", Family: "stackstate", ReceivedAt: clock().Add(-48 * time.Hour), NextAt: clock().Add(time.Hour)}
	require.NoError(t, h.mem.Put(context.Background(), pending))

	now.Add(int64(2 * time.Hour)) // the first two are 25 h old
	waitFor(t, func() bool { return len(entries(t, h)) == 2 })
	time.Sleep(20 * time.Millisecond)
	keys := map[string]bool{}
	for _, e := range entries(t, h) {
		keys[e.ID] = true
		if e.ID != "p" {
			assert.Contains(t, e.Key, "young")
		}
	}
	assert.True(t, keys["p"], "pending entries are never purged")
}

// TestDurableHandlerSeesRedactedHeaders: the worker's handler gets the
// headers the inbox keeps, credentials redacted.
func TestDurableHandlerSeesRedactedHeaders(t *testing.T) {
	h := newHarness(t, fixture.StackState(), append([]receiver.Option{receiver.WithMode(receiver.Durable)}, fastRetries...)...)
	r := h.send(request{body: fixture.Open(nid, 1000), header: http.Header{"X-Trace": {"abc"}}})
	require.Equal(t, "accepted", r.header.Get(receiver.OutcomeHeader))
	settled(t, h, 1)
	d := h.lastDelivery()
	assert.Equal(t, "[REDACTED]", d.Header.Get(fixture.TokenHeader))
	assert.Equal(t, "abc", d.Header.Get("X-Trace"))
}
