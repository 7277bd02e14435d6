package receiver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gorilla/mux"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/receiver/internal/fixture"
)

// ExampleNew builds the receiver of a StackState-like family (generated
// code provides the family and the dispatch), mounts it on a gorilla/mux
// router and receives one notification.
func ExampleNew() {
	dispatch := func(_ context.Context, d *runtime.Delivery, ev runtime.Event) error {
		fmt.Println("handled", ev.Name, "attempt", d.Attempt)
		return nil
	}
	rcv, err := receiver.New(fixture.StackState(), dispatch,
		receiver.WithSecrets(auth.Secrets{"webhookToken": {"s3cret"}}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rcv.Close()

	router := mux.NewRouter()
	rcv.Mount(router)
	srv := httptest.NewServer(router)
	defer srv.Close()

	body := string(fixture.Open("836f628c-1258-4500-b1c7-23884e00f439", 1702635356757))
	for range 2 { // the second delivery is a duplicate
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/stackstate", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-StackState-Webhook-Token", "s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get(receiver.OutcomeHeader))
	}
	// Output:
	// handled NotificationOpened attempt 1
	// 200 processed
	// 200 duplicate
}

// ExampleWithMode receives a single-attempt delivery in durable mode: it is
// persisted and acknowledged at once ("accepted"), and a worker runs the
// handler after the answer.
func ExampleWithMode() {
	handled := make(chan string, 1)
	dispatch := func(_ context.Context, d *runtime.Delivery, ev runtime.Event) error {
		handled <- ev.Name + " " + d.Key
		return nil
	}
	rcv, err := receiver.New(fixture.SingleAttempt(), dispatch, receiver.WithMode(receiver.Durable))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rcv.Close()
	srv := httptest.NewServer(rcv)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/task", "application/json", strings.NewReader(`{"taskId":"t1","status":"failed"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get(receiver.OutcomeHeader))
	fmt.Println("handled", <-handled)
	// Output:
	// 200 accepted
	// handled TaskFailed t1
}
