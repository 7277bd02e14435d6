// Command atscale-receiver runs the generated atscale receiver on the embedded
// durable store. It logs every delivery; the AggregateBatchStarted handler shows where
// business logic goes, every other event is acknowledged as unhandled.
//
//	go run ./examples/atscale/cmd/atscale-receiver -addr 127.0.0.1:8080
//
// Secrets for the spec's security schemes come from HOOKGEN_SECRET_<SCHEME>
// environment variables.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hookgen/hookgen/examples/atscale"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/store"
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
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "atscale-receiver:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	db := flag.String("db", "atscale.db", "embedded store file")
	flag.Parse()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	st, err := store.OpenBolt(*db)
	if err != nil {
		return err
	}
	defer st.Close()
	secrets := auth.Secrets{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "HOOKGEN_SECRET_") {
			secrets[strings.TrimPrefix(k, "HOOKGEN_SECRET_")] = []string{v}
		}
	}
	rc, err := atscale.New(handler{log: log}, receiver.WithStore(st), receiver.WithSecrets(secrets), receiver.WithLogger(log))
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: *addr, Handler: rc.Handler(), ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = rc.Shutdown(sctx)
		_ = srv.Shutdown(sctx)
	}()
	log.Info("listening", "addr", *addr, "family", atscale.FamilyName)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
