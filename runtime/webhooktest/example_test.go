package webhooktest_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/webhooktest"
)

// Validate a payload against a spec's event, in lenient and strict mode.
func ExampleKit_Validate() {
	kit, err := webhooktest.Load("../../openapi/stackstate.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := kit.Validate("NotificationOpened", []byte(`{"event":{"type":"open"}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("valid:", rep.Valid)
	for _, e := range rep.Errors {
		fmt.Println(e.Pointer, e.Rule)
	}

	rep, _ = kit.Validate("notification", webhooktest.File("../../openapi/examples/stackstate/neg-unknown-close-reason.json"))
	fmt.Println("lenient:", rep.Valid, rep.Event, rep.Warnings[0].Pointer)
	rep, _ = kit.Validate("notification", webhooktest.File("../../openapi/examples/stackstate/neg-unknown-close-reason.json"), webhooktest.Strict())
	fmt.Println("strict:", rep.Valid, rep.Pointers())
	// Output:
	// valid: false
	// /notificationId required
	// /component required
	// /monitor required
	// /notificationConfiguration required
	// /event/state required
	// /event/title required
	// /event/triggeredTimeMs required
	// lenient: true NotificationClosed /event/reason
	// strict: false [/event/reason]
}

// Drive a receiver through a duplicate delivery and look at what it did.
func ExampleScenario_DuplicateDelivery() {
	kit, err := webhooktest.Load("../../openapi/stackstate.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := webhooktest.NewRecorder()
	rc, err := receiver.New(kit.Family(), rec.Wrap(nil), receiver.WithSecrets(auth.Secrets{"Token": {"s3cret"}}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rc.Close()
	srv := httptest.NewServer(rc)
	defer srv.Close()

	sc := kit.Scenario(webhooktest.URL(srv.URL, nil), rec, webhooktest.WithSecret("Token", "s3cret"))
	res, err := sc.DuplicateDelivery("notification", "POST", webhooktest.File("../../openapi/examples/stackstate/docs-open.json"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Statuses(), res.Outcomes(), "handler calls:", res.Calls)
	// Output: [200 200] [processed duplicate] handler calls: 1
}
