package stackstate_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/gorilla/mux"

	"github.com/hookgen/hookgen/examples/stackstate"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/receiver"
)

type tickets struct{ stackstate.Unimplemented }

// NotificationOpened opens (or updates) the ticket of a notification.
func (tickets) NotificationOpened(_ context.Context, d *runtime.Delivery, p *stackstate.NotificationOpenedEnvelope) error {
	fmt.Printf("open ticket %s: %s (%s)\n", p.NotificationId, p.Event.Title, p.Event.State)
	return nil
}

// ExampleNew mounts the generated StackState receiver on a gorilla/mux
// router and handles the vendor's documented open notification; the same
// delivery again is acknowledged as a duplicate without calling the handler.
// (The receiver is an http.Handler too: serve rc.Handler() for the webhooks
// plus /healthz, /readyz and /metrics.)
func ExampleNew() {
	rc, err := stackstate.New(tickets{}, receiver.WithSecrets(auth.Secrets{"Token": {"s3cret"}}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rc.Close()
	r := mux.NewRouter()
	rc.Mount(r)
	body, _ := os.ReadFile("../../openapi/examples/stackstate/docs-open.json")
	for range 2 {
		req := httptest.NewRequest("POST", "/stackstate/notification", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-StackState-Webhook-Token", "s3cret")
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Println(w.Code, w.Header().Get(receiver.OutcomeHeader))
	}
	// Output:
	// open ticket 836f628c-1258-4500-b1c7-23884e00f439: HTTP - response time - is above 3.0 seconds (CRITICAL)
	// 200 processed
	// 200 duplicate
}
