// Command stackstate-receiver runs the generated stackstate receiver with runtime/serve's
// production defaults on the embedded durable store. It logs every delivery;
// the NotificationOpened handler shows where business logic goes, every other event is
// acknowledged as unhandled.
//
//	HOOKGEN_SECRET_<SCHEME>=… go run ./examples/stackstate/cmd/stackstate-receiver -addr 127.0.0.1:8080 -ops-addr 127.0.0.1:9090 -store bolt:stackstate.db
//
// -h lists the flags and the secret variables (HOOKGEN_SECRET_<SCHEME>, the
// scheme upper-cased, other characters as '_').
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/hookgen/hookgen/examples/stackstate"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/serve"
)

type handler struct {
	stackstate.Unimplemented
	log *slog.Logger
}

// NotificationOpened is where the business logic for NotificationOpened events goes.
func (h handler) NotificationOpened(ctx context.Context, d *runtime.Delivery, p *stackstate.NotificationOpenedEnvelope) error {
	h.log.InfoContext(ctx, "received", "event", d.Event, "key", d.Key, "attempt", d.Attempt)
	return nil
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	serve.App{Name: "stackstate-receiver", Family: stackstate.Family, Logger: log, Build: func(o ...receiver.Option) (*receiver.Receiver, error) {
		return stackstate.New(handler{log: log}, o...)
	}}.Main()
}
