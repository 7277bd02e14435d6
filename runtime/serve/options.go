package serve

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Timeouts are the http.Server limits of the webhook listener. A zero field
// takes its default.
type Timeouts struct {
	// ReadHeader bounds reading the request line and headers (default 5 s).
	ReadHeader time.Duration
	// Read bounds reading the whole request, body included (default 20 s).
	Read time.Duration
	// Write bounds the time from the end of the request headers to the end
	// of the response; it must exceed the handler timeout (default 60 s).
	Write time.Duration
	// Idle closes a keep-alive connection that sends no new request
	// (default 60 s).
	Idle time.Duration
	// MaxHeaderBytes caps the request line and headers (default 64 KiB).
	MaxHeaderBytes int
}

// Defaults of the options.
const (
	DefaultAddr            = "127.0.0.1:8080"
	DefaultOpsAddr         = "127.0.0.1:9090"
	DefaultReadHeader      = 5 * time.Second
	DefaultRead            = 20 * time.Second
	DefaultWrite           = 60 * time.Second
	DefaultIdle            = 60 * time.Second
	DefaultMaxHeaderBytes  = 64 << 10
	DefaultMaxConcurrent   = 256
	DefaultRetryAfter      = time.Second
	DefaultDrainTimeout    = 25 * time.Second
	minMaxConnections      = 16
	defaultFallbackMaxConn = 4096
)

func (t Timeouts) withDefaults() Timeouts {
	if t.ReadHeader <= 0 {
		t.ReadHeader = DefaultReadHeader
	}
	if t.Read <= 0 {
		t.Read = DefaultRead
	}
	if t.Write <= 0 {
		t.Write = DefaultWrite
	}
	if t.Idle <= 0 {
		t.Idle = DefaultIdle
	}
	if t.MaxHeaderBytes <= 0 {
		t.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	return t
}

// Option configures a Server; pass options to New.
type Option func(*config)

type config struct {
	addr           string
	opsAddr        string
	opsToken       string
	timeouts       Timeouts
	maxConcurrent  int
	maxConnections int
	retryAfter     time.Duration
	drain          time.Duration
	registry       *prometheus.Registry
	admin          http.Handler
	logger         *slog.Logger
	ready          []func(context.Context) error
	onShutdown     []func(context.Context) error
}

func defaultConfig() config {
	return config{
		addr:       DefaultAddr,
		opsAddr:    DefaultOpsAddr,
		retryAfter: DefaultRetryAfter,
		drain:      DefaultDrainTimeout,
	}
}

// WithAddr sets the webhook listen address, host:port; port 0 picks a free
// port (see Server.Addr). Default: DefaultAddr.
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithOpsAddr sets the listen address of the operations endpoints
// (/healthz, /readyz, /metrics, /admin/). Default: DefaultOpsAddr. The empty
// string serves them on the webhook listener, which requires WithOpsToken.
func WithOpsAddr(addr string) Option { return func(c *config) { c.opsAddr = addr } }

// WithOpsToken requires "Authorization: Bearer token" on /metrics and
// /admin/ (and, when the operations endpoints share the webhook listener, on
// /healthz and /readyz too). Default: no token on a separate listener.
func WithOpsToken(token string) Option { return func(c *config) { c.opsToken = token } }

// WithTimeouts sets the webhook listener's timeouts and header limit; zero
// fields keep their defaults.
func WithTimeouts(t Timeouts) Option { return func(c *config) { c.timeouts = t } }

// WithMaxConcurrent caps the requests handled at once; past it requests are
// answered 503 with Retry-After. Default: DefaultMaxConcurrent.
func WithMaxConcurrent(n int) Option { return func(c *config) { c.maxConcurrent = n } }

// WithMaxConnections caps the open webhook connections; at the cap a new
// connection evicts the one idle or sending its request for longest.
// Default: the file descriptor limit (RLIMIT_NOFILE) less an eighth of it,
// and less at least 64, for files, stores and the operations listener (896
// for 1,024); at least 16.
func WithMaxConnections(n int) Option { return func(c *config) { c.maxConnections = n } }

// WithRetryAfter sets the Retry-After of a 503 for saturation.
// Default: DefaultRetryAfter.
func WithRetryAfter(d time.Duration) Option { return func(c *config) { c.retryAfter = d } }

// WithDrainTimeout bounds the graceful stop: in-flight deliveries get this
// long to finish. Default: DefaultDrainTimeout.
func WithDrainTimeout(d time.Duration) Option { return func(c *config) { c.drain = d } }

// WithRegistry sets the registry served at /metrics; the server registers
// its own collectors in it too. Default: a private registry.
func WithRegistry(r *prometheus.Registry) Option { return func(c *config) { c.registry = r } }

// WithAdmin serves h under /admin/ on the operations listener (the request
// path keeps its /admin/ prefix).
func WithAdmin(h http.Handler) Option { return func(c *config) { c.admin = h } }

// WithLogger sets where the server logs start, stop and listener errors.
// Default: discard.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithReadiness adds a check to /readyz: while it returns an error, /readyz
// answers 503.
func WithReadiness(check func(context.Context) error) Option {
	return func(c *config) { c.ready = append(c.ready, check) }
}

// OnShutdown adds a function run during the graceful stop, after the
// webhook listener has stopped and its requests have finished, in the order
// added (drain a receiver, then close its store). It gets the remaining
// drain time as its context.
func OnShutdown(f func(context.Context) error) Option {
	return func(c *config) { c.onShutdown = append(c.onShutdown, f) }
}
