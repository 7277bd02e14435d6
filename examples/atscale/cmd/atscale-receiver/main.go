// Command atscale-receiver runs the generated atscale receiver with runtime/serve's
// production defaults on the embedded durable store. It logs every delivery;
// the AggregateBatchStarted handler shows where business logic goes, every other event is
// acknowledged as unhandled.
//
//	HOOKGEN_SECRET_<SCHEME>=… go run ./examples/atscale/cmd/atscale-receiver -addr 127.0.0.1:8080 -ops-addr 127.0.0.1:9090 -store bolt:atscale.db
//
// -h lists the flags and the secret variables (HOOKGEN_SECRET_<SCHEME>, the
// scheme upper-cased, other characters as '_').
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/hookgen/hookgen/examples/atscale"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/serve"
)

type handler struct {
	atscale.Unimplemented
	log *slog.Logger
}

// AggregateBatchStarted is where the business logic for AggregateBatchStarted events goes.
func (h handler) AggregateBatchStarted(ctx context.Context, d *runtime.Delivery, p *atscale.AggregateBatchStartedEvent) error {
	h.log.InfoContext(ctx, "received", "event", d.Event, "key", d.Key, "attempt", d.Attempt)
	return nil
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	serve.App{Name: "atscale-receiver", Family: atscale.Family, Logger: log, Build: func(o ...receiver.Option) (*receiver.Receiver, error) {
		return atscale.New(handler{log: log}, o...)
	}}.Main()
}
