package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// memInbox is the inbox of a Memory: a map under one lock. Lease, List and
// Purge scan every entry, which suits tests and a few thousand entries;
// use Bolt or PostgreSQL for more.
//
// It is bounded by entries and bytes. When a Put does not fit, the oldest
// settled entries (records of processed deliveries and dead letters) are
// evicted first, in the order they were put; Pending entries are never
// evicted, and when only they are left Put returns ErrFull.
type memInbox struct {
	mu       sync.Mutex
	closed   bool
	max      int
	maxBytes int64
	bytes    int64
	entries  map[entryID]*memItem
	order    []entryID // in Put order; may name entries purged since
	head     int       // order[:head] was evicted already
}

type entryID struct{ family, id string }

// memItem is an entry and its lease.
type memItem struct {
	e          Entry
	token      string
	leaseUntil time.Time
	size       int64 // what the entry is charged against maxBytes
}

// inboxEntryOverhead is what an inbox entry is charged beyond its variable
// fields: the map slot, the item and the Entry's fixed fields.
const inboxEntryOverhead = 320

// inboxEntrySize is the bytes an entry is charged: its variable fields plus
// inboxEntryOverhead.
func inboxEntrySize(e Entry) int64 {
	n := len(e.ID) + len(e.Family) + len(e.Webhook) + len(e.Event) + len(e.Key) + len(e.Entity) +
		len(e.Method) + len(e.Path) + len(e.RawQuery) + len(e.Body) + len(e.Reason) + len(e.LastError)
	for k, vs := range e.Header {
		n += len(k)
		for _, v := range vs {
			n += len(v)
		}
	}
	return int64(n) + inboxEntryOverhead
}

// makeRoom evicts the oldest settled entries until one more entry of size
// bytes fits, and reports whether it does.
func (in *memInbox) makeRoom(size int64) bool {
	fits := func() bool { return len(in.entries) < in.max && in.bytes+size <= in.maxBytes }
	var kept []entryID // Pending entries met on the way, put back in order
	for !fits() && in.head < len(in.order) {
		k := in.order[in.head]
		in.head++
		it := in.entries[k]
		switch {
		case it == nil: // purged since
		case it.e.State == Pending:
			kept = append(kept, k)
		default:
			in.remove(k, it)
		}
	}
	if len(kept) > 0 {
		in.head -= len(kept)
		copy(in.order[in.head:], kept)
	}
	in.compact()
	return fits()
}

// remove deletes the entry k.
func (in *memInbox) remove(k entryID, it *memItem) {
	delete(in.entries, k)
	in.bytes -= it.size
}

// compact drops evicted and purged names from the Put order once they are
// most of it, so that it stays proportional to the entries held.
func (in *memInbox) compact() {
	if in.head < 1024 && len(in.order) < 2*len(in.entries)+1024 {
		return
	}
	live := in.order[:0]
	for _, k := range in.order[in.head:] {
		if in.entries[k] != nil {
			live = append(live, k)
		}
	}
	clear(in.order[len(live):])
	in.order, in.head = live, 0
}

// due is when a Pending item may be leased: at NextAt, and not before its
// current lease ends.
func (it *memItem) due() time.Time {
	if it.leaseUntil.After(it.e.NextAt) {
		return it.leaseUntil
	}
	return it.e.NextAt
}

func newMemInbox(maxEntries int, maxBytes int64) *memInbox {
	return &memInbox{max: maxEntries, maxBytes: maxBytes, entries: make(map[entryID]*memItem)}
}

func (in *memInbox) close() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.closed = true
	in.entries, in.order = nil, nil
}

// lockInbox locks the inbox of m, or reports ErrClosed.
func (m *Memory) lockInbox() (*memInbox, error) {
	m.ready()
	in := m.inbox
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return nil, ErrClosed
	}
	return in, nil
}

// copyEntry returns e with its own header and body.
func copyEntry(e Entry) Entry {
	e.Header = e.Header.Clone()
	e.Body = bytes.Clone(e.Body)
	return e
}

// Put implements Inbox. A Memory holds at most WithMaxEntries inbox
// entries of at most WithMaxInboxBytes in all; to make room it evicts the
// oldest settled entries (records and dead letters), never a Pending one,
// and returns an error wrapping ErrFull when only Pending entries are left.
func (m *Memory) Put(ctx context.Context, e Entry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: put: %w", err)
	}
	m.ready()
	e, err := NormalizeEntry(e, m.now())
	if err != nil {
		return err
	}
	in, err := m.lockInbox()
	if err != nil {
		return err
	}
	defer in.mu.Unlock()
	k := entryID{e.Family, e.ID}
	if it := in.entries[k]; it != nil {
		it.e.Duplicates++
		return fmt.Errorf("store: put %s/%s: %w", e.Family, e.ID, ErrDuplicate)
	}
	size := inboxEntrySize(e)
	if !in.makeRoom(size) {
		return fmt.Errorf("store: put: %d pending entries, %d bytes: %w", len(in.entries), in.bytes, ErrFull)
	}
	in.entries[k] = &memItem{e: e, size: size}
	in.order = append(in.order, k)
	in.bytes += size
	return nil
}

// Lease implements Inbox.
func (m *Memory) Lease(ctx context.Context, n int, lease time.Duration) ([]Leased, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: lease: %w", err)
	}
	if err := checkDuration("lease", "lease", lease); err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, nil
	}
	m.ready()
	now := m.now()
	in, err := m.lockInbox()
	if err != nil {
		return nil, err
	}
	defer in.mu.Unlock()
	// The earliest Pending entry of each entity is the only one of it that
	// may be handed out.
	heads := make(map[entryID]*memItem)
	var due []*memItem
	for _, it := range in.entries {
		if it.e.State != Pending {
			continue
		}
		if it.e.Entity != "" {
			k := entryID{it.e.Family, it.e.Entity}
			if h := heads[k]; h == nil || entryEarlier(it.e, h.e) {
				heads[k] = it
			}
		}
		if !it.due().After(now) {
			due = append(due, it)
		}
	}
	slices.SortFunc(due, func(a, b *memItem) int {
		if entryEarlier(a.e, b.e) {
			return -1
		}
		return 1
	})
	var out []Leased
	for _, it := range due {
		if len(out) == n {
			break
		}
		if it.e.Entity != "" && heads[entryID{it.e.Family, it.e.Entity}] != it {
			continue
		}
		it.token = newToken()
		it.leaseUntil = now.Add(lease)
		it.e.Attempts++
		it.e.UpdatedAt = Micro(now)
		out = append(out, Leased{Entry: copyEntry(it.e), Token: it.token, Fence: m.fence.Add(1)})
	}
	return out, nil
}

// entryEarlier orders entries for Lease: by ReceivedAt, then ID.
func entryEarlier(a, b Entry) bool {
	if !a.ReceivedAt.Equal(b.ReceivedAt) {
		return a.ReceivedAt.Before(b.ReceivedAt)
	}
	return a.ID < b.ID
}

// leased returns the item token holds under its lease, or ErrLeaseLost.
func (in *memInbox) leased(family, id, token string, now time.Time, live bool) (*memItem, error) {
	it := in.entries[entryID{family, id}]
	if it == nil || it.e.State != Pending || token == "" || it.token != token {
		return nil, fmt.Errorf("store: entry %s/%s: %w", family, id, ErrLeaseLost)
	}
	if live && !now.Before(it.leaseUntil) {
		return nil, fmt.Errorf("store: entry %s/%s: lease ended: %w", family, id, ErrLeaseLost)
	}
	return it, nil
}

// ExtendLease implements Inbox.
func (m *Memory) ExtendLease(ctx context.Context, id, family, token string, lease time.Duration) error {
	if err := CheckEntryKey(ctx, "extend lease", family, id); err != nil {
		return err
	}
	if err := checkDuration("extend lease", "lease", lease); err != nil {
		return err
	}
	m.ready()
	now := m.now()
	in, err := m.lockInbox()
	if err != nil {
		return err
	}
	defer in.mu.Unlock()
	it, err := in.leased(family, id, token, now, true)
	if err != nil {
		return err
	}
	it.leaseUntil = now.Add(lease)
	return nil
}

// Settle implements Inbox. A holder whose lease ended may still settle
// as long as the entry was not leased again.
func (m *Memory) Settle(ctx context.Context, id, family, token string, s Settlement) error {
	if err := CheckEntryKey(ctx, "settle", family, id); err != nil {
		return err
	}
	if err := CheckSettlement(s); err != nil {
		return err
	}
	m.ready()
	now := m.now()
	in, err := m.lockInbox()
	if err != nil {
		return err
	}
	defer in.mu.Unlock()
	it, err := in.leased(family, id, token, now, false)
	if err != nil {
		return err
	}
	it.token, it.leaseUntil = "", time.Time{}
	it.e.State, it.e.Reason, it.e.LastError = s.State, s.Reason, CutError(s.Err)
	it.e.NextAt = time.Time{}
	if s.State == Pending && !s.NextAt.IsZero() {
		it.e.NextAt = Micro(s.NextAt)
	}
	it.e.UpdatedAt = Micro(now)
	return nil
}

// GetEntry implements Inbox.
func (m *Memory) GetEntry(ctx context.Context, family, id string) (Entry, error) {
	if err := CheckEntryKey(ctx, "get entry", family, id); err != nil {
		return Entry{}, err
	}
	in, err := m.lockInbox()
	if err != nil {
		return Entry{}, err
	}
	defer in.mu.Unlock()
	it := in.entries[entryID{family, id}]
	if it == nil {
		return Entry{}, fmt.Errorf("store: get %s/%s: %w", family, id, ErrNotFound)
	}
	return copyEntry(it.e), nil
}

// List implements Inbox.
func (m *Memory) List(ctx context.Context, q Query) (Page, error) {
	if err := checkQuery(ctx, "list", q); err != nil {
		return Page{}, err
	}
	var after *Cursor
	if q.After != "" {
		c, err := ParseCursor(q.After)
		if err != nil {
			return Page{}, err
		}
		after = &c
	}
	in, err := m.lockInbox()
	if err != nil {
		return Page{}, err
	}
	defer in.mu.Unlock()
	var hits []Entry
	for _, it := range in.entries {
		if q.Matches(it.e) && (after == nil || after.Before(CursorOf(it.e))) {
			hits = append(hits, it.e)
		}
	}
	slices.SortFunc(hits, func(a, b Entry) int {
		if CursorOf(a).Before(CursorOf(b)) {
			return -1
		}
		return 1
	})
	limit := PageLimit(q)
	var p Page
	if len(hits) > limit {
		hits = hits[:limit]
		p.Next = CursorOf(hits[limit-1]).String()
	}
	for _, e := range hits {
		p.Entries = append(p.Entries, copyEntry(e))
	}
	return p, nil
}

// checkQuery rejects a done context and an unknown state.
func checkQuery(ctx context.Context, op string, q Query) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if q.State < 0 || q.State > Dead {
		return fmt.Errorf("store: %s: state %d: %w", op, q.State, ErrInvalid)
	}
	return nil
}

// Replay implements Inbox.
func (m *Memory) Replay(ctx context.Context, family, id string) error {
	if err := CheckEntryKey(ctx, "replay", family, id); err != nil {
		return err
	}
	m.ready()
	now := m.now()
	in, err := m.lockInbox()
	if err != nil {
		return err
	}
	defer in.mu.Unlock()
	it := in.entries[entryID{family, id}]
	if it == nil {
		return fmt.Errorf("store: replay %s/%s: %w", family, id, ErrNotFound)
	}
	if it.e.State != Pending {
		it.e = replayed(it.e, now)
		it.token, it.leaseUntil = "", time.Time{}
	}
	return nil
}

// replayed returns e made Pending by Replay.
func replayed(e Entry, now time.Time) Entry {
	e.State, e.Reason, e.Attempts = Pending, "", 0
	e.NextAt, e.UpdatedAt = time.Time{}, Micro(now)
	return e
}

// Purge implements Inbox.
func (m *Memory) Purge(ctx context.Context, q Query) (int, error) {
	if err := checkQuery(ctx, "purge", q); err != nil {
		return 0, err
	}
	in, err := m.lockInbox()
	if err != nil {
		return 0, err
	}
	defer in.mu.Unlock()
	n := 0
	for k, it := range in.entries {
		if q.Matches(it.e) {
			in.remove(k, it)
			n++
		}
	}
	in.compact()
	return n, nil
}
