package specserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookgen/hookgen/internal/specrun"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/inboxapi"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/serve"
	"github.com/hookgen/hookgen/runtime/store"
)

// DefaultStoreDir is where serve keeps its store file unless told otherwise.
const DefaultStoreDir = ".hookgen"

// DefaultStore is the store URL serve uses unless told otherwise.
const DefaultStore = "bolt:" + DefaultStoreDir + "/" + serve.DefaultBoltFile

// ServeConfig configures Serve. The zero value of every optional field is
// useful.
type ServeConfig struct {
	// Specs are the families to serve, each at its webhooks' default paths.
	Specs []*specrun.Spec
	// Addr is the webhook listen address (host:port; port 0 picks a free one).
	Addr string
	// OpsAddr is the listen address of /healthz, /readyz, /metrics and the
	// inbox admin API (default "127.0.0.1:0", a free port: see
	// Server.OpsURL).
	OpsAddr string
	// OpsToken, when set, is the bearer token of /metrics and /admin/.
	OpsToken string
	// Secrets holds the secrets per family name, then per scheme.
	Secrets map[string]auth.Secrets
	// Store is the URL of the one store every family shares (claims,
	// ordering, inbox, dead letter and records): "memory:", "bolt:PATH"
	// (PATH a file, or an existing directory which then holds hookgen.db),
	// "redis://…" (claims and ordering only) or "postgres://…" (everything;
	// replicas may share it). Default: DefaultStore.
	Store string
	// Mode is "sync", "durable" or "" (each family's default).
	Mode string
	// Strict switches on strict validation.
	Strict bool
	// Logger receives one structured line per delivery (default: discard).
	Logger *slog.Logger
}

// MissingSecretError says that a family's required security has no secret.
type MissingSecretError struct {
	Family string
	// Schemes are the schemes of which one alternative must be configured.
	Schemes []runtime.SecurityScheme
}

func (e *MissingSecretError) Error() string {
	parts := make([]string, len(e.Schemes))
	for i, sc := range e.Schemes {
		parts[i] = strconv.Quote(sc.Name) + " (" + DescribeScheme(sc) + ")"
	}
	return fmt.Sprintf("family %s requires a secret for security scheme %s", e.Family, strings.Join(parts, " or "))
}

// DescribeScheme says in words what a scheme's secret is.
func DescribeScheme(sc runtime.SecurityScheme) string {
	switch {
	case sc.Signature != nil:
		return sc.Signature.Algorithm + " signature in header " + sc.Signature.Header + "; the secret is the key (a PEM public key for RSA, @FILE reads it)"
	case sc.Kind == runtime.Basic:
		return "HTTP Basic; the secret is user:password"
	case sc.Kind == runtime.Bearer:
		return "bearer token in Authorization"
	case sc.Kind == runtime.APIKey:
		return "token in " + sc.In + " " + sc.Param
	}
	return "secret"
}

// Endpoint is one mounted webhook.
type Endpoint struct {
	Family  string   `json:"family"`
	Webhook string   `json:"webhook"`
	Methods []string `json:"methods"`
	URL     string   `json:"url"`
}

// Server is a running receiver for one or more families sharing one store.
type Server struct {
	// URL is the webhook base URL (http://host:port).
	URL string
	// OpsURL is the base URL of the operations listener.
	OpsURL string
	// Store is the canonical URL of the store (see serve.ResolveStore).
	Store string
	// Endpoints lists every webhook's URL.
	Endpoints []Endpoint

	backend   store.Backend
	receivers []*receiver.Receiver
	cancel    context.CancelFunc
	done      chan struct{} // closed when Run returned, with runErr set
	runErr    error
	closeOnce sync.Once
	closeErr  error
	adminFile string
}

// Serve starts a receiver for every spec, all on one store and one
// listener, and returns once it is listening. Every delivery is kept in
// the store's inbox: processed ones as records, the ones acknowledged
// without processing with their reason. It fails with a
// *MissingSecretError when a family's required security has no secret.
func Serve(ctx context.Context, cfg ServeConfig) (_ *Server, err error) {
	if len(cfg.Specs) == 0 {
		return nil, errors.New("serve: no spec")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Store == "" {
		cfg.Store = DefaultStore
	}
	if cfg.OpsAddr == "" {
		cfg.OpsAddr = "127.0.0.1:0"
	}
	var mode receiver.Option
	if cfg.Mode != "" {
		m, ok := receiver.ParseMode(cfg.Mode)
		if !ok {
			return nil, fmt.Errorf("serve: mode %q: want sync or durable", cfg.Mode)
		}
		mode = receiver.WithMode(m)
	}
	for _, sp := range cfg.Specs { // refuse before creating anything
		if _, err := enforceable(sp.Family, cfg.Secrets[sp.Name()]); err != nil {
			return nil, err
		}
	}
	s := &Server{done: make(chan struct{})}
	if s.Store, err = serve.ResolveStore(cfg.Store); err != nil {
		return nil, err
	}
	if s.backend, err = serve.OpenStore(ctx, s.Store); err != nil {
		if strings.HasPrefix(s.Store, "bolt:") {
			return nil, fmt.Errorf("serve: %w (is another hookgen serve using the file? one process per bolt file; share a postgres:// store between replicas)", err)
		}
		return nil, fmt.Errorf("serve: %w", err)
	}
	defer func() {
		if err != nil {
			_ = s.close()
		}
	}()
	reg := prometheus.NewRegistry()
	router := mux.NewRouter()
	seen := map[string]bool{}
	for _, sp := range cfg.Specs {
		name := sp.Name()
		if seen[name] {
			return nil, fmt.Errorf("serve: family %s given twice", name)
		}
		seen[name] = true
		fam, err := enforceable(sp.Family, cfg.Secrets[name])
		if err != nil {
			return nil, err
		}
		opts := []receiver.Option{receiver.WithLogger(log), receiver.WithRegisterer(reg), receiver.WithStrict(cfg.Strict),
			receiver.WithStore(s.backend), mode}
		if sec := cfg.Secrets[name]; len(sec) > 0 {
			opts = append(opts, receiver.WithSecrets(sec))
		}
		// Every delivery that reaches the handler is processed: the
		// pipeline records it in the inbox.
		r, err := receiver.New(fam, func(context.Context, *runtime.Delivery, runtime.Event) error { return nil }, opts...)
		if err != nil {
			return nil, fmt.Errorf("serve %s: %w", name, err)
		}
		s.receivers = append(s.receivers, r)
		r.Mount(router)
		for _, w := range fam.Webhooks {
			s.Endpoints = append(s.Endpoints, Endpoint{Family: name, Webhook: w.Name, Methods: w.Methods, URL: w.Path})
		}
	}
	srv, err := serve.New(router, serve.WithAddr(cfg.Addr), serve.WithOpsAddr(cfg.OpsAddr), serve.WithOpsToken(cfg.OpsToken),
		serve.WithRegistry(reg), serve.WithLogger(log), serve.WithAdmin(inboxapi.Handler(s.backend)),
		serve.WithDrainTimeout(10*time.Second), serve.OnShutdown(s.drain))
	if err != nil {
		return nil, err
	}
	if err := srv.Listen(ctx); err != nil {
		return nil, err
	}
	s.URL, s.OpsURL = "http://"+srv.Addr(), "http://"+srv.OpsAddr()
	for i := range s.Endpoints {
		s.Endpoints[i].URL = s.URL + s.Endpoints[i].URL
	}
	if path, ok := strings.CutPrefix(s.Store, "bolt:"); ok {
		// hookgen inbox and deliveries find a running serve through it.
		if err := os.WriteFile(serve.AdminFile(path), []byte(s.OpsURL+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("serve: %w", err)
		}
		s.adminFile = serve.AdminFile(path)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	go func() {
		s.runErr = srv.Run(runCtx)
		close(s.done)
	}()
	return s, nil
}

// drain lets every receiver finish its deliveries (durable workers too).
func (s *Server) drain(ctx context.Context) error {
	var errs []error
	for _, r := range s.receivers {
		errs = append(errs, r.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// enforceable checks secrets against the security of every operation of
// fam: for required security given as alternatives (NetPulse: Basic or
// Bearer) configuring one alternative is enough (the authenticator
// enforces the configured ones); an operation whose required security has
// no alternative configured fails with a *MissingSecretError naming its
// schemes.
func enforceable(fam *runtime.Family, secrets auth.Secrets) (*runtime.Family, error) {
	for _, list := range fam.SecurityLists() {
		if runtime.Optional(list) {
			continue
		}
		var names []string
		configured := false
		for _, req := range list {
			ok := true
			for _, n := range req {
				if len(secrets[n]) == 0 {
					ok = false
				}
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
			configured = configured || ok
		}
		if !configured {
			e := &MissingSecretError{Family: fam.Name}
			for _, n := range names {
				e.Schemes = append(e.Schemes, fam.Schemes[n])
			}
			return nil, e
		}
	}
	return fam, nil
}

// Wait blocks until the server stops serving and returns why.
func (s *Server) Wait() error {
	<-s.done
	return s.runErr
}

// Inbox is the store's inbox: records, dead letter and pending deliveries.
func (s *Server) Inbox() store.Inbox { return s.backend }

// Records returns the processed deliveries of family ("" for all), oldest
// first.
func (s *Server) Records(ctx context.Context, family string) ([]Record, error) {
	return ReadRecords(ctx, s.backend, store.Query{Family: family, State: store.EntryDone}, true)
}

// Shutdown stops accepting deliveries, lets those in flight finish (until
// ctx is done), and closes the receivers and the store. It is safe to call
// twice.
func (s *Server) Shutdown(ctx context.Context) error {
	s.cancel()
	var err error
	select {
	case <-s.done:
		err = s.runErr
	case <-ctx.Done():
		err = fmt.Errorf("serve: shutdown: %w", ctx.Err())
	}
	return errors.Join(err, s.close())
}

func (s *Server) close() error {
	s.closeOnce.Do(func() {
		var errs []error
		for _, r := range s.receivers {
			errs = append(errs, r.Close())
		}
		if s.adminFile != "" {
			_ = os.Remove(s.adminFile)
		}
		if s.backend != nil {
			errs = append(errs, s.backend.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
