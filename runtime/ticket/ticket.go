package ticket

import (
	"context"
	"errors"
	"time"
)

// Ticket is a ticket as the tracker reports it.
type Ticket struct {
	// ID is the tracker's id of the ticket (a Redmine issue number).
	ID string
	// Subject is the ticket's title without the correlation marker.
	Subject string
	// Status is the tracker's name for the ticket's status.
	Status string
}

// NewTicket is what Tracker.Create needs.
type NewTicket struct {
	// Key is the correlation key the tracker stores on the ticket so that
	// FindByCorrelation finds it again.
	Key string
	// Subject is the ticket's title.
	Subject string
	// Description is the ticket's body.
	Description string
}

// Change is an update to an open ticket.
type Change struct {
	// Note is added as a comment when not empty.
	Note string
	// Subject replaces the title when not empty.
	Subject string
	// Key is the correlation key, kept on the ticket when the title changes.
	Key string
}

// Tracker is an issue tracker's API. Implementations are safe for
// concurrent use.
type Tracker interface {
	// Create opens a ticket carrying nt.Key.
	Create(ctx context.Context, nt NewTicket) (Ticket, error)
	// Update adds a note and/or changes the title of ticket id.
	Update(ctx context.Context, id string, c Change) error
	// Resolve moves ticket id to the tracker's resolved status with reason as
	// its note.
	Resolve(ctx context.Context, id, reason string) error
	// FindByCorrelation returns the ticket carrying key, in any status, and
	// whether there is one.
	FindByCorrelation(ctx context.Context, key string) (Ticket, bool, error)
}

// Errors of the ticket package. Tracker implementations wrap
// ErrUnavailable for failures worth retrying (the tracker is down or
// answered 5xx) and ErrRejected for requests the tracker refused.
var (
	// ErrUnavailable: the tracker could not be reached or failed; retry later.
	ErrUnavailable = errors.New("ticket: tracker unavailable")
	// ErrRejected: the tracker refused the request (validation, permission).
	ErrRejected = errors.New("ticket: tracker rejected the request")
	// ErrBusy: another worker holds the claim to open this entity's ticket;
	// retry later.
	ErrBusy = errors.New("ticket: entity claimed by another worker")
	// ErrLeaseLost: the claim expired and another worker took it.
	ErrLeaseLost = errors.New("ticket: claim lost")
	// ErrInvalid: an action or argument is unusable.
	ErrInvalid = errors.New("ticket: invalid argument")
)

// Entry is what the Correlations store keeps for one entity key.
type Entry struct {
	// TicketID is the open (or last) ticket of the entity; empty while a
	// claim to create it is outstanding.
	TicketID string
	// Generation counts the tickets opened for the entity, from 1. A
	// failure after a resolved ticket opens generation+1.
	Generation int
	// Resolved is set once the ticket was resolved.
	Resolved bool
	// Fingerprint identifies the last state applied (state and title), so
	// that a repeated event changes nothing.
	Fingerprint string
	// At is the time of the newest action applied (Action.At); an older
	// action is stale and changes nothing.
	At time.Time
}

// Claim is the result of Correlations.Claim.
type Claim struct {
	// Won: the caller must create the ticket for Entry.Generation and call
	// Record with Token (or Release).
	Won bool
	// Token identifies the winner's claim.
	Token string
	// Entry is the key's entry after the claim.
	Entry Entry
}

// Correlations maps entity keys to tickets. Implementations are safe for
// concurrent use; shared implementations (PostgreSQL) also across
// processes: of concurrent Claims on one key, at most one wins.
type Correlations interface {
	// Get returns the entry for key and whether there is one.
	Get(ctx context.Context, key string) (Entry, bool, error)
	// Claim takes the right to open a ticket for key, under a lease. It wins
	// when the key has no ticket (or only a resolved one, then Generation is
	// incremented) and no live claim. It loses, changing nothing, when the
	// key has an open ticket (Entry tells which) or a live claim (Entry has
	// no TicketID).
	Claim(ctx context.Context, key string, lease time.Duration) (Claim, error)
	// Record stores the ticket created under a claim (e's TicketID,
	// Fingerprint and At; the entry is open) and ends the claim.
	Record(ctx context.Context, key, token string, e Entry) error
	// Release ends a claim without a ticket.
	Release(ctx context.Context, key, token string) error
	// Swap replaces key's entry old with new when the stored entry (a zero
	// Entry when the key is absent) still equals old in ticket id,
	// generation, fingerprint, resolved flag and time, and reports whether
	// it did. Only the fingerprint, resolved flag and time change. It is how
	// one worker among replicas takes the right to apply an update or
	// resolve, and how a resolve with no ticket leaves its time behind.
	Swap(ctx context.Context, key string, old, new Entry) (bool, error)
}
