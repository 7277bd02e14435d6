package store

import (
	"os"
	"time"
)

// MemoryOption configures NewMemory.
type MemoryOption interface {
	applyMemory(*memoryConfig)
}

// BoltOption configures OpenBolt.
type BoltOption interface {
	applyBolt(*boltConfig)
}

// Option configures every store of this package: it is both a MemoryOption
// and a BoltOption.
type Option interface {
	MemoryOption
	BoltOption
}

// Defaults of the options shared by all stores.
const (
	// DefaultFailedRetention is how long a Failed key (or one whose lease
	// expired) is remembered, so that its Attempt keeps counting.
	DefaultFailedRetention = 24 * time.Hour
)

// common holds the settings every store shares.
type common struct {
	now             func() time.Time
	failedRetention time.Duration
}

func defaultCommon() common {
	return common{now: time.Now, failedRetention: DefaultFailedRetention}
}

type memoryFunc func(*memoryConfig)

func (f memoryFunc) applyMemory(c *memoryConfig) { f(c) }

type boltFunc func(*boltConfig)

func (f boltFunc) applyBolt(c *boltConfig) { f(c) }

type commonFunc func(*common)

func (f commonFunc) applyMemory(c *memoryConfig) { f(&c.common) }
func (f commonFunc) applyBolt(c *boltConfig)     { f(&c.common) }

// WithClock sets the clock the store reads the current time from, for
// leases, retention and expiry. The default (and the value used for nil) is
// time.Now.
func WithClock(now func() time.Time) Option {
	return commonFunc(func(c *common) {
		if now != nil {
			c.now = now
		}
	})
}

// WithFailedRetention sets how long a key is remembered after Release or
// after its lease expired without Complete; while remembered, its next
// Claim reports Attempt one higher, and afterwards the key is Absent and
// counts from 1 again. Default DefaultFailedRetention (24h); values ≤ 0
// keep the default.
func WithFailedRetention(d time.Duration) Option {
	return commonFunc(func(c *common) {
		if d > 0 {
			c.failedRetention = d
		}
	})
}

// Defaults of the Memory options.
const (
	// DefaultMaxEntries bounds the number of keys and entities a Memory
	// holds.
	DefaultMaxEntries = 1_000_000
	// DefaultMaxBytes bounds the bytes a Memory accounts for its keys and
	// records.
	DefaultMaxBytes = 256 << 20
	// DefaultMaxInboxBytes bounds the bytes of a Memory's inbox entries
	// (bodies and headers included).
	DefaultMaxInboxBytes = 64 << 20
	// DefaultShards is the number of independently locked shards of a
	// Memory.
	DefaultShards = 32
)

type memoryConfig struct {
	common
	maxEntries    int
	maxBytes      int64
	maxInboxBytes int64
	shards        int
}

// WithMaxEntries bounds the number of claimed keys plus ordering entities
// a Memory holds, and separately the number of its inbox entries (the
// oldest settled entries are evicted to make room; Put returns ErrFull
// when only Pending entries are left). Default
// DefaultMaxEntries (1,000,000); values ≤ 0 keep the default.
func WithMaxEntries(n int) MemoryOption {
	return memoryFunc(func(c *memoryConfig) {
		if n > 0 {
			c.maxEntries = n
		}
	})
}

// WithMaxBytes bounds the bytes a Memory accounts for its entries: each is
// charged its key length plus a fixed overhead (see NewMemory). Default
// DefaultMaxBytes (256 MiB); values ≤ 0 keep the default.
func WithMaxBytes(n int64) MemoryOption {
	return memoryFunc(func(c *memoryConfig) {
		if n > 0 {
			c.maxBytes = n
		}
	})
}

// WithMaxInboxBytes bounds the bytes of a Memory's inbox entries, each
// charged its body, headers and other variable fields plus a fixed
// overhead; the oldest settled entries are evicted to make room, as for
// WithMaxEntries. Default DefaultMaxInboxBytes (64 MiB); values ≤ 0 keep
// the default.
func WithMaxInboxBytes(n int64) MemoryOption {
	return memoryFunc(func(c *memoryConfig) {
		if n > 0 {
			c.maxInboxBytes = n
		}
	})
}

// WithShards sets the number of independently locked shards, rounded down
// to a power of two. Default DefaultShards (32); values ≤ 0 keep the
// default. Small bounds use fewer shards (see NewMemory).
func WithShards(n int) MemoryOption {
	return memoryFunc(func(c *memoryConfig) {
		if n > 0 {
			c.shards = n
		}
	})
}

// Defaults of the Bolt options.
const (
	// DefaultSweepInterval is how often Bolt deletes expired records.
	DefaultSweepInterval = time.Minute
	// DefaultBatchDelay is the longest a Bolt commit under load waits for
	// more writes to share its transaction and fsync (see WithBatchDelay).
	DefaultBatchDelay = time.Millisecond
	// DefaultBatchSize is the most writes Bolt commits in one transaction.
	DefaultBatchSize = 1000
	// DefaultOpenTimeout is how long OpenBolt waits for the file lock
	// another process holds.
	DefaultOpenTimeout = 5 * time.Second
	// DefaultFileMode is the permission of a database file OpenBolt
	// creates.
	DefaultFileMode os.FileMode = 0o600
)

type boltConfig struct {
	common
	sweepInterval time.Duration
	batchDelay    time.Duration
	batchSize     int
	openTimeout   time.Duration
	fileMode      os.FileMode
}

// WithSweepInterval sets how often a background goroutine deletes expired
// records from the file (expired records read as Absent regardless).
// Default DefaultSweepInterval (1 minute); values ≤ 0 keep the default.
func WithSweepInterval(d time.Duration) BoltOption {
	return boltFunc(func(c *boltConfig) {
		if d > 0 {
			c.sweepInterval = d
		}
	})
}

// WithBatchDelay sets the longest a commit under load waits for more
// writes (Claim, Complete, Release, Commit, Put, ...) to join its
// transaction, so that they share one fsync (group commit). A write to an
// idle store, or from a lone writer, commits at once and never waits;
// the delay applies only when writes queued during the previous commit.
// Default DefaultBatchDelay (1ms); values ≤ 0 keep the default.
func WithBatchDelay(d time.Duration) BoltOption {
	return boltFunc(func(c *boltConfig) {
		if d > 0 {
			c.batchDelay = d
		}
	})
}

// WithBatchSize sets the most writes committed in one transaction; a full
// batch commits without waiting for the delay. Default DefaultBatchSize
// (1000); values ≤ 0 keep the default.
func WithBatchSize(n int) BoltOption {
	return boltFunc(func(c *boltConfig) {
		if n > 0 {
			c.batchSize = n
		}
	})
}

// WithOpenTimeout sets how long OpenBolt waits for the file lock while
// another process has the file open. Default DefaultOpenTimeout (5s);
// values ≤ 0 keep the default.
func WithOpenTimeout(d time.Duration) BoltOption {
	return boltFunc(func(c *boltConfig) {
		if d > 0 {
			c.openTimeout = d
		}
	})
}

// WithFileMode sets the permission bits of a file OpenBolt creates.
// Default DefaultFileMode (0600); zero keeps the default.
func WithFileMode(mode os.FileMode) BoltOption {
	return boltFunc(func(c *boltConfig) {
		if mode != 0 {
			c.fileMode = mode
		}
	})
}
