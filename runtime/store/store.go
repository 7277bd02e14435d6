package store

import (
	"context"
	"errors"
	"time"
)

// State is the state of a claimed key.
type State int

const (
	// Absent: the key has never been claimed, or its record expired.
	Absent State = iota
	// Processing: a delivery holds the key under a lease.
	Processing
	// Done: a delivery with this key completed and was acknowledged.
	Done
	// Failed: the last attempt failed; the key may be claimed again.
	Failed
)

// String returns the lower-case state name.
func (s State) String() string {
	switch s {
	case Absent:
		return "absent"
	case Processing:
		return "processing"
	case Done:
		return "done"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Claim is the result of an attempt to claim a key.
type Claim struct {
	// Won is true when the caller now holds the key (state Processing under
	// its lease) and must call Complete or Release.
	Won bool
	// State is the key's state as the store saw it: Processing for the
	// winner or for a loser that met another live lease, Done for a loser
	// that met a completed key.
	State State
	// Attempt counts claims won on this key, 1 for the first.
	Attempt int
	// Token identifies the winner's lease; Complete and Release must pass it
	// so that an expired holder cannot overwrite a newer one.
	Token string
	// LeaseUntil is when the current lease expires (Processing only).
	LeaseUntil time.Time
	// Fence is the winner's fencing number (0 for a loser). It is drawn
	// from one counter per store, so it strictly increases with every claim
	// won on the key (and across keys), and durable stores keep the counter
	// across restarts. A downstream system that remembers the highest fence
	// it accepted for a key can refuse a write from an older holder.
	Fence int64
}

// ErrLeaseLost is returned by Complete and Release when the caller's lease
// expired and another delivery claimed the key since.
var ErrLeaseLost = errors.New("store: lease lost")

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("store: closed")

// ErrInvalid is wrapped by the error a method returns when an argument is
// unusable: an empty key or entity, or a lease or retention that is not
// positive. Nothing is changed.
var ErrInvalid = errors.New("store: invalid argument")

// Store is an idempotency store: an atomic claim on a key with explicit
// states (processing under a lease, done, failed) and a retention TTL.
// Implementations are safe for concurrent use by many goroutines (and, for
// shared stores, by many processes): of any number of concurrent Claims on
// one key, exactly one wins.
type Store interface {
	// Claim tries to take key for a delivery, with a lease of the given
	// length. It wins when the key is Absent, Failed, or Processing with an
	// expired lease (the holder died). It loses, changing nothing, when the
	// key is Done or Processing under a live lease.
	Claim(ctx context.Context, key string, lease time.Duration) (Claim, error)
	// Complete marks key Done, kept for retention (after which it becomes
	// Absent). A completed key that was acknowledged is never lost by a
	// durable store, even after kill -9.
	Complete(ctx context.Context, key, token string, retention time.Duration) error
	// Release marks key Failed so that the next Claim wins at once.
	Release(ctx context.Context, key, token string) error
	// Extend renews the live lease token holds on key so that it ends lease
	// from now, and returns the new end. It returns ErrLeaseLost when token
	// does not hold key under a live lease (it expired, or another claim won,
	// or the key was completed or released).
	Extend(ctx context.Context, key, token string, lease time.Duration) (time.Time, error)
	// Get returns the key's current state without changing it. A key whose
	// holder's lease expired without Complete or Release reports Failed: it
	// may be claimed again at once.
	Get(ctx context.Context, key string) (State, error)
	// Close releases the store's resources; it is safe to call twice.
	Close() error
}

// Verdict is the ordering guard's answer for one message.
type Verdict int

const (
	// Accept: the message moves its entity forward; process it.
	Accept Verdict = iota + 1
	// Stale: an older version than the last seen; drop it.
	Stale
	// AfterTerminal: the entity is already closed; drop it.
	AfterTerminal
	// Busy: another message of the entity holds it under a live lease
	// (Acquire only); try again later.
	Busy
)

// String returns the verdict name.
func (v Verdict) String() string {
	switch v {
	case Accept:
		return "accept"
	case Stale:
		return "stale"
	case AfterTerminal:
		return "after-terminal"
	case Busy:
		return "busy"
	}
	return "unknown"
}

// Position is where a message sits in its entity's lifecycle: its version
// (when HasVersion) and whether it closes the entity (Terminal).
type Position struct {
	Version    int64
	HasVersion bool
	Terminal   bool
}

// OrderClaim is the answer of OrderStore.Acquire.
type OrderClaim struct {
	// Verdict is Accept when the caller now holds the entity (and must call
	// CommitOrder or AbandonOrder with Token), else Stale, AfterTerminal or
	// Busy, and nothing changed.
	Verdict Verdict
	// Token identifies the hold (Accept only).
	Token string
	// Until is when the hold's lease ends (Accept), or when the other
	// holder's lease ends (Busy).
	Until time.Time
}

// OrderStore keeps each entity's lifecycle position for the ordering guard.
//
// Acquire checks a message against the entity's committed position and,
// when the message may be processed, holds the entity for it in the same
// atomic step, so that no other message of the entity is processed until
// the holder calls CommitOrder (after its handler succeeded) or
// AbandonOrder (when it failed and will be retried), or its lease ends.
// A stale or after-close message therefore can never run concurrently with
// a newer one. Rules: once a terminal message was committed, every later
// message is AfterTerminal; a versioned message older than the newest
// committed version is Stale; an equal or newer version, an unversioned
// message, or a first terminal message is Accept, unless another holder
// has the entity under a live lease (Busy). An Acquire by the holder name
// that holds the entity under a live lease takes the hold over (a new
// token; the old one is refused), so a delivery retried after its worker
// died need not wait for the lease.
//
// Check and Commit are the earlier two-step form, kept until every caller
// uses Acquire: Check answers without holding anything and Commit advances
// the entity without a hold.
type OrderStore interface {
	// Acquire checks pos against entity's committed position and, when
	// acceptable and the entity is not held by another, holds the entity
	// for holder for lease.
	Acquire(ctx context.Context, entity string, pos Position, holder string, lease time.Duration) (OrderClaim, error)
	// CommitOrder records a processed message and releases the hold: the
	// entity's version becomes the maximum of the stored and given versions
	// and it becomes terminal if pos.Terminal. The position is kept for
	// retention. ErrLeaseLost when token no longer holds the entity.
	CommitOrder(ctx context.Context, entity, token string, pos Position, retention time.Duration) error
	// AbandonOrder releases the hold without advancing the entity.
	// ErrLeaseLost when token no longer holds the entity.
	AbandonOrder(ctx context.Context, entity, token string) error
	// ExtendOrder renews the live hold token has on entity so that it ends
	// lease from now, and returns the new end, so that a slow handler keeps
	// the entity. ErrLeaseLost when token no longer holds it under a live
	// lease.
	ExtendOrder(ctx context.Context, entity, token string, lease time.Duration) (time.Time, error)

	// Check says whether a message at version (when hasVersion) may be
	// processed, without changing anything. Rules: once a terminal message
	// was committed, every later message is AfterTerminal; a versioned
	// message older than the newest committed version is Stale; an equal or
	// newer version is Accept (the idempotency store decides whether it is a
	// duplicate); a terminal message is Accept unless a terminal was already
	// committed.
	Check(ctx context.Context, entity string, version int64, hasVersion, terminal bool) (Verdict, error)
	// Commit records a processed message: the entity's version becomes the
	// maximum of the stored and given versions and it becomes terminal if
	// terminal is set. It is atomic per entity and monotonic, so concurrent
	// commits in any order leave the same state. State is kept for retention
	// after the last commit.
	Commit(ctx context.Context, entity string, version int64, hasVersion, terminal bool, retention time.Duration) error
}
