// Package adapter builds the hookgen StackState receiver the benchmark
// measures (examples/stackstate, generated from openapi/stackstate.yaml) in
// one of its store modes. It is the only place of the benchmark that calls
// the generated package and the store constructors, so that when those
// change only this file follows.
package adapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/hookgen/hookgen/examples/atscale"
	"github.com/hookgen/hookgen/examples/butler"
	"github.com/hookgen/hookgen/examples/clcbackup"
	"github.com/hookgen/hookgen/examples/netpulse"
	"github.com/hookgen/hookgen/examples/stackstate"
	"github.com/hookgen/hookgen/internal/bench/serve"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/pgstore"
	"github.com/hookgen/hookgen/runtime/store/redisstore"
)

// Mode is a store mode of the receiver.
type Mode string

// The store modes the benchmark knows.
const (
	// Memory is the synchronous receiver on the in-memory store.
	Memory Mode = "memory"
	// Bolt is the receiver on the embedded bbolt store: the claim is
	// persisted before the acknowledgement.
	Bolt Mode = "bolt"
	// Redis is the receiver on the Redis store (runtime/store/redisstore;
	// synchronous mode only: it has no inbox).
	Redis Mode = "redis"
	// Postgres is the receiver on the PostgreSQL store (runtime/store/pgstore).
	Postgres Mode = "postgres"
)

// ErrUnavailable is returned by Open for a mode this tree has no store
// for yet; the harness skips such a receiver with a note.
var ErrUnavailable = errors.New("adapter: store mode not available in this tree")

// ErrUnknownMode is returned by Open for a mode name it does not know.
var ErrUnknownMode = errors.New("adapter: unknown store mode")

// Available lists the modes Open can build in this tree.
func Available() []Mode { return []Mode{Memory, Bolt, Redis, Postgres} }

// DurableAvailable reports whether the receiver has a durable mode in this
// tree.
func DurableAvailable() bool { return true }

// Config selects and configures the store.
type Config struct {
	// Mode is the store mode.
	Mode Mode
	// Path is the database file of the Bolt mode.
	Path string
	// URL is the server URL of the Redis and Postgres modes.
	URL string
	// Logger receives the receiver's logs; nil discards them.
	Logger *slog.Logger
	// Durable selects the durable mode (the delivery is put into the
	// store's inbox before the acknowledgement and handled by workers)
	// instead of the synchronous one.
	Durable bool
	// RejectInvalid answers invalid payloads 400 instead of the default
	// (quarantine and acknowledge them). Valid deliveries, the only ones
	// the load sends, take the same path either way; the harness sets it so
	// that its smoke check sees that validation is on.
	RejectInvalid bool
}

// Receiver is the generated StackState receiver with its store.
type Receiver struct {
	http.Handler
	rc    *receiver.Receiver
	store store.Store
}

// handler acknowledges both StackState events without doing anything
// else, so that the benchmark measures the receiver, not business logic.
type handler struct{}

func (handler) NotificationOpened(context.Context, *runtime.Delivery, *stackstate.NotificationOpenedEnvelope) error {
	return nil
}

func (handler) NotificationClosed(context.Context, *runtime.Delivery, *stackstate.NotificationClosedEnvelope) error {
	return nil
}

// Open builds the receiver in cfg.Mode. It answers at [serve.Path] and
// accepts [serve.Token] in [serve.TokenHeader]. Close it when done.
func Open(cfg Config) (*Receiver, error) {
	if !slices.Contains([]Mode{Memory, Bolt, Redis, Postgres}, cfg.Mode) {
		return nil, fmt.Errorf("%w: %q", ErrUnknownMode, cfg.Mode)
	}
	if !slices.Contains(Available(), cfg.Mode) {
		return nil, fmt.Errorf("%w: %s", ErrUnavailable, cfg.Mode)
	}
	if cfg.Durable && !DurableAvailable() {
		return nil, fmt.Errorf("%w: durable mode", ErrUnavailable)
	}
	st, err := OpenStore(cfg)
	if err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	mode := receiver.Sync
	if cfg.Durable {
		mode = receiver.Durable
	}
	rc, err := stackstate.New(handler{},
		receiver.WithStore(st),
		receiver.WithMode(mode),
		receiver.WithSecrets(auth.Secrets{"Token": {serve.Token}}),
		receiver.WithLogger(logger),
		receiver.WithPoisonAck(!cfg.RejectInvalid))
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("adapter: %w", err)
	}
	return &Receiver{Handler: rc.Handler(), rc: rc, store: st}, nil
}

// OpenStore opens the idempotency store of cfg.Mode alone (for the
// micro-benchmarks), with the same errors as Open. Close it when done.
func OpenStore(cfg Config) (store.Store, error) {
	if !slices.Contains(Available(), cfg.Mode) {
		return nil, fmt.Errorf("%w: %s", ErrUnavailable, cfg.Mode)
	}
	switch cfg.Mode {
	case Bolt:
		if cfg.Path == "" {
			return nil, fmt.Errorf("adapter: mode bolt needs a Path")
		}
		st, err := store.OpenBolt(cfg.Path)
		if err != nil {
			return nil, fmt.Errorf("adapter: %w", err)
		}
		return st, nil
	case Redis:
		if cfg.URL == "" {
			return nil, fmt.Errorf("adapter: mode redis needs a URL")
		}
		st, err := redisstore.Open(context.Background(), cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("adapter: %w", err)
		}
		return st, nil
	case Postgres:
		if cfg.URL == "" {
			return nil, fmt.Errorf("adapter: mode postgres needs a URL")
		}
		st, err := pgstore.Open(context.Background(), cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("adapter: %w", err)
		}
		return st, nil
	default:
		return store.NewMemory(), nil
	}
}

// Close stops the receiver (waiting for deliveries in flight until ctx
// ends) and closes its store.
func (r *Receiver) Close(ctx context.Context) error {
	return errors.Join(r.rc.Shutdown(ctx), r.store.Close())
}

// Quarantined returns how many deliveries the receiver quarantined
// (invalid payloads when RejectInvalid is off): the dead entries of its
// store's inbox, else the length of its dead letter, or -1 when neither
// can tell.
func (r *Receiver) Quarantined() int {
	if in := r.rc.Inbox(); in != nil {
		n := 0
		q := store.Query{State: store.Dead, Limit: store.MaxPageSize}
		for {
			p, err := in.List(context.Background(), q)
			if err != nil {
				return -1
			}
			n += len(p.Entries)
			if p.Next == "" {
				return n
			}
			q.After = p.Next
		}
	}
	if l, ok := r.rc.DeadLetter().(interface{ Len() int }); ok {
		return l.Len()
	}
	return -1
}

// Families returns the runtime description constructor of every generated
// example family, by family name.
func Families() map[string]func() *runtime.Family {
	return map[string]func() *runtime.Family{
		atscale.FamilyName:    atscale.Family,
		butler.FamilyName:     butler.Family,
		clcbackup.FamilyName:  clcbackup.Family,
		netpulse.FamilyName:   netpulse.Family,
		stackstate.FamilyName: stackstate.Family,
	}
}
