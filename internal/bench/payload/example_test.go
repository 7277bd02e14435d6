package payload_test

import (
	"fmt"
	"strings"

	"github.com/hookgen/hookgen/internal/bench/payload"
)

func ExampleID() {
	fmt.Println(payload.ID(1, 2))
	// Output: 00000000-0001-4000-8000-000000000002
}

func ExampleNewGenerator() {
	g := payload.NewGenerator([]byte(`{"notificationId": "x", "event": {}}`), 3)
	fmt.Println(strings.Contains(string(g.Next()), payload.ID(3, 1)))
	fmt.Println(strings.Contains(string(g.Next()), payload.ID(3, 2)))
	// Output:
	// true
	// true
}
