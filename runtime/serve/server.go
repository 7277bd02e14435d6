package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookgen/hookgen/runtime"
)

// Server serves a webhook handler with production limits and a separate
// operations listener. Build it with New, then call Run.
type Server struct {
	cfg      config
	handler  http.Handler
	registry *prometheus.Registry
	stats    *serverMetrics
	log      *slog.Logger
	draining atomic.Bool

	mu      sync.Mutex
	ln      *connLimiter
	opsLn   net.Listener
	web     *http.Server
	ops     *http.Server
	started bool
}

// New checks the options and builds a Server for h. It fails with an error
// wrapping runtime.ErrConfig when an option is invalid, or when the
// operations endpoints share the webhook listener without a token.
func New(h http.Handler, opts ...Option) (*Server, error) {
	if h == nil {
		return nil, fmt.Errorf("%w: serve: nil handler", runtime.ErrConfig)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	cfg.timeouts = cfg.timeouts.withDefaults()
	if cfg.maxConnections <= 0 {
		cfg.maxConnections = defaultMaxConnections()
	}
	if cfg.maxConcurrent <= 0 {
		cfg.maxConcurrent = min(DefaultMaxConcurrent, cfg.maxConnections)
	}
	switch {
	case cfg.opsAddr == "" && cfg.opsToken == "":
		return nil, fmt.Errorf("%w: serve: operations endpoints on the webhook listener need WithOpsToken", runtime.ErrConfig)
	case cfg.addr == "":
		return nil, fmt.Errorf("%w: serve: empty webhook address", runtime.ErrConfig)
	case cfg.maxConnections < cfg.maxConcurrent:
		return nil, fmt.Errorf("%w: serve: %d connections cannot carry %d concurrent requests", runtime.ErrConfig, cfg.maxConnections, cfg.maxConcurrent)
	}
	s := &Server{cfg: cfg, handler: h, registry: cfg.registry, log: cfg.logger}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	m, err := newServerMetrics(s.registry)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", runtime.ErrConfig, err)
	}
	s.stats = m
	return s, nil
}

// Listen binds the webhook and operations listeners; Run calls it when it
// has not been called. After Listen, Addr and OpsAddr name the bound ports.
func (s *Server) Listen(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return nil
	}
	var lc net.ListenConfig
	raw, err := lc.Listen(ctx, "tcp", s.cfg.addr)
	if err != nil {
		return fmt.Errorf("serve: listen on %s: %w", s.cfg.addr, err)
	}
	s.ln = newConnLimiter(raw, s.cfg.maxConnections, s.stats)
	if s.cfg.opsAddr != "" {
		s.opsLn, err = lc.Listen(ctx, "tcp", s.cfg.opsAddr)
		if err != nil {
			_ = raw.Close()
			s.ln = nil
			return fmt.Errorf("serve: listen on %s (operations): %w", s.cfg.opsAddr, err)
		}
	}
	var webhooks http.Handler = &gate{
		next: s.handler, slots: make(chan struct{}, s.cfg.maxConcurrent),
		retryAfter: s.cfg.retryAfter, limiter: s.ln, stats: s.stats,
	}
	if s.opsLn == nil {
		webhooks = s.opsHandler(webhooks)
	} else {
		s.ops = &http.Server{
			Handler: s.opsHandler(nil), ReadHeaderTimeout: DefaultReadHeader, ReadTimeout: DefaultRead,
			WriteTimeout: DefaultWrite, IdleTimeout: DefaultIdle, MaxHeaderBytes: DefaultMaxHeaderBytes,
			ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		}
	}
	t := s.cfg.timeouts
	s.web = &http.Server{
		Handler:           webhooks,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    t.MaxHeaderBytes,
		ConnState:         s.ln.connState,
		ConnContext:       withConn,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	return nil
}

// Addr is the webhook listener's address ("" before Listen).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// OpsAddr is the operations listener's address ("" before Listen, or when
// the operations endpoints share the webhook listener).
func (s *Server) OpsAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opsLn == nil {
		return ""
	}
	return s.opsLn.Addr().String()
}

// ErrStarted is returned by a second call of Run.
var ErrStarted = errors.New("serve: already running")

// Run serves until ctx is done (or a listener fails), then stops
// gracefully: /readyz turns 503, the webhook listener stops accepting, the
// requests in flight finish (bounded by WithDrainTimeout), the OnShutdown
// functions run, and the operations listener closes. It returns nil after
// a graceful stop caused by ctx.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return ErrStarted
	}
	s.started = true
	s.mu.Unlock()
	errc := make(chan error, 2)
	go func() { errc <- serveOn(s.web, s.ln) }()
	if s.ops != nil {
		go func() { errc <- serveOn(s.ops, s.opsLn) }()
	}
	s.log.Info("serving", "addr", s.Addr(), "ops_addr", s.OpsAddr(),
		"max_concurrent", s.cfg.maxConcurrent, "max_connections", s.cfg.maxConnections)
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	err := s.shutdown(context.WithoutCancel(ctx))
	return errors.Join(serveErr, err)
}

func serveOn(srv *http.Server, ln net.Listener) error {
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// shutdown is the graceful stop Run performs.
func (s *Server) shutdown(ctx context.Context) error {
	s.draining.Store(true)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.drain)
	defer cancel()
	s.log.Info("draining", "timeout", s.cfg.drain.String())
	var errs []error
	if err := s.web.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("serve: drain: %w", err))
		_ = s.web.Close()
	}
	for _, f := range s.cfg.onShutdown {
		if err := f(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if s.ops != nil {
		if err := s.ops.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	s.log.Info("stopped")
	return errors.Join(errs...)
}
