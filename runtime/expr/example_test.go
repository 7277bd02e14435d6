package expr_test

import (
	"fmt"
	"net/http"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/expr"
)

func ExampleParse() {
	e, err := expr.Parse("$request.body#/event/triggeredTimeMs")
	if err != nil {
		panic(err)
	}
	req := &runtime.Request{Body: []byte(`{"event":{"type":"open","triggeredTimeMs":1702635356757}}`)}
	v, ok, err := e.Eval(req)
	if err != nil {
		panic(err)
	}
	n, _ := v.Int64()
	fmt.Println(ok, v.Kind(), v.String(), n)

	_, err = expr.Parse("$request.header.X Id")
	fmt.Println(err)
	// Output:
	// true number 1702635356757 1702635356757
	// expr: invalid runtime expression "$request.header.X Id" at offset 17: invalid character ' ' in header name; allowed: an RFC 9110 token (letters, digits and !#$%&'*+-.^_`|~)
}

func ExampleList_Key() {
	key, err := expr.ParseList([]string{"$request.header.X-Tenant", "$request.body#/notificationId"})
	if err != nil {
		panic(err)
	}
	req := &runtime.Request{
		Header: http.Header{"X-Tenant": {"acme:eu"}},
		Body:   []byte(`{"notificationId":"836f628c"}`),
	}
	k, err := key.Key(req)
	if err != nil {
		panic(err)
	}
	fmt.Println(k)
	// Output: acme%3Aeu:836f628c
}

func ExampleMatch() {
	m, err := expr.ParseMatch(map[string][]string{
		"$request.body#/event_type": {"cube_built", "cube_failed"},
	})
	if err != nil {
		panic(err)
	}
	for _, body := range []string{`{"event_type":"cube_built"}`, `{"event_type":"cube_deleted"}`} {
		ok, err := m.Eval(&runtime.Request{Body: []byte(body)})
		fmt.Println(ok, err)
	}
	// Output:
	// true <nil>
	// false <nil>
}
