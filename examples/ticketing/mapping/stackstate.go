package mapping

import (
	"context"
	"fmt"
	"strings"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/ticket"

	"example.com/alerts/receivers/stackstate"
)

// StackState handles StackState notifications: an open notification opens
// a ticket, an open with a new state or title adds a note (and retitles),
// and the close resolves the ticket with the close reason. Nothing after the
// close changes the ticket.
type StackState struct {
	stackstate.Unimplemented
	Tickets Applier
}

// NotificationOpened opens or updates the notification's ticket.
func (h StackState) NotificationOpened(ctx context.Context, d *runtime.Delivery, p *stackstate.Envelope) error {
	a, err := StackStateOpened(p)
	if err != nil {
		return runtime.Reject(err)
	}
	return apply(ctx, h.Tickets, d, a)
}

// NotificationClosed resolves the notification's ticket.
func (h StackState) NotificationClosed(ctx context.Context, d *runtime.Delivery, p *stackstate.Envelope) error {
	a, err := StackStateClosed(p)
	if err != nil {
		return runtime.Reject(err)
	}
	return apply(ctx, h.Tickets, d, a)
}

// StackStateKey is the correlation key: the notification id, stable from
// open to close.
func StackStateKey(p *stackstate.Envelope) string {
	return "stackstate/" + p.NotificationId.String()
}

// StackStateOpened maps an open notification. Its fingerprint is the state
// and title, so a retried or repeated open adds nothing.
func StackStateOpened(p *stackstate.Envelope) (ticket.Action, error) {
	ev, err := p.Event.AsOpenEvent()
	if err != nil {
		return ticket.Action{}, err
	}
	title := fmt.Sprintf("%s: %s", p.Component.Name, ev.Title)
	var desc strings.Builder
	fmt.Fprintf(&desc, "Monitor: %s\nComponent: %s (%s)\nState: %s\n", p.Monitor.Name, p.Component.Name, p.Component.Type, ev.State)
	if p.Component.Link != "" {
		fmt.Fprintf(&desc, "Link: %s\n", p.Component.Link)
	}
	return ticket.Action{
		Kind:         ticket.Open,
		Key:          StackStateKey(p),
		Subject:      title,
		Description:  desc.String(),
		Fingerprint:  string(ev.State) + "|" + ev.Title,
		Note:         fmt.Sprintf("State %s: %s", ev.State, ev.Title),
		AfterResolve: ticket.Ignore,
	}, nil
}

// StackStateClosed maps a close notification to a resolve with its reason.
func StackStateClosed(p *stackstate.Envelope) (ticket.Action, error) {
	ev, err := p.Event.AsCloseEvent()
	if err != nil {
		return ticket.Action{}, err
	}
	return ticket.Action{Kind: ticket.Resolve, Key: StackStateKey(p), Reason: "Closed by StackState: " + string(ev.Reason)}, nil
}
