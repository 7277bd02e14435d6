package ticket_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/servicetest"
	"github.com/hookgen/hookgen/runtime/ticket"
	"github.com/hookgen/hookgen/runtime/ticket/redmine"
)

type fixture struct {
	rm      servicetest.Redmine
	project string
	client  *redmine.Client
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	rm := servicetest.NewRedmine(t)
	project := rm.Project(t)
	c, err := redmine.New(rm.URL, rm.Key, project)
	require.NoError(t, err)
	return fixture{rm: rm, project: project, client: c}
}

func boltCorrelations(t *testing.T) *ticket.Bolt {
	t.Helper()
	b, err := ticket.OpenBolt(filepath.Join(t.TempDir(), "corr.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func (f fixture) issues(t *testing.T) []redmine.Issue {
	t.Helper()
	is, err := f.client.Issues(context.Background())
	require.NoError(t, err)
	return is
}

func (f fixture) issue(t *testing.T, id string) redmine.Issue {
	t.Helper()
	is, err := f.client.Issue(context.Background(), id)
	require.NoError(t, err)
	return is
}

func apply(t *testing.T, e *ticket.Engine, a ticket.Action) ticket.Result {
	t.Helper()
	r, err := e.Apply(context.Background(), a)
	require.NoError(t, err)
	return r
}

func TestEngineOpenUpdateResolveOnce(t *testing.T) {
	f := newFixture(t)
	e := ticket.NewEngine(f.client, boltCorrelations(t))
	open := ticket.Action{Kind: ticket.Open, Key: "stackstate/n1", Subject: "CPU high", Description: "DEVIATING", Fingerprint: "DEVIATING|CPU high", Note: "DEVIATING"}

	r := apply(t, e, open)
	assert.Equal(t, ticket.Created, r.Outcome)
	assert.Equal(t, ticket.Skipped, apply(t, e, open).Outcome, "duplicate")

	crit := open
	crit.Fingerprint, crit.Note = "CRITICAL|CPU high", "state DEVIATING -> CRITICAL"
	assert.Equal(t, ticket.Updated, apply(t, e, crit).Outcome)
	assert.Equal(t, ticket.Skipped, apply(t, e, crit).Outcome, "retry of the update")

	res := ticket.Action{Kind: ticket.Resolve, Key: "stackstate/n1", Reason: "Closed: HealthStateResolved"}
	assert.Equal(t, ticket.Resolved, apply(t, e, res).Outcome)
	assert.Equal(t, ticket.Skipped, apply(t, e, res).Outcome)
	late := open
	late.Fingerprint, late.Note = "late", "late"
	assert.Equal(t, ticket.Skipped, apply(t, e, late).Outcome, "nothing after close")
	assert.Equal(t, ticket.Skipped, apply(t, e, ticket.Action{Kind: ticket.Note, Key: "stackstate/n1", Note: "x"}).Outcome)

	all := f.issues(t)
	require.Len(t, all, 1)
	is := f.issue(t, r.TicketID)
	assert.Equal(t, "Resolved", is.Status.Name)
	assert.Equal(t, []string{"state DEVIATING -> CRITICAL", "Closed: HealthStateResolved"}, is.Notes())
}

func TestEngineReopenOpensANewTicketAfterResolve(t *testing.T) {
	f := newFixture(t)
	e := ticket.NewEngine(f.client, boltCorrelations(t))
	fail := ticket.Action{Kind: ticket.Open, Key: "clc/s1/p1", Subject: "backup failed", Fingerprint: "FAILED", AfterResolve: ticket.Reopen}
	first := apply(t, e, fail)
	apply(t, e, ticket.Action{Kind: ticket.Resolve, Key: "clc/s1/p1", Reason: "SUCCESS"})
	second := apply(t, e, fail)
	assert.Equal(t, ticket.Created, second.Outcome)
	assert.NotEqual(t, first.TicketID, second.TicketID)
	assert.Len(t, f.issues(t), 2)
	assert.Equal(t, "New", f.issue(t, second.TicketID).Status.Name)
}

func TestEngineNoteOnCreate(t *testing.T) {
	f := newFixture(t)
	e := ticket.NewEngine(f.client, boltCorrelations(t))
	a := ticket.Action{Kind: ticket.Open, Key: "butler/t1", Subject: "reload failed", Fingerprint: "exec-1", Note: "failed in exec-1", NoteOnCreate: true}
	r := apply(t, e, a)
	apply(t, e, a)
	a.Fingerprint, a.Note = "exec-2", "failed in exec-2"
	apply(t, e, a)
	require.Len(t, f.issues(t), 1)
	assert.Equal(t, []string{"failed in exec-1", "failed in exec-2"}, f.issue(t, r.TicketID).Notes())
}

// A ticket created by an attempt that died before recording it is found by
// its correlation key instead of created again.
func TestEngineFindsACreatedButUnrecordedTicket(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	orphan, err := f.client.Create(ctx, ticket.NewTicket{Key: "netpulse/d1/c1", Subject: "cmd failed"})
	require.NoError(t, err)
	e := ticket.NewEngine(f.client, boltCorrelations(t))
	r := apply(t, e, ticket.Action{Kind: ticket.Open, Key: "netpulse/d1/c1", Subject: "cmd failed", Fingerprint: "f"})
	assert.Equal(t, orphan.ID, r.TicketID)
	assert.Len(t, f.issues(t), 1)
}

func TestEngineTrackerDownReleasesTheClaim(t *testing.T) {
	f := newFixture(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	down, err := redmine.New("http://"+addr, f.rm.Key, f.project)
	require.NoError(t, err)
	corr := boltCorrelations(t)
	a := ticket.Action{Kind: ticket.Open, Key: "k", Subject: "s", Fingerprint: "f"}
	_, err = ticket.NewEngine(down, corr).Apply(context.Background(), a)
	require.ErrorIs(t, err, ticket.ErrUnavailable)
	r := apply(t, ticket.NewEngine(f.client, corr), a)
	assert.Equal(t, ticket.Created, r.Outcome, "claim released, not held until the lease expires")
	assert.Len(t, f.issues(t), 1)
}

// Replicas sharing PostgreSQL never open two tickets for one entity.
func TestEngineReplicasOnPostgresOpenOneTicket(t *testing.T) {
	f := newFixture(t)
	pool := servicetest.Postgres(t)
	table := "hookgen_ticket_engine_" + time.Now().Format("150405")
	t.Cleanup(func() { _, _ = pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+table) })
	var engines []*ticket.Engine
	for range 2 {
		corr, err := ticket.NewPostgres(context.Background(), pool, ticket.WithTable(table))
		require.NoError(t, err)
		c, err := redmine.New(f.rm.URL, f.rm.Key, f.project)
		require.NoError(t, err)
		engines = append(engines, ticket.NewEngine(c, corr))
	}
	a := ticket.Action{Kind: ticket.Open, Key: "stackstate/race", Subject: "race", Fingerprint: "f"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	created, busy := 0, 0
	for i := range 12 {
		wg.Go(func() {
			r, err := engines[i%2].Apply(context.Background(), a)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ticket.ErrBusy):
				busy++
			case err != nil:
				t.Error(err)
			case r.Outcome == ticket.Created:
				created++
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, created)
	assert.Len(t, f.issues(t), 1)
	t.Logf("12 concurrent opens on 2 replicas: 1 created, %d busy (retried by the sender), rest duplicates", busy)
}

func TestEngineRejectsActionsWithoutKey(t *testing.T) {
	e := ticket.NewEngine(nil, nil)
	_, err := e.Apply(context.Background(), ticket.Action{Kind: ticket.Open})
	require.ErrorIs(t, err, ticket.ErrInvalid)
	_, err = e.Apply(context.Background(), ticket.Action{Kind: 99, Key: "k"})
	require.ErrorIs(t, err, ticket.ErrInvalid)
}

// Replicas applying the same update at once add one note; resolving at
// once resolves once.
func TestEngineReplicasOnPostgresApplyAnUpdateOnce(t *testing.T) {
	f := newFixture(t)
	pool := servicetest.Postgres(t)
	table := "hookgen_ticket_upd_" + time.Now().Format("150405")
	t.Cleanup(func() { _, _ = pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+table) })
	var engines []*ticket.Engine
	for range 2 {
		corr, err := ticket.NewPostgres(context.Background(), pool, ticket.WithTable(table))
		require.NoError(t, err)
		engines = append(engines, ticket.NewEngine(f.client, corr))
	}
	open := ticket.Action{Kind: ticket.Open, Key: "k", Subject: "s", Fingerprint: "DEVIATING", Note: "DEVIATING"}
	r := apply(t, engines[0], open)
	upd := open
	upd.Fingerprint, upd.Note = "CRITICAL", "now CRITICAL"
	res := ticket.Action{Kind: ticket.Resolve, Key: "k", Reason: "resolved"}
	for _, a := range []ticket.Action{upd, res} {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				_, err := engines[i%2].Apply(context.Background(), a)
				if err != nil && !errors.Is(err, ticket.ErrBusy) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	assert.Equal(t, []string{"now CRITICAL", "resolved"}, f.issue(t, r.TicketID).Notes())
}

// An update that fails because the tracker is down is applied by the retry.
func TestEngineFailedUpdateIsAppliedOnRetry(t *testing.T) {
	f := newFixture(t)
	corr := boltCorrelations(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	down, err := redmine.New("http://"+addr, f.rm.Key, f.project)
	require.NoError(t, err)
	open := ticket.Action{Kind: ticket.Open, Key: "k", Subject: "s", Fingerprint: "a"}
	r := apply(t, ticket.NewEngine(f.client, corr), open)
	upd := open
	upd.Fingerprint, upd.Note = "b", "changed"
	_, err = ticket.NewEngine(down, corr).Apply(context.Background(), upd)
	require.ErrorIs(t, err, ticket.ErrUnavailable)
	_, err = ticket.NewEngine(down, corr).Apply(context.Background(), ticket.Action{Kind: ticket.Resolve, Key: "k", Reason: "r"})
	require.ErrorIs(t, err, ticket.ErrUnavailable)
	up := ticket.NewEngine(f.client, corr)
	assert.Equal(t, ticket.Updated, apply(t, up, upd).Outcome)
	assert.Equal(t, ticket.Resolved, apply(t, up, ticket.Action{Kind: ticket.Resolve, Key: "k", Reason: "r"}).Outcome)
	assert.Equal(t, []string{"changed", "r"}, f.issue(t, r.TicketID).Notes())
}

// A failure and its success processed out of order (the success first, as
// parallel workers may after an outage) open no ticket; a later failure
// does; an update older than the newest applied changes nothing.
func TestEngineOrdersActionsByTime(t *testing.T) {
	f := newFixture(t)
	e := ticket.NewEngine(f.client, boltCorrelations(t))
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	fail := ticket.Action{Kind: ticket.Open, Key: "clc/s/p", Subject: "backup failed", Fingerprint: "FAILED", AfterResolve: ticket.Reopen, At: t0}
	success := ticket.Action{Kind: ticket.Resolve, Key: "clc/s/p", Reason: "ok", At: t0.Add(time.Minute)}
	assert.Equal(t, ticket.Skipped, apply(t, e, success).Outcome)
	assert.Equal(t, ticket.Skipped, apply(t, e, fail).Outcome, "older than the success")
	assert.Empty(t, f.issues(t))

	later := fail
	later.At = t0.Add(time.Hour)
	r := apply(t, e, later)
	assert.Equal(t, ticket.Created, r.Outcome)
	old := later
	old.Fingerprint, old.Note, old.At = "MISSING", "missing", t0.Add(30*time.Minute)
	assert.Equal(t, ticket.Skipped, apply(t, e, old).Outcome, "older than the ticket's newest action")
	assert.Len(t, f.issues(t), 1)
	assert.Empty(t, f.issue(t, r.TicketID).Notes())
}

// A resolve that meets another worker creating the ticket waits (ErrBusy,
// retried) instead of marking the entity resolved under it.
func TestEngineResolveDuringCreationIsBusy(t *testing.T) {
	f := newFixture(t)
	corr := boltCorrelations(t)
	e := ticket.NewEngine(f.client, corr)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	creator, err := corr.Claim(ctx, "k", time.Minute)
	require.NoError(t, err)
	res := ticket.Action{Kind: ticket.Resolve, Key: "k", Reason: "ok", At: t0.Add(time.Minute)}
	_, err = e.Apply(ctx, res)
	require.ErrorIs(t, err, ticket.ErrBusy)

	tk, err := f.client.Create(ctx, ticket.NewTicket{Key: "k", Subject: "s"})
	require.NoError(t, err)
	require.NoError(t, corr.Record(ctx, "k", creator.Token, ticket.Entry{TicketID: tk.ID, At: t0}))
	assert.Equal(t, ticket.Resolved, apply(t, e, res).Outcome)
	assert.Equal(t, "Resolved", f.issue(t, tk.ID).Status.Name)
}

// An additive action older than the newest one (a failed execution
// processed after a later one) still adds its note to the open ticket, but
// does not reopen a resolved one.
func TestEngineAdditiveActionsAreNotStaleOnAnOpenTicket(t *testing.T) {
	f := newFixture(t)
	e := ticket.NewEngine(f.client, boltCorrelations(t))
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	e2 := ticket.Action{Kind: ticket.Open, Key: "butler/t", Subject: "reload failing", Fingerprint: "e2", Note: "e2 failed",
		NoteOnCreate: true, Additive: true, AfterResolve: ticket.Reopen, At: t0.Add(time.Minute)}
	e1 := e2
	e1.Fingerprint, e1.Note, e1.At = "e1", "e1 failed", t0
	r := apply(t, e, e2)
	assert.Equal(t, ticket.Updated, apply(t, e, e1).Outcome)
	assert.Equal(t, []string{"e2 failed", "e1 failed"}, f.issue(t, r.TicketID).Notes())

	apply(t, e, ticket.Action{Kind: ticket.Resolve, Key: "butler/t", Reason: "fixed", At: t0.Add(2 * time.Minute)})
	e0 := e1
	e0.Fingerprint, e0.At = "e0", t0.Add(-time.Minute)
	assert.Equal(t, ticket.Skipped, apply(t, e, e0).Outcome, "older than the resolve")
	assert.Len(t, f.issues(t), 1)
}
