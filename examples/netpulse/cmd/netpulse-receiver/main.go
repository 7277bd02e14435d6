// Command netpulse-receiver runs the generated netpulse receiver with runtime/serve's
// production defaults on the embedded durable store. It logs every delivery;
// the JobCompleted handler shows where business logic goes, every other event is
// acknowledged as unhandled.
//
//	HOOKGEN_SECRET_<SCHEME>=… go run ./examples/netpulse/cmd/netpulse-receiver -addr 127.0.0.1:8080 -ops-addr 127.0.0.1:9090 -store bolt:netpulse.db
//
// -h lists the flags and the secret variables (HOOKGEN_SECRET_<SCHEME>, the
// scheme upper-cased, other characters as '_').
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/hookgen/hookgen/examples/netpulse"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/serve"
)

type handler struct {
	netpulse.Unimplemented
	log *slog.Logger
}

// JobCompleted is where the business logic for JobCompleted events goes.
func (h handler) JobCompleted(ctx context.Context, d *runtime.Delivery, p *netpulse.ResultV042) error {
	h.log.InfoContext(ctx, "received", "event", d.Event, "key", d.Key, "attempt", d.Attempt)
	return nil
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	serve.App{Name: "netpulse-receiver", Family: netpulse.Family, Logger: log, Build: func(o ...receiver.Option) (*receiver.Receiver, error) {
		return netpulse.New(handler{log: log}, o...)
	}}.Main()
}
