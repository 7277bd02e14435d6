package redmine_test

import (
	"context"
	"fmt"
	"os"

	"github.com/hookgen/hookgen/runtime/ticket"
	"github.com/hookgen/hookgen/runtime/ticket/redmine"
)

// A Redmine tracker for the project "ops", resolving to the status named
// "Closed"; a validation failure shows Redmine's own messages.
func ExampleNew() {
	c, err := redmine.New("http://127.0.0.1:3000", os.Getenv("REDMINE_API_KEY"), "ops",
		redmine.WithResolvedStatus("Closed"), redmine.WithTrackerID(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	t, err := c.Create(context.Background(), ticket.NewTicket{Key: "stackstate/1", Subject: "CPU high"})
	if msgs, ok := redmine.IsValidation(err); ok {
		fmt.Println("refused:", msgs)
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("opened", t.ID)
}

func ExampleMarker() {
	fmt.Println(redmine.Marker("clcbackup/VA1WEB01/policy-1"))
	// Output: [hookgen:clcbackup/VA1WEB01/policy-1]
}
