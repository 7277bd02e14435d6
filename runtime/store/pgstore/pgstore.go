package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookgen/hookgen/runtime/store"
)

// Store is the PostgreSQL store.Backend: claims, ordering and the inbox in
// the tables of the schema the URL's search_path selects, shared by every
// replica that opens the same database. Most methods are one statement in
// its own transaction (Claim and Acquire may read once more to explain a
// refusal; Put, Settle and Replay of an entry with an entity run in a short
// transaction holding the entity's advisory lock), and a write is
// committed — durable with PostgreSQL's default synchronous_commit — when
// the method returns (TestAcknowledgesAfterCommit). Times (leases, retention,
// due times) are the server's, so replicas need no synchronised clocks.
//
// A Store is safe for concurrent use by many goroutines.
type Store struct {
	pool            *pgxpool.Pool
	failedRetention time.Duration
	closed          atomic.Bool
	stop, done      chan struct{}
}

var _ store.Backend = (*Store)(nil)

// Option configures Open.
type Option func(*config)

type config struct {
	failedRetention time.Duration
	migrate         bool
	sweepInterval   time.Duration
}

// DefaultSweepInterval is how often a Store deletes expired claims and
// entities.
const DefaultSweepInterval = time.Minute

// WithSweepInterval sets how often a background goroutine deletes expired
// claims and entity positions (they read as absent regardless). Default
// DefaultSweepInterval; values ≤ 0 keep the default.
func WithSweepInterval(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.sweepInterval = d
		}
	}
}

// WithFailedRetention sets how long a released key (or one whose lease
// expired) is remembered so that its Attempt keeps counting. Default
// store.DefaultFailedRetention (24h); values ≤ 0 keep the default.
func WithFailedRetention(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.failedRetention = d
		}
	}
}

// WithoutMigrate makes Open skip Migrate, for deployments that run
// `hookgen migrate` (or Migrate) before they start replicas.
func WithoutMigrate() Option {
	return func(c *config) { c.migrate = false }
}

// DefaultMaxConns is the pool size when the URL sets no pool_max_conns:
// concurrent Puts commit on separate connections, so that PostgreSQL can
// share one WAL flush among them (pgx's own default is the number of
// CPUs, at least 4).
const DefaultMaxConns = 16

// Open connects a pool to the database at url (a postgres:// URL, with
// pgx's pool parameters such as pool_max_conns; DefaultMaxConns when
// unset), applies the pending
// migrations (see Migrate) unless WithoutMigrate, and returns the store.
// Close it when done.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	c := config{failedRetention: store.DefaultFailedRetention, migrate: true, sweepInterval: DefaultSweepInterval}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: open: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		pc.MaxConns = DefaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("pgstore: open: %w", err)
	}
	if c.migrate {
		if _, err := migrate(ctx, pool); err != nil {
			pool.Close()
			return nil, err
		}
	} else if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: open: %w", err)
	}
	s := &Store{pool: pool, failedRetention: c.failedRetention, stop: make(chan struct{}), done: make(chan struct{})}
	go s.sweeper(c.sweepInterval)
	return s, nil
}

// Close stops the sweeper and closes the pool; afterwards every method
// returns store.ErrClosed. It is safe to call more than once.
func (s *Store) Close() error {
	if !s.closed.Swap(true) {
		close(s.stop)
		<-s.done
		s.pool.Close()
	}
	return nil
}

// sweepChunk is the most rows one sweep statement deletes.
const sweepChunk = 10_000

// sweeper runs Sweep every interval until Close; a failed sweep is
// retried at the next tick.
func (s *Store) sweeper(interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.stop
		cancel()
	}()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			_, _ = s.Sweep(ctx)
		}
	}
}

// Sweep deletes the claims and entity positions whose retention ended, in
// statements of at most 10,000 rows, and returns how many it deleted. It
// also unblocks inbox entries left blocked behind a purged head.
// The background sweeper calls it; expired rows read as absent anyway.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	total := 0
	if _, err := s.pool.Exec(ctx, unblockSQL); err != nil {
		return 0, s.fail("sweep", err)
	}
	for _, table := range []string{"hookgen_claims", "hookgen_orders"} {
		for {
			tag, err := s.pool.Exec(ctx, `DELETE FROM `+table+` WHERE ctid IN (
				SELECT ctid FROM `+table+` WHERE expires <= now() LIMIT `+strconv.Itoa(sweepChunk)+`)
				AND expires <= now()`)
			if err != nil {
				return total, s.fail("sweep", err)
			}
			total += int(tag.RowsAffected())
			if tag.RowsAffected() < sweepChunk {
				break
			}
		}
	}
	return total, nil
}

// begin checks the call's context, the key and that the store is open.
func (s *Store) begin(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgstore: %s: %w", op, err)
	}
	if key == "" {
		return fmt.Errorf("pgstore: %s: empty key: %w", op, store.ErrInvalid)
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	return nil
}

// positive rejects a lease or retention that is not positive.
func positive(op, what string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("pgstore: %s: %s %v is not positive: %w", op, what, d, store.ErrInvalid)
	}
	return nil
}

// fail wraps a database error, mapping a closed pool to store.ErrClosed.
func (s *Store) fail(op string, err error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return fmt.Errorf("pgstore: %s: %w", op, err)
}

// micros converts d for the SQL below, which multiplies it by
// interval '1 microsecond'.
func micros(d time.Duration) int64 { return d.Microseconds() }

// Claim implements store.Store.
func (s *Store) Claim(ctx context.Context, key string, lease time.Duration) (store.Claim, error) {
	if err := s.begin(ctx, "claim", key); err != nil {
		return store.Claim{}, err
	}
	if err := positive("claim", "lease", lease); err != nil {
		return store.Claim{}, err
	}
	token := store.NewToken()
	for range 8 {
		var c store.Claim
		err := s.pool.QueryRow(ctx, `
			INSERT INTO hookgen_claims AS c (key, state, attempt, token, lease_until, expires)
			VALUES ($1, 1, 1, $2, now() + $3 * interval '1 microsecond',
			        now() + ($3 + $4) * interval '1 microsecond')
			ON CONFLICT (key) DO UPDATE SET
				state = 1,
				attempt = CASE WHEN c.expires > now() THEN c.attempt + 1 ELSE 1 END,
				token = EXCLUDED.token,
				lease_until = EXCLUDED.lease_until,
				expires = EXCLUDED.expires
			WHERE c.expires <= now() OR c.state = 3 OR (c.state = 1 AND c.lease_until <= now())
			RETURNING attempt, lease_until, nextval('hookgen_fence')`,
			[]byte(key), token, micros(lease), micros(s.failedRetention)).Scan(&c.Attempt, &c.LeaseUntil, &c.Fence)
		if err == nil {
			c.Won, c.State, c.Token = true, store.Processing, token
			return c, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return store.Claim{}, s.fail("claim", err)
		}
		// Lost: report what holds the key. If it became claimable since,
		// try again.
		var state int
		var live, leaseLive bool
		err = s.pool.QueryRow(ctx, `
			SELECT state, attempt, lease_until, expires > now(), lease_until > now()
			FROM hookgen_claims WHERE key = $1`, []byte(key)).Scan(&state, &c.Attempt, &c.LeaseUntil, &live, &leaseLive)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return store.Claim{}, s.fail("claim", err)
		}
		switch {
		case err == nil && live && store.State(state) == store.Done:
			return store.Claim{State: store.Done, Attempt: c.Attempt}, nil
		case err == nil && live && store.State(state) == store.Processing && leaseLive:
			return store.Claim{State: store.Processing, Attempt: c.Attempt, LeaseUntil: c.LeaseUntil}, nil
		}
	}
	return store.Claim{}, fmt.Errorf("pgstore: claim %q: the key kept changing", key)
}

// Complete implements store.Store.
func (s *Store) Complete(ctx context.Context, key, token string, retention time.Duration) error {
	if err := s.begin(ctx, "complete", key); err != nil {
		return err
	}
	if err := positive("complete", "retention", retention); err != nil {
		return err
	}
	return s.settleClaim(ctx, "complete", `
		UPDATE hookgen_claims SET
			state = 2,
			expires = CASE WHEN state = 1 THEN now() + $3 * interval '1 microsecond' ELSE expires END
		WHERE key = $1 AND token = $2 AND $2 <> '' AND expires > now() AND state IN (1, 2)`,
		[]byte(key), token, micros(retention))
}

// Release implements store.Store.
func (s *Store) Release(ctx context.Context, key, token string) error {
	if err := s.begin(ctx, "release", key); err != nil {
		return err
	}
	return s.settleClaim(ctx, "release", `
		UPDATE hookgen_claims SET
			state = 3,
			expires = CASE WHEN state = 1 THEN now() + $3 * interval '1 microsecond' ELSE expires END
		WHERE key = $1 AND token = $2 AND $2 <> '' AND expires > now() AND state IN (1, 3)`,
		[]byte(key), token, micros(s.failedRetention))
}

// settleClaim runs an UPDATE of one claim: no row is store.ErrLeaseLost.
func (s *Store) settleClaim(ctx context.Context, op, sql string, args ...any) error {
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return s.fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: %s %q: %w", op, args[0], store.ErrLeaseLost)
	}
	return nil
}

// Extend implements store.Store.
func (s *Store) Extend(ctx context.Context, key, token string, lease time.Duration) (time.Time, error) {
	if err := s.begin(ctx, "extend", key); err != nil {
		return time.Time{}, err
	}
	if err := positive("extend", "lease", lease); err != nil {
		return time.Time{}, err
	}
	var until time.Time
	err := s.pool.QueryRow(ctx, `
		UPDATE hookgen_claims SET
			lease_until = now() + $3 * interval '1 microsecond',
			expires = now() + ($3 + $4) * interval '1 microsecond'
		WHERE key = $1 AND token = $2 AND $2 <> '' AND state = 1 AND lease_until > now() AND expires > now()
		RETURNING lease_until`, []byte(key), token, micros(lease), micros(s.failedRetention)).Scan(&until)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, fmt.Errorf("pgstore: extend %q: %w", key, store.ErrLeaseLost)
	}
	if err != nil {
		return time.Time{}, s.fail("extend", err)
	}
	return until, nil
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) (store.State, error) {
	if err := s.begin(ctx, "get", key); err != nil {
		return store.Absent, err
	}
	var state int
	var live, leaseLive bool
	err := s.pool.QueryRow(ctx, `
		SELECT state, expires > now(), lease_until > now() FROM hookgen_claims WHERE key = $1`,
		[]byte(key)).Scan(&state, &live, &leaseLive)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.Absent, nil
	case err != nil:
		return store.Absent, s.fail("get", err)
	case !live:
		return store.Absent, nil
	case store.State(state) == store.Processing && !leaseLive:
		return store.Failed, nil
	}
	return store.State(state), nil
}
