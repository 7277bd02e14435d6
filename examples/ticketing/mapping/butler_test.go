package mapping

import (
	"testing"

	"github.com/hookgen/hookgen/runtime/ticket"

	"example.com/alerts/receivers/butler"
)

func TestButlerOneTicketPerTaskOneNotePerExecution(t *testing.T) {
	e1 := &butler.ReloadTaskEvent{Event: "Qlik Sense reload failed", TaskId: "dec2a02a-1680-44ef-8dc2-e2bfb180af87", ExecutionId: "14a81bf5-f81c-4047-b1a1-193b0920de28"}
	e2 := *e1
	e2.ExecutionId = "24a81bf5-f81c-4047-b1a1-193b0920de28"
	a, b := ButlerReload(e1, false), ButlerReload(&e2, false)
	if a.Key != b.Key || a.Fingerprint == b.Fingerprint || a.Kind != ticket.Open || !a.NoteOnCreate || !a.Additive {
		t.Fatalf("two executions of one task: one ticket, two notes: %+v %+v", a, b)
	}
	if ButlerReload(e1, true).Key == ButlerReload(&e2, true).Key {
		t.Fatal("TicketPerExecution must give each execution its own ticket")
	}
}
