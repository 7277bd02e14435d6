package storetest

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/store"
)

// This file holds the cases of lease extension, fencing and atomic
// ordering (Acquire, CommitOrder, AbandonOrder).

func testExtend(t *testing.T, h suite) {
	a, b := pair(t, h)
	ctx := context.Background()
	p := prefix(t)
	key := p + "k"
	c := won(t, a, key, shortLease)
	for range 3 {
		until, err := b.Extend(ctx, key, c.Token, shortLease+2*settle)
		require.NoError(t, err, "the holder extends its lease through the other client")
		assert.WithinDuration(t, time.Now().Add(shortLease+2*settle), until, 5*time.Second)
		time.Sleep(shortLease)
	}
	// The first lease ended long ago; the extension keeps the key held.
	lost, err := b.Claim(ctx, key, longLease)
	require.NoError(t, err)
	assert.False(t, lost.Won, "an extended lease is still live")
	assert.Equal(t, store.Processing, state(t, a, key))

	_, err = a.Extend(ctx, key, c.Token+"x", longLease)
	require.ErrorIs(t, err, store.ErrLeaseLost, "a wrong token cannot extend")
	_, err = a.Extend(ctx, p+"unknown", c.Token, longLease)
	require.ErrorIs(t, err, store.ErrLeaseLost, "an unknown key cannot be extended")
	require.NoError(t, a.Complete(ctx, key, c.Token, longTTL))
	_, err = a.Extend(ctx, key, c.Token, longLease)
	require.ErrorIs(t, err, store.ErrLeaseLost, "a completed key cannot be extended")

	expired := p + "expired"
	old := won(t, a, expired, shortLease)
	time.Sleep(shortLease + settle)
	_, err = b.Extend(ctx, expired, old.Token, longLease)
	require.ErrorIs(t, err, store.ErrLeaseLost, "an expired lease cannot be extended")
	next := won(t, b, expired, longLease)
	_, err = a.Extend(ctx, expired, old.Token, longLease)
	require.ErrorIs(t, err, store.ErrLeaseLost, "the old holder cannot take the key back")
	_, err = a.Extend(ctx, expired, next.Token, longLease)
	require.NoError(t, err)
}

func testFence(t *testing.T, h suite) {
	a, b := pair(t, h)
	ctx := context.Background()
	key := prefix(t) + "k"
	var last store.Claim
	for i := range 6 {
		s := a
		if i%2 == 1 {
			s = b
		}
		c := won(t, s, key, shortLease)
		assert.Greater(t, c.Fence, last.Fence, "claim %d: the fence increases", i)
		if i > 0 {
			require.ErrorIs(t, s.Complete(ctx, key, last.Token, longTTL), store.ErrLeaseLost, "a stale token is refused")
		}
		if i%3 == 2 {
			time.Sleep(shortLease + settle) // let the lease expire
		} else {
			require.NoError(t, s.Release(ctx, key, c.Token))
		}
		last = c
	}
}

// acquire calls Acquire and requires no error.
func acquire(t *testing.T, o store.OrderStore, entity string, pos store.Position, holder string, lease time.Duration) store.OrderClaim {
	t.Helper()
	c, err := o.Acquire(context.Background(), entity, pos, holder, lease)
	require.NoError(t, err)
	if c.Verdict == store.Accept {
		require.NotEmpty(t, c.Token)
	} else {
		require.Empty(t, c.Token)
	}
	return c
}

func ver(v int64) store.Position { return store.Position{Version: v, HasVersion: true} }
func final(v int64) store.Position {
	return store.Position{Version: v, HasVersion: true, Terminal: true}
}

func testAcquire(t *testing.T, h suite) {
	tests := []struct {
		name    string
		commits []store.Position
		checks  []store.Position
		want    []store.Verdict
	}{
		{"Fresh", nil,
			[]store.Position{ver(1), {}, {Terminal: true}, final(-5)},
			[]store.Verdict{store.Accept, store.Accept, store.Accept, store.Accept}},
		{"Versioned", []store.Position{ver(5)},
			[]store.Position{ver(4), ver(5), ver(6), {}, final(5), final(4)},
			[]store.Verdict{store.Stale, store.Accept, store.Accept, store.Accept, store.Accept, store.Stale}},
		{"NeverBackwards", []store.Position{ver(5), {}},
			[]store.Position{ver(4), ver(5)},
			[]store.Verdict{store.Stale, store.Accept}},
		{"AfterTerminal", []store.Position{ver(2), final(3)},
			[]store.Position{ver(1), ver(3), ver(9), {}, final(9)},
			[]store.Verdict{store.AfterTerminal, store.AfterTerminal, store.AfterTerminal, store.AfterTerminal, store.AfterTerminal}},
		{"TerminalWithoutVersion", []store.Position{{Terminal: true}},
			[]store.Position{ver(1), {}},
			[]store.Verdict{store.AfterTerminal, store.AfterTerminal}},
	}
	a, b := pair(t, h)
	ctx := context.Background()
	p := prefix(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entity := p + tt.name
			for i, pos := range tt.commits {
				s, other := a, b
				if i%2 == 1 {
					s, other = b, a
				}
				c := acquire(t, s, entity, pos, "holder", longLease)
				require.Equal(t, store.Accept, c.Verdict, "commit %d", i)
				require.NoError(t, other.CommitOrder(ctx, entity, c.Token, pos, longTTL))
			}
			for i, pos := range tt.checks {
				c := acquire(t, b, entity, pos, "checker", longLease)
				assert.Equal(t, tt.want[i], c.Verdict, "after %+v: Acquire(%+v)", tt.commits, pos)
				if c.Verdict == store.Accept {
					require.NoError(t, a.AbandonOrder(ctx, entity, c.Token), "abandon leaves the position as it was")
				}
			}
		})
	}
}

func testAcquireHold(t *testing.T, h suite) {
	a, b := pair(t, h)
	ctx := context.Background()
	p := prefix(t)
	entity := p + "e"

	first := acquire(t, a, entity, ver(1), "d1", longLease)
	require.Equal(t, store.Accept, first.Verdict)
	busy := acquire(t, b, entity, ver(2), "d2", longLease)
	assert.Equal(t, store.Busy, busy.Verdict, "another message of a held entity is Busy")
	assert.WithinDuration(t, first.Until, busy.Until, time.Second, "Busy reports the holder's lease end")
	stale := acquire(t, b, entity, ver(0), "d0", longLease)
	assert.Equal(t, store.Busy, stale.Verdict, "nothing is committed yet, so an older version waits too")

	require.ErrorIs(t, b.CommitOrder(ctx, entity, first.Token+"x", ver(1), longTTL), store.ErrLeaseLost)
	require.ErrorIs(t, b.AbandonOrder(ctx, entity, ""), store.ErrLeaseLost)
	require.ErrorIs(t, b.AbandonOrder(ctx, p+"unknown", first.Token), store.ErrLeaseLost)

	// The same holder takes its hold over; the old token is refused.
	again := acquire(t, b, entity, ver(1), "d1", longLease)
	require.Equal(t, store.Accept, again.Verdict, "the holder re-acquires its own hold")
	require.NotEqual(t, first.Token, again.Token)
	require.ErrorIs(t, a.CommitOrder(ctx, entity, first.Token, ver(1), longTTL), store.ErrLeaseLost)
	require.NoError(t, a.CommitOrder(ctx, entity, again.Token, ver(1), longTTL))
	require.ErrorIs(t, a.CommitOrder(ctx, entity, again.Token, ver(1), longTTL), store.ErrLeaseLost, "a hold is committed once")

	// A slow handler extends its hold; the entity stays held past the
	// first lease.
	slow := acquire(t, a, p+"slow", ver(1), "slow", shortLease)
	require.Equal(t, store.Accept, slow.Verdict)
	for range 3 {
		until, err := b.ExtendOrder(ctx, p+"slow", slow.Token, shortLease+2*settle)
		require.NoError(t, err, "the holder extends through the other client")
		assert.WithinDuration(t, time.Now().Add(shortLease+2*settle), until, 5*time.Second)
		time.Sleep(shortLease)
	}
	assert.Equal(t, store.Busy, acquire(t, b, p+"slow", ver(2), "other", longLease).Verdict, "an extended hold is live")
	_, err := a.ExtendOrder(ctx, p+"slow", slow.Token+"x", longLease)
	require.ErrorIs(t, err, store.ErrLeaseLost, "a wrong token cannot extend")
	time.Sleep(shortLease + 3*settle)
	_, err = a.ExtendOrder(ctx, p+"slow", slow.Token, longLease)
	require.ErrorIs(t, err, store.ErrLeaseLost, "an ended hold cannot be extended")
	_, err = a.ExtendOrder(ctx, p+"slow", slow.Token, 0)
	require.ErrorIs(t, err, store.ErrInvalid)

	// Released: the next message is accepted; an older one is stale.
	assert.Equal(t, store.Stale, acquire(t, b, entity, ver(0), "d0", longLease).Verdict)
	second := acquire(t, b, entity, ver(2), "d2", shortLease)
	require.Equal(t, store.Accept, second.Verdict)
	// A hold whose lease ended is taken by another message.
	time.Sleep(shortLease + settle)
	third := acquire(t, a, entity, ver(3), "d3", longLease)
	require.Equal(t, store.Accept, third.Verdict, "an expired hold does not block")
	require.ErrorIs(t, b.CommitOrder(ctx, entity, second.Token, ver(2), longTTL), store.ErrLeaseLost, "the expired holder is fenced off")
	require.NoError(t, a.AbandonOrder(ctx, entity, third.Token))
	// Abandon advanced nothing: version 2 is still acceptable.
	c := acquire(t, a, entity, ver(2), "d2", longLease)
	require.Equal(t, store.Accept, c.Verdict)
	require.NoError(t, b.CommitOrder(ctx, entity, c.Token, final(2), longTTL))
	assert.Equal(t, store.AfterTerminal, acquire(t, a, entity, ver(3), "d3", longLease).Verdict)

	// Retention applies to the committed position.
	short := p + "short"
	c = acquire(t, a, short, final(1), "x", longLease)
	require.NoError(t, a.CommitOrder(ctx, short, c.Token, final(1), shortTTL))
	assert.Equal(t, store.AfterTerminal, acquire(t, b, short, ver(2), "y", longLease).Verdict)
	time.Sleep(shortTTL + settle)
	c = acquire(t, b, short, ver(2), "y", longLease)
	assert.Equal(t, store.Accept, c.Verdict, "the position expired with its retention")

	_, err = a.Acquire(ctx, "", ver(1), "x", longLease)
	assert.ErrorIs(t, err, store.ErrInvalid)
	_, err = a.Acquire(ctx, p+"bad", ver(1), "x", 0)
	assert.ErrorIs(t, err, store.ErrInvalid)
	assert.ErrorIs(t, a.CommitOrder(ctx, short, c.Token, ver(2), 0), store.ErrInvalid)
}

// testAcquireInterleavings runs messages of one entity concurrently on
// both clients, each retrying while Busy, and checks the guarantees of
// atomic ordering: no two holders at once, and no message processed after
// a newer one (or after the terminal one) was committed.
func testAcquireInterleavings(t *testing.T, h suite) {
	a, b := pair(t, h)
	ctx := context.Background()
	p := prefix(t)
	const n = 24
	for round := range 4 {
		entity := fmt.Sprintf("%sround-%d", p, round)
		terminalAt := int64(-1)
		if round%2 == 1 {
			terminalAt = int64(mrand.IntN(n)) + 1
		}
		var (
			mu        sync.Mutex
			committed []int64 // versions in commit order
			verdicts  = map[store.Verdict]int{}
			inside    atomic.Int32
			overlap   atomic.Bool
			wg        sync.WaitGroup
			start     = make(chan struct{})
			errs      = make([]error, n)
		)
		for i, v := range mrand.Perm(n) {
			version := int64(v) + 1
			s := a
			if i%2 == 1 {
				s = b
			}
			pos := store.Position{Version: version, HasVersion: true, Terminal: version == terminalAt}
			wg.Go(func() {
				<-start
				errs[i] = runMessage(ctx, s, entity, pos, &inside, &overlap, func(v store.Verdict) {
					mu.Lock()
					defer mu.Unlock()
					verdicts[v]++
					if v == store.Accept {
						committed = append(committed, pos.Version)
					}
				})
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		assert.False(t, overlap.Load(), "round %d: two messages held the entity at once", round)
		assert.Equal(t, n, verdicts[store.Accept]+verdicts[store.Stale]+verdicts[store.AfterTerminal], "round %d: every message got a final verdict", round)
		for i := 1; i < len(committed); i++ {
			assert.Greater(t, committed[i], committed[i-1], "round %d: version %d processed after %d was committed", round, committed[i], committed[i-1])
		}
		require.NotEmpty(t, committed)
		last := committed[len(committed)-1]
		if slices.Contains(committed, terminalAt) {
			assert.Equal(t, terminalAt, last, "round %d: nothing processed after the terminal message", round)
			assert.Equal(t, store.AfterTerminal, acquire(t, a, entity, ver(n+1), "late", longLease).Verdict)
		} else {
			assert.Equal(t, int64(n), last, "round %d: the newest version is processed", round)
			assert.Equal(t, store.Stale, acquire(t, a, entity, ver(n-1), "late", longLease).Verdict)
		}
	}
}

// runMessage acquires entity for pos, retrying while Busy, and on Accept
// "processes" the message (checking nobody else holds it) and commits.
func runMessage(ctx context.Context, s store.OrderStore, entity string, pos store.Position, inside *atomic.Int32, overlap *atomic.Bool, done func(store.Verdict)) error {
	holder := fmt.Sprint("msg-", pos.Version)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := s.Acquire(ctx, entity, pos, holder, longLease)
		if err != nil {
			return err
		}
		switch c.Verdict {
		case store.Busy:
			if time.Now().After(deadline) {
				return fmt.Errorf("version %d: Busy for 30s", pos.Version)
			}
			time.Sleep(time.Duration(mrand.IntN(2000)) * time.Microsecond)
			continue
		case store.Accept:
			if inside.Add(1) != 1 {
				overlap.Store(true)
			}
			time.Sleep(time.Duration(mrand.IntN(500)) * time.Microsecond)
			inside.Add(-1)
			done(store.Accept) // recorded before the commit, while still held
			if err := s.CommitOrder(ctx, entity, c.Token, pos, longTTL); err != nil {
				return fmt.Errorf("version %d: commit: %w", pos.Version, err)
			}
			return nil
		default:
			done(c.Verdict)
			return nil
		}
	}
}
