package store

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// ErrFull is wrapped by the error a Memory returns when it is at its entry
// or byte bound and nothing can be evicted: every entry is a key under a
// live lease. Nothing is changed; the caller may retry later.
var ErrFull = errors.New("store: full")

// Accounting of Memory bytes: each entry is charged its key length plus
// entryOverhead (the entry, its map slot and heap slot), and a claimed key
// also the claim token.
const (
	entryOverhead = 128
	tokenLen      = 22 // base64 of tokenBytes
)

// Smallest share of the bounds one shard gets; smaller bounds use fewer
// shards.
const (
	minShardEntries = 1024
	minShardBytes   = 256 << 10
)

// Memory is an in-process Store and OrderStore: fast, bounded, and lost
// with the process. Use it for a single replica that may forget completed
// keys on restart, and in tests; use Bolt (or a shared store) when a
// restart must not process a completed delivery twice.
//
// Memory holds at most WithMaxEntries entries (claimed keys plus ordering
// entities) and WithMaxBytes accounted bytes. The bounds are split evenly
// among the shards, and small bounds use fewer shards (each gets at least
// 1024 entries and 256 KiB, or there is one shard). When a new entry does
// not fit in its shard, Memory evicts first entries that expired or that
// can be claimed anyway (released keys, dead leases), then the oldest
// completed keys and ordering entities; it never evicts a key under a live
// lease, and returns an error wrapping ErrFull when nothing can go.
// Expired entries are otherwise dropped when next touched; Memory starts no
// goroutine.
//
// The zero Memory is ready to use with the defaults, like NewMemory(). A
// Memory is safe for concurrent use by many goroutines.
type Memory struct {
	once            sync.Once
	now             func() time.Time
	failedRetention time.Duration
	seed            maphash.Seed
	mask            uint64
	shards          []memShard
	closed          atomic.Bool
	fence           atomic.Int64
	inbox           *memInbox
}

var (
	_ Store      = (*Memory)(nil)
	_ OrderStore = (*Memory)(nil)
	_ Inbox      = (*Memory)(nil)
	_ Backend    = (*Memory)(nil)
)

// NewMemory returns an empty Memory configured by opts (WithMaxEntries,
// WithMaxBytes, WithShards, WithClock, WithFailedRetention).
func NewMemory(opts ...MemoryOption) *Memory {
	c := defaultMemoryConfig()
	for _, o := range opts {
		if o != nil {
			o.applyMemory(&c)
		}
	}
	m := &Memory{}
	m.once.Do(func() { m.setup(c) })
	return m
}

func defaultMemoryConfig() memoryConfig {
	return memoryConfig{
		common:        defaultCommon(),
		maxEntries:    DefaultMaxEntries,
		maxBytes:      DefaultMaxBytes,
		maxInboxBytes: DefaultMaxInboxBytes,
		shards:        DefaultShards,
	}
}

// ready sets up a zero Memory with the defaults on first use.
func (m *Memory) ready() {
	m.once.Do(func() { m.setup(defaultMemoryConfig()) })
}

func (m *Memory) setup(c memoryConfig) {
	n := 1
	for n*2 <= c.shards && c.maxEntries/(n*2) >= minShardEntries && c.maxBytes/int64(n*2) >= minShardBytes {
		n *= 2
	}
	m.now = c.now
	m.failedRetention = c.failedRetention
	m.seed = maphash.MakeSeed()
	m.mask = uint64(n - 1)
	m.inbox = newMemInbox(c.maxEntries, c.maxInboxBytes)
	m.shards = make([]memShard, n)
	for i := range m.shards {
		s := &m.shards[i]
		s.maxEntries = min(c.maxEntries/n, math.MaxInt32) // heap indexes are int32
		s.maxBytes = c.maxBytes / int64(n)
		s.claims = newEntryTable()
		s.orders = newEntryTable()
	}
}

// memEntry is one claimed key or ordering entity. It is kept small (96
// bytes, one size class) because a Memory holds a million of them: the
// eviction time is computed from the record, and whether the entry is on
// the settled list from the list's links.
type memEntry struct {
	key   string
	claim claimRecord  // a claimed key's record
	order *orderRecord // an ordering entity's record; nil for a claimed key
	// settled list: completed keys and ordering entities, oldest first.
	prev, next *memEntry
	heapIdx    int32
	size       int32 // accounted bytes
}

// entrySize is the accounted size of an entry of n bytes of key and
// token, saturated at math.MaxInt32 (a key that large exceeds any shard).
func entrySize(n int) int32 {
	return int32(min(int64(n)+entryOverhead, math.MaxInt32)) //nolint:gosec // bounded just above
}

// isOrder reports whether e is an ordering entity.
func (e *memEntry) isOrder() bool { return e.order != nil }

// expires is when the entry becomes Absent.
func (e *memEntry) expires() int64 {
	if e.isOrder() {
		return e.order.expires
	}
	return e.claim.expires
}

// evictAt is when the entry may be evicted without losing anything a
// caller relies on: a lease's end, a release, or the retention's end.
func (e *memEntry) evictAt() int64 {
	switch {
	case e.isOrder():
		return e.order.expires
	case e.claim.state == Processing:
		return e.claim.leaseUntil
	case e.claim.state == Failed:
		return 0 // a released key can go at once
	default:
		return e.claim.expires
	}
}

// memShard is one independently locked part of a Memory.
type memShard struct {
	mu         sync.Mutex
	claims     entryTable
	orders     entryTable
	evict      entryHeap
	head, tail *memEntry
	entries    int
	bytes      int64
	maxEntries int
	maxBytes   int64
	_          [64]byte // keep shards' locks on separate cache lines
}

func (m *Memory) shard(key string) *memShard {
	return &m.shards[maphash.String(m.seed, key)&m.mask]
}

// lock locks the shard of key and reports ErrClosed after Close.
func (m *Memory) lock(key string) (*memShard, error) {
	m.ready()
	s := m.shard(key)
	s.mu.Lock()
	if m.closed.Load() {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	return s, nil
}

// Claim implements Store.
func (m *Memory) Claim(ctx context.Context, key string, lease time.Duration) (Claim, error) {
	if err := checkArgs(ctx, "claim", key); err != nil {
		return Claim{}, err
	}
	if err := checkDuration("claim", "lease", lease); err != nil {
		return Claim{}, err
	}
	m.ready()
	now := m.now()
	s, err := m.lock(key)
	if err != nil {
		return Claim{}, err
	}
	defer s.mu.Unlock()
	e := s.get(&s.claims, key, now.UnixNano())
	var cur claimRecord
	if e != nil {
		cur = e.claim
	}
	res, next, won := claimStep(cur, e != nil, now, lease, m.failedRetention)
	if !won {
		return res, nil
	}
	if e == nil {
		e = &memEntry{key: key, size: entrySize(len(key) + tokenLen)}
		if err := s.insert(&s.claims, e, now.UnixNano()); err != nil {
			return Claim{}, fmt.Errorf("store: claim: %w", err)
		}
	}
	res.Token = newToken()
	res.Fence = m.fence.Add(1)
	next.token = res.Token
	e.claim = next
	s.reindex(e)
	return res, nil
}

// Complete implements Store.
func (m *Memory) Complete(ctx context.Context, key, token string, retention time.Duration) error {
	if err := checkArgs(ctx, "complete", key); err != nil {
		return err
	}
	if err := checkDuration("complete", "retention", retention); err != nil {
		return err
	}
	return m.settle(key, func(r claimRecord, found bool, now int64) (claimRecord, bool, error) {
		return completeStep(r, found, now, token, retention)
	})
}

// Release implements Store.
func (m *Memory) Release(ctx context.Context, key, token string) error {
	if err := checkArgs(ctx, "release", key); err != nil {
		return err
	}
	return m.settle(key, func(r claimRecord, found bool, now int64) (claimRecord, bool, error) {
		return releaseStep(r, found, now, token, m.failedRetention)
	})
}

// settle applies Complete or Release to a held key.
func (m *Memory) settle(key string, step func(claimRecord, bool, int64) (claimRecord, bool, error)) error {
	m.ready()
	now := m.now().UnixNano()
	s, err := m.lock(key)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	e := s.get(&s.claims, key, now)
	var cur claimRecord
	if e != nil {
		cur = e.claim
	}
	next, changed, err := step(cur, e != nil, now)
	if err != nil || !changed {
		return err
	}
	e.claim = next
	s.reindex(e)
	return nil
}

// Extend implements Store.
func (m *Memory) Extend(ctx context.Context, key, token string, lease time.Duration) (time.Time, error) {
	if err := checkArgs(ctx, "extend", key); err != nil {
		return time.Time{}, err
	}
	if err := checkDuration("extend", "lease", lease); err != nil {
		return time.Time{}, err
	}
	var until int64
	err := m.settle(key, func(r claimRecord, found bool, now int64) (claimRecord, bool, error) {
		next, err := extendStep(r, found, now, token, lease, m.failedRetention)
		until = next.leaseUntil
		return next, err == nil, err
	})
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, until), nil
}

// Get implements Store.
func (m *Memory) Get(ctx context.Context, key string) (State, error) {
	if err := checkArgs(ctx, "get", key); err != nil {
		return Absent, err
	}
	m.ready()
	now := m.now().UnixNano()
	s, err := m.lock(key)
	if err != nil {
		return Absent, err
	}
	defer s.mu.Unlock()
	e := s.get(&s.claims, key, now)
	if e == nil {
		return Absent, nil
	}
	return stateAt(e.claim, true, now), nil
}

// Check implements OrderStore.
func (m *Memory) Check(ctx context.Context, entity string, version int64, hasVersion, terminal bool) (Verdict, error) {
	if err := checkArgs(ctx, "check", entity); err != nil {
		return 0, err
	}
	m.ready()
	now := m.now().UnixNano()
	s, err := m.lock(entity)
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	e := s.get(&s.orders, entity, now)
	if e == nil {
		return Accept, nil
	}
	return checkStep(*e.order, true, now, version, hasVersion), nil
}

// Commit implements OrderStore.
func (m *Memory) Commit(ctx context.Context, entity string, version int64, hasVersion, terminal bool, retention time.Duration) error {
	if err := checkArgs(ctx, "commit", entity); err != nil {
		return err
	}
	if err := checkDuration("commit", "retention", retention); err != nil {
		return err
	}
	m.ready()
	now := m.now().UnixNano()
	s, err := m.lock(entity)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	e := s.get(&s.orders, entity, now)
	found := e != nil
	var cur orderRecord
	if !found {
		e = &memEntry{key: entity, order: &orderRecord{}, size: entrySize(len(entity))}
		if err := s.insert(&s.orders, e, now); err != nil {
			return fmt.Errorf("store: commit: %w", err)
		}
	} else {
		cur = *e.order
	}
	*e.order = commitStep(cur, found, now, version, hasVersion, terminal, retention)
	s.reindex(e)
	return nil
}

// Acquire implements OrderStore.
func (m *Memory) Acquire(ctx context.Context, entity string, pos Position, holder string, lease time.Duration) (OrderClaim, error) {
	if err := checkArgs(ctx, "acquire", entity); err != nil {
		return OrderClaim{}, err
	}
	if err := checkDuration("acquire", "lease", lease); err != nil {
		return OrderClaim{}, err
	}
	m.ready()
	now := m.now().UnixNano()
	s, err := m.lock(entity)
	if err != nil {
		return OrderClaim{}, err
	}
	defer s.mu.Unlock()
	e := s.get(&s.orders, entity, now)
	var cur orderRecord
	if e != nil {
		cur = *e.order
	}
	res, next := acquireStep(cur, e != nil, now, pos, holder, lease)
	if res.Verdict != Accept {
		return res, nil
	}
	if e == nil {
		e = &memEntry{key: entity, order: &orderRecord{}, size: entrySize(len(entity) + tokenLen)}
		if err := s.insert(&s.orders, e, now); err != nil {
			return OrderClaim{}, fmt.Errorf("store: acquire: %w", err)
		}
	}
	res.Token = newToken()
	next.holdToken = res.Token
	*e.order = next
	s.reindex(e)
	return res, nil
}

// CommitOrder implements OrderStore.
func (m *Memory) CommitOrder(ctx context.Context, entity, token string, pos Position, retention time.Duration) error {
	if err := checkArgs(ctx, "commit order", entity); err != nil {
		return err
	}
	if err := checkDuration("commit order", "retention", retention); err != nil {
		return err
	}
	return m.settleOrder(entity, func(r orderRecord, found bool, now int64) (orderRecord, error) {
		return commitOrderStep(r, found, now, token, pos, retention)
	})
}

// AbandonOrder implements OrderStore.
func (m *Memory) AbandonOrder(ctx context.Context, entity, token string) error {
	if err := checkArgs(ctx, "abandon order", entity); err != nil {
		return err
	}
	return m.settleOrder(entity, func(r orderRecord, found bool, now int64) (orderRecord, error) {
		return abandonOrderStep(r, found, now, token)
	})
}

// ExtendOrder implements OrderStore.
func (m *Memory) ExtendOrder(ctx context.Context, entity, token string, lease time.Duration) (time.Time, error) {
	if err := checkArgs(ctx, "extend order", entity); err != nil {
		return time.Time{}, err
	}
	if err := checkDuration("extend order", "lease", lease); err != nil {
		return time.Time{}, err
	}
	var until int64
	err := m.settleOrder(entity, func(r orderRecord, found bool, now int64) (orderRecord, error) {
		next, err := extendOrderStep(r, found, now, token, lease)
		until = next.holdUntil
		return next, err
	})
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, until), nil
}

// settleOrder applies CommitOrder or AbandonOrder to a held entity.
func (m *Memory) settleOrder(entity string, step func(orderRecord, bool, int64) (orderRecord, error)) error {
	m.ready()
	now := m.now().UnixNano()
	s, err := m.lock(entity)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	e := s.get(&s.orders, entity, now)
	var cur orderRecord
	if e != nil {
		cur = *e.order
	}
	next, err := step(cur, e != nil, now)
	if err != nil {
		return err
	}
	*e.order = next
	s.reindex(e)
	return nil
}

// Len returns the number of entries (claimed keys plus ordering entities)
// the Memory holds, including expired ones not yet dropped.
func (m *Memory) Len() int {
	m.ready()
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += s.entries
		s.mu.Unlock()
	}
	return n
}

// Close drops every entry; afterwards every method returns ErrClosed. It is
// safe to call more than once and always returns nil.
func (m *Memory) Close() error {
	m.ready()
	if m.closed.Swap(true) {
		return nil
	}
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		s.claims, s.orders, s.evict = entryTable{}, entryTable{}, nil
		s.head, s.tail = nil, nil
		s.entries, s.bytes = 0, 0
		s.mu.Unlock()
	}
	m.inbox.close()
	return nil
}

// get returns the live entry for key in table, dropping an expired one.
func (s *memShard) get(table *entryTable, key string, now int64) *memEntry {
	e := table.get(key)
	if e == nil {
		return nil
	}
	if now >= e.expires() {
		s.remove(e)
		return nil
	}
	return e
}

// insert adds e to table after making room for it.
func (s *memShard) insert(table *entryTable, e *memEntry, now int64) error {
	if int64(e.size) > s.maxBytes {
		return fmt.Errorf("entry of %d bytes exceeds the shard's %d bytes: %w", e.size, s.maxBytes, ErrFull)
	}
	for s.entries+1 > s.maxEntries || s.bytes+int64(e.size) > s.maxBytes {
		switch {
		case len(s.evict) > 0 && s.evict[0].evictAt() <= now:
			s.remove(s.evict[0])
		case s.head != nil:
			s.remove(s.head)
		default:
			return fmt.Errorf("%d entries, %d bytes, all under live leases: %w", s.entries, s.bytes, ErrFull)
		}
	}
	table.put(e)
	s.entries++
	s.bytes += int64(e.size)
	e.heapIdx = -1
	return nil
}

// remove drops e from the shard.
func (s *memShard) remove(e *memEntry) {
	if e.isOrder() {
		s.orders.del(e.key)
	} else {
		s.claims.del(e.key)
	}
	if e.heapIdx >= 0 {
		heap.Remove(&s.evict, int(e.heapIdx))
	}
	s.unlist(e)
	s.entries--
	s.bytes -= int64(e.size)
}

// reindex files e under its eviction time and, when completed, at the end
// of the settled list, after its record changed.
func (s *memShard) reindex(e *memEntry) {
	// An entity under a hold is never evicted before its record expires.
	settled := (e.isOrder() && e.order.holdToken == "") || (!e.isOrder() && e.claim.state == Done)
	if e.heapIdx >= 0 {
		heap.Fix(&s.evict, int(e.heapIdx))
	} else {
		heap.Push(&s.evict, e)
	}
	s.unlist(e)
	if settled {
		e.prev, e.next = s.tail, nil
		if s.tail != nil {
			s.tail.next = e
		} else {
			s.head = e
		}
		s.tail = e
	}
}

func (s *memShard) unlist(e *memEntry) {
	if e.prev == nil && s.head != e {
		return // not on the list
	}
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		s.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

// entryHeap orders entries by evictAt (container/heap).
type entryHeap []*memEntry

func (h entryHeap) Len() int           { return len(h) }
func (h entryHeap) Less(i, j int) bool { return h[i].evictAt() < h[j].evictAt() }
func (h entryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx = int32(i)
	h[j].heapIdx = int32(j)
}

func (h *entryHeap) Push(x any) {
	e := x.(*memEntry)
	e.heapIdx = int32(len(*h))
	*h = append(*h, e)
}

func (h *entryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.heapIdx = -1
	return e
}
