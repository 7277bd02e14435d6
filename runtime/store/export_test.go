package store

import bolt "go.etcd.io/bbolt"

// BoltRecordCount returns the number of records in b's file, expired or
// not, for tests of the sweeper.
func BoltRecordCount(b *Bolt) int {
	n := 0
	_ = b.db.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{claimsBucket, ordersBucket} {
			n += tx.Bucket(name).Stats().KeyN
		}
		return nil
	})
	return n
}

// BoltHoldWriter starts a write transaction on b's file that stays open
// until release is called, so that no other write can commit meanwhile.
// It returns once the transaction holds the writer lock.
func BoltHoldWriter(b *Bolt) (release func()) {
	held, done := make(chan struct{}), make(chan struct{})
	go func() {
		_ = b.db.Update(func(*bolt.Tx) error {
			close(held)
			<-done
			return nil
		})
	}()
	<-held
	return func() { close(done) }
}

// BoltBulkPut writes n entries made by mk straight into b's file, many per
// transaction, for benchmarks that need a large inbox quickly.
func BoltBulkPut(b *Bolt, n int, mk func(i int) Entry) error {
	const chunk = 5_000
	for from := 0; from < n; from += chunk {
		err := b.db.Update(func(tx *bolt.Tx) error {
			for i := from; i < min(from+chunk, n); i++ {
				e, err := NormalizeEntry(mk(i), b.now())
				if err != nil {
					return err
				}
				if err := writeEntry(tx, nil, &boltEntry{Entry: e}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// BoltWrites returns the number of page writes b's file has had, for
// tests that check that a call writes nothing.
func BoltWrites(b *Bolt) int64 {
	s := b.db.Stats()
	return s.TxStats.GetWrite()
}

// BoltCommits returns how many write transactions b's committer has
// committed and how many writes they carried.
func BoltCommits(b *Bolt) (commits, writes int64) {
	return b.writes.commits.Load(), b.writes.writes.Load()
}

// BoltQueued returns how many writes wait for the next commit.
func BoltQueued(b *Bolt) int {
	b.writes.mu.Lock()
	defer b.writes.mu.Unlock()
	return len(b.writes.queue)
}

// BoltCommitting reports whether b's committer is running a commit with
// no write queued behind it.
func BoltCommitting(b *Bolt) bool {
	b.writes.mu.Lock()
	defer b.writes.mu.Unlock()
	return b.writes.running && len(b.writes.queue) == 0
}

// BoltCommitterIdle reports whether b's committer has no commit running.
func BoltCommitterIdle(b *Bolt) bool {
	b.writes.mu.Lock()
	defer b.writes.mu.Unlock()
	return !b.writes.running
}
