// Package storetest is the conformance suite every store.Backend must
// pass: the in-memory and bolt stores of package store, and the Redis and
// PostgreSQL stores.
//
// Run takes a function that opens TWO clients on one backend (two
// connections to one server, or two handles on one in-process store), and
// the cases spread their calls over both: a claim won on one client is seen
// by the other, exactly one of concurrent claims from both wins, a hold on
// an entity taken through one blocks the other, and an inbox entry leased
// through one is not handed out by the other.
//
// The suite uses real time only (leases and retentions of a few hundred
// milliseconds and waits), never a fake clock, so that stores which read
// the time from a server pass it unchanged. Claim and ordering cases use
// keys prefixed with the test's name and a random nonce. Inbox cases Lease
// from the whole inbox, so open must return a backend whose inbox no other
// case shares (a new file, a new schema); a backend whose Put returns
// store.ErrUnsupported skips them.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/store"
)

// Open returns two independent clients of one fresh backend.
type Open func(t *testing.T) (a, b store.Backend)

// Reopen closes old and returns a client over the same backing data, as
// after a process restart.
type Reopen func(t *testing.T, old store.Backend) store.Backend

// Option configures Run.
type Option func(*suite)

// WithReopen runs the restart cases with reopen (durable backends).
func WithReopen(reopen Reopen) Option {
	return func(s *suite) { s.reopen = reopen }
}

type suite struct {
	open   Open
	reopen Reopen
}

// Durations the suite uses. Short ones are real waits.
const (
	longLease  = time.Minute
	shortLease = 150 * time.Millisecond
	shortTTL   = 150 * time.Millisecond
	longTTL    = time.Hour
	// settle is added to every real wait to absorb scheduling and clock
	// differences between the test and a store's server.
	settle = 150 * time.Millisecond
)

// Run runs the whole conformance suite against the backend open opens.
func Run(t *testing.T, open Open, opts ...Option) {
	t.Helper()
	require.NotNil(t, open, "storetest: open is required")
	h := suite{open: open}
	for _, o := range opts {
		o(&h)
	}
	cases := []struct {
		name string
		run  func(t *testing.T, h suite)
	}{
		{"FirstClaimWins", testFirstClaimWins},
		{"ClaimRace", testClaimRace},
		{"DoneNotClaimable", testDoneNotClaimable},
		{"LiveLeaseLoses", testLiveLeaseLoses},
		{"LeaseExpiry", testLeaseExpiry},
		{"ReleaseThenClaim", testReleaseThenClaim},
		{"Retention", testRetention},
		{"WrongToken", testWrongToken},
		{"CompleteIdempotent", testCompleteIdempotent},
		{"InvalidArguments", testInvalidArguments},
		{"ContextCancelled", testContextCancelled},
		{"GetUnknown", testGetUnknown},
		{"Close", testClose},
		{"ManyKeys", testManyKeys},
		{"Restart", testRestart},
		{"Order", testOrder},
		{"Extend", testExtend},
		{"Fence", testFence},
		{"Acquire", testAcquire},
		{"AcquireHold", testAcquireHold},
		{"AcquireInterleavings", testAcquireInterleavings},
		{"InboxPut", testInboxPut},
		{"InboxLeaseOnce", testInboxLeaseOnce},
		{"InboxEntityOrder", testInboxEntityOrder},
		{"InboxLeaseExpiry", testInboxLeaseExpiry},
		{"InboxSettle", testInboxSettle},
		{"InboxList", testInboxList},
		{"InboxReplayPurge", testInboxReplayPurge},
		{"InboxInvalid", testInboxInvalid},
		{"InboxBytes", testInboxBytes},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, h)
		})
	}
}

// pair opens two clients of a fresh backend, closed when the test ends.
func pair(t *testing.T, h suite) (a, b store.Backend) {
	t.Helper()
	a, b = h.open(t)
	require.NotNil(t, a, "open returned a nil client")
	require.NotNil(t, b, "open returned a nil client")
	t.Cleanup(func() {
		_ = a.Close()
		_ = b.Close()
	})
	return a, b
}

// prefix returns a key prefix unique to this test and run.
func prefix(t *testing.T) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return t.Name() + "/" + hex.EncodeToString(b[:]) + "/"
}

// won claims key and requires the claim to win.
func won(t *testing.T, s store.Store, key string, lease time.Duration) store.Claim {
	t.Helper()
	c, err := s.Claim(context.Background(), key, lease)
	require.NoError(t, err)
	require.True(t, c.Won, "claim of %s should win: %+v", key, c)
	require.NotEmpty(t, c.Token)
	require.Equal(t, store.Processing, c.State)
	return c
}

func state(t *testing.T, s store.Store, key string) store.State {
	t.Helper()
	st, err := s.Get(context.Background(), key)
	require.NoError(t, err)
	return st
}

func testFirstClaimWins(t *testing.T, h suite) {
	s, other := pair(t, h)
	key := prefix(t) + "k"
	before := time.Now()
	c := won(t, s, key, longLease)
	assert.Equal(t, 1, c.Attempt)
	assert.WithinDuration(t, before.Add(longLease), c.LeaseUntil, 5*time.Second)
	assert.Equal(t, store.Processing, state(t, other, key), "the other client sees the claim")
	assert.Positive(t, c.Fence)
}

func testClaimRace(t *testing.T, h suite) {
	a, b := pair(t, h)
	p := prefix(t)
	const racers, keys = 64, 4
	for k := range keys {
		key := fmt.Sprintf("%sk%d", p, k)
		var (
			wg     sync.WaitGroup
			start  = make(chan struct{})
			claims = make([]store.Claim, racers)
			errs   = make([]error, racers)
		)
		for i := range racers {
			s := a
			if i%2 == 1 {
				s = b
			}
			wg.Go(func() {
				<-start
				claims[i], errs[i] = s.Claim(context.Background(), key, longLease)
			})
		}
		close(start)
		wg.Wait()
		winners := 0
		for i, c := range claims {
			require.NoError(t, errs[i])
			assert.Equal(t, store.Processing, c.State, "racer %d", i)
			assert.Equal(t, 1, c.Attempt, "racer %d", i)
			if c.Won {
				winners++
				assert.NotEmpty(t, c.Token)
			} else {
				assert.Empty(t, c.Token, "a loser gets no token")
			}
		}
		assert.Equal(t, 1, winners, "exactly one of %d racers on two clients on %s wins", racers, key)
	}
}

func testDoneNotClaimable(t *testing.T, h suite) {
	s, other := pair(t, h)
	ctx := context.Background()
	key := prefix(t) + "k"
	c := won(t, s, key, longLease)
	require.NoError(t, other.Complete(ctx, key, c.Token, longTTL))
	assert.Equal(t, store.Done, state(t, s, key))
	for range 3 {
		again, err := other.Claim(ctx, key, longLease)
		require.NoError(t, err)
		assert.False(t, again.Won)
		assert.Equal(t, store.Done, again.State)
		assert.Equal(t, 1, again.Attempt)
		assert.Empty(t, again.Token)
	}
	assert.ErrorIs(t, s.Release(ctx, key, c.Token), store.ErrLeaseLost, "a completed key cannot be released")
	assert.Equal(t, store.Done, state(t, s, key))
}

func testLiveLeaseLoses(t *testing.T, h suite) {
	s, other := pair(t, h)
	key := prefix(t) + "k"
	c := won(t, s, key, longLease)
	again, err := other.Claim(context.Background(), key, longLease)
	require.NoError(t, err)
	assert.False(t, again.Won)
	assert.Equal(t, store.Processing, again.State)
	assert.Equal(t, 1, again.Attempt)
	assert.Empty(t, again.Token)
	assert.WithinDuration(t, c.LeaseUntil, again.LeaseUntil, time.Second, "a loser sees the holder's lease")
	assert.Equal(t, store.Processing, state(t, s, key))
}

func testLeaseExpiry(t *testing.T, h suite) {
	tests := []struct {
		name   string
		settle func(ctx context.Context, s store.Store, key, token string) error
	}{
		{"Complete", func(ctx context.Context, s store.Store, key, token string) error {
			return s.Complete(ctx, key, token, longTTL)
		}},
		{"Release", func(ctx context.Context, s store.Store, key, token string) error {
			return s.Release(ctx, key, token)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, other := pair(t, h)
			ctx := context.Background()
			key := prefix(t) + "k"
			old := won(t, s, key, shortLease)
			time.Sleep(shortLease + settle)
			assert.Equal(t, store.Failed, state(t, s, key), "an expired lease reads as Failed")

			c := won(t, other, key, longLease)
			assert.Equal(t, 2, c.Attempt)
			assert.NotEqual(t, old.Token, c.Token)
			require.ErrorIs(t, tt.settle(ctx, s, key, old.Token), store.ErrLeaseLost)
			assert.Equal(t, store.Processing, state(t, s, key), "the old holder changed nothing")

			require.NoError(t, s.Complete(ctx, key, c.Token, longTTL))
			assert.Equal(t, store.Done, state(t, s, key))
		})
	}
}

func testReleaseThenClaim(t *testing.T, h suite) {
	a, b := pair(t, h)
	ctx := context.Background()
	key := prefix(t) + "k"
	for attempt := 1; attempt <= 3; attempt++ {
		s, other := a, b
		if attempt%2 == 0 {
			s, other = b, a
		}
		c := won(t, s, key, longLease)
		require.Equal(t, attempt, c.Attempt)
		require.NoError(t, other.Release(ctx, key, c.Token))
		require.Equal(t, store.Failed, state(t, s, key))
		require.NoError(t, s.Release(ctx, key, c.Token), "a second Release by the same holder is harmless")
	}
	c := won(t, b, key, longLease)
	assert.Equal(t, 4, c.Attempt)
	require.NoError(t, a.Complete(ctx, key, c.Token, longTTL))
	assert.Equal(t, store.Done, state(t, b, key))
}

func testRetention(t *testing.T, h suite) {
	s, other := pair(t, h)
	ctx := context.Background()
	p := prefix(t)
	short, long := p+"short", p+"long"
	for _, key := range []string{short, long} {
		c := won(t, s, key, longLease)
		ttl := shortTTL
		if key == long {
			ttl = longTTL
		}
		require.NoError(t, s.Complete(ctx, key, c.Token, ttl))
	}
	require.Equal(t, store.Done, state(t, s, short))
	time.Sleep(shortTTL + settle)
	assert.Equal(t, store.Absent, state(t, other, short), "retention elapsed")
	assert.Equal(t, store.Done, state(t, s, long), "retention not elapsed")
	c := won(t, s, short, longLease)
	assert.Equal(t, 1, c.Attempt, "an expired key starts over")
}

func testWrongToken(t *testing.T, h suite) {
	s, other := pair(t, h)
	ctx := context.Background()
	p := prefix(t)
	key := p + "k"
	c := won(t, s, key, longLease)
	tests := []struct {
		name string
		call func() error
	}{
		{"Complete", func() error { return other.Complete(ctx, key, c.Token+"x", longTTL) }},
		{"CompleteEmpty", func() error { return s.Complete(ctx, key, "", longTTL) }},
		{"Release", func() error { return s.Release(ctx, key, "not-"+c.Token) }},
		{"CompleteUnknownKey", func() error { return s.Complete(ctx, p+"unknown", c.Token, longTTL) }},
		{"ReleaseUnknownKey", func() error { return s.Release(ctx, p+"unknown", c.Token) }},
	}
	for _, tt := range tests {
		assert.ErrorIs(t, tt.call(), store.ErrLeaseLost, tt.name)
	}
	assert.Equal(t, store.Processing, state(t, s, key))
	assert.Equal(t, store.Absent, state(t, s, p+"unknown"))
	require.NoError(t, s.Complete(ctx, key, c.Token, longTTL), "the holder still completes")
}

func testCompleteIdempotent(t *testing.T, h suite) {
	s, other := pair(t, h)
	ctx := context.Background()
	key := prefix(t) + "k"
	c := won(t, s, key, longLease)
	require.NoError(t, s.Complete(ctx, key, c.Token, longTTL))
	require.NoError(t, other.Complete(ctx, key, c.Token, longTTL), "a retried Complete by the holder succeeds")
	assert.ErrorIs(t, s.Complete(ctx, key, c.Token+"x", longTTL), store.ErrLeaseLost)
	assert.Equal(t, store.Done, state(t, s, key))
}

func testInvalidArguments(t *testing.T, h suite) {
	s, _ := pair(t, h)
	ctx := context.Background()
	key := prefix(t) + "k"
	c := won(t, s, key, longLease)
	tests := []struct {
		name string
		call func() error
	}{
		{"ClaimEmptyKey", func() error { _, err := s.Claim(ctx, "", longLease); return err }},
		{"ClaimZeroLease", func() error { _, err := s.Claim(ctx, key+"2", 0); return err }},
		{"ClaimNegativeLease", func() error { _, err := s.Claim(ctx, key+"2", -time.Second); return err }},
		{"CompleteEmptyKey", func() error { return s.Complete(ctx, "", c.Token, longTTL) }},
		{"CompleteZeroRetention", func() error { return s.Complete(ctx, key, c.Token, 0) }},
		{"ReleaseEmptyKey", func() error { return s.Release(ctx, "", c.Token) }},
		{"ExtendEmptyKey", func() error { _, err := s.Extend(ctx, "", c.Token, longLease); return err }},
		{"ExtendZeroLease", func() error { _, err := s.Extend(ctx, key, c.Token, 0); return err }},
		{"GetEmptyKey", func() error { _, err := s.Get(ctx, ""); return err }},
	}
	for _, tt := range tests {
		assert.ErrorIs(t, tt.call(), store.ErrInvalid, tt.name)
	}
	assert.Equal(t, store.Processing, state(t, s, key))
	assert.Equal(t, store.Absent, state(t, s, key+"2"))
}

func testContextCancelled(t *testing.T, h suite) {
	s, _ := pair(t, h)
	p := prefix(t)
	held, fresh := p+"held", p+"fresh"
	c := won(t, s, held, longLease)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		call func() error
	}{
		{"Claim", func() error { _, err := s.Claim(ctx, fresh, longLease); return err }},
		{"Complete", func() error { return s.Complete(ctx, held, c.Token, longTTL) }},
		{"Release", func() error { return s.Release(ctx, held, c.Token) }},
		{"Get", func() error { _, err := s.Get(ctx, held); return err }},
		{"Extend", func() error { _, err := s.Extend(ctx, held, c.Token, longLease); return err }},
		{"Acquire", func() error { _, err := s.Acquire(ctx, p+"entity", store.Position{}, "h", longLease); return err }},
	}
	if o := s; o != nil {
		tests = append(tests,
			struct {
				name string
				call func() error
			}{"Commit", func() error { return o.Commit(ctx, p+"entity", 1, true, true, longTTL) }},
			struct {
				name string
				call func() error
			}{"Check", func() error { _, err := o.Check(ctx, p+"entity", 1, true, false); return err }},
		)
		defer func() {
			v, err := o.Check(context.Background(), p+"entity", 2, true, false)
			require.NoError(t, err)
			assert.Equal(t, store.Accept, v, "a cancelled Commit changed nothing")
		}()
	}
	for _, tt := range tests {
		assert.ErrorIs(t, tt.call(), context.Canceled, tt.name)
	}
	assert.Equal(t, store.Absent, state(t, s, fresh), "a cancelled Claim changed nothing")
	assert.Equal(t, store.Processing, state(t, s, held), "a cancelled Complete or Release changed nothing")

	dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer dcancel()
	_, err := s.Claim(dctx, fresh, longLease)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, store.Absent, state(t, s, fresh))
}

func testGetUnknown(t *testing.T, h suite) {
	s, _ := pair(t, h)
	assert.Equal(t, store.Absent, state(t, s, prefix(t)+"never-claimed"))
}

func testClose(t *testing.T, h suite) {
	s, _ := pair(t, h)
	ctx := context.Background()
	key := prefix(t) + "k"
	c := won(t, s, key, longLease)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close twice")
	tests := []struct {
		name string
		call func() error
	}{
		{"Claim", func() error { _, err := s.Claim(ctx, key, longLease); return err }},
		{"Complete", func() error { return s.Complete(ctx, key, c.Token, longTTL) }},
		{"Release", func() error { return s.Release(ctx, key, c.Token) }},
		{"Get", func() error { _, err := s.Get(ctx, key); return err }},
		{"Extend", func() error { _, err := s.Extend(ctx, key, c.Token, longLease); return err }},
		{"Acquire", func() error { _, err := s.Acquire(ctx, key, store.Position{}, "h", longLease); return err }},
		{"Put", func() error { return s.Put(ctx, store.Entry{Family: "f", ID: key}) }},
		{"List", func() error { _, err := s.List(ctx, store.Query{}); return err }},
	}
	if o := s; o != nil {
		tests = append(tests,
			struct {
				name string
				call func() error
			}{"Check", func() error { _, err := o.Check(ctx, key, 1, true, false); return err }},
			struct {
				name string
				call func() error
			}{"Commit", func() error { return o.Commit(ctx, key, 1, true, false, longTTL) }},
		)
	}
	for _, tt := range tests {
		err := tt.call()
		if errors.Is(err, store.ErrUnsupported) {
			continue // a method the backend does not provide
		}
		assert.ErrorIs(t, err, store.ErrClosed, tt.name)
	}
}

func testManyKeys(t *testing.T, h suite) {
	a, b := pair(t, h)
	ctx := context.Background()
	p := prefix(t)
	const workers, perWorker = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			s := a
			if w%2 == 1 {
				s = b
			}
			for i := range perWorker {
				key := fmt.Sprintf("%sw%d-%d", p, w, i)
				c, err := s.Claim(ctx, key, longLease)
				if err == nil && (!c.Won || c.Attempt != 1) {
					err = fmt.Errorf("claim of fresh key %s lost: %+v", key, c)
				}
				if err == nil {
					err = s.Complete(ctx, key, c.Token, longTTL)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for w := range workers {
		for i := range perWorker {
			require.Equal(t, store.Done, state(t, a, fmt.Sprintf("%sw%d-%d", p, w, i)))
		}
	}
}

func testRestart(t *testing.T, h suite) {
	if h.reopen == nil {
		t.Skip("storetest.WithReopen not given: the store is not durable")
	}
	s, other := h.open(t)
	if other != s {
		_ = other.Close()
	}
	ctx := context.Background()
	p := prefix(t)
	done, held, released := p+"done", p+"held", p+"released"
	c := won(t, s, done, longLease)
	require.NoError(t, s.Complete(ctx, done, c.Token, longTTL))
	heldClaim := won(t, s, held, longLease)
	r := won(t, s, released, longLease)
	require.NoError(t, s.Release(ctx, released, r.Token))

	o, isOrder := s, true
	if isOrder {
		require.NoError(t, o.Commit(ctx, p+"open", 7, true, false, longTTL))
		require.NoError(t, o.Commit(ctx, p+"closed", 3, true, true, longTTL))
	}

	s = h.reopen(t, s)
	require.NotNil(t, s, "reopen returned nil")
	t.Cleanup(func() { _ = s.Close() })

	assert.Equal(t, store.Done, state(t, s, done))
	again, err := s.Claim(ctx, done, longLease)
	require.NoError(t, err)
	assert.False(t, again.Won, "a completed key survives a restart")
	assert.Equal(t, store.Processing, state(t, s, held))
	require.NoError(t, s.Complete(ctx, held, heldClaim.Token, longTTL), "a lease survives a restart")
	next := won(t, s, released, longLease)
	assert.Equal(t, 2, next.Attempt, "the attempt count survives a restart")
	assert.Greater(t, next.Fence, r.Fence, "the fence counter survives a restart")

	if isOrder {
		o := s
		v, err := o.Check(ctx, p+"open", 6, true, false)
		require.NoError(t, err)
		assert.Equal(t, store.Stale, v)
		v, err = o.Check(ctx, p+"closed", 4, true, false)
		require.NoError(t, err)
		assert.Equal(t, store.AfterTerminal, v)
	}
}

// commit is one OrderStore.Commit call of a table case.
type commit struct {
	version    int64
	hasVersion bool
	terminal   bool
}

// check is one OrderStore.Check call of a table case and its verdict.
type check struct {
	version    int64
	hasVersion bool
	terminal   bool
	want       store.Verdict
}

func testOrder(t *testing.T, h suite) {
	tests := []struct {
		name    string
		commits []commit
		checks  []check
	}{
		{"Fresh", nil, []check{
			{1, true, false, store.Accept},
			{0, false, false, store.Accept},
			{0, false, true, store.Accept},
			{-5, true, true, store.Accept},
		}},
		{"Versioned", []commit{{5, true, false}}, []check{
			{4, true, false, store.Stale},
			{5, true, false, store.Accept},
			{6, true, false, store.Accept},
			{0, false, false, store.Accept},
			{0, false, true, store.Accept},
			{5, true, true, store.Accept},
			{4, true, true, store.Stale},
		}},
		{"NeverBackwards", []commit{{5, true, false}, {3, true, false}, {0, false, false}}, []check{
			{4, true, false, store.Stale},
			{5, true, false, store.Accept},
		}},
		{"AfterTerminal", []commit{{2, true, false}, {3, true, true}}, []check{
			{1, true, false, store.AfterTerminal},
			{3, true, false, store.AfterTerminal},
			{9, true, false, store.AfterTerminal},
			{0, false, false, store.AfterTerminal},
			{9, true, true, store.AfterTerminal},
		}},
		{"TerminalWithoutVersion", []commit{{0, false, true}}, []check{
			{1, true, false, store.AfterTerminal},
			{0, false, false, store.AfterTerminal},
			{0, false, true, store.AfterTerminal},
		}},
		{"TerminalStaysAfterLaterCommit", []commit{{4, true, true}, {8, true, false}}, []check{
			{9, true, false, store.AfterTerminal},
		}},
		// StackState versions are epoch milliseconds: past 32 bits.
		{"MillisecondVersions", []commit{{1702635356757, true, false}}, []check{
			{1702635356756, true, false, store.Stale},
			{1702635356757, true, false, store.Accept},
			{1<<62 + 1, true, false, store.Accept},
		}},
		{"UnversionedOnly", []commit{{0, false, false}}, []check{
			{0, false, false, store.Accept},
			{1, true, false, store.Accept},
			{0, false, true, store.Accept},
		}},
	}
	o, _ := pair(t, h)
	ctx := context.Background()
	p := prefix(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entity := p + tt.name
			for _, c := range tt.commits {
				require.NoError(t, o.Commit(ctx, entity, c.version, c.hasVersion, c.terminal, longTTL))
			}
			for _, c := range tt.checks {
				v, err := o.Check(ctx, entity, c.version, c.hasVersion, c.terminal)
				require.NoError(t, err)
				assert.Equal(t, c.want, v, "after %+v: Check(%d, %t, %t)", tt.commits, c.version, c.hasVersion, c.terminal)
			}
			// Check changes nothing: the same checks answer the same again.
			for _, c := range tt.checks {
				v, err := o.Check(ctx, entity, c.version, c.hasVersion, c.terminal)
				require.NoError(t, err)
				assert.Equal(t, c.want, v)
			}
		})
	}

	t.Run("ConcurrentCommits", func(t *testing.T) {
		const n = 32
		for round := range 4 {
			entity := fmt.Sprintf("%sconcurrent-%d", p, round)
			terminalAt := int64(-1)
			if round%2 == 1 {
				terminalAt = int64(mrand.IntN(n)) + 1
			}
			versions := mrand.Perm(n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make([]error, n)
			for i, v := range versions {
				version := int64(v) + 1
				wg.Go(func() {
					<-start
					errs[i] = o.Commit(ctx, entity, version, true, version == terminalAt, longTTL)
				})
			}
			close(start)
			wg.Wait()
			for _, err := range errs {
				require.NoError(t, err)
			}
			want := map[int64]store.Verdict{n - 1: store.Stale, n: store.Accept, n + 1: store.Accept}
			if terminalAt > 0 {
				want = map[int64]store.Verdict{n - 1: store.AfterTerminal, n: store.AfterTerminal, n + 1: store.AfterTerminal}
			}
			for version, verdict := range want {
				v, err := o.Check(ctx, entity, version, true, false)
				require.NoError(t, err)
				assert.Equal(t, verdict, v, "round %d, version %d", round, version)
			}
		}
	})

	t.Run("Retention", func(t *testing.T) {
		versioned, closed, kept := p+"ret-versioned", p+"ret-closed", p+"ret-kept"
		require.NoError(t, o.Commit(ctx, versioned, 9, true, false, shortTTL))
		require.NoError(t, o.Commit(ctx, closed, 1, true, true, shortTTL))
		require.NoError(t, o.Commit(ctx, kept, 9, true, true, longTTL))
		v, err := o.Check(ctx, versioned, 1, true, false)
		require.NoError(t, err)
		require.Equal(t, store.Stale, v)
		time.Sleep(shortTTL + settle)
		for _, tc := range []struct {
			entity string
			want   store.Verdict
		}{{versioned, store.Accept}, {closed, store.Accept}, {kept, store.AfterTerminal}} {
			v, err := o.Check(ctx, tc.entity, 1, true, false)
			require.NoError(t, err)
			assert.Equal(t, tc.want, v, tc.entity)
		}
	})

	t.Run("InvalidArguments", func(t *testing.T) {
		_, err := o.Check(ctx, "", 1, true, false)
		assert.ErrorIs(t, err, store.ErrInvalid)
		assert.ErrorIs(t, o.Commit(ctx, "", 1, true, false, longTTL), store.ErrInvalid)
		assert.ErrorIs(t, o.Commit(ctx, p+"bad", 1, true, true, 0), store.ErrInvalid)
		v, err := o.Check(ctx, p+"bad", 2, true, false)
		require.NoError(t, err)
		assert.Equal(t, store.Accept, v)
	})
}
