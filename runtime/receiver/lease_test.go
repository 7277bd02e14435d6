package receiver_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/receiver/internal/fixture"
	"github.com/hookgen/hookgen/runtime/store"
)

// TestSlowHandlerNeverRunsTwice runs a handler four times longer than the
// claim lease while duplicates keep arriving: the lease is extended while
// it runs, so every duplicate is asked to come back and the handler never
// runs twice at once (nor twice at all).
func TestSlowHandlerNeverRunsTwice(t *testing.T) {
	const lease = 500 * time.Millisecond // renewed every 167 ms
	h := newHarness(t, fixture.StackState(), receiver.WithLease(lease), receiver.WithHandlerTimeout(5*time.Second))
	var running, most atomic.Int32
	entered := make(chan struct{})
	h.behave = func(n int, _ *runtime.Delivery, _ runtime.Event) error {
		cur := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if cur <= m || most.CompareAndSwap(m, cur) {
				break
			}
		}
		if n == 1 {
			close(entered)
		}
		time.Sleep(4 * lease)
		return nil
	}
	first := make(chan response, 1)
	go func() { first <- h.send(request{body: fixture.Open(nid, 1000)}) }()
	<-entered
	deadline := time.Now().Add(3 * lease)
	dups := 0
	for time.Now().Before(deadline) {
		r := h.send(request{body: fixture.Open(nid, 1000)})
		assert.Equal(t, 503, r.status)
		assert.Equal(t, "in-flight", r.header.Get(receiver.OutcomeHeader))
		dups++
		time.Sleep(lease / 5)
	}
	r := <-first
	assert.Equal(t, 200, r.status)
	assert.Equal(t, "processed", r.header.Get(receiver.OutcomeHeader))
	assert.Positive(t, dups)
	assert.Equal(t, int32(1), most.Load(), "never run twice at once")
	assert.Equal(t, int32(1), h.calls.Load(), "run once")
}

// lostLease is the memory store, except that no lease can be extended.
type lostLease struct{ orderedStore }

func (lostLease) Extend(context.Context, string, string, time.Duration) (time.Time, error) {
	return time.Time{}, store.ErrLeaseLost
}

// TestLeaseLost: when the claim cannot be extended, the handler's context
// is cancelled with store.ErrLeaseLost as its cause, and once another
// claim has won the key the first holder's Complete is refused, so the
// delivery is never acknowledged by the holder that lost it.
func TestLeaseLost(t *testing.T) {
	const lease = 40 * time.Millisecond
	h := newHarnessWrap(t, fixture.StackState(), func(m *store.Memory) store.Store { return lostLease{m} },
		receiver.WithLease(lease), receiver.WithHandlerTimeout(5*time.Second))
	key := "stackstate:" + nid + ":open:1000"
	var cause error
	h.withCtx = func(ctx context.Context) error {
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
		}
		cause = context.Cause(ctx)
		// Outlive the lease while another holder claims the key, then
		// report success: the stale holder's Complete must be refused.
		time.Sleep(2 * lease)
		c, err := h.mem.Claim(context.Background(), key, time.Minute)
		if assert.NoError(t, err) {
			assert.True(t, c.Won, "the expired key is claimed by another holder")
		}
		return nil
	}
	r := h.send(request{body: fixture.Open(nid, 1000)})
	assert.Equal(t, 503, r.status)
	assert.Equal(t, "store-error", r.header.Get(receiver.OutcomeHeader))
	assert.ErrorIs(t, cause, store.ErrLeaseLost)
	assert.Equal(t, int32(1), h.calls.Load())
}

// TestFenceIncreases: every claim of a delivery carries a higher fence.
func TestFenceIncreases(t *testing.T) {
	h := newHarness(t, fixture.StackState())
	h.behave = func(n int, _ *runtime.Delivery, _ runtime.Event) error {
		if n == 1 {
			return runtime.Retry(nil, 0)
		}
		return nil
	}
	require.Equal(t, 503, h.send(request{body: fixture.Open(nid, 1000)}).status)
	f1 := h.lastDelivery().Fence
	require.Equal(t, 200, h.send(request{body: fixture.Open(nid, 1000)}).status)
	f2 := h.lastDelivery().Fence
	assert.Positive(t, f1)
	assert.Greater(t, f2, f1)
}

// TestConcurrentOlderMessageIsNotProcessed: while a newer message of an
// entity is being handled, an older one is answered like a delivery in
// flight (the entity is held), and once the newer one is committed the
// older one is dropped as stale: it is never processed.
func TestConcurrentOlderMessageIsNotProcessed(t *testing.T) {
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
	go func() { first <- h.send(request{body: fixture.Open(nid, 2000)}) }()
	<-entered
	r := h.send(request{body: fixture.Open(nid, 1000)})
	assert.Equal(t, 503, r.status)
	assert.Equal(t, "in-flight", r.header.Get(receiver.OutcomeHeader))
	assert.NotEmpty(t, r.header.Get("Retry-After"))
	close(release)
	assert.Equal(t, "processed", (<-first).header.Get(receiver.OutcomeHeader))
	r = h.send(request{body: fixture.Open(nid, 1000)})
	assert.Equal(t, 200, r.status)
	assert.Equal(t, "dropped-stale", r.header.Get(receiver.OutcomeHeader))
	assert.Equal(t, int32(1), h.calls.Load())
}
