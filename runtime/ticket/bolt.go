package ticket

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

var correlationsBucket = []byte("ticket_correlations")

// record is the stored form of an entry with its claim.
type record struct {
	TicketID    string `json:"t,omitempty"`
	Generation  int    `json:"g"`
	Resolved    bool   `json:"r,omitempty"`
	Fingerprint string `json:"f,omitempty"`
	At          int64  `json:"a,omitempty"` // unix nanoseconds
	Token       string `json:"k,omitempty"`
	LeaseUntil  int64  `json:"l,omitempty"` // unix nanoseconds
}

func (r record) entry() Entry {
	return Entry{TicketID: r.TicketID, Generation: r.Generation, Resolved: r.Resolved, Fingerprint: r.Fingerprint, At: fromNanos(r.At)}
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// same reports whether r holds the entry e.
func (r record) same(e Entry) bool {
	return r.TicketID == e.TicketID && r.Generation == e.Generation && r.Fingerprint == e.Fingerprint &&
		r.Resolved == e.Resolved && r.At == nanos(e.At)
}

// claimable reports whether a claim at now wins on r, and applies it.
func (r *record) claim(now time.Time, lease time.Duration, token string) bool {
	if r.TicketID != "" && !r.Resolved {
		return false
	}
	if r.Token != "" && r.LeaseUntil > now.UnixNano() {
		return false
	}
	if r.Resolved || r.Generation == 0 {
		r.Generation++
		r.TicketID, r.Resolved, r.Fingerprint = "", false, ""
	}
	r.Token, r.LeaseUntil = token, now.Add(lease).UnixNano()
	return true
}

// Bolt is a Correlations store in an embedded bbolt file, for a single
// process. It survives restarts and kill -9.
type Bolt struct {
	db  *bolt.DB
	now func() time.Time
}

// BoltOption configures OpenBolt.
type BoltOption func(*Bolt)

// WithBoltClock sets the clock used for claim leases (default time.Now).
func WithBoltClock(now func() time.Time) BoltOption {
	return func(b *Bolt) { b.now = now }
}

// OpenBolt opens (creating) the correlation store file at path.
func OpenBolt(path string, opts ...BoltOption) (*Bolt, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("ticket: open %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(correlationsBucket)
		return err
	}); err != nil {
		return nil, fmt.Errorf("ticket: open %s: %w", path, errorsJoinClose(err, db))
	}
	b := &Bolt{db: db, now: time.Now}
	for _, o := range opts {
		o(b)
	}
	return b, nil
}

func errorsJoinClose(err error, db *bolt.DB) error {
	_ = db.Close()
	return err
}

// Close closes the file.
func (b *Bolt) Close() error { return b.db.Close() }

// Get returns the entry for key.
func (b *Bolt) Get(_ context.Context, key string) (Entry, bool, error) {
	var r record
	var ok bool
	err := b.db.View(func(tx *bolt.Tx) error {
		var err error
		r, ok, err = getRecord(tx, key)
		return err
	})
	return r.entry(), ok, err
}

// Claim takes the right to open key's ticket; see Correlations.
func (b *Bolt) Claim(_ context.Context, key string, lease time.Duration) (Claim, error) {
	if key == "" || lease <= 0 {
		return Claim{}, fmt.Errorf("%w: empty key or lease", ErrInvalid)
	}
	token := newToken()
	var c Claim
	err := b.db.Update(func(tx *bolt.Tx) error {
		r, _, err := getRecord(tx, key)
		if err != nil {
			return err
		}
		if !r.claim(b.now(), lease, token) {
			c = Claim{Entry: r.entry()}
			return nil
		}
		c = Claim{Won: true, Token: token, Entry: r.entry()}
		return putRecord(tx, key, r)
	})
	return c, err
}

// Record stores the ticket created under the claim token.
func (b *Bolt) Record(_ context.Context, key, token string, e Entry) error {
	return b.settle(key, token, func(r *record) {
		r.TicketID, r.Fingerprint, r.At, r.Resolved = e.TicketID, e.Fingerprint, nanos(e.At), false
	})
}

// Release ends the claim token without a ticket.
func (b *Bolt) Release(_ context.Context, key, token string) error {
	return b.settle(key, token, func(*record) {})
}

func (b *Bolt) settle(key, token string, apply func(*record)) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		r, ok, err := getRecord(tx, key)
		if err != nil {
			return err
		}
		if !ok || r.Token != token {
			return fmt.Errorf("%w: %s", ErrLeaseLost, key)
		}
		apply(&r)
		r.Token, r.LeaseUntil = "", 0
		return putRecord(tx, key, r)
	})
}

// Swap replaces old with new atomically; see Correlations.
func (b *Bolt) Swap(_ context.Context, key string, old, new Entry) (bool, error) {
	swapped := false
	err := b.db.Update(func(tx *bolt.Tx) error {
		r, _, err := getRecord(tx, key)
		if err != nil {
			return err
		}
		if !r.same(old) {
			return nil
		}
		r.Fingerprint, r.Resolved, r.At = new.Fingerprint, new.Resolved, nanos(new.At)
		swapped = true
		return putRecord(tx, key, r)
	})
	return swapped, err
}

func getRecord(tx *bolt.Tx, key string) (record, bool, error) {
	v := tx.Bucket(correlationsBucket).Get([]byte(key))
	if v == nil {
		return record{}, false, nil
	}
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return record{}, false, fmt.Errorf("ticket: corrupt record for %q: %w", key, err)
	}
	return r, true, nil
}

func putRecord(tx *bolt.Tx, key string, r record) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(correlationsBucket).Put([]byte(key), v)
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
