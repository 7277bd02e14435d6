package mapping

import (
	"context"
	"fmt"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/ticket"

	"example.com/alerts/receivers/butler"
)

// Butler handles Butler's reload-task webhooks. Butler sends no success
// event, so a ticket stays open until someone resolves it in the tracker:
// a failed or aborted reload opens one ticket per task (same taskId), and
// every failed execution adds a note. With TicketPerExecution each
// execution gets its own ticket instead.
type Butler struct {
	butler.Unimplemented
	Tickets            Applier
	TicketPerExecution bool
}

// ReloadTaskFailed opens or notes the task's ticket.
func (h Butler) ReloadTaskFailed(ctx context.Context, d *runtime.Delivery, p *butler.ReloadTaskEvent) error {
	return apply(ctx, h.Tickets, d, ButlerReload(p, h.TicketPerExecution))
}

// ReloadTaskAborted opens or notes the task's ticket.
func (h Butler) ReloadTaskAborted(ctx context.Context, d *runtime.Delivery, p *butler.ReloadTaskEvent) error {
	return apply(ctx, h.Tickets, d, ButlerReload(p, h.TicketPerExecution))
}

// ButlerReload maps a failed or aborted reload. The execution id is the
// fingerprint: the same execution twice adds one note.
func ButlerReload(p *butler.ReloadTaskEvent, perExecution bool) ticket.Action {
	key := "butler/" + p.TaskId
	if perExecution {
		key += "/" + p.ExecutionId
	}
	task := deref(p.TaskName, p.TaskId)
	return ticket.Action{
		Kind:         ticket.Open,
		Key:          key,
		Subject:      fmt.Sprintf("Qlik Sense reload failing: %s", task),
		Description:  fmt.Sprintf("Task: %s (%s)\nApp: %s\nHost: %s\n", task, p.TaskId, deref(p.AppName, "?"), deref(p.HostName, "?")),
		Fingerprint:  p.ExecutionId,
		Note:         fmt.Sprintf("%s (execution %s at %s): %s", p.Event, p.ExecutionId, deref((*string)(p.LogTimeStamp), "?"), deref(p.LogMessage, "")),
		NoteOnCreate: true,
		Additive:     true, // every execution's failure is noted, in whatever order they are applied
		AfterResolve: ticket.Reopen,
	}
}
