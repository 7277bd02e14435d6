package store

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bolt is the embedded durable Backend: claims, ordering and the inbox
// of every family in one file on local disk, written with bbolt
// (go.etcd.io/bbolt). One process opens one file whatever the number of
// families: claim keys and entities carry their family (the receiver
// prefixes them), and inbox entries are keyed by family and id.
//
// Why bbolt: it is pure Go (no cgo, cross-compiles like the rest of
// hookgen), keeps everything in a single file, gives ACID transactions
// with copy-on-write pages and an fsync on every commit, and is maintained
// by the etcd project, which runs it under etcd in production. There is no
// write-ahead log to replay and no server to run.
//
// Durability: every write (Claim, Extend, Complete, Release, Acquire,
// CommitOrder, AbandonOrder, Commit, Put, Lease, ExtendLease, Settle,
// Replay, Purge) returns only after its transaction is committed and
// fsynced, so a completed key or a Put entry that was acknowledged is on
// disk and survives kill -9 or a power cut. Concurrent writes are grouped
// into one transaction, so they share one fsync: a write that finds no
// commit running commits at once, and the writes that arrive during a
// commit share the next one (see WithBatchDelay and WithBatchSize); a
// Claim that loses is answered
// from a read-only transaction without writing.
//
// The inbox is indexed (see bolt_inbox.go): List reads a page from an
// index by family, state and time, and Lease reads due entries in order,
// so both cost the entries they return, not the entries stored.
//
// Expired claims and ordering records read as Absent at once; a
// background goroutine deletes them from the file every WithSweepInterval.
// Inbox entries stay until Purge. Close stops the sweeper.
//
// The file is locked while open: a second OpenBolt of the same path, in
// this process or another, waits WithOpenTimeout and fails, and so does a
// read-only bbolt open (bbolt takes a shared lock that the writer's
// exclusive lock excludes). A command that must read a file a running
// receiver holds therefore asks that receiver (its admin endpoint) rather
// than opening the file. A Bolt is safe for concurrent use by many
// goroutines.
type Bolt struct {
	db              *bolt.DB
	writes          *committer // group commit of every write
	now             func() time.Time
	failedRetention time.Duration

	mu     sync.RWMutex // held shared by methods, exclusively by Close
	closed bool

	stop chan struct{}
	done chan struct{}
}

var (
	_ Store      = (*Bolt)(nil)
	_ OrderStore = (*Bolt)(nil)
	_ Backend    = (*Bolt)(nil)
)

// Bucket names inside the file.
var (
	claimsBucket = []byte("claims")
	ordersBucket = []byte("orders")
	// metaBucket's sequence is the fence counter of claims and leases.
	metaBucket = []byte("meta")
)

// allBuckets are the buckets OpenBolt creates.
var allBuckets = [][]byte{claimsBucket, ordersBucket, metaBucket, entriesBucket, indexBucket}

// sweepChunk is the most records one sweep transaction inspects, so that a
// sweep never holds the write lock for long.
const sweepChunk = 10_000

// OpenBolt opens (creating it if needed) the database file at path,
// configured by opts (WithClock, WithFailedRetention, WithSweepInterval,
// WithBatchDelay, WithBatchSize, WithOpenTimeout, WithFileMode), and
// starts its sweeper. Close it when done.
func OpenBolt(path string, opts ...BoltOption) (*Bolt, error) {
	c := boltConfig{
		common:        defaultCommon(),
		sweepInterval: DefaultSweepInterval,
		batchDelay:    DefaultBatchDelay,
		batchSize:     DefaultBatchSize,
		openTimeout:   DefaultOpenTimeout,
		fileMode:      DefaultFileMode,
	}
	for _, o := range opts {
		if o != nil {
			o.applyBolt(&c)
		}
	}
	db, err := bolt.Open(path, c.fileMode, &bolt.Options{Timeout: c.openTimeout})
	if err != nil {
		return nil, fmt.Errorf("store: open bolt %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open bolt %s: create buckets: %w", path, err)
	}
	b := &Bolt{
		db:              db,
		writes:          newCommitter(db, c.batchDelay, c.batchSize),
		now:             c.now,
		failedRetention: c.failedRetention,
		stop:            make(chan struct{}),
		done:            make(chan struct{}),
	}
	go b.sweeper(c.sweepInterval)
	return b, nil
}

// enter takes the shared lock for one method call, or reports ErrClosed.
// The caller must call b.mu.RUnlock when enter returns nil.
func (b *Bolt) enter() error {
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

// Claim implements Store.
func (b *Bolt) Claim(ctx context.Context, key string, lease time.Duration) (Claim, error) {
	if err := checkArgs(ctx, "claim", key); err != nil {
		return Claim{}, err
	}
	if err := checkDuration("claim", "lease", lease); err != nil {
		return Claim{}, err
	}
	if err := b.enter(); err != nil {
		return Claim{}, err
	}
	defer b.mu.RUnlock()
	k := []byte(key)

	// A loser changes nothing: answer it from a snapshot without a write
	// transaction. The snapshot is a state the key really had during this
	// call, so the answer is linearizable.
	var res Claim
	var won bool
	err := b.db.View(func(tx *bolt.Tx) error {
		rec, found, err := getClaim(tx, k)
		if err != nil {
			return err
		}
		res, _, won = claimStep(rec, found, b.now(), lease, b.failedRetention)
		return nil
	})
	if err != nil {
		return Claim{}, fmt.Errorf("store: claim: %w", err)
	}
	if !won {
		return res, nil
	}

	token := newToken()
	// Batch may run fn more than once: fn sets res from scratch each time
	// and reports only storage errors, never an outcome, as an error.
	err = b.writes.do(func(tx *bolt.Tx) error {
		rec, found, err := getClaim(tx, k)
		if err != nil {
			return err
		}
		var next claimRecord
		res, next, won = claimStep(rec, found, b.now(), lease, b.failedRetention)
		if !won {
			return nil
		}
		res.Token, next.token = token, token
		fence, err := tx.Bucket(metaBucket).NextSequence()
		if err != nil {
			return err
		}
		res.Fence = int64(fence)
		return tx.Bucket(claimsBucket).Put(k, next.appendTo(nil))
	})
	if err != nil {
		return Claim{}, fmt.Errorf("store: claim: %w", err)
	}
	return res, nil
}

// Complete implements Store.
func (b *Bolt) Complete(ctx context.Context, key, token string, retention time.Duration) error {
	if err := checkArgs(ctx, "complete", key); err != nil {
		return err
	}
	if err := checkDuration("complete", "retention", retention); err != nil {
		return err
	}
	return b.settle("complete", key, func(r claimRecord, found bool, now int64) (claimRecord, bool, error) {
		return completeStep(r, found, now, token, retention)
	})
}

// Release implements Store.
func (b *Bolt) Release(ctx context.Context, key, token string) error {
	if err := checkArgs(ctx, "release", key); err != nil {
		return err
	}
	return b.settle("release", key, func(r claimRecord, found bool, now int64) (claimRecord, bool, error) {
		return releaseStep(r, found, now, token, b.failedRetention)
	})
}

// settle runs Complete or Release in a batched transaction.
func (b *Bolt) settle(op, key string, step func(claimRecord, bool, int64) (claimRecord, bool, error)) error {
	if err := b.enter(); err != nil {
		return err
	}
	defer b.mu.RUnlock()
	k := []byte(key)
	var outcome error
	err := b.writes.do(func(tx *bolt.Tx) error {
		rec, found, err := getClaim(tx, k)
		if err != nil {
			return err
		}
		next, changed, lost := step(rec, found, b.now().UnixNano())
		outcome = lost
		if lost != nil || !changed {
			return nil
		}
		return tx.Bucket(claimsBucket).Put(k, next.appendTo(nil))
	})
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return outcome
}

// Extend implements Store.
func (b *Bolt) Extend(ctx context.Context, key, token string, lease time.Duration) (time.Time, error) {
	if err := checkArgs(ctx, "extend", key); err != nil {
		return time.Time{}, err
	}
	if err := checkDuration("extend", "lease", lease); err != nil {
		return time.Time{}, err
	}
	var until int64
	err := b.settle("extend", key, func(r claimRecord, found bool, now int64) (claimRecord, bool, error) {
		next, err := extendStep(r, found, now, token, lease, b.failedRetention)
		until = next.leaseUntil
		return next, err == nil, err
	})
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, until), nil
}

// Get implements Store.
func (b *Bolt) Get(ctx context.Context, key string) (State, error) {
	if err := checkArgs(ctx, "get", key); err != nil {
		return Absent, err
	}
	if err := b.enter(); err != nil {
		return Absent, err
	}
	defer b.mu.RUnlock()
	var st State
	err := b.db.View(func(tx *bolt.Tx) error {
		rec, found, err := getClaim(tx, []byte(key))
		st = stateAt(rec, found, b.now().UnixNano())
		return err
	})
	if err != nil {
		return Absent, fmt.Errorf("store: get: %w", err)
	}
	return st, nil
}

// Check implements OrderStore.
func (b *Bolt) Check(ctx context.Context, entity string, version int64, hasVersion, terminal bool) (Verdict, error) {
	if err := checkArgs(ctx, "check", entity); err != nil {
		return 0, err
	}
	if err := b.enter(); err != nil {
		return 0, err
	}
	defer b.mu.RUnlock()
	var v Verdict
	err := b.db.View(func(tx *bolt.Tx) error {
		rec, found, err := getOrder(tx, []byte(entity))
		v = checkStep(rec, found, b.now().UnixNano(), version, hasVersion)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: check: %w", err)
	}
	return v, nil
}

// Commit implements OrderStore.
func (b *Bolt) Commit(ctx context.Context, entity string, version int64, hasVersion, terminal bool, retention time.Duration) error {
	if err := checkArgs(ctx, "commit", entity); err != nil {
		return err
	}
	if err := checkDuration("commit", "retention", retention); err != nil {
		return err
	}
	if err := b.enter(); err != nil {
		return err
	}
	defer b.mu.RUnlock()
	k := []byte(entity)
	err := b.writes.do(func(tx *bolt.Tx) error {
		rec, found, err := getOrder(tx, k)
		if err != nil {
			return err
		}
		next := commitStep(rec, found, b.now().UnixNano(), version, hasVersion, terminal, retention)
		return tx.Bucket(ordersBucket).Put(k, next.appendTo(nil))
	})
	if err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// Acquire implements OrderStore.
func (b *Bolt) Acquire(ctx context.Context, entity string, pos Position, holder string, lease time.Duration) (OrderClaim, error) {
	if err := checkArgs(ctx, "acquire", entity); err != nil {
		return OrderClaim{}, err
	}
	if err := checkDuration("acquire", "lease", lease); err != nil {
		return OrderClaim{}, err
	}
	if err := b.enter(); err != nil {
		return OrderClaim{}, err
	}
	defer b.mu.RUnlock()
	k := []byte(entity)
	// A refusal changes nothing: answer it from a snapshot, as Claim does.
	var res OrderClaim
	err := b.db.View(func(tx *bolt.Tx) error {
		rec, found, err := getOrder(tx, k)
		if err == nil {
			res, _ = acquireStep(rec, found, b.now().UnixNano(), pos, holder, lease)
		}
		return err
	})
	if err != nil {
		return OrderClaim{}, fmt.Errorf("store: acquire: %w", err)
	}
	if res.Verdict != Accept {
		return res, nil
	}
	token := newToken()
	err = b.writes.do(func(tx *bolt.Tx) error {
		rec, found, err := getOrder(tx, k)
		if err != nil {
			return err
		}
		var next orderRecord
		res, next = acquireStep(rec, found, b.now().UnixNano(), pos, holder, lease)
		if res.Verdict != Accept {
			return nil
		}
		res.Token, next.holdToken = token, token
		return tx.Bucket(ordersBucket).Put(k, next.appendTo(nil))
	})
	if err != nil {
		return OrderClaim{}, fmt.Errorf("store: acquire: %w", err)
	}
	return res, nil
}

// CommitOrder implements OrderStore.
func (b *Bolt) CommitOrder(ctx context.Context, entity, token string, pos Position, retention time.Duration) error {
	if err := checkArgs(ctx, "commit order", entity); err != nil {
		return err
	}
	if err := checkDuration("commit order", "retention", retention); err != nil {
		return err
	}
	return b.settleOrder("commit order", entity, func(r orderRecord, found bool, now int64) (orderRecord, error) {
		return commitOrderStep(r, found, now, token, pos, retention)
	})
}

// AbandonOrder implements OrderStore.
func (b *Bolt) AbandonOrder(ctx context.Context, entity, token string) error {
	if err := checkArgs(ctx, "abandon order", entity); err != nil {
		return err
	}
	return b.settleOrder("abandon order", entity, func(r orderRecord, found bool, now int64) (orderRecord, error) {
		return abandonOrderStep(r, found, now, token)
	})
}

// ExtendOrder implements OrderStore.
func (b *Bolt) ExtendOrder(ctx context.Context, entity, token string, lease time.Duration) (time.Time, error) {
	if err := checkArgs(ctx, "extend order", entity); err != nil {
		return time.Time{}, err
	}
	if err := checkDuration("extend order", "lease", lease); err != nil {
		return time.Time{}, err
	}
	var until int64
	err := b.settleOrder("extend order", entity, func(r orderRecord, found bool, now int64) (orderRecord, error) {
		next, err := extendOrderStep(r, found, now, token, lease)
		until = next.holdUntil
		return next, err
	})
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, until), nil
}

// settleOrder runs CommitOrder or AbandonOrder in a batched transaction.
func (b *Bolt) settleOrder(op, entity string, step func(orderRecord, bool, int64) (orderRecord, error)) error {
	if err := b.enter(); err != nil {
		return err
	}
	defer b.mu.RUnlock()
	k := []byte(entity)
	var outcome error
	err := b.writes.do(func(tx *bolt.Tx) error {
		rec, found, err := getOrder(tx, k)
		if err != nil {
			return err
		}
		next, lost := step(rec, found, b.now().UnixNano())
		outcome = lost
		if lost != nil {
			return nil
		}
		return tx.Bucket(ordersBucket).Put(k, next.appendTo(nil))
	})
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return outcome
}

// Close stops the sweeper and closes the file, waiting for calls in
// progress; afterwards every method returns ErrClosed. It is safe to call
// more than once; later calls return nil.
func (b *Bolt) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	close(b.stop)
	<-b.done
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("store: close bolt: %w", err)
	}
	return nil
}

// sweeper deletes expired records every interval until Close. A failed
// sweep is retried at the next tick; reads treat expired records as Absent
// meanwhile.
func (b *Bolt) sweeper(interval time.Duration) {
	defer close(b.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			_, _ = b.sweep(b.stop)
		}
	}
}

// sweep deletes every expired record, a chunk per transaction, and returns
// how many it deleted. It stops early when stop is closed.
func (b *Bolt) sweep(stop <-chan struct{}) (int, error) {
	deleted := 0
	for _, name := range [][]byte{claimsBucket, ordersBucket} {
		var from []byte
		for {
			select {
			case <-stop:
				return deleted, nil
			default:
			}
			n, next, err := b.sweepChunk(name, from)
			deleted += n
			if err != nil {
				return deleted, err
			}
			if next == nil {
				break
			}
			from = next
		}
	}
	return deleted, nil
}

// sweepChunk deletes the expired records among up to sweepChunk records
// of bucket name from key from on. It returns the key to continue at, nil
// at the end of the bucket.
func (b *Bolt) sweepChunk(name, from []byte) (int, []byte, error) {
	var deleted int
	var next []byte
	err := b.db.Update(func(tx *bolt.Tx) error {
		deleted, next = 0, nil
		bk := tx.Bucket(name)
		now := b.now().UnixNano()
		var dead [][]byte
		c := bk.Cursor()
		k, v := c.First()
		if from != nil {
			k, v = c.Seek(from)
		}
		for seen := 0; k != nil; k, v = c.Next() {
			if seen == sweepChunk {
				next = bytes.Clone(k)
				break
			}
			seen++
			if expiresOf(name, v) <= now {
				dead = append(dead, bytes.Clone(k))
			}
		}
		for _, k := range dead {
			if err := bk.Delete(k); err != nil {
				return err
			}
		}
		deleted = len(dead)
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("store: sweep %s: %w", name, err)
	}
	return deleted, next, nil
}

// expiresOf returns when a stored record expires; a record that cannot be
// decoded is kept (it reads as an error, not silently as Absent).
func expiresOf(bucket, v []byte) int64 {
	if bytes.Equal(bucket, claimsBucket) {
		if r, err := decodeClaim(v); err == nil {
			return r.expires
		}
	} else if r, err := decodeOrder(v); err == nil {
		return r.expires
	}
	return 1<<63 - 1
}

func getClaim(tx *bolt.Tx, k []byte) (claimRecord, bool, error) {
	v := tx.Bucket(claimsBucket).Get(k)
	if v == nil {
		return claimRecord{}, false, nil
	}
	r, err := decodeClaim(v)
	if err != nil {
		return claimRecord{}, false, fmt.Errorf("key %q: %w", k, err)
	}
	return r, true, nil
}

func getOrder(tx *bolt.Tx, k []byte) (orderRecord, bool, error) {
	v := tx.Bucket(ordersBucket).Get(k)
	if v == nil {
		return orderRecord{}, false, nil
	}
	r, err := decodeOrder(v)
	if err != nil {
		return orderRecord{}, false, fmt.Errorf("entity %q: %w", k, err)
	}
	return r, true, nil
}
