package specserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookgen/hookgen/internal/specrun"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/store"
)

// DefaultStoreDir is where serve keeps its files unless told otherwise.
const DefaultStoreDir = ".hookgen"

// ServeConfig configures Serve. The zero value of every optional field is
// useful.
type ServeConfig struct {
	// Specs are the families to serve, each at its webhooks' default paths.
	Specs []*specrun.Spec
	// Addr is the listen address (host:port; port 0 picks a free one).
	Addr string
	// Secrets holds the secrets per family name, then per scheme.
	Secrets map[string]auth.Secrets
	// Store is "bolt:PATH" (default "bolt:.hookgen") or "memory:". PATH is
	// a directory holding <family>.db (the delivery records),
	// <family>.idem.db (idempotency and ordering) and
	// <family>.quarantine.db (the dead letter); with one spec, a PATH
	// ending in .db names the records file and the others sit next to it.
	Store string
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

// Server is a running recording receiver for one or more families.
type Server struct {
	// URL is the base URL (http://host:port).
	URL string
	// Endpoints lists every webhook's URL.
	Endpoints []Endpoint
	// Files maps each family to its records file ("" for memory:).
	Files map[string]string

	srv       *http.Server
	done      chan error
	receivers []*receiver.Receiver
	recorders map[string]*recorder
	closers   []func() error
	closeOnce sync.Once
}

// storeFiles returns the records, idempotency and quarantine files of a
// family for a store URL; empty strings for memory:.
func storeFiles(storeURL, family string, single bool) (records, idem, quarantine string, err error) {
	if storeURL == "" {
		storeURL = "bolt:" + DefaultStoreDir
	}
	kind, path, ok := strings.Cut(storeURL, ":")
	switch {
	case !ok:
		return "", "", "", fmt.Errorf("store %q: want bolt:PATH or memory:, for example bolt:.hookgen", storeURL)
	case kind == "memory":
		return "", "", "", nil
	case kind != "bolt" || path == "":
		return "", "", "", fmt.Errorf("store %q: want bolt:PATH or memory:, for example bolt:.hookgen", storeURL)
	}
	base := filepath.Join(path, family)
	if single && strings.HasSuffix(path, ".db") {
		base = strings.TrimSuffix(path, ".db")
	}
	return base + ".db", base + ".idem.db", base + ".quarantine.db", nil
}

// CheckStore reports whether storeURL is well formed.
func CheckStore(storeURL string) error {
	_, _, _, err := storeFiles(storeURL, "x", true)
	return err
}

// Serve starts a receiver for every spec on one listener and returns once
// it is listening. Each accepted delivery is recorded (event, key, delivery
// id, received time, headers without credentials, payload) before it is
// acknowledged. It fails with a *MissingSecretError when a family's
// required security has no secret.
func Serve(ctx context.Context, cfg ServeConfig) (_ *Server, err error) {
	if len(cfg.Specs) == 0 {
		return nil, errors.New("serve: no spec")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{Files: map[string]string{}, recorders: map[string]*recorder{}, done: make(chan error, 1)}
	defer func() {
		if err != nil {
			_ = s.closeAll()
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
		recPath, idemPath, dlPath, err := storeFiles(cfg.Store, name, len(cfg.Specs) == 1)
		if err != nil {
			return nil, err
		}
		rec, err := openRecorder(recPath)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, rec.close)
		s.recorders[name] = rec
		s.Files[name] = recPath
		// Synchronous until serve has a mode setting: its records are
		// written by the handler while the sender waits.
		opts := []receiver.Option{receiver.WithLogger(log), receiver.WithRegisterer(reg), receiver.WithStrict(cfg.Strict), receiver.WithMode(receiver.Sync)}
		if idemPath != "" {
			st, err := store.OpenBolt(idemPath)
			if err != nil {
				return nil, err
			}
			s.closers = append(s.closers, st.Close)
			dl, err := receiver.OpenBoltDeadLetter(dlPath)
			if err != nil {
				return nil, err
			}
			s.closers = append(s.closers, dl.Close)
			opts = append(opts, receiver.WithStore(st), receiver.WithDeadLetter(dl))
		}
		if sec := cfg.Secrets[name]; len(sec) > 0 {
			opts = append(opts, receiver.WithSecrets(sec))
		}
		drop := specrun.CredentialHeaders(fam)
		r, err := receiver.New(fam, func(_ context.Context, d *runtime.Delivery, ev runtime.Event) error {
			payload := json.RawMessage(d.Raw)
			if len(d.Raw) == 0 || !json.Valid(d.Raw) {
				b, err := json.Marshal(ev.Payload)
				if err != nil {
					return fmt.Errorf("record delivery: %w", err)
				}
				payload = b
			}
			return rec.add(Record{Family: d.Family, Webhook: d.Webhook, Event: d.Event, Key: d.Key, DeliveryID: d.ID,
				Attempt: d.Attempt, ReceivedAt: d.ReceivedAt.UTC(), Header: withoutCredentials(d.Header, drop), Payload: payload})
		}, opts...)
		if err != nil {
			return nil, fmt.Errorf("serve %s: %w", name, err)
		}
		s.receivers = append(s.receivers, r)
		s.closers = append(s.closers, r.Close)
		r.Mount(router)
		for _, w := range fam.Webhooks {
			s.Endpoints = append(s.Endpoints, Endpoint{Family: name, Webhook: w.Name, Methods: w.Methods, URL: w.Path})
		}
	}
	router.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	router.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("serve: listen on %s: %w", cfg.Addr, err)
	}
	s.URL = "http://" + ln.Addr().String()
	for i := range s.Endpoints {
		s.Endpoints[i].URL = s.URL + s.Endpoints[i].URL
	}
	s.srv = &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s, nil
}

// enforceable returns the family to build the receiver of with secrets:
// for required security given as alternatives (NetPulse: Basic or Bearer)
// only the alternatives whose every scheme has a secret are kept, so that
// configuring one alternative is enough; with none configured it fails.
func enforceable(fam *runtime.Family, secrets auth.Secrets) (*runtime.Family, error) {
	if len(fam.Security) == 0 || slices.ContainsFunc(fam.Security, func(r runtime.SecurityRequirement) bool { return len(r) == 0 }) {
		return fam, nil
	}
	var keep []runtime.SecurityRequirement
	var names []string
	for _, req := range fam.Security {
		ok := true
		for _, n := range req {
			if len(secrets[n]) == 0 {
				ok = false
			}
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		if ok {
			keep = append(keep, req)
		}
	}
	if len(keep) == 0 {
		e := &MissingSecretError{Family: fam.Name}
		for _, n := range names {
			e.Schemes = append(e.Schemes, fam.Schemes[n])
		}
		return nil, e
	}
	if len(keep) == len(fam.Security) {
		return fam, nil
	}
	cp := *fam
	cp.Security = keep
	return &cp, nil
}

// Wait blocks until the server stops serving and returns why.
func (s *Server) Wait() error { return <-s.done }

// Records returns what the server recorded for family ("" for all).
func (s *Server) Records(family string) ([]Record, error) {
	var out []Record
	for name, rc := range s.recorders {
		if family != "" && family != name {
			continue
		}
		recs, err := rc.list()
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	slices.SortStableFunc(out, func(a, b Record) int { return a.ReceivedAt.Compare(b.ReceivedAt) })
	return out, nil
}

// Shutdown stops accepting connections, lets deliveries in flight finish
// (until ctx is done), and closes the receivers and store files. It is
// safe to call twice.
func (s *Server) Shutdown(ctx context.Context) error {
	var errs []error
	if err := s.srv.Shutdown(ctx); err != nil {
		errs = append(errs, err)
	}
	for _, r := range s.receivers {
		if err := r.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, s.closeAll())
	return errors.Join(errs...)
}

func (s *Server) closeAll() error {
	var errs []error
	s.closeOnce.Do(func() {
		for i := len(s.closers) - 1; i >= 0; i-- {
			if err := s.closers[i](); err != nil {
				errs = append(errs, err)
			}
		}
	})
	return errors.Join(errs...)
}
