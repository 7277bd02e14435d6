package ticket

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync"
	"time"
)

// Kind is what an Action does.
type Kind int

const (
	// Open opens the entity's ticket, or updates it when it is open and the
	// fingerprint changed.
	Open Kind = iota + 1
	// Note adds a note to the entity's open ticket.
	Note
	// Resolve resolves the entity's open ticket with a reason.
	Resolve
)

// String returns the kind's lower-case name.
func (k Kind) String() string {
	switch k {
	case Open:
		return "open"
	case Note:
		return "note"
	case Resolve:
		return "resolve"
	}
	return "unknown"
}

// AfterResolve says what an Open does once the entity's ticket was resolved.
type AfterResolve int

const (
	// Ignore: the resolved ticket is final; later events change nothing
	// (StackState: nothing after close).
	Ignore AfterResolve = iota
	// Reopen: a new failure opens a new ticket (failure/success families).
	Reopen
)

// Action is one ticket action a mapping layer derives from an event.
type Action struct {
	// Kind is what to do.
	Kind Kind
	// Key identifies the entity (e.g. "stackstate/<notificationId>").
	Key string
	// Subject is the ticket's title (Open).
	Subject string
	// Description is the body of a new ticket (Open).
	Description string
	// Fingerprint identifies the entity's state (e.g. state and title). An
	// Open or Note whose fingerprint equals the last one applied changes
	// nothing; an empty fingerprint on a Note always adds it.
	Fingerprint string
	// Note is the comment added on an update (Open whose fingerprint
	// changed, or Note).
	Note string
	// NoteOnCreate adds Note to a ticket right after creating it.
	NoteOnCreate bool
	// Reason is the resolution note (Resolve).
	Reason string
	// AfterResolve is what an Open does after the ticket was resolved.
	AfterResolve AfterResolve
	// Additive marks an action whose note records an event of its own (a
	// failed execution, a partial success) rather than a new state: when
	// it is older than the newest action applied, it is still added to an
	// open ticket (it never reopens a resolved one).
	Additive bool
	// At orders the entity's actions (typically when the delivery was
	// received): an action older than the newest one applied changes
	// nothing, and a resolve with no ticket is remembered, so that a
	// failure and its success processed out of order (after an outage,
	// by parallel workers) leave no ticket open. Zero disables the check.
	At time.Time
}

// Outcome is what Apply did.
type Outcome int

const (
	// Skipped: nothing to do (duplicate, no open ticket, after resolve).
	Skipped Outcome = iota + 1
	// Created: a ticket was opened (or found again and recorded).
	Created
	// Updated: a note or title change was applied.
	Updated
	// Resolved: the ticket was resolved.
	Resolved
)

// String returns the outcome's lower-case name.
func (o Outcome) String() string {
	switch o {
	case Skipped:
		return "skipped"
	case Created:
		return "created"
	case Updated:
		return "updated"
	case Resolved:
		return "resolved"
	}
	return "unknown"
}

// Result reports what Apply did and to which ticket.
type Result struct {
	// Outcome is what was done.
	Outcome Outcome
	// TicketID is the entity's ticket, when it has one.
	TicketID string
}

// Engine applies Actions through a Tracker, correlating entities to tickets
// in a Correlations store. It is safe for concurrent use.
type Engine struct {
	tracker Tracker
	corr    Correlations
	lease   time.Duration
	locks   [64]sync.Mutex
}

// EngineOption configures an Engine.
type EngineOption func(*Engine)

// WithClaimLease sets how long a claim to create a ticket is held before
// another worker may take it over (default 30s). It must outlast a tracker
// round trip.
func WithClaimLease(d time.Duration) EngineOption {
	return func(e *Engine) { e.lease = d }
}

// NewEngine returns an Engine over tracker and corr.
func NewEngine(tracker Tracker, corr Correlations, opts ...EngineOption) *Engine {
	e := &Engine{tracker: tracker, corr: corr, lease: 30 * time.Second}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Apply performs a. Errors wrap ErrUnavailable or ErrBusy when a retry may
// succeed, ErrRejected when the tracker refused, ErrInvalid for a bad action.
func (e *Engine) Apply(ctx context.Context, a Action) (Result, error) {
	if a.Key == "" {
		return Result{}, fmt.Errorf("%w: action without a key", ErrInvalid)
	}
	mu := e.lock(a.Key)
	mu.Lock()
	defer mu.Unlock()
	switch a.Kind {
	case Open:
		return e.open(ctx, a)
	case Note:
		return e.note(ctx, a)
	case Resolve:
		return e.resolve(ctx, a)
	}
	return Result{}, fmt.Errorf("%w: unknown action kind %d", ErrInvalid, a.Kind)
}

func (e *Engine) lock(key string) *sync.Mutex {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return &e.locks[h.Sum32()%uint32(len(e.locks))]
}

// TrackerKey is the correlation key stored on the tracker for generation gen
// of entity key: the key itself for the first ticket, key#gen after.
func TrackerKey(key string, gen int) string {
	if gen <= 1 {
		return key
	}
	return key + "#" + strconv.Itoa(gen)
}

// stale reports whether a is older than the newest action applied to ent
// and must change nothing: an additive action on an open ticket is never
// stale.
func stale(a Action, ent Entry) bool {
	if a.Additive && ent.TicketID != "" && !ent.Resolved {
		return false
	}
	return !a.At.IsZero() && a.At.Before(ent.At)
}

// later returns the newer of the entry's and the action's times.
func later(ent Entry, a Action) time.Time {
	if a.At.After(ent.At) {
		return a.At
	}
	return ent.At
}

func (e *Engine) open(ctx context.Context, a Action) (Result, error) {
	ent, ok, err := e.corr.Get(ctx, a.Key)
	if err != nil {
		return Result{}, err
	}
	if ok && stale(a, ent) {
		return Result{Outcome: Skipped, TicketID: ent.TicketID}, nil
	}
	if ok && ent.TicketID != "" && !ent.Resolved {
		return e.update(ctx, a, ent)
	}
	if ok && ent.Resolved && a.AfterResolve == Ignore {
		return Result{Outcome: Skipped, TicketID: ent.TicketID}, nil
	}
	c, err := e.corr.Claim(ctx, a.Key, e.lease)
	if err != nil {
		return Result{}, err
	}
	if !c.Won {
		if c.Entry.TicketID != "" && !c.Entry.Resolved {
			if stale(a, c.Entry) {
				return Result{Outcome: Skipped, TicketID: c.Entry.TicketID}, nil
			}
			return e.update(ctx, a, c.Entry)
		}
		return Result{}, fmt.Errorf("%w: %s", ErrBusy, a.Key)
	}
	return e.create(ctx, a, c)
}

func (e *Engine) create(ctx context.Context, a Action, c Claim) (Result, error) {
	tk := TrackerKey(a.Key, c.Entry.Generation)
	t, found, err := e.tracker.FindByCorrelation(ctx, tk)
	if err == nil && !found {
		t, err = e.tracker.Create(ctx, NewTicket{Key: tk, Subject: a.Subject, Description: a.Description})
	}
	if err != nil {
		return Result{}, errors.Join(err, e.corr.Release(ctx, a.Key, c.Token))
	}
	noteNow := a.NoteOnCreate && a.Note != ""
	fp := a.Fingerprint
	if noteNow {
		// Recorded without the fingerprint: the note is added as an update,
		// so that a retry after a failed note adds it then.
		fp = ""
	}
	at := later(c.Entry, a)
	if err := e.corr.Record(ctx, a.Key, c.Token, Entry{TicketID: t.ID, Fingerprint: fp, At: at}); err != nil {
		return Result{}, err
	}
	if noteNow {
		a.Subject = ""
		if _, err := e.update(ctx, a, Entry{TicketID: t.ID, Generation: c.Entry.Generation, At: at}); err != nil {
			return Result{}, err
		}
	}
	return Result{Outcome: Created, TicketID: t.ID}, nil
}

// update applies a's note and title to the open ticket of ent when a's
// fingerprint differs from the stored one. The fingerprint is swapped in
// first, so of replicas applying the same update only one adds the note;
// it is swapped back when the tracker fails, so that a retry adds it.
func (e *Engine) update(ctx context.Context, a Action, ent Entry) (Result, error) {
	ch := Change{Note: a.Note, Subject: a.Subject, Key: TrackerKey(a.Key, ent.Generation)}
	if a.Fingerprint == "" {
		if err := e.tracker.Update(ctx, ent.TicketID, ch); err != nil {
			return Result{}, err
		}
		return Result{Outcome: Updated, TicketID: ent.TicketID}, nil
	}
	for range 3 {
		if ent.Fingerprint == a.Fingerprint {
			return Result{Outcome: Skipped, TicketID: ent.TicketID}, nil
		}
		next := ent
		next.Fingerprint, next.At = a.Fingerprint, later(ent, a)
		ok, err := e.corr.Swap(ctx, a.Key, ent, next)
		if err != nil {
			return Result{}, err
		}
		if ok {
			if err := e.tracker.Update(ctx, ent.TicketID, ch); err != nil {
				_, rerr := e.corr.Swap(ctx, a.Key, next, ent)
				return Result{}, errors.Join(err, rerr)
			}
			return Result{Outcome: Updated, TicketID: ent.TicketID}, nil
		}
		cur, found, err := e.corr.Get(ctx, a.Key)
		if err != nil {
			return Result{}, err
		}
		if !found || cur.TicketID != ent.TicketID || cur.Resolved || stale(a, cur) {
			return Result{Outcome: Skipped, TicketID: ent.TicketID}, nil
		}
		ent = cur
	}
	return Result{}, fmt.Errorf("%w: %s changing concurrently", ErrBusy, a.Key)
}

func (e *Engine) note(ctx context.Context, a Action) (Result, error) {
	ent, ok, err := e.corr.Get(ctx, a.Key)
	if err != nil {
		return Result{}, err
	}
	if !ok || ent.TicketID == "" || ent.Resolved || stale(a, ent) {
		return Result{Outcome: Skipped, TicketID: ent.TicketID}, nil
	}
	a.Subject = ""
	return e.update(ctx, a, ent)
}

// resolve resolves the entity's open ticket. The resolved flag is swapped
// in first, so of replicas resolving at once only one calls the tracker.
func (e *Engine) resolve(ctx context.Context, a Action) (Result, error) {
	for range 3 {
		ent, ok, err := e.corr.Get(ctx, a.Key)
		if err != nil {
			return Result{}, err
		}
		if ok && stale(a, ent) {
			return Result{Outcome: Skipped, TicketID: ent.TicketID}, nil
		}
		if ent.TicketID == "" && !ent.Resolved && !a.At.IsZero() {
			// No ticket: remember the resolve's time, so that an older
			// failure applied after it opens nothing. Under a claim of its
			// own, so as not to race a worker creating the ticket.
			done, err := e.markResolved(ctx, a)
			if err != nil || done {
				return Result{Outcome: Skipped}, err
			}
			continue
		}
		if ent.TicketID == "" || ent.Resolved {
			if ent.Resolved && a.At.After(ent.At) {
				next := ent
				next.At = a.At
				if _, err := e.corr.Swap(ctx, a.Key, ent, next); err != nil {
					return Result{}, err
				}
			}
			return Result{Outcome: Skipped, TicketID: ent.TicketID}, nil
		}
		next := ent
		next.Resolved, next.At = true, later(ent, a)
		swapped, err := e.corr.Swap(ctx, a.Key, ent, next)
		if err != nil {
			return Result{}, err
		}
		if !swapped {
			continue // changed meanwhile by another worker: look again
		}
		if err := e.tracker.Resolve(ctx, ent.TicketID, a.Reason); err != nil {
			_, rerr := e.corr.Swap(ctx, a.Key, next, ent)
			return Result{}, errors.Join(err, rerr)
		}
		return Result{Outcome: Resolved, TicketID: ent.TicketID}, nil
	}
	return Result{}, fmt.Errorf("%w: %s changing concurrently", ErrBusy, a.Key)
}

// markResolved leaves a resolved mark with a's time on a key that has no
// ticket. It reports false when a ticket appeared meanwhile (the caller
// looks again) and ErrBusy while another worker is creating one.
func (e *Engine) markResolved(ctx context.Context, a Action) (bool, error) {
	c, err := e.corr.Claim(ctx, a.Key, e.lease)
	if err != nil {
		return false, err
	}
	if !c.Won {
		if c.Entry.TicketID != "" {
			return false, nil
		}
		return false, fmt.Errorf("%w: %s", ErrBusy, a.Key)
	}
	next := c.Entry
	next.Resolved, next.At = true, later(c.Entry, a)
	_, err = e.corr.Swap(ctx, a.Key, c.Entry, next)
	return true, errors.Join(err, e.corr.Release(ctx, a.Key, c.Token))
}
