package receiver

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Quarantined is one delivery that was set aside instead of being
// processed: the handler rejected it, the handler panicked on it, or (for
// senders that retry until success) its payload was invalid. It holds the
// delivery as received, so that it can be inspected and replayed, minus the
// credentials: headers and query parameters that carry secrets are
// redacted.
type Quarantined struct {
	// ID is the delivery id.
	ID string `json:"id"`
	// Family, Webhook and Event say where the delivery came in; Event is
	// empty when the payload could not be decoded.
	Family  string `json:"family"`
	Webhook string `json:"webhook"`
	Event   string `json:"event,omitempty"`
	// Key is the idempotency key ("" when none).
	Key string `json:"key,omitempty"`
	// Method, Path and RawQuery are the request line.
	Method   string `json:"method"`
	Path     string `json:"path"`
	RawQuery string `json:"rawQuery,omitempty"`
	// Header holds the request headers, credentials redacted.
	Header http.Header `json:"header,omitempty"`
	// Body is the raw body exactly as received (a copy owned by the record).
	Body []byte `json:"body"`
	// Outcome is why it was quarantined: "rejected", "panic" or "invalid".
	Outcome string `json:"outcome"`
	// Reason is the error that caused the quarantine.
	Reason string `json:"reason"`
	// Attempt is the attempt number of the delivery.
	Attempt int `json:"attempt"`
	// ReceivedAt is when the delivery arrived.
	ReceivedAt time.Time `json:"receivedAt"`
}

// DeadLetter stores quarantined deliveries. Quarantine must not return
// before q is stored as durably as the implementation promises: the
// receiver acknowledges the delivery only after it returns nil, and answers
// 503 + Retry-After when it fails. Implementations are safe for concurrent
// use.
type DeadLetter interface {
	Quarantine(ctx context.Context, q Quarantined) error
}

// MemoryDeadLetter is a bounded, in-memory DeadLetter: when full, the oldest
// record is evicted (and counted in Evicted). It loses everything on
// restart; use a store with an inbox (bolt, PostgreSQL) in production. The
// zero value is not usable; call NewMemoryDeadLetter. It is safe for
// concurrent use.
type MemoryDeadLetter struct {
	mu      sync.Mutex
	max     int
	items   []Quarantined
	evicted int
}

// NewMemoryDeadLetter returns a dead letter that keeps at most max records
// (DefaultDeadLetterSize when max <= 0).
func NewMemoryDeadLetter(max int) *MemoryDeadLetter {
	if max <= 0 {
		max = DefaultDeadLetterSize
	}
	return &MemoryDeadLetter{max: max}
}

// Quarantine stores q, evicting the oldest record when full. It never fails.
func (m *MemoryDeadLetter) Quarantine(_ context.Context, q Quarantined) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.items) >= m.max {
		m.items = slices.Delete(m.items, 0, len(m.items)-m.max+1)
		m.evicted++
	}
	m.items = append(m.items, q)
	return nil
}

// List returns the stored records, oldest first. The slice is a copy; the
// records' Body and Header must not be modified.
func (m *MemoryDeadLetter) List() []Quarantined {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.items)
}

// Len returns the number of stored records.
func (m *MemoryDeadLetter) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

// Evicted returns how many records were evicted because the list was full.
func (m *MemoryDeadLetter) Evicted() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.evicted
}
