package store

import (
	"context"
	"fmt"
	"time"
)

// The inbox of Bolt is not written yet: every method returns
// ErrUnsupported.

func unsupported(op string) error { return fmt.Errorf("store: bolt: %s: %w", op, ErrUnsupported) }

// Put implements Inbox.
func (b *Bolt) Put(context.Context, Entry) error { return unsupported("put") }

// Lease implements Inbox.
func (b *Bolt) Lease(context.Context, int, time.Duration) ([]Leased, error) {
	return nil, unsupported("lease")
}

// ExtendLease implements Inbox.
func (b *Bolt) ExtendLease(context.Context, string, string, string, time.Duration) error {
	return unsupported("extend lease")
}

// Settle implements Inbox.
func (b *Bolt) Settle(context.Context, string, string, string, Settlement) error {
	return unsupported("settle")
}

// GetEntry implements Inbox.
func (b *Bolt) GetEntry(context.Context, string, string) (Entry, error) {
	return Entry{}, unsupported("get entry")
}

// List implements Inbox.
func (b *Bolt) List(context.Context, Query) (Page, error) { return Page{}, unsupported("list") }

// Replay implements Inbox.
func (b *Bolt) Replay(context.Context, string, string) error { return unsupported("replay") }

// Purge implements Inbox.
func (b *Bolt) Purge(context.Context, Query) (int, error) { return 0, unsupported("purge") }
