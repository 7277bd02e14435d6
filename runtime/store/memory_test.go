package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) (a, b store.Backend) {
		m := store.NewMemory()
		return m, m
	})
}

func TestMemoryConformanceOneShard(t *testing.T) {
	storetest.Run(t, func(*testing.T) (a, b store.Backend) {
		m := store.NewMemory(store.WithShards(1))
		return m, m
	})
}

// fakeClock is a settable clock for the bound tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// memOp is one step of a bound scenario.
type memOp struct {
	op      string // claim, done (claim+complete), fail (claim+release), commit, advance
	key     string
	ttl     time.Duration // retention or lease, or the clock advance
	wantErr error
}

func TestMemoryBounds(t *testing.T) {
	const h = time.Hour
	tests := []struct {
		name string
		opts []store.MemoryOption
		ops  []memOp
		// want maps keys to the state they must be in after ops.
		want    map[string]store.State
		wantLen int
	}{
		{
			name: "EntryBoundEvictsOldestDone",
			opts: []store.MemoryOption{store.WithMaxEntries(3)},
			ops:  []memOp{{op: "done", key: "a", ttl: h}, {op: "done", key: "b", ttl: h}, {op: "done", key: "c", ttl: h}, {op: "claim", key: "d", ttl: h}},
			want: map[string]store.State{"a": store.Absent, "b": store.Done, "c": store.Done, "d": store.Processing},
			// a was evicted for d.
			wantLen: 3,
		},
		{
			name:    "ExpiredBeforeOldestDone",
			opts:    []store.MemoryOption{store.WithMaxEntries(3)},
			ops:     []memOp{{op: "done", key: "a", ttl: h}, {op: "done", key: "b", ttl: time.Minute}, {op: "done", key: "c", ttl: h}, {op: "advance", ttl: 2 * time.Minute}, {op: "claim", key: "d", ttl: h}},
			want:    map[string]store.State{"a": store.Done, "b": store.Absent, "c": store.Done, "d": store.Processing},
			wantLen: 3,
		},
		{
			name:    "FailedBeforeDone",
			opts:    []store.MemoryOption{store.WithMaxEntries(3)},
			ops:     []memOp{{op: "done", key: "a", ttl: h}, {op: "fail", key: "b"}, {op: "done", key: "c", ttl: h}, {op: "claim", key: "d", ttl: h}},
			want:    map[string]store.State{"a": store.Done, "b": store.Absent, "c": store.Done, "d": store.Processing},
			wantLen: 3,
		},
		{
			name:    "DeadLeaseBeforeDone",
			opts:    []store.MemoryOption{store.WithMaxEntries(3)},
			ops:     []memOp{{op: "done", key: "a", ttl: h}, {op: "claim", key: "b", ttl: time.Minute}, {op: "claim", key: "c", ttl: h}, {op: "advance", ttl: 2 * time.Minute}, {op: "claim", key: "d", ttl: h}},
			want:    map[string]store.State{"a": store.Done, "b": store.Absent, "c": store.Processing, "d": store.Processing},
			wantLen: 3,
		},
		{
			name:    "FullOfLiveLeases",
			opts:    []store.MemoryOption{store.WithMaxEntries(3)},
			ops:     []memOp{{op: "claim", key: "a", ttl: h}, {op: "claim", key: "b", ttl: h}, {op: "claim", key: "c", ttl: h}, {op: "claim", key: "d", ttl: h, wantErr: store.ErrFull}, {op: "commit", key: "e", ttl: h, wantErr: store.ErrFull}},
			want:    map[string]store.State{"a": store.Processing, "b": store.Processing, "c": store.Processing, "d": store.Absent},
			wantLen: 3,
		},
		{
			name:    "LiveLeaseNeverEvicted",
			opts:    []store.MemoryOption{store.WithMaxEntries(2)},
			ops:     []memOp{{op: "claim", key: "a", ttl: h}, {op: "done", key: "b", ttl: h}, {op: "claim", key: "c", ttl: h}, {op: "claim", key: "d", ttl: h, wantErr: store.ErrFull}},
			want:    map[string]store.State{"a": store.Processing, "b": store.Absent, "c": store.Processing, "d": store.Absent},
			wantLen: 2,
		},
		{
			name: "ByteBound",
			// Each claimed entry is charged len(key)+128+22 bytes: 3 keys of 100 bytes fit in 800.
			opts:    []store.MemoryOption{store.WithMaxBytes(800)},
			ops:     []memOp{{op: "done", key: k100("a"), ttl: h}, {op: "done", key: k100("b"), ttl: h}, {op: "done", key: k100("c"), ttl: h}, {op: "claim", key: k100("d"), ttl: h}},
			want:    map[string]store.State{k100("a"): store.Absent, k100("b"): store.Done, k100("c"): store.Done, k100("d"): store.Processing},
			wantLen: 3,
		},
		{
			name:    "ByteBoundFull",
			opts:    []store.MemoryOption{store.WithMaxBytes(800)},
			ops:     []memOp{{op: "claim", key: k100("a"), ttl: h}, {op: "claim", key: k100("b"), ttl: h}, {op: "claim", key: k100("c"), ttl: h}, {op: "claim", key: "d", ttl: h, wantErr: store.ErrFull}},
			want:    map[string]store.State{k100("a"): store.Processing, k100("c"): store.Processing, "d": store.Absent},
			wantLen: 3,
		},
		{
			name:    "EntryLargerThanBound",
			opts:    []store.MemoryOption{store.WithMaxBytes(100)},
			ops:     []memOp{{op: "claim", key: "k", ttl: h, wantErr: store.ErrFull}},
			want:    map[string]store.State{"k": store.Absent},
			wantLen: 0,
		},
		{
			name:    "OrderEntitiesCountAndEvictOldest",
			opts:    []store.MemoryOption{store.WithMaxEntries(2)},
			ops:     []memOp{{op: "commit", key: "e1", ttl: h}, {op: "done", key: "a", ttl: h}, {op: "claim", key: "b", ttl: h}},
			want:    map[string]store.State{"a": store.Done, "b": store.Processing},
			wantLen: 2,
		},
		{
			name:    "RetentionMakesRoomAgain",
			opts:    []store.MemoryOption{store.WithMaxEntries(1)},
			ops:     []memOp{{op: "claim", key: "a", ttl: time.Minute}, {op: "claim", key: "b", ttl: h, wantErr: store.ErrFull}, {op: "advance", ttl: 2 * time.Minute}, {op: "claim", key: "b", ttl: h}},
			want:    map[string]store.State{"a": store.Absent, "b": store.Processing},
			wantLen: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			m := store.NewMemory(append(tt.opts, store.WithClock(clock.Now))...)
			defer m.Close()
			ctx := context.Background()
			for i, op := range tt.ops {
				var err error
				switch op.op {
				case "advance":
					clock.Advance(op.ttl)
				case "commit":
					err = m.Commit(ctx, op.key, 1, true, false, op.ttl)
				case "claim", "done", "fail":
					lease := op.ttl
					if op.op != "claim" {
						lease = time.Hour
					}
					var c store.Claim
					c, err = m.Claim(ctx, op.key, lease)
					if err == nil {
						require.True(t, c.Won, "op %d", i)
					}
					if err == nil && op.op == "done" {
						err = m.Complete(ctx, op.key, c.Token, op.ttl)
					}
					if err == nil && op.op == "fail" {
						err = m.Release(ctx, op.key, c.Token)
					}
				default:
					t.Fatalf("unknown op %q", op.op)
				}
				if op.wantErr != nil {
					require.ErrorIs(t, err, op.wantErr, "op %d %+v", i, op)
				} else {
					require.NoError(t, err, "op %d %+v", i, op)
				}
			}
			assert.Equal(t, tt.wantLen, m.Len())
			for key, want := range tt.want {
				got, err := m.Get(ctx, key)
				require.NoError(t, err)
				assert.Equal(t, want, got, "key %.8s…", key)
			}
		})
	}
}

// k100 returns a 100-byte key starting with p.
func k100(p string) string { return p + strings.Repeat("x", 100-len(p)) }

// TestMemoryBoundUnderLoad fills a Memory far past its bound from many
// goroutines and checks the bound holds and live leases survive.
func TestMemoryBoundUnderLoad(t *testing.T) {
	const bound = 2048
	m := store.NewMemory(store.WithMaxEntries(bound))
	defer m.Close()
	ctx := context.Background()
	live, err := m.Claim(ctx, "live", time.Hour)
	require.NoError(t, err)
	var wg sync.WaitGroup
	var failures atomic.Int64
	for w := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				key := fmt.Sprintf("w%d-%d", w, i)
				c, err := m.Claim(ctx, key, time.Hour)
				if err != nil || !c.Won || m.Complete(ctx, key, c.Token, time.Hour) != nil {
					failures.Add(1)
				}
			}
		})
	}
	wg.Wait()
	assert.Zero(t, failures.Load())
	assert.LessOrEqual(t, m.Len(), bound)
	assert.Greater(t, m.Len(), bound/2)
	require.NoError(t, m.Complete(ctx, "live", live.Token, time.Hour), "a live lease is never evicted")
}

func TestMemoryClaimReportsClock(t *testing.T) {
	clock := newFakeClock()
	m := store.NewMemory(store.WithClock(clock.Now), store.WithFailedRetention(time.Minute))
	defer m.Close()
	ctx := context.Background()
	c, err := m.Claim(ctx, "k", 10*time.Second)
	require.NoError(t, err)
	assert.True(t, c.LeaseUntil.Equal(clock.Now().Add(10*time.Second)), "lease from the injected clock: %v", c.LeaseUntil)
	require.NoError(t, m.Release(ctx, "k", c.Token))

	tests := []struct {
		advance     time.Duration
		wantAttempt int
	}{
		{0, 2},                // released: remembered
		{30 * time.Second, 3}, // lease of attempt 2 (10s) expired, still remembered
		{2 * time.Minute, 1},  // past the failed retention: forgotten
	}
	for _, tt := range tests {
		clock.Advance(tt.advance)
		c, err := m.Claim(ctx, "k", 10*time.Second)
		require.NoError(t, err)
		require.True(t, c.Won)
		assert.Equal(t, tt.wantAttempt, c.Attempt, "after %v", tt.advance)
	}
}

func ExampleNewMemory() {
	ctx := context.Background()
	s := store.NewMemory(store.WithMaxEntries(10_000))
	defer s.Close()

	first, _ := s.Claim(ctx, "delivery-42", 30*time.Second)
	fmt.Println("first:", first.Won, first.State, first.Attempt)

	dup, _ := s.Claim(ctx, "delivery-42", 30*time.Second)
	fmt.Println("duplicate in flight:", dup.Won, dup.State)

	_ = s.Complete(ctx, "delivery-42", first.Token, 24*time.Hour)
	dup, _ = s.Claim(ctx, "delivery-42", 30*time.Second)
	fmt.Println("duplicate after completion:", dup.Won, dup.State)
	// Output:
	// first: true processing 1
	// duplicate in flight: false processing
	// duplicate after completion: false done
}

func BenchmarkMemoryClaimComplete(b *testing.B) {
	s := store.NewMemory()
	defer s.Close()
	benchClaimComplete(b, s)
}

// benchClaimComplete runs one delivery's store work per iteration, from
// parallel goroutines on distinct keys: a Claim that wins, then Complete.
func benchClaimComplete(b *testing.B, s store.Store) {
	ctx := context.Background()
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprintf("bench-%d", seq.Add(1))
			c, err := s.Claim(ctx, key, time.Minute)
			if err != nil || !c.Won {
				b.Errorf("claim %s: %+v, %v", key, c, err)
				return
			}
			if err := s.Complete(ctx, key, c.Token, time.Hour); err != nil {
				b.Errorf("complete %s: %v", key, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

func TestMemoryZeroValue(t *testing.T) {
	var m store.Memory
	ctx := context.Background()
	st, err := m.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, store.Absent, st)
	c, err := m.Claim(ctx, "k", time.Minute)
	require.NoError(t, err)
	require.True(t, c.Won)
	require.NoError(t, m.Complete(ctx, "k", c.Token, time.Hour))
	require.NoError(t, m.Commit(ctx, "e", 2, true, false, time.Hour))
	v, err := m.Check(ctx, "e", 1, true, false)
	require.NoError(t, err)
	assert.Equal(t, store.Stale, v)
	assert.Equal(t, 2, m.Len())
	require.NoError(t, m.Close())
	_, err = m.Get(ctx, "k")
	assert.ErrorIs(t, err, store.ErrClosed)
}

func TestMemoryInboxBound(t *testing.T) {
	m := store.NewMemory(store.WithMaxEntries(2))
	ctx := context.Background()
	require.NoError(t, m.Put(ctx, store.Entry{Family: "f", ID: "1"}))
	require.NoError(t, m.Put(ctx, store.Entry{Family: "f", ID: "2"}))
	require.ErrorIs(t, m.Put(ctx, store.Entry{Family: "f", ID: "3"}), store.ErrFull)
	require.ErrorIs(t, m.Put(ctx, store.Entry{Family: "f", ID: "1"}), store.ErrDuplicate, "a duplicate is still counted")
	n, err := m.Purge(ctx, store.Query{})
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	require.NoError(t, m.Put(ctx, store.Entry{Family: "f", ID: "3"}), "room again after Purge")
}
