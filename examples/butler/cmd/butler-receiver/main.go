// Command butler-receiver runs the generated butler receiver on the embedded
// durable store. It logs every delivery; the ReloadTaskFailed handler shows where
// business logic goes, every other event is acknowledged as unhandled.
//
//	go run ./examples/butler/cmd/butler-receiver -addr 127.0.0.1:8080
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

	"github.com/hookgen/hookgen/examples/butler"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/store"
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
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "butler-receiver:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	db := flag.String("db", "butler.db", "embedded store file")
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
	rc, err := butler.New(handler{log: log}, receiver.WithStore(st), receiver.WithSecrets(secrets), receiver.WithLogger(log))
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
	log.Info("listening", "addr", *addr, "family", butler.FamilyName)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
