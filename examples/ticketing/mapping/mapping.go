// Package mapping turns vendor events into ticket actions. It is plain Go
// meant to be edited: each family has a file with one function per event
// (what opens, updates or resolves a ticket, with which title, note and
// correlation key) and a handler that applies the actions.
package mapping

import (
	"context"
	"errors"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/ticket"
)

// Applier applies ticket actions; *ticket.Engine is one.
type Applier interface {
	Apply(ctx context.Context, a ticket.Action) (ticket.Result, error)
}

// apply applies a, ordered by when d was received (an action older than
// the newest one applied to its entity changes nothing, so deliveries that
// durable workers run out of order after an outage cannot reopen a
// resolved ticket), and maps failures to the receiver's outcomes: a
// request the tracker refused (or a bad action) is rejected
// (dead-lettered); any other failure — the tracker down, another replica
// creating the same ticket — is retried.
func apply(ctx context.Context, t Applier, d *runtime.Delivery, a ticket.Action) error {
	if a.At.IsZero() {
		a.At = d.ReceivedAt
	}
	_, err := t.Apply(ctx, a)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ticket.ErrRejected), errors.Is(err, ticket.ErrInvalid):
		return runtime.Reject(err)
	default:
		return runtime.Retry(err, 0)
	}
}

// deref returns *p, or def when p is nil or empty.
func deref(p *string, def string) string {
	if p == nil || *p == "" {
		return def
	}
	return *p
}
