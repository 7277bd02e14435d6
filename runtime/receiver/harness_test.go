package receiver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/receiver/internal/fixture"
	"github.com/hookgen/hookgen/runtime/store"
)

// Secrets of the suite. TestMain fails the suite if either ever appears in
// a log line.
const (
	token      = "tok-9f8e7d6c5b4a39281706"
	wrongToken = "wrong-0a1b2c3d4e5f60718293"
)

// logs captures every log line of the suite.
var logs syncBuffer

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestMain runs the suite, then checks that no secret was ever logged (the
// no-secret-leak test: it fails the run when a token appears in any line).
func TestMain(m *testing.M) {
	code := m.Run()
	out := logs.String()
	switch {
	case code != 0:
	case !strings.Contains(out, `"delivery_id"`) && flag.Lookup("test.run").Value.String() == "":
		fmt.Fprintln(os.Stderr, "no-secret-leak: the suite logged no delivery line; the check cannot work")
		code = 1
	case strings.Contains(out, token), strings.Contains(out, wrongToken):
		fmt.Fprintln(os.Stderr, "no-secret-leak: a token appears in the logs")
		code = 1
	}
	os.Exit(code)
}

// harness is one receiver behind an httptest.Server.
type harness struct {
	t     *testing.T
	rcv   *receiver.Receiver
	srv   *httptest.Server
	mem   *store.Memory
	dl    *receiver.MemoryDeadLetter
	reg   *prometheus.Registry
	calls atomic.Int32
	// behave decides the handler's outcome for its n-th call (1-based);
	// nil means success.
	behave func(n int, d *runtime.Delivery, ev runtime.Event) error
	// withCtx, when set, runs after behave's turn with the handler's
	// context and decides the outcome instead.
	withCtx func(ctx context.Context) error

	mu   sync.Mutex
	seen []*runtime.Delivery
}

func newHarness(t *testing.T, fam *runtime.Family, opts ...receiver.Option) *harness {
	t.Helper()
	return newHarnessWrap(t, fam, nil, opts...)
}

// newHarnessWrap is newHarness with the idempotency store wrapped by wrap
// (nil: not wrapped); the memory store stays the order store.
func newHarnessWrap(t *testing.T, fam *runtime.Family, wrap func(*store.Memory) store.Store, opts ...receiver.Option) *harness {
	t.Helper()
	h := &harness{
		t:   t,
		mem: store.NewMemory(),
		dl:  receiver.NewMemoryDeadLetter(10),
		reg: prometheus.NewRegistry(),
	}
	t.Cleanup(func() { _ = h.mem.Close() })
	base := []receiver.Option{
		receiver.WithStore(h.mem),
		receiver.WithDeadLetter(h.dl),
		receiver.WithRegisterer(h.reg),
		receiver.WithLogger(testLogger()),
	}
	if len(fam.Security) > 0 {
		base = append(base, receiver.WithAuthenticator(fixture.TokenAuth{Header: fixture.TokenHeader, Tokens: []string{token}}))
	}
	if wrap != nil {
		ws := wrap(h.mem)
		os, ok := ws.(store.OrderStore)
		if !ok {
			os = h.mem
		}
		base = append(base, receiver.WithStore(ws), receiver.WithOrderStore(os))
	}
	rcv, err := receiver.New(fam, h.dispatch, append(base, opts...)...)
	require.NoError(t, err)
	h.rcv = rcv
	h.srv = httptest.NewServer(rcv.Handler())
	t.Cleanup(func() {
		h.srv.Close()
		require.NoError(t, rcv.Close())
	})
	return h
}

func (h *harness) dispatch(ctx context.Context, d *runtime.Delivery, ev runtime.Event) error {
	n := int(h.calls.Add(1))
	cp := *d
	cp.Raw = bytes.Clone(d.Raw)
	h.mu.Lock()
	h.seen = append(h.seen, &cp)
	h.mu.Unlock()
	if h.withCtx != nil {
		return h.withCtx(ctx)
	}
	if h.behave != nil {
		return h.behave(n, d, ev)
	}
	return nil
}

func (h *harness) lastDelivery() *runtime.Delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.seen) == 0 {
		return nil
	}
	return h.seen[len(h.seen)-1]
}

// request is one delivery to send.
type request struct {
	method      string // default POST
	path        string // default the family's first webhook path
	body        []byte
	contentType string // default application/json; "-" for none
	token       string // default the right token; "-" for none
	header      http.Header
	chunked     bool // hide the length (no Content-Length)
}

// response is what came back.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (h *harness) send(rq request) response {
	h.t.Helper()
	method := rq.method
	if method == "" {
		method = http.MethodPost
	}
	path := rq.path
	if path == "" {
		path = fixture.StackStatePath
	}
	var body io.Reader = bytes.NewReader(rq.body)
	if rq.chunked {
		body = io.MultiReader(bytes.NewReader(rq.body))
	}
	req, err := http.NewRequest(method, h.srv.URL+path, body)
	require.NoError(h.t, err)
	switch rq.contentType {
	case "":
		req.Header.Set("Content-Type", "application/json")
	case "-":
	default:
		req.Header.Set("Content-Type", rq.contentType)
	}
	switch rq.token {
	case "":
		req.Header.Set(fixture.TokenHeader, token)
	case "-":
	default:
		req.Header.Set(fixture.TokenHeader, rq.token)
	}
	for k, vs := range rq.header {
		req.Header[k] = vs
	}
	resp, err := h.srv.Client().Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// problem decodes a problem+json body.
func problemOf(t *testing.T, r response) runtime.Problem {
	t.Helper()
	require.Equal(t, runtime.ProblemContentType, r.header.Get("Content-Type"), "body: %s", r.body)
	var pr runtime.Problem
	require.NoError(t, json.Unmarshal(r.body, &pr))
	return pr
}

// metricValue sums the samples of a counter or gauge family whose labels
// include want.
func metricValue(t *testing.T, g prometheus.Gatherer, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if !hasLabels(m, want) {
				continue
			}
			switch {
			case m.Counter != nil:
				total += m.GetCounter().GetValue()
			case m.Gauge != nil:
				total += m.GetGauge().GetValue()
			case m.Histogram != nil:
				total += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return total
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, lp := range m.GetLabel() {
		got[lp.GetName()] = lp.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(time.Millisecond)
	}
}
