package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrDuplicate is returned by Inbox.Put when the inbox already holds an
// entry with the same Family and ID; the existing entry's Duplicates count
// was incremented.
var ErrDuplicate = errors.New("store: duplicate entry")

// ErrNotFound is returned when an inbox entry does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrUnsupported is returned by the methods a backend does not provide,
// such as the inbox of the Redis backend.
var ErrUnsupported = errors.New("store: unsupported")

// EntryState is the state of an inbox entry.
type EntryState int

const (
	// Pending: waiting to be processed (or being processed under a lease).
	Pending EntryState = iota + 1
	// EntryDone: processed, or acknowledged without processing (see Reason).
	EntryDone
	// Dead: given up on (dead letter); the operator may replay it.
	Dead
)

// String returns the lower-case state name.
func (s EntryState) String() string {
	switch s {
	case Pending:
		return "pending"
	case EntryDone:
		return "done"
	case Dead:
		return "dead"
	}
	return "unknown"
}

// ParseEntryState returns the state named by s ("pending", "done", "dead").
func ParseEntryState(s string) (EntryState, bool) {
	for _, st := range []EntryState{Pending, EntryDone, Dead} {
		if st.String() == s {
			return st, true
		}
	}
	return 0, false
}

// Reasons an entry is Done or Dead, kept in Entry.Reason.
const (
	ReasonProcessed    = "processed"
	ReasonUnhandled    = "unhandled"
	ReasonUnknownEvent = "unknown-event"
	ReasonStale        = "stale"
	ReasonAfterClose   = "after-close"
	ReasonQuarantined  = "quarantined"
	ReasonExhausted    = "exhausted"
	ReasonInvalid      = "invalid"
)

// MaxLastError is the most bytes of Entry.LastError a store keeps; longer
// errors are cut.
const MaxLastError = 1024

// Entry is one delivery kept by an Inbox: a durable hand-off waiting for a
// worker (Pending), a record of a processed delivery (EntryDone), or a dead
// letter (Dead).
type Entry struct {
	// ID is the delivery id, unique per Family.
	ID string
	// Family, Webhook and Event name what was delivered; Key is its
	// idempotency key.
	Family, Webhook, Event, Key string
	// Entity is the ordering entity. Entries of one Family with the same
	// non-empty Entity are leased one at a time, oldest first.
	Entity string
	// Method, Path and RawQuery are the request line.
	Method, Path, RawQuery string
	// Header holds only the headers the handler may need, redacted by the
	// caller.
	Header http.Header
	// Body is the raw request body.
	Body []byte
	// ReceivedAt is when the delivery arrived; the store sets it to now
	// when zero. Entries are listed newest first by it.
	ReceivedAt time.Time
	// State is the entry's state; Put treats 0 as Pending.
	State EntryState
	// Reason says why an entry is Done or Dead (see the Reason constants).
	Reason string
	// Attempts counts the times the entry was leased.
	Attempts int
	// NextAt is when a Pending entry is due; zero means at once.
	NextAt time.Time
	// LastError is the last failure, cut to MaxLastError bytes.
	LastError string
	// Duplicates counts the duplicates of this delivery suppressed by Put.
	Duplicates int
	// UpdatedAt is when the store last changed the entry.
	UpdatedAt time.Time
}

// Leased is an entry handed to a worker by Inbox.Lease.
type Leased struct {
	Entry
	// Token identifies the lease; ExtendLease and Settle must pass it.
	Token string
	// Fence is the lease's fencing number: it strictly increases with
	// every lease of the entry.
	Fence int64
}

// Settlement is how a worker settles a leased entry.
type Settlement struct {
	// State is EntryDone, Pending (retry at NextAt) or Dead.
	State EntryState
	// Reason is kept in Entry.Reason.
	Reason string
	// NextAt is when a Pending entry is due again; zero means at once.
	NextAt time.Time
	// Err is kept in Entry.LastError (cut to MaxLastError bytes).
	Err string
}

// Query selects inbox entries for List and Purge.
type Query struct {
	// Family limits the entries to one family; empty means every family.
	Family string
	// State limits the entries to one state; 0 means any.
	State EntryState
	// Since keeps entries received at or after it; zero means no bound.
	Since time.Time
	// Before keeps entries received before it; zero means no bound.
	Before time.Time
	// After is the cursor of the page to continue after (Page.Next); empty
	// starts at the newest entry. List only.
	After string
	// Limit is the page size; 0 means DefaultPageSize, and it is capped at
	// MaxPageSize. List only.
	Limit int
}

// Page sizes of List.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Page is one page of List.
type Page struct {
	// Entries are newest first (by ReceivedAt, then ID).
	Entries []Entry
	// Next is the cursor of the following page, empty on the last one.
	Next string
}

// Inbox keeps deliveries: the durable hand-off between acknowledging a
// delivery and processing it, the records of processed deliveries and the
// dead letter, in one place per backend.
type Inbox interface {
	// Put stores e. It is durable before Put returns (for the durable
	// backends). When the inbox already holds e.Family and e.ID it returns
	// ErrDuplicate and increments the existing entry's Duplicates.
	Put(ctx context.Context, e Entry) error
	// Lease hands out up to n due Pending entries, each leased for lease
	// and its Attempts incremented. An entry is not handed out while an
	// earlier (by ReceivedAt, then ID) Pending entry of the same Family and
	// non-empty Entity exists, leased or not. An entry whose lease expired
	// without Settle is handed out again.
	Lease(ctx context.Context, n int, lease time.Duration) ([]Leased, error)
	// ExtendLease renews the live lease token holds on the entry;
	// ErrLeaseLost when it expired or the entry was leased again or settled.
	ExtendLease(ctx context.Context, id, family, token string, lease time.Duration) error
	// Settle ends the lease token holds and moves the entry to s.State.
	// ErrLeaseLost when token no longer holds the entry.
	Settle(ctx context.Context, id, family, token string, s Settlement) error
	// GetEntry returns an entry, or ErrNotFound. (It is not named Get,
	// which Store uses for a claim's state.)
	GetEntry(ctx context.Context, family, id string) (Entry, error)
	// List returns a page of the entries q selects, newest first.
	List(ctx context.Context, q Query) (Page, error)
	// Replay makes a Done or Dead entry Pending, due now, with Attempts
	// reset. A Pending entry is left as it is. ErrNotFound when absent.
	Replay(ctx context.Context, family, id string) error
	// Purge deletes the entries q selects (After and Limit are ignored)
	// and returns how many it deleted.
	Purge(ctx context.Context, q Query) (int, error)
}

// Backend is one store owning all delivery state of a backend: idempotency
// claims, ordering, and the inbox (hand-off, records, dead letter).
type Backend interface {
	Store
	OrderStore
	Inbox
}

// This part holds what every Inbox implementation shares: argument checks,
// the normal form of a stored entry, and the List cursor.

// NormalizeEntry checks e for Put and returns it in the form a store keeps:
// State 0 becomes Pending, a zero ReceivedAt becomes now, times are UTC
// with microsecond precision (what every backend can keep), UpdatedAt is
// now and LastError is cut to MaxLastError bytes. It returns an error
// wrapping ErrInvalid when ID or Family is empty, Family holds a NUL byte,
// or State is unknown. It is exported for the backends in other packages.
func NormalizeEntry(e Entry, now time.Time) (Entry, error) {
	switch {
	case e.ID == "":
		return e, fmt.Errorf("store: put: empty id: %w", ErrInvalid)
	case e.Family == "" || strings.IndexByte(e.Family, 0) >= 0:
		return e, fmt.Errorf("store: put: family %q is empty or holds a NUL byte: %w", e.Family, ErrInvalid)
	case e.State < 0 || e.State > Dead:
		return e, fmt.Errorf("store: put: state %d: %w", e.State, ErrInvalid)
	}
	if e.State == 0 {
		e.State = Pending
	}
	if e.ReceivedAt.IsZero() {
		e.ReceivedAt = now
	}
	e.ReceivedAt = Micro(e.ReceivedAt)
	if !e.NextAt.IsZero() {
		e.NextAt = Micro(e.NextAt)
	}
	e.UpdatedAt = Micro(now)
	e.LastError = CutError(e.LastError)
	e.Header = e.Header.Clone()
	e.Body = bytes.Clone(e.Body)
	return e, nil
}

// Micro returns t in UTC cut to microseconds, the precision every backend
// keeps.
func Micro(t time.Time) time.Time {
	return time.UnixMicro(t.UnixMicro()).UTC()
}

// CutError cuts s to at most MaxLastError bytes without splitting a UTF-8
// sequence.
func CutError(s string) string {
	if len(s) <= MaxLastError {
		return s
	}
	s = s[:MaxLastError]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// CheckSettlement returns an error wrapping ErrInvalid when s.State is
// not EntryDone, Pending or Dead.
func CheckSettlement(s Settlement) error {
	if s.State < Pending || s.State > Dead {
		return fmt.Errorf("store: settle: state %d: %w", s.State, ErrInvalid)
	}
	return nil
}

// CheckEntryKey returns an error wrapping ErrInvalid when family or id is
// empty.
func CheckEntryKey(ctx context.Context, op, family, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if family == "" || id == "" {
		return fmt.Errorf("store: %s: empty family or id: %w", op, ErrInvalid)
	}
	return nil
}

// PageLimit returns the page size of q.
func PageLimit(q Query) int {
	switch {
	case q.Limit <= 0:
		return DefaultPageSize
	case q.Limit > MaxPageSize:
		return MaxPageSize
	}
	return q.Limit
}

// Cursor is the position of an entry in List order: newest ReceivedAt
// first, then Family and ID descending.
type Cursor struct {
	ReceivedAt int64 // Unix microseconds
	Family, ID string
}

// CursorOf returns the cursor of e.
func CursorOf(e Entry) Cursor {
	return Cursor{ReceivedAt: e.ReceivedAt.UnixMicro(), Family: e.Family, ID: e.ID}
}

// Before reports whether c comes before d in List order (c is newer).
func (c Cursor) Before(d Cursor) bool {
	if c.ReceivedAt != d.ReceivedAt {
		return c.ReceivedAt > d.ReceivedAt
	}
	if c.Family != d.Family {
		return c.Family > d.Family
	}
	return c.ID > d.ID
}

// String encodes c as an opaque Page.Next.
func (c Cursor) String() string {
	b := binary.AppendVarint(nil, c.ReceivedAt)
	b = binary.AppendUvarint(b, uint64(len(c.Family)))
	b = append(b, c.Family...)
	b = append(b, c.ID...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseCursor decodes a Query.After; an error wraps ErrInvalid.
func ParseCursor(s string) (Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	d := decoder{b: b}
	c := Cursor{ReceivedAt: d.varint()}
	c.Family = d.str()
	if err != nil || d.bad {
		return Cursor{}, fmt.Errorf("store: list: bad cursor %q: %w", s, ErrInvalid)
	}
	c.ID = string(d.b)
	return c, nil
}

// Matches reports whether e is selected by q's Family, State, Since and
// Before (not by its cursor).
func (q Query) Matches(e Entry) bool {
	return (q.Family == "" || e.Family == q.Family) &&
		(q.State == 0 || e.State == q.State) &&
		(q.Since.IsZero() || !e.ReceivedAt.Before(Micro(q.Since))) &&
		(q.Before.IsZero() || e.ReceivedAt.Before(Micro(q.Before)))
}
