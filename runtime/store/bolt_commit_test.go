package store_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/store"
)

// TestBoltIdleWriteDoesNotWait checks that a write to an idle Bolt commits
// at once: with a batch delay of a minute, a lone Put still returns
// after its own commit.
func TestBoltIdleWriteDoesNotWait(t *testing.T) {
	db, err := store.OpenBolt(boltPath(t), store.WithBatchDelay(time.Minute))
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	start := time.Now()
	for i := range 3 {
		require.NoError(t, db.Put(ctx, store.Entry{Family: "f", ID: strconv.Itoa(i)}))
	}
	assert.Less(t, time.Since(start), 30*time.Second, "no write waited for the batch delay")
	commits, writes := store.BoltCommits(db)
	assert.Equal(t, int64(3), commits)
	assert.Equal(t, int64(3), writes)
}

// waitQueued waits until n writes are queued on db.
func waitQueued(t *testing.T, db *store.Bolt, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return store.BoltQueued(db) == n },
		30*time.Second, time.Millisecond, "%d writes queued", n)
}

// holdWriter holds db's writer lock until the returned release (which may
// be called more than once) is called. Callers defer it after deferring
// Close, so that a failed assertion cannot leave Close waiting for
// blocked writes.
func holdWriter(db *store.Bolt) (release func()) {
	var once sync.Once
	r := store.BoltHoldWriter(db)
	return func() { once.Do(r) }
}

// waitCommitting waits until db runs a commit with nothing queued.
func waitCommitting(t *testing.T, db *store.Bolt) {
	t.Helper()
	require.Eventually(t, func() bool { return store.BoltCommitting(db) },
		30*time.Second, time.Millisecond, "a commit runs")
}

// TestBoltGroupCommit checks that the writes arriving while a commit runs
// share the next commit: one fsync acknowledges all of them.
func TestBoltGroupCommit(t *testing.T) {
	db, err := store.OpenBolt(boltPath(t))
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	release := holdWriter(db) // the first commit blocks on it
	defer release()           // before Close, even on failure
	const n = 50
	var wg sync.WaitGroup
	errs := make([]error, n)
	put := func(i int) {
		defer wg.Done()
		errs[i] = db.Put(ctx, store.Entry{Family: "f", ID: strconv.Itoa(i)})
	}
	wg.Add(1)
	go put(0)
	waitCommitting(t, db) // the first write is in its (blocked) commit
	wg.Add(n - 1)
	for i := 1; i < n; i++ {
		go put(i)
	}
	waitQueued(t, db, n-1)
	release()
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "put %d", i)
	}
	commits, writes := store.BoltCommits(db)
	assert.Equal(t, int64(2), commits, "the first write, then all the others in one commit")
	assert.Equal(t, int64(n), writes)
}

// TestBoltGroupCommitFailure checks that a write failing inside a shared
// commit gets its own error and the other writes still commit.
func TestBoltGroupCommitFailure(t *testing.T) {
	db, err := store.OpenBolt(boltPath(t))
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	require.NoError(t, db.Put(ctx, store.Entry{Family: "f", ID: "dup"}))
	// Let the committer of that Put go idle, so that waitCommitting
	// below sees the commit of "first".
	require.Eventually(t, func() bool { return store.BoltCommitterIdle(db) }, 30*time.Second, time.Millisecond)
	release := holdWriter(db)
	defer release() // before Close, even on failure
	var wg sync.WaitGroup
	var first error
	wg.Add(1)
	go func() { defer wg.Done(); first = db.Put(ctx, store.Entry{Family: "f", ID: "first"}) }()
	waitCommitting(t, db)
	ids := []string{"a", "dup", "b", "c"}
	errs := make([]error, len(ids))
	wg.Add(len(ids))
	for i, id := range ids {
		go func() { defer wg.Done(); errs[i] = db.Put(ctx, store.Entry{Family: "f", ID: id}) }()
	}
	waitQueued(t, db, len(ids))
	release()
	wg.Wait()
	require.NoError(t, first)
	for i, id := range ids {
		if id == "dup" {
			require.ErrorIs(t, errs[i], store.ErrDuplicate)
			continue
		}
		require.NoError(t, errs[i], id)
		_, err := db.GetEntry(ctx, "f", id)
		require.NoError(t, err, "entry %s committed", id)
	}
}

// BenchmarkBoltPutIdle measures a lone writer: each Put commits (and
// fsyncs) at once, without waiting for a batch delay.
func BenchmarkBoltPutIdle(b *testing.B) {
	db, err := store.OpenBolt(boltPath(b))
	require.NoError(b, err)
	defer db.Close()
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		if err := db.Put(ctx, store.Entry{Family: "f", ID: fmt.Sprint("d", i)}); err != nil {
			b.Fatal(err)
		}
	}
}
