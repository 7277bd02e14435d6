package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The inbox of Bolt lives in the same file as claims and orders, in two
// buckets: "entries" maps family NUL id to the entry (with its lease, in
// the binary form of bolt_entry.go), and "index" holds empty values under keys that order the entries
// for List and Lease (times are 8-byte big-endian Unix microseconds with
// the sign bit flipped, so that bytes sort like times):
//
//	't' time family NUL id                 every entry, by time
//	's' state time family NUL id           by state, then time
//	'f' family NUL time id                 by family, then time
//	'g' family NUL state time id           by family and state, then time
//	'e' family NUL len entity time id      Pending entries of an entity
//	'd' due time family NUL id             Pending entries that may be leased
//
// Only the head (earliest Pending entry) of an entity has a 'd' key, so
// Lease reads due keys in order and never scans entries that wait behind
// their entity's head. List walks one of t, s, f, g backwards from its
// cursor; both cost the entries they return, not the entries stored.

var (
	entriesBucket = []byte("entries")
	indexBucket   = []byte("index")
)

// boltEntry is an entry and its lease.
type boltEntry struct {
	Entry
	Token      string
	LeaseUntil int64 // Unix microseconds
}

// due is when a Pending entry may be leased (Unix microseconds).
func (e *boltEntry) due() int64 {
	due := int64(0)
	if !e.NextAt.IsZero() {
		due = e.NextAt.UnixMicro()
	}
	return max(due, e.LeaseUntil)
}

func entryKey(family, id string) []byte {
	k := make([]byte, 0, len(family)+1+len(id))
	k = append(k, family...)
	k = append(k, 0)
	return append(k, id...)
}

// appendTime appends t (Unix microseconds) so that bytes sort like times.
func appendTime(b []byte, t int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(t)^(1<<63))
}

func readTime(b []byte) int64 {
	return int64(binary.BigEndian.Uint64(b) ^ (1 << 63))
}

// listPrefix returns the index prefix List walks for q, and whether the
// keys under it end in family NUL id (else in id alone).
func listPrefix(q Query) ([]byte, bool) {
	switch {
	case q.Family != "" && q.State != 0:
		return append(append([]byte{'g'}, q.Family...), 0, byte(q.State)), false
	case q.Family != "":
		return append(append([]byte{'f'}, q.Family...), 0), false
	case q.State != 0:
		return []byte{'s', byte(q.State)}, true
	}
	return []byte{'t'}, true
}

// entityPrefix is the prefix of the 'e' keys of one entity.
func entityPrefix(family, entity string) []byte {
	b := append(append([]byte{'e'}, family...), 0)
	b = binary.AppendUvarint(b, uint64(len(entity)))
	return append(b, entity...)
}

// indexKeys returns the index keys of e except its 'd' key.
func indexKeys(e *boltEntry) [][]byte {
	at := e.ReceivedAt.UnixMicro()
	full := entryKey(e.Family, e.ID)
	fam := append([]byte(e.Family), 0)
	keys := [][]byte{
		append(appendTime([]byte{'t'}, at), full...),
		append(appendTime([]byte{'s', byte(e.State)}, at), full...),
		append(appendTime(append([]byte{'f'}, fam...), at), e.ID...),
		append(appendTime(append(append([]byte{'g'}, fam...), byte(e.State)), at), e.ID...),
	}
	if e.State == Pending && e.Entity != "" {
		keys = append(keys, append(appendTime(entityPrefix(e.Family, e.Entity), at), e.ID...))
	}
	return keys
}

// dueKey returns e's 'd' key.
func dueKey(e *boltEntry) []byte {
	k := appendTime([]byte{'d'}, e.due())
	k = appendTime(k, e.ReceivedAt.UnixMicro())
	return append(k, entryKey(e.Family, e.ID)...)
}

// getEntry reads the entry of family and id, nil when absent.
func getEntry(tx *bolt.Tx, family, id string) (*boltEntry, error) {
	v := tx.Bucket(entriesBucket).Get(entryKey(family, id))
	if v == nil {
		return nil, nil
	}
	e, err := decodeEntry(v)
	if err != nil {
		return nil, fmt.Errorf("entry %q/%q: %w", family, id, err)
	}
	return e, nil
}

// writeEntry replaces old (nil: none) with next (nil: delete) and keeps
// the indexes, including the 'd' key of the heads of the entities
// involved, in step.
func writeEntry(tx *bolt.Tx, old, next *boltEntry) error {
	idx := tx.Bucket(indexBucket)
	if old != nil {
		for _, k := range append(indexKeys(old), dueKey(old)) {
			if err := idx.Delete(k); err != nil {
				return err
			}
		}
	}
	if next == nil {
		if err := tx.Bucket(entriesBucket).Delete(entryKey(old.Family, old.ID)); err != nil {
			return err
		}
	} else {
		if err := tx.Bucket(entriesBucket).Put(entryKey(next.Family, next.ID), next.encode()); err != nil {
			return err
		}
		for _, k := range indexKeys(next) {
			if err := idx.Put(k, nil); err != nil {
				return err
			}
		}
		if next.State == Pending && next.Entity == "" {
			if err := idx.Put(dueKey(next), nil); err != nil {
				return err
			}
		}
	}
	if old != nil && old.State == Pending && old.Entity != "" {
		if err := fixEntityHead(tx, old.Family, old.Entity); err != nil {
			return err
		}
	}
	if next != nil && next.State == Pending && next.Entity != "" &&
		(old == nil || old.State != Pending || old.Entity != next.Entity) {
		return fixEntityHead(tx, next.Family, next.Entity)
	}
	return nil
}

// fixEntityHead gives the head of an entity its 'd' key and takes it from
// the second entry, which held it when an earlier entry arrived.
func fixEntityHead(tx *bolt.Tx, family, entity string) error {
	prefix := entityPrefix(family, entity)
	idx := tx.Bucket(indexBucket)
	// Read the two keys before writing: a write moves an open cursor.
	var ids []string
	c := idx.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(ids) < 2; k, _ = c.Next() {
		ids = append(ids, string(k[len(prefix)+8:]))
	}
	for i, id := range ids {
		e, err := getEntry(tx, family, id)
		if err != nil {
			return err
		}
		if e == nil {
			return fmt.Errorf("%w: index of %s/%s without entry", errCorrupt, family, id)
		}
		if i == 0 {
			err = idx.Put(dueKey(e), nil)
		} else {
			err = idx.Delete(dueKey(e))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Put implements Inbox: the entry is committed and fsynced before Put
// returns. Concurrent Puts share one transaction and fsync (group commit).
func (b *Bolt) Put(ctx context.Context, e Entry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: put: %w", err)
	}
	e, err := NormalizeEntry(e, b.now())
	if err != nil {
		return err
	}
	if err := b.enter(); err != nil {
		return err
	}
	defer b.mu.RUnlock()
	var dup bool
	err = b.writes.do(func(tx *bolt.Tx) error {
		dup = false
		old, err := getEntry(tx, e.Family, e.ID)
		if err != nil {
			return err
		}
		if old != nil {
			dup = true
			next := *old
			next.Duplicates++
			return writeEntry(tx, old, &next)
		}
		return writeEntry(tx, nil, &boltEntry{Entry: e})
	})
	if err != nil {
		return fmt.Errorf("store: put: %w", err)
	}
	if dup {
		return fmt.Errorf("store: put %s/%s: %w", e.Family, e.ID, ErrDuplicate)
	}
	return nil
}

// Lease implements Inbox.
func (b *Bolt) Lease(ctx context.Context, n int, lease time.Duration) ([]Leased, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: lease: %w", err)
	}
	if err := checkDuration("lease", "lease", lease); err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, nil
	}
	if err := b.enter(); err != nil {
		return nil, err
	}
	defer b.mu.RUnlock()
	// An idle poll writes nothing: look for a due entry in a read
	// transaction first.
	var due bool
	err := b.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(indexBucket).Cursor().Seek([]byte{'d'})
		due = k != nil && k[0] == 'd' && readTime(k[1:]) <= b.now().UnixMicro()
		return nil
	})
	if err != nil || !due {
		return nil, err
	}
	var out []Leased
	err = b.writes.do(func(tx *bolt.Tx) error {
		out = out[:0]
		now := b.now()
		var due []*boltEntry
		c := tx.Bucket(indexBucket).Cursor()
		for k, _ := c.Seek([]byte{'d'}); k != nil && k[0] == 'd' && len(due) < n; k, _ = c.Next() {
			if readTime(k[1:]) > now.UnixMicro() {
				break
			}
			family, id, ok := bytes.Cut(k[17:], []byte{0})
			if !ok {
				return fmt.Errorf("%w: due key %q", errCorrupt, k)
			}
			e, err := getEntry(tx, string(family), string(id))
			if err != nil {
				return err
			}
			if e == nil {
				return fmt.Errorf("%w: due key of %s/%s without entry", errCorrupt, family, id)
			}
			due = append(due, e)
		}
		for _, old := range due {
			fence, err := tx.Bucket(metaBucket).NextSequence()
			if err != nil {
				return err
			}
			next := *old
			next.Token = newToken()
			next.LeaseUntil = now.Add(lease).UnixMicro()
			next.Attempts++
			next.UpdatedAt = Micro(now)
			if err := writeEntry(tx, old, &next); err != nil {
				return err
			}
			out = append(out, Leased{Entry: next.Entry, Token: next.Token, Fence: int64(fence)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: lease: %w", err)
	}
	return out, nil
}

// leasedEntry returns the entry token holds, or ErrLeaseLost; with live,
// the lease must not have ended.
func leasedEntry(tx *bolt.Tx, family, id, token string, now time.Time, live bool) (*boltEntry, error) {
	e, err := getEntry(tx, family, id)
	if err != nil {
		return nil, err
	}
	if e == nil || e.State != Pending || token == "" || e.Token != token {
		return nil, fmt.Errorf("store: entry %s/%s: %w", family, id, ErrLeaseLost)
	}
	if live && now.UnixMicro() >= e.LeaseUntil {
		return nil, fmt.Errorf("store: entry %s/%s: lease ended: %w", family, id, ErrLeaseLost)
	}
	return e, nil
}

// updateEntry runs change on the entry family/id in a batched write;
// change returns the new entry, or an outcome error (not retried).
func (b *Bolt) updateEntry(op string, change func(tx *bolt.Tx, now time.Time) (*boltEntry, *boltEntry, error)) error {
	if err := b.enter(); err != nil {
		return err
	}
	defer b.mu.RUnlock()
	var outcome error
	err := b.writes.do(func(tx *bolt.Tx) error {
		old, next, err := change(tx, b.now())
		outcome = nil
		if err != nil {
			if errorsIsOutcome(err) {
				outcome = err
				return nil
			}
			return err
		}
		if next == nil && old == nil {
			return nil
		}
		return writeEntry(tx, old, next)
	})
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return outcome
}

// ExtendLease implements Inbox.
func (b *Bolt) ExtendLease(ctx context.Context, id, family, token string, lease time.Duration) error {
	if err := CheckEntryKey(ctx, "extend lease", family, id); err != nil {
		return err
	}
	if err := checkDuration("extend lease", "lease", lease); err != nil {
		return err
	}
	return b.updateEntry("extend lease", func(tx *bolt.Tx, now time.Time) (*boltEntry, *boltEntry, error) {
		old, err := leasedEntry(tx, family, id, token, now, true)
		if err != nil {
			return nil, nil, err
		}
		next := *old
		next.LeaseUntil = now.Add(lease).UnixMicro()
		return old, &next, nil
	})
}

// Settle implements Inbox. A holder whose lease ended may still settle
// as long as the entry was not leased again.
func (b *Bolt) Settle(ctx context.Context, id, family, token string, s Settlement) error {
	if err := CheckEntryKey(ctx, "settle", family, id); err != nil {
		return err
	}
	if err := CheckSettlement(s); err != nil {
		return err
	}
	return b.updateEntry("settle", func(tx *bolt.Tx, now time.Time) (*boltEntry, *boltEntry, error) {
		old, err := leasedEntry(tx, family, id, token, now, false)
		if err != nil {
			return nil, nil, err
		}
		next := *old
		next.Token, next.LeaseUntil = "", 0
		next.State, next.Reason, next.LastError = s.State, s.Reason, CutError(s.Err)
		next.NextAt = time.Time{}
		if s.State == Pending && !s.NextAt.IsZero() {
			next.NextAt = Micro(s.NextAt)
		}
		next.UpdatedAt = Micro(now)
		return old, &next, nil
	})
}

// Replay implements Inbox.
func (b *Bolt) Replay(ctx context.Context, family, id string) error {
	if err := CheckEntryKey(ctx, "replay", family, id); err != nil {
		return err
	}
	return b.updateEntry("replay", func(tx *bolt.Tx, now time.Time) (*boltEntry, *boltEntry, error) {
		old, err := getEntry(tx, family, id)
		if err != nil {
			return nil, nil, err
		}
		if old == nil {
			return nil, nil, fmt.Errorf("store: replay %s/%s: %w", family, id, ErrNotFound)
		}
		if old.State == Pending {
			return nil, nil, nil
		}
		next := boltEntry{Entry: replayed(old.Entry, now)}
		return old, &next, nil
	})
}

// errorsIsOutcome reports whether err is an answer to the caller rather
// than a storage failure.
func errorsIsOutcome(err error) bool {
	return isAny(err, ErrLeaseLost, ErrNotFound)
}

// GetEntry implements Inbox.
func (b *Bolt) GetEntry(ctx context.Context, family, id string) (Entry, error) {
	if err := CheckEntryKey(ctx, "get entry", family, id); err != nil {
		return Entry{}, err
	}
	if err := b.enter(); err != nil {
		return Entry{}, err
	}
	defer b.mu.RUnlock()
	var e *boltEntry
	err := b.db.View(func(tx *bolt.Tx) error {
		var err error
		e, err = getEntry(tx, family, id)
		return err
	})
	if err != nil {
		return Entry{}, fmt.Errorf("store: get entry: %w", err)
	}
	if e == nil {
		return Entry{}, fmt.Errorf("store: get entry %s/%s: %w", family, id, ErrNotFound)
	}
	return e.Entry, nil
}

// walk calls fn for each entry q selects, newest first, starting after
// q.After, until fn returns false.
func walk(tx *bolt.Tx, q Query, fn func(*boltEntry) (bool, error)) error {
	prefix, withFamily := listPrefix(q)
	// start: the first key not to return; the walk goes backwards from it.
	start := append(bytes.Clone(prefix), 0xff)
	if !q.Before.IsZero() {
		start = appendTime(bytes.Clone(prefix), q.Before.UnixMicro())
	}
	if q.After != "" {
		cur, err := ParseCursor(q.After)
		if err != nil {
			return err
		}
		k := appendTime(bytes.Clone(prefix), cur.ReceivedAt)
		if withFamily {
			k = append(k, entryKey(cur.Family, cur.ID)...)
		} else {
			k = append(k, cur.ID...)
		}
		if bytes.Compare(k, start) < 0 {
			start = k
		}
	}
	since := int64(-1 << 63)
	if !q.Since.IsZero() {
		since = q.Since.UnixMicro()
	}
	c := tx.Bucket(indexBucket).Cursor()
	k, _ := c.Seek(start)
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
		rest := k[len(prefix):]
		if readTime(rest) < since {
			return nil
		}
		family, id := q.Family, string(rest[8:])
		if withFamily {
			f, i, _ := bytes.Cut(rest[8:], []byte{0})
			family, id = string(f), string(i)
		}
		e, err := getEntry(tx, family, id)
		if err != nil {
			return err
		}
		if e == nil {
			return fmt.Errorf("%w: index of %s/%s without entry", errCorrupt, family, id)
		}
		more, err := fn(e)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// List implements Inbox. It reads the index of the query's family and
// state backwards from the cursor, so a page costs its own entries
// whatever the number stored.
func (b *Bolt) List(ctx context.Context, q Query) (Page, error) {
	if err := checkQuery(ctx, "list", q); err != nil {
		return Page{}, err
	}
	if err := b.enter(); err != nil {
		return Page{}, err
	}
	defer b.mu.RUnlock()
	limit := PageLimit(q)
	var p Page
	err := b.db.View(func(tx *bolt.Tx) error {
		return walk(tx, q, func(e *boltEntry) (bool, error) {
			if len(p.Entries) == limit {
				p.Next = CursorOf(p.Entries[limit-1]).String()
				return false, nil
			}
			p.Entries = append(p.Entries, e.Entry)
			return true, nil
		})
	})
	if err != nil {
		if isAny(err, ErrInvalid) {
			return Page{}, err
		}
		return Page{}, fmt.Errorf("store: list: %w", err)
	}
	return p, nil
}

// purgeChunk is the most entries one Purge transaction deletes.
const purgeChunk = 10_000

// Purge implements Inbox. It deletes in transactions of purgeChunk
// entries, so a large purge never holds the write lock for long.
func (b *Bolt) Purge(ctx context.Context, q Query) (int, error) {
	if err := checkQuery(ctx, "purge", q); err != nil {
		return 0, err
	}
	q.After, q.Limit = "", 0
	if err := b.enter(); err != nil {
		return 0, err
	}
	defer b.mu.RUnlock()
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("store: purge: %w", err)
		}
		n := 0
		err := b.db.Update(func(tx *bolt.Tx) error {
			n = 0
			var doomed []*boltEntry
			err := walk(tx, q, func(e *boltEntry) (bool, error) {
				doomed = append(doomed, e)
				return len(doomed) < purgeChunk, nil
			})
			if err != nil {
				return err
			}
			for _, e := range doomed {
				if err := writeEntry(tx, e, nil); err != nil {
					return err
				}
			}
			n = len(doomed)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("store: purge: %w", err)
		}
		total += n
		if n < purgeChunk {
			return total, nil
		}
	}
}
