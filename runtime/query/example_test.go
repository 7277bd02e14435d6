package query_test

import (
	"fmt"

	"github.com/hookgen/hookgen/runtime/query"
)

// ExampleEncode turns a Butler service-monitor payload into the query
// string Butler's GET sends: lower-case keys, URLSearchParams escaping.
func ExampleEncode() {
	q, err := query.Encode([]byte(`{"event":"Windows service monitor","host":"PRO2-WIN1","serviceStatus":"STOPPED","stateChanged":true}`),
		[]query.Field{{Query: "servicestatus", Property: "serviceStatus"}, {Query: "statechanged", Property: "stateChanged"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(q)
	// Output: event=Windows+service+monitor&host=PRO2-WIN1&servicestatus=STOPPED&statechanged=true
}
