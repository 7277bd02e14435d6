package ticket_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/servicetest"
	"github.com/hookgen/hookgen/runtime/ticket"
)

// correlationsSuite checks the Correlations contract; expire makes the
// current claim's lease run out.
func correlationsSuite(t *testing.T, open func(t *testing.T) (ticket.Correlations, func())) {
	ctx := context.Background()
	t.Run("one claim wins among concurrent claimers", func(t *testing.T) {
		c, _ := open(t)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				cl, err := c.Claim(ctx, "k", time.Minute)
				assert.NoError(t, err)
				if cl.Won {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int32(1), wins.Load())
	})
	t.Run("claim, record, get; an open ticket is not claimed again", func(t *testing.T) {
		c, _ := open(t)
		_, ok, err := c.Get(ctx, "k")
		require.NoError(t, err)
		assert.False(t, ok)
		cl, err := c.Claim(ctx, "k", time.Minute)
		require.NoError(t, err)
		require.True(t, cl.Won)
		assert.Equal(t, 1, cl.Entry.Generation)
		lost, err := c.Claim(ctx, "k", time.Minute)
		require.NoError(t, err)
		assert.False(t, lost.Won, "live claim")
		assert.Empty(t, lost.Entry.TicketID)
		require.ErrorIs(t, c.Record(ctx, "k", "not-the-token", ticket.Entry{TicketID: "7", Fingerprint: "fp"}), ticket.ErrLeaseLost)
		require.NoError(t, c.Record(ctx, "k", cl.Token, ticket.Entry{TicketID: "7", Fingerprint: "fp"}))
		e, ok, err := c.Get(ctx, "k")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, ticket.Entry{TicketID: "7", Generation: 1, Fingerprint: "fp"}, e)
		again, err := c.Claim(ctx, "k", time.Minute)
		require.NoError(t, err)
		assert.False(t, again.Won)
		assert.Equal(t, "7", again.Entry.TicketID)
	})
	t.Run("a resolved ticket lets the next claim open generation 2", func(t *testing.T) {
		c, _ := open(t)
		cl, err := c.Claim(ctx, "k", time.Minute)
		require.NoError(t, err)
		require.NoError(t, c.Record(ctx, "k", cl.Token, ticket.Entry{TicketID: "7", Fingerprint: "fp"}))
		open := ticket.Entry{TicketID: "7", Generation: 1, Fingerprint: "fp"}
		resolved := open
		resolved.Resolved = true
		ok, err := c.Swap(ctx, "k", open, resolved)
		require.NoError(t, err)
		require.True(t, ok)
		cl2, err := c.Claim(ctx, "k", time.Minute)
		require.NoError(t, err)
		require.True(t, cl2.Won)
		assert.Equal(t, ticket.Entry{Generation: 2}, cl2.Entry)
		ok, err = c.Swap(ctx, "k", resolved, open)
		require.NoError(t, err)
		assert.False(t, ok, "old ticket no longer current")
	})
	t.Run("a released claim is taken at once; an expired one is taken over", func(t *testing.T) {
		c, expire := open(t)
		cl, err := c.Claim(ctx, "k", time.Minute)
		require.NoError(t, err)
		require.NoError(t, c.Release(ctx, "k", cl.Token))
		cl2, err := c.Claim(ctx, "k", time.Minute)
		require.NoError(t, err)
		require.True(t, cl2.Won)
		assert.Equal(t, 1, cl2.Entry.Generation, "a release does not start a new generation")
		expire()
		cl3, err := c.Claim(ctx, "k", time.Minute)
		require.NoError(t, err)
		require.True(t, cl3.Won, "holder's lease expired")
		require.ErrorIs(t, c.Record(ctx, "k", cl2.Token, ticket.Entry{TicketID: "9", Fingerprint: ""}), ticket.ErrLeaseLost)
	})
}

func swapSuite(t *testing.T, open func(t *testing.T) (ticket.Correlations, func())) {
	ctx := context.Background()
	t.Run("swap: exactly one of concurrent swaps from the same entry wins", func(t *testing.T) {
		c, _ := open(t)
		cl, err := c.Claim(ctx, "k", time.Minute)
		require.NoError(t, err)
		require.NoError(t, c.Record(ctx, "k", cl.Token, ticket.Entry{TicketID: "7", Fingerprint: "a"}))
		old := ticket.Entry{TicketID: "7", Generation: 1, Fingerprint: "a"}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				ok, err := c.Swap(ctx, "k", old, ticket.Entry{TicketID: "7", Generation: 1, Fingerprint: "b"})
				assert.NoError(t, err)
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int32(1), wins.Load())
		e, _, err := c.Get(ctx, "k")
		require.NoError(t, err)
		assert.Equal(t, "b", e.Fingerprint)
		ok, err := c.Swap(ctx, "absent", old, old)
		require.NoError(t, err)
		assert.False(t, ok)
	})
	t.Run("swap from a zero entry on an absent key leaves a resolved mark with its time", func(t *testing.T) {
		c, _ := open(t)
		at := time.Unix(1_700_000_123, 456).UTC()
		ok, err := c.Swap(ctx, "k", ticket.Entry{}, ticket.Entry{Resolved: true, At: at})
		require.NoError(t, err)
		require.True(t, ok)
		e, found, err := c.Get(ctx, "k")
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, ticket.Entry{Resolved: true, At: at}, e)
		ok, err = c.Swap(ctx, "k", ticket.Entry{}, ticket.Entry{Resolved: true})
		require.NoError(t, err)
		assert.False(t, ok, "no longer a zero entry")
		cl, err := c.Claim(ctx, "k", time.Minute)
		require.NoError(t, err)
		require.True(t, cl.Won, "a resolved mark does not block a new ticket")
		assert.Equal(t, 1, cl.Entry.Generation)
		assert.Equal(t, at, cl.Entry.At, "the time is kept")
	})
}

func TestBoltCorrelations(t *testing.T) {
	suite := func(t *testing.T) (ticket.Correlations, func()) {
		var mu sync.Mutex
		now := time.Unix(1_700_000_000, 0)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		b, err := ticket.OpenBolt(filepath.Join(t.TempDir(), "t.db"), ticket.WithBoltClock(clock))
		require.NoError(t, err)
		t.Cleanup(func() { _ = b.Close() })
		return b, func() { mu.Lock(); now = now.Add(2 * time.Minute); mu.Unlock() }
	}
	correlationsSuite(t, suite)
	swapSuite(t, suite)
}

func TestBoltCorrelationsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	b, err := ticket.OpenBolt(path)
	require.NoError(t, err)
	cl, err := b.Claim(ctx, "k", time.Minute)
	require.NoError(t, err)
	require.NoError(t, b.Record(ctx, "k", cl.Token, ticket.Entry{TicketID: "42", Fingerprint: "fp"}))
	require.NoError(t, b.Close())
	b, err = ticket.OpenBolt(path)
	require.NoError(t, err)
	defer func() { _ = b.Close() }()
	e, ok, err := b.Get(ctx, "k")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "42", e.TicketID)
}

func TestPostgresCorrelations(t *testing.T) {
	pool := servicetest.Postgres(t)
	n := 0
	suite := func(t *testing.T) (ticket.Correlations, func()) {
		n++
		table := "hookgen_ticket_test_" + time.Now().Format("150405") + "_" + string(rune('a'+n))
		p, err := ticket.NewPostgres(context.Background(), pool, ticket.WithTable(table))
		require.NoError(t, err)
		t.Cleanup(func() { _, _ = pool.Exec(context.Background(), "DROP TABLE "+table) })
		return p, func() {
			_, err := pool.Exec(context.Background(), "UPDATE "+table+" SET lease_until = now() - interval '1 second' WHERE token <> ''")
			require.NoError(t, err)
		}
	}
	correlationsSuite(t, suite)
	swapSuite(t, suite)
}

func TestPostgresRejectsBadTableName(t *testing.T) {
	pool := servicetest.Postgres(t)
	_, err := ticket.NewPostgres(context.Background(), pool, ticket.WithTable("x; DROP TABLE y"))
	require.ErrorIs(t, err, ticket.ErrInvalid)
}
