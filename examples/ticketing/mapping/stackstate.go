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
func (h StackState) NotificationOpened(ctx context.Context, d *runtime.Delivery, p *stackstate.NotificationOpenedEnvelope) error {
	return apply(ctx, h.Tickets, d, StackStateOpened(p))
}

// NotificationClosed resolves the notification's ticket.
func (h StackState) NotificationClosed(ctx context.Context, d *runtime.Delivery, p *stackstate.NotificationClosedEnvelope) error {
	return apply(ctx, h.Tickets, d, StackStateClosed(p))
}

// StackStateKey is the correlation key: the notification id, stable from
// open to close.
func StackStateKey(notificationID fmt.Stringer) string {
	return "stackstate/" + notificationID.String()
}

// StackStateOpened maps an open notification. Its fingerprint is the state
// and title, so a retried or repeated open adds nothing.
func StackStateOpened(p *stackstate.NotificationOpenedEnvelope) ticket.Action {
	ev := p.Event
	title := fmt.Sprintf("%s: %s", p.Component.Name, ev.Title)
	var desc strings.Builder
	fmt.Fprintf(&desc, "Monitor: %s\nComponent: %s (%s)\nState: %s\n", p.Monitor.Name, p.Component.Name, p.Component.Type, ev.State)
	if p.Component.Link != "" {
		fmt.Fprintf(&desc, "Link: %s\n", p.Component.Link)
	}
	return ticket.Action{
		Kind:         ticket.Open,
		Key:          StackStateKey(p.NotificationId),
		Subject:      title,
		Description:  desc.String(),
		Fingerprint:  string(ev.State) + "|" + ev.Title,
		Note:         fmt.Sprintf("State %s: %s", ev.State, ev.Title),
		AfterResolve: ticket.Ignore,
	}
}

// StackStateClosed maps a close notification to a resolve with its reason.
func StackStateClosed(p *stackstate.NotificationClosedEnvelope) ticket.Action {
	return ticket.Action{Kind: ticket.Resolve, Key: StackStateKey(p.NotificationId), Reason: "Closed by StackState: " + string(p.Event.Reason)}
}
