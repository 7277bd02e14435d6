package receiver

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/store"
)

// Authenticator checks a delivery's credentials before its payload is
// decoded. It must wrap runtime.ErrUnauthorized in the errors it returns,
// must not put secrets into them, and must be safe for concurrent use.
// *auth.Authenticator implements it.
//
// The receiver authenticates after the bounded body read, unless the
// authenticator reads only headers, query parameters and path: an
// authenticator built by WithSecrets for a family without body signature
// schemes, or one that has a method HeadersOnly() bool returning true, is
// called before the body is read, with Request.Raw and Request.Body nil.
type Authenticator interface {
	Authenticate(req *runtime.Request) error
}

// Option configures a Receiver; pass options to New.
type Option func(*config)

type config struct {
	store          store.Store
	order          store.OrderStore
	auth           Authenticator
	secrets        auth.Secrets
	secretsSet     bool
	logger         *slog.Logger
	registerer     prometheus.Registerer
	clock          func() time.Time
	strict         bool
	lease          time.Duration
	retention      time.Duration
	handlerTimeout time.Duration
	poisonAck      bool
	deadLetter     DeadLetter
	paths          map[string]string
	ops            bool
	mode           Mode
	workers        int
	poll           time.Duration
	maxAttempts    int
	backoffBase    time.Duration
	backoffMax     time.Duration
	keep           time.Duration
	purgeEvery     time.Duration
	storeTimeout   time.Duration
}

// Defaults of the options.
const (
	// DefaultLease is the claim lease (WithLease).
	DefaultLease = 30 * time.Second
	// DefaultRetention is how long completed keys are remembered (WithRetention).
	DefaultRetention = 72 * time.Hour
	// DefaultDeadLetterSize bounds the default in-memory dead letter.
	DefaultDeadLetterSize = 1000
	// DefaultWorkers is the number of durable workers (WithWorkers).
	DefaultWorkers = 4
	// DefaultMaxAttempts bounds a durable delivery's handler attempts
	// (WithMaxAttempts).
	DefaultMaxAttempts = 8
	// DefaultBackoffBase and DefaultBackoffMax bound the delay between
	// durable attempts (WithBackoff).
	DefaultBackoffBase = time.Second
	DefaultBackoffMax  = 5 * time.Minute
	// DefaultPollInterval is how often an idle durable worker looks for
	// due entries (WithPollInterval); a delivery accepted by this receiver
	// wakes one at once.
	DefaultPollInterval = time.Second
	// DefaultRecordRetention is how long the store keeps records and dead
	// letters (WithRecordRetention).
	DefaultRecordRetention = 7 * 24 * time.Hour
	// DefaultStoreTimeout bounds the store calls of one step of a
	// delivery (WithStoreTimeout).
	DefaultStoreTimeout = 5 * time.Second
)

// purgeInterval is how often a receiver purges expired records.
const purgeInterval = 10 * time.Minute

func defaultConfig() config {
	return config{
		lease:     DefaultLease,
		retention: DefaultRetention,
		poisonAck: true,
		ops:       true,

		workers:     DefaultWorkers,
		poll:        DefaultPollInterval,
		maxAttempts: DefaultMaxAttempts,
		backoffBase: DefaultBackoffBase,
		backoffMax:  DefaultBackoffMax,
		keep:        DefaultRecordRetention,
		purgeEvery:  purgeInterval,

		storeTimeout: DefaultStoreTimeout,
	}
}

// WithStore sets the idempotency store. Default: a new in-memory store
// (store.NewMemory, on the receiver's clock), closed by Close. A store passed here is not closed by
// the Receiver. Keys are stored as "<family>:<key>".
func WithStore(s store.Store) Option {
	return func(c *config) { c.store = s }
}

// WithOrderStore sets the ordering store used by webhooks that declare an
// ordering (Webhook.Order). Default: the idempotency store when it
// implements store.OrderStore (the in-memory and bolt stores do); New fails
// when a webhook declares ordering and no order store is available.
// Entities are stored as "<family>:<entity>".
func WithOrderStore(o store.OrderStore) Option {
	return func(c *config) { c.order = o }
}

// WithAuthenticator sets the authenticator explicitly. Default: none, which
// is only allowed when the family declares no security or WithSecrets is
// given. It cannot be combined with WithSecrets.
func WithAuthenticator(a Authenticator) Option {
	return func(c *config) { c.auth = a }
}

// WithSecrets builds the authenticator with auth.New from the secrets per
// security scheme name (several values per scheme allow rotation), on the
// receiver's clock. New fails, with an error naming the scheme but never
// the secret, when a scheme the family's security needs has no secret, when
// a secret is empty or malformed, or when a secret names a scheme the
// family does not use (the rules of auth.New). Without WithSecrets or
// WithAuthenticator, New fails when the family declares non-optional
// security. Default: no secrets.
func WithSecrets(s auth.Secrets) Option {
	return func(c *config) { c.secrets, c.secretsSet = s, true }
}

// WithLogger sets the structured logger. Default: discard. Every line
// carries delivery_id, key, family, webhook, event, outcome, status and
// duration; headers, bodies and secrets are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithRegisterer sets where the metrics are registered. Default: a private
// registry, served at /metrics by Handler; the global default registry is
// never used implicitly. A registerer that is also a prometheus.Gatherer
// (such as *prometheus.Registry) is served at /metrics too. Several
// receivers may share one registerer: their series differ by family label.
func WithRegisterer(r prometheus.Registerer) Option {
	return func(c *config) { c.registerer = r }
}

// WithClock sets the clock for delivery timestamps and durations.
// Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.clock = now }
}

// WithStrict enables strict mode: strict enum and format validation,
// unknown events answered 400, and a missing Content-Type answered 415.
// Default: false (lenient: unknown events are acknowledged and counted as
// unhandled, lenient findings are logged and counted as warnings, a missing
// Content-Type is accepted).
func WithStrict(strict bool) Option {
	return func(c *config) { c.strict = strict }
}

// WithLease sets the lease of a claim (and of an entity hold and a
// durable worker's inbox lease). While the handler runs the receiver
// renews it every lease/3, so it bounds how long a delivery stays blocked
// after its process died, not how long a handler may run; when a renewal
// finds the lease lost, the handler's context is cancelled. Default: 30 s.
// Non-positive values are ignored.
func WithLease(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.lease = d
		}
	}
}

// WithRetention sets how long completed keys (and ordering state) are
// remembered for deduplication. Default: 72 h. Non-positive values are
// ignored.
func WithRetention(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.retention = d
		}
	}
}

// WithPoisonAck sets whether invalid payloads from RetryUntilSuccess senders
// are quarantined to the dead letter and acknowledged with the success
// status, so that the sender stops retrying a message that can never
// succeed. When false they are answered 400 like for other senders.
// Default: true.
func WithPoisonAck(on bool) Option {
	return func(c *config) { c.poisonAck = on }
}

// WithDeadLetter sets a dead letter that receives a copy of every
// rejected, panicking and poison delivery. They are kept in the store's
// inbox as dead entries (Reason "quarantined" or "invalid") when the store
// has one; a receiver whose store has no inbox keeps them in a
// MemoryDeadLetter of DefaultDeadLetterSize entries unless this option is
// given. Default: none.
func WithDeadLetter(d DeadLetter) Option {
	return func(c *config) { c.deadLetter = d }
}

// WithHandlerTimeout bounds the handler's context. Default: the lease.
// Non-positive values are ignored.
func WithHandlerTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.handlerTimeout = d
		}
	}
}

// WithPath mounts the webhook named webhookName at path instead of its
// Webhook.Path. New fails when the family has no such webhook. Paths may
// hold gorilla/mux variables ("/hooks/{tenant}"), passed to the pipeline as
// Request.PathParams.
func WithPath(webhookName, path string) Option {
	return func(c *config) {
		if c.paths == nil {
			c.paths = make(map[string]string)
		}
		c.paths[webhookName] = path
	}
}

// WithOpsEndpoints sets whether Handler also serves /healthz, /readyz and
// /metrics. Default: true.
func WithOpsEndpoints(on bool) Option {
	return func(c *config) { c.ops = on }
}

// WithMode sets the acknowledgement mode: Sync (run the handler while the
// sender waits) or Durable (persist to the store's inbox, acknowledge,
// and run the handler in workers with retries). Default: DefaultMode of
// the family's delivery policy, Durable for single-attempt and
// limited-retries senders when the store has an inbox, else Sync. New
// fails when Durable is asked for and the store has no inbox. In durable
// mode New starts the workers; Shutdown drains them and Close stops them.
// A worker's handler sees the headers as the inbox keeps them, with
// credentials redacted, and Delivery.Attempt and Delivery.Fence from the
// inbox lease.
func WithMode(m Mode) Option {
	return func(c *config) { c.mode = m }
}

// WithWorkers sets the number of durable workers. Default:
// DefaultWorkers. Non-positive values are ignored.
func WithWorkers(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.workers = n
		}
	}
}

// WithMaxAttempts sets how many times a durable worker runs the handler
// for one delivery before it goes to the dead letter (Reason
// "exhausted"). Default: DefaultMaxAttempts. Non-positive values are
// ignored.
func WithMaxAttempts(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxAttempts = n
		}
	}
}

// WithBackoff sets the delay between durable attempts: base doubled per
// attempt, capped at maxDelay, with equal jitter (the delay is between half
// and all of that). A handler's runtime.Retry delay, when longer, wins.
// Defaults: DefaultBackoffBase, DefaultBackoffMax. Non-positive values are
// ignored.
func WithBackoff(base, maxDelay time.Duration) Option {
	return func(c *config) {
		if base > 0 {
			c.backoffBase = base
		}
		if maxDelay > 0 {
			c.backoffMax = maxDelay
		}
	}
}

// WithPollInterval sets how often idle durable workers look for due
// entries (retries coming due, entries put by other replicas). Default:
// DefaultPollInterval. Non-positive values are ignored.
func WithPollInterval(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.poll = d
		}
	}
}

// WithRecordRetention sets how long the store's inbox keeps the records of
// the family's deliveries (processed, or acknowledged without processing)
// and its dead letters, counted from when they were received: every few
// minutes the receiver purges older done and dead entries. Pending entries
// are never purged. Default: DefaultRecordRetention. Non-positive values
// are ignored.
func WithRecordRetention(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.keep = d
		}
	}
}

// WithStoreTimeout bounds the store calls of each step of a delivery: the
// claim, the ordering hold, the persist of durable mode, each renewal of a
// lease, and the settle (complete or release, commit, record, quarantine,
// together). A store that does not answer in time (a server that hangs,
// a network that drops packets) is answered 503 with Retry-After, like a
// store that fails, instead of holding the sender until its own timeout.
// Default: DefaultStoreTimeout. Non-positive values are ignored.
func WithStoreTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.storeTimeout = d
		}
	}
}
