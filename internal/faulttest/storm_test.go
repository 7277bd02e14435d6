package faulttest_test

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/faulttest"
	"github.com/hookgen/hookgen/internal/services"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/storeurl"
)

// Storm size: deliveries, copies of each sent at once, replicas.
const (
	stormDeliveries = 1000
	stormCopies     = 5
	stormReplicas   = 3
	// stormInFlight bounds the deliveries whose copies are in the air at
	// once (so at most stormInFlight*stormCopies requests).
	stormInFlight = 40
)

// TestStormPostgresSync: three synchronous receivers share PostgreSQL for
// claims and records; every delivery sent five times at once over them is
// processed exactly once.
func TestStormPostgresSync(t *testing.T) { storm(t, "postgres", receiver.Sync) }

// TestStormPostgresDurable: the same with durable receivers, whose
// PostgreSQL inbox keeps one entry per delivery and counts the copies.
func TestStormPostgresDurable(t *testing.T) { storm(t, "postgres", receiver.Durable) }

// TestStormRedisSync: three synchronous receivers share Redis for claims;
// the handler's effects are in PostgreSQL.
func TestStormRedisSync(t *testing.T) { storm(t, "redis", receiver.Sync) }

// withParam returns raw with the query parameter k=v.
func withParam(t *testing.T, raw, k, v string) string { return withParamTB(t, raw, k, v) }

func withParamTB(t testing.TB, raw, k, v string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

// stormFigures are what a storm measured.
type stormFigures struct {
	Sent, Acked, AckedDeliveries, Processed, Suppressed, Lost, Twice int
	Load                                                             time.Duration
}

func (f stormFigures) String() string {
	return fmt.Sprintf("sent %d (%d deliveries x %d copies), acknowledged %d (%d deliveries), processed %d, duplicates suppressed %d, lost %d, twice %d, %s of load",
		f.Sent, stormDeliveries, stormCopies, f.Acked, f.AckedDeliveries, f.Processed, f.Suppressed, f.Lost, f.Twice, f.Load.Round(time.Millisecond))
}

func storm(t *testing.T, backend string, mode receiver.Mode) {
	if faulttest.IsChild() {
		faulttest.ServeReplica(t)
		return
	}
	if testing.Short() {
		t.Skip("storm: not in -short mode")
	}
	ctx := context.Background()
	pgURL := services.PostgresURL(t)
	storeURL := withParam(t, pgURL, "pool_max_conns", "6")
	if backend == "redis" {
		storeURL = services.RedisURL(t)
	}
	effectsURL := withParam(t, pgURL, "pool_max_conns", "4")
	effects, err := pgxpool.New(ctx, effectsURL)
	require.NoError(t, err)
	defer effects.Close()
	require.NoError(t, faulttest.CreateEffects(ctx, effects))
	// The parent opens the store first: PostgreSQL's migrations are
	// applied once, before the replicas start.
	st, err := storeurl.Open(ctx, storeURL)
	require.NoError(t, err)
	defer st.Close()

	reps := faulttest.StartReplicas(t, stormReplicas, storeURL, effectsURL, mode)
	sender := faulttest.NewSender()
	var f stormFigures
	var acked atomic.Int64
	ackedIDs := make([]atomic.Bool, stormDeliveries)
	deadline := time.Now().Add(90 * time.Second)
	sem := make(chan struct{}, stormInFlight)
	var wg sync.WaitGroup
	began := time.Now()
	for i := range stormDeliveries {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			id := fmt.Sprintf("d%04d", i)
			start := make(chan struct{})
			var copies sync.WaitGroup
			for c := range stormCopies {
				addr := reps.Addrs[(i+c)%len(reps.Addrs)]
				copies.Go(func() {
					<-start
					if sender.PostUntilAcked(addr, id, deadline) {
						acked.Add(1)
						ackedIDs[i].Store(true)
					}
				})
			}
			close(start)
			copies.Wait()
		})
	}
	wg.Wait()
	f.Load = time.Since(began)
	f.Sent = stormDeliveries * stormCopies
	f.Acked = int(acked.Load())
	for i := range ackedIDs {
		if ackedIDs[i].Load() {
			f.AckedDeliveries++
		}
	}

	// Durable mode: wait until the workers have settled every entry, so
	// that no processing is still to come when the effects are counted.
	var processings map[string]int
	require.Eventually(t, func() bool {
		if mode == receiver.Durable {
			p, err := st.List(ctx, store.Query{Family: faulttest.Family().Name, State: store.Pending, Limit: 1})
			if err != nil || len(p.Entries) > 0 {
				return false
			}
		}
		processings, err = faulttest.Processings(ctx, effects)
		return err == nil && len(processings) >= f.AckedDeliveries
	}, 90*time.Second, 100*time.Millisecond, "the acknowledged deliveries are processed")

	rows := 0
	for i := range stormDeliveries {
		n := processings[fmt.Sprintf("d%04d", i)]
		rows += n
		if n > 1 {
			f.Twice++
		}
		if n == 0 && ackedIDs[i].Load() {
			f.Lost++
		}
	}
	f.Processed = len(processings)
	f.Suppressed = f.Sent - rows
	t.Logf("storm (%s, %s, %d replicas): %s", backend, mode, stormReplicas, f)
	t.Logf("answers: %s", sender.Answers)

	assert.Equal(t, f.Sent, f.Acked, "every copy is acknowledged in the end")
	assert.Equal(t, stormDeliveries, f.Processed, "every delivery is processed")
	assert.Equal(t, stormDeliveries, rows, "one effect row per delivery")
	assert.Zero(t, f.Lost, "acknowledged but never processed")
	assert.Zero(t, f.Twice, "processed twice")
	assert.Zero(t, sender.Answers.Other(), "no answer other than 2xx and 503")
	assert.Zero(t, sender.Answers.RetryAfterMissing, "every 503 carries Retry-After")
	if mode == receiver.Durable {
		// The inbox keeps one entry per delivery, done, and counts on it
		// every copy it did not keep.
		entries, dups := 0, 0
		q := store.Query{Family: faulttest.Family().Name, Limit: 500}
		for {
			p, err := st.List(ctx, q)
			require.NoError(t, err)
			for _, e := range p.Entries {
				entries++
				dups += e.Duplicates
				assert.Equal(t, store.EntryDone, e.State, "entry %s", e.Key)
			}
			if p.Next == "" {
				break
			}
			q.After = p.Next
		}
		t.Logf("inbox: %d entries, %d duplicates counted on them", entries, dups)
		assert.Equal(t, stormDeliveries, entries, "one inbox entry per delivery")
		assert.Equal(t, sender.Answers.Outcome("duplicate"), dups, "every copy answered as a duplicate is counted on its entry")
		assert.GreaterOrEqual(t, dups, stormDeliveries*(stormCopies-1), "each copy after the first is a duplicate")
	}
}
