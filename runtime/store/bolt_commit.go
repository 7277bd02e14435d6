package store

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// committer groups the writes of a Bolt into shared transactions (group
// commit). A write that finds no commit running starts one at once: an
// idle store answers after one fsync, with no batch delay. Writes that
// arrive while a commit runs queue up, and the next commit takes them all
// (at most the batch size), so under load each fsync acknowledges every
// write that arrived during the previous one. With a batch delay d > 0, a
// commit that follows another and has fewer writes than the batch size
// first waits up to d for more, but only when writes queued during the
// previous commit: a lone writer never waits.
//
// Like bbolt's DB.Batch, a write function may run more than once: when
// one fails, it is run again alone to get its own error, and the others
// are committed without it.
type committer struct {
	db    *bolt.DB
	delay time.Duration
	max   int

	mu      sync.Mutex
	queue   []*commitCall
	running bool
	more    chan struct{} // signalled when a write queues while delaying

	commits atomic.Int64 // committed write transactions, for measurements
	writes  atomic.Int64 // write functions they committed
}

// commitCall is one queued write.
type commitCall struct {
	fn  func(*bolt.Tx) error
	err chan error
}

func newCommitter(db *bolt.DB, delay time.Duration, maxBatch int) *committer {
	return &committer{db: db, delay: delay, max: maxBatch, more: make(chan struct{}, 1)}
}

// do runs fn in a shared write transaction and returns once it is
// committed (and fsynced), or fn's or the commit's error.
func (c *committer) do(fn func(*bolt.Tx) error) error {
	call := &commitCall{fn: fn, err: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, call)
	if !c.running {
		c.running = true
		go c.loop()
	} else if len(c.queue) >= c.max {
		select {
		case c.more <- struct{}{}:
		default:
		}
	}
	c.mu.Unlock()
	return <-call.err
}

// loop commits queued writes until the queue is empty.
func (c *committer) loop() {
	loaded := false
	for {
		if loaded && c.delay > 0 {
			c.waitMore()
		}
		c.mu.Lock()
		n := min(len(c.queue), c.max)
		if n == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		batch := c.queue[:n:n]
		c.queue = append([]*commitCall(nil), c.queue[n:]...)
		c.mu.Unlock()
		loaded = c.commit(batch)
	}
}

// waitMore waits up to the delay for the queue to fill a batch. It does
// not wait when nothing is queued: the store went idle.
func (c *committer) waitMore() {
	c.mu.Lock()
	n := len(c.queue)
	c.mu.Unlock()
	if n == 0 || n >= c.max {
		return
	}
	t := time.NewTimer(c.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.more:
	}
}

// commit runs batch in one transaction and answers every call. It
// reports whether writes queued while it ran (the store is under load),
// as seen before the answers go out: a lone writer's next write, sent
// after its answer, does not count.
func (c *committer) commit(batch []*commitCall) (loaded bool) {
	for len(batch) > 0 {
		failed := -1
		err := c.db.Update(func(tx *bolt.Tx) error {
			for i, call := range batch {
				if err := safeCall(call.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			// Answer the failing write alone, then commit the others
			// without it.
			bad := batch[failed]
			bad.err <- c.solo(bad.fn)
			batch = append(batch[:failed:failed], batch[failed+1:]...)
			continue
		}
		if err == nil {
			c.commits.Add(1)
			c.writes.Add(int64(len(batch)))
		}
		c.mu.Lock()
		loaded = len(c.queue) > 0
		c.mu.Unlock()
		for _, call := range batch {
			call.err <- err
		}
		return loaded
	}
	return false
}

// solo runs fn in its own transaction.
func (c *committer) solo(fn func(*bolt.Tx) error) error {
	err := c.db.Update(func(tx *bolt.Tx) error { return safeCall(fn, tx) })
	if err == nil {
		c.commits.Add(1)
		c.writes.Add(1)
	}
	return err
}

// errWritePanicked is wrapped by the error of a write function that
// panicked.
var errWritePanicked = errors.New("store: bolt write panicked")

// safeCall runs fn, turning a panic into an error.
func safeCall(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errWritePanicked, p)
		}
	}()
	return fn(tx)
}
