package inboxapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/hookgen/hookgen/runtime/inboxapi"
	"github.com/hookgen/hookgen/runtime/store"
)

// A receiver serves its inbox's admin API (runtime/serve mounts it on the
// operations listener); an operator's tool lists and replays through the
// client.
func ExampleClient() {
	inbox := store.NewMemory()
	defer inbox.Close()
	ctx := context.Background()
	_ = inbox.Put(ctx, store.Entry{ID: "d1", Family: "butler", Event: "ReloadTaskFailed", Body: []byte(`{}`),
		State: store.Dead, Reason: store.ReasonQuarantined})

	ops := httptest.NewServer(inboxapi.Handler(inbox))
	defer ops.Close()
	c, err := inboxapi.NewClient(ops.URL, "", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	page, err := c.List(ctx, store.Query{State: store.Dead})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range page.Entries {
		fmt.Println(e.Family, e.ID, e.State, e.Reason)
		fmt.Println("replay:", c.Replay(ctx, e.Family, e.ID))
	}
	e, _ := inbox.GetEntry(ctx, "butler", "d1")
	fmt.Println("now", e.State)
	// Output:
	// butler d1 dead quarantined
	// replay: <nil>
	// now pending
}
