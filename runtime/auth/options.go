package auth

import "time"

// DefaultTolerance is the replay window of timestamped signatures (Standard
// Webhooks, Stripe) when neither the spec's SignatureSpec.Tolerance nor
// [WithTolerance] sets one: a delivery is accepted when its timestamp is at
// most this far in the past or in the future.
const DefaultTolerance = 5 * time.Minute

// Option configures [New].
type Option func(*config)

type config struct {
	clock     func() time.Time
	tolerance time.Duration
}

// WithClock sets the clock Authenticate reads to check signature timestamps.
// The default is time.Now; a nil clock is ignored.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.clock = now
		}
	}
}

// WithTolerance sets the replay window for timestamped signature schemes
// whose SignatureSpec.Tolerance is zero. The default is [DefaultTolerance];
// a zero or negative d is ignored. A tolerance declared by the spec wins.
func WithTolerance(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.tolerance = d
		}
	}
}
