package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/store"
)

// record is a settled inbox entry, as the receiver keeps for a processed
// delivery.
func record(id string, body string) store.Entry {
	return store.Entry{ID: id, Family: "f", Webhook: "w", Event: "E", Body: []byte(body),
		ReceivedAt: time.Now(), State: store.EntryDone, Reason: store.ReasonProcessed}
}

// TestMemoryInboxEvictsOldestSettled: a full memory inbox makes room by
// evicting its oldest settled entries in Put order, by count and by bytes,
// and never a Pending one: with only Pending entries left, Put is ErrFull.
func TestMemoryInboxEvictsOldestSettled(t *testing.T) {
	ctx := context.Background()
	t.Run("by count", func(t *testing.T) {
		m := store.NewMemory(store.WithMaxEntries(4))
		t.Cleanup(func() { _ = m.Close() })
		pending := record("p", "x")
		pending.State, pending.Reason = store.Pending, ""
		require.NoError(t, m.Put(ctx, pending))
		for i := range 10 {
			require.NoError(t, m.Put(ctx, record("r"+strconv.Itoa(i), "x")))
		}
		_, err := m.GetEntry(ctx, "f", "p")
		require.NoError(t, err, "a Pending entry is never evicted")
		for i := range 10 {
			_, err := m.GetEntry(ctx, "f", "r"+strconv.Itoa(i))
			if i < 7 {
				assert.ErrorIs(t, err, store.ErrNotFound, "r%d is among the oldest", i)
			} else {
				assert.NoError(t, err, "r%d is among the newest", i)
			}
		}
	})
	t.Run("by bytes", func(t *testing.T) {
		m := store.NewMemory(store.WithMaxInboxBytes(11_000))
		t.Cleanup(func() { _ = m.Close() })
		body := strings.Repeat("b", 3000)
		for i := range 4 {
			require.NoError(t, m.Put(ctx, record("r"+strconv.Itoa(i), body)))
		}
		_, err := m.GetEntry(ctx, "f", "r0")
		assert.ErrorIs(t, err, store.ErrNotFound, "the oldest record made room for the fourth")
		for i := 1; i < 4; i++ {
			_, err := m.GetEntry(ctx, "f", "r"+strconv.Itoa(i))
			assert.NoError(t, err)
		}
	})
	t.Run("only pending left", func(t *testing.T) {
		m := store.NewMemory(store.WithMaxEntries(3))
		t.Cleanup(func() { _ = m.Close() })
		for i := range 3 {
			e := record("p"+strconv.Itoa(i), "x")
			e.State, e.Reason = store.Pending, ""
			require.NoError(t, m.Put(ctx, e))
		}
		assert.ErrorIs(t, m.Put(ctx, record("r", "x")), store.ErrFull)
		for i := range 3 {
			_, err := m.GetEntry(ctx, "f", "p"+strconv.Itoa(i))
			assert.NoError(t, err)
		}
	})
	t.Run("steady load stays bounded", func(t *testing.T) {
		m := store.NewMemory(store.WithMaxEntries(100))
		t.Cleanup(func() { _ = m.Close() })
		for i := range 5000 {
			require.NoError(t, m.Put(ctx, record("r"+strconv.Itoa(i), "x")))
		}
		page, err := m.List(ctx, store.Query{Family: "f", Limit: 1000})
		require.NoError(t, err)
		assert.Len(t, page.Entries, 100)
	})
}
