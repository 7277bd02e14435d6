package store

import "hash/maphash"

// entryTable is the index of one kind of memEntry in a shard, by key: a
// hash table with open addressing and linear probing over a power-of-two
// slice of pointers. A slot takes 8 bytes and the table is grown at 3/4
// load, so the index costs 11 to 21 bytes per entry, where a Go
// map[string]*memEntry costs 28 to 57 (a 24-byte slot and a control byte,
// at 7/16 to 7/8 load); TestMemoryFootprint measures the whole entry.
// Deletion shifts the following entries back (no tombstones), so lookups
// never slow down with churn.
type entryTable struct {
	seed  maphash.Seed
	slots []*memEntry // nil: empty
	n     int
}

// minTableSlots is the size of a table's first allocation.
const minTableSlots = 8

func newEntryTable() entryTable {
	return entryTable{seed: maphash.MakeSeed()}
}

// home is the slot where a probe for key starts.
func (t *entryTable) home(key string) int {
	return int(maphash.String(t.seed, key) & uint64(len(t.slots)-1)) //nolint:gosec // masked to the table
}

// get returns the entry of key, or nil.
func (t *entryTable) get(key string) *memEntry {
	if t.n == 0 {
		return nil
	}
	mask := len(t.slots) - 1
	for i := t.home(key); ; i = (i + 1) & mask {
		e := t.slots[i]
		if e == nil || e.key == key {
			return e
		}
	}
}

// put adds e, whose key the table does not hold.
func (t *entryTable) put(e *memEntry) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	t.place(e)
	t.n++
}

// place puts e in the first free slot of its probe sequence.
func (t *entryTable) place(e *memEntry) {
	mask := len(t.slots) - 1
	i := t.home(e.key)
	for t.slots[i] != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = e
}

// grow doubles the table.
func (t *entryTable) grow() {
	old := t.slots
	t.slots = make([]*memEntry, max(2*len(old), minTableSlots))
	for _, e := range old {
		if e != nil {
			t.place(e)
		}
	}
}

// del removes the entry of key, if any. The entries after it in its
// cluster move back into the freed slot when their probe sequence allows,
// so that no probe ever stops early at the hole.
func (t *entryTable) del(key string) {
	if t.n == 0 {
		return
	}
	mask := len(t.slots) - 1
	i := t.home(key)
	for {
		e := t.slots[i]
		if e == nil {
			return
		}
		if e.key == key {
			break
		}
		i = (i + 1) & mask
	}
	t.n--
	// i is the hole. An entry at j whose home h is not cyclically in
	// (i, j] would not be found past the hole: move it into the hole.
	for j := (i + 1) & mask; t.slots[j] != nil; j = (j + 1) & mask {
		h := t.home(t.slots[j].key)
		if (j-h)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = nil
}

// len returns the number of entries.
func (t *entryTable) len() int { return t.n }
