// Package storeurl opens the store.Backend a store URL names, the same
// URLs everywhere (flags, config file, HOOKGEN_STORE, generated mains):
//
//	memory:                     in-process store.Memory (lost on exit)
//	bolt:PATH                   embedded store.Bolt, one file for every family
//	redis://HOST[:PORT][/DB]    Redis (claims and ordering only; no inbox),
//	rediss://…                  with go-redis URL parameters and prefix=P
//	postgres://…, postgresql:// PostgreSQL (everything; migrations applied)
//
// It is the one package that links the PostgreSQL and Redis drivers: a
// program that uses package store alone does not.
package storeurl

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/pgstore"
	"github.com/hookgen/hookgen/runtime/store/redisstore"
)

// ErrUnknown is wrapped by the error Open returns for a URL that names no
// backend.
var ErrUnknown = errors.New("storeurl: unknown store URL")

// Forms lists the accepted URL forms, for usage and error messages.
const Forms = "memory:, bolt:PATH, redis://HOST[:PORT][/DB], postgres://…"

// Option configures Open.
type Option func(*config)

type config struct {
	failedRetention time.Duration
}

// WithFailedRetention sets, for every backend, how long a released key is
// remembered (see store.WithFailedRetention).
func WithFailedRetention(d time.Duration) Option {
	return func(c *config) { c.failedRetention = d }
}

// Open opens the backend raw names. The caller closes it.
func Open(ctx context.Context, raw string, opts ...Option) (store.Backend, error) {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	scheme, rest, found := strings.Cut(raw, ":")
	if !found {
		scheme = ""
	}
	switch strings.ToLower(scheme) {
	case "memory":
		if rest != "" {
			return nil, fmt.Errorf("%w %q: memory: takes nothing after the colon", ErrUnknown, raw)
		}
		return store.NewMemory(store.WithFailedRetention(c.failedRetention)), nil
	case "bolt":
		if rest == "" || strings.HasPrefix(rest, "//") {
			return nil, fmt.Errorf("%w %q: write bolt:PATH, such as bolt:/var/lib/hookgen/store.db", ErrUnknown, raw)
		}
		b, err := store.OpenBolt(rest, store.WithFailedRetention(c.failedRetention))
		if err != nil {
			return nil, err
		}
		return b, nil
	case "redis", "rediss":
		s, err := redisstore.Open(ctx, raw, redisstore.WithFailedRetention(c.failedRetention))
		if err != nil {
			return nil, err
		}
		return s, nil
	case "postgres", "postgresql":
		s, err := pgstore.Open(ctx, raw, pgstore.WithFailedRetention(c.failedRetention))
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("%w %q: use one of %s", ErrUnknown, redact(raw), Forms)
}

// redact hides a password in raw for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
