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
type memInbox struct {
	mu      sync.Mutex
	closed  bool
	max     int
	entries map[entryID]*memItem
}

type entryID struct{ family, id string }

// memItem is an entry and its lease.
type memItem struct {
	e          Entry
	token      string
	leaseUntil time.Time
}

// due is when a Pending item may be leased: at NextAt, and not before its
// current lease ends.
func (it *memItem) due() time.Time {
	if it.leaseUntil.After(it.e.NextAt) {
		return it.leaseUntil
	}
	return it.e.NextAt
}

func newMemInbox(maxEntries int) *memInbox {
	return &memInbox{max: maxEntries, entries: make(map[entryID]*memItem)}
}

func (in *memInbox) close() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.closed = true
	in.entries = nil
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
// entries; beyond, Put returns an error wrapping ErrFull.
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
	if len(in.entries) >= in.max {
		return fmt.Errorf("store: put: %d entries: %w", len(in.entries), ErrFull)
	}
	in.entries[k] = &memItem{e: e}
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
			delete(in.entries, k)
			n++
		}
	}
	return n, nil
}
