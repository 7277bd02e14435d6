package openapi_test

import (
	"fmt"

	"github.com/hookgen/hookgen/openapi"
)

// ExampleVectors lists the valid StackState vectors and the handler event
// each one dispatches to.
func ExampleVectors() {
	vectors, err := openapi.Vectors("stackstate")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range vectors[:2] {
		fmt.Println(v.Name, v.Method, v.Verdict, v.Event, v.Status, len(v.Body) > 0)
	}
	// Output:
	// docs-open POST valid NotificationOpened 200 true
	// docs-close POST valid NotificationClosed 200 true
}
