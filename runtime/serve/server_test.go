package serve_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/serve"
)

// hookHandler answers POST /hook with 200 after reading the body, counting
// calls; every other path is 404.
type hookHandler struct {
	calls atomic.Int64
	block chan struct{} // when non-nil, each call waits for it
}

func (h *hookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/hook" {
		http.NotFound(w, r)
		return
	}
	if _, err := io.ReadAll(r.Body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	h.calls.Add(1)
	if h.block != nil {
		<-h.block
	}
	_, _ = w.Write([]byte("done\n"))
}

// start runs a server on loopback until the test ends.
func start(t *testing.T, h http.Handler, opts ...serve.Option) *serve.Server {
	t.Helper()
	opts = append([]serve.Option{serve.WithAddr("127.0.0.1:0"), serve.WithOpsAddr("127.0.0.1:0")}, opts...)
	srv, err := serve.New(h, opts...)
	require.NoError(t, err)
	require.NoError(t, srv.Listen(t.Context()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Error("server did not stop")
		}
	})
	return srv
}

// deliver sends one valid delivery on a fresh connection and returns the
// status and how long the answer took.
func deliver(t *testing.T, addr string) (int, time.Duration) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	begin := time.Now()
	resp, err := c.Post("http://"+addr+"/hook", "application/json", strings.NewReader(`{"id":"1"}`))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, time.Since(begin)
}

// slowClients opens n connections to addr: a third stay silent, a third
// trickle their request headers and a third their body, one byte a second,
// until the test ends. It returns the number that connected.
func slowClients(t *testing.T, addr string, n int) int {
	t.Helper()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(stop); wg.Wait() })
	opened := 0
	for i := range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		require.NoError(t, err, "slow client %d", i)
		opened++
		var script string
		switch i % 3 {
		case 0: // silent
		case 1:
			script = "POST /hook HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 1000)
		case 2:
			_, err := io.WriteString(c, "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
			require.NoError(t, err)
			script = strings.Repeat(" ", 1000)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				if k < len(script) {
					if _, err := c.Write([]byte{script[k]}); err != nil {
						return
					}
				}
			}
		}()
	}
	return opened
}

func metric(t *testing.T, opsAddr, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + opsAddr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			var f float64
			_, err := fmt.Sscan(v, &f)
			require.NoError(t, err)
			return f
		}
	}
	t.Fatalf("metric %s not found", name)
	return 0
}

// Slow connections are held open, without timeouts to rescue the server,
// and valid deliveries are still answered promptly: body tricklers hold no
// delivery slot.
func TestSlowConnectionsHeldOpenDeliveriesAnswered(t *testing.T) {
	h := &hookHandler{}
	long := serve.Timeouts{ReadHeader: time.Minute, Read: time.Minute, Write: time.Minute, Idle: time.Minute}
	srv := start(t, h, serve.WithTimeouts(long), serve.WithMaxConnections(2000), serve.WithMaxConcurrent(8))
	n := slowClients(t, srv.Addr(), 1000)
	require.Equal(t, 1000, n)
	require.Eventually(t, func() bool { return metric(t, srv.OpsAddr(), "hookgen_serve_open_connections") >= 1000 },
		10*time.Second, 50*time.Millisecond, "the slow connections are held open")
	time.Sleep(2 * time.Second) // let them trickle
	for range 20 {
		code, took := deliver(t, srv.Addr())
		assert.Equal(t, http.StatusOK, code)
		assert.Less(t, took, time.Second)
	}
	assert.Equal(t, int64(20), h.calls.Load(), "no trickled request reached the handler")
	assert.Zero(t, metric(t, srv.OpsAddr(), "hookgen_serve_evicted_connections_total"))
}

// At the connection cap, new clients evict the slow ones and are answered.
func TestConnectionCapEvictsSlowest(t *testing.T) {
	h := &hookHandler{}
	long := serve.Timeouts{ReadHeader: time.Minute, Read: time.Minute, Write: time.Minute, Idle: time.Minute}
	srv := start(t, h, serve.WithTimeouts(long), serve.WithMaxConnections(300), serve.WithMaxConcurrent(8))
	slowClients(t, srv.Addr(), 1000)
	require.Eventually(t, func() bool { return metric(t, srv.OpsAddr(), "hookgen_serve_evicted_connections_total") >= 700 },
		10*time.Second, 50*time.Millisecond)
	assert.LessOrEqual(t, metric(t, srv.OpsAddr(), "hookgen_serve_open_connections"), 300.0)
	for range 20 {
		code, took := deliver(t, srv.Addr())
		assert.Equal(t, http.StatusOK, code)
		assert.Less(t, took, time.Second)
	}
}

// An idle keep-alive connection is closed after the idle timeout.
func TestIdleKeepAliveClosed(t *testing.T) {
	srv := start(t, &hookHandler{}, serve.WithTimeouts(serve.Timeouts{Idle: 200 * time.Millisecond}))
	c, err := net.Dial("tcp", srv.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
	require.NoError(t, err)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	begin := time.Now()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = br.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "the server closed the idle connection")
	assert.Less(t, time.Since(begin), 2*time.Second)
}

// A request that sends its headers and then nothing is cut off after the
// read timeout.
func TestSlowBodyCutAtReadTimeout(t *testing.T) {
	srv := start(t, &hookHandler{}, serve.WithTimeouts(serve.Timeouts{Read: 300 * time.Millisecond}))
	c, err := net.Dial("tcp", srv.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{")
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	begin := time.Now()
	_, _ = io.ReadAll(c)
	assert.Less(t, time.Since(begin), 3*time.Second)
}

// Past the concurrency cap, requests get 503 with Retry-After and a problem
// document; once a slot is free, deliveries are handled again.
func TestSaturationAnswers503(t *testing.T) {
	h := &hookHandler{block: make(chan struct{})}
	srv := start(t, h, serve.WithMaxConcurrent(2), serve.WithRetryAfter(3*time.Second))
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			code, _ := deliver(t, srv.Addr())
			assert.Equal(t, http.StatusOK, code)
		})
	}
	require.Eventually(t, func() bool { return h.calls.Load() == 2 }, 5*time.Second, 10*time.Millisecond)
	resp, err := http.Post("http://"+srv.Addr()+"/hook", "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "3", resp.Header.Get("Retry-After"))
	assert.Equal(t, runtime.ProblemContentType, resp.Header.Get("Content-Type"))
	var pr runtime.Problem
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&pr))
	assert.Equal(t, http.StatusServiceUnavailable, pr.Status)
	assert.Equal(t, 1.0, metric(t, srv.OpsAddr(), "hookgen_serve_saturated_requests_total"))
	close(h.block)
	wg.Wait()
	code, _ := deliver(t, srv.Addr())
	assert.Equal(t, http.StatusOK, code)
}

// A long body reaches the handler whole, read in many reads (each gives
// the slot back and takes it again).
func TestLongBodyPassedOn(t *testing.T) {
	var got atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(int64(len(b)))
	})
	srv := start(t, h, serve.WithMaxConcurrent(1))
	body := strings.Repeat("x", 5<<20)
	resp, err := http.Post("http://"+srv.Addr()+"/hook", "text/plain", strings.NewReader(body))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, int64(len(body)), got.Load())
}

// The operations endpoints are on their own listener, not on the webhook
// port; with a token, /metrics needs it and the probes stay open.
func TestOpsEndpointsSeparate(t *testing.T) {
	srv := start(t, &hookHandler{}, serve.WithOpsToken("t0ken"),
		serve.WithAdmin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("admin " + r.URL.Path)) })))
	require.NotEqual(t, srv.Addr(), srv.OpsAddr())
	for _, p := range []string{"/metrics", "/healthz", "/readyz", "/admin/x"} {
		resp, err := http.Get("http://" + srv.Addr() + p)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "webhook port %s", p)
	}
	get := func(p, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+srv.OpsAddr()+p, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, _ := get("/healthz", "")
	assert.Equal(t, http.StatusOK, code)
	code, _ = get("/readyz", "")
	assert.Equal(t, http.StatusOK, code)
	code, _ = get("/metrics", "")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = get("/metrics", "wrong")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, body := get("/metrics", "t0ken")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "hookgen_serve_open_connections")
	code, _ = get("/admin/x", "")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, body = get("/admin/x", "t0ken")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "admin /admin/x", body)
}

// Sharing the webhook listener requires a token, and then every operations
// path needs it.
func TestOpsSharedNeedsToken(t *testing.T) {
	_, err := serve.New(&hookHandler{}, serve.WithOpsAddr(""))
	require.ErrorIs(t, err, runtime.ErrConfig)

	srv := start(t, &hookHandler{}, serve.WithOpsAddr(""), serve.WithOpsToken("t0ken"))
	assert.Empty(t, srv.OpsAddr())
	for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
		resp, err := http.Get("http://" + srv.Addr() + p)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, p)
	}
	code, _ := deliver(t, srv.Addr())
	assert.Equal(t, http.StatusOK, code)
}

// Readiness checks turn /readyz to 503 while they fail.
func TestReadiness(t *testing.T) {
	var broken atomic.Bool
	srv := start(t, &hookHandler{}, serve.WithReadiness(func(context.Context) error {
		if broken.Load() {
			return fmt.Errorf("store unreachable")
		}
		return nil
	}))
	status := func() int {
		resp, err := http.Get("http://" + srv.OpsAddr() + "/readyz")
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, status())
	broken.Store(true)
	assert.Equal(t, http.StatusServiceUnavailable, status())
}

// Cancelling Run's context lets the request in flight finish, turns
// /readyz to 503, runs the OnShutdown functions in order and returns nil.
func TestGracefulShutdown(t *testing.T) {
	h := &hookHandler{block: make(chan struct{})}
	var order []string
	var mu sync.Mutex
	note := func(s string) serve.Option {
		return serve.OnShutdown(func(context.Context) error { mu.Lock(); order = append(order, s); mu.Unlock(); return nil })
	}
	srv, err := serve.New(h, serve.WithAddr("127.0.0.1:0"), serve.WithOpsAddr("127.0.0.1:0"), note("receiver"), note("store"))
	require.NoError(t, err)
	require.NoError(t, srv.Listen(t.Context()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	status := make(chan int, 1)
	go func() {
		code, _ := deliver(t, srv.Addr())
		status <- code
	}()
	require.Eventually(t, func() bool { return h.calls.Load() == 1 }, 5*time.Second, 10*time.Millisecond)
	cancel()
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + srv.OpsAddr() + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	}, 5*time.Second, 10*time.Millisecond)
	select {
	case <-done:
		t.Fatal("Run returned with a request in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(h.block)
	assert.Equal(t, http.StatusOK, <-status)
	require.NoError(t, <-done)
	assert.Equal(t, []string{"receiver", "store"}, order)
	_, err = net.Dial("tcp", srv.Addr())
	assert.Error(t, err, "the webhook listener is closed")
}

// The drain is bounded: a request that does not finish in time is cut and
// Run reports it.
func TestDrainTimeout(t *testing.T) {
	h := &hookHandler{block: make(chan struct{})}
	defer close(h.block)
	srv, err := serve.New(h, serve.WithAddr("127.0.0.1:0"), serve.WithOpsAddr("127.0.0.1:0"), serve.WithDrainTimeout(200*time.Millisecond))
	require.NoError(t, err)
	require.NoError(t, srv.Listen(t.Context()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	go func() {
		c := &http.Client{Timeout: 5 * time.Second}
		resp, err := c.Post("http://"+srv.Addr()+"/hook", "application/json", strings.NewReader(`{}`))
		if err == nil {
			_ = resp.Body.Close()
		}
	}()
	require.Eventually(t, func() bool { return h.calls.Load() == 1 }, 5*time.Second, 10*time.Millisecond)
	begin := time.Now()
	cancel()
	err = <-done
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(begin), 2*time.Second)
}

func TestNewRejectsBadOptions(t *testing.T) {
	for name, opts := range map[string][]serve.Option{
		"nil-safe but empty addr": {serve.WithAddr("")},
		"fewer conns than slots":  {serve.WithMaxConnections(10), serve.WithMaxConcurrent(20)},
	} {
		_, err := serve.New(&hookHandler{}, opts...)
		assert.ErrorIs(t, err, runtime.ErrConfig, name)
	}
	_, err := serve.New(nil)
	assert.ErrorIs(t, err, runtime.ErrConfig)
}

// Eviction never closes a connection whose request is being handled.
func TestEvictionSparesBusyConnections(t *testing.T) {
	h := &hookHandler{block: make(chan struct{})}
	srv := start(t, h, serve.WithMaxConnections(16), serve.WithMaxConcurrent(4))
	codes := make(chan int, 4)
	for range 4 {
		go func() {
			c := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			resp, err := c.Post("http://"+srv.Addr()+"/hook", "application/json", strings.NewReader(`{}`))
			if err != nil {
				codes <- 0
				return
			}
			_ = resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	require.Eventually(t, func() bool { return h.calls.Load() == 4 }, 5*time.Second, 10*time.Millisecond)
	slowClients(t, srv.Addr(), 100) // forces 88+ evictions
	require.Eventually(t, func() bool { return metric(t, srv.OpsAddr(), "hookgen_serve_evicted_connections_total") >= 80 },
		10*time.Second, 20*time.Millisecond)
	close(h.block)
	for range 4 {
		assert.Equal(t, http.StatusOK, <-codes, "a busy connection was closed")
	}
}

// A handler that refuses a request from its headers answers at once, even
// though the client has not sent the body, and the connection is closed;
// a handler that reads the body keeps the connection alive.
func TestRefusalFromHeadersAnsweredWithoutBody(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Token") != "ok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.ReadAll(r.Body)
		_, _ = w.Write([]byte("done"))
	})
	srv := start(t, h)
	for _, cl := range []string{"100", "100000", "10000000"} {
		c, err := net.Dial("tcp", srv.Addr())
		require.NoError(t, err)
		_, err = io.WriteString(c, "POST /hook HTTP/1.1\r\nHost: x\r\nX-Token: bad\r\nContent-Length: "+cl+"\r\n\r\n")
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(3*time.Second)))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err, "answered before the body (Content-Length %s)", cl)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.True(t, resp.Close, "connection closed after an early answer")
		_ = c.Close()
	}
	c, err := net.Dial("tcp", srv.Addr())
	require.NoError(t, err)
	defer c.Close()
	br := bufio.NewReader(c)
	for range 2 {
		_, err = io.WriteString(c, "POST /hook HTTP/1.1\r\nHost: x\r\nX-Token: ok\r\nContent-Length: 2\r\n\r\n{}")
		require.NoError(t, err)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.False(t, resp.Close, "keep-alive after a body read to its end")
	}
}
