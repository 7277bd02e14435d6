package inboxapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/inboxapi"
	"github.com/hookgen/hookgen/runtime/store"
)

func seed(t *testing.T, in store.Inbox, n int, st store.EntryState) {
	t.Helper()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		e := store.Entry{ID: fmt.Sprintf("%s-%03d", st, i), Family: "fam", Webhook: "w", Event: "ev", Key: "k",
			Method: "POST", Path: "/hook", Body: []byte(`{"n":1}`), ReceivedAt: base.Add(time.Duration(i) * time.Second),
			State: st, Header: http.Header{"X-A": {"1"}}}
		if st != store.Pending {
			e.Reason = store.ReasonProcessed
			if st == store.Dead {
				e.Reason = store.ReasonQuarantined
			}
		}
		require.NoError(t, in.Put(context.Background(), e))
	}
}

// The client reads, pages, replays and purges a store's inbox through the
// handler exactly as the store itself does.
func TestClientRoundTrip(t *testing.T) {
	mem := store.NewMemory()
	defer mem.Close()
	seed(t, mem, 5, store.EntryDone)
	seed(t, mem, 3, store.Dead)
	srv := httptest.NewServer(inboxapi.Handler(mem))
	defer srv.Close()
	c, err := inboxapi.NewClient(srv.URL, "", nil)
	require.NoError(t, err)
	ctx := context.Background()

	var all []store.Entry
	q := store.Query{Family: "fam", Limit: 3}
	for {
		p, err := c.List(ctx, q)
		require.NoError(t, err)
		all = append(all, p.Entries...)
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	assert.Len(t, all, 8)
	direct, err := mem.List(ctx, store.Query{Family: "fam", Limit: 100})
	require.NoError(t, err)
	require.Len(t, direct.Entries, 8)
	for i := range all {
		assert.Equal(t, direct.Entries[i].ID, all[i].ID)
		assert.Equal(t, direct.Entries[i].Body, all[i].Body)
		assert.True(t, direct.Entries[i].ReceivedAt.Equal(all[i].ReceivedAt))
	}

	dead, err := c.List(ctx, store.Query{State: store.Dead})
	require.NoError(t, err)
	assert.Len(t, dead.Entries, 3)

	e, err := c.GetEntry(ctx, "fam", "dead-001")
	require.NoError(t, err)
	assert.Equal(t, store.Dead, e.State)
	assert.Equal(t, store.ReasonQuarantined, e.Reason)

	require.NoError(t, c.Replay(ctx, "fam", "dead-001"))
	e, err = mem.GetEntry(ctx, "fam", "dead-001")
	require.NoError(t, err)
	assert.Equal(t, store.Pending, e.State)

	_, err = c.GetEntry(ctx, "fam", "nope")
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.ErrorIs(t, c.Replay(ctx, "fam", "nope"), store.ErrNotFound)

	n, err := c.Purge(ctx, store.Query{State: store.EntryDone})
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	left, err := mem.List(ctx, store.Query{})
	require.NoError(t, err)
	assert.Len(t, left.Entries, 3)
}

func TestHandlerRefusesBadParameters(t *testing.T) {
	mem := store.NewMemory()
	defer mem.Close()
	srv := httptest.NewServer(inboxapi.Handler(mem))
	defer srv.Close()
	for _, q := range []string{"state=lost", "since=yesterday", "limit=-1"} {
		resp, err := http.Get(srv.URL + inboxapi.Prefix + "?" + q)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, q)
		assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	}
	nohandler := httptest.NewServer(inboxapi.Handler(nil))
	defer nohandler.Close()
	c, err := inboxapi.NewClient(nohandler.URL, "", nil)
	require.NoError(t, err)
	_, err = c.List(context.Background(), store.Query{})
	assert.ErrorIs(t, err, store.ErrUnsupported)
	_, err = inboxapi.NewClient("ftp://x", "", nil)
	assert.ErrorIs(t, err, store.ErrInvalid)
}

// A store failure is answered 503 with Retry-After.
func TestHandlerStoreFailure(t *testing.T) {
	mem := store.NewMemory()
	require.NoError(t, mem.Close())
	srv := httptest.NewServer(inboxapi.Handler(mem))
	defer srv.Close()
	resp, err := http.Get(srv.URL + inboxapi.Prefix)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
}
