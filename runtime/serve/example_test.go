package serve_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/hookgen/hookgen/runtime/serve"
)

// A receiver (any http.Handler) served with production limits; the
// operations endpoints are on their own port.
func ExampleNew() {
	hooks := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	srv, err := serve.New(hooks, serve.WithAddr("127.0.0.1:0"), serve.WithOpsAddr("127.0.0.1:0"), serve.WithMaxConcurrent(64))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	if err := srv.Listen(ctx); err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()

	resp, err := http.Post("http://"+srv.Addr()+"/hook", "application/json", strings.NewReader(`{}`))
	if err == nil {
		fmt.Println("webhook:", resp.Status)
		_ = resp.Body.Close()
	}
	resp, err = http.Get("http://" + srv.OpsAddr() + "/readyz")
	if err == nil {
		fmt.Println("readyz:", resp.Status)
		_ = resp.Body.Close()
	}
	stop() // as SIGTERM does in App.Main: drain, then return
	fmt.Println("stopped:", <-done)
	// Output:
	// webhook: 200 OK
	// readyz: 200 OK
	// stopped: <nil>
}

// SecretEnvName is the variable a scheme's secret is read from, in the
// generated mains and in hookgen serve alike.
func ExampleSecretEnvName() {
	fmt.Println(serve.SecretEnvName("Token"))
	fmt.Println(serve.SecretEnvName("Tier3-RsaSha1"))
	// Output:
	// HOOKGEN_SECRET_TOKEN
	// HOOKGEN_SECRET_TIER3_RSASHA1
}
