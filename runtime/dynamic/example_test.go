package dynamic_test

import (
	"context"
	"fmt"

	"github.com/hookgen/hookgen/runtime/dynamic"
)

// ExampleLoadFamily loads a spec with no code generated and lists what it
// receives: the family, each webhook's path and methods, and its events.
func ExampleLoadFamily() {
	l, err := dynamic.LoadFamily(context.Background(), dynamic.Config{Spec: "../../openapi/stackstate.yaml"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(l.Family.Name, l.Spec.Delivery.ModeName, l.Spec.Delivery.SuccessStatus)
	for _, w := range l.Spec.Webhooks {
		fmt.Println(w.Name, w.Path, w.Operations[0].Methods)
	}
	for _, e := range l.Spec.Events {
		fmt.Println(e.Name, e.SchemaName)
	}
	// Output:
	// stackstate retry-until-success 200
	// notification /stackstate/notification [POST]
	// NotificationOpened Envelope
	// NotificationClosed Envelope
}

// ExampleCanonicalRef shows the reference a percent-encoded JSON pointer
// is read as.
func ExampleCanonicalRef() {
	ref, _ := dynamic.CanonicalRef("webhook.api.yaml#/paths/%2Fwebhook")
	fmt.Println(ref)
	// Output: webhook.api.yaml#/paths/~1webhook
}
