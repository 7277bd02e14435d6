package receiver

import "time"

// WithPurgeInterval sets how often expired records are purged (tests only).
func WithPurgeInterval(d time.Duration) Option {
	return func(c *config) { c.purgeEvery = d }
}
