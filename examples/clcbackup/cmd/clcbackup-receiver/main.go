// Command clcbackup-receiver runs the generated clcbackup receiver with runtime/serve's
// production defaults on the embedded durable store. It logs every delivery;
// the BackupFailed handler shows where business logic goes, every other event is
// acknowledged as unhandled.
//
//	HOOKGEN_SECRET_<SCHEME>=… go run ./examples/clcbackup/cmd/clcbackup-receiver -addr 127.0.0.1:8080 -ops-addr 127.0.0.1:9090 -store bolt:clcbackup.db
//
// -h lists the flags and the secret variables (HOOKGEN_SECRET_<SCHEME>, the
// scheme upper-cased, other characters as '_').
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/hookgen/hookgen/examples/clcbackup"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/serve"
)

type handler struct {
	clcbackup.Unimplemented
	log *slog.Logger
}

// BackupFailed is where the business logic for BackupFailed events goes.
func (h handler) BackupFailed(ctx context.Context, d *runtime.Delivery, p *clcbackup.BackupCompleted) error {
	h.log.InfoContext(ctx, "received", "event", d.Event, "key", d.Key, "attempt", d.Attempt)
	return nil
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	serve.App{Name: "clcbackup-receiver", Family: clcbackup.Family, Logger: log, Build: func(o ...receiver.Option) (*receiver.Receiver, error) {
		return clcbackup.New(handler{log: log}, o...)
	}}.Main()
}
