package receiver

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

const deadLetterBucket = "hookgen-quarantine"

// BoltDeadLetter is a durable DeadLetter in one bbolt file: a record is
// fsynced before Quarantine returns, so it survives kill -9. It is safe for
// concurrent use; Close releases the file.
type BoltDeadLetter struct {
	db *bolt.DB
}

// OpenBoltDeadLetter opens (creating if needed) the dead letter file at
// path. bbolt locks the file: one process at a time, and not the file of a
// store.Bolt.
func OpenBoltDeadLetter(path string) (*BoltDeadLetter, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("receiver: open dead letter %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte(deadLetterBucket))
		return err
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("receiver: open dead letter %s: %w", path, err)
	}
	return &BoltDeadLetter{db: db}, nil
}

// Quarantine appends q and syncs the file.
func (b *BoltDeadLetter) Quarantine(_ context.Context, q Quarantined) error {
	v, err := json.Marshal(q)
	if err != nil {
		return fmt.Errorf("receiver: encode quarantined delivery: %w", err)
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte(deadLetterBucket))
		seq, err := bk.NextSequence()
		if err != nil {
			return err
		}
		var k [8]byte
		binary.BigEndian.PutUint64(k[:], seq)
		return bk.Put(k[:], v)
	})
}

// List returns every stored record, oldest first.
func (b *BoltDeadLetter) List() ([]Quarantined, error) {
	var out []Quarantined
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(deadLetterBucket)).ForEach(func(_, v []byte) error {
			var q Quarantined
			if err := json.Unmarshal(v, &q); err != nil {
				return err
			}
			out = append(out, q)
			return nil
		})
	})
	return out, err
}

// Close closes the file; it is safe to call twice.
func (b *BoltDeadLetter) Close() error {
	return b.db.Close()
}
