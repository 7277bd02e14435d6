// Command butler-receiver runs the generated butler receiver with runtime/serve's
// production defaults on the embedded durable store. It logs every delivery;
// the ReloadTaskFailed handler shows where business logic goes, every other event is
// acknowledged as unhandled.
//
//	HOOKGEN_SECRET_<SCHEME>=… go run ./examples/butler/cmd/butler-receiver -addr 127.0.0.1:8080 -ops-addr 127.0.0.1:9090 -store bolt:butler.db
//
// -h lists the flags and the secret variables (HOOKGEN_SECRET_<SCHEME>, the
// scheme upper-cased, other characters as '_').
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/hookgen/hookgen/examples/butler"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/serve"
)

type handler struct {
	butler.Unimplemented
	log *slog.Logger
}

// ReloadTaskFailed is where the business logic for ReloadTaskFailed events goes.
func (h handler) ReloadTaskFailed(ctx context.Context, d *runtime.Delivery, p *butler.ReloadTaskEvent) error {
	h.log.InfoContext(ctx, "received", "event", d.Event, "key", d.Key, "attempt", d.Attempt)
	return nil
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	serve.App{Name: "butler-receiver", Family: butler.Family, Logger: log, Build: func(o ...receiver.Option) (*receiver.Receiver, error) {
		return butler.New(handler{log: log}, o...)
	}}.Main()
}
