package receiver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/receiver/internal/fixture"
	"github.com/hookgen/hookgen/runtime/store"
)

// TestLifecycleProperty feeds random interleavings and duplications of one
// notification's messages (open v1, open v2 update, close) sequentially
// through the HTTP receiver, with random transient handler failures, and
// checks that the handler saw a valid lifecycle: nothing after close,
// versions non-decreasing, each distinct message at most once; and that
// the sender never saw anything but 200 or 503.
func TestLifecycleProperty(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	type seenMsg struct {
		typ     string
		version int64
	}
	var mu sync.Mutex
	seen := map[string][]seenMsg{}

	h := newHarness(t, fixture.StackState())
	h.behave = func(_ int, d *runtime.Delivery, ev runtime.Event) error {
		if d.Header.Get("X-Test-Fail") == "1" {
			return runtime.Retry(errors.New("injected"), 0)
		}
		n := ev.Payload.(*fixture.Notification)
		m := seenMsg{typ: n.Event.Type}
		if n.Event.TriggeredTimeMs != nil {
			m.version = *n.Event.TriggeredTimeMs
		}
		mu.Lock()
		seen[n.NotificationID] = append(seen[n.NotificationID], m)
		mu.Unlock()
		return nil
	}

	const runs = 300
	for run := range runs {
		id := fmt.Sprintf("n-%d-%d", seed, run)
		msgs := [][]byte{fixture.Open(id, 1000), fixture.Open(id, 2000), fixture.Close(id)}
		n := 3 + rng.IntN(6)
		for range n {
			hdr := http.Header{}
			if rng.IntN(5) == 0 {
				hdr.Set("X-Test-Fail", "1")
			}
			r := h.send(request{body: msgs[rng.IntN(len(msgs))], header: hdr})
			require.Contains(t, []int{200, 503}, r.status, "seed %d run %d: %s", seed, run, r.body)
		}

		got := seen[id]
		closed := false
		last := int64(-1)
		distinct := map[seenMsg]bool{}
		for i, m := range got {
			require.False(t, closed, "seed %d run %d: %v after close", seed, run, got)
			require.False(t, distinct[m], "seed %d run %d: %v processed twice", seed, run, got)
			distinct[m] = true
			if m.typ == "close" {
				closed = true
				continue
			}
			require.GreaterOrEqual(t, m.version, last, "seed %d run %d: versions go back at %d: %v", seed, run, i, got)
			last = m.version
		}
	}
}

// TestGracefulShutdown: an in-flight delivery finishes and gets its 200
// while Shutdown waits; new deliveries get 503 + Retry-After and /readyz
// turns 503 while /healthz stays 200.
func TestGracefulShutdown(t *testing.T) {
	h := newHarness(t, fixture.StackState())
	entered, release := make(chan struct{}), make(chan struct{})
	h.behave = func(n int, _ *runtime.Delivery, _ runtime.Event) error {
		if n == 1 {
			close(entered)
			<-release
		}
		return nil
	}
	first := make(chan response, 1)
	go func() { first <- h.send(request{body: fixture.Open("a", 1)}) }()
	<-entered

	shut := make(chan error, 1)
	go func() { shut <- h.rcv.Shutdown(context.Background()) }()
	waitFor(t, func() bool { return get(t, h.srv.URL+"/readyz") == 503 })
	assert.Equal(t, 200, get(t, h.srv.URL+"/healthz"))

	r := h.send(request{body: fixture.Open("b", 1)})
	assert.Equal(t, 503, r.status)
	assert.Equal(t, "5", r.header.Get("Retry-After"))
	assert.Equal(t, "shutting-down", r.header.Get(receiver.OutcomeHeader))

	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a delivery in flight", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	assert.Equal(t, 200, (<-first).status)
	require.NoError(t, <-shut)
	assert.Equal(t, 1, int(h.calls.Load()))
}

func TestShutdownTimesOut(t *testing.T) {
	h := newHarness(t, fixture.StackState())
	entered, release := make(chan struct{}), make(chan struct{})
	h.behave = func(int, *runtime.Delivery, runtime.Event) error {
		close(entered)
		<-release
		return nil
	}
	first := make(chan response, 1)
	go func() { first <- h.send(request{body: fixture.Open("a", 1)}) }()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, h.rcv.Shutdown(ctx), context.DeadlineExceeded)
	close(release)
	assert.Equal(t, 200, (<-first).status)
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestMetrics checks the counters per outcome on the injected registry and
// the /metrics endpoint of the default private registry.
func TestMetrics(t *testing.T) {
	h := newHarness(t, fixture.StackState())
	h.send(request{body: fixture.Open("m", 1)})                           // processed
	h.send(request{body: fixture.Open("m", 1)})                           // duplicate
	h.send(request{body: fixture.OpenState("m2", 1, "SIDEWAYS")})         // processed + warning
	h.send(request{body: fixture.Event("m3", "escalate")})                // unhandled
	h.send(request{body: fixture.Open("m4", 1), contentType: "text/xml"}) // 415

	count := func(event, outcome string) float64 {
		return metricValue(t, h.reg, "hookgen_deliveries_total", map[string]string{
			"family": "stackstate", "webhook": "notification", "event": event, "outcome": outcome,
		})
	}
	assert.Equal(t, 2.0, count(fixture.EventOpened, "processed"))
	assert.Equal(t, 1.0, count(fixture.EventOpened, "duplicate"))
	assert.Equal(t, 1.0, count("", "unhandled"))
	assert.Equal(t, 1.0, count("", "unsupported-media-type"))
	assert.Equal(t, 1.0, metricValue(t, h.reg, "hookgen_validation_warnings_total", map[string]string{"event": fixture.EventOpened}))
	assert.Equal(t, 2.0, metricValue(t, h.reg, "hookgen_delivery_duration_seconds", map[string]string{"outcome": "processed"}))
	assert.Equal(t, 0.0, metricValue(t, h.reg, "hookgen_in_flight", map[string]string{"family": "stackstate"}))

	// Default: a private registry served at /metrics.
	rcv, err := receiver.New(fixture.SingleAttempt(), func(context.Context, *runtime.Delivery, runtime.Event) error { return nil },
		receiver.WithLogger(testLogger()))
	require.NoError(t, err)
	defer rcv.Close()
	srv := httptest.NewServer(rcv.Handler())
	defer srv.Close()
	resp, err := http.Post(srv.URL+fixture.TaskPath, "application/json", strings.NewReader(string(fixture.TaskBody("x"))))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	// Durable mode: the answer is counted as accepted, the worker's run as
	// processed once it is done.
	metricsText := func() string {
		resp, err := http.Get(srv.URL + "/metrics")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		return string(body)
	}
	assert.Contains(t, metricsText(), `hookgen_deliveries_total{event="TaskFailed",family="tasks",outcome="accepted",webhook="taskFailed"} 1`)
	waitFor(t, func() bool {
		return strings.Contains(metricsText(), `hookgen_deliveries_total{event="TaskFailed",family="tasks",outcome="processed",webhook="taskFailed"} 1`)
	})
}

// TestSharedRegisterer: two receivers (two families) on one registerer.
func TestSharedRegisterer(t *testing.T) {
	h := newHarness(t, fixture.StackState())
	rcv, err := receiver.New(fixture.SingleAttempt(), func(context.Context, *runtime.Delivery, runtime.Event) error { return nil },
		receiver.WithRegisterer(h.reg), receiver.WithMode(receiver.Sync))
	require.NoError(t, err)
	defer rcv.Close()
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	resp, err := http.Post(srv.URL+fixture.TaskPath, "application/json", strings.NewReader(string(fixture.TaskBody("x"))))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, 1.0, metricValue(t, h.reg, "hookgen_deliveries_total", map[string]string{"family": "tasks"}))
}

func TestNewConfigErrors(t *testing.T) {
	ok := func(context.Context, *runtime.Delivery, runtime.Event) error { return nil }
	tests := []struct {
		name    string
		fam     *runtime.Family
		opts    []receiver.Option
		wantErr string
	}{
		{"security without secrets names the scheme", fixture.StackState(), nil, `"webhookToken"`},
		{"secret missing for the scheme", fixture.StackState(), []receiver.Option{receiver.WithSecrets(auth.Secrets{})}, `"webhookToken"`},
		{"empty secret", fixture.StackState(), []receiver.Option{receiver.WithSecrets(auth.Secrets{fixture.TokenScheme: {""}})}, `"webhookToken"`},
		{"unknown scheme", fixture.StackState(), []receiver.Option{receiver.WithSecrets(auth.Secrets{fixture.TokenScheme: {token}, "other": {"x"}})}, `"other"`},
		{"both authenticator and secrets", fixture.StackState(), []receiver.Option{
			receiver.WithSecrets(auth.Secrets{fixture.TokenScheme: {token}}),
			receiver.WithAuthenticator(fixture.TokenAuth{}),
		}, "exclusive"},
		{"unknown webhook in WithPath", fixture.SingleAttempt(), []receiver.Option{receiver.WithPath("nope", "/x")}, `"nope"`},
		{"path without slash", fixture.SingleAttempt(), []receiver.Option{receiver.WithPath("taskFailed", "x")}, "must start with /"},
		{"ordering without an order store", fixture.StackState(), []receiver.Option{
			receiver.WithAuthenticator(fixture.TokenAuth{}), receiver.WithStore(storeOnly{store.NewMemory()}),
		}, "WithOrderStore"},
		{"nil family", nil, nil, "nil family"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := receiver.New(tt.fam, ok, tt.opts...)
			require.Error(t, err)
			assert.ErrorIs(t, err, runtime.ErrConfig)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), token)
		})
	}
}

// storeOnly hides the OrderStore methods of a store.
type storeOnly struct{ store.Store }

// TestWithSecrets authenticates with the real auth package.
func TestWithSecrets(t *testing.T) {
	rcv, err := receiver.New(fixture.StackState(),
		func(context.Context, *runtime.Delivery, runtime.Event) error { return nil },
		receiver.WithSecrets(auth.Secrets{fixture.TokenScheme: {"old-" + token, token}}),
		receiver.WithLogger(testLogger()))
	require.NoError(t, err)
	defer rcv.Close()
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	for _, tc := range []struct {
		tok  string
		want int
	}{{token, 200}, {"old-" + token, 200}, {wrongToken, 404}, {"", 404}} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+fixture.StackStatePath, strings.NewReader(string(fixture.Open("n-"+strconv.Itoa(tc.want)+"-"+strconv.Itoa(len(tc.tok)), 1))))
		req.Header.Set("Content-Type", "application/json")
		if tc.tok != "" {
			req.Header.Set(fixture.TokenHeader, tc.tok)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, tc.want, resp.StatusCode)
	}
}

// TestMountWithPath mounts on a gorilla/mux router at an overridden path
// with a path variable.
func TestMountWithPath(t *testing.T) {
	var got *runtime.Delivery
	rcv, err := receiver.New(fixture.SingleAttempt(),
		func(_ context.Context, d *runtime.Delivery, _ runtime.Event) error { got = d; return nil },
		receiver.WithPath("taskFailed", "/hooks/{tenant}/task"), receiver.WithMode(receiver.Sync))
	require.NoError(t, err)
	defer rcv.Close()
	router := mux.NewRouter()
	rcv.Mount(router)
	srv := httptest.NewServer(router)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/hooks/acme/task", "application/json", strings.NewReader(string(fixture.TaskBody("t"))))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.NotNil(t, got)
	assert.Equal(t, "t", got.Key)

	resp, err = http.Post(srv.URL+fixture.TaskPath, "application/json", strings.NewReader(string(fixture.TaskBody("t"))))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, 404, resp.StatusCode, "the default path is replaced")
}

// TestQuarantineIsKeptInTheStore: by default a quarantined delivery is a
// dead entry of the store's inbox, and no separate dead letter is made.
func TestQuarantineIsKeptInTheStore(t *testing.T) {
	rcv, err := receiver.New(fixture.SingleAttempt(),
		func(context.Context, *runtime.Delivery, runtime.Event) error { return runtime.Reject(nil) },
		receiver.WithMode(receiver.Sync))
	require.NoError(t, err)
	defer rcv.Close()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, fixture.TaskPath, strings.NewReader(string(fixture.TaskBody("t"))))
	req.Header.Set("Content-Type", "application/json")
	rcv.ServeHTTP(rec, req)
	assert.Equal(t, 422, rec.Code)
	assert.Nil(t, rcv.DeadLetter())
	p, err := rcv.Inbox().List(context.Background(), store.Query{State: store.Dead})
	require.NoError(t, err)
	require.Len(t, p.Entries, 1)
	assert.Equal(t, fixture.TaskBody("t"), p.Entries[0].Body)
	assert.Equal(t, "quarantined", p.Entries[0].Reason)
}

// TestQuarantineWithoutInbox: a store without an inbox keeps quarantined
// deliveries in a bounded in-memory dead letter.
func TestQuarantineWithoutInbox(t *testing.T) {
	rcv, err := receiver.New(fixture.SingleAttempt(),
		func(context.Context, *runtime.Delivery, runtime.Event) error { return runtime.Reject(nil) },
		receiver.WithStore(claimsOnly{store.NewMemory()}))
	require.NoError(t, err)
	defer rcv.Close()
	assert.Equal(t, receiver.Sync, rcv.Mode(), "no inbox: synchronous")
	assert.Nil(t, rcv.Inbox())
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, fixture.TaskPath, strings.NewReader(string(fixture.TaskBody("t"))))
	req.Header.Set("Content-Type", "application/json")
	rcv.ServeHTTP(rec, req)
	assert.Equal(t, 422, rec.Code)
	dl, ok := rcv.DeadLetter().(*receiver.MemoryDeadLetter)
	require.True(t, ok)
	require.Equal(t, 1, dl.Len())
}

// claimsOnly hides every method of a store but the claims.
type claimsOnly struct{ store.Store }

func TestMemoryDeadLetterBound(t *testing.T) {
	dl := receiver.NewMemoryDeadLetter(3)
	for i := range 5 {
		require.NoError(t, dl.Quarantine(context.Background(), receiver.Quarantined{ID: strconv.Itoa(i)}))
	}
	items := dl.List()
	require.Len(t, items, 3)
	assert.Equal(t, "2", items[0].ID)
	assert.Equal(t, "4", items[2].ID)
	assert.Equal(t, 2, dl.Evicted())
}

// TestHandlerTimeout: the handler's context ends after WithHandlerTimeout
// and the failure is transient.
func TestHandlerTimeout(t *testing.T) {
	rcv, err := receiver.New(fixture.SingleAttempt(), func(ctx context.Context, _ *runtime.Delivery, _ runtime.Event) error {
		<-ctx.Done()
		return ctx.Err()
	}, receiver.WithHandlerTimeout(10*time.Millisecond), receiver.WithMode(receiver.Sync))
	require.NoError(t, err)
	defer rcv.Close()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, fixture.TaskPath, strings.NewReader(string(fixture.TaskBody("t"))))
	req.Header.Set("Content-Type", "application/json")
	rcv.ServeHTTP(rec, req)
	assert.Equal(t, 503, rec.Code)
	assert.Equal(t, "retry", rec.Header().Get(receiver.OutcomeHeader))
}
