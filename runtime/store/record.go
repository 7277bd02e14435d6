package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// This file holds the state machine shared by Memory and Bolt: pure
// functions from a stored record, the current time and the call's arguments
// to the answer and the record to store. Times are Unix nanoseconds of the
// store's clock.

// claimRecord is the stored form of a claimed key.
type claimRecord struct {
	state      State
	attempt    int
	token      string
	leaseUntil int64 // Processing: when the lease ends
	expires    int64 // from this instant on the record is Absent
}

// orderRecord is the stored form of an entity's ordering position and of
// the hold Acquire puts on it.
type orderRecord struct {
	version    int64
	hasVersion bool
	terminal   bool
	expires    int64
	holder     string // who holds the entity (Acquire's holder)
	holdToken  string // empty: not held
	holdUntil  int64
}

// addNanos returns n+d, saturating instead of overflowing.
func addNanos(n int64, d time.Duration) int64 {
	if d > 0 && n > math.MaxInt64-int64(d) {
		return math.MaxInt64
	}
	return n + int64(d)
}

// claimStep decides a Claim. It returns the answer (without Token when won;
// the caller fills it in), the record to store, and whether the key was won
// (and so the record must be written).
func claimStep(r claimRecord, found bool, now time.Time, lease, failedRetention time.Duration) (Claim, claimRecord, bool) {
	n := now.UnixNano()
	attempt := 1
	if found && n < r.expires {
		switch r.state {
		case Done:
			return Claim{State: Done, Attempt: r.attempt}, r, false
		case Processing:
			if n < r.leaseUntil {
				return Claim{State: Processing, Attempt: r.attempt, LeaseUntil: time.Unix(0, r.leaseUntil)}, r, false
			}
		}
		attempt = r.attempt + 1
	}
	until := addNanos(n, lease)
	next := claimRecord{
		state:      Processing,
		attempt:    attempt,
		leaseUntil: until,
		expires:    addNanos(until, failedRetention),
	}
	return Claim{Won: true, State: Processing, Attempt: attempt, LeaseUntil: time.Unix(0, until)}, next, true
}

// completeStep decides a Complete: it returns the record to store, whether
// it changed, and ErrLeaseLost when token does not hold the key. Completing
// twice with the same token is not an error.
func completeStep(r claimRecord, found bool, now int64, token string, retention time.Duration) (claimRecord, bool, error) {
	if !found || now >= r.expires || r.token != token {
		return r, false, ErrLeaseLost
	}
	switch r.state {
	case Processing:
		r.state = Done
		r.leaseUntil = 0
		r.expires = addNanos(now, retention)
		return r, true, nil
	case Done:
		return r, false, nil
	}
	return r, false, ErrLeaseLost
}

// releaseStep decides a Release, like completeStep.
func releaseStep(r claimRecord, found bool, now int64, token string, failedRetention time.Duration) (claimRecord, bool, error) {
	if !found || now >= r.expires || r.token != token {
		return r, false, ErrLeaseLost
	}
	switch r.state {
	case Processing:
		r.state = Failed
		r.leaseUntil = 0
		r.expires = addNanos(now, failedRetention)
		return r, true, nil
	case Failed:
		return r, false, nil
	}
	return r, false, ErrLeaseLost
}

// extendStep decides an Extend: the record to store, the new lease end,
// and ErrLeaseLost when token does not hold key under a live lease.
func extendStep(r claimRecord, found bool, now int64, token string, lease, failedRetention time.Duration) (claimRecord, error) {
	if !found || now >= r.expires || r.token != token || r.state != Processing || now >= r.leaseUntil {
		return r, ErrLeaseLost
	}
	r.leaseUntil = addNanos(now, lease)
	r.expires = addNanos(r.leaseUntil, failedRetention)
	return r, nil
}

// stateAt is what Get reports for a record.
func stateAt(r claimRecord, found bool, now int64) State {
	if !found || now >= r.expires {
		return Absent
	}
	if r.state == Processing && now >= r.leaseUntil {
		return Failed
	}
	return r.state
}

// checkStep applies the OrderStore.Check rules.
func checkStep(r orderRecord, found bool, now, version int64, hasVersion bool) Verdict {
	if !found || now >= r.expires {
		return Accept
	}
	if r.terminal {
		return AfterTerminal
	}
	if hasVersion && r.hasVersion && version < r.version {
		return Stale
	}
	return Accept
}

// commitStep applies OrderStore.Commit to a record.
func commitStep(r orderRecord, found bool, now, version int64, hasVersion, terminal bool, retention time.Duration) orderRecord {
	if !found || now >= r.expires {
		r = orderRecord{}
	}
	if hasVersion && (!r.hasVersion || version > r.version) {
		r.version, r.hasVersion = version, true
	}
	r.terminal = r.terminal || terminal
	r.expires = max(addNanos(now, retention), r.holdUntil)
	return r
}

// acquireStep decides an Acquire. It returns the answer (without Token;
// the caller fills it in and stores it in the record) and the record to
// store when the verdict is Accept.
func acquireStep(r orderRecord, found bool, now int64, pos Position, holder string, lease time.Duration) (OrderClaim, orderRecord) {
	live := found && now < r.expires
	if !live {
		r = orderRecord{}
	}
	if v := checkStep(r, live, now, pos.Version, pos.HasVersion); v != Accept {
		return OrderClaim{Verdict: v}, r
	}
	if r.holdToken != "" && now < r.holdUntil && r.holder != holder {
		return OrderClaim{Verdict: Busy, Until: time.Unix(0, r.holdUntil)}, r
	}
	r.holder = holder
	r.holdUntil = addNanos(now, lease)
	r.expires = max(r.expires, r.holdUntil)
	return OrderClaim{Verdict: Accept, Until: time.Unix(0, r.holdUntil)}, r
}

// commitOrderStep decides a CommitOrder: the record to store, or
// ErrLeaseLost when token does not hold the entity.
func commitOrderStep(r orderRecord, found bool, now int64, token string, pos Position, retention time.Duration) (orderRecord, error) {
	if !found || now >= r.expires || token == "" || r.holdToken != token {
		return r, ErrLeaseLost
	}
	r.holder, r.holdToken, r.holdUntil = "", "", 0
	return commitStep(r, true, now, pos.Version, pos.HasVersion, pos.Terminal, retention), nil
}

// extendOrderStep decides an ExtendOrder: the record to store, or
// ErrLeaseLost when token does not hold the entity under a live lease.
func extendOrderStep(r orderRecord, found bool, now int64, token string, lease time.Duration) (orderRecord, error) {
	if !found || now >= r.expires || token == "" || r.holdToken != token || now >= r.holdUntil {
		return r, ErrLeaseLost
	}
	r.holdUntil = addNanos(now, lease)
	r.expires = max(r.expires, r.holdUntil)
	return r, nil
}

// abandonOrderStep decides an AbandonOrder like commitOrderStep.
func abandonOrderStep(r orderRecord, found bool, now int64, token string) (orderRecord, error) {
	if !found || now >= r.expires || token == "" || r.holdToken != token {
		return r, ErrLeaseLost
	}
	r.holder, r.holdToken, r.holdUntil = "", "", 0
	return r, nil
}

// checkArgs validates the arguments every method shares and reports a done
// context. op names the method in the error.
func checkArgs(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if key == "" {
		return fmt.Errorf("store: %s: empty key: %w", op, ErrInvalid)
	}
	return nil
}

// checkDuration rejects a lease or retention that is not positive.
func checkDuration(op, what string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("store: %s: %s %v is not positive: %w", op, what, d, ErrInvalid)
	}
	return nil
}

// tokenBytes is the entropy of a claim token.
const tokenBytes = 16

// newToken returns a random claim token from crypto/rand.
func newToken() string {
	var b [tokenBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Record encoding, used by Bolt. Every record starts with an encoding
// version byte so that the format can change without a migration step.
//
//	claim v1: 0x01 state:u8 attempt:uvarint leaseUntil:varint expires:varint len:uvarint token
//	order v1: 0x01 flags:u8 (1 hasVersion, 2 terminal) version:varint expires:varint
//	order v2: 0x02 flags:u8 version:varint expires:varint holdUntil:varint
//	          len:uvarint holder len:uvarint holdToken
const (
	encodingV1 = 1
	encodingV2 = 2
)

var errCorrupt = errors.New("store: corrupt record")

func (r claimRecord) appendTo(b []byte) []byte {
	b = append(b, encodingV1, byte(r.state))
	b = binary.AppendUvarint(b, uint64(r.attempt))
	b = binary.AppendVarint(b, r.leaseUntil)
	b = binary.AppendVarint(b, r.expires)
	b = binary.AppendUvarint(b, uint64(len(r.token)))
	return append(b, r.token...)
}

func decodeClaim(b []byte) (claimRecord, error) {
	var r claimRecord
	if len(b) < 2 || b[0] != encodingV1 {
		return r, fmt.Errorf("%w: claim encoding %v", errCorrupt, head(b))
	}
	r.state = State(b[1])
	d := decoder{b: b[2:]}
	r.attempt = int(d.uvarint())
	r.leaseUntil = d.varint()
	r.expires = d.varint()
	n := d.uvarint()
	if d.bad || n != uint64(len(d.b)) {
		return claimRecord{}, fmt.Errorf("%w: claim record of %d bytes", errCorrupt, len(b))
	}
	r.token = string(d.b)
	return r, nil
}

func (r orderRecord) appendTo(b []byte) []byte {
	var flags byte
	if r.hasVersion {
		flags |= 1
	}
	if r.terminal {
		flags |= 2
	}
	b = append(b, encodingV2, flags)
	b = binary.AppendVarint(b, r.version)
	b = binary.AppendVarint(b, r.expires)
	b = binary.AppendVarint(b, r.holdUntil)
	b = binary.AppendUvarint(b, uint64(len(r.holder)))
	b = append(b, r.holder...)
	b = binary.AppendUvarint(b, uint64(len(r.holdToken)))
	return append(b, r.holdToken...)
}

func decodeOrder(b []byte) (orderRecord, error) {
	var r orderRecord
	if len(b) < 2 || (b[0] != encodingV1 && b[0] != encodingV2) {
		return r, fmt.Errorf("%w: order encoding %v", errCorrupt, head(b))
	}
	r.hasVersion = b[1]&1 != 0
	r.terminal = b[1]&2 != 0
	d := decoder{b: b[2:]}
	r.version = d.varint()
	r.expires = d.varint()
	if b[0] == encodingV2 {
		r.holdUntil = d.varint()
		r.holder = d.str()
		r.holdToken = d.str()
	}
	if d.bad || len(d.b) != 0 {
		return orderRecord{}, fmt.Errorf("%w: order record of %d bytes", errCorrupt, len(b))
	}
	return r, nil
}

// head returns the version byte of b for an error message.
func head(b []byte) any {
	if len(b) == 0 {
		return "empty"
	}
	return b[0]
}

type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.bad || n > uint64(len(d.b)) {
		d.bad = true
		return ""
	}
	v := string(d.b[:n])
	d.b = d.b[n:]
	return v
}

// isAny reports whether err wraps one of targets.
func isAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// NewToken returns a random lease token (128 bits from crypto/rand,
// base64url), for backends in other packages.
func NewToken() string { return newToken() }
