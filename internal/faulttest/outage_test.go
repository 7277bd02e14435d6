package faulttest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/faulttest"
	"github.com/hookgen/hookgen/internal/services"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/storeurl"
)

// Outage phases: how many acknowledgements before the cut and after the
// restore, and how long the cut lasts at least.
const (
	outageWarmup   = 100
	outageRecovery = 100
	outageHold     = 1500 * time.Millisecond
	outageSenders  = 8
	outageReplicas = 2
	// outageWait bounds every wait of an outage test: generous, so that
	// a loaded machine changes the duration, never the verdict.
	outageWait = 60 * time.Second
)

// proxied starts a Proxy to the server of raw and returns it with raw
// pointed at it.
func proxied(t *testing.T, raw string) (*faulttest.Proxy, string) {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	p, err := faulttest.NewProxy(u.Host)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	pu, err := p.URL(raw)
	require.NoError(t, err)
	return p, pu
}

// effectsPool opens the handler's database (effects_once) at raw.
func effectsPool(t *testing.T, raw string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), withParam(t, raw, "pool_max_conns", "4"))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, faulttest.CreateEffects(context.Background(), pool))
	return pool
}

// serve starts a receiver of Family on st behind an HTTP server.
func serve(t *testing.T, st store.Store, handler *faulttest.Once, mode receiver.Mode, opts ...receiver.Option) (*receiver.Receiver, string) {
	t.Helper()
	opts = append([]receiver.Option{receiver.WithStore(st), receiver.WithMode(mode), receiver.WithLease(2 * time.Second),
		receiver.WithPollInterval(50 * time.Millisecond), receiver.WithBackoff(20*time.Millisecond, 300*time.Millisecond)}, opts...)
	rcv, err := receiver.New(faulttest.Family(), handler.Handle, opts...)
	require.NoError(t, err)
	srv := httptest.NewServer(rcv)
	t.Cleanup(func() { srv.Close(); _ = rcv.Close() })
	return rcv, srv.Listener.Addr().String()
}

// waitAcked waits until the load has n more acknowledgements than from.
func waitAcked(t *testing.T, l *faulttest.Load, from, n int, what string) {
	t.Helper()
	require.Eventually(t, func() bool { return l.Acked() >= from+n }, outageWait, 10*time.Millisecond, what)
}

// outageFigures are what an outage test measured.
type outageFigures struct {
	Sent, Acked, Processed, Lost, Reruns, HandlerFailures int
	RetryDuringCut, AckedDuringCut, Refused               int
	Cut                                                   time.Duration
}

func (f outageFigures) String() string {
	return fmt.Sprintf("sent %d, acknowledged %d, processed %d, lost %d, twice 0 by the effect's key (reruns suppressed by the handler %d), handler failures retried %d; during the %s cut: %d answers 503 + Retry-After, %d acknowledgements, %d connections refused",
		f.Sent, f.Acked, f.Processed, f.Lost, f.Reruns, f.HandlerFailures, f.Cut.Round(time.Millisecond), f.RetryDuringCut, f.AckedDuringCut, f.Refused)
}

// TestOutageSyncPostgres: synchronous receivers whose store is PostgreSQL
// behind a proxy answer 503 with Retry-After while it is cut, and, once it
// is restored, acknowledge and process every delivery with no one's help.
func TestOutageSyncPostgres(t *testing.T) {
	pgURL := services.PostgresURL(t)
	outageSync(t, withParam(t, pgURL, "pool_max_conns", "4"), pgURL, receiver.Sync)
}

// TestOutageDurablePostgres: durable receivers whose inbox is PostgreSQL
// behind a proxy answer 503 with Retry-After while it is cut (nothing is
// acknowledged that is not persisted), and after the restore their
// workers process every acknowledged delivery.
func TestOutageDurablePostgres(t *testing.T) {
	pgURL := services.PostgresURL(t)
	outageSync(t, withParam(t, pgURL, "pool_max_conns", "4"), pgURL, receiver.Durable)
}

// TestOutageSyncRedis: the same with Redis as the store (claims), the
// handler's effects in PostgreSQL.
func TestOutageSyncRedis(t *testing.T) {
	outageSync(t, services.RedisURL(t), services.PostgresURL(t), receiver.Sync)
}

// outageSync cuts the store of receivers in mode (sync, or durable with
// the store's inbox) under the load of a retry-until-success sender.
func outageSync(t *testing.T, storeURL, effectsURL string, mode receiver.Mode) {
	if testing.Short() {
		t.Skip("outage: not in -short mode")
	}
	ctx := context.Background()
	proxy, viaProxy := proxied(t, storeURL)
	handler := &faulttest.Once{Pool: effectsPool(t, effectsURL)}
	var addrs []string
	var inbox store.Inbox
	for range outageReplicas {
		st, err := storeurl.Open(ctx, viaProxy)
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		rcv, addr := serve(t, st, handler, mode, receiver.WithMaxAttempts(1000))
		addrs = append(addrs, addr)
		inbox = rcv.Inbox()
	}

	l := faulttest.StartLoad("s", addrs, outageSenders, true)
	defer l.Stop()
	waitAcked(t, l, 0, outageWarmup, "acknowledged before the cut")

	var f outageFigures
	retryBefore, ackedBefore := l.Sender.Answers.Status(http.StatusServiceUnavailable), l.Acked()
	cutAt := time.Now()
	proxy.Cut()
	// The receivers answer retryable statuses while the store is down.
	require.Eventually(t, func() bool {
		return time.Since(cutAt) >= outageHold && l.Sender.Answers.Status(http.StatusServiceUnavailable)-retryBefore >= 10 && proxy.Refused() > 0
	}, outageWait, 10*time.Millisecond, "503 answers while the store is cut")
	f.RetryDuringCut = l.Sender.Answers.Status(http.StatusServiceUnavailable) - retryBefore
	f.AckedDuringCut = l.Acked() - ackedBefore
	f.Refused = proxy.Refused()
	proxy.Restore()
	f.Cut = time.Since(cutAt)

	// Everything recovers by itself.
	waitAcked(t, l, l.Acked(), outageRecovery, "acknowledged after the restore")
	l.Stop()
	acked := l.AckedIDs()
	if mode == receiver.Durable {
		require.Eventually(t, func() bool {
			p, err := inbox.List(ctx, store.Query{State: store.Pending, Limit: 1})
			if err != nil || len(p.Entries) > 0 {
				return false
			}
			effects, err := faulttest.Effects(ctx, handler.Pool)
			return err == nil && len(effects) >= len(acked)
		}, outageWait, 50*time.Millisecond, "the workers settle every entry after the restore")
		dead, err := inbox.List(ctx, store.Query{State: store.Dead, Limit: 10})
		require.NoError(t, err)
		assert.Empty(t, dead.Entries, "no delivery goes to the dead letter during the outage")
	}

	effects, err := faulttest.Effects(ctx, handler.Pool)
	require.NoError(t, err)
	for id := range acked {
		if effects[id] == 0 {
			f.Lost++
		}
	}
	f.Sent, f.Acked, f.Processed = l.Sent(), l.Acked(), len(effects)
	f.Reruns, f.HandlerFailures = int(handler.Reruns.Load()), int(handler.Failures.Load())
	t.Logf("outage (%s, %d replicas): %s", mode, outageReplicas, f)
	t.Logf("answers: %s", l.Sender.Answers)

	assert.Empty(t, l.GivenUp(), "every delivery is acknowledged in the end")
	assert.Equal(t, f.Sent, f.Acked)
	assert.Zero(t, f.Lost, "acknowledged but never processed")
	assert.Zero(t, l.Sender.Answers.Other(), "only 2xx and 503 answers: nothing the sender would not retry")
	assert.Zero(t, l.Sender.Answers.RetryAfterMissing, "every 503 carries Retry-After")
	for id := range effects {
		assert.True(t, acked[id], "effect %s of a delivery never acknowledged", id)
	}
}

// TestOutageDurableBolt: a durable receiver on the embedded store keeps
// acknowledging while the handler's database (PostgreSQL behind a proxy)
// is cut; its workers retry, and after the restore every acknowledged
// delivery has its effect.
func TestOutageDurableBolt(t *testing.T) {
	if testing.Short() {
		t.Skip("outage: not in -short mode")
	}
	ctx := context.Background()
	proxy, viaProxy := proxied(t, services.PostgresURL(t))
	handler := &faulttest.Once{Pool: effectsPool(t, viaProxy)}
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	// Enough attempts that the outage, with this backoff, cannot exhaust
	// a delivery (the default backoff spaces 8 attempts over minutes).
	rcv, addr := serve(t, st, handler, receiver.Durable, receiver.WithMaxAttempts(1000))

	l := faulttest.StartLoad("d", []string{addr}, outageSenders, false)
	defer l.Stop()
	waitAcked(t, l, 0, outageWarmup, "acknowledged before the cut")

	var f outageFigures
	ackedBefore, failedBefore := l.Acked(), handler.Failures.Load()
	cutAt := time.Now()
	proxy.Cut()
	// The receiver keeps acknowledging while its handler fails.
	require.Eventually(t, func() bool {
		return time.Since(cutAt) >= outageHold && l.Acked()-ackedBefore >= 100 && handler.Failures.Load()-failedBefore >= 10
	}, outageWait, 10*time.Millisecond, "acknowledgements and failing handlers while the database is cut")
	f.AckedDuringCut = l.Acked() - ackedBefore
	f.Refused = proxy.Refused()
	proxy.Restore()
	f.Cut = time.Since(cutAt)

	waitAcked(t, l, l.Acked(), outageRecovery, "acknowledged after the restore")
	l.Stop()

	// The workers catch up by themselves: no entry pending, none dead.
	require.Eventually(t, func() bool {
		p, err := rcv.Inbox().List(ctx, store.Query{State: store.Pending, Limit: 1})
		return err == nil && len(p.Entries) == 0
	}, outageWait, 50*time.Millisecond, "the workers settle every entry after the restore")
	dead, err := rcv.Inbox().List(ctx, store.Query{State: store.Dead, Limit: 10})
	require.NoError(t, err)
	assert.Empty(t, dead.Entries, "no delivery goes to the dead letter during the outage")

	effects, err := faulttest.Effects(ctx, handler.Pool)
	require.NoError(t, err)
	acked := l.AckedIDs()
	for id := range acked {
		if effects[id] == 0 {
			f.Lost++
		}
	}
	f.Sent, f.Acked, f.Processed = l.Sent(), l.Acked(), len(effects)
	f.Reruns, f.HandlerFailures = int(handler.Reruns.Load()), int(handler.Failures.Load())
	t.Logf("outage (durable, bolt; the handler's PostgreSQL cut): %s", f)
	t.Logf("answers: %s", l.Sender.Answers)

	assert.Equal(t, f.Sent, f.Acked, "a single-attempt sender's every delivery is acknowledged, during the cut too")
	assert.Zero(t, l.Sender.Answers.Errors+l.Sender.Answers.Other()+l.Sender.Answers.Status(http.StatusServiceUnavailable), "no answer but 2xx")
	assert.Zero(t, f.Lost, "acknowledged but never processed")
	assert.LessOrEqual(t, f.Reruns, f.HandlerFailures, "a rerun follows a failed attempt (whose commit the handler did not see)")
}

// TestStallSyncPostgres: a synchronous receiver whose PostgreSQL store
// stops answering (the connections stay open, no byte comes back, as
// behind a network partition) still answers a delivery, 503 with
// Retry-After after the store timeout (receiver.DefaultStoreTimeout),
// instead of holding the sender until its own timeout; after the store
// answers again the delivery is acknowledged and processed once.
func TestStallSyncPostgres(t *testing.T) { stall(t, receiver.Sync, false, 0) }

// TestStallStoreTimeout: receiver.WithStoreTimeout sets how long a
// stalled store is waited for.
func TestStallStoreTimeout(t *testing.T) { stall(t, receiver.Sync, false, 500*time.Millisecond) }

// TestStallDurablePostgres: the same for the persist step of a durable
// receiver whose inbox is PostgreSQL.
func TestStallDurablePostgres(t *testing.T) { stall(t, receiver.Durable, false, 0) }

// TestStallDuringHandler: the store stops answering while a synchronous
// handler runs, so that the lease renewals and the settle hang on it; the
// delivery is still answered 503 with Retry-After.
func TestStallDuringHandler(t *testing.T) { stall(t, receiver.Sync, true, 0) }

// stall stalls the store of a receiver in mode, before a delivery or while
// its handler runs, with the receiver's store timeout (0: the default).
func stall(t *testing.T, mode receiver.Mode, duringHandler bool, timeout time.Duration) {
	if testing.Short() {
		t.Skip("outage: not in -short mode")
	}
	ctx := context.Background()
	pgURL := services.PostgresURL(t)
	proxy, viaProxy := proxied(t, withParam(t, pgURL, "pool_max_conns", "4"))
	handler := &faulttest.Once{Pool: effectsPool(t, pgURL)}
	st, err := storeurl.Open(ctx, viaProxy)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	var opts []receiver.Option
	if duringHandler {
		// The handler of "during" stalls the store and outlives several
		// renewals (every lease/3 = 200 ms) before it returns.
		var once sync.Once
		handler.Before = func(id string) {
			if id == "during" {
				once.Do(func() {
					proxy.Stall()
					time.Sleep(time.Second)
				})
			}
		}
		opts = append(opts, receiver.WithHandlerTimeout(10*time.Second))
	}
	wait := receiver.DefaultStoreTimeout
	if timeout > 0 {
		wait = timeout
		opts = append(opts, receiver.WithStoreTimeout(timeout))
	}
	_, addr := serve(t, st, handler, mode, append(opts, receiver.WithLease(600*time.Millisecond))...)

	s := faulttest.NewSender()
	// The sender waits much longer than the receiver's store timeout.
	s.Client.Timeout = 30 * time.Second
	for i := range 10 {
		require.True(t, s.PostUntilAcked(addr, fmt.Sprint("before-", i), time.Now().Add(outageWait)))
	}
	if !duringHandler {
		proxy.Stall()
	}
	began := time.Now()
	ok, status := s.Post(addr, "during")
	answeredIn := time.Since(began)
	t.Logf("answer while the store is stalled: status %d after %s", status, answeredIn.Round(time.Millisecond))
	assert.GreaterOrEqual(t, answeredIn, wait, "the store is waited for as long as the store timeout")
	if timeout > 0 {
		// Ten times the timeout: a loaded machine changes the duration,
		// not the verdict.
		assert.Less(t, answeredIn, receiver.DefaultStoreTimeout, "the store timeout set replaces the default")
	}
	assert.False(t, ok)
	assert.Equal(t, http.StatusServiceUnavailable, status, "a stalled store is answered 503, not left to the sender's timeout")
	assert.Zero(t, s.Answers.RetryAfterMissing, "the 503 carries Retry-After")
	proxy.Resume()

	require.True(t, s.PostUntilAcked(addr, "during", time.Now().Add(outageWait)), "acknowledged after the store answers again")
	require.Eventually(t, func() bool {
		effects, err := faulttest.Effects(ctx, handler.Pool)
		return err == nil && effects["during"] == 1
	}, outageWait, 20*time.Millisecond, "processed after the store answers again")
}
