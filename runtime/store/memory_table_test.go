package store

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEntryTableMatchesMap runs random puts and deletes on an entryTable
// and a Go map side by side: after every step both hold the same keys,
// which checks that deleting (with its backward shift) never hides an
// entry behind a hole, also across the wrap-around of the slots.
func TestEntryTableMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tab := newEntryTable()
	want := map[string]*memEntry{}
	const universe = 300 // few keys: clusters and wrap-arounds are common
	for step := range 20000 {
		key := "k" + strconv.Itoa(rng.IntN(universe))
		if _, ok := want[key]; ok && rng.IntN(2) == 0 {
			tab.del(key)
			delete(want, key)
		} else if !ok {
			e := &memEntry{key: key}
			tab.put(e)
			want[key] = e
		}
		require.Equal(t, len(want), tab.len(), "step %d", step)
		if step%50 == 0 {
			for i := range universe {
				k := "k" + strconv.Itoa(i)
				require.Same(t, want[k], tab.get(k), "step %d key %s", step, k)
			}
		}
	}
	for k := range want {
		tab.del(k)
	}
	require.Zero(t, tab.len())
	for i := range universe {
		require.Nil(t, tab.get("k"+strconv.Itoa(i)))
	}
	tab.del("absent") // deleting an absent key is a no-op
}

// TestEntryTableLoad checks the table stays at or under 3/4 load, so a
// probe always ends at an empty slot.
func TestEntryTableLoad(t *testing.T) {
	tab := newEntryTable()
	for i := range 10000 {
		tab.put(&memEntry{key: strconv.Itoa(i)})
		require.LessOrEqual(t, tab.len()*4, len(tab.slots)*3)
	}
	require.Equal(t, 16384, len(tab.slots), "10000 entries fit in 2^14 slots at 3/4 load")
}
