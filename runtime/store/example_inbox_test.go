package store_test

import (
	"context"
	"fmt"
	"time"

	"github.com/hookgen/hookgen/runtime/store"
)

// A durable hand-off: the receiver Puts a delivery before it answers, a
// worker leases it, and settles it Done or, after the last attempt, Dead.
func ExampleInbox() {
	ctx := context.Background()
	var in store.Inbox = store.NewMemory()
	_ = in.Put(ctx, store.Entry{Family: "atscale", ID: "d1", Event: "alert.created", Entity: "alert-7", Body: []byte(`{}`)})
	_ = in.Put(ctx, store.Entry{Family: "atscale", ID: "d2", Event: "alert.closed", Entity: "alert-7", Body: []byte(`{}`)})
	err := in.Put(ctx, store.Entry{Family: "atscale", ID: "d1"})
	fmt.Println("again:", err)

	l, _ := in.Lease(ctx, 10, time.Minute)
	fmt.Println("leased:", len(l), l[0].ID) // d2 waits for d1: same entity
	_ = in.Settle(ctx, l[0].ID, l[0].Family, l[0].Token, store.Settlement{State: store.EntryDone, Reason: store.ReasonProcessed})

	l, _ = in.Lease(ctx, 10, time.Minute)
	fmt.Println("leased:", len(l), l[0].ID)
	_ = in.Settle(ctx, l[0].ID, l[0].Family, l[0].Token, store.Settlement{State: store.Dead, Reason: store.ReasonExhausted, Err: "handler: timeout"})

	dead, _ := in.List(ctx, store.Query{Family: "atscale", State: store.Dead})
	fmt.Println("dead:", dead.Entries[0].ID, dead.Entries[0].Reason, dead.Entries[0].LastError)
	_ = in.Replay(ctx, "atscale", "d2")
	e, _ := in.GetEntry(ctx, "atscale", "d1")
	fmt.Println("d1:", e.State, e.Duplicates)
	// Output:
	// again: store: put atscale/d1: store: duplicate entry
	// leased: 1 d1
	// leased: 1 d2
	// dead: d2 exhausted handler: timeout
	// d1: done 1
}

// Ordering in one step: Acquire checks the message against the entity and
// holds the entity for it; CommitOrder advances it and lets the next one in.
func ExampleOrderStore() {
	ctx := context.Background()
	var o store.OrderStore = store.NewMemory()
	v2 := store.Position{Version: 2, HasVersion: true}
	c, _ := o.Acquire(ctx, "atscale:alert-7", v2, "delivery-2", time.Minute)
	fmt.Println(c.Verdict)
	busy, _ := o.Acquire(ctx, "atscale:alert-7", store.Position{Version: 3, HasVersion: true}, "delivery-3", time.Minute)
	fmt.Println(busy.Verdict)
	_ = o.CommitOrder(ctx, "atscale:alert-7", c.Token, v2, 24*time.Hour)
	old, _ := o.Acquire(ctx, "atscale:alert-7", store.Position{Version: 1, HasVersion: true}, "delivery-1", time.Minute)
	fmt.Println(old.Verdict)
	// Output:
	// accept
	// busy
	// stale
}
