package ticket_test

import (
	"context"
	"fmt"
	"os"

	"github.com/hookgen/hookgen/runtime/ticket"
	"github.com/hookgen/hookgen/runtime/ticket/redmine"
)

// An Engine over Redmine and an embedded correlation store: the first
// failure of a backup policy opens a ticket, the next success resolves it.
func ExampleEngine() {
	tracker, err := redmine.New("http://127.0.0.1:3000", os.Getenv("REDMINE_API_KEY"), "ops")
	if err != nil {
		fmt.Println(err)
		return
	}
	corr, err := ticket.OpenBolt("tickets.db")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = corr.Close() }()
	e := ticket.NewEngine(tracker, corr)
	ctx := context.Background()
	_, _ = e.Apply(ctx, ticket.Action{Kind: ticket.Open, Key: "clcbackup/srv1/policy1",
		Subject: "Backup FAILED on srv1", Fingerprint: "FAILED", AfterResolve: ticket.Reopen})
	_, _ = e.Apply(ctx, ticket.Action{Kind: ticket.Resolve, Key: "clcbackup/srv1/policy1",
		Reason: "Backup succeeded"})
}

func ExampleTrackerKey() {
	fmt.Println(ticket.TrackerKey("clcbackup/srv1/policy1", 1))
	fmt.Println(ticket.TrackerKey("clcbackup/srv1/policy1", 2))
	// Output:
	// clcbackup/srv1/policy1
	// clcbackup/srv1/policy1#2
}
