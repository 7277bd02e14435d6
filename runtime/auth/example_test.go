package auth_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
)

// stackState is the StackState family's security: a shared token in a header.
var stackState = &runtime.Family{
	Name:     "stackstate",
	Security: []runtime.SecurityRequirement{{"Token"}},
	Schemes: map[string]runtime.SecurityScheme{
		"Token": {Name: "Token", Kind: runtime.APIKey, In: "header", Param: "X-StackState-Webhook-Token"},
	},
}

func ExampleNew() {
	// Two valid tokens while the channel's token is being rotated.
	a, err := auth.New(stackState, auth.Secrets{"Token": {"old-token", "new-token"}})
	if err != nil {
		panic(err)
	}
	for _, tok := range []string{"new-token", "guess", ""} {
		req := &runtime.Request{Header: http.Header{}}
		if tok != "" {
			req.Header.Set("X-StackState-Webhook-Token", tok)
		}
		err := a.Authenticate(req)
		fmt.Println(err == nil, errors.Is(err, runtime.ErrUnauthorized), err)
	}

	// A missing secret is refused at start-up.
	_, err = auth.New(stackState, nil)
	fmt.Println(errors.Is(err, runtime.ErrConfig), err)
	// Output:
	// true false <nil>
	// false true hookgen: authentication failed: Token: token mismatch
	// false true hookgen: authentication failed: Token: missing header X-Stackstate-Webhook-Token
	// true auth: scheme "Token": no secret configured: hookgen: configuration error
}

func ExampleSign() {
	// GitHub's documented test vector.
	scheme := runtime.SecurityScheme{
		Name:      "Hub",
		Kind:      runtime.Signature,
		Signature: &runtime.SignatureSpec{Format: "github"},
	}
	body := []byte("Hello, World!")
	req, err := http.NewRequest(http.MethodPost, "http://localhost/hook", strings.NewReader(string(body)))
	if err != nil {
		panic(err)
	}
	if err := auth.Sign(req, body, scheme, "It's a Secret to Everybody", time.Now()); err != nil {
		panic(err)
	}
	fmt.Println(req.Header.Get("X-Hub-Signature-256"))

	// The receiving side verifies it over the raw body.
	fam := &runtime.Family{Security: []runtime.SecurityRequirement{{"Hub"}}, Schemes: map[string]runtime.SecurityScheme{"Hub": scheme}}
	a, err := auth.New(fam, auth.Secrets{"Hub": {"It's a Secret to Everybody"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Authenticate(&runtime.Request{Header: req.Header, Raw: body}))
	// Output:
	// sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17
	// <nil>
}

func ExampleSign_standardWebhooks() {
	scheme := runtime.SecurityScheme{
		Name:      "SW",
		Kind:      runtime.Signature,
		Signature: &runtime.SignatureSpec{Format: "standard-webhooks"},
	}
	// The test vector of the Standard Webhooks specification.
	body := []byte(`{"test": 2432232314}`)
	req, _ := http.NewRequest(http.MethodPost, "http://localhost/hook", nil)
	req.Header.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	now := time.Unix(1614265330, 0)
	if err := auth.Sign(req, body, scheme, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", now); err != nil {
		panic(err)
	}
	fmt.Println(req.Header.Get("webhook-timestamp"))
	fmt.Println(req.Header.Get("webhook-signature"))
	// Output:
	// 1614265330
	// v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}
