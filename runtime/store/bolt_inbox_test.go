package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/store"
)

// TestBoltAcknowledgesAfterCommit checks that Put, Complete and
// CommitOrder return only after their transaction committed: while
// another transaction holds bbolt's writer lock (so nothing can commit),
// the call must not return; once it returns, a copy of the file taken at
// that instant, opened on its own, holds the write. A store that answered
// from memory and wrote later fails both halves. (An fsync skipped by the
// kernel cannot be seen by a test; Bolt never sets bbolt's NoSync.)
func TestBoltAcknowledgesAfterCommit(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(t *testing.T, b *store.Bolt) func() error
		check func(t *testing.T, b *store.Bolt)
	}{
		{"Put", func(t *testing.T, b *store.Bolt) func() error {
			return func() error { return b.Put(ctx, store.Entry{Family: "fam", ID: "d1", Body: []byte("x")}) }
		}, func(t *testing.T, b *store.Bolt) {
			e, err := b.GetEntry(ctx, "fam", "d1")
			require.NoError(t, err)
			assert.Equal(t, []byte("x"), e.Body)
		}},
		{"Complete", func(t *testing.T, b *store.Bolt) func() error {
			c, err := b.Claim(ctx, "k", time.Minute)
			require.NoError(t, err)
			return func() error { return b.Complete(ctx, "k", c.Token, time.Hour) }
		}, func(t *testing.T, b *store.Bolt) {
			st, err := b.Get(ctx, "k")
			require.NoError(t, err)
			assert.Equal(t, store.Done, st)
		}},
		{"CommitOrder", func(t *testing.T, b *store.Bolt) func() error {
			c, err := b.Acquire(ctx, "e", store.Position{Version: 5, HasVersion: true}, "h", time.Minute)
			require.NoError(t, err)
			return func() error {
				return b.CommitOrder(ctx, "e", c.Token, store.Position{Version: 5, HasVersion: true}, time.Hour)
			}
		}, func(t *testing.T, b *store.Bolt) {
			c, err := b.Acquire(ctx, "e", store.Position{Version: 4, HasVersion: true}, "h2", time.Minute)
			require.NoError(t, err)
			assert.Equal(t, store.Stale, c.Verdict)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := boltPath(t)
			b, err := store.OpenBolt(path)
			require.NoError(t, err)
			defer b.Close()
			call := tt.setup(t, b)

			release := store.BoltHoldWriter(b)
			returned := make(chan error, 1)
			go func() { returned <- call() }()
			select {
			case err := <-returned:
				release()
				t.Fatalf("%s returned (%v) while no transaction could commit", tt.name, err)
			case <-time.After(300 * time.Millisecond):
			}
			release()
			require.NoError(t, <-returned)

			// Copy the file as it is now (the lock is advisory) and open the
			// copy: the write is in it.
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			cp := filepath.Join(t.TempDir(), "copy.db")
			require.NoError(t, os.WriteFile(cp, raw, 0o600))
			copied, err := store.OpenBolt(cp)
			require.NoError(t, err)
			defer copied.Close()
			tt.check(t, copied)
		})
	}
}

// BenchmarkBoltList1M lists pages of an inbox of 1,000,000 entries (10
// families, 1 in 10 dead): the first page, a page deep in the paging, and
// filtered pages. Each costs the entries it returns, not the million.
func BenchmarkBoltList1M(b *testing.B) {
	const n = 1_000_000
	db, err := store.OpenBolt(boltPath(b))
	require.NoError(b, err)
	defer db.Close()
	start := time.Now()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	require.NoError(b, store.BoltBulkPut(db, n, func(i int) store.Entry {
		e := store.Entry{
			Family: fmt.Sprintf("fam%d", i%10), ID: fmt.Sprintf("d%07d", i), Event: "created",
			ReceivedAt: base.Add(time.Duration(i) * time.Millisecond), Body: []byte(`{"id":1}`),
		}
		if i%10 == 3 {
			e.State = store.Dead
		}
		return e
	}))
	b.Logf("loaded %d entries in %v", n, time.Since(start))
	ctx := context.Background()
	deep, err := db.List(ctx, store.Query{Limit: 1})
	require.NoError(b, err)
	for range 5 { // a cursor 5,000 entries down
		p, err := db.List(ctx, store.Query{After: deep.Next, Limit: store.MaxPageSize})
		require.NoError(b, err)
		deep = p
	}
	queries := []struct {
		name string
		q    store.Query
	}{
		{"FirstPage", store.Query{}},
		{"DeepPage", store.Query{After: deep.Next}},
		{"Family", store.Query{Family: "fam7"}},
		{"DeadAllFamilies", store.Query{State: store.Dead}},
		{"FamilyDead", store.Query{Family: "fam3", State: store.Dead}},
		{"Since", store.Query{Since: base.Add(n/2*time.Millisecond - time.Second)}},
	}
	for _, tc := range queries {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				p, err := db.List(ctx, tc.q)
				if err != nil || len(p.Entries) != store.DefaultPageSize {
					b.Fatalf("list: %d entries, %v", len(p.Entries), err)
				}
			}
		})
	}
}

// BenchmarkBoltPut measures durable acknowledgements: Puts from many
// goroutines, each returning after its (shared) commit and fsync.
func BenchmarkBoltPut(b *testing.B) {
	db, err := store.OpenBolt(boltPath(b))
	require.NoError(b, err)
	defer db.Close()
	benchPut(b, db)
	if commits, writes := store.BoltCommits(db); commits > 0 {
		b.ReportMetric(float64(writes)/float64(commits), "acks/commit")
	}
}

// benchPut runs Put from 32 goroutines per core and reports acks/s.
func benchPut(b *testing.B, in store.Inbox) {
	ctx := context.Background()
	body := []byte(`{"id":"evt_123","type":"alert.created","data":{"severity":"critical","host":"web-1"}}`)
	var n atomic.Int64
	b.SetParallelism(32)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprint("d", n.Add(1))
			if err := in.Put(ctx, store.Entry{Family: "fam", ID: id, Event: "alert.created", Body: body}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "acks/s")
}

// TestBoltReadOnlyAnswers checks that calls that change nothing — an idle
// Lease poll, a refused Acquire, a lost Claim — write nothing to the file
// (no transaction, no fsync).
func TestBoltReadOnlyAnswers(t *testing.T) {
	db, err := store.OpenBolt(boltPath(t))
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	c, err := db.Claim(ctx, "k", time.Minute)
	require.NoError(t, err)
	o, err := db.Acquire(ctx, "e", store.Position{Version: 5, HasVersion: true}, "h", time.Minute)
	require.NoError(t, err)
	require.NoError(t, db.Put(ctx, store.Entry{Family: "f", ID: "later", NextAt: time.Now().Add(time.Hour)}))

	before := store.BoltWrites(db)
	for range 10 {
		l, err := db.Lease(ctx, 10, time.Minute)
		require.NoError(t, err)
		require.Empty(t, l)
		busy, err := db.Acquire(ctx, "e", store.Position{Version: 6, HasVersion: true}, "other", time.Minute)
		require.NoError(t, err)
		require.Equal(t, store.Busy, busy.Verdict)
		lost, err := db.Claim(ctx, "k", time.Minute)
		require.NoError(t, err)
		require.False(t, lost.Won)
	}
	assert.Equal(t, before, store.BoltWrites(db), "nothing written")

	require.NoError(t, db.Complete(ctx, "k", c.Token, time.Hour))
	require.NoError(t, db.AbandonOrder(ctx, "e", o.Token))
	assert.Greater(t, store.BoltWrites(db), before, "the counter sees real writes")
}
