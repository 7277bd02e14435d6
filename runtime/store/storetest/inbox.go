package storetest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/store"
)

// This file holds the inbox cases: put, lease, per-entity order, settle,
// dead letter, list paging, replay and purge.

// inboxPair opens two clients and skips when the backend has no inbox.
func inboxPair(t *testing.T, h suite) (a, b store.Backend) {
	t.Helper()
	a, b = pair(t, h)
	_, err := a.List(context.Background(), store.Query{Family: "probe", Limit: 1})
	if errors.Is(err, store.ErrUnsupported) {
		t.Skip("the backend has no inbox (store.ErrUnsupported)")
	}
	require.NoError(t, err)
	return a, b
}

// base is the time entries of a case are received at, one second apart.
var base = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func entry(family, id string, at int) store.Entry {
	return store.Entry{
		ID: id, Family: family, Webhook: "hook", Event: "created", Key: "key-" + id,
		Method: http.MethodPost, Path: "/hooks/" + family, RawQuery: "a=1",
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       []byte(`{"id":"` + id + `"}`),
		ReceivedAt: base.Add(time.Duration(at) * time.Second),
	}
}

func put(t *testing.T, in store.Inbox, e store.Entry) {
	t.Helper()
	require.NoError(t, in.Put(context.Background(), e))
}

func lease(t *testing.T, in store.Inbox, n int, d time.Duration) []store.Leased {
	t.Helper()
	l, err := in.Lease(context.Background(), n, d)
	require.NoError(t, err)
	return l
}

func ids(l []store.Leased) []string {
	out := make([]string, len(l))
	for i, e := range l {
		out[i] = e.ID
	}
	return out
}

func testInboxPut(t *testing.T, h suite) {
	a, b := inboxPair(t, h)
	ctx := context.Background()
	e := entry("fam", "d1", 0)
	put(t, a, e)
	for i := 1; i <= 2; i++ {
		err := b.Put(ctx, e)
		require.ErrorIs(t, err, store.ErrDuplicate, "the same family and id again")
		got, err := a.GetEntry(ctx, "fam", "d1")
		require.NoError(t, err)
		assert.Equal(t, i, got.Duplicates)
	}
	put(t, b, entry("other", "d1", 0)) // ids are unique per family
	got, err := b.GetEntry(ctx, "fam", "d1")
	require.NoError(t, err)
	assert.Equal(t, e.ID, got.ID)
	assert.Equal(t, e.Webhook, got.Webhook)
	assert.Equal(t, e.Event, got.Event)
	assert.Equal(t, e.Key, got.Key)
	assert.Equal(t, e.Method, got.Method)
	assert.Equal(t, e.Path, got.Path)
	assert.Equal(t, e.RawQuery, got.RawQuery)
	assert.Equal(t, e.Header, got.Header)
	assert.Equal(t, e.Body, got.Body)
	assert.True(t, e.ReceivedAt.Equal(got.ReceivedAt), "received at %v, got %v", e.ReceivedAt, got.ReceivedAt)
	assert.Equal(t, store.Pending, got.State, "Put of state 0 keeps a Pending entry")
	assert.WithinDuration(t, time.Now(), got.UpdatedAt, 5*time.Second)

	rec := entry("fam", "r1", 1)
	rec.State, rec.Reason, rec.Attempts = store.EntryDone, store.ReasonUnhandled, 1
	rec.LastError = strings.Repeat("e", 3*store.MaxLastError)
	put(t, a, rec)
	got, err = b.GetEntry(ctx, "fam", "r1")
	require.NoError(t, err)
	assert.Equal(t, store.EntryDone, got.State)
	assert.Equal(t, store.ReasonUnhandled, got.Reason)
	assert.Len(t, got.LastError, store.MaxLastError, "LastError is cut")
	l := lease(t, a, 10, longLease)
	assert.ElementsMatch(t, []string{"d1", "d1"}, ids(l), "only the Pending entries (fam/d1, other/d1) are leased")

	_, err = a.GetEntry(ctx, "fam", "missing")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testInboxLeaseOnce(t *testing.T, h suite) {
	a, b := inboxPair(t, h)
	const n = 60
	for i := range n {
		put(t, a, entry("fam", fmt.Sprintf("d%03d", i), i))
	}
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		wg   sync.WaitGroup
		errs = make(chan error, 8)
	)
	for w := range 8 {
		in := store.Inbox(a)
		if w%2 == 1 {
			in = b
		}
		wg.Go(func() {
			for {
				l, err := in.Lease(context.Background(), 3, longLease)
				if err != nil {
					errs <- err
					return
				}
				if len(l) == 0 {
					return
				}
				mu.Lock()
				for _, e := range l {
					seen[e.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Len(t, seen, n, "every entry is leased")
	for id, c := range seen {
		assert.Equal(t, 1, c, "%s leased once while its lease is live", id)
	}
}

func testInboxEntityOrder(t *testing.T, h suite) {
	a, b := inboxPair(t, h)
	ctx := context.Background()
	// Entity x: x1 < x2 < x3; entity y: y1 < y2; z has no entity. Same
	// entity name in another family is another entity.
	for i, id := range []string{"x1", "y1", "x2", "z1", "y2", "x3"} {
		e := entry("fam", id, i)
		if id[0] != 'z' {
			e.Entity = id[:1]
		}
		put(t, a, e)
	}
	o := entry("other", "x1", 0)
	o.Entity = "x"
	put(t, a, o)
	// v2 and v3 arrive first; v1, received earlier, becomes v's head.
	for _, at := range []int{20, 21, 19} {
		e := entry("fam", fmt.Sprint("v", at-18), at)
		e.Entity = "v"
		put(t, b, e)
	}

	l := lease(t, b, 10, longLease)
	assert.ElementsMatch(t, []string{"x1", "y1", "z1", "x1", "v1"}, ids(l), "the head of each entity, and entries without one")
	assert.Empty(t, lease(t, a, 10, longLease), "later entries wait while the head is leased")

	var x1, y1 store.Leased
	for _, e := range l {
		if e.Family == "fam" && e.ID == "x1" {
			x1 = e
		}
		if e.ID == "y1" {
			y1 = e
		}
	}
	// A retry of the head keeps the entity blocked.
	require.NoError(t, a.Settle(ctx, "x1", "fam", x1.Token, store.Settlement{State: store.Pending, NextAt: time.Now().Add(time.Hour), Err: "boom"}))
	require.NoError(t, b.Settle(ctx, "y1", "fam", y1.Token, store.Settlement{State: store.Dead, Reason: store.ReasonExhausted}))
	assert.Equal(t, []string{"y2"}, ids(lease(t, a, 10, longLease)), "x2 waits for x1's retry; y2 follows the dead y1")
	got, err := a.GetEntry(ctx, "fam", "x1")
	require.NoError(t, err)
	assert.Equal(t, store.Pending, got.State)
	assert.Equal(t, "boom", got.LastError)
	assert.Equal(t, 1, got.Attempts)
}

func testInboxLeaseExpiry(t *testing.T, h suite) {
	a, b := inboxPair(t, h)
	ctx := context.Background()
	put(t, a, entry("fam", "d1", 0))
	first := lease(t, a, 1, shortLease)
	require.Len(t, first, 1)
	assert.Equal(t, 1, first[0].Attempts)
	require.NoError(t, b.ExtendLease(ctx, "d1", "fam", first[0].Token, shortLease+2*settle), "the holder extends its lease")
	time.Sleep(shortLease)
	assert.Empty(t, lease(t, b, 1, longLease), "an extended lease is still live")
	time.Sleep(shortLease + 2*settle)
	require.ErrorIs(t, a.ExtendLease(ctx, "d1", "fam", first[0].Token, longLease), store.ErrLeaseLost, "an ended lease cannot be extended")

	second := lease(t, b, 1, longLease)
	require.Len(t, second, 1, "an expired lease is handed out again (the worker died)")
	assert.Equal(t, "d1", second[0].ID)
	assert.Equal(t, 2, second[0].Attempts)
	assert.Greater(t, second[0].Fence, first[0].Fence, "the fence increases")
	assert.NotEqual(t, first[0].Token, second[0].Token)
	require.ErrorIs(t, a.Settle(ctx, "d1", "fam", first[0].Token, store.Settlement{State: store.EntryDone}), store.ErrLeaseLost, "the dead worker is fenced off")
	require.ErrorIs(t, a.ExtendLease(ctx, "d1", "fam", first[0].Token, longLease), store.ErrLeaseLost)
	require.NoError(t, a.Settle(ctx, "d1", "fam", second[0].Token, store.Settlement{State: store.EntryDone, Reason: store.ReasonProcessed}))
	require.ErrorIs(t, b.Settle(ctx, "d1", "fam", second[0].Token, store.Settlement{State: store.EntryDone}), store.ErrLeaseLost, "a settled entry has no lease")
}

func testInboxSettle(t *testing.T, h suite) {
	a, b := inboxPair(t, h)
	ctx := context.Background()
	put(t, a, entry("fam", "d1", 0))
	l := lease(t, a, 1, longLease)
	require.Len(t, l, 1)
	retryAt := time.Now().Add(shortLease + settle)
	require.NoError(t, b.Settle(ctx, "d1", "fam", l[0].Token, store.Settlement{State: store.Pending, NextAt: retryAt, Err: "try again"}))
	assert.Empty(t, lease(t, a, 1, longLease), "a retry is not due before NextAt")
	got, err := a.GetEntry(ctx, "fam", "d1")
	require.NoError(t, err)
	assert.WithinDuration(t, retryAt, got.NextAt, time.Millisecond)
	time.Sleep(time.Until(retryAt) + settle)
	l = lease(t, b, 1, longLease)
	require.Len(t, l, 1, "due at NextAt")
	assert.Equal(t, 2, l[0].Attempts)
	require.NoError(t, a.Settle(ctx, "d1", "fam", l[0].Token, store.Settlement{State: store.Dead, Reason: store.ReasonExhausted, Err: "gave up"}))
	got, err = b.GetEntry(ctx, "fam", "d1")
	require.NoError(t, err)
	assert.Equal(t, store.Dead, got.State)
	assert.Equal(t, store.ReasonExhausted, got.Reason)
	assert.Equal(t, "gave up", got.LastError)
	assert.Empty(t, lease(t, a, 1, longLease), "a dead letter is not leased")
	dead, err := a.List(ctx, store.Query{State: store.Dead})
	require.NoError(t, err)
	require.Len(t, dead.Entries, 1, "the dead letter is listed")
	assert.Equal(t, "d1", dead.Entries[0].ID)
}

func testInboxList(t *testing.T, h suite) {
	a, b := inboxPair(t, h)
	ctx := context.Background()
	const n = 25
	for i := range n {
		e := entry("f1", fmt.Sprintf("d%02d", i), i/2) // pairs share a ReceivedAt
		if i%5 == 0 {
			e.State = store.Dead
		}
		put(t, a, e)
		put(t, a, entry("f2", fmt.Sprintf("d%02d", i), i))
	}
	// Pages of 7 through both clients, newest first, each entry once.
	var got []store.Entry
	q := store.Query{Family: "f1", Limit: 7}
	for page := 0; ; page++ {
		c := store.Inbox(a)
		if page%2 == 1 {
			c = b
		}
		p, err := c.List(ctx, q)
		require.NoError(t, err)
		require.LessOrEqual(t, len(p.Entries), 7)
		got = append(got, p.Entries...)
		if p.Next == "" {
			break
		}
		require.Len(t, p.Entries, 7, "only the last page is short")
		q.After = p.Next
		require.Less(t, page, n, "paging ends")
	}
	require.Len(t, got, n)
	for i := 1; i < len(got); i++ {
		prev, cur := got[i-1], got[i]
		newer := prev.ReceivedAt.After(cur.ReceivedAt) || (prev.ReceivedAt.Equal(cur.ReceivedAt) && prev.ID > cur.ID)
		assert.True(t, newer, "%s (%v) listed before %s (%v)", prev.ID, prev.ReceivedAt, cur.ID, cur.ReceivedAt)
	}
	assert.Equal(t, "d24", got[0].ID)

	count := func(q store.Query) int {
		q.Limit = store.MaxPageSize
		p, err := b.List(ctx, q)
		require.NoError(t, err)
		for _, e := range p.Entries {
			assert.True(t, q.Matches(e), "%+v does not match %+v", e, q)
		}
		return len(p.Entries)
	}
	assert.Equal(t, 2*n, count(store.Query{}), "every family")
	assert.Equal(t, 5, count(store.Query{Family: "f1", State: store.Dead}))
	assert.Equal(t, 20, count(store.Query{Family: "f1", State: store.Pending}))
	assert.Equal(t, 5, count(store.Query{State: store.Dead}))
	assert.Equal(t, 0, count(store.Query{State: store.EntryDone}))
	assert.Equal(t, 5, count(store.Query{Family: "f2", Since: base.Add(20 * time.Second)}))
	assert.Equal(t, 10, count(store.Query{Family: "f2", Since: base.Add(10 * time.Second), Before: base.Add(20 * time.Second)}))
	assert.Equal(t, 4, count(store.Query{Family: "f1", State: store.Pending, Before: base.Add(3 * time.Second)}))
	assert.Equal(t, 0, count(store.Query{Family: "none"}))

	_, err := a.List(ctx, store.Query{After: "%%%not a cursor"})
	require.ErrorIs(t, err, store.ErrInvalid)
}

func testInboxReplayPurge(t *testing.T, h suite) {
	a, b := inboxPair(t, h)
	ctx := context.Background()
	for i, st := range []store.EntryState{store.Dead, store.EntryDone, store.Pending, store.Dead} {
		e := entry("fam", fmt.Sprintf("d%d", i), i)
		e.State, e.Attempts = st, 3
		if st != store.Pending {
			e.Reason = store.ReasonQuarantined
		}
		put(t, a, e)
	}
	require.NoError(t, b.Replay(ctx, "fam", "d0"))
	got, err := a.GetEntry(ctx, "fam", "d0")
	require.NoError(t, err)
	assert.Equal(t, store.Pending, got.State)
	assert.Equal(t, 0, got.Attempts)
	require.NoError(t, a.Replay(ctx, "fam", "d1"))
	require.NoError(t, a.Replay(ctx, "fam", "d2"), "replaying a Pending entry changes nothing")
	require.ErrorIs(t, a.Replay(ctx, "fam", "missing"), store.ErrNotFound)
	l := lease(t, b, 10, longLease)
	assert.ElementsMatch(t, []string{"d0", "d1", "d2"}, ids(l), "replayed entries are due now")
	for _, e := range l {
		if e.ID != "d2" {
			assert.Equal(t, 1, e.Attempts, "%s: attempts were reset", e.ID)
		}
	}

	n, err := b.Purge(ctx, store.Query{Family: "fam", State: store.Dead})
	require.NoError(t, err)
	assert.Equal(t, 1, n, "only d3 is still dead")
	_, err = a.GetEntry(ctx, "fam", "d3")
	require.ErrorIs(t, err, store.ErrNotFound)
	n, err = a.Purge(ctx, store.Query{Family: "fam", Before: base.Add(time.Second)})
	require.NoError(t, err)
	assert.Equal(t, 1, n, "d0 only")
	n, err = a.Purge(ctx, store.Query{})
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	p, err := b.List(ctx, store.Query{})
	require.NoError(t, err)
	assert.Empty(t, p.Entries)
}

func testInboxInvalid(t *testing.T, h suite) {
	a, _ := inboxPair(t, h)
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
	}{
		{"PutNoID", func() error { return a.Put(ctx, store.Entry{Family: "f"}) }},
		{"PutNoFamily", func() error { return a.Put(ctx, store.Entry{ID: "x"}) }},
		{"PutBadState", func() error { return a.Put(ctx, store.Entry{ID: "x", Family: "f", State: 9}) }},
		{"LeaseZero", func() error { _, err := a.Lease(ctx, 1, 0); return err }},
		{"SettleBadState", func() error { return a.Settle(ctx, "x", "f", "t", store.Settlement{}) }},
		{"GetNoID", func() error { _, err := a.GetEntry(ctx, "f", ""); return err }},
		{"ListBadState", func() error { _, err := a.List(ctx, store.Query{State: -1}); return err }},
	}
	for _, tt := range tests {
		assert.ErrorIs(t, tt.call(), store.ErrInvalid, tt.name)
	}
	p, err := a.List(ctx, store.Query{})
	require.NoError(t, err)
	assert.Empty(t, p.Entries, "nothing was stored")
}

// testInboxBytes puts entries whose family, id and entity hold invalid
// UTF-8 and NUL (attacker-chosen bytes) and checks that they come back
// byte for byte, can be leased, settled, listed, paged and replayed by
// the id the store returned.
func testInboxBytes(t *testing.T, h suite) {
	a, b := inboxPair(t, h)
	ctx := context.Background()
	family := "fam\xff\xfe"
	var want []string
	for i := range 5 {
		e := entry(family, fmt.Sprintf("id\x00\xff%d\xc3", i), i)
		e.Entity = "ent\x00\x80"
		e.Body = []byte{0, 0xff, byte(i)}
		put(t, a, e)
		want = append(want, e.ID)
	}
	got, err := b.GetEntry(ctx, family, want[0])
	require.NoError(t, err)
	assert.Equal(t, want[0], got.ID)
	assert.Equal(t, family, got.Family)
	assert.Equal(t, "ent\x00\x80", got.Entity)
	assert.Equal(t, []byte{0, 0xff, 0}, got.Body)

	var listed []string
	for q := (store.Query{Family: family, Limit: 2}); ; {
		p, err := a.List(ctx, q)
		require.NoError(t, err)
		for _, e := range p.Entries {
			listed = append(listed, e.ID)
		}
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	assert.ElementsMatch(t, want, listed, "paging by cursor keeps the bytes")

	for i := range 5 {
		l := lease(t, b, 10, longLease)
		require.Len(t, l, 1, "one entity: one at a time")
		assert.Equal(t, want[i], l[0].ID, "oldest first")
		require.NoError(t, a.Settle(ctx, l[0].ID, l[0].Family, l[0].Token, store.Settlement{State: store.Dead, Reason: store.ReasonExhausted}))
	}
	require.NoError(t, b.Replay(ctx, family, want[2]))
	l := lease(t, a, 10, longLease)
	require.Len(t, l, 1)
	assert.Equal(t, want[2], l[0].ID)
}
