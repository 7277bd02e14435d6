// Command ticketing is a ticketing service: it receives the webhooks of
// atscale, butler, clcbackup, netpulse, stackstate
// and turns them into Redmine issues, exactly once per entity. Edit the
// mapping package to change what becomes a ticket.
//
//	go run . -config config.json
//
// Each family is served at its spec's paths (all under /<family>/);
// GET /healthz answers 200 while the service runs and GET /metrics serves
// every family's Prometheus metrics.
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
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/pgstore"
	"github.com/hookgen/hookgen/runtime/ticket"
	"github.com/hookgen/hookgen/runtime/ticket/redmine"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"example.com/alerts/mapping"
	"example.com/alerts/receivers/atscale"
	"example.com/alerts/receivers/butler"
	"example.com/alerts/receivers/clcbackup"
	"example.com/alerts/receivers/netpulse"
	"example.com/alerts/receivers/stackstate"
)

func main() {
	configPath := flag.String("config", "", "JSON config file (environment variables win)")
	flag.Parse()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(*configPath, log); err != nil {
		fmt.Fprintln(os.Stderr, "ticketing:", err)
		os.Exit(1)
	}
}

func run(configPath string, log *slog.Logger) error {
	cfg, err := LoadConfig(configPath, os.Environ())
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	corr, closeCorr, err := openCorrelations(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer closeCorr()
	var ropts []redmine.Option
	if cfg.Redmine.TrackerID != 0 {
		ropts = append(ropts, redmine.WithTrackerID(cfg.Redmine.TrackerID))
	}
	if cfg.Redmine.ResolvedStatus != "" {
		ropts = append(ropts, redmine.WithResolvedStatus(cfg.Redmine.ResolvedStatus))
	}
	tracker, err := redmine.New(cfg.Redmine.URL, cfg.Redmine.APIKey, cfg.Redmine.Project, ropts...)
	if err != nil {
		return err
	}
	engine := ticket.NewEngine(tracker, corr)
	mux, closeAll, err := routes(cfg, engine, log)
	defer closeAll()
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: cfg.Addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Info("listening", "addr", cfg.Addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openCorrelations opens the correlation store named by url: PostgreSQL for
// a postgres:// URL (shared by replicas), else a bbolt file.
func openCorrelations(ctx context.Context, url string) (ticket.Correlations, func(), error) {
	if isPostgres(url) {
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			return nil, nil, err
		}
		p, err := ticket.NewPostgres(ctx, pool)
		if err != nil {
			pool.Close()
			return nil, nil, err
		}
		return p, pool.Close, nil
	}
	b, err := ticket.OpenBolt(url)
	if err != nil {
		return nil, nil, err
	}
	return b, func() { _ = b.Close() }, nil
}

func isPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// routes mounts every family's receiver under /<family>/, /healthz and
// /metrics.
func routes(cfg Config, engine *ticket.Engine, log *slog.Logger) (*http.ServeMux, func(), error) {
	mux := http.NewServeMux()
	reg := prometheus.NewRegistry()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	// The receivers' delivery store: with a postgres:// store URL one
	// PostgreSQL store shared by every family and replica (duplicates are
	// recognised across replicas); else one bbolt file per family in DataDir.
	var shared store.Backend
	backend := func(family string) (store.Backend, error) {
		if !isPostgres(cfg.Store) {
			b, err := store.OpenBolt(filepath.Join(cfg.DataDir, family+".db"))
			if err != nil {
				return nil, err
			}
			closers = append(closers, func() { _ = b.Close() })
			return b, nil
		}
		if shared == nil {
			pg, err := pgstore.Open(context.Background(), cfg.Store)
			if err != nil {
				return nil, err
			}
			closers = append(closers, func() { _ = pg.Close() })
			shared = pg
		}
		return shared, nil
	}
	mount := func(family string, fam *runtime.Family, build func(...receiver.Option) (*receiver.Receiver, error)) error {
		// Each family gets the secrets of the schemes its spec declares.
		secrets := auth.Secrets{}
		for name := range fam.Schemes {
			if v, ok := cfg.Secrets[name]; ok {
				secrets[name] = []string{v}
			}
		}
		st, err := backend(family)
		if err != nil {
			return err
		}
		rc, err := build(receiver.WithStore(st), receiver.WithOrderStore(st), receiver.WithSecrets(secrets),
			receiver.WithLogger(log.With("family", family)), receiver.WithRegisterer(reg), receiver.WithOpsEndpoints(false))
		if err != nil {
			return fmt.Errorf("%s: %w", family, err)
		}
		closers = append(closers, func() {
			// Let durable workers finish what they hold, then stop them.
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = rc.Shutdown(sctx)
			_ = rc.Close()
		})
		mux.Handle("/"+family+"/", rc.Handler())
		return nil
	}
	if err := mount("atscale", atscale.Family(), func(o ...receiver.Option) (*receiver.Receiver, error) {
		return atscale.New(mapping.AtScale{Tickets: engine}, o...)
	}); err != nil {
		return nil, closeAll, err
	}
	if err := mount("butler", butler.Family(), func(o ...receiver.Option) (*receiver.Receiver, error) {
		return butler.New(mapping.Butler{Tickets: engine, TicketPerExecution: cfg.ButlerTicketPerExecution}, o...)
	}); err != nil {
		return nil, closeAll, err
	}
	if err := mount("clcbackup", clcbackup.Family(), func(o ...receiver.Option) (*receiver.Receiver, error) {
		return clcbackup.New(mapping.CenturyLink{Tickets: engine}, o...)
	}); err != nil {
		return nil, closeAll, err
	}
	if err := mount("netpulse", netpulse.Family(), func(o ...receiver.Option) (*receiver.Receiver, error) {
		return netpulse.New(mapping.NetPulse{Tickets: engine}, o...)
	}); err != nil {
		return nil, closeAll, err
	}
	if err := mount("stackstate", stackstate.Family(), func(o ...receiver.Option) (*receiver.Receiver, error) {
		return stackstate.New(mapping.StackState{Tickets: engine}, o...)
	}); err != nil {
		return nil, closeAll, err
	}
	return mux, closeAll, nil
}
