// Package redisstore is the Redis store.Backend for synchronous mode
// across replicas (go-redis v9): idempotency claims with fencing and
// atomic entity ordering, each operation one Lua script that reads the
// server's clock, so that replicas need no synchronised clocks. It keeps
// no inbox: the Inbox methods return store.ErrUnsupported (use PostgreSQL
// or the embedded store for durable mode).
//
// Keys are the configured prefix followed by "c:" and the claim key, or
// "o:" and the entity; every key carries a PEXPIREAT equal to its
// retention, so Redis drops what expired. Fencing numbers come from one
// counter (INCR of the prefix followed by "fence"). The scripts touch
// those keys together, so on a Redis Cluster the prefix must hold a hash
// tag, such as "{hooks}:".
//
// Durability is Redis's: a claim acknowledged by a Redis without
// persistence (or with appendfsync everysec) can be lost in a Redis crash;
// the conformance suite covers atomicity, not Redis's persistence.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgen/hookgen/runtime/store"
)

// Store is a store.Backend on one Redis. It is safe for concurrent use.
type Store struct {
	client          *redis.Client
	prefix          string
	failedRetention time.Duration
	closed          atomic.Bool
}

var _ store.Backend = (*Store)(nil)

// Option configures Open.
type Option func(*Store)

// WithPrefix puts prefix before every key (default "hookgen:"). The URL's
// prefix parameter sets it too; WithPrefix wins.
func WithPrefix(prefix string) Option {
	return func(s *Store) { s.prefix = prefix }
}

// WithFailedRetention sets how long a released key (or one whose lease
// expired) is remembered so that its Attempt keeps counting. Default
// store.DefaultFailedRetention; values ≤ 0 keep the default.
func WithFailedRetention(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.failedRetention = d
		}
	}
}

// DefaultPrefix is the key prefix when neither the URL nor WithPrefix
// sets one.
const DefaultPrefix = "hookgen:"

// Open connects to the Redis at rawURL (redis:// or rediss://, with
// go-redis's URL parameters, plus prefix=P for the key prefix), checks
// that it answers, and returns the store. Close it when done.
func Open(ctx context.Context, rawURL string, opts ...Option) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisstore: open: %w", err)
	}
	q := u.Query()
	prefix := DefaultPrefix
	if q.Has("prefix") {
		prefix = q.Get("prefix")
		q.Del("prefix")
		u.RawQuery = q.Encode()
	}
	ro, err := redis.ParseURL(u.String())
	if err != nil {
		return nil, fmt.Errorf("redisstore: open: %w", err)
	}
	s := &Store{client: redis.NewClient(ro), prefix: prefix, failedRetention: store.DefaultFailedRetention}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	if err := s.client.Ping(ctx).Err(); err != nil {
		_ = s.client.Close()
		return nil, fmt.Errorf("redisstore: open %s: %w", u.Redacted(), err)
	}
	return s, nil
}

// Close closes the client; afterwards every method returns
// store.ErrClosed. It is safe to call more than once.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("redisstore: close: %w", err)
	}
	return nil
}

// begin checks the call's context, the key and that the store is open.
func (s *Store) begin(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	if key == "" {
		return fmt.Errorf("redisstore: %s: empty key: %w", op, store.ErrInvalid)
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	return nil
}

// positive rejects a lease or retention that is not positive.
func positive(op, what string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("redisstore: %s: %s %v is not positive: %w", op, what, d, store.ErrInvalid)
	}
	return nil
}

// ms converts d to whole milliseconds, at least 1.
func ms(d time.Duration) int64 { return max(1, (d + time.Millisecond - 1).Milliseconds()) }

func fromMS(v int64) time.Time { return time.UnixMilli(v) }

func (s *Store) claimKey(key string) string  { return s.prefix + "c:" + key }
func (s *Store) entityKey(key string) string { return s.prefix + "o:" + key }

// run runs a script and maps a closed client to store.ErrClosed.
func (s *Store) run(ctx context.Context, op string, sc *redis.Script, keys []string, args ...any) (any, error) {
	v, err := sc.Run(ctx, s.client, keys, args...).Result()
	if err != nil {
		if s.closed.Load() || errors.Is(err, redis.ErrClosed) {
			return nil, store.ErrClosed
		}
		return nil, fmt.Errorf("redisstore: %s: %w", op, err)
	}
	return v, nil
}

// ints converts a script's array reply.
func ints(v any) []int64 {
	arr, _ := v.([]any)
	out := make([]int64, len(arr))
	for i, x := range arr {
		out[i], _ = x.(int64)
	}
	return out
}

// Claim implements store.Store.
func (s *Store) Claim(ctx context.Context, key string, lease time.Duration) (store.Claim, error) {
	if err := s.begin(ctx, "claim", key); err != nil {
		return store.Claim{}, err
	}
	if err := positive("claim", "lease", lease); err != nil {
		return store.Claim{}, err
	}
	token := store.NewToken()
	v, err := s.run(ctx, "claim", claimScript, []string{s.claimKey(key), s.prefix + "fence"},
		token, ms(lease), ms(s.failedRetention))
	if err != nil {
		return store.Claim{}, err
	}
	r := ints(v)
	if len(r) != 5 {
		return store.Claim{}, fmt.Errorf("redisstore: claim: unexpected reply %v", v)
	}
	c := store.Claim{State: store.State(r[1]), Attempt: int(r[2])}
	if r[1] == int64(store.Processing) {
		c.LeaseUntil = fromMS(r[3])
	}
	if r[0] == 1 {
		c.Won, c.Token, c.Fence = true, token, r[4]
	}
	return c, nil
}

// Complete implements store.Store.
func (s *Store) Complete(ctx context.Context, key, token string, retention time.Duration) error {
	if err := s.begin(ctx, "complete", key); err != nil {
		return err
	}
	if err := positive("complete", "retention", retention); err != nil {
		return err
	}
	return s.settle(ctx, "complete", key, token, store.Done, retention)
}

// Release implements store.Store.
func (s *Store) Release(ctx context.Context, key, token string) error {
	if err := s.begin(ctx, "release", key); err != nil {
		return err
	}
	return s.settle(ctx, "release", key, token, store.Failed, s.failedRetention)
}

func (s *Store) settle(ctx context.Context, op, key, token string, to store.State, retention time.Duration) error {
	v, err := s.run(ctx, op, settleScript, []string{s.claimKey(key)}, token, int(to), ms(retention))
	if err != nil {
		return err
	}
	if n, _ := v.(int64); n < 0 {
		return fmt.Errorf("redisstore: %s %q: %w", op, key, store.ErrLeaseLost)
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
	v, err := s.run(ctx, "extend", extendScript, []string{s.claimKey(key)}, token, ms(lease), ms(s.failedRetention))
	if err != nil {
		return time.Time{}, err
	}
	n, _ := v.(int64)
	if n < 0 {
		return time.Time{}, fmt.Errorf("redisstore: extend %q: %w", key, store.ErrLeaseLost)
	}
	return fromMS(n), nil
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) (store.State, error) {
	if err := s.begin(ctx, "get", key); err != nil {
		return store.Absent, err
	}
	v, err := s.run(ctx, "get", getScript, []string{s.claimKey(key)})
	if err != nil {
		return store.Absent, err
	}
	n, _ := v.(int64)
	return store.State(n), nil
}

// Acquire implements store.OrderStore.
func (s *Store) Acquire(ctx context.Context, entity string, pos store.Position, holder string, lease time.Duration) (store.OrderClaim, error) {
	if err := s.begin(ctx, "acquire", entity); err != nil {
		return store.OrderClaim{}, err
	}
	if err := positive("acquire", "lease", lease); err != nil {
		return store.OrderClaim{}, err
	}
	token := store.NewToken()
	v, err := s.run(ctx, "acquire", acquireScript, []string{s.entityKey(entity)},
		strconv.FormatInt(pos.Version, 10), flag(pos.HasVersion), holder, token, ms(lease))
	if err != nil {
		return store.OrderClaim{}, err
	}
	r := ints(v)
	if len(r) != 2 {
		return store.OrderClaim{}, fmt.Errorf("redisstore: acquire: unexpected reply %v", v)
	}
	c := store.OrderClaim{Verdict: store.Verdict(r[0])}
	switch c.Verdict {
	case store.Accept:
		c.Token, c.Until = token, fromMS(r[1])
	case store.Busy:
		c.Until = fromMS(r[1])
	}
	return c, nil
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// CommitOrder implements store.OrderStore.
func (s *Store) CommitOrder(ctx context.Context, entity, token string, pos store.Position, retention time.Duration) error {
	if err := s.begin(ctx, "commit order", entity); err != nil {
		return err
	}
	if err := positive("commit order", "retention", retention); err != nil {
		return err
	}
	v, err := s.run(ctx, "commit order", commitOrderScript, []string{s.entityKey(entity)},
		token, strconv.FormatInt(pos.Version, 10), flag(pos.HasVersion), flag(pos.Terminal), ms(retention))
	if err != nil {
		return err
	}
	if n, _ := v.(int64); n < 0 {
		return fmt.Errorf("redisstore: commit order %q: %w", entity, store.ErrLeaseLost)
	}
	return nil
}

// AbandonOrder implements store.OrderStore.
func (s *Store) AbandonOrder(ctx context.Context, entity, token string) error {
	if err := s.begin(ctx, "abandon order", entity); err != nil {
		return err
	}
	v, err := s.run(ctx, "abandon order", abandonOrderScript, []string{s.entityKey(entity)}, token)
	if err != nil {
		return err
	}
	if n, _ := v.(int64); n < 0 {
		return fmt.Errorf("redisstore: abandon order %q: %w", entity, store.ErrLeaseLost)
	}
	return nil
}

// ExtendOrder implements store.OrderStore.
func (s *Store) ExtendOrder(ctx context.Context, entity, token string, lease time.Duration) (time.Time, error) {
	if err := s.begin(ctx, "extend order", entity); err != nil {
		return time.Time{}, err
	}
	if err := positive("extend order", "lease", lease); err != nil {
		return time.Time{}, err
	}
	v, err := s.run(ctx, "extend order", extendOrderScript, []string{s.entityKey(entity)}, token, ms(lease))
	if err != nil {
		return time.Time{}, err
	}
	n, _ := v.(int64)
	if n < 0 {
		return time.Time{}, fmt.Errorf("redisstore: extend order %q: %w", entity, store.ErrLeaseLost)
	}
	return fromMS(n), nil
}

// Check implements store.OrderStore (the two-step form).
func (s *Store) Check(ctx context.Context, entity string, version int64, hasVersion, terminal bool) (store.Verdict, error) {
	if err := s.begin(ctx, "check", entity); err != nil {
		return 0, err
	}
	v, err := s.run(ctx, "check", checkScript, []string{s.entityKey(entity)},
		strconv.FormatInt(version, 10), flag(hasVersion))
	if err != nil {
		return 0, err
	}
	n, _ := v.(int64)
	return store.Verdict(n), nil
}

// Commit implements store.OrderStore (the two-step form).
func (s *Store) Commit(ctx context.Context, entity string, version int64, hasVersion, terminal bool, retention time.Duration) error {
	if err := s.begin(ctx, "commit", entity); err != nil {
		return err
	}
	if err := positive("commit", "retention", retention); err != nil {
		return err
	}
	_, err := s.run(ctx, "commit", commitScript, []string{s.entityKey(entity)},
		strconv.FormatInt(version, 10), flag(hasVersion), flag(terminal), ms(retention))
	return err
}

// unsupported is the error of every Inbox method.
func (s *Store) unsupported(op string) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return fmt.Errorf("redisstore: %s: the Redis store keeps no inbox: %w", op, store.ErrUnsupported)
}

// Put implements store.Inbox: store.ErrUnsupported.
func (s *Store) Put(context.Context, store.Entry) error { return s.unsupported("put") }

// Lease implements store.Inbox: store.ErrUnsupported.
func (s *Store) Lease(context.Context, int, time.Duration) ([]store.Leased, error) {
	return nil, s.unsupported("lease")
}

// ExtendLease implements store.Inbox: store.ErrUnsupported.
func (s *Store) ExtendLease(context.Context, string, string, string, time.Duration) error {
	return s.unsupported("extend lease")
}

// Settle implements store.Inbox: store.ErrUnsupported.
func (s *Store) Settle(context.Context, string, string, string, store.Settlement) error {
	return s.unsupported("settle")
}

// GetEntry implements store.Inbox: store.ErrUnsupported.
func (s *Store) GetEntry(context.Context, string, string) (store.Entry, error) {
	return store.Entry{}, s.unsupported("get entry")
}

// List implements store.Inbox: store.ErrUnsupported.
func (s *Store) List(context.Context, store.Query) (store.Page, error) {
	return store.Page{}, s.unsupported("list")
}

// Replay implements store.Inbox: store.ErrUnsupported.
func (s *Store) Replay(context.Context, string, string) error { return s.unsupported("replay") }

// Purge implements store.Inbox: store.ErrUnsupported.
func (s *Store) Purge(context.Context, store.Query) (int, error) { return 0, s.unsupported("purge") }
