package store_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/store"
)

// footprintKeys is how many keys TestMemoryFootprint stores: the default
// WithMaxEntries.
const footprintKeys = 1_000_000

// footprintBound is the live heap TestMemoryFootprint allows for
// footprintKeys completed keys: 200 MiB. The measured figure (185.5 MiB
// when this was written) is logged. The live heap after a full
// collection does not depend on timing or load, so the bound holds on a
// busy machine too.
const footprintBound = 200 << 20

// fillCompleted claims and completes n keys shaped like the receiver's
// store keys: "<family>:<uuid>".
func fillCompleted(tb testing.TB, m *store.Memory, n int) {
	tb.Helper()
	ctx := context.Background()
	const prefix = "stackstate:4f0c6a2e-9d1b-4c7e-8a35-"
	buf := make([]byte, 0, len(prefix)+12)
	for i := range n {
		buf = append(append(buf[:0], prefix...), "000000000000"[len(strconv.Itoa(i)):]...)
		buf = strconv.AppendInt(buf, int64(i), 10)
		key := string(buf)
		c, err := m.Claim(ctx, key, time.Minute)
		if err != nil || !c.Won {
			tb.Fatalf("claim %s: %+v, %v", key, c, err)
		}
		if err := m.Complete(ctx, key, c.Token, 24*time.Hour); err != nil {
			tb.Fatalf("complete %s: %v", key, err)
		}
	}
}

// liveHeap returns the heap in use after a full collection.
func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestMemoryFootprint stores 1M claimed and completed keys in a Memory
// and checks the live heap they take.
func TestMemoryFootprint(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 1M keys; skipped with -short")
	}
	before := liveHeap()
	// Room for every key in every shard: the shards fill unevenly, and
	// evicting would shrink the figure.
	m := store.NewMemory(store.WithMaxEntries(2 * footprintKeys))
	fillCompleted(t, m, footprintKeys)
	after := liveHeap()
	require.Equal(t, footprintKeys, m.Len(), "every key is kept: none was evicted")
	used := after - before
	t.Logf("live heap for %d completed keys: %.1f MiB (%d B/key)", footprintKeys, float64(used)/(1<<20), used/footprintKeys)
	require.LessOrEqual(t, used, uint64(footprintBound), "live heap of %d completed keys", footprintKeys)
	runtime.KeepAlive(m)
}
